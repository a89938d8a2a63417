"""The login, consent and callback pages in a real browser (Chromium), against the local orgs.

Each test drives the flow a learner's browser goes through: a real
:class:`~helpers.oauth.AuthorizationFlow`, a real :class:`~helpers.oauth.CallbackListener`
on a free loopback port (its app's Callback URL says ``localhost``; Chromium resolves it to
127.0.0.1, where the listener is), ORG B's login and consent pages. Screenshots of every
step land in ``artifacts/browser/<test>/``. The tests share one page (``shared_page``), which
each leaves logged out, with no other page open, on ``about:blank``.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from helpers.errors import AuthorizationDenied, StateMismatchError, TokenRequestError
from helpers.oauth import AuthorizationFlow, AuthorizationGrant, CallbackListener, OAuthClient
from helpers.settings import Settings, load_settings
from helpers.tutorial.dryrun import free_ports
from tests.browser.conftest import new_context, tidy_for_the_next_test

pytestmark = pytest.mark.browser

BAD_LOGIN = "Please check your username and password"


@dataclass
class Waiting:
    """A listener whose ``wait()`` runs in a thread, as in the notebook's Login widget."""

    listener: CallbackListener
    outcome: list[AuthorizationGrant | Exception] = field(default_factory=list)
    thread: threading.Thread | None = None

    def start(self) -> Waiting:
        def wait() -> None:
            try:
                self.outcome.append(self.listener.wait())
            except Exception as exc:  # handed to the test thread
                self.outcome.append(exc)

        self.listener.start()
        self.thread = threading.Thread(target=wait, daemon=True)
        self.thread.start()
        return self

    def result(self) -> AuthorizationGrant | Exception:
        assert self.thread is not None
        self.thread.join(timeout=10)  # the page already shows the answer: this is immediate
        assert self.outcome, "the listener's wait() did not return"
        return self.outcome[0]


