"""The web server flow through the real login and consent pages, and the token it yields."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qs, urlsplit

from tests.localorg.flow import (
    DEFAULT_CALLBACK,
    authorize,
    authorize_url,
    exchange_code,
    get_tokens,
    login,
    pkce_pair,
)

TOKEN_KEYS = ["access_token", "refresh_token", "signature", "scope", "instance_url", "id",
              "token_type", "issued_at"]


def test_full_flow_returns_salesforce_shaped_token(orgs):
    app = orgs.create_app(scopes="api refresh_token")
    resp_tokens = get_tokens(orgs, app)
    assert list(resp_tokens) == TOKEN_KEYS  # Salesforce's key order (observed), no expires_in
    org_id = orgs.info["orgs"]["B"]["org_id"]
    assert resp_tokens["access_token"].startswith(org_id[:15] + "!AQ")
    assert len(resp_tokens["access_token"].split("!", 1)[1]) >= 86  # >= 128 random bits (B-21)
    assert resp_tokens["refresh_token"].startswith("5Aep861")
    assert resp_tokens["scope"] == "api refresh_token"
    assert resp_tokens["instance_url"] == orgs.instance_url("B")
    assert re.fullmatch(re.escape(orgs.login_url) + r"/id/00D\w{15}/005\w{15}", resp_tokens["id"])
    assert resp_tokens["id"].split("/")[-2] == org_id
    assert resp_tokens["token_type"] == "Bearer"
    assert re.fullmatch(r"\d{13}", resp_tokens["issued_at"])


def test_signature_is_hmac_of_id_and_issued_at_keyed_by_the_secret(orgs):
    app = orgs.create_app()
    tok = get_tokens(orgs, app)
    expected = hmac.new(app.client_secret.encode(), (tok["id"] + tok["issued_at"]).encode(),
                        hashlib.sha256).digest()
    assert base64.b64decode(tok["signature"]) == expected
    assert tok["signature"] == base64.b64encode(expected).decode()


def test_no_refresh_token_without_refresh_scope(orgs):
    app = orgs.create_app(scopes="api")
    tok = get_tokens(orgs, app)
    assert "refresh_token" not in tok and tok["scope"] == "api"


def test_offline_access_scope_also_gives_a_refresh_token(orgs):
    app = orgs.create_app(scopes="api offline_access")
    assert get_tokens(orgs, app)["refresh_token"].startswith("5Aep861")


def test_missing_scope_means_the_apps_scopes(orgs):
    """UNCONFIRMED (Developer Guide silent): without ``scope`` the app's scopes are granted."""
    app = orgs.create_app(scopes="api refresh_token id")
    assert get_tokens(orgs, app, scope=None)["scope"] == "api refresh_token id"


def test_narrower_scope_is_granted_as_asked(orgs):
    app = orgs.create_app(scopes="api refresh_token id")
    tok = get_tokens(orgs, app, scope="api")
    assert tok["scope"] == "api" and "refresh_token" not in tok


def test_code_looks_like_salesforces_and_is_url_encoded(orgs):
    """As observed: ``aPrx`` prefix, base64 alphabet with ``_`` and ``.``, ``==`` as %3D%3D."""
    app = orgs.create_app()
    _, challenge = pkce_pair()
    result = authorize(orgs, app.client_id, code_challenge=challenge, state="abc 123/+")
    assert result.location.startswith(DEFAULT_CALLBACK + "?code=aPrx")
    raw_query = urlsplit(result.location).query
    assert re.search(r"code=aPrx[A-Za-z0-9_.]+%3D%3D&state=", raw_query)
    assert re.fullmatch(r"aPrx[A-Za-z0-9_.]{70}==", result.code)  # 52 random bytes (B-13)
    assert result.state == "abc 123/+"  # echoed unchanged


def test_codes_are_unique(orgs):
    app = orgs.create_app()
    session = orgs.session()
    codes = {authorize(orgs, app.client_id, code_challenge=pkce_pair()[1], session=session).code
             for _ in range(5)}
    assert len(codes) == 5


def test_consent_page_lists_the_app_and_scope_descriptions(orgs):
    app = orgs.create_app(name="Consent Test App", scopes="api refresh_token openid")
    s = orgs.session()
    page = s.get(authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1]), timeout=10)
    user = orgs.user("B")
    resp = login(s, page, user["username"], user["password"])
    consent = s.get(orgs.login_url + resp.headers["Location"], allow_redirects=False, timeout=10)
    assert consent.status_code == 200
    html = consent.text
    assert "Consent Test App" in html
    assert "Manage user data via APIs (api)" in html
    assert "Perform requests at any time (refresh_token, offline_access)" in html
    assert "Access unique user identifiers (openid)" in html
    assert user["username"] in html
    assert 'name="decision" value="allow"' in html and 'name="decision" value="deny"' in html


