"""Let every notebook run on its own, in a fresh kernel, in any order.

``catch_up(step)`` redoes, quickly and visibly, what the earlier notebooks produced:

====  ===================================================================
step  what is ready afterwards
====  ===================================================================
0     the target (local orgs started if needed)
1     the External Client App in ORG B (local: created once and saved, 0600)
3     an :class:`~helpers.oauth.AuthorizationFlow` (state + PKCE)
5     the callback: a login by the demo user (local orgs) or by you (real orgs; from
      notebook 08 on, the grant of an earlier notebook is reused through its refresh token
      when there is one: ``handover.resume_session``)
6, 7  the access token (``progress.token``) and an :class:`~helpers.oauth.AuthorizedSession`
      for ORG B (``progress.api``), by :meth:`Progress.exchange_code`
====  ===================================================================

On the local orgs the demo user logs in for you (whatever ``TUTORIAL_BROWSER`` says:
catching up is not the lesson). On real orgs and in the classroom (``SF_TARGET=classroom``,
with the key, secret and user of your handout) step 5 shows the login link and the
paste box; after clicking Allow, the next cell runs ``progress.exchange_code()``, the
visible code exchange (``progress.token`` raises :class:`~.login.LoginPending` until then).
Reading an attribute of :class:`Progress` never calls a server::

    progress = catch_up(7)
    progress.exchange_code()           # prints what it did (or that the token is there)
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
from .handover import GRANT_FILE, SESSION_FILE, resume_session, save_session, take_grant
from .login import Login, LoginPending
from .mode import is_scripted
from .target import SavedApp, Target, load_target, register_app

LAST_STEP = 9
# What catch_up(step) redoes, by notebook number (the titles' numbering).
_DONE_BEFORE = {0: "notebook 00", 1: "notebook 01", 2: "notebook 01", 3: "notebooks 01 and 03",
                4: "notebooks 01 and 03", 5: "notebooks 01, 03 and 04",
                6: "notebooks 01 and 03 to 06", 7: "notebooks 01 and 03 to 06",
                8: "notebooks 01 and 03 to 06", 9: "notebooks 01 and 03 to 06"}


@dataclass
class Progress:
    """What the earlier steps produced. Reading an attribute never calls a server: the
    steps that do (the login, the code exchange) are named calls that print what they did."""

    target: Target
    app: SavedApp | None = None
    flow: AuthorizationFlow | None = None
    login: Login | None = None
    transcript: Transcript = field(default_factory=Transcript)
    client: OAuthClient | None = field(default=None, repr=False)
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
    def token(self) -> Token:
        if self._token is None:
            raise LoginPending("no access token yet: log in to ORG B with the link above and "
                               "click Allow, then run `progress.exchange_code()`")
        return self._token

    @property
    def api(self) -> AuthorizedSession:
        if self._api is None:
            raise LoginPending("no API session yet: run `progress.exchange_code()` after "
                               "logging in")
        return self._api

    def exchange_code(self, *, quiet: bool = False) -> Token:
        """Step 6, visibly: redeem the login's code for a token (once) and open the API session.

        Safe to run again: a token already obtained is kept (a code is single use).
        """
        if self._token is None:
            if self.client is None:
                raise RuntimeError("catch_up(1) or later prepares the client")
            self._token = self.client.exchange_code(self.grant)
            self._api = AuthorizedSession(self.client, self._token)
            if not self.target.is_local:
                # One grant for every notebook on real orgs (handover.py: five approvals).
                kept = save_session(self.settings, self._token)
                if kept is not None and not quiet:
                    print(f"  ✓ refresh token kept for the next notebooks in {kept} "
                          "(git-ignored, 0600)")
            if not quiet:
                print("  ✓ authorization code exchanged: access token "
                      f"{mask(self._token.access_token)}")
                print(f"  ✓ API session for ORG B at {self._token.instance_url}")
        elif not quiet:
            print(f"  ✓ access token already there: {mask(self._token.access_token)}")
        return self._token

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
        print(f"Setting up what {_DONE_BEFORE.get(step, 'earlier notebooks')} did. "
              f"{target.describe()}")
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
        progress.client = OAuthClient.from_settings(target.settings,
                                                    transcript=progress.transcript)
    if step >= 3:
        progress.flow = AuthorizationFlow.from_settings(target.settings)
        say("authorization URL built with a fresh state and PKCE verifier")
    if step >= 5:
        yours = take_grant(target) if target.is_local and not is_scripted() else None
        if yours is not None:
            progress.login = Login.resumed(target, yours)
            say("your own login from an earlier notebook: its unused code (kept in "
                f"{GRANT_FILE} of the local data folder, git-ignored; now deleted)")
        elif target.is_local:
            with contextlib.redirect_stdout(io.StringIO()):  # the lesson prints its own story
                progress.login = Login(target, progress.flow, listen=False,
                                       scripted=True).start()
            user = target.org_b_user or {}
            say(f"demo user {user.get('username')} logged in to ORG B and clicked Allow")
        else:
            # From 08 on only a token is needed (03-07 teach the login and the exchange).
            token = resume_session(target.settings, progress.client) if step >= 8 else None
            if token is not None:
                progress._token = token
                progress._api = AuthorizedSession(progress.client, token)
                say("your grant from an earlier notebook: a new access token from its refresh "
                    f"token ({SESSION_FILE}, git-ignored), no new login or approval "
                    "(Salesforce keeps five per user and app)")
            else:
                print("Log in to ORG B below, click Allow, then run the next cell.")
                progress.login = Login(target, progress.flow, scripted=False).start()
    if step >= 6 and target.is_local:
        progress.exchange_code(quiet=quiet)
    return progress
