"""Browser sessions and CSRF protection for the HTML pages of every host.

Server-side sessions: the cookie holds a random id, SQLite holds its SHA-256 hash,
the logged-in user and the CSRF token (security.md B-07, B-10). Cookies are per host
(browsers share cookies between ports of one host, so each host uses its own name).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from flask import abort, current_app, g, request
from werkzeug.wrappers import Response

from ..store import register_schema, sha256
from .proxy import allowed_origins

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
"""
register_schema(SCHEMA)

SESSION_SECONDS = 2 * 60 * 60  # Salesforce's default session timeout


@dataclass
class Session:
    id: str
    user_id: str | None
    csrf: str


def cookie_name(host: str) -> str:
    # The __Host- prefix needs Secure, which only the HTTPS instance hosts can set.
    return f"localorg_sid_{host}" if host == "login" else f"__Host-localorg_sid_{host}"


def _rt():
    return current_app.config["LOCALORG"]


def _host() -> str:
    return current_app.config["LOCALORG_HOST"]


def current_session(create: bool = False) -> Session | None:
    """The session of this browser on this host; with ``create``, start one if needed."""
    if "localorg_session" in g and (g.localorg_session is not None or not create):
        return g.localorg_session
    rt = _rt()
    sid = request.cookies.get(cookie_name(_host()))
    sess = None
    if sid:
        row = rt.store.one(
            "SELECT * FROM web_sessions WHERE id_hash=? AND host=? AND expires_at>?",
            (sha256(sid), _host(), time.time()),
        )
        if row:
            sess = Session(sid, row["user_id"], row["csrf"])
    if sess is None and create:
        sess = _new_session(None)
    g.localorg_session = sess
    return sess


def _new_session(user_id: str | None) -> Session:
    rt = _rt()
    sid = rt.rng.urlsafe("session", 32)
    csrf = rt.rng.urlsafe("csrf", 32)
    ts = time.time()
    with rt.store.tx() as db:
        db.execute(
            "INSERT INTO web_sessions(id_hash, host, user_id, csrf, created_at, expires_at)"
            " VALUES(?,?,?,?,?,?)",
            (sha256(sid), _host(), user_id, csrf, ts, ts + SESSION_SECONDS),
        )
    sess = Session(sid, user_id, csrf)
    g.localorg_session = sess
    g.localorg_set_cookie = sid
    return sess


def log_in(user_id: str) -> Session:
    """Start an authenticated session with a fresh id (no session fixation, B-10)."""
    old = current_session()
    if old is not None:
        with _rt().store.tx() as db:
            db.execute("DELETE FROM web_sessions WHERE id_hash=?", (sha256(old.id),))
    g.pop("localorg_session", None)
    return _new_session(user_id)


def log_out() -> None:
    sess = current_session()
    if sess is not None:
        with _rt().store.tx() as db:
            db.execute("DELETE FROM web_sessions WHERE id_hash=?", (sha256(sess.id),))
    g.localorg_session = None
    g.localorg_clear_cookie = True


def current_user_id() -> str | None:
    sess = current_session()
    return sess.user_id if sess else None


def csrf_token() -> str:
    """The CSRF token to put in a form (starts a session if there is none)."""
    sess = current_session(create=True)
    assert sess is not None
    return sess.csrf


def check_csrf() -> None:
    """Abort with 403 unless the POST has this session's CSRF token and a same-origin Origin."""
    origin = request.headers.get("Origin")
    own = allowed_origins(_rt().base_url(_host()))  # + the browser's host behind a proxy
    if origin and origin != "null" and origin.rstrip("/") not in own:
        abort(403, description="Cross-site form submission refused.")
    sess = current_session()
    sent = request.form.get("csrf_token", "")
    if sess is None or not hmac.compare_digest(sent.encode(), sess.csrf.encode()):
        abort(403, description="This form has expired or did not come from this page. "
                               "Go back, reload the page and try again.")


def apply_cookie(response: Response) -> Response:
    """after_request hook: send the session cookie when it was created or cleared."""
    host = _host()
    secure = host != "login" or _rt().login_tls  # serve --expose: TLS on the login host too
    # Behind jupyter-server-proxy the login host lives under a prefix (proxy.py); __Host-
    # cookies (instance hosts) must keep Path=/.
    path = (request.script_root or "/") if host == "login" else "/"
    if g.get("localorg_clear_cookie"):
        response.delete_cookie(cookie_name(host), path=path, secure=secure, httponly=True,
                               samesite="Lax")
    sid = g.get("localorg_set_cookie")
    if sid:
        response.set_cookie(cookie_name(host), sid, max_age=SESSION_SECONDS, path=path,
                            secure=secure, httponly=True, samesite="Lax")
    return response