def test_approval_is_remembered_until_new_scopes_or_prompt_consent(orgs):
    app = orgs.create_app(scopes="api refresh_token id")
    s = orgs.session()
    first = authorize(orgs, app.client_id, scope="api", code_challenge=pkce_pair()[1], session=s)
    assert first.code
    # Same scopes again: straight back with a code, no page (Salesforce "previously approved").
    again = s.get(authorize_url(orgs, app.client_id, scope="api", code_challenge=pkce_pair()[1]),
                  allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "code=aPrx" in again.headers["Location"]
    # A new scope, or prompt=consent, asks again.
    for url in (authorize_url(orgs, app.client_id, scope="api id",
                              code_challenge=pkce_pair()[1]),
                authorize_url(orgs, app.client_id, scope="api", code_challenge=pkce_pair()[1],
                              prompt="consent")):
        page = s.get(url, allow_redirects=False, timeout=10)
        assert page.status_code == 200 and 'id="consent_form"' in page.text


def test_deny_redirects_with_salesforces_access_denied(orgs):
    app = orgs.create_app()
    result = authorize(orgs, app.client_id, code_challenge=pkce_pair()[1], state="972475373f51",
                       decision="deny")
    assert result.location == (DEFAULT_CALLBACK + "?error=access_denied&error_description="
                               "end-user+denied+authorization&state=972475373f51")
    assert result.code is None


def test_prompt_login_shows_the_login_page_even_when_logged_in(orgs):
    app = orgs.create_app()
    s = orgs.session()
    authorize(orgs, app.client_id, code_challenge=pkce_pair()[1], session=s)
    url = authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1], prompt="login")
    page = s.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200 and 'name="pw"' in page.text
    # After logging in again the flow continues (no login loop) to the callback.
    user = orgs.user("B")
    back = login(s, page, user["username"], user["password"])
    assert back.status_code == 302 and "prompt" not in back.headers["Location"]
    done = s.get(orgs.login_url + back.headers["Location"], allow_redirects=False, timeout=10)
    assert done.status_code == 302 and "code=aPrx" in done.headers["Location"]


def test_login_hint_prefills_the_username(orgs):
    app = orgs.create_app()
    url = authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1],
                        login_hint="someone@example.test")
    page = orgs.session().get(url, timeout=10)
    assert 'name="username" value="someone@example.test"' in page.text


def test_flow_on_an_instance_host_my_domain(orgs):
    app = orgs.create_app()
    tok = get_tokens(orgs, app, host="B")
    assert tok["instance_url"] == orgs.instance_url("B")
    assert tok["id"].startswith(orgs.login_url + "/id/")  # identity host stays the login host


def test_org_a_flow_for_an_org_a_app(orgs):
    app = orgs.create_app(org="A")
    tok = get_tokens(orgs, app, org="A")
    assert tok["instance_url"] == orgs.instance_url("A")
    assert tok["access_token"].startswith(orgs.info["orgs"]["A"]["org_id"][:15] + "!")


def test_user_of_another_org_gets_the_cross_org_eca_page(orgs):
    """ORG A's user authorizing ORG B's Local External Client App: error page, no redirect,
    with the ECA's text (unified.to, "SalesForce (External Client Apps) on Multiple
    Organizations", April 2026), not the connected apps' "app must be installed into org"."""
    app = orgs.create_app(org="B")
    s = orgs.session()
    page = s.get(authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1]), timeout=10)
    user_a = orgs.user("A")
    back = login(s, page, user_a["username"], user_a["password"])
    resp = s.get(orgs.login_url + back.headers["Location"], allow_redirects=False, timeout=10)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert "invalid_client" in resp.text
    assert "Cross-org OAuth flows are not supported for this external client app" in resp.text
    # The way out is a log-out link (the classroom: a browser still logged in as ORG B's user).
    assert 'href="/secur/logout.jsp"' in resp.text
    assert s.get(orgs.login_url + "/secur/logout.jsp", timeout=10).ok
    again = s.get(authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1]), timeout=10)
    assert 'name="pw"' in again.text  # logged out: the login page, where ORG B's user can log in


def test_other_orgs_app_on_an_instance_host_is_refused_before_login(orgs):
    app = orgs.create_app(org="B")
    resp = orgs.session().get(authorize_url(orgs, app.client_id, host="A",
                                            code_challenge=pkce_pair()[1]),
                              allow_redirects=False, timeout=10)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert "Cross-org OAuth flows are not supported for this external client app" in resp.text


def test_instance_host_only_lets_its_own_users_log_in(orgs):
    app = orgs.create_app(org="B")
    s = orgs.session()
    page = s.get(authorize_url(orgs, app.client_id, host="B", code_challenge=pkce_pair()[1]),
                 timeout=10)
    user_a = orgs.user("A")
    resp = login(s, page, user_a["username"], user_a["password"])
    assert resp.status_code == 200 and "Please check your username and password" in resp.text


