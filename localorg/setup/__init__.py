"""Setup pages of each org: Setup home, External Client App Manager, the Accounts list.

Server-rendered Jinja pages on the instance hosts (ORG A and ORG B), for a logged-in
user of that org. Example: ``https://localhost:8702/lightning/setup/SetupOneHome/home``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g

from ..web.pages import render
from . import accounts, app_manager
from .access import requires_org_user


def blueprint(host: str) -> Blueprint:
    """The Setup routes of an instance host (``"A"`` or ``"B"``)."""
    bp = Blueprint(f"setup_{host}", __name__)

    @bp.get("/lightning/setup/SetupOneHome/home")
    @requires_org_user
    def setup_home():
        rt = current_app.config["LOCALORG"]
        return render("setup_home.html", title="Setup Home", user=g.setup_user,
                      instance_url=rt.instance_url(g.setup_org["key"]))

    app_manager.register(bp)
    accounts.register(bp)
    return bp
