"""The whole client flow against the real local orgs over real sockets.

Browser part: ``conftest.browser`` opens the flow's own authorization URL and answers the
org's real login and consent forms; the callback reaches our listener over HTTP.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
import requests

import localorg
from helpers.errors import (
    AuthorizationDenied,
    ReauthRequired,
    StateMismatchError,
    TokenRequestError,
)
from helpers.oauth import (
    AuthorizationFlow,
    AuthorizedSession,
    CallbackListener,
    OAuthClient,
    parse_callback_url,
)
from helpers.transcript import Transcript
from localorg import free_port_base
from tests.client.conftest import browser, local_settings

API_LIMITS = "/services/data/v62.0/limits"


def callback_url() -> str:
    return f"http://localhost:{free_port_base(1)}/OauthRedirect"


def setup(orgs, **app_kwargs):
    """An app in ORG B with a free callback port, and settings + client for it."""
    cb = callback_url()
    app = orgs.create_app(callback_urls=[cb], **app_kwargs)
    settings = local_settings(orgs, app, SF_CALLBACK_URL=cb)
    transcript = Transcript()
    return app, settings, OAuthClient.from_settings(settings, transcript=transcript), transcript


def login(orgs, settings):
    """Flow + pasted callback URL: the grant, the way a remote-kernel learner gets it."""
    flow = AuthorizationFlow.from_settings(settings)
    return flow, parse_callback_url(flow, browser(orgs, flow))


def expire(orgs, access_token: str) -> None:
    """Move the stored expiry of an access token into the past (no sleeping)."""
    assert localorg.expire_access_token(access_token, data_dir=orgs.data_dir)


def test_full_flow_with_the_loopback_listener(orgs):
    app, settings, client, transcript = setup(orgs)
    flow = AuthorizationFlow.from_settings(settings)
    with CallbackListener(flow, timeout=60).start() as listener:
        location = browser(orgs, flow)
        page = requests.get(location, timeout=10)  # the browser follows the 302
        assert page.status_code == 200 and "Login complete" in page.text
        grant = listener.wait()
    token = client.exchange_code(grant)
    assert token.instance_url == orgs.instance_url("B")
    assert token.org_id == orgs.info["orgs"]["B"]["org_id"]
    assert token.signature_verified and token.refresh_token
    assert token.scopes == ("api", "refresh_token")
    assert token.id_url.startswith(orgs.login_url + "/id/")
    assert abs((datetime.now(timezone.utc) - token.issued_at).total_seconds()) < 120
    api = AuthorizedSession(client, token)
    identity = api.identity()
    assert identity["username"] == orgs.user("B")["username"]
    assert identity["user_id"] == token.user_id
    assert api.userinfo()["preferred_username"] == orgs.user("B")["username"]
    assert api.request("GET", API_LIMITS).status_code == 200
    # The transcript shows the exchange, masked.
    text = str(transcript)
    assert "grant_type=authorization_code" in text and "(masked)" in text
    assert app.client_secret not in text and token.access_token not in text
    assert grant.code not in text and grant.code_verifier not in text
    shown = transcript._repr_html_()
    assert "<table>" in shown and token.access_token not in shown
    assert token.refresh_token not in shown and app.client_secret not in shown


def test_receive_callback_waits_for_the_browser(orgs):
    _, settings, client, _ = setup(orgs)
    flow = AuthorizationFlow.from_settings(settings)

    def learner() -> None:  # the learner's browser, some time after the notebook waits
        requests.get(browser(orgs, flow), timeout=10)

    browsing = threading.Thread(target=learner)
    listener = CallbackListener(flow, timeout=60).start()
    browsing.start()
    grant = listener.wait()
    browsing.join()
    assert client.exchange_code(grant).refresh_token


def test_code_is_single_use_invalid_grant(orgs):
    _, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    client.exchange_code(grant)
    with pytest.raises(TokenRequestError) as info:
        client.exchange_code(grant)
    assert (info.value.error, info.value.error_description, info.value.status) == \
        ("invalid_grant", "expired authorization code", 400)
    assert "single use" in str(info.value)


def test_expired_code_invalid_grant(orgs):
    _, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    assert localorg.expire_code(grant.code, data_dir=orgs.data_dir)
    with pytest.raises(TokenRequestError, match="15 minutes") as info:
        client.exchange_code(grant)
    assert info.value.error == "invalid_grant"


def test_wrong_secret_invalid_client(orgs):
    app, settings, _, _ = setup(orgs)
    _, grant = login(orgs, settings)
    wrong = OAuthClient(settings.login_url, app.client_id, "0" * 64,
                        session=OAuthClient.from_settings(settings).session,
                        trust=settings.trust_policy())
    with pytest.raises(TokenRequestError, match="SF_CLIENT_SECRET") as info:
        wrong.exchange_code(grant)
    assert info.value.error == "invalid_client"


def test_unknown_client_id_invalid_client_id(orgs):
    app, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    other = OAuthClient(settings.login_url, "3MVG9NoSuchApp", app.client_secret,
                        session=client.session, trust=settings.trust_policy())
    with pytest.raises(TokenRequestError, match="SF_CLIENT_ID") as info:
        other.exchange_code(grant)
    assert info.value.error in ("invalid_client_id", "invalid_client")


def test_redirect_uri_differing_from_the_authorization_request(orgs):
    _, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    with pytest.raises(TokenRequestError, match="exactly") as info:
        client.exchange_code(replace(grant, redirect_uri="http://localhost:1/other"))
    assert info.value.error == "redirect_uri_mismatch"


def test_wrong_pkce_verifier_is_refused(orgs):
    _, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    with pytest.raises(TokenRequestError) as info:
        client.exchange_code(replace(grant, code_verifier="x" * 43))
    assert info.value.error in ("invalid_grant", "invalid_request")


def test_wrong_state_never_reaches_the_token_endpoint_A03(orgs):
    _, settings, client, transcript = setup(orgs)
    flow = AuthorizationFlow.from_settings(settings)
    location = browser(orgs, flow)
    forged = location.replace("state=", "state=forged")
    with pytest.raises(StateMismatchError):
        parse_callback_url(flow, forged)
    assert len(transcript) == 0  # no token request was made


def test_denied_consent_reaches_the_listener_as_access_denied_A13(orgs):
    _, settings, _, transcript = setup(orgs)
    flow = AuthorizationFlow.from_settings(settings, prompt="consent")
    with CallbackListener(flow, timeout=60).start() as listener:
        location = browser(orgs, flow, decision="deny")
        page = requests.get(location, timeout=10)
        assert page.status_code == 400 and "access_denied" in page.text
        with pytest.raises(AuthorizationDenied, match="Deny"):
            listener.wait()
    assert len(transcript) == 0


def test_expired_access_token_is_refreshed_once_and_the_call_retried_A21(orgs):
    _, settings, client, transcript = setup(orgs)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    api = AuthorizedSession(client, token)
    expire(orgs, token.access_token)
    response = api.request("GET", API_LIMITS)
    assert response.status_code == 200
    assert api.refresh_count == 1 and api.token.access_token != token.access_token
    assert api.token.refresh_token == token.refresh_token  # no rotation: kept
    assert [e.title for e in transcript.exchanges].count("POST /services/oauth2/token") == 2


def test_identity_and_userinfo_refresh_on_403_bad_oauth_token_A21(orgs):
    """The identity URL and userinfo answer an expired token with 403 ``Bad_OAuth_Token``,
    not 401 (jsforce PR 736, Forrest PR 286): that refreshes once too, and a 403 that is not
    about the token does not."""
    _, settings, client, transcript = setup(orgs)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    api = AuthorizedSession(client, token)
    expire(orgs, token.access_token)
    assert api.identity()["user_id"] == token.user_id
    assert api.refresh_count == 1
    expire(orgs, api.token.access_token)
    assert api.userinfo()["user_id"] == token.user_id
    assert api.refresh_count == 2
    other_user = token.id_url.rsplit("/", 1)[0] + "/005000000000001AAA"
    response = api.request("GET", other_user)  # 403 for another user's identity: no refresh
    assert response.status_code == 403 and response.text != "Bad_OAuth_Token"
    assert api.refresh_count == 2
    assert [e.title for e in transcript.exchanges].count("POST /services/oauth2/token") == 3


def test_ten_threads_on_an_expired_token_share_one_refresh_A23(orgs):
    _, settings, client, transcript = setup(orgs)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    api = AuthorizedSession(client, token)
    expire(orgs, token.access_token)
    barrier = threading.Barrier(10)
    results: list[int] = []

    def call() -> None:
        barrier.wait()
        results.append(api.request("GET", API_LIMITS).status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 10
    assert api.refresh_count == 1
    refreshes = [e for e in transcript.exchanges if ("grant_type", "refresh_token") in e.form]
    assert len(refreshes) == 1


def test_rotated_refresh_token_replaces_the_old_one_A23(orgs):
    _, settings, client, _ = setup(orgs, refresh_rotation=True)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    refreshed = client.refresh(token)
    assert refreshed.refresh_token and refreshed.refresh_token != token.refresh_token
    with pytest.raises(TokenRequestError) as info:  # the old one is spent
        client.refresh(token)
    assert info.value.error == "invalid_grant"


def test_refused_refresh_drops_the_refresh_token_and_asks_for_login_A22(orgs):
    _, settings, client, transcript = setup(orgs)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    client.revoke(token.refresh_token)  # takes the access token along (Mobile SDK guide)
    api = AuthorizedSession(client, token)
    with pytest.raises(ReauthRequired, match="log in again"):
        api.identity()
    assert api.token.refresh_token is None
    calls = len(transcript)
    with pytest.raises(ReauthRequired):
        api.identity()
    assert len(transcript) == calls + 1  # one API call, no further refresh attempt


def test_logout_revokes_the_grant_A24(orgs):
    _, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    api = AuthorizedSession(client, token)
    assert api.logout() is True and not api.revocation_pending
    with pytest.raises(ReauthRequired):
        api.token  # noqa: B018 (property access raises)
    stale = client.session.get(token.id_url, headers={
        "Authorization": f"Bearer {token.access_token}"})
    assert (stale.status_code, stale.text) == (403, "Bad_OAuth_Token")  # identity URL
    with pytest.raises(TokenRequestError) as info:  # Salesforce: 400 for an unknown token
        client.revoke(token.refresh_token)
    assert info.value.status == 400


def test_debug_logging_leaks_nothing_through_the_whole_flow_A29(orgs, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "helpers"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    app, settings, client, _ = setup(orgs)
    flow = AuthorizationFlow.from_settings(settings)
    with CallbackListener(flow, timeout=60).start() as listener:
        requests.get(browser(orgs, flow), timeout=10)
        grant = listener.wait()
    token = client.exchange_code(grant)
    api = AuthorizedSession(client, token)
    api.identity()
    expire(orgs, token.access_token)
    api.request("GET", API_LIMITS)
    refreshed = api.token
    api.logout()
    secrets = [app.client_secret, grant.code, grant.code_verifier, token.access_token,
               token.refresh_token, refreshed.access_token]
    out, err = capfd.readouterr()
    logged = caplog.text
    assert "urllib3" in logged or "connectionpool" in logged  # DEBUG really was on
    for secret in secrets:
        assert secret and secret not in logged and secret not in out and secret not in err


def test_instance_url_and_id_point_at_the_configured_local_orgs_A19(orgs):
    _, settings, client, _ = setup(orgs)
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    origins = settings.local_origins()
    assert f"{urlsplit(token.instance_url).scheme}://{urlsplit(token.instance_url).netloc}" \
        in origins


def test_flow_through_org_b_my_domain_over_https_with_the_local_ca(orgs):
    cb = callback_url()
    app = orgs.create_app(callback_urls=[cb])
    settings = local_settings(orgs, app, SF_CALLBACK_URL=cb, SF_LOGIN_URL=orgs.instance_url("B"))
    client = OAuthClient.from_settings(settings)
    assert client.session.verify == orgs.ca_bundle
    _, grant = login(orgs, settings)
    token = client.exchange_code(grant)
    assert token.signature_verified and token.instance_url == orgs.instance_url("B")
    assert AuthorizedSession(client, token).identity()["organization_id"] == token.org_id