def test_token_exchange_on_login_host_for_code_from_instance_host(orgs):
    """One org database behind all hosts: a code from My Domain redeems at login too."""
    app = orgs.create_app()
    verifier, challenge = pkce_pair()
    code = authorize(orgs, app.client_id, host="B", code_challenge=challenge).code
    resp = exchange_code(orgs, app, code, verifier, host="login")
    assert resp.status_code == 200


def test_html_pages_are_framing_proof_uncached_and_self_contained(orgs):
    """B-08 (anti-framing), B-09 (no referrer, no-store, no CORS, no third-party content)."""
    app = orgs.create_app()
    s = orgs.session()
    pages = [s.get(authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1]),
                   timeout=10),                                               # login
             s.get(authorize_url(orgs, "nope"), timeout=10),                  # error page
             s.get(orgs.instance_url("B") + "/", timeout=10)]                 # instance login
    user = orgs.user("B")
    back = login(s, pages[0], user["username"], user["password"])
    pages.append(s.get(orgs.login_url + back.headers["Location"], allow_redirects=False,
                       timeout=10))                                           # consent
    for page in pages:
        h = page.headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "no-referrer"
        assert "no-store" in h["Cache-Control"]
        assert "Access-Control-Allow-Origin" not in h
        assert h["Content-Type"] == "text/html; charset=utf-8"
        srcs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert all(not re.match(r"(https?:)?//", u) for u in srcs), srcs


def test_third_party_client_requests_oauthlib_with_pkce(orgs):
    """A standard client (requests-oauthlib OAuth2Session, PKCE S256, client_secret_basic)
    completes the flow. The callback and token URL are https, so no insecure-transport flag.
    """
    from oauthlib.oauth2 import WebApplicationClient
    from requests_oauthlib import OAuth2Session

    class Base64urlVerifier(WebApplicationClient):
        """oauthlib draws verifiers from RFC 7636's alphabet, "." and "~" included, which
        Salesforce refuses ("~": nsflow issue 249, 2026); base64url is what jsforce and
        the sf CLI send (src/oauth2.ts)."""

        def create_code_verifier(self, length):  # noqa: ARG002 (oauthlib's signature)
            self.code_verifier = pkce_pair()[0]
            return self.code_verifier

    callback = "https://localhost:1717/OauthRedirect"  # never contacted: we stop at the 302
    app = orgs.create_app(callback_urls=[callback], scopes="api refresh_token")
    base = orgs.instance_url("B")
    client = OAuth2Session(client=Base64urlVerifier(app.client_id), redirect_uri=callback,
                           scope=["api", "refresh_token"], pkce="S256")
    url, state = client.authorization_url(base + "/services/oauth2/authorize")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    browser = orgs.session()
    page = browser.get(url, timeout=10)
    user = orgs.user("B")
    back = login(browser, page, user["username"], user["password"])
    consent = browser.get(base + back.headers["Location"], allow_redirects=False, timeout=10)
    form = re.search(r'action="([^"]+)" id="consent_form"', consent.text).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', consent.text).group(1)
    final = browser.post(base + form.replace("&amp;", "&"),
                         data={"csrf_token": csrf, "decision": "allow"},
                         allow_redirects=False, timeout=10)
    callback_url = final.headers["Location"]
    assert parse_qs(urlsplit(callback_url).query)["state"] == [state]
    token = client.fetch_token(base + "/services/oauth2/token",
                               authorization_response=callback_url,
                               client_secret=app.client_secret, verify=orgs.ca_bundle)
    assert token["access_token"].startswith(orgs.info["orgs"]["B"]["org_id"][:15] + "!")
    assert token["instance_url"] == base


def test_immediate_true_fails_without_login_or_approval(orgs):
    """Developer Guide: ``immediate=true`` never shows a page: immediate_unsuccessful."""
    app = orgs.create_app()
    s = orgs.session()
    url = authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1], immediate="true")
    resp = s.get(url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["error"] == ["immediate_unsuccessful"]
    authorize(orgs, app.client_id, code_challenge=pkce_pair()[1], session=s)  # approve once
    url = authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1], immediate="true")
    resp = s.get(url, allow_redirects=False, timeout=10)
    assert "code=aPrx" in resp.headers["Location"]


def test_logged_in_user_visiting_login_page_with_start_url_goes_there(orgs):
    s = orgs.session()
    page = s.get(orgs.instance_url("B") + "/", timeout=10)
    user = orgs.user("B")
    login(s, page, user["username"], user["password"])
    resp = s.get(orgs.instance_url("B") + "/?startURL=/lightning/setup/Foo/home",
                 allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and resp.headers["Location"] == "/lightning/setup/Foo/home"
