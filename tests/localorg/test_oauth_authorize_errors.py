"""Errors at /services/oauth2/authorize: error page before the callback is trusted (B-01,
B-02, B-03), redirect with error + state after (B-04, B-05, B-06)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.localorg.flow import DEFAULT_CALLBACK, authorize, exchange_code, pkce_pair

AUTHORIZE = "/services/oauth2/authorize"


def get(orgs, query, host_url=None, session=None):
    url = (host_url or orgs.login_url) + AUTHORIZE + "?" + (
        query if isinstance(query, str) else urlencode(query))
    return (session or orgs.session()).get(url, allow_redirects=False, timeout=10)


def assert_error_page(resp, error, description):
    """An HTML page, status 400, showing the error, and no redirect (B-02)."""
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<code id="oauth-error">{error}</code>' in resp.text
    assert f'<code id="oauth-error-description">{description}</code>' in resp.text


def redirected_error(resp):
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(DEFAULT_CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def app(orgs):
    return orgs.create_app(scopes="api refresh_token")


def base_query(app, **extra):
    q = {"response_type": "code", "client_id": app.client_id, "redirect_uri": DEFAULT_CALLBACK,
         "state": "s1", "code_challenge": pkce_pair()[1], "code_challenge_method": "S256"}
    q.update(extra)
    return {k: v for k, v in q.items() if v is not None}


def test_unknown_client_id_shows_salesforces_error_page(orgs):
    resp = get(orgs, {"response_type": "code", "client_id": "3MVG9unknown",
                      "redirect_uri": DEFAULT_CALLBACK, "state": "s"})
    assert_error_page(resp, "invalid_client_id", "client identifier invalid")


def test_missing_client_id_is_the_same_error_page(orgs):
    resp = get(orgs, {"response_type": "code", "redirect_uri": DEFAULT_CALLBACK})
    assert_error_page(resp, "invalid_client_id", "client identifier invalid")


def test_missing_redirect_uri(orgs, app):
    resp = get(orgs, base_query(app, redirect_uri=None))
    assert_error_page(resp, "redirect_uri_missing", "redirect_uri must be provided")


@pytest.mark.parametrize("bad", [
    DEFAULT_CALLBACK + "/",
    DEFAULT_CALLBACK + "?x=1",
    DEFAULT_CALLBACK + "#f",
    "HTTP://localhost:1717/OauthRedirect",
    "http://localhost:1717/oauthredirect",
    "http://127.0.0.1:1717/OauthRedirect",
    "http://localhost:1718/OauthRedirect",
    "http://localhost:1717@evil.example/OauthRedirect",
    "http://localhost:1717%2FOauthRedirect",
    DEFAULT_CALLBACK + "x" * 10_000,
])
def test_redirect_uri_must_match_byte_for_byte(orgs, app, bad):
    """B-01: only the registered string is accepted; every variant gets the error page."""
    resp = get(orgs, base_query(app, redirect_uri=bad))
    assert_error_page(resp, "redirect_uri_mismatch", "redirect_uri must match configuration")


def test_bad_redirect_uri_wins_over_other_errors(orgs, app):
    """B-02: unsupported response_type + bad scope + bad redirect -> page, never a redirect."""
    resp = get(orgs, base_query(app, redirect_uri="https://evil.example/cb",
                                response_type="token", scope="nope"))
    assert_error_page(resp, "redirect_uri_mismatch", "redirect_uri must match configuration")


def test_error_page_escapes_reflected_input(orgs):
    """B-03: hostile client_id / state / redirect_uri are shown as text, not markup."""
    resp = get(orgs, {"response_type": "code", "client_id": "<script>alert(1)</script>",
                      "redirect_uri": "javascript:alert(1)", "state": "<img src=x>"})
    assert resp.status_code == 400
    assert "<script>alert(1)</script>" not in resp.text and "<img src=x>" not in resp.text


def test_redirect_uri_not_echoed_unescaped(orgs, app):
    resp = get(orgs, base_query(app, redirect_uri='javascript:alert("x")<b>'))
    assert_error_page(resp, "redirect_uri_mismatch", "redirect_uri must match configuration")
    assert "<b>" not in resp.text


def test_duplicate_client_id_or_redirect_uri_is_an_error_page(orgs, app):
    """B-05: repeated client_id / redirect_uri -> error page (callback not trustworthy)."""
    q = urlencode(base_query(app)) + "&redirect_uri=" + DEFAULT_CALLBACK
    assert_error_page(get(orgs, q), "invalid_request", "duplicate client_id or redirect_uri")
    q = urlencode(base_query(app)) + "&client_id=" + app.client_id
    assert_error_page(get(orgs, q), "invalid_request", "duplicate client_id or redirect_uri")


@pytest.mark.parametrize("param", ["state", "scope", "response_type", "code_challenge"])
def test_other_duplicate_parameters_redirect_with_invalid_request(orgs, app, param):
    """B-05: a repeated parameter is invalid_request, sent back to the (valid) callback."""
    q = urlencode(base_query(app, scope="api")) + f"&{param}=again"
    err = redirected_error(get(orgs, q))
    assert err["error"] == "invalid_request"
    assert param in err["error_description"]


@pytest.mark.parametrize("response_type", ["token", "code token", "id_token", "CODE"])
def test_unsupported_response_type_redirects_with_state(orgs, app, response_type):
    """B-05/B-04: only the web server flow; the error carries the state."""
    err = redirected_error(get(orgs, base_query(app, response_type=response_type)))
    assert err == {"error": "unsupported_response_type",
                   "error_description": "response type not supported", "state": "s1"}


def test_missing_response_type_is_invalid_request(orgs, app):
    err = redirected_error(get(orgs, base_query(app, response_type=None)))
    assert err["error"] == "invalid_request" and err["state"] == "s1"


def test_empty_parameter_is_treated_as_absent(orgs, app):
    """B-05: ``state=`` (empty) is like no state: no state comes back."""
    err = redirected_error(get(orgs, base_query(app, response_type="token", state="")))
    assert "state" not in err


def test_unknown_parameters_are_ignored(orgs, app):
    result = authorize(orgs, app.client_id, code_challenge=pkce_pair()[1], foo="bar",
                       display="page")
    assert result.code


def test_scope_outside_the_apps_scopes_is_invalid_scope(orgs, app):
    """B-04: unknown scope -> invalid_scope back to the client with state."""
    err = redirected_error(get(orgs, base_query(app, scope="api full")))
    assert err["error"] == "invalid_scope" and err["state"] == "s1"
    assert "full" in err["error_description"]


def test_hostile_scope_value_does_not_break_the_error(orgs, app):
    err = redirected_error(get(orgs, base_query(app, scope='api "x\\y')))
    assert err["error"] == "invalid_scope"


def test_pkce_plain_is_refused(orgs, app):
    """B-06: plain exposes the verifier; only S256 is accepted."""
    verifier, _ = pkce_pair()
    err = redirected_error(get(orgs, base_query(app, code_challenge=verifier,
                                                code_challenge_method="plain")))
    assert err["error"] == "invalid_request" and err["state"] == "s1"
    assert "plain" in err["error_description"]


def test_pkce_unknown_method_is_refused(orgs, app):
    err = redirected_error(get(orgs, base_query(app, code_challenge_method="S512")))
    assert err["error"] == "invalid_request"
    assert "transform algorithm not supported" in err["error_description"]


@pytest.mark.parametrize("challenge", ["short", "A" * 42, "A" * 44, "A" * 128,
                                       "+" * 43, "/" * 43, "=" * 43])
def test_pkce_challenge_must_be_43_base64url_characters(orgs, app, challenge):
    err = redirected_error(get(orgs, base_query(app, code_challenge=challenge)))
    assert err["error"] == "invalid_request"


def test_pkce_method_without_challenge_is_refused(orgs, app):
    err = redirected_error(get(orgs, base_query(app, code_challenge=None)))
    assert err["error"] == "invalid_request"


def test_pkce_required_by_the_app(orgs, app):
    """B-06: the app's "Require PKCE" setting: no challenge -> invalid_request / missing
    required code challenge, shown by Salesforce on its own error page, without a redirect
    to the callback (observed on real orgs)."""
    resp = get(orgs, base_query(app, code_challenge=None, code_challenge_method=None))
    assert_error_page(resp, "invalid_request", "missing required code challenge")
    assert "code_challenge_method=S256" in resp.text  # the hint says what to send


def test_pkce_optional_when_the_app_does_not_require_it(orgs):
    app = orgs.create_app(require_pkce=False)
    assert authorize(orgs, app.client_id).code


def test_challenge_without_method_is_taken_as_s256(orgs):
    """Our choice (UNCONFIRMED, Developer Guide silent): a challenge with no method is S256."""
    app = orgs.create_app()
    verifier, challenge = pkce_pair()
    code = authorize(orgs, app.client_id, code_challenge=challenge,
                     code_challenge_method=None).code
    assert exchange_code(orgs, app, code, verifier).status_code == 200


def test_errors_after_validation_also_work_on_instance_hosts(orgs, app):
    resp = get(orgs, base_query(app, response_type="token"), host_url=orgs.instance_url("B"))
    assert redirected_error(resp)["error"] == "unsupported_response_type"
    resp = get(orgs, {"client_id": "nope", "redirect_uri": DEFAULT_CALLBACK},
               host_url=orgs.instance_url("B"))
    assert_error_page(resp, "invalid_client_id", "client identifier invalid")
