"""POST /services/oauth2/token, authorization_code grant: codes (B-13..B-18), client
authentication (B-19, B-20), response hygiene (B-21, B-22) and Salesforce's error bodies."""

from __future__ import annotations

import base64
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.localorg.flow import DEFAULT_CALLBACK, authorize, pkce_pair

TOKEN = "/services/oauth2/token"
RFC6749_ERROR_CHARS = set(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def new_code(orgs, app, with_pkce: bool = True, session=None):
    """(code, verifier) from the browser part of the flow."""
    verifier, challenge = pkce_pair() if with_pkce else (None, None)
    return authorize(orgs, app.client_id, code_challenge=challenge, session=session).code, verifier


def post(orgs, data=None, host="login", **kwargs) -> requests.Response:
    base = orgs.login_url if host == "login" else orgs.instance_url(host)
    return orgs.session().post(base + TOKEN, data=data, allow_redirects=False, timeout=30,
                               **kwargs)


def code_form(app, code, verifier, **extra):
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
            "client_secret": app.client_secret, "redirect_uri": DEFAULT_CALLBACK,
            "code_verifier": verifier}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def assert_error(resp, error, description=None, status=400):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) <= {"error", "error_description"}  # B-22: nothing else leaks
    assert body["error"] == error
    if description is not None:
        assert body["error_description"] == description
    assert set(body.get("error_description", "")) <= RFC6749_ERROR_CHARS
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Pragma"] == "no-cache"
    return body


def identity_status(orgs, tokens) -> int:
    return orgs.session().get(tokens["id"], headers={
        "Authorization": "Bearer " + tokens["access_token"]}, timeout=10).status_code


@pytest.fixture
def app(orgs):
    return orgs.create_app(scopes="api refresh_token")


def test_success_headers(orgs, app):
    """B-21: JSON, no-store, no-cache on success."""
    code, verifier = new_code(orgs, app)
    resp = post(orgs, code_form(app, code, verifier))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Pragma"] == "no-cache"
    assert "expires_in" not in resp.json()


def test_code_expires_after_its_lifetime(orgs, app):
    """B-13: stored lifetime is 15 minutes (Salesforce); past it -> expired authorization code."""
    code, verifier = new_code(orgs, app)
    code_hash = hashlib.sha256(code.encode()).hexdigest()
    store = orgs.db()
    row = store.one("SELECT created_at, expires_at FROM oauth_codes WHERE code_hash=?",
                    (code_hash,))
    assert row["expires_at"] - row["created_at"] == 15 * 60
    with store.tx() as db:
        db.execute("UPDATE oauth_codes SET expires_at=created_at-1 WHERE code_hash=?",
                   (code_hash,))
    assert_error(post(orgs, code_form(app, code, verifier)), "invalid_grant",
                 "expired authorization code")


def test_only_hashes_of_codes_are_stored(orgs, app):
    code, _ = new_code(orgs, app)
    dump = "\n".join(str(tuple(r)) for r in orgs.db().query("SELECT * FROM oauth_codes"))
    assert code not in dump and hashlib.sha256(code.encode()).hexdigest() in dump


def test_replayed_code_is_refused_and_revokes_what_it_issued(orgs, app):
    """B-14: second redemption -> invalid_grant, and the first tokens die."""
    code, verifier = new_code(orgs, app)
    first = post(orgs, code_form(app, code, verifier)).json()
    assert identity_status(orgs, first) == 200
    assert_error(post(orgs, code_form(app, code, verifier)), "invalid_grant",
                 "expired authorization code")
    assert identity_status(orgs, first) == 403  # Bad_OAuth_Token on the identity URL
    refresh = post(orgs, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                          "client_id": app.client_id, "client_secret": app.client_secret})
    assert_error(refresh, "invalid_grant", "expired access/refresh token")


