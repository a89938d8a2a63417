"""The consent ("Allow Access?") page and remembered approvals.

Like Salesforce, a user who already allowed an app is not asked again unless the app
asks for new scopes or sends ``prompt=consent``.
"""

from __future__ import annotations

import time

from flask import current_app

from ..web import sessions
from ..web.pages import render

# Salesforce's labels for the scopes the local orgs support.
SCOPE_LABELS = {
    "api": "Manage user data via APIs (api)",
    "refresh_token": "Perform requests at any time (refresh_token, offline_access)",
    "offline_access": "Perform requests at any time (refresh_token, offline_access)",
    "id": "Access the identity URL service (id, profile, email, address, phone)",
    "profile": "Access the identity URL service (id, profile, email, address, phone)",
    "email": "Access the identity URL service (id, profile, email, address, phone)",
    "address": "Access the identity URL service (id, profile, email, address, phone)",
    "phone": "Access the identity URL service (id, profile, email, address, phone)",
    "openid": "Access unique user identifiers (openid)",
    "full": "Full access (full)",
    "web": "Access the Salesforce API platform (web)",
}


def scope_labels(scope: str) -> list[str]:
    """Human descriptions of a scope string, without duplicates, in request order."""
    return list(dict.fromkeys(SCOPE_LABELS.get(s, s) for s in scope.split()))


def _store():
    return current_app.config["LOCALORG"].store


def previously_approved(user_id: str, app_id: str, scope: str) -> bool:
    row = _store().one("SELECT scope FROM oauth_approvals WHERE user_id=? AND app_id=?",
                       (user_id, app_id))
    return row is not None and set(scope.split()) <= set(row["scope"].split())


def remember_approval(user_id: str, app_id: str, scope: str) -> None:
    with _store().tx() as db:
        row = db.execute("SELECT scope FROM oauth_approvals WHERE user_id=? AND app_id=?",
                         (user_id, app_id)).fetchone()
        merged = dict.fromkeys((row["scope"].split() if row else []) + scope.split())
        db.execute("INSERT INTO oauth_approvals(user_id, app_id, scope, approved_at)"
                   " VALUES(?,?,?,?) ON CONFLICT(user_id, app_id) DO UPDATE SET"
                   " scope=excluded.scope, approved_at=excluded.approved_at",
                   (user_id, app_id, " ".join(merged), time.time()))


def consent_page(client, user, scope: str, form_action: str):
    """The Allow / Deny page; the form posts back to the same authorize URL."""
    org = _store().org(user["org_id"])
    return render("consent.html", title="Allow Access?", app_name=client.name, user=user,
                  org_name=org["name"],
                  scopes=scope_labels(scope), form_action=form_action,
                  csrf_token=sessions.csrf_token())
