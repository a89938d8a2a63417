"""Step 1 of the web server flow: the authorization URL the user opens in a browser.

::

    flow = AuthorizationFlow(login_url="https://login.salesforce.com",
                             client_id="3MVG9...", redirect_uri="http://localhost:1717/OauthRedirect")
    flow.authorization_url       # open it in the browser
    flow.components()            # each part of the URL, explained (a table in Jupyter)

A flow object holds this login's fresh ``state`` (CSRF protection, 32 random bytes) and
PKCE verifier. Use one flow per login: its state is accepted once (A-01, A-02).
"""

from __future__ import annotations

import hmac
import html
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from ..errors import StateMismatchError
from ..transcript import mask
from .pkce import new_code_verifier, s256_challenge

if TYPE_CHECKING:
    from ..settings import Settings

AUTHORIZE_PATH = "/services/oauth2/authorize"
STATE_BYTES = 32  # >= 128 bits of entropy; RFC 6749 §10.10 asks for at least that
PROMPTS = ("login", "consent", "select_account", "login consent")


@dataclass(frozen=True)
class Component:
    """One part of the authorization URL and why it is there."""

    name: str
    value: str
    explanation: str


class Components(list):
    """The parts of the authorization URL; a table in Jupyter."""

    def __str__(self) -> str:
        return "\n".join(f"{c.name:24} {c.value}\n{'':24} {c.explanation}" for c in self)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><code>{html.escape(c.name)}</code></td><td><code>"
                       f"{html.escape(c.value)}</code></td><td>{html.escape(c.explanation)}"
                       "</td></tr>" for c in self)
        return f"<table><tr><th>part</th><th>value</th><th>why</th></tr>{rows}</table>"


@dataclass(frozen=True, repr=False)
class AuthorizationGrant:
    """What the callback delivers, ready for the token request: code + this flow's PKCE verifier."""

    code: str
    code_verifier: str
    redirect_uri: str
    login_url: str

    def __repr__(self) -> str:
        return f"AuthorizationGrant(code={mask(self.code)!r}, redirect_uri={self.redirect_uri!r})"

    __str__ = __repr__


class AuthorizationFlow:
    """One login attempt: state, PKCE verifier and the authorization URL built from them."""

    def __init__(self, login_url: str, client_id: str, redirect_uri: str,
                 scopes: tuple[str, ...] | list[str] | str = ("api", "refresh_token"), *,
                 prompt: str | None = None, login_hint: str | None = None) -> None:
        if not client_id:
            raise ValueError("client_id (the app's Consumer Key) is required")
        if prompt is not None and prompt not in PROMPTS:
            raise ValueError(f"prompt must be one of {PROMPTS}")
        self.login_url = login_url.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes.split() if isinstance(scopes, str) else scopes)
        self.prompt = prompt
        self.login_hint = login_hint
        self._state: str | None = secrets.token_urlsafe(STATE_BYTES)
        self._verifier = new_code_verifier()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: str | None) -> AuthorizationFlow:
        """A flow for the configured org and app (``prompt``/``login_hint`` optional)."""
        settings.require("client_id")
        return cls(settings.login_url, settings.client_id or "", settings.callback_url,
                   settings.scopes, **kwargs)  # type: ignore[arg-type]

    @property
    def authorize_endpoint(self) -> str:
        return self.login_url + AUTHORIZE_PATH

    @property
    def code_challenge(self) -> str:
        return s256_challenge(self._verifier)

    def parameters(self) -> list[tuple[str, str]]:
        """The query parameters, in order. Never a client secret (A-06)."""
        params = [("response_type", "code"), ("client_id", self.client_id),
                  ("redirect_uri", self.redirect_uri), ("scope", " ".join(self.scopes)),
                  ("state", self._state or "(used)"), ("code_challenge", self.code_challenge),
                  ("code_challenge_method", "S256")]
        if self.prompt:
            params.append(("prompt", self.prompt))
        if self.login_hint:
            params.append(("login_hint", self.login_hint))
        return params

    @property
    def authorization_url(self) -> str:
        """The URL to open; spaces in ``scope`` are ``%20`` like Salesforce's examples."""
        return f"{self.authorize_endpoint}?{urlencode(self.parameters(), quote_via=quote)}"

    def components(self) -> Components:
        """Each part of the authorization URL with an explanation (the blog's components 1-4,
        plus scope, state and PKCE)."""
        why = {
            "response_type": "Component 4: 'code' asks for an authorization code (web server "
                             "flow), exchanged for tokens by the server side afterwards.",
            "client_id": "Component 2: the app's Consumer Key, from the External Client App "
                         "in the org that grants access (ORG B).",
            "redirect_uri": "Component 3: where the browser is sent back with the code; must "
                            "match the app's Callback URL exactly.",
            "scope": "What the token may do: 'api' for REST calls, 'refresh_token' to get a "
                     "refresh token for later.",
            "state": "A fresh random value for this login only; the callback must bring it "
                     "back unchanged, which proves the response answers our request (CSRF).",
            "code_challenge": "SHA-256 of a secret verifier kept in this notebook (PKCE); only "
                              "whoever holds the verifier can redeem the code.",
            "code_challenge_method": "S256: the challenge is a hash, so the verifier never "
                                     "travels through the browser.",
            "prompt": "Asks Salesforce to show the login and/or consent page again.",
            "login_hint": "Pre-fills the username on the login page.",
        }
        parts = Components([Component("endpoint", self.authorize_endpoint,
                                      "Component 1: the authorization endpoint of the org's "
                                      "login host (login, test, My Domain or the local org).")])
        parts += [Component(k, v, why[k]) for k, v in self.parameters()]
        return parts

    def state_matches(self, received: str | None) -> bool:
        """True when ``received`` is this flow's (still unused) ``state``; consumes nothing.

        Lets the callback listener ignore requests that are not for this login (A-03).
        """
        with self._lock:
            expected = self._state
        return bool(expected and received) and hmac.compare_digest(
            expected.encode(), (received or "").encode("utf-8", "replace"))

    def consume_state(self, received: str | None) -> None:
        """Accept the callback's ``state`` once; anything else raises StateMismatchError.

        Constant-time comparison (``hmac.compare_digest``); the expected value is deleted
        on success, so replaying the same callback fails (A-02, A-03).
        """
        with self._lock:
            expected = self._state
            if expected is None:
                raise StateMismatchError("this login flow was already completed (state is "
                                         "single use): start a new login with a new flow")
            if not received:
                raise StateMismatchError("the callback has no state parameter: it did not come "
                                         "from this login; start the login again")
            if not hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace")):
                raise StateMismatchError(
                    "the callback's state does not match this login (an old browser tab, "
                    "another notebook's login, or a forged request): start the login again")
            self._state = None

    def grant(self, code: str) -> AuthorizationGrant:
        """The grant for a code received after :meth:`consume_state` succeeded."""
        if self._state is not None:
            raise StateMismatchError("validate the callback's state (consume_state) before "
                                     "using its code")
        return AuthorizationGrant(code, self._verifier, self.redirect_uri, self.login_url)

    def __repr__(self) -> str:  # state and verifier stay out of reprs
        return (f"AuthorizationFlow(login_url={self.login_url!r}, client_id={self.client_id!r}, "
                f"redirect_uri={self.redirect_uri!r}, scopes={' '.join(self.scopes)!r})")