def test_replay_with_wrong_credentials_or_verifier_revokes_nothing(orgs, app):
    """B-14: only an otherwise valid replay revokes (else anyone could log the user out)."""
    code, verifier = new_code(orgs, app)
    first = post(orgs, code_form(app, code, verifier)).json()
    assert_error(post(orgs, code_form(app, code, verifier, client_secret="0" * 64)),
                 "invalid_client", "invalid client credentials")
    assert_error(post(orgs, code_form(app, code, pkce_pair()[0])), "invalid_grant",
                 "invalid code verifier")
    assert_error(post(orgs, code_form(app, code, verifier, redirect_uri="http://localhost/x")),
                 "redirect_uri_mismatch")
    assert identity_status(orgs, first) == 200


def test_concurrent_redemptions_give_exactly_one_token(orgs, app):
    """B-15: 20 simultaneous requests with one code -> one 200, 19 invalid_grant."""
    code, verifier = new_code(orgs, app)
    form = code_form(app, code, verifier)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: post(orgs, form), range(20)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [400] * 19
    assert all(r.json()["error"] == "invalid_grant" for r in results if r.status_code == 400)
    # The 19 losers were otherwise valid replays, so the grant is revoked (B-14) whatever
    # the interleaving: the winner's tokens are stored revoked or revoked afterwards.
    winner = next(r for r in results if r.status_code == 200).json()
    assert identity_status(orgs, winner) == 403  # Bad_OAuth_Token on the identity URL


def test_code_is_bound_to_its_client(orgs, app):
    """B-16: another app with valid credentials cannot redeem the code; same answer as an
    unknown code (B-22)."""
    other = orgs.create_app(scopes="api refresh_token")
    code, verifier = new_code(orgs, app)
    stolen = assert_error(post(orgs, code_form(other, code, verifier)), "invalid_grant")
    unknown = assert_error(post(orgs, code_form(app, "aPrx" + "A" * 70 + "==", verifier)),
                           "invalid_grant")
    assert stolen == unknown == {"error": "invalid_grant",
                                 "error_description": "expired authorization code"}
    assert post(orgs, code_form(app, code, verifier)).status_code == 200  # still usable


@pytest.mark.parametrize("redirect_uri", [None, DEFAULT_CALLBACK + "/",
                                          "http://localhost:1717/Other"])
def test_code_is_bound_to_the_redirect_uri(orgs, app, redirect_uri):
    """B-17 (Salesforce's text: redirect_uri_mismatch, not RFC's invalid_grant)."""
    code, verifier = new_code(orgs, app)
    resp = post(orgs, code_form(app, code, verifier, redirect_uri=redirect_uri))
    assert_error(resp, "redirect_uri_mismatch", "redirect_uri must match configuration")


def test_code_bound_to_redirect_uri_even_if_registered(orgs):
    app = orgs.create_app(callback_urls=[DEFAULT_CALLBACK, "http://localhost:1717/Second"])
    code, verifier = new_code(orgs, app)
    assert_error(post(orgs, code_form(app, code, verifier,
                                      redirect_uri="http://localhost:1717/Second")),
                 "redirect_uri_mismatch")


@pytest.mark.parametrize("verifier", [
    None,                      # missing although a challenge was stored
    "wrong" * 9,               # well-formed but wrong
    "A" * 42, "A" * 257,       # outside 43..256
    "+" * 43, "/" * 50,        # not base64url
])
def test_code_is_bound_to_the_pkce_challenge(orgs, app, verifier):
    """B-18 (our choice; Salesforce's answer UNCONFIRMED): invalid_grant / invalid code verifier."""
    code, right = new_code(orgs, app)
    assert_error(post(orgs, code_form(app, code, verifier)), "invalid_grant",
                 "invalid code verifier")
    assert post(orgs, code_form(app, code, right)).status_code == 200  # not consumed


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize("nbytes", [32, 96, 128, 192])
def test_base64url_verifiers_up_to_256_characters_are_accepted(orgs, app, nbytes):
    """B-18: jsforce (src/oauth2.ts: base64url of randomBytes(128)), `sf org login web` and
    the Mobile SDKs send 171-character verifiers and Salesforce accepts them; RFC 7636 §4.1
    (Authlib) would stop at 128. No upper bound is documented: 256 (192 bytes) is ours."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).rstrip(b"=").decode()
    assert len(verifier) in (43, 128, 171, 256)
    code = authorize(orgs, app.client_id, code_challenge=_s256(verifier)).code
    assert post(orgs, code_form(app, code, verifier)).status_code == 200


@pytest.mark.parametrize("tail", ["~", "."])
def test_rfc7636_characters_outside_base64url_are_refused(orgs, app, tail):
    """B-18: Salesforce refuses a verifier with "~" (nsflow issue 249, 2026) although RFC
    7636 §4.1 allows it; "." is refused alike (our reading: base64url only). The challenge
    is the verifier's own, so only its alphabet is wrong."""
    verifier = "A" * 50 + tail
    code = authorize(orgs, app.client_id, code_challenge=_s256(verifier)).code
    assert_error(post(orgs, code_form(app, code, verifier)), "invalid_grant",
                 "invalid code verifier")


