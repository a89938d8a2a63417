"""Administration of a local data folder: what a trainer, the tutorial or a test may change.

Everything here works whether or not the server is running (it writes to the orgs'
SQLite database in WAL mode, which the server reads on its next request). The public
names are re-exported by ``localorg`` itself; nothing outside this package opens the
database or imports its modules::

    import localorg
    app = localorg.create_app("Tutorial app", ["http://localhost:1717/OauthRedirect"])
    localorg.check_app_credentials(app.client_id, app.client_secret,
                                   "http://localhost:1717/OauthRedirect")   # -> app name
    localorg.expire_access_token(access_token)    # the next REST call gets 401
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from . import config
from .apps import NewApp
from .apps import create_app as _create_app
from .runtime import LocalOrg, open_runtime
from .store import callback_urls, sha256
from .workshop.learners import DEFAULT_CALLBACK, Learner
from .workshop.learners import add_learners as _add_learners

DataDir = str | os.PathLike[str] | None


class AppCredentialsError(ValueError):
    """A Consumer Key or Secret does not match the org's app; the message says what to do."""


def _runtime(data_dir: DataDir) -> LocalOrg:
    return open_runtime(config.data_dir(data_dir), config.port_base(None), with_tls=False)


def _org_id(rt: LocalOrg, org: str) -> str:
    row = rt.store.org(org)
    if row is None:
        raise ValueError(f"no org {org!r} in {rt.data_dir}: use 'A' or 'B'")
    return row["id"]


def create_app(name: str, callback_urls: list[str] | str, org: str = "B",
               scopes: str = "api refresh_token", *, require_pkce: bool = True,
               require_secret: bool = True, require_secret_refresh: bool = True,
               refresh_rotation: bool = False, session_timeout_minutes: int | None = None,
               data_dir: DataDir = None) -> NewApp:
    """Create an External Client App in a local org; returns its Consumer Key and Secret.

    ``session_timeout_minutes`` is the app's own session timeout (15, 30, 60, 120, 240, 480,
    720 or 1440): an access token unused that long expires. None: the org's 2 hours.
    """
    urls = [callback_urls] if isinstance(callback_urls, str) else list(callback_urls)
    return _create_app(_runtime(data_dir), org, name, urls, scopes,
                       require_secret=require_secret,
                       require_secret_refresh=require_secret_refresh,
                       require_pkce=require_pkce, refresh_rotation=refresh_rotation,
                       session_timeout_minutes=session_timeout_minutes)


def add_learners(learners: int | Sequence[str | tuple[str, str | None]],
                 callback_urls: Sequence[str] | str | None = None,
                 scopes: str = "api refresh_token", *, data_dir: DataDir = None) -> list[Learner]:
    """Create workshop learners: a user and an app in ORG A and in ORG B for each.

    ``learners`` is a count (names "Learner NN") or a list of names or ``(name, email)``
    pairs. Returns their credentials (shown once)::

        for learner in localorg.add_learners(3):
            learner.org_b_username, learner.org_b_password, learner.client_id
    """
    if isinstance(learners, int):
        roster: list[tuple[str | None, str | None]] = [(None, None)] * learners
    else:
        roster = [(x, None) if isinstance(x, str) else (x[0], x[1]) for x in learners]
    urls = [callback_urls] if isinstance(callback_urls, str) else list(callback_urls or [])
    return _add_learners(_runtime(data_dir), roster, urls or [DEFAULT_CALLBACK], scopes)


def check_app_credentials(client_id: str, client_secret: str, callback_url: str,
                          org: str = "B", *, data_dir: DataDir = None) -> str:
    """Check a pasted Consumer Key and Secret against an org's apps; return the app's name.

    Raises :class:`AppCredentialsError` saying which of the three does not match, so a
    copy-paste slip is caught before the learner's login fails further down.
    """
    rt = _runtime(data_dir)
    row = rt.store.app_by_client_id((client_id or "").strip())
    if row is None or row["org_id"] != _org_id(rt, org):
        raise AppCredentialsError(f"ORG {org} has no app with that Consumer Key: copy it again "
                                  "from the app's page in the External Client App Manager")
    if sha256((client_secret or "").strip()) != row["client_secret_hash"]:
        raise AppCredentialsError("that Consumer Secret does not belong to this app: copy it "
                                  "again (it is shown once, right after creating the app)")
    if callback_url not in callback_urls(row):
        raise AppCredentialsError(f"the app's Callback URL must include {callback_url} exactly "
                                  "(SF_CALLBACK_URL): create the app again with it")
    return row["name"]


