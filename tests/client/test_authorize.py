"""Building the authorization request: state, PKCE, the URL (security.md A-01 … A-06)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers.errors import StateMismatchError
from helpers.oauth.authorize import AuthorizationFlow
from helpers.oauth.pkce import new_code_verifier, s256_challenge

CALLBACK = "http://localhost:1717/OauthRedirect"
CLIENT_ID = "3MVG9LocalTestKey"


def make_flow(**kwargs) -> AuthorizationFlow:
    return AuthorizationFlow("https://login.salesforce.com", CLIENT_ID, CALLBACK, **kwargs)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_state_is_fresh_and_has_at_least_256_bits_A01():
    states = [query(make_flow().authorization_url)["state"][0] for _ in range(1000)]
    assert len(set(states)) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43,}", s) for s in states)


def test_pkce_verifier_format_and_uniqueness_A04():
    verifiers = [new_code_verifier() for _ in range(1000)]
    assert len(set(verifiers)) == 1000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", v) for v in verifiers)
    with pytest.raises(ValueError):
        new_code_verifier(16)  # fewer than 32 random bytes is refused


def test_pkce_verifier_rule_is_salesforces_A04():
    """Salesforce takes jsforce's 171-character verifiers (src/oauth2.ts: base64url of
    randomBytes(128)) and refuses "~" (nsflow issue 249, 2026), unlike RFC 7636 §4.1's
    [A-Za-z0-9-._~]{43,128}; no upper bound is documented, 256 is ours."""
    assert len(s256_challenge(new_code_verifier(128))) == 43
    assert len(new_code_verifier(192)) == 256
    s256_challenge("A" * 256)
    for bad in ("A" * 42 + "~", "A" * 50 + ".", "A" * 42, "A" * 257):
        with pytest.raises(ValueError, match="base64url"):
            s256_challenge(bad)
    with pytest.raises(ValueError):
        new_code_verifier(193)


def test_pkce_s256_known_answer_rfc7636_appendix_b_A05():
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    with pytest.raises(ValueError):
        s256_challenge("too-short")


def test_authorization_url_is_exactly_the_registered_request_A05_A06():
    flow = make_flow(prompt="login", login_hint="ben@org-b.localorg.test")
    url = flow.authorization_url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == \
        ("https", "login.salesforce.com", "/services/oauth2/authorize")
    q = query(url)
    assert all(len(v) == 1 for v in q.values())  # every parameter once
    q1 = {k: v[0] for k, v in q.items()}
    assert q1["response_type"] == "code"
    assert q1["client_id"] == CLIENT_ID
    assert q1["redirect_uri"] == CALLBACK  # byte-identical to the registered callback
    assert q1["scope"] == "api refresh_token" and "scope=api%20refresh_token" in url
    assert q1["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q1["code_challenge"])  # unpadded base64url
    assert q1["prompt"] == "login" and q1["login_hint"] == "ben@org-b.localorg.test"
    assert "client_secret" not in url and "secret" not in url.lower()
    assert list(q) == ["response_type", "client_id", "redirect_uri", "scope", "state",
                       "code_challenge", "code_challenge_method", "prompt", "login_hint"]


def test_verifier_never_in_url_and_challenge_matches_it_A05():
    flow = make_flow()
    q = {k: v[0] for k, v in query(flow.authorization_url).items()}
    flow.consume_state(q["state"])
    grant = flow.grant("aPrxCODE==")
    assert grant.code_verifier not in flow.authorization_url
    assert s256_challenge(grant.code_verifier) == q["code_challenge"]


def test_components_explain_every_parameter():
    flow = make_flow()
    names = [c.name for c in flow.components()]
    assert names == ["endpoint", "response_type", "client_id", "redirect_uri", "scope", "state",
                     "code_challenge", "code_challenge_method"]
    assert all(c.explanation for c in flow.components())
    assert "<table>" in flow.components()._repr_html_()


def test_state_is_single_use_and_compared_exactly_A02_A03():
    flow = make_flow()
    state = query(flow.authorization_url)["state"][0]
    for bad in (None, "", state + "x", state[:-1], make_flow().authorization_url):
        with pytest.raises(StateMismatchError):
            flow.consume_state(bad)
    flow.consume_state(state)
    with pytest.raises(StateMismatchError, match="single use"):
        flow.consume_state(state)  # replay


def test_no_grant_before_state_is_validated_A03():
    with pytest.raises(StateMismatchError):
        make_flow().grant("aPrxCODE==")


def test_repr_hides_state_and_verifier_A28():
    flow = make_flow()
    state = query(flow.authorization_url)["state"][0]
    flow.consume_state(state)
    grant = flow.grant("aPrxSENTINELCODE0123456789abcdef==")
    for text in (repr(flow), str(flow), repr(grant), str(grant)):
        assert state not in text and grant.code_verifier not in text
        assert "aPrxSENTINELCODE0123456789abcdef==" not in text