def test_verifier_without_a_stored_challenge_is_refused(orgs):
    """B-18 downgrade: a verifier when the authorize request had no challenge."""
    app = orgs.create_app(require_pkce=False)
    code, _ = new_code(orgs, app, with_pkce=False)
    assert_error(post(orgs, code_form(app, code, pkce_pair()[0])), "invalid_grant",
                 "invalid code verifier")
    assert post(orgs, code_form(app, code, None)).status_code == 200


def test_unknown_client_id(orgs, app):
    code, verifier = new_code(orgs, app)
    assert_error(post(orgs, code_form(app, code, verifier, client_id="3MVG9nope")),
                 "invalid_client_id", "client identifier invalid")


def test_wrong_secret_is_invalid_client_400(orgs, app):
    """Salesforce is observed answering 400 (RFC 6749 would use 401 for Basic): we follow it."""
    code, verifier = new_code(orgs, app)
    assert_error(post(orgs, code_form(app, code, verifier, client_secret="A" * 64)),
                 "invalid_client", "invalid client credentials")


def test_missing_secret_when_the_app_requires_it(orgs, app):
    code, verifier = new_code(orgs, app)
    assert_error(post(orgs, code_form(app, code, verifier, client_secret=None)),
                 "invalid_client", "invalid client credentials")


def test_app_without_secret_requirement_accepts_pkce_only_and_omits_signature(orgs):
    """Our choice: no secret presented -> no ``signature`` field (it needs the secret)."""
    app = orgs.create_app(require_secret=False)
    code, verifier = new_code(orgs, app)
    resp = post(orgs, code_form(app, code, verifier, client_secret=None))
    assert resp.status_code == 200
    assert "signature" not in resp.json() and resp.json()["access_token"]


def test_non_ascii_secret_is_invalid_client_not_500(orgs, app):
    """B-20: hashes compared as bytes, so a secret like "sécret" is simply wrong."""
    code, verifier = new_code(orgs, app)
    assert_error(post(orgs, code_form(app, code, verifier, client_secret="sécret")),
                 "invalid_client")
    basic = base64.b64encode(f"{app.client_id}:sécret".encode()).decode()
    assert_error(post(orgs, code_form(app, code, verifier, client_secret=None,
                                      client_id=None),
                      headers={"Authorization": "Basic " + basic}), "invalid_client")
    garbage = base64.b64encode(b"\xff\xfe:\xff").decode()
    assert_error(post(orgs, code_form(app, code, verifier, client_secret=None, client_id=None),
                      headers={"Authorization": "Basic " + garbage}), "invalid_client")


def test_client_secret_basic_with_form_url_decoding(orgs, app):
    """B-19: Basic user and password are form-url-decoded (RFC 6749 §2.3.1)."""
    code, verifier = new_code(orgs, app)
    user = "%33" + app.client_id[1:]  # "%33" is "3" (client ids start with 3MVG9)
    assert app.client_id.startswith("3")
    basic = base64.b64encode(f"{user}:{app.client_secret}".encode()).decode()
    resp = post(orgs, code_form(app, code, verifier, client_secret=None, client_id=None),
                headers={"Authorization": "Basic " + basic})
    assert resp.status_code == 200, resp.text
    assert resp.json()["signature"]