@pytest.fixture(scope="module")
def shared_page(browser) -> Iterator[Page]:
    ctx = new_context(browser)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def page(shared_page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The module's one page instead of conftest's page of its own (a new page costs
    Chromium over 1 s of CPU), logged out again after each test."""
    yield shared_page
    tidy_for_the_next_test(request, shared_page)
    shared_page.goto("about:blank")


@pytest.fixture
def context(page: Page):
    return page.context


@pytest.fixture
def app_settings(orgs) -> Settings:
    """A fresh ORG B app whose Callback URL is a free loopback port (never 1717 by chance)."""
    port = free_ports(1)
    callback = f"http://localhost:{port}/OauthRedirect"
    app = orgs.create_app(name=f"Browser test {uuid.uuid4().hex[:8]}", callback_urls=[callback])
    return load_settings(None, {
        "SF_TARGET": "local", "LOCALORG_DATA": str(orgs.data_dir),
        "LOCALORG_PORT_BASE": str(orgs.port_base), "SF_CLIENT_ID": app.client_id,
        "SF_CLIENT_SECRET": app.client_secret, "SF_CALLBACK_URL": callback,
        "SF_SCOPES": "api refresh_token"})


@pytest.fixture
def waiting(app_settings: Settings) -> Iterator[Waiting]:
    flow = AuthorizationFlow.from_settings(app_settings)
    w = Waiting(CallbackListener(flow, timeout=60)).start()
    yield w
    w.listener.close()


def log_in(page: Page, orgs, shots, password: str | None = None) -> None:
    user = orgs.user("B")
    expect(page.locator("#login_form")).to_be_visible()
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=pw]", password or user["password"])
    shots(page, "login-filled")
    page.click("#Login")


def consent(page: Page, orgs, app_settings: Settings, shots) -> None:
    expect(page.locator("#consent_form")).to_be_visible()
    expect(page.locator("#scopes li")).to_have_text([
        "Manage user data via APIs (api)",
        "Perform requests at any time (refresh_token, offline_access)"])
    expect(page.locator("#app-name")).to_have_text(re.compile(r"^Browser test \w{8}$"))
    expect(page.get_by_text(orgs.user("B")["username"]).first).to_be_visible()
    shots(page, "consent")
    assert app_settings.callback_url.startswith("http://localhost:")


def test_allow_lands_on_the_listener_and_the_code_buys_a_token(page, orgs, app_settings,
                                                               waiting, shots):
    """Login, consent, Allow: the listener on 127.0.0.1 (A-08) gets the callback, its page
    says done, and the code it returns (A-02) buys a token with a verified signature."""
    page.goto(waiting.listener.flow.authorization_url)
    shots(page, "login-page")
    log_in(page, orgs, shots)
    consent(page, orgs, app_settings, shots)
    page.click("#oaapprove")

    expect(page.locator("h1")).to_have_text("Login complete")
    expect(page).to_have_url(re.compile(
        rf"^{re.escape(app_settings.callback_url)}\?code=aPrx[^&]+&state="))
    shots(page, "listener-success")
    grant = waiting.result()
    assert isinstance(grant, AuthorizationGrant)
    assert grant.code.startswith("aPrx") and "%3D" not in grant.code  # URL-decoded once

    token = OAuthClient.from_settings(app_settings).exchange_code(grant)
    assert token.signature_verified
    assert token.instance_url == orgs.instance_url("B")
    assert set(token.scopes) >= {"api", "refresh_token"}


def test_deny_shows_the_listeners_page_and_raises_access_denied(page, orgs, app_settings,
                                                               waiting, shots):
    """Deny: ORG B redirects with error=access_denied (B-04); the listener's page sends the
    learner back to the notebook and wait() raises AuthorizationDenied (A-13)."""
    page.goto(waiting.listener.flow.authorization_url)
    log_in(page, orgs, shots)
    consent(page, orgs, app_settings, shots)
    page.click("#oaapprove_deny")

    expect(page.locator("h1")).to_have_text("Authorization not granted")
    expect(page.locator("p")).to_contain_text("access_denied")
    expect(page.locator("p")).to_contain_text("Return to the notebook")
    shots(page, "listener-denied")
    denied = waiting.result()
    assert isinstance(denied, AuthorizationDenied)
    assert denied.error == "access_denied"


def test_wrong_password_stays_on_the_login_page_with_a_generic_message(page, orgs, app_settings,
                                                                      waiting, shots):
    """A wrong password: the generic message (the same as for an unknown user), still the
    login page, nothing sent to the callback; the right password then carries on."""
    page.goto(waiting.listener.flow.authorization_url)
    log_in(page, orgs, shots, password="not-the-password")

    expect(page.locator("#error")).to_contain_text(BAD_LOGIN)
    expect(page.locator("#login_form")).to_be_visible()
    assert page.url.startswith(orgs.login_url + "/")
    # the username stays filled in, the password does not
    expect(page.locator("input[name=username]")).to_have_value(orgs.user("B")["username"])
    expect(page.locator("input[name=pw]")).to_have_value("")
    shots(page, "wrong-password")
    assert not waiting.listener.done  # nothing reached the callback

    log_in(page, orgs, shots)  # a success also resets the failure count (B-12)
    consent(page, orgs, app_settings, shots)


def test_unregistered_redirect_uri_shows_an_error_page_and_never_redirects(page, orgs,
                                                                          app_settings, shots):
    """A redirect_uri that is not a Callback URL of the app (B-01): an error page on the login
    host, no login form, no redirect to the unverified URI (B-02)."""
    stray_port = free_ports(1)
    flow = AuthorizationFlow(app_settings.login_url, app_settings.client_id or "",
                             f"http://localhost:{stray_port}/OauthRedirect")
    with CallbackListener(flow, timeout=60).start() as stray:
        response = page.goto(flow.authorization_url)
        assert response is not None and response.status == 400
        expect(page.locator("#oauth-error")).to_have_text("redirect_uri_mismatch")
        assert page.url.startswith(orgs.login_url + "/services/oauth2/authorize?")
        shots(page, "redirect-uri-mismatch")
        # Not even after logging in: the page has no form, and nothing reached the listener.
        expect(page.locator("form")).to_have_count(0)
        assert not stray.done


def test_replayed_callback_finds_the_listener_closed_and_the_code_is_single_use(
        context, page, orgs, app_settings, waiting, shots):
    """A second tab replaying the callback after the first completed: connection refused
    (the one-shot listener closed, A-10); pasting it again is refused by its used state
    (A-02), and the code itself is redeemed only once (B-14)."""
    flow = waiting.listener.flow
    page.goto(flow.authorization_url)
    log_in(page, orgs, shots)
    consent(page, orgs, app_settings, shots)
    page.click("#oaapprove")
    expect(page.locator("h1")).to_have_text("Login complete")
    callback_url = page.url
    grant = waiting.result()
    assert isinstance(grant, AuthorizationGrant)
    waiting.thread.join()
    assert waiting.listener.done

    replay = context.new_page()
    with pytest.raises(Exception, match="ERR_CONNECTION_REFUSED"):
        replay.goto(callback_url)
    shots(replay, "replay-refused")
    expect(replay.locator("body")).to_contain_text(re.compile("refused", re.I))

    from helpers.oauth import parse_callback_url
    with pytest.raises(StateMismatchError):
        parse_callback_url(flow, callback_url)  # the paste box refuses it too

    client = OAuthClient.from_settings(app_settings)
    client.exchange_code(grant)
    with pytest.raises(TokenRequestError) as second:
        client.exchange_code(grant)
    assert second.value.error == "invalid_grant"
