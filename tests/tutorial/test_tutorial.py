"""helpers.tutorial against a real local-org server: app persistence, logins, catch-up, simulations.

The notebooks exercise the same code under nbval; these tests pin the behaviour a notebook
relies on (and the security rules of the layer) one by one.
"""

from __future__ import annotations

import io
import os
import stat
from contextlib import redirect_stdout

import pytest
import requests

import localorg
from helpers import tutorial
from helpers.errors import (
    AuthorizationDenied,
    AuthorizationError,
    ConfigurationError,
    StateMismatchError,
)
from helpers.oauth import AuthorizationFlow, AuthorizedSession, parse_callback_url, verify_signature
from helpers.tutorial.dryrun import free_ports
from localorg import ScriptedBrowser


@pytest.fixture
def env(orgs, monkeypatch):
    """The environment a notebook kernel would get for the test server (scripted mode)."""
    callback = f"http://localhost:{free_ports(1)}/OauthRedirect"
    values = {"SF_TARGET": "local", "TUTORIAL_BROWSER": "scripted",
              "LOCALORG_DATA": str(orgs.data_dir), "LOCALORG_PORT_BASE": str(orgs.port_base),
              "SF_CALLBACK_URL": callback, "SF_LOGIN_URL": "", "SF_CLIENT_ID": "",
              "SF_CLIENT_SECRET": "", "SF_SCOPES": "api refresh_token"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def quiet(fn, *args, **kwargs):
    with redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def test_browser_mode_is_explicit(monkeypatch):
    monkeypatch.delenv("TUTORIAL_BROWSER", raising=False)
    assert tutorial.browser_mode() == "interactive"
    monkeypatch.setenv("TUTORIAL_BROWSER", "Scripted")
    assert tutorial.is_scripted()
    monkeypatch.setenv("TUTORIAL_BROWSER", "robot")
    with pytest.raises(ConfigurationError, match="TUTORIAL_BROWSER"):
        tutorial.browser_mode()


def test_scripted_mode_refuses_real_orgs(env, monkeypatch):
    monkeypatch.setenv("SF_TARGET", "salesforce")
    with pytest.raises(ConfigurationError, match="only works with the local orgs"):
        tutorial.load_target()
    assert tutorial.load_target(force_local=True).is_local


def test_local_target_ignores_a_real_key_from_env(env, monkeypatch):
    monkeypatch.setenv("SF_CLIENT_ID", "3MVG9-a-real-orgs-key")
    target = tutorial.load_target()
    saved = tutorial.target.saved_app(target.settings)
    assert target.settings.client_id in (None, saved and saved.client_id)


def test_register_app_saves_secret_0600_once_and_never_shows_it(env):
    target, app = tutorial.register_app(tutorial.load_target())
    path = target.settings.localorg_data / tutorial.target.APP_FILE
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert app.client_secret not in repr(app) and app.client_secret not in repr(target.settings)
    again, same = tutorial.register_app(tutorial.load_target())
    assert same.client_id == app.client_id  # reused, not a second app
    assert again.settings.client_secret == app.client_secret


def test_save_app_credentials_checks_key_and_secret_against_org_b(env):
    target = tutorial.load_target()
    made = localorg.create_app("Made on the Setup page", [env["SF_CALLBACK_URL"]],
                               data_dir=env["LOCALORG_DATA"])
    with pytest.raises(ConfigurationError, match="no app with that Consumer Key"):
        tutorial.save_app_credentials(target, "3MVG9unknown", made.client_secret)
    with pytest.raises(ConfigurationError, match="does not belong"):
        tutorial.save_app_credentials(target, made.client_id, "0" * 64)
    target, app = tutorial.save_app_credentials(target, f" {made.client_id} ", made.client_secret)
    assert target.settings.client_id == made.client_id == app.client_id


def test_scripted_login_goes_through_the_real_listener(env):
    progress = quiet(tutorial.catch_up, 3)
    out = io.StringIO()
    with redirect_stdout(out):
        login = tutorial.Login(progress.target, progress.flow).start()
    assert login.via == "listener"
    assert login.grant().code.startswith("aPrx")
    assert "code=aPrx" in out.getvalue() and login.grant().code not in out.getvalue()  # masked
    with pytest.raises(StateMismatchError):  # the same callback again: state is single use
        parse_callback_url(progress.flow, login.callback_url)


def test_deny_is_an_explained_error(env):
    progress = quiet(tutorial.catch_up, 1)
    flow = AuthorizationFlow.from_settings(progress.settings, prompt="consent")
    denied = quiet(tutorial.Login(progress.target, flow, decision="deny", listen=False).start)
    with pytest.raises(AuthorizationDenied, match="access_denied"):
        denied.grant()


def test_interactive_login_waits_without_blocking_then_listener_fills_output(env, monkeypatch):
    monkeypatch.setenv("TUTORIAL_BROWSER", "interactive")
    progress = quiet(tutorial.catch_up, 3)
    login = quiet(tutorial.Login(progress.target, progress.flow, timeout=30).start)
    with pytest.raises(tutorial.LoginPending, match="no callback yet"):
        login.grant()
    user = progress.target.org_b_user
    url = ScriptedBrowser(progress.target.orgs.ca_bundle).authorize(
        progress.flow.authorization_url, user["username"], user["password"])
    with requests.Session() as browser:
        browser.trust_env = False
        assert "Login complete" in browser.get(url, timeout=10).text
    login._reporter.join(10)  # waits for the listener, then writes into the Output widget
    assert login.grant().redirect_uri == env["SF_CALLBACK_URL"]
    assert "Callback received (listener)" in login._out.outputs[0]["text"]
    assert login.grant().code not in login._out.outputs[0]["text"]


def test_catch_up_7_gives_a_working_api_session(env):
    progress = quiet(tutorial.catch_up, 7)
    assert progress.api.identity()["username"] == progress.target.org_b_user["username"]
    assert progress.token.signature_verified


def test_token_answers_allow_checking_the_signature_by_hand(env):
    progress = quiet(tutorial.catch_up, 5)
    answers = tutorial.keep_token_answers(progress.client)
    progress.exchange_code(quiet=True)
    raw = answers[-1]
    secret = progress.settings.client_secret
    assert verify_signature(secret, raw["id"], raw["issued_at"], raw["signature"])
    assert not verify_signature(secret, raw["id"] + "x", raw["issued_at"], raw["signature"])


def test_expired_access_token_is_refreshed_once(env):
    progress = quiet(tutorial.catch_up, 6)
    tutorial.expire_access_token(progress.target, progress.token)
    session = AuthorizedSession(progress.client, progress.token)
    assert session.identity()["username"]
    assert session.refresh_count == 1


def test_with_params_replaces_one_parameter():
    forged = tutorial.with_params("http://localhost:1717/OauthRedirect?code=a%3D%3D&state=s",
                                  state="evil")
    assert forged == "http://localhost:1717/OauthRedirect?code=a%3D%3D&state=evil"


def test_expect_error_prints_the_explanation_not_a_traceback(capsys):
    with tutorial.expect_error():
        raise ConfigurationError("SF_CLIENT_ID is not set")
    with tutorial.expect_error():
        pass
    assert capsys.readouterr().out == ("ConfigurationError: SF_CLIENT_ID is not set\n"
                                       "(no error)\n")


def test_redirect_mismatch_is_explained_from_the_error_page(env, capsys):
    progress = quiet(tutorial.catch_up, 1)
    settings = progress.settings
    flow = AuthorizationFlow(settings.login_url, settings.client_id,
                             settings.callback_url.replace("OauthRedirect", "OAuthRedirect"))
    with pytest.raises(AuthorizationError, match="redirect_uri_mismatch") as caught:
        tutorial.Login(progress.target, flow, listen=False).start()
    assert "Callback URL exactly" in str(caught.value)
    assert "did not redirect" in capsys.readouterr().out


def test_reading_progress_attributes_never_calls_a_server(env):
    """Issue 11: no property performs network calls; the exchange is a named, visible step."""
    progress = quiet(tutorial.catch_up, 5)
    with pytest.raises(tutorial.LoginPending, match=r"progress\.exchange_code\(\)"):
        _ = progress.token
    with pytest.raises(tutorial.LoginPending):
        _ = progress.api
    assert len(progress.transcript) == 0  # nothing went to ORG B's token endpoint
    out = io.StringIO()
    with redirect_stdout(out):
        token = progress.exchange_code()
        again = progress.exchange_code()  # idempotent: a code is single use
    assert token is again is progress.token
    assert "authorization code exchanged" in out.getvalue()
    assert "already there" in out.getvalue()
    assert token.access_token not in out.getvalue()  # masked


def test_login_pending_renders_as_a_short_message_not_a_traceback():
    lines = tutorial.LoginPending("no callback yet")._render_traceback_()
    assert len(lines) == 2 and "no callback yet" in lines[0]
    assert not any("Traceback" in line for line in lines)


def interactive_login(env, monkeypatch, timeout: float):
    monkeypatch.setenv("TUTORIAL_BROWSER", "interactive")
    progress = quiet(tutorial.catch_up, 3)
    login = quiet(tutorial.Login(progress.target, progress.flow, timeout=timeout).start)
    user = progress.target.org_b_user
    url = ScriptedBrowser(progress.target.orgs.ca_bundle).authorize(
        progress.flow.authorization_url, user["username"], user["password"])
    return progress, login, url


def test_a_paste_after_the_listener_timed_out_is_still_accepted(env, monkeypatch):
    """Issue 11: the listener's timeout must not end the login; the code is valid 15 min
    (Salesforce Help, OAuth 2.0 Web Server Flow: the authorization code expires after 15
    minutes), so the learner's pasted address is still redeemable."""
    progress, login, url = interactive_login(env, monkeypatch, timeout=0.5)
    login._reporter.join(10)  # the listener gave up (nobody followed the redirect)
    assert login.timed_out and not login.done
    assert "paste the address" in login._out.outputs[0]["text"]
    assert login.try_address(url)
    assert login.grant().code.startswith("aPrx")
    assert quiet(progress.client.exchange_code, login.grant()).access_token


def test_a_wrong_paste_does_not_use_up_the_login(env, monkeypatch):
    progress, login, url = interactive_login(env, monkeypatch, timeout=30)
    forged = tutorial.with_params(url, state="from-an-old-tab")
    assert not login.try_address(forged)
    assert not login.try_address("https://example.com/not-the-callback")
    assert not login.done
    assert "still open" in login._out.outputs[-1]["text"]
    assert login.try_address(url)
    assert login.grant().code.startswith("aPrx")
    login.close()


def test_the_learners_own_login_carries_over_to_the_next_notebook(env, monkeypatch):
    """Issue 11: after your live login (04/05) the next notebook uses that grant instead of a
    demo-user login; the code is kept 0600 in the git-ignored data folder and used once."""
    progress, login, url = interactive_login(env, monkeypatch, timeout=30)
    assert login.try_address(url)
    login._report()  # what the paste button does after a good address
    saved = progress.target.settings.localorg_data / "learner-grant.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert login.grant().code not in login._out.outputs[-1]["text"]  # never printed
    out = io.StringIO()
    with redirect_stdout(out):
        nxt = tutorial.catch_up(6)
    assert "your own login from an earlier notebook" in out.getvalue()
    assert "demo user" not in out.getvalue()
    assert nxt.token.access_token and not saved.exists()  # redeemed once, file gone
    with redirect_stdout(io.StringIO()):
        again = tutorial.catch_up(6)  # nothing saved any more: the demo user logs in
    assert again.login.via != "your login in an earlier notebook"


def test_an_old_saved_login_is_not_used(env, monkeypatch):
    import json
    import time

    progress, login, url = interactive_login(env, monkeypatch, timeout=30)
    assert login.try_address(url)
    login._report()
    saved = progress.target.settings.localorg_data / "learner-grant.json"
    record = json.loads(saved.read_text())
    record["saved_at"] = time.time() - 15 * 60  # Salesforce: a code lives 15 minutes
    saved.write_text(json.dumps(record))
    out = io.StringIO()
    with redirect_stdout(out):
        tutorial.catch_up(5)
    assert "demo user" in out.getvalue() and not saved.exists()


def test_a32_a_kept_refresh_token_serves_later_notebooks_without_a_new_login(env):
    """Issue 9 / Salesforce's five approvals per user and app: on real orgs the grant of one
    notebook is reused by the next ones through its refresh token, kept 0600 and git-ignored.
    The functions are the same for every target; the local orgs stand in for the real ones."""
    from dataclasses import replace

    from helpers.tutorial import handover

    progress = quiet(tutorial.catch_up, 7)
    settings = progress.settings
    path = handover.save_session(settings, progress.token)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert progress.token.access_token not in path.read_text()  # the refresh token only
    token = handover.resume_session(settings, progress.client)
    assert token is not None and token.access_token != progress.token.access_token
    assert AuthorizedSession(progress.client, token).identity()["user_id"]
    other_app = replace(settings, client_id="3MVG9-another-app")
    assert handover.resume_session(other_app, progress.client) is None and path.exists()
    progress.client.revoke(progress.token.refresh_token)  # revoked (or the sixth approval)
    assert handover.resume_session(settings, progress.client) is None
    assert not path.exists()  # a refused token is forgotten: the next notebook logs in
    assert tutorial.forget_saved_session(settings) is False
