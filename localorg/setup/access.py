"""Who may open an org's Setup pages: a logged-in, active user of that same org.

Sessions are per host (``web.sessions``), so a session of ORG A never counts on ORG B.
The user's org is checked as well, in case a session on one host holds another org's user.

Example::

    @bp.get("/lightning/setup/SetupOneHome/home")
    @requires_org_user
    def home():
        return render("setup_home.html", user=g.setup_user)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, redirect, request

from ..web.context import host_org
from ..web.pages import error_page
from ..web.sessions import current_user_id


def login_redirect_target() -> str:
    """``/?startURL=<this page>``: Salesforce's My Domain login page, returning here after."""
    target = request.path
    if request.query_string:
        target += "?" + request.query_string.decode("ascii", "replace")
    return "/?" + urlencode({"startURL": target})


def requires_org_user(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run ``view`` only for an active user of this host's org.

    Sets ``g.setup_org`` and ``g.setup_user`` (rows of ``orgs`` and ``users``).
    Logged out → 302 to the login page; a user of another org → 403.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        rt = current_app.config["LOCALORG"]
        org = host_org()
        user_id = current_user_id()
        user = rt.store.user(user_id) if user_id else None
        if user is None:
            return redirect(login_redirect_target(), code=302)
        if user["org_id"] != org["id"]:
            return error_page("Not a user of this org",
                              f"You are logged in as {user['username']}, who is not a user of "
                              f"{org['name']}. Log in with a user of this org to open its Setup.",
                              status=403)
        if not user["active"]:
            return error_page("User is inactive",
                              f"The user {user['username']} is inactive and cannot open Setup.",
                              status=403)
        g.setup_org = org
        g.setup_user = user
        return view(*args, **kwargs)

    return wrapper