def _expire(table: str, column: str, secret: str, data_dir: DataDir, extra: str = "") -> bool:
    with _runtime(data_dir).store.tx() as db:
        changed = db.execute(f"UPDATE {table} SET expires_at=? WHERE {column}=?{extra}",  # noqa: S608
                             (time.time() - 1, sha256(secret)))
        return changed.rowcount == 1


def expire_access_token(access_token: str, *, data_dir: DataDir = None) -> bool:
    """Make an access token expire now, as if its session had timed out (no waiting).

    Returns False when the orgs do not know the token. The next REST call with it gets
    401 ``INVALID_SESSION_ID``; the refresh token still works.
    """
    return _expire("oauth_tokens", "token_hash", access_token, data_dir, " AND kind='access'")


def expire_code(code: str, *, data_dir: DataDir = None) -> bool:
    """Make an authorization code expire now (its 15-minute life over); False if unknown."""
    return _expire("oauth_codes", "code_hash", code, data_dir)


def api_usage(org: str = "B", *, data_dir: DataDir = None) -> int:
    """The org's API requests in the last 24 hours (what ``Sforce-Limit-Info`` reports)."""
    from .rest.auth import usage

    rt = _runtime(data_dir)
    return usage(rt.store, _org_id(rt, org))


def set_api_usage(org: str, used: int, *, data_dir: DataDir = None) -> None:
    """Make the org's rolling 24-hour API counter read ``used`` (to show the daily limit)."""
    rt = _runtime(data_dir)
    org_id = _org_id(rt, org)
    with rt.store.tx() as db:
        db.execute("DELETE FROM api_usage WHERE org_id=?", (org_id,))
        db.execute("INSERT INTO api_usage(org_id, minute, count) VALUES(?,?,?)",
                   (org_id, int(time.time() // 60), used))


def stored_records(org: str = "B", *, data_dir: DataDir = None) -> int:
    """Rows in the org's record table, deleted ones too: proves that nothing was written."""
    rt = _runtime(data_dir)
    return rt.store.one("SELECT count(*) AS n FROM records WHERE org_id=?",
                        (_org_id(rt, org),))["n"]


def inject_fault(org: str, path_prefix: str, status: int, times: int = 1, *,
                 method: str | None = None, retry_after: int | None = None,
                 after_commit: bool = False, data_dir: DataDir = None) -> None:
    """Make the next ``times`` REST calls under ``path_prefix`` answer ``status`` (429, 5xx).

    With ``after_commit`` the work is done first and the error answered afterwards (a
    response lost on the way back), so retries can be shown to be idempotent.
    """
    from .rest import faults  # noqa: F401  (registers its table)

    rt = _runtime(data_dir)
    with rt.store.tx() as db:
        db.execute("INSERT INTO rest_faults(org_id, path_prefix, method, status, remaining, "
                   "retry_after, after_commit) VALUES(?,?,?,?,?,?,?)",
                   (_org_id(rt, org), path_prefix, method, status, times, retry_after,
                    int(after_commit)))


def clear_faults(*, data_dir: DataDir = None) -> None:
    """Remove every injected fault."""
    from .rest import faults  # noqa: F401  (registers its table)

    with _runtime(data_dir).store.tx() as db:
        db.execute("DELETE FROM rest_faults")


def unlock(username: str, *, data_dir: DataDir = None) -> int:
    """Forget a user's failed logins from every address, so they can log in at once.

    For trainers: a learner who mistyped too often waits a growing delay (security.md B-38);
    ``python -m localorg unlock USERNAME`` does the same. Returns how many failures were
    forgotten (0 for an unknown name)::

        localorg.unlock("learner01@org-b.localorg.test")
    """
    from .oauth import throttle

    return throttle.unlock(_runtime(data_dir).store, username)


def data_path(data_dir: DataDir = None) -> Path:
    """The data folder these functions use: the argument, ``$LOCALORG_DATA`` or the default."""
    return config.data_dir(data_dir)
