"""Steps 2 and 3 in a notebook: the learner logs in to ORG B and the callback comes back.

``Login(target, flow).start()`` never blocks and never calls ``input()``:

* interactive mode - shows a link that opens the authorization URL in a new tab, starts the
  one-shot loopback listener (it writes into an ``Output`` widget when the redirect
  arrives) and a paste box for the address bar when the kernel runs elsewhere;
* scripted mode - the demo user logs in through the local orgs' real login and consent
  pages (:class:`~localorg.ScriptedBrowser`), and the resulting redirect
  is delivered to the same listener (or parsed like a pasted address). Plain text only,
  so nbval compares stable output.

The next cell calls :meth:`Login.grant`, which raises :class:`LoginPending` (with what
to do) until the callback has arrived::

    login = Login(target, flow).start()
    grant = login.grant()        # next cell
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from localorg import ScriptedBrowser, ScriptedLoginError

from ..errors import (
    AuthorizationError,
    CallbackPortInUse,
    CallbackTimeout,
    SalesforceOAuthError,
)
from ..oauth.authorize import AuthorizationFlow, AuthorizationGrant
from ..oauth.callback import CallbackListener, parse_callback_url
from ..transcript import Transcript, mask, mask_url
from .mode import is_scripted
from .remote import direct_callback, listen_address
from .target import Target

# The Login whose listener last started, per callback URL, in this kernel.
_LISTENING: dict[str, Login] = {}


class LoginPending(SalesforceOAuthError):
    """The callback has not arrived yet; the message says what to do.

    In a notebook it ends "Run All" with that message alone, no traceback: stopping there is
    expected (the learner has to log in first), not a bug to debug.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error displays
        return [f"⏸ Waiting for your login: {self}.",
                "Run All stops here on purpose; after logging in, run the next cells."]


