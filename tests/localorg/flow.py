"""Drive the local orgs' OAuth web server flow through its real HTML forms, over HTTP.

For tests that need a token (REST, Apex REST, client helpers) or that probe one step::

    from tests.localorg.flow import authorize, get_tokens, pkce_pair

    app = orgs.create_app(scopes="api refresh_token")          # ORG B app by default
    tokens = get_tokens(orgs, app)                              # full flow, token JSON
    tokens["access_token"], tokens["instance_url"], tokens.get("refresh_token")

    verifier, challenge = pkce_pair()
    result = authorize(orgs, app.client_id, DEFAULT_CALLBACK, code_challenge=challenge,
                       decision="allow")                        # or "deny"
    result.code, result.state, result.error, result.location   # the 302, not followed
    exchange_code(orgs, app, result.code, verifier)             # raw token Response

Failures raise ``FlowError`` (e.g. an error page instead of the redirect); probe error
pages with ``orgs.session().get(authorize_url(...), allow_redirects=False)`` instead.

The browser part runs on ``orgs.login_url`` by default (``host=`` picks ``"A"``/``"B"``
instead); HTTPS calls trust the local CA through ``orgs.session()``. Form fields are
Salesforce's: login ``username``/``pw``/``csrf_token``/``startURL`` posted to ``/``;
consent ``csrf_token`` + ``decision=allow|deny`` posted back to the authorize URL.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from localorg import ScriptedBrowser, ScriptedLoginError

DEFAULT_CALLBACK = "http://localhost:1717/OauthRedirect"  # conftest's create_app default
AUTHORIZE_PATH = "/services/oauth2/authorize"
TOKEN_PATH = "/services/oauth2/token"


class FlowError(AssertionError):
    """The server answered something the flow did not expect (status, page)."""


@dataclass
class CallbackResult:
    """Where the authorization server sent the browser back to (not followed)."""

    location: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def error(self) -> str | None:
        return self.params.get("error")

    @property
    def error_description(self) -> str | None:
        return self.params.get("error_description")


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, S256 code_challenge)."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def base_url(orgs, host: str = "login") -> str:
    return orgs.login_url if host == "login" else orgs.instance_url(host)


def authorize_url(orgs, client_id: str, redirect_uri: str = DEFAULT_CALLBACK, *,
                  host: str = "login", scope: str | None = None, state: str | None = "st-1",
                  code_challenge: str | None = None, code_challenge_method: str | None = "S256",
                  **extra: str) -> str:
    """The authorize URL a client would send the browser to (``extra``: prompt, nonce...)."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    if scope is not None:
        params["scope"] = scope
    if state is not None:
        params["state"] = state
    if code_challenge is not None:
        params["code_challenge"] = code_challenge
        if code_challenge_method is not None:
            params["code_challenge_method"] = code_challenge_method
    params.update(extra)
    return base_url(orgs, host) + AUTHORIZE_PATH + "?" + urlencode(params)


def login(session: requests.Session, page: requests.Response, username: str,
          password: str) -> requests.Response:
    """Submit the login form shown in ``page``; returns the (unfollowed) response."""
    return ScriptedBrowser(session=session, timeout=30).login(page, username, password)


def authorize(orgs, client_id: str, redirect_uri: str = DEFAULT_CALLBACK, org: str = "B", *,
              host: str = "login", scope: str | None = None, state: str | None = "st-1",
              code_challenge: str | None = None, code_challenge_method: str | None = "S256",
              session: requests.Session | None = None,
              decision: str = "allow", username: str | None = None,
              password: str | None = None, **extra: str) -> CallbackResult:
    """Browser part: open the authorize URL, log in as ``org``'s demo user if asked, answer
    the consent page with ``decision`` if shown; return the redirect to the callback.

    Pass the same ``session`` again to reuse the login (and the remembered consent).
    """
    user = orgs.user(org)
    url = authorize_url(orgs, client_id, redirect_uri, host=host, scope=scope, state=state,
                        code_challenge=code_challenge,
                        code_challenge_method=code_challenge_method, **extra)
    return follow(session or orgs.session(), url, username or user["username"],
                  password or user["password"], decision)


def follow(s: requests.Session, url: str, username: str, password: str,
           decision: str = "allow") -> CallbackResult:
    """Open an authorize URL as built, log in if asked, answer the consent page if shown;
    return the redirect to the callback (not followed). The pages are driven by
    ``localorg.ScriptedBrowser``, the project's one form-driving implementation."""
    try:
        location = ScriptedBrowser(session=s, timeout=30).authorize(url, username, password,
                                                                    decision)
    except ScriptedLoginError as exc:
        raise FlowError(f"expected a redirect to the callback: {exc}") from None
    query = parse_qs(urlsplit(location).query, keep_blank_values=True)
    return CallbackResult(location, {k: v[0] for k, v in query.items()})


def exchange_code(orgs, app, code: str, verifier: str | None,
                  redirect_uri: str = DEFAULT_CALLBACK, host: str = "login",
                  session: requests.Session | None = None) -> requests.Response:
    """POST the token request (client_secret_post); returns the raw response."""
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.client_secret, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    s = session or orgs.session()
    return s.post(base_url(orgs, host) + TOKEN_PATH, data=data, allow_redirects=False,
                  timeout=30)


def get_tokens(orgs, app, org: str = "B", scope: str | None = None,
               redirect_uri: str = DEFAULT_CALLBACK, host: str = "login",
               session: requests.Session | None = None, **extra: str) -> dict:
    """The whole web server flow (PKCE S256 + client_secret_post) for ``org``'s demo user.

    ``app`` is what ``orgs.create_app(...)`` returned; returns the token JSON.
    ``extra`` goes to the authorize URL (e.g. ``nonce="n1"``, ``prompt="consent"``).
    """
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(16)
    result = authorize(orgs, app.client_id, redirect_uri, org, host=host, scope=scope,
                       state=state, code_challenge=challenge, session=session, **extra)
    if result.code is None or result.state != state:
        raise FlowError(f"no code in the callback: {result.location}")
    resp = exchange_code(orgs, app, result.code, verifier, redirect_uri, host)
    if resp.status_code != 200:
        raise FlowError(f"token request failed: {resp.status_code} {resp.text}")
    return resp.json()
