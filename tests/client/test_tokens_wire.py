"""Token endpoint client against Salesforce's wire format, including misbehaving servers
(security.md A-17 … A-20, A-25 … A-27, A-33). Normal paths: see test_integration.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs

import pytest
import requests

from helpers.errors import InvalidSignatureError, TokenRequestError, UntrustedInstanceError
from helpers.http import make_session
from helpers.oauth.authorize import AuthorizationFlow
from helpers.oauth.tokens import OAuthClient, verify_signature
from helpers.oauth.trust import TrustPolicy
from tests.client import wire

SECRET = "8D5A2C1B9E7F6A3D"


def test_signature_known_answer_pins_key_and_message_order():
    d = wire.TOKEN_RESPONSE_DOCS
    assert verify_signature(SECRET, d["id"], d["issued_at"],
                            "VBrKr5Bu3y8NMhsK15ZK85QcA1Sarf/XL2I1Zh+qvO8=")
    # issued_at + id (wrong order) and another key do not verify
    assert not verify_signature(SECRET, d["id"], d["issued_at"],
                                "Cf+jxbkJ0fT0co43DtgSaw4cl5azn9H9m0PRAo3L7tY=")
    assert not verify_signature("other", d["id"], d["issued_at"],
                                "VBrKr5Bu3y8NMhsK15ZK85QcA1Sarf/XL2I1Zh+qvO8=")
    assert not verify_signature(SECRET, d["id"], d["issued_at"], d["signature"][:-1] + "é")


@pytest.mark.parametrize("url", [
    "https://orgb.my.salesforce.com", "https://acme--dev.sandbox.my.salesforce.com",
    "https://home406-dev-ed.develop.my.salesforce.com", "https://na1.salesforce.com/",
    "https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P",
    "https://acme.lightning.force.com", "https://acme.my.site.com",
])
def test_salesforce_hosts_are_trusted_A19(url):
    assert TrustPolicy().check(url) == url


@pytest.mark.parametrize("url", [
    "http://evil.example", "https://x.salesforce.com.evil.example",
    "http://orgb.my.salesforce.com", "https://orgb.my.salesforce.com:8443",
    "https://user@orgb.my.salesforce.com", "https://evilsalesforce.com",
    "https://orgb.my.salesforce.com\\@evil.example", "", "https://salesforce.com",
])
def test_other_hosts_are_refused_A19(url):
    with pytest.raises(UntrustedInstanceError):
        TrustPolicy().check(url)


@pytest.mark.parametrize("url", [
    "http://localhost:80@evil.example/cb", "http://127.0.0.1.evil.example/",
    "http://evil.example/?x=127.0.0.1", "http://localhost:8700", "https://127.0.0.1:9999",
])
def test_local_mode_accepts_only_the_exact_loopback_origins_A26(url):
    policy = TrustPolicy.local(["http://127.0.0.1:8700", "https://127.0.0.1:8702"])
    assert policy.check("http://127.0.0.1:8700/id/00D/005")
    with pytest.raises(UntrustedInstanceError):
        policy.check(url)


# -- against a stand-in token endpoint that misbehaves ----------------------------------

def signed_response(base: str, secret: str = SECRET, **overrides) -> dict:
    id_url = f"{base}/id/00D5i00000CIhxbEAD/0055i000007pIKjAAM"
    issued_at = str(int(time.time() * 1000))
    sig = base64.b64encode(hmac.new(secret.encode(), (id_url + issued_at).encode(),
                                    hashlib.sha256).digest()).decode()
    body = {"access_token": "00D5i00000CIhxb!AQSENTINEL_AT_0123456789",
            "refresh_token": "5Aep861SENTINEL_RT_0123456789", "signature": sig,
            "scope": "api refresh_token", "instance_url": base, "id": id_url,
            "token_type": "Bearer", "issued_at": issued_at, "sfdc_community_id": "ignored"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def client_for(canned, secret: str = SECRET, **kw) -> OAuthClient:
    return OAuthClient(canned.url, "3MVG9Key", secret, session=make_session(timeout=(2, 2)),
                       trust=TrustPolicy.local([canned.url]), **kw)


def grant_for(canned, code: str = wire.CODE_DECODED):
    flow = AuthorizationFlow(canned.url, "3MVG9Key", "http://localhost:1717/OauthRedirect")
    from urllib.parse import urlsplit
    state = parse_qs(urlsplit(flow.authorization_url).query)["state"][0]
    flow.consume_state(state)
    return flow.grant(code)


def test_exchange_request_shape_client_secret_post_A17(canned):
    canned.reply(200, signed_response(canned.url))
    grant = grant_for(canned)
    token = client_for(canned).exchange_code(grant)
    assert token.signature_verified and token.refresh_token.startswith("5Aep861")
    [req] = canned.requests
    assert req["method"] == "POST" and req["path"] == "/services/oauth2/token"
    assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(req["body"])
    assert form == {"grant_type": ["authorization_code"], "code": [wire.CODE_DECODED],
                    "code_verifier": [grant.code_verifier],
                    "redirect_uri": ["http://localhost:1717/OauthRedirect"],
                    "client_id": ["3MVG9Key"], "client_secret": [SECRET]}
    assert "%3D%3D" in req["body"]  # the decoded code is form-encoded once, not twice


def test_basic_client_auth_form_encodes_before_base64_A17(canned):
    secret = "a+b:c%d/e"
    canned.reply(200, signed_response(canned.url, secret))
    client_for(canned, secret, client_auth="client_secret_basic").exchange_code(grant_for(canned))
    [req] = canned.requests
    raw = base64.b64decode(req["headers"]["Authorization"].split()[1]).decode()
    assert raw == "3MVG9Key:a%2Bb%3Ac%25d%2Fe"
    assert "client_secret" not in parse_qs(req["body"])


@pytest.mark.parametrize("status, body, error", [
    (400, wire.TOKEN_ERRORS["reused_code"], "invalid_grant"),
    (400, wire.TOKEN_ERRORS["grant_type"], "unsupported_grant_type"),
    (401, wire.TOKEN_ERRORS["wrong_secret"], "invalid_client"),
    (500, b"<html>oops</html>", "invalid_response"),
    (200, b"<html>login page</html>", "invalid_response"),
    (200, {"token_type": "Bearer"}, "invalid_response"),
])
def test_error_and_unusable_responses_raise_typed_errors_A18(canned, status, body, error):
    canned.reply(status, body)
    with pytest.raises(TokenRequestError) as info:
        client_for(canned).exchange_code(grant_for(canned))
    assert info.value.error == error and info.value.status == status


def test_token_type_must_be_bearer_case_insensitively_A18(canned):
    canned.reply(200, signed_response(canned.url, token_type="bearer"))
    assert client_for(canned).exchange_code(grant_for(canned)).token_type == "bearer"
    canned.reply(200, signed_response(canned.url, token_type="mac"))
    with pytest.raises(TokenRequestError, match="Bearer"):
        client_for(canned).exchange_code(grant_for(canned))


@pytest.mark.parametrize("field, value", [
    ("instance_url", "http://evil.example"),
    ("instance_url", "https://x.salesforce.com.evil.example"),
    ("id", "http://evil.example/id/00D/005"),
])
def test_untrusted_instance_or_id_url_is_refused_before_any_use_A19(canned, field, value):
    canned.reply(200, signed_response(canned.url, **{field: value}))
    with pytest.raises(UntrustedInstanceError):
        client_for(canned).exchange_code(grant_for(canned))
    assert len(canned.requests) == 1  # only the token request; nothing sent to evil.example


def test_bad_signature_is_refused(canned):
    canned.reply(200, signed_response(canned.url, secret="another-apps-secret"))
    with pytest.raises(InvalidSignatureError):
        client_for(canned).exchange_code(grant_for(canned))
    canned.reply(200, signed_response(canned.url, signature=None))
    with pytest.raises(InvalidSignatureError):
        client_for(canned).exchange_code(grant_for(canned))


def test_redirects_are_never_followed_with_credentials_A27(canned):
    canned.reply(307, b"", {"Location": canned.url + "/elsewhere"})
    with pytest.raises(TokenRequestError, match="redirect") as info:
        client_for(canned).exchange_code(grant_for(canned))
    assert info.value.status == 307 and len(canned.requests) == 1


def test_no_answer_means_restart_never_a_second_exchange_A20_A33(canned):
    # The stand-in reads the request, then never answers: the read timeout (2 s) bounds it.
    started = time.monotonic()
    with pytest.raises(TokenRequestError, match="start the login again") as info:
        client_for(canned).exchange_code(grant_for(canned))
    assert time.monotonic() - started < 10
    assert info.value.error == "no_response" and len(canned.requests) == 1


def test_every_call_gets_the_default_timeout_A33(canned, monkeypatch):
    seen = []
    original = requests.Session.send

    def spy(self, request, **kwargs):  # records what reaches the transport
        seen.append(kwargs.get("timeout"))
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    canned.reply(200, {"ok": True})
    canned.reply(200, {"ok": True})
    session = make_session(timeout=(3, 7))
    session.get(canned.url + "/x")
    session.post_form(canned.url + "/y", {"a": "b"})
    assert seen == [(3, 7), (3, 7)]


def test_verify_false_is_refused_by_the_session_A25():
    with pytest.raises(ValueError):
        make_session().get("https://example.invalid", verify=False)


def test_environment_ca_variables_cannot_change_trust_A25(orgs, monkeypatch):
    import certifi
    # Public CAs only: the local orgs' certificate must fail, even if the environment
    # points requests at the local CA or empties CURL_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", orgs.ca_bundle)
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    with pytest.raises(requests.exceptions.SSLError):
        make_session().get(orgs.instance_url("B") + "/_localorg/status")
    # Local CA only: works even when the environment names another bundle.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    assert make_session(orgs.ca_bundle).get(orgs.instance_url("B") + "/_localorg/status").ok


# -- AuthorizedSession against a stand-in API -------------------------------------------

def session_for(canned):
    from helpers.oauth.tokens import AuthorizedSession
    client = client_for(canned)
    canned.reply(200, signed_response(canned.url))
    token = client.exchange_code(grant_for(canned))
    canned.requests.clear()
    return AuthorizedSession(client, token)


def test_api_that_refuses_even_a_fresh_token_stops_after_one_refresh_A22(canned):
    from helpers.errors import ReauthRequired
    api = session_for(canned)
    canned.reply(401, wire.EXPIRED_SESSION_BODY)
    canned.reply(200, signed_response(canned.url, refresh_token=None))
    canned.reply(401, wire.EXPIRED_SESSION_BODY)
    with pytest.raises(ReauthRequired):
        api.request("GET", "/services/data/v62.0/limits")
    assert [r["path"] for r in canned.requests] == [
        "/services/data/v62.0/limits", "/services/oauth2/token", "/services/data/v62.0/limits"]


def test_refresh_answered_with_any_error_drops_the_refresh_token_A22(canned):
    from helpers.errors import ReauthRequired
    api = session_for(canned)
    canned.reply(401, wire.EXPIRED_SESSION_BODY)
    canned.reply(400, {"error": "invalid_request", "error_description": "whatever"})
    with pytest.raises(ReauthRequired):
        api.request("GET", "/x")
    assert api.token.refresh_token is None
    canned.reply(401, wire.EXPIRED_SESSION_BODY)
    with pytest.raises(ReauthRequired):
        api.request("GET", "/x")
    assert len(canned.requests) == 3  # api, refresh, api - and no second refresh


def test_api_redirects_are_not_followed_with_the_bearer_token_A27(canned):
    api = session_for(canned)
    canned.reply(302, b"", {"Location": "http://127.0.0.2:1/steal"})
    assert api.request("GET", "/services/data/").status_code == 302
    assert len(canned.requests) == 1


def test_bearer_calls_only_go_to_trusted_hosts_A19(canned):
    api = session_for(canned)
    with pytest.raises(UntrustedInstanceError):
        api.request("GET", "https://evil.example/services/data/")
    assert canned.requests == []


def test_logout_on_503_keeps_a_revoke_later_marker_and_wipes_tokens_A24(canned):
    from helpers.errors import ReauthRequired
    api = session_for(canned)
    canned.reply(503, b"busy")
    assert api.logout() is False and api.revocation_pending
    with pytest.raises(ReauthRequired):
        api.token  # noqa: B018 (property access raises)
    canned.reply(200, b"")
    assert api.retry_revocation() is True and not api.revocation_pending
    bodies = [parse_qs(r["body"]) for r in canned.requests]
    assert bodies[0]["token"] == bodies[1]["token"] == ["5Aep861SENTINEL_RT_0123456789"]
    assert all("client_secret" not in b for b in bodies)


def test_code_goes_back_only_to_the_login_host_that_issued_it_A07(canned):
    grant = grant_for(canned)
    other = OAuthClient("https://login.salesforce.com", "3MVG9Key", SECRET)
    with pytest.raises(TokenRequestError, match="issued by") as info:
        other.exchange_code(grant)
    assert info.value.error == "issuer_mismatch" and canned.requests == []


def test_requests_is_at_least_2_32_2_A25():
    major, minor, patch = (int(x) for x in requests.__version__.split(".")[:3])
    assert (major, minor, patch) >= (2, 32, 2)  # CVE-2024-35195 (verify=False stuck to pools)


def test_netrc_credentials_never_replace_our_authorization_header(canned, tmp_path, monkeypatch):
    """trust_env is off: ~/.netrc (and proxy/CA variables) do not touch our requests."""
    host = canned.url.split("//")[1].split(":")[0]
    (tmp_path / ".netrc").write_text(f"machine {host} login netrcuser password netrcpass\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    canned.reply(200, {"ok": True})
    make_session().get(canned.url + "/x", headers={"Authorization": "Bearer abc"})
    assert canned.requests[0]["headers"]["Authorization"] == "Bearer abc"