def test_both_basic_and_body_secret_is_invalid_request(orgs, app):
    """B-19: one authentication method per request."""
    code, verifier = new_code(orgs, app)
    resp = post(orgs, code_form(app, code, verifier), auth=(app.client_id, app.client_secret))
    assert_error(resp, "invalid_request")


def test_client_secret_in_the_query_string_is_refused(orgs, app):
    """B-19: credentials never in a URL."""
    code, verifier = new_code(orgs, app)
    resp = orgs.session().post(orgs.login_url + TOKEN + "?client_secret=" + app.client_secret,
                               data=code_form(app, code, verifier, client_secret=None),
                               timeout=10)
    body = assert_error(resp, "invalid_request")
    assert app.client_secret not in resp.text and "client_secret" in body["error_description"]


def test_get_is_not_allowed(orgs):
    resp = orgs.session().get(orgs.login_url + TOKEN + "?grant_type=authorization_code",
                              timeout=10)
    assert_error(resp, "invalid_request", status=405)


@pytest.mark.parametrize("kwargs", [
    {"json": {"grant_type": "authorization_code"}},
    {"data": "grant_type=authorization_code", "headers": {"Content-Type": "text/plain"}},
    {"data": {"grant_type": "password"}},
    {"data": {"grant_type": "client_credentials"}},
    {"data": {"code": "x"}},
])
def test_unsupported_grant_type_and_non_form_bodies(orgs, kwargs):
    """As observed on Salesforce: JSON bodies, wrong content type, unknown or missing grant type."""
    assert_error(post(orgs, **kwargs), "unsupported_grant_type", "grant type not supported")


def test_missing_code_is_invalid_request(orgs, app):
    assert_error(post(orgs, code_form(app, None, None)), "invalid_request")


def test_errors_do_not_echo_submitted_secrets(orgs, app):
    """B-22."""
    code, verifier = new_code(orgs, app)
    for form in (code_form(app, code, verifier, client_secret="SENTINEL_CS_1"),
                 code_form(app, "SENTINEL_CODE_2", verifier),
                 code_form(app, code, "SENTINEL_VERIFIER_3" + "x" * 30)):
        resp = post(orgs, form)
        assert resp.status_code == 400 and "SENTINEL" not in resp.text


def test_token_endpoint_on_instance_host(orgs, app):
    code, verifier = new_code(orgs, app)
    resp = post(orgs, code_form(app, code, verifier), host="B")
    assert resp.status_code == 200 and resp.json()["instance_url"] == orgs.instance_url("B")


def test_internal_failure_is_a_json_error_without_details(fresh_orgs):
    """B-22: an internal exception (here: a broken table) -> JSON 500, no SQL or traceback."""
    app = fresh_orgs.create_app()
    code, verifier = new_code(fresh_orgs, app)
    with fresh_orgs.db().tx() as db:
        db.execute("ALTER TABLE oauth_tokens RENAME TO oauth_tokens_broken")
    resp = post(fresh_orgs, code_form(app, code, verifier))
    assert resp.status_code == 500
    assert resp.json() == {"error": "server_error",
                           "error_description": "the local org hit an internal error; "
                                                "see the server log"}
    assert resp.headers["Cache-Control"] == "no-store"


def test_concurrent_exchanges_of_different_codes_all_succeed(orgs, app):
    """B-31 style: parallel token requests (seeded server: the rng counter lives in SQLite)
    neither deadlock nor fail."""
    s = orgs.session()
    pairs = [new_code(orgs, app, session=s) for _ in range(12)]
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda p: post(orgs, code_form(app, *p)), pairs))
    assert [r.status_code for r in results] == [200] * 12
    assert len({r.json()["access_token"] for r in results}) == 12
