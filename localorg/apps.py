"""Creating External Client Apps: shared by the Setup page, the CLI and the Python API."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import ids
from .store import now, sha256

# Scopes an External Client App can be given on the local orgs (Salesforce has more).
SUPPORTED_SCOPES = ("api", "refresh_token", "offline_access", "id", "openid", "profile",
                    "email", "address", "phone", "full", "web")
DEFAULT_SCOPES = "api refresh_token"
# The app's own session timeout, in minutes: the values of Salesforce's "Timeout Value" policy
# (connected apps' Session Policies; the External Client App's OAuth policies offer the same
# setting, its exact choices UNCONFIRMED). None: the org's session timeout (2 hours by default).
SESSION_TIMEOUT_CHOICES = (15, 30, 60, 120, 240, 480, 720, 1440)
MAX_CALLBACK_CHARS = 2000  # Salesforce's cumulative limit for the Callback URL field


class AppSettingsError(ValueError):
    """A setting of a new app is invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class NewApp:
    client_id: str
    client_secret: str  # shown once, like Salesforce's "Consumer Key and Secret" page

    def __repr__(self) -> str:  # never show the secret in a repr
        return f"NewApp(client_id={self.client_id!r}, client_secret='***')"


def _is_loopback_http(parts) -> bool:
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def validate_callback(url: str) -> str:
    """Salesforce's rules: https, http on loopback, or a custom scheme; no fragment."""
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        # Spaces or control characters could never match a redirect_uri exactly (B-01).
        raise AppSettingsError(f"Callback URL {url!r} must not contain spaces or control "
                               "characters; put one URL per line")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number 0-65535)
    except ValueError as exc:
        raise AppSettingsError(f"Callback URL {url!r} is not a valid URL ({exc})") from None
    if not parts.scheme:
        raise AppSettingsError(f"Callback URL {url!r} has no scheme; use e.g. "
                               "http://localhost:1717/OauthRedirect")
    if re.match(r"^\d+(/|$)", parts.path) and not parts.netloc:
        # "localhost:1717/cb" parses as scheme "localhost"; it is a URL missing its scheme.
        raise AppSettingsError(f"Callback URL {url!r} looks like host:port without a scheme; "
                               f"write http://{url}")
    if parts.fragment:
        raise AppSettingsError(f"Callback URL {url!r} must not contain a #fragment")
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise AppSettingsError(f"Callback URL {url!r} has no host")
        if parts.username or parts.password:
            raise AppSettingsError(f"Callback URL {url!r} must not contain user:password@")
        if parts.scheme == "http" and not _is_loopback_http(parts):
            raise AppSettingsError(f"Callback URL {url!r} must use https (plain http is only "
                                   "accepted for localhost / 127.0.0.1)")
    elif parts.scheme in ("javascript", "data", "file", "vbscript"):
        raise AppSettingsError(f"Callback URL scheme {parts.scheme!r} is not allowed")
    return url


def validate_scopes(scopes: str | list[str]) -> list[str]:
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    unknown = [s for s in items if s not in SUPPORTED_SCOPES]
    if unknown:
        raise AppSettingsError(f"unknown OAuth scope(s) {unknown}; choose from "
                               f"{' '.join(SUPPORTED_SCOPES)}")
    if not items:
        raise AppSettingsError("select at least one OAuth scope (the tutorial needs 'api')")
    return list(dict.fromkeys(items))


def create_app(runtime, org_key: str, name: str, callback_urls: list[str],
               scopes: str | list[str] = DEFAULT_SCOPES, *, require_secret: bool = True,
               require_secret_refresh: bool = True, require_pkce: bool = True,
               refresh_rotation: bool = False,
               session_timeout_minutes: int | None = None) -> NewApp:
    """Register an External Client App in an org and return its consumer key and secret.

    ``session_timeout_minutes`` (one of :data:`SESSION_TIMEOUT_CHOICES`, or None for the org's
    2 hours) is how long an access token lives without being used.
    """
    org = runtime.store.org(org_key)
    if org is None:
        raise AppSettingsError(f"unknown org {org_key!r}; use A or B")
    name = (name or "").strip()
    if not name:
        raise AppSettingsError("the app needs a name")
    if len(name) > 80:
        raise AppSettingsError("the app name is limited to 80 characters")
    callbacks = [validate_callback(u) for u in callback_urls if u.strip()]
    if not callbacks:
        raise AppSettingsError("add at least one Callback URL, e.g. "
                               "http://localhost:1717/OauthRedirect")
    if len("\n".join(callbacks)) > MAX_CALLBACK_CHARS:
        raise AppSettingsError("Callback URLs are limited to 2000 characters in total")
    scope_list = validate_scopes(scopes)
    if session_timeout_minutes is not None and (
            isinstance(session_timeout_minutes, bool)
            or session_timeout_minutes not in SESSION_TIMEOUT_CHOICES):
        raise AppSettingsError(f"session timeout {session_timeout_minutes!r} minutes is not a "
                               "choice; use one of "
                               f"{', '.join(map(str, SESSION_TIMEOUT_CHOICES))} or None (the "
                               "org's 2 hours)")
    rng = runtime.rng
    # Shapes of real credentials: keys start with 3MVG9, secrets are 64 hex characters.
    client_id = "3MVG9" + rng.base62("client_id", 80)
    client_secret = rng.bytes("client_secret", 32).hex().upper()
    with runtime.store.tx() as db:
        db.execute(
            "INSERT INTO apps(id, org_id, name, client_id, client_secret_hash, callback_urls,"
            " scopes, require_secret, require_secret_refresh, require_pkce, refresh_rotation,"
            " created_at, session_timeout_minutes) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (rng.record_id(ids.APP_PREFIX, "app"), org["id"], name, client_id,
             sha256(client_secret), json.dumps(callbacks), " ".join(scope_list),
             int(require_secret), int(require_secret_refresh), int(require_pkce),
             int(refresh_rotation), now(), session_timeout_minutes),
        )
    return NewApp(client_id, client_secret)