class Login:
    """One login attempt for ``flow``: its outcome is a grant or an explained error."""

    def __init__(self, target: Target, flow: AuthorizationFlow, *, decision: str = "allow",
                 listen: bool = True, scripted: bool | None = None,
                 transcript: Transcript | None = None, timeout: float = 300.0) -> None:
        self.target = target
        self.flow = flow
        self.decision = decision  # what the scripted user clicks: "allow" or "deny"
        self.listen = listen
        self.scripted = is_scripted() if scripted is None else scripted
        self.transcript = transcript
        self.timeout = timeout
        self.callback_url: str | None = None  # known in scripted mode and after a paste
        self.via: str | None = None           # "listener" or "pasted address"
        self.timed_out = False                # the listener gave up; pasting still works
        self._outcome: AuthorizationGrant | SalesforceOAuthError | None = None
        self._listener: CallbackListener | None = None
        self._out: Any = None
        self.view: Any = None  # interactive: the displayed widgets (link, listener, paste box)
        self._reporter: threading.Thread | None = None  # interactive: reports the callback

    # -- public ---------------------------------------------------------------------------

    def start(self) -> Login:
        if self.transcript is not None:
            self.transcript.browser_step("Browser: authorization request to ORG B",
                                         self.flow.authorization_url)
        if self.scripted:
            self._run_scripted()
        else:
            self._show_interactive()
        return self

    @property
    def done(self) -> bool:
        return self._outcome is not None

    def try_address(self, address: str) -> bool:
        """Use a pasted callback address; False (explained) if it cannot be this login's.

        A wrong paste (another address, an old tab's ``state``) does not end the login, and
        neither did the listener's timeout: the right address is accepted as long as ORG B
        still accepts its code (15 minutes).
        """
        try:
            self._outcome = parse_callback_url(self.flow, address)
        except AuthorizationError as exc:  # ORG B's own answer (Deny...): final
            self._outcome = exc
        except SalesforceOAuthError as exc:
            self._say(f"{type(exc).__name__}: {exc}\nThe login is still open: paste the "
                      "address of this login's callback.")
            return False
        self.via = "pasted address"
        if self.callback_url is None:
            self.callback_url = address.strip()
            self._record_callback(self.callback_url)
        return True

    def grant(self) -> AuthorizationGrant:
        """The authorization grant, or the explained error of this login."""
        outcome = self._outcome
        if outcome is None:
            raise LoginPending("no callback yet: click the link above, log in to ORG B and "
                               "click Allow (or paste the address you landed on into the box), "
                               "then run this cell again")
        if isinstance(outcome, SalesforceOAuthError):
            raise outcome
        return outcome

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()

    def __repr__(self) -> str:
        state = "done" if self.done else "waiting for the callback"
        return f"<Login to {self.flow.login_url} ({state})>"

    # -- scripted -------------------------------------------------------------------------

    def _run_scripted(self) -> None:
        orgs, user = self.target.orgs, self.target.org_b_user
        if orgs is None or user is None:
            raise SalesforceOAuthError("scripted logins need the local orgs (SF_TARGET=local)")
        browser = ScriptedBrowser(orgs.ca_bundle)
        try:
            url = browser.authorize(self.flow.authorization_url, user["username"],
                                    user["password"], decision=self.decision)
        except ScriptedLoginError:
            error = _error_page(self.flow.authorization_url, orgs.ca_bundle)
            if error is None:
                raise
            print("ORG B showed an error page instead of the login page, and did not redirect.")
            raise error from None
        self.callback_url = url
        self._record_callback(url)
        clicked = "Allow" if self.decision.lower() == "allow" else "Deny"
        print(f"Scripted browser: {user['username']} logged in on ORG B's login page and "
              f"clicked {clicked}.\nORG B redirected the browser to {mask_url(url)}")
        if self.listen:
            self._start_listener()
            # The browser follows ORG B's redirect to the callback URL: here, to our listener.
            # trust_env off: a proxy from the environment must never see the code.
            # A proxied callback (remote kernel) is delivered straight to the listener's port.
            with requests.Session() as browser_tab:
                browser_tab.trust_env = False
                browser_tab.get(direct_callback(url, self.flow.redirect_uri), timeout=10)
            self._wait_listener()
            print(f"The listener on {self.flow.redirect_uri} received that request.")
        else:
            self._use_address(url)

    # -- interactive ----------------------------------------------------------------------

    def _show_interactive(self) -> None:
        import ipywidgets as w
        from IPython.display import display

        self._out = w.Output()
        remote = self.target.remote
        href = self.target.browser_url(self.flow.authorization_url)
        link = w.HTML(f'<a href="{_attr(href)}" target="_blank" '
                      'rel="noopener" style="font-size:1.1em"><b>&#x1F511; Open ORG B\'s login '
                      'page in a new tab</b></a>')
        paste = w.Text(placeholder="…or paste the whole address you landed on "
                                   f"({self.flow.redirect_uri}?code=…&state=…)",
                       layout=w.Layout(width="100%"))
        use = w.Button(description="Use this address", button_style="primary")

        def on_use(_: Any) -> None:
            address, paste.value = paste.value, ""  # the code must not linger in widget state
            if self.done:
                self._say("This login is already complete; start a new flow to log in again.")
                return
            if not self.try_address(address):
                return  # explained; the login stays open for a correct paste
            self.close()
            self._report()

        use.on_click(on_use)
        parts: list[Any] = [link]
        proxied = listen_address(self.flow.redirect_uri) is not None
        if remote and not proxied:
            # The redirect will fail in the browser; say so before it happens (paste first).
            parts += [w.HTML(_PASTE_FIRST.format(where=_attr(remote.describe()),
                                                 callback=_attr(self.flow.redirect_uri))),
                      w.HBox([paste, use])]
        if self.listen:
            try:
                self._start_listener()
                via = " (through the Jupyter server's proxy)" if proxied else ""
                parts.append(w.HTML(f"Listening on <code>{_attr(self.flow.redirect_uri)}</code>"
                                    f"{via} for {self.timeout:.0f} s."))
                self._reporter = threading.Thread(target=self._wait_then_report, daemon=True)
                self._reporter.start()
            except (CallbackPortInUse, SalesforceOAuthError) as exc:
                parts.append(w.HTML(f"No listener: {_attr(str(exc))}. Use the paste box."))
        if not (remote and not proxied):
            parts.append(w.HBox([paste, use]))
        parts.append(self._out)
        self.view = w.VBox(parts)
        display(self.view)

    def _wait_then_report(self) -> None:
        self._wait_listener()
        self._report()

    @classmethod
    def resumed(cls, target: Target, grant: AuthorizationGrant) -> Login:
        """A login that already happened (the learner's, in an earlier notebook)."""
        flow = AuthorizationFlow(grant.login_url, target.settings.client_id or "",
                                 grant.redirect_uri, target.settings.scopes)
        login = cls(target, flow, listen=False, scripted=False)
        login._outcome, login.via = grant, "your login in an earlier notebook"
        return login

    def _report(self) -> None:
        outcome = self._outcome
        if isinstance(outcome, AuthorizationGrant):
            from .handover import save_grant

            save_grant(self.target, outcome)  # the next notebook may use it (local orgs)
        if outcome is None and self.timed_out:
            self._say(f"The listener stopped after {self.timeout:.0f} s without a callback. "
                      "If you logged in since, paste the address you landed on into the box: "
                      "it is still accepted while its code is valid (15 minutes).")
        elif isinstance(outcome, AuthorizationGrant):
            self._say(f"Callback received ({self.via}): state checked, code "
                      f"{mask(outcome.code)} ready. Run the next cell.")
        elif outcome is not None:
            self._say(f"{type(outcome).__name__}: {outcome}")

    def _say(self, text: str) -> None:
        if self._out is not None:
            self._out.append_stdout(text + "\n")
        else:
            print(text)

    # -- shared ---------------------------------------------------------------------------

    def _start_listener(self) -> None:
        port, path = listen_address(self.flow.redirect_uri) or (None, None)
        # A login cell run again (or the next login cell) must get the port: the earlier
        # listener of this kernel, whose widget is gone or superseded, would hold it.
        previous = _LISTENING.pop(self.flow.redirect_uri, None)
        if previous is not None:
            previous.close()
        self._listener = CallbackListener(self.flow, timeout=self.timeout, port=port,
                                          path=path).start()
        _LISTENING[self.flow.redirect_uri] = self

    def _wait_listener(self) -> None:
        assert self._listener is not None
        try:
            outcome = self._listener.wait()
        except CallbackTimeout:
            self.timed_out = True  # not the end of the login: a paste still works
            return
        except SalesforceOAuthError as exc:
            outcome = exc
        if self._outcome is None:  # a pasted address may have come first
            self._outcome, self.via = outcome, "listener"

    def _use_address(self, address: str) -> None:
        """The scripted user's pasted address: any error is this login's outcome."""
        try:
            self._outcome = parse_callback_url(self.flow, address)
        except SalesforceOAuthError as exc:
            self._outcome = exc
        self.via = "pasted address"
        if self.callback_url is None:
            self.callback_url = address.strip()
            self._record_callback(self.callback_url)

    def _record_callback(self, url: str) -> None:
        if self.transcript is not None:
            self.transcript.browser_step("Browser: ORG B redirects to the callback URL", url)


_PASTE_FIRST = ("<p><b>Your kernel runs on a server</b> ({where}). After you click Allow, your "
                "browser goes to <code>{callback}</code> on <i>your</i> computer and shows "
                "\"can't connect\": that is expected. Copy the whole address from the address "
                "bar (it holds <code>code</code> and <code>state</code>) and paste it here:</p>")


def _error_page(url: str, ca_bundle: str) -> AuthorizationError | None:
    """The OAuth error an error page of the local orgs names (``<code id="oauth-error">``)."""
    import html
    import re

    with requests.Session() as browser:
        browser.trust_env = False
        page = browser.get(url, verify=ca_bundle, timeout=10).text
    error = re.search(r'id="oauth-error">([^<]+)<', page)
    if error is None:
        return None
    description = re.search(r'id="oauth-error-description">([^<]+)<', page)
    return AuthorizationError(html.unescape(error.group(1)),
                              html.unescape(description.group(1)) if description else None)


def _attr(text: str) -> str:
    import html

    return html.escape(text, quote=True)
