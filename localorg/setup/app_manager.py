"""External Client App Manager: list this org's apps, create one through a form.

Routes (instance hosts only)::

    GET  /lightning/setup/ExternalClientAppManager/home   table of the org's apps
    GET  /lightning/setup/ExternalClientAppManager/new    the "New External Client App" form
    POST /lightning/setup/ExternalClientAppManager/new    create it; shows key and secret once
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, g, request

from ..apps import SESSION_TIMEOUT_CHOICES, AppSettingsError, create_app
from ..store import callback_urls
from ..web.pages import render
from ..web.sessions import check_csrf, csrf_token
from .access import requires_org_user

BASE = "/lightning/setup/ExternalClientAppManager"

# One checkbox per Salesforce scope option: (form value, label in Setup, scopes it grants).
# Salesforce groups scopes the same way ("Perform requests at any time" grants both
# refresh_token and offline_access). The api / refresh_token / openid labels are those of
# Salesforce's External Client App guides (e.g. hosted MCP servers guide, "Create an
# External Client App"); the others follow Salesforce's Setup wording as we know it
# (UNCONFIRMED).
SCOPE_CHOICES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("api", "Manage user data via APIs (api)", ("api",)),
    ("refresh_token", "Perform requests at any time (refresh_token, offline_access)",
     ("refresh_token", "offline_access")),
    ("openid", "Access unique user identifiers (openid)", ("openid",)),
    ("id", "Access the identity URL service (id, profile, email, address, phone)",
     ("id", "profile", "email", "address", "phone")),
    ("web", "Provide access to your data via the Web (web)", ("web",)),
    ("full", "Full access (full)", ("full",)),
)
_SCOPES_OF = {value: scopes for value, _label, scopes in SCOPE_CHOICES}


def _timeout_label(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


# Session Policies > Timeout Value: the choices of Salesforce's connected app setting (Salesforce
# Help, "Manage Session Policies for a Connected App"); the ECA's list is UNCONFIRMED.
TIMEOUT_CHOICES = tuple((m, _timeout_label(m)) for m in SESSION_TIMEOUT_CHOICES)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class AppForm:
    """What the New External Client App form holds; re-rendered as typed after an error."""

    name: str = ""
    contact_email: str = ""
    callback_urls: str = ""
    scope_choices: list[str] = field(default_factory=lambda: ["api", "refresh_token"])
    # Defaults: both secrets and PKCE required. Salesforce only implies the secret defaults
    # (its headless identity guide tells SPAs to *deselect* them); PKCE on by default is
    # our choice (UNCONFIRMED: Salesforce Help's PKCE and External Client Apps pages do not
    # say), because the tutorial teaches PKCE.
    require_secret: bool = True
    require_secret_refresh: bool = True
    require_pkce: bool = True
    refresh_rotation: bool = False
    session_timeout: str = ""  # minutes as typed in the form; "": the org's timeout

    @classmethod
    def from_post(cls, form: Any) -> AppForm:
        # An unchecked checkbox is simply absent from the POST body.
        return cls(name=form.get("name", ""), contact_email=form.get("contact_email", ""),
                   callback_urls=form.get("callback_urls", ""),
                   scope_choices=form.getlist("scopes"),
                   require_secret="require_secret" in form,
                   require_secret_refresh="require_secret_refresh" in form,
                   require_pkce="require_pkce" in form,
                   refresh_rotation="refresh_rotation" in form,
                   session_timeout=form.get("session_timeout", "").strip())

    def session_timeout_minutes(self) -> int | None:
        """The chosen Timeout Value in minutes, None for the org's; a tampered value is an
        error naming the choices (never a 500)."""
        if not self.session_timeout:
            return None
        if not self.session_timeout.isdigit() or len(self.session_timeout) > 6:
            raise AppSettingsError(f"Timeout Value {self.session_timeout[:20]!r} is not a "
                                   "number of minutes; pick one from the list")
        return int(self.session_timeout)

    def scopes(self) -> list[str]:
        """The scopes the ticked options grant (unknown values pass through to be rejected)."""
        out: list[str] = []
        for choice in self.scope_choices:
            out.extend(_SCOPES_OF.get(choice, (choice,)))
        return out

    def validate_contact_email(self) -> None:
        email = self.contact_email.strip()
        if email and (len(email) > 254 or not _EMAIL.match(email)):
            raise AppSettingsError(f"Contact Email {email!r} is not an email address "
                                   "(leave it empty or write e.g. you@example.com)")


def _created(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _app_view(row: Any) -> dict[str, Any]:
    key = row["client_id"]
    return {"name": row["name"], "key_short": key[:12] + "…" + key[-4:],
            "callback_urls": callback_urls(row), "scopes": row["scopes"].split(),
            "require_secret": bool(row["require_secret"]),
            "require_secret_refresh": bool(row["require_secret_refresh"]),
            "require_pkce": bool(row["require_pkce"]),
            "refresh_rotation": bool(row["refresh_rotation"]),
            "session_timeout": _timeout_label(row["session_timeout_minutes"])
            if row["session_timeout_minutes"] else "the org's (2 hours)",
            "created": _created(row["created_at"])}


def _form_page(form: AppForm, error: str | None = None, status: int = 200):
    return render("setup_app_new.html", status=status, title="New External Client App",
                  user=g.setup_user, form=form, error=error, scope_choices=SCOPE_CHOICES,
                  timeout_choices=TIMEOUT_CHOICES, csrf_token=csrf_token())


def register(bp: Blueprint) -> None:
    """Add the External Client App Manager routes to a Setup blueprint."""

    @bp.get(BASE + "/home")
    @requires_org_user
    def app_manager_home():
        rt = current_app.config["LOCALORG"]
        rows = sorted(rt.store.apps(g.setup_org["id"]), key=lambda r: r["created_at"],
                      reverse=True)
        return render("setup_apps.html", title="External Client App Manager",
                      user=g.setup_user, apps=[_app_view(r) for r in rows])

    @bp.get(BASE + "/new")
    @requires_org_user
    def app_manager_new_form():
        return _form_page(AppForm())

    @bp.post(BASE + "/new")
    @requires_org_user
    def app_manager_create():
        check_csrf()  # B-07: 403 without this session's token or from another origin
        form = AppForm.from_post(request.form)
        rt = current_app.config["LOCALORG"]
        try:
            form.validate_contact_email()
            new = create_app(rt, g.setup_org["key"], form.name,
                             form.callback_urls.splitlines(), form.scopes(),
                             require_secret=form.require_secret,
                             require_secret_refresh=form.require_secret_refresh,
                             require_pkce=form.require_pkce,
                             refresh_rotation=form.refresh_rotation,
                             session_timeout_minutes=form.session_timeout_minutes())
        except AppSettingsError as exc:
            return _form_page(form, error=str(exc), status=400)
        # Rendered straight from the POST: the secret exists only in this response (the
        # store keeps its hash), so there is no page to redirect to that could show it.
        return render("setup_app_created.html", title="External Client App created",
                      user=g.setup_user, app_name=form.name.strip(), new_app=new,
                      scopes=form.scopes())
