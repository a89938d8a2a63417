"""Identity URL /id/<org>/<user>, userinfo, discovery (sources: docs/security.md, section 6)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.localorg.flow import get_tokens

USERINFO = "/services/oauth2/userinfo"


@pytest.fixture(scope="module")
def tokens(orgs):
    return get_tokens(orgs, orgs.create_app(scopes="api refresh_token id openid"))


def bearer(tok):
    return {"Authorization": "Bearer " + tok["access_token"]}


def test_identity_url_describes_the_tokens_user(orgs, tokens):
    resp = orgs.session().get(tokens["id"], headers=bearer(tokens), timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    org_id = orgs.info["orgs"]["B"]["org_id"]
    assert body["id"] == tokens["id"]
    assert body["organization_id"] == org_id and body["user_id"] == tokens["id"].split("/")[-1]
    assert body["username"] == orgs.user("B")["username"]
    assert body["asserted_user"] is True and body["active"] is True
    base = orgs.instance_url("B")
    assert body["urls"]["rest"] == base + "/services/data/v{version}/"
    assert body["urls"]["sobjects"] == base + "/services/data/v{version}/sobjects/"
    assert body["urls"]["enterprise"] == base + "/services/Soap/c/{version}/" + org_id[:15]


def test_identity_version_parameter_fills_the_placeholders(orgs, tokens):
    body = orgs.session().get(tokens["id"] + "?version=62.0", headers=bearer(tokens),
                              timeout=10).json()
    assert body["urls"]["rest"] == orgs.instance_url("B") + "/services/data/v62.0/"
    assert all("{version}" not in url for url in body["urls"].values())


def test_identity_accepts_oauth_token_parameter(orgs, tokens):
    """Salesforce documents ``oauth_token`` for the identity URL and userinfo only."""
    resp = orgs.session().get(tokens["id"], params={"oauth_token": tokens["access_token"]},
                              timeout=10)
    assert resp.status_code == 200


def test_identity_with_15_character_ids(orgs, tokens):
    org_id, user_id = tokens["id"].split("/")[-2:]
    url = f"{orgs.login_url}/id/{org_id[:15]}/{user_id[:15]}"
    assert orgs.session().get(url, headers=bearer(tokens), timeout=10).status_code == 200


def test_identity_of_another_user_is_403(orgs, tokens):
    other = get_tokens(orgs, orgs.create_app(org="A"), org="A")
    resp = orgs.session().get(other["id"], headers=bearer(tokens), timeout=10)
    assert resp.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Bearer "}, {"Authorization": "Basic x"},
                                     {"Authorization": "Bearer " + "x" * 10_000}])
def test_identity_and_userinfo_without_a_valid_token_are_403_bad_oauth_token(orgs, tokens,
                                                                            headers):
    """Salesforce answers 403 ``Bad_OAuth_Token`` here, not 401 (jsforce PR 736, Forrest PR
    286); for a missing token the same answer is our choice (UNCONFIRMED)."""
    s = orgs.session()
    for url in (tokens["id"], orgs.login_url + USERINFO):
        resp = s.get(url, headers=headers, timeout=10)
        assert (resp.status_code, resp.text) == (403, "Bad_OAuth_Token")


def test_expired_or_revoked_access_token_is_403_bad_oauth_token(orgs):
    """B-24 for the identity URL and userinfo: Salesforce answers 403 with the body
    ``Bad_OAuth_Token`` (jsforce PR 736: "when the accessToken expires, this endpoint returns
    a 403"; Forrest PR 286); the REST API's 401 has its own tests."""
    tok = get_tokens(orgs, orgs.create_app())
    s = orgs.session()
    assert s.get(tok["id"], headers=bearer(tok), timeout=10).status_code == 200
    with orgs.db().tx() as db:
        db.execute("UPDATE oauth_tokens SET expires_at=issued_at WHERE token_hash=?",
                   (hashlib.sha256(tok["access_token"].encode()).hexdigest(),))
    for url in (tok["id"], orgs.login_url + USERINFO):
        resp = s.get(url, headers=bearer(tok), timeout=10)
        assert (resp.status_code, resp.text) == (403, "Bad_OAuth_Token")
        assert resp.headers["Content-Type"].startswith("text/plain")
    revoked = get_tokens(orgs, orgs.create_app())
    assert s.post(orgs.login_url + "/services/oauth2/revoke",
                  data={"token": revoked["access_token"]}, timeout=10).status_code == 200
    resp = s.get(revoked["id"], headers=bearer(revoked), timeout=10)
    assert (resp.status_code, resp.text) == (403, "Bad_OAuth_Token")


def test_userinfo_claims(orgs, tokens):
    for method in ("get", "post"):
        resp = getattr(orgs.session(), method)(orgs.instance_url("B") + USERINFO,
                                               headers=bearer(tokens), timeout=10)
        assert resp.status_code == 200
        body = resp.json()
        assert body["sub"] == tokens["id"]
        assert body["preferred_username"] == orgs.user("B")["username"]
        assert body["organization_id"] == orgs.info["orgs"]["B"]["org_id"]
        assert {"name", "given_name", "family_name", "email", "user_id", "urls",
                "zoneinfo", "locale", "updated_at"} <= set(body)


@pytest.mark.parametrize("host", ["login", "A", "B"])
def test_discovery_document_per_host(orgs, host):
    base = orgs.login_url if host == "login" else orgs.instance_url(host)
    doc = orgs.session().get(base + "/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == base  # never login.salesforce.com: no mix-up (B-36, A-07)
    for key, path in (("authorization_endpoint", "authorize"), ("token_endpoint", "token"),
                      ("revocation_endpoint", "revoke"), ("userinfo_endpoint", "userinfo"),
                      ("introspection_endpoint", "introspect")):
        assert doc[key] == f"{base}/services/oauth2/{path}"
    assert {"api", "refresh_token", "openid"} <= set(doc["scopes_supported"])
    assert doc["response_types_supported"] == ["code"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post",
                                                            "client_secret_basic"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["jwks_uri"] == base + "/id/keys"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "registration_endpoint" not in doc


def test_id_token_with_openid_scope_verifies_against_the_published_keys(orgs):
    """``id_token`` (RS256, keys at /id/keys, per Salesforce's discovery document) with openid."""
    app = orgs.create_app(scopes="api openid")
    tok = get_tokens(orgs, app, host="B", nonce="n-0S6_WzA2Mj")
    assert list(tok)[:4] == ["access_token", "signature", "scope", "id_token"]
    jwks = orgs.session().get(orgs.instance_url("B") + "/id/keys", timeout=10).json()
    decoded = jwt.decode(tok["id_token"], KeySet.import_key_set(jwks))
    claims = decoded.claims
    assert decoded.header["alg"] == "RS256"
    assert claims["aud"] == app.client_id and claims["iss"] == orgs.instance_url("B")
    assert claims["sub"] == tok["id"] and claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["preferred_username"] == orgs.user("B")["username"]
    assert 0 < claims["exp"] - claims["iat"] <= 300
    digest = hashlib.sha256(tok["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    # Same key on every host (one org database, one key per data folder).
    assert orgs.session().get(orgs.login_url + "/id/keys", timeout=10).json() == jwks


def test_no_id_token_without_openid(orgs):
    assert "id_token" not in get_tokens(orgs, orgs.create_app(scopes="api"))
