"""Let every notebook run on its own, in a fresh kernel, in any order.

``catch_up(step)`` redoes, quickly and visibly, what the earlier notebooks produced:

====  ===================================================================
step  what is ready afterwards
====  ===================================================================
0     the target (local orgs started if needed)
1     the External Client App in ORG B (local: created once and saved, 0600)
3     an :class:`~helpers.oauth.AuthorizationFlow` (state + PKCE)
5     the callback: a login by the demo user (local orgs) or by you (real orgs)
6     the access token (``progress.token``) and an ``OAuthClient``
7     an :class:`~helpers.oauth.AuthorizedSession` for ORG B (``progress.api``)
====  ===================================================================

On the local orgs the demo user logs in for you (whatever ``TUTORIAL_BROWSER`` says:
catching up is not the lesson). On real orgs and in the classroom (``SF_TARGET=classroom``,
with the key, secret and user of your handout) step 5 shows the login link and the
paste box; ``progress.token`` then raises :class:`~.login.LoginPending` until you
have logged in, so run the next cell after clicking Allow::

    progress = catch_up(7)
    progress.api.identity()["username"]
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

from ..oauth.authorize import AuthorizationFlow, AuthorizationGrant
from ..oauth.tokens import AuthorizedSession, OAuthClient, Token
from ..settings import Settings
from ..transcript import Transcript, mask
from .login import Login
from .target import SavedApp, Target, load_target, register_app

LAST_STEP = 9


@dataclass
class Progress:
    """What the earlier steps produced; later values are computed on first use."""

    target: Target
    app: SavedApp | None = None
    flow: AuthorizationFlow | None = None
    login: Login | None = None
    transcript: Transcript = field(default_factory=Transcript)
    _client: OAuthClient | None = field(default=None, repr=False)
    _token: Token | None = field(default=None, repr=False)
    _api: AuthorizedSession | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return self.target.settings

    @property
    def grant(self) -> AuthorizationGrant:
        if self.login is None:
            raise RuntimeError("catch_up(5) or later logs in; this progress stops earlier")
        return self.login.grant()

    @property
    def client(self) -> OAuthClient:
        if self._client is None:
            self._client = OAuthClient.from_settings(self.settings, transcript=self.transcript)
        return self._client

    @property
    def token(self) -> Token:
        if self._token is None:
            self._token = self.client.exchange_code(self.grant)
        return self._token

    @property
    def api(self) -> AuthorizedSession:
        if self._api is None:
            self._api = AuthorizedSession(self.client, self.token)
        return self._api

    def __repr__(self) -> str:
        kind = ("local" if self.target.is_local else
                "classroom" if self.settings.is_classroom else "real")
        return f"<Progress on {kind} orgs>"


def catch_up(step: int, *, quiet: bool = False, local: bool = False) -> Progress:
    """Produce what notebooks before ``step`` produced; print one line per thing done.

    ``local=True`` uses the local orgs even when ``SF_TARGET=salesforce`` (the attack
    demonstrations and the error gallery break things on purpose, which only a local
    org allows).
    """
    if not 0 <= step <= LAST_STEP:
        raise ValueError(f"step is 0..{LAST_STEP}")

    def say(text: str) -> None:
        if not quiet:
            print("  ✓ " + text)

    target = load_target(force_local=local)
    if not quiet:
        print(f"Catching up to step {step}. {target.describe()}")
    progress = Progress(target)
    if step >= 1:
        if target.is_local:
            target, progress.app = register_app(target)
            progress.target = target
            say(f"External Client App {progress.app.name!r} in ORG B, Consumer Key "
                f"{mask(progress.app.client_id)}")
        else:
            target.settings.require("client_id", "client_secret")
            where = "your handout" if target.settings.is_classroom else ".env"
            say(f"External Client App from {where}, Consumer Key "
                f"{mask(target.settings.client_id)}")
    if step >= 3:
        progress.flow = AuthorizationFlow.from_settings(target.settings)
        say("authorization URL built with a fresh state and PKCE verifier")
    if step >= 5:
        if target.is_local:
            with contextlib.redirect_stdout(io.StringIO()):  # the lesson prints its own story
                progress.login = Login(target, progress.flow, listen=False,
                                       scripted=True).start()
            user = target.org_b_user or {}
            say(f"demo user {user.get('username')} logged in to ORG B and clicked Allow")
        else:
            print("Log in to ORG B below, click Allow, then run the next cell.")
            progress.login = Login(target, progress.flow, scripted=False).start()
    if step >= 6 and target.is_local:
        token = progress.token
        say(f"authorization code exchanged: access token {mask(token.access_token)}")
    if step >= 7 and target.is_local:
        say(f"API session for ORG B at {progress.api.token.instance_url}")
    return progress
