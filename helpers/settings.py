"""Settings of the tutorial, read from the environment and the repository's ``.env`` file.

::

    from helpers.settings import load_settings
    settings = load_settings()          # reads <repo>/.env, then the environment
    settings.login_url, settings.client_id, settings.scopes
    settings                            # repr shows client_secret='***'

Precedence: a variable already set in the environment wins over the same variable in
``.env`` (python-dotenv's default, ``override=False``). ``.env`` is read from one explicit
path (never searched for in parent folders) and ``os.environ`` is not modified.
Every variable is documented in ``.env.example``. A missing or malformed value raises one
:class:`~helpers.errors.ConfigurationError` naming the variable and the fix; values of
secret variables are never echoed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from .errors import ConfigurationError, UntrustedInstanceError
from .oauth.trust import TrustPolicy, is_loopback_literal, origin

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ENV_FILE = REPO_ROOT / ".env"
TARGETS = ("local", "salesforce")
DEFAULT_CALLBACK_URL = "http://localhost:1717/OauthRedirect"  # the Salesforce CLI's habit
DEFAULT_SCOPES = "api refresh_token"
DEFAULT_SALESFORCE_LOGIN_URL = "https://login.salesforce.com"
# The local orgs' defaults, repeated here so the client helpers import without the server
# (Flask, cheroot); tests/client/test_settings.py checks they match helpers/localorg/config.py.
LOCALORG_DATA_ENV, LOCALORG_PORT_BASE_ENV = "LOCALORG_DATA", "LOCALORG_PORT_BASE"
LOCALORG_DEFAULT_DATA_DIR = REPO_ROOT / ".localorg"
LOCALORG_DEFAULT_PORT_BASE = 8700
SECRET_VARIABLES = ("SF_CLIENT_SECRET", "SF_ORG_A_ACCESS_TOKEN")
_FIX = "set it in .env (copy .env.example) or in the environment"
_SCOPE = re.compile(r"^[A-Za-z0-9_:.\-]+$")


def _mask(value: str | None) -> str:
    return "None" if value is None else "'***'"


@dataclass(frozen=True, repr=False)
class Settings:
    """Validated settings; build with :func:`load_settings`."""

    target: str
    login_url: str
    client_id: str | None
    client_secret: str | None
    callback_url: str
    scopes: tuple[str, ...]
    org_a_instance_url: str | None
    org_a_access_token: str | None
    localorg_data: Path
    localorg_port_base: int

    def __repr__(self) -> str:  # secrets never shown
        return (f"Settings(target={self.target!r}, login_url={self.login_url!r}, "
                f"client_id={self.client_id!r}, client_secret={_mask(self.client_secret)}, "
                f"callback_url={self.callback_url!r}, scopes={' '.join(self.scopes)!r}, "
                f"org_a_instance_url={self.org_a_instance_url!r}, "
                f"org_a_access_token={_mask(self.org_a_access_token)})")

    __str__ = __repr__

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    @property
    def ca_bundle(self) -> str | None:
        """The local CA to trust (local target), or None for the public CAs (certifi)."""
        return str(self.localorg_data / "tls" / "ca.pem") if self.is_local else None

    def local_origins(self) -> tuple[str, ...]:
        """Origins of the local login host, ORG A and ORG B (empty for real orgs)."""
        return _local_origins(self.localorg_port_base) if self.is_local else ()

    def trust_policy(self) -> TrustPolicy:
        """Where tokens may be sent: the local orgs only, or Salesforce hosts only."""
        return TrustPolicy.local(self.local_origins()) if self.is_local else TrustPolicy()

    def require(self, *names: str) -> None:
        """Raise ConfigurationError unless every named setting (e.g. "client_id") is set."""
        for name in names:
            if not getattr(self, name):
                raise ConfigurationError(f"SF_{name.upper()} is not set: {_FIX}"
                                         + _WHERE.get(name, ""))


_WHERE = {
    "client_id": " (the app's Consumer Key; for the local orgs: helpers.localorg.create_app())",
    "client_secret": " (the app's Consumer Secret, shown once when the app is created)",
    "org_a_instance_url": " (instanceUrl of `sf org display --target-org <ORG A alias>`)",
    "org_a_access_token": " (accessToken of `sf org display --target-org <ORG A alias>`)",
}


def load_settings(env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings.

    ``env_file=None`` ignores ``.env``; ``environ`` replaces ``os.environ`` (tests).

    >>> load_settings(None, {"SF_TARGET": "local"}).callback_url
    'http://localhost:1717/OauthRedirect'
    """
    values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if environ is None else environ)  # environment wins
    env = {k: (v.strip() if isinstance(v, str) else None) for k, v in values.items()}

    def get(name: str, default: str | None = None) -> str | None:
        return env.get(name) or default

    target = (get("SF_TARGET", "local") or "").lower()
    if target not in TARGETS:
        raise ConfigurationError(f"SF_TARGET={target!r} is not valid: use 'local' (the local "
                                 "orgs, the default) or 'salesforce' (real orgs)")
    port_base = _port_base(get(LOCALORG_PORT_BASE_ENV))
    data = get(LOCALORG_DATA_ENV)
    data_dir = Path(data).expanduser().resolve() if data else LOCALORG_DEFAULT_DATA_DIR
    default_login = (f"http://127.0.0.1:{port_base}" if target == "local"
                     else DEFAULT_SALESFORCE_LOGIN_URL)
    login_url = _login_url(get("SF_LOGIN_URL", default_login) or "", target, port_base)
    client_id = get("SF_CLIENT_ID")
    if client_id and not re.fullmatch(r"[\x21-\x7e]+", client_id):
        raise ConfigurationError("SF_CLIENT_ID contains spaces or unusual characters: copy "
                                 "the Consumer Key again, without quotes or line breaks")
    org_a = get("SF_ORG_A_INSTANCE_URL")
    if org_a:
        org_a = org_a.rstrip("/")
        if target == "salesforce":
            try:
                TrustPolicy().check(org_a, "SF_ORG_A_INSTANCE_URL")
            except UntrustedInstanceError as exc:
                raise ConfigurationError(f"{exc}: use the instanceUrl that `sf org display` "
                                         "prints") from None
    return Settings(
        target=target, login_url=login_url, client_id=client_id,
        client_secret=get("SF_CLIENT_SECRET"),
        callback_url=_callback_url(get("SF_CALLBACK_URL", DEFAULT_CALLBACK_URL) or ""),
        scopes=_scopes(get("SF_SCOPES", DEFAULT_SCOPES) or ""),
        org_a_instance_url=org_a, org_a_access_token=get("SF_ORG_A_ACCESS_TOKEN"),
        localorg_data=data_dir, localorg_port_base=port_base,
    )


