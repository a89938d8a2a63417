"""``/services/oauth2/authorize``: validation order, login, consent, code (Salesforce Help,
"OAuth 2.0 Web Server Flow for Web App Integration").

Order (security.md B-02): the client and its redirect URI are checked first and any
problem with them is an HTML error page with no redirect. Only then do errors go
back to the callback with ``error``, ``error_description`` and ``state``.
The consent form posts to this same URL, so every check runs again on the POST.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import current_app, request

from ..web import sessions
from ..web.context import host_org
from .clients import query_client
from .consent import consent_page, previously_approved, remember_approval
from .errors import (
    CLIENT_ID_INVALID,
    CROSS_ORG,
    DENIED,
    IMMEDIATE_FAILED,
    PKCE_MISSING,
    REDIRECT_MISMATCH,
    REDIRECT_MISSING,
    authorize_error_page,
    redirect_error,
    safe_description,
)
from .login import login_page
from .server import server
from .tokens import load_user

PATH = "/services/oauth2/authorize"


def _rt():
    return current_app.config["LOCALORG"]


def _prompts() -> set[str]:
    return set(request.args.get("prompt", "").split())


def _start_url_after_login() -> str:
    """This authorize URL without ``prompt=login``, so logging in does not loop."""
    params = []
    for key, value in request.args.items(multi=True):
        if key == "prompt":
            value = " ".join(p for p in value.split() if p != "login")
            if not value:
                continue
        params.append((key, value))
    return PATH + "?" + urlencode(params)


def authorize_view():
    args = request.args
    # 1. The client (an HTML page, never a redirect: the callback is not trusted yet).
    if len(args.getlist("client_id")) > 1 or len(args.getlist("redirect_uri")) > 1:
        return authorize_error_page("invalid_request", "duplicate client_id or redirect_uri")
    client = query_client(args.get("client_id"))
    if client is None:
        return authorize_error_page(*CLIENT_ID_INVALID)
    # 2. The redirect URI, byte-identical to a Callback URL (B-01).
    redirect_uri = args.get("redirect_uri")
    if not redirect_uri:
        return authorize_error_page(*REDIRECT_MISSING)
    if not client.check_redirect_uri(redirect_uri):
        return authorize_error_page(*REDIRECT_MISMATCH)
    host = current_app.config["LOCALORG_HOST"]
    if host != "login" and client.org_id != host_org()["id"]:
        return authorize_error_page(*CROSS_ORG)  # another org's app (errors.CROSS_ORG)
    state = args.get("state") or None
    # 3. Everything else goes back to the client (B-04, B-05).
    repeated = [k for k in args if len(args.getlist(k)) > 1]
    if repeated:
        return redirect_error(redirect_uri, "invalid_request",
                              safe_description(f"duplicate parameter {repeated[0]}"), state)
    response_type = args.get("response_type")
    if not response_type:
        return redirect_error(redirect_uri, "invalid_request", "response_type is missing", state)
    if response_type != "code":  # the web server flow only (implicit flow not offered)
        return redirect_error(redirect_uri, "unsupported_response_type",
                              "response type not supported", state)
    try:
        grant = server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        if (error.error, error.description) == PKCE_MISSING:
            return authorize_error_page(*PKCE_MISSING)  # Salesforce: a page, no redirect
        return redirect_error(redirect_uri, error.error, error.description, state)

    # 4. The user: log in (again with prompt=login), then only users of the app's org.
    user = load_user(sessions.current_user_id() or "")
    immediate = args.get("immediate") == "true"  # no page may be shown (Developer Guide)
    if immediate and (user is None or "login" in _prompts()):
        return redirect_error(redirect_uri, *IMMEDIATE_FAILED, state)
    if user is None or "login" in _prompts():
        if request.method == "POST":  # a consent POST from a session that has since ended
            sessions.check_csrf()
        return login_page(_start_url_after_login(), username=args.get("login_hint", ""))
    if user.org_id != client.org_id:
        return authorize_error_page(*CROSS_ORG)

    # 5. Consent, unless this user already allowed these scopes for this app.
    scope = grant.request.scope
    if request.method == "POST":
        sessions.check_csrf()
        if request.form.get("decision") != "allow":
            return redirect_error(redirect_uri, *DENIED, state)
        remember_approval(user.id, client.app_id, scope)
    elif "consent" in _prompts() or not previously_approved(user.id, client.app_id, scope):
        if immediate:
            return redirect_error(redirect_uri, *IMMEDIATE_FAILED, state)
        return consent_page(client, _rt().store.user(user.id), scope, request.full_path)
    return server().create_authorization_response(grant=grant, grant_user=user)


def register(bp) -> None:
    bp.add_url_rule(PATH, "authorize", authorize_view, methods=["GET", "POST"])
