"""The login page (``/``), logout (``/secur/logout.jsp``); throttling is in :mod:`.throttle`
(B-12, B-38).

Field names are Salesforce's: ``username``, ``pw``, plus hidden ``csrf_token`` and
``startURL``. After a successful login the browser goes back to ``startURL`` (a path
on this host only: no open redirect) with a 302, never a 307 (B-11).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import current_app, redirect, request
from werkzeug.security import check_password_hash

from ..web import sessions
from ..web.context import host_org
from ..web.pages import render
from ..workshop.expose import demo_login_refused
from . import throttle

log = logging.getLogger("localorg")

BAD_LOGIN = ("Please check your username and password. If you still can't log in, "
             "contact your Salesforce administrator.")
# serve --expose: the demo users' passwords are public, so only the trainer's machine uses them.
DEMO_USER_REMOTE = ("The demo users only log in on the trainer's machine. Use the username and "
                    "password from your workshop handout.")
# Compared against when the username is unknown, so it takes as long as a learner's login
# (600,000 iterations, config.LEARNER_PASSWORD_METHOD); demo users' names are public anyway.
_DUMMY_HASH = "pbkdf2:sha256:600000$localorg$" + "0" * 64
SETUP_HOME = "/lightning/setup/SetupOneHome/home"


def _rt():
    return current_app.config["LOCALORG"]


def _host() -> str:
    return current_app.config["LOCALORG_HOST"]


def safe_start_url(value: str | None) -> str | None:
    """``value`` if it is a path on this host (``/…``, not ``//…``), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in value):
        return None
    return value


def login_page(start_url: str | None = None, username: str = "", error: str | None = None,
               status: int = 200):
    """Render the login form (also used inline by the authorize endpoint)."""
    return render("login.html", status=status, csrf_token=sessions.csrf_token(),
                  start_url=start_url or "", username=username, error=error,
                  title="Login | Salesforce")


def _throttled_page(retry_after: int, start_url: str | None):
    minutes = max(1, round(retry_after / 60))
    html, _, headers = login_page(start_url, status=429, error=(
        f"Too many failed logins for this username from this computer. Wait about {minutes} "
        "minute(s) and try again, or ask the trainer to run "
        "python -m localorg unlock USERNAME."))
    return html, 429, {**headers, "Retry-After": str(retry_after)}


def _user_for_host(username: str):
    user = _rt().store.user_by_username(username)
    if user is None or not user["active"]:
        return None
    if _host() != "login":
        if user["org_id"] != host_org()["id"]:
            return None  # an instance host only lets its own org's users in
    return user


def _after_login_target(start_url: str | None) -> str:
    if start_url:
        return start_url
    return SETUP_HOME if _host() != "login" else "/"


def login_view():
    start_url = safe_start_url(request.values.get("startURL"))
    if request.method == "GET":
        user_id = sessions.current_user_id()
        if user_id and start_url:
            return redirect(start_url, code=302)
        if user_id:
            if _host() != "login":
                return redirect(SETUP_HOME, code=302)
            user = _rt().store.user(user_id)
            return render("logged_in.html", user=user, title="Logged in")
        return login_page(start_url, username=request.args.get("un", ""))

    sessions.check_csrf()
    username = request.form.get("username", "").strip()
    password = request.form.get("pw", "")
    addr = request.remote_addr
    # Checked before counting: a remote demo login is refused whatever the password, so it
    # must neither use a slot nor reveal whether the password was right (B-36).
    if username and demo_login_refused(_rt(), username, addr):
        return login_page(start_url, username=username, error=DEMO_USER_REMOTE, status=403)
    # Reserve the attempt before the slow hash: counted and recorded atomically (B-38).
    wait = throttle.reserve(_rt().store, username, addr, time.time())
    if wait:
        log.warning("login throttled: too many failed logins for one username from one address")
        return _throttled_page(wait, start_url)
    user = _user_for_host(username) if username else None
    ok = check_password_hash(user["password_hash"] if user else _DUMMY_HASH, password)
    if not (user and ok):
        return login_page(start_url, username=username, error=BAD_LOGIN)
    throttle.succeeded(_rt().store, username, addr)
    sessions.log_in(user["id"])
    return redirect(_after_login_target(start_url), code=302)


def logout_view():
    sessions.log_out()
    return redirect("/", code=302)


def register(bp) -> None:
    bp.add_url_rule("/", "login", login_view, methods=["GET", "POST"])
    bp.add_url_rule("/secur/logout.jsp", "logout", logout_view, methods=["GET", "POST"])