def _local_origins(port_base: int) -> tuple[str, ...]:
    # login host, ORG A, ORG B on consecutive ports (helpers/localorg/config.ports)
    return (f"http://127.0.0.1:{port_base}", f"https://127.0.0.1:{port_base + 1}",
            f"https://127.0.0.1:{port_base + 2}")


def _port_base(raw: str | None) -> int:
    if not raw:
        return LOCALORG_DEFAULT_PORT_BASE
    if not raw.isdigit() or not 1024 <= int(raw) <= 65533:
        raise ConfigurationError(f"LOCALORG_PORT_BASE={raw!r} must be a number between 1024 "
                                 "and 65533 (the local orgs use it and the next two ports)")
    return int(raw)


def _login_url(raw: str, target: str, port_base: int) -> str:
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if parts.path or parts.query or parts.fragment or not parts.hostname:
        raise ConfigurationError(f"SF_LOGIN_URL={raw!r} must be a bare origin such as "
                                 "https://login.salesforce.com, https://test.salesforce.com or "
                                 "https://<MyDomain>.my.salesforce.com (no path)")
    if target == "local":
        allowed = _local_origins(port_base)
        if not is_loopback_literal(parts.hostname) or origin(url) not in allowed:
            raise ConfigurationError(
                f"SF_LOGIN_URL={raw!r}: with SF_TARGET=local it must be one of the local "
                f"orgs' hosts {', '.join(allowed)} (they follow LOCALORG_PORT_BASE); "
                "leave it empty for the login host")
        return url
    try:
        TrustPolicy().check(url, "SF_LOGIN_URL")
    except UntrustedInstanceError as exc:
        raise ConfigurationError(f"{exc}: use https://login.salesforce.com, "
                                 "https://test.salesforce.com or your My Domain URL") from None
    return url


def _callback_url(raw: str) -> str:
    parts = urlsplit(raw)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment
            or parts.username or parts.password or (parts.scheme == "http" and not loopback)):
        raise ConfigurationError(
            f"SF_CALLBACK_URL={raw!r} must be an https URL or http://localhost:<port>/<path> "
            f"(no #fragment, no user@), exactly as on the app's Callback URL; default "
            f"{DEFAULT_CALLBACK_URL}")
    return raw


def _scopes(raw: str) -> tuple[str, ...]:
    items = raw.replace(",", " ").split()
    bad = [s for s in items if not _SCOPE.match(s)]
    if not items or bad:
        raise ConfigurationError(f"SF_SCOPES={raw!r} must be space-separated scope names, "
                                 f"e.g. '{DEFAULT_SCOPES}'")
    return tuple(dict.fromkeys(items))
