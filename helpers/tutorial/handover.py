"""Continuity between notebooks: the learner's own login, handed to the next notebook.

When you log in yourself (interactive mode, local orgs) in notebook 04 or 05, the unused
authorization code and its PKCE verifier are kept in ``<LOCALORG_DATA>/learner-grant.json``
(by default ``.localorg/``, which git ignores; file mode 0600, like the app's secret). The
next notebook's set-up takes it (and deletes the file: a code is single use) instead of
letting the demo user log in, as long as the code is still valid. Salesforce accepts a code
for 15 minutes (Salesforce Help, *OAuth 2.0 Web Server Flow for Web App Integration*)::

    save_grant(target, grant)           # after your login
    take_grant(target)                  # next notebook: the grant, or None (old, absent)
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import SalesforceOAuthError
from ..oauth.authorize import AuthorizationGrant
from ..oauth.tokens import OAuthClient, Token
from ..settings import Settings
from .target import Target, write_private_json

GRANT_FILE = "learner-grant.json"
CODE_LIFETIME = 15 * 60  # seconds a Salesforce authorization code stays valid
MARGIN = 60  # leave time for the exchange itself


def _path(target: Target) -> Path:
    return Path(target.settings.localorg_data) / GRANT_FILE


def save_grant(target: Target, grant: AuthorizationGrant) -> Path | None:
    """Keep the learner's unused grant for the next notebook (local orgs only)."""
    if not target.is_local:
        return None
    path = _path(target)
    record = {"code": grant.code, "code_verifier": grant.code_verifier,
              "redirect_uri": grant.redirect_uri, "login_url": grant.login_url,
              "saved_at": time.time()}
    return write_private_json(path, record)


def take_grant(target: Target) -> AuthorizationGrant | None:
    """The saved grant if it is still usable for this target; the file is removed either way."""
    if not target.is_local:
        return None
    path = _path(target)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    finally:
        path.unlink(missing_ok=True)
    settings = target.settings
    fresh = time.time() - float(record.get("saved_at", 0)) < CODE_LIFETIME - MARGIN
    same = (record.get("login_url") == settings.login_url
            and record.get("redirect_uri") == settings.callback_url)
    if not (fresh and same and record.get("code") and record.get("code_verifier")):
        return None
    return AuthorizationGrant(record["code"], record["code_verifier"], record["redirect_uri"],
                              record["login_url"])


# -- Real orgs and the classroom: one grant for every notebook -------------------------------
#
# Salesforce keeps at most five approvals per user and app; the sixth revokes the oldest
# refresh token (Salesforce Help, "Manage OAuth-Enabled Connected Apps Access to Your Data").
# A fresh login in every notebook would therefore silently kill the refresh tokens of earlier
# kernels. So after the first code exchange the refresh token is kept, like the Consumer
# Secret in .env: in a git-ignored file (mode 0600) of the local data folder, and each later
# notebook refreshes instead of logging in again. `forget_saved_session()` (or revoking the
# token, notebook 09) ends it.

SESSION_FILE = "org-b-session.json"


def _session_path(settings: Settings) -> Path:
    return Path(settings.localorg_data) / SESSION_FILE


def save_session(settings: Settings, token: Token) -> Path | None:
    """Keep ``token``'s refresh token for the next notebooks (0600, git-ignored)."""
    if not token.refresh_token:
        return None
    path = _session_path(settings)
    record = {"login_url": settings.login_url, "client_id": settings.client_id,
              "instance_url": token.instance_url, "id": token.id_url,
              "scopes": list(token.scopes), "refresh_token": token.refresh_token}
    return write_private_json(path, record)


def resume_session(settings: Settings, client: OAuthClient) -> Token | None:
    """A fresh access token from the kept refresh token, or None (none kept, another app or
    login host, or Salesforce refused it: then the file is removed and you log in again)."""
    path = _session_path(settings)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (record.get("login_url"), record.get("client_id")) != (settings.login_url,
                                                              settings.client_id):
        return None
    kept = Token(access_token="", instance_url=record["instance_url"], id_url=record["id"],
                 issued_at=datetime.now(timezone.utc), scopes=tuple(record.get("scopes", ())),
                 refresh_token=record.get("refresh_token"))
    try:
        token = client.refresh(kept)
    except SalesforceOAuthError:  # revoked, expired by policy, or the sixth approval
        path.unlink(missing_ok=True)
        return None
    if token.refresh_token != kept.refresh_token:  # rotation: keep the new one
        save_session(settings, token)
    return token


def forget_saved_session(settings: Settings) -> bool:
    """Delete the kept refresh token (it stays valid at Salesforce until revoked)."""
    path = _session_path(settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
