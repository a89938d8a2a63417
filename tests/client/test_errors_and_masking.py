"""Error explanations, masking in reprs and transcripts, static transport checks
(security.md A-25, A-28)."""

from __future__ import annotations

import inspect
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from helpers import errors
from helpers.errors import ApiError, TokenRequestError, explain
from helpers.oauth.tokens import Token
from helpers.transcript import Transcript, mask, mask_json, mask_url
from tests.client import wire

HELPERS = Path(__file__).resolve().parents[2] / "helpers"


@pytest.mark.parametrize("body, words", [
    (wire.TOKEN_ERRORS["reused_code"], ["single use", "15 minutes", "start the login again"]),
    (wire.TOKEN_ERRORS["wrong_secret"], ["SF_CLIENT_SECRET"]),
    (wire.TOKEN_ERRORS["unknown_client"], ["SF_CLIENT_ID", "2-10 minutes"]),
    (wire.TOKEN_ERRORS["redirect"], ["exactly", "SF_CALLBACK_URL"]),
    (wire.TOKEN_ERRORS["refresh_expired"], ["log in again"]),
    ({"error": "invalid_client", "error_description": "app must be installed into org"},
     ["installed"]),
    ({"error": "invalid_client", "error_description": "Cross-org OAuth flows are not "
      "supported for this external client app"}, ["another org", "SF_LOGIN_URL"]),
    ({"error": "access_denied", "error_description": "end-user denied authorization"},
     ["Deny"]),
])
def test_salesforce_errors_are_explained(body, words):
    exc = TokenRequestError(body["error"], body["error_description"], 400)
    text = str(exc)
    assert body["error"] in text and body["error_description"] in text and "HTTP 400" in text
    for word in words:
        assert word in text
    assert (exc.error, exc.error_description, exc.status) == \
        (body["error"], body["error_description"], 400)


def test_unknown_error_code_still_reads_well():
    assert "brand_new" in explain("brand_new")


def test_api_error_parses_salesforce_error_array():
    class R:
        status_code, reason = 401, "Unauthorized"

        def json(self):
            return wire.EXPIRED_SESSION_BODY
    exc = ApiError.from_response(R())
    assert (exc.status, exc.error_code, exc.message) == \
        (401, "INVALID_SESSION_ID", "Session expired or invalid")


def test_every_error_type_builds_a_readable_message():
    """Every exception class can be built the way the helpers build it (no secret involved:
    the A-28 check is the next test, which feeds secrets through the real code paths)."""
    built = []
    for _name, cls in inspect.getmembers(errors, inspect.isclass):
        if not issubclass(cls, errors.SalesforceOAuthError):
            continue
        if cls in (errors.AuthorizationError, errors.AuthorizationDenied):
            built.append(cls("access_denied", "end-user denied authorization"))
        elif cls is errors.TokenRequestError:
            built.append(cls("invalid_grant", "expired authorization code", 400))
        elif cls is errors.CallbackPortInUse:
            built.append(cls(1717))
        elif cls is errors.ApiError:
            built.append(cls(401, "INVALID_SESSION_ID", "Session expired or invalid"))
        else:
            built.append(cls(f"{cls.__name__} message"))
    assert len(built) >= 12
    assert all(str(exc) for exc in built)


SENTINEL_CODE = "aPrxSENTINEL_CODE_0123456789abcdef=="
CALLBACK_MISUSES = {  # (complete_callback or parse_callback_url, what it gets)
    "foreign state": ("complete", "code={c}&state=forged"),
    "repeated code": ("complete", "code={c}&code={c}&state={s}"),
    "other issuer": ("complete", "code={c}&state={s}&iss=https://evil.example"),
    "error with a code": ("complete", "code={c}&error=server_error&state={s}"),
    "pasted from another host": ("paste", "https://evil.example/OauthRedirect?code={c}&state={s}"),
    "code in the fragment": ("paste", "http://localhost:1717/OauthRedirect#code={c}&state={s}"),
    "replayed callback": ("twice", "code={c}&state={s}"),
}


@pytest.mark.parametrize("case", list(CALLBACK_MISUSES))
def test_errors_raised_while_handling_a_code_never_carry_it_A28(case):
    """A-28: the callback checks see the code, the state and the flow's verifier; none of
    them may reach an exception's text, ``args`` or attributes. (The former version of this
    test never passed a secret in, so it could not fail.)"""
    from urllib.parse import parse_qs, urlsplit

    from helpers.oauth.authorize import AuthorizationFlow
    from helpers.oauth.callback import complete_callback, parse_callback_url

    flow = AuthorizationFlow("https://login.salesforce.com", "3MVG9Key",
                             "http://localhost:1717/OauthRedirect")
    state = parse_qs(urlsplit(flow.authorization_url).query)["state"][0]
    how, template = CALLBACK_MISUSES[case]
    given = template.format(c=SENTINEL_CODE, s=state)
    with pytest.raises(errors.SalesforceOAuthError) as info:
        if how == "paste":
            parse_callback_url(flow, given)
        else:
            if how == "twice":
                complete_callback(flow, given)
            complete_callback(flow, given)
    exc = info.value
    shown = " ".join([str(exc), repr(exc), repr(exc.args), repr(vars(exc))])
    for secret in (SENTINEL_CODE, state, flow._verifier):
        assert secret not in shown, (type(exc).__name__, shown)


def make_token(**kw) -> Token:
    values = dict(access_token="00Dx0000000BV7z!SENTINEL_AT_abcdefghijklmnop",
                  refresh_token="5Aep861SENTINEL_RT_abcdefghijklmnop",
                  instance_url="https://orgb.my.salesforce.com",
                  id_url="https://login.salesforce.com/id/00Dx0000000BV7zEAG/005x00000012Q9PAAU",
                  issued_at=datetime(2024, 2, 16, tzinfo=timezone.utc), scopes=("api",),
                  id_token="eyJSENTINEL_IDT_abcdefghijklmnopqrstuvwxyz")
    values.update(kw)
    return Token(**values)


def test_token_display_never_shows_secrets_A28():
    token = make_token()
    lines: list[str] = []

    class Printer:
        def text(self, s: str) -> None:
            lines.append(s)
    token._repr_pretty_(Printer(), False)
    for text in (repr(token), str(token), token._repr_html_(), "".join(lines), f"{token!r}"):
        assert "SENTINEL" not in text
        assert "(masked)" in text
    assert token.org_id == "00Dx0000000BV7zEAG" and token.user_id == "005x00000012Q9PAAU"


def test_mask_shape():
    assert mask("3MVG9abcdefghijklmnopqrstuvwxyza1B2") == "3MVG9…a1B2 (masked)"
    assert mask("short") == "… (masked)"


def test_mask_json_and_url_cover_every_secret_field():
    body = {"access_token": "SENTINEL_AT_0123456789abcdef", "signature": "SENTINEL_SIG_01234567890",
            "nested": [{"refresh_token": "SENTINEL_RT_0123456789abcdef"}], "scope": "api"}
    assert "SENTINEL" not in str(mask_json(body)) and mask_json(body)["scope"] == "api"
    url = mask_url("http://localhost:1717/cb?code=SENTINEL_CODE_0123456789abcdef&state=s")
    assert "SENTINEL" not in url and "state=s" in url


def test_transcript_browser_step_masks_the_code():
    t = Transcript()
    t.browser_step("callback", "http://localhost:1717/OauthRedirect?code="
                   + wire.CODE_ENCODED + "&state=5e464f1da81b")
    for text in (str(t), t._repr_html_()):
        assert wire.CODE_DECODED not in text and "aPrxG…vg== (masked)" in text
        assert "5e464f1da81b" in text


FORBIDDEN = re.compile(r"verify\s*=\s*False|CERT_NONE|_create_unverified_context|"
                       r"OAUTHLIB_INSECURE_TRANSPORT")


def test_tls_verification_is_never_disabled_in_helpers_A25():
    offenders = [f"{p.relative_to(HELPERS)}:{i}" for p in HELPERS.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if FORBIDDEN.search(line)]
    assert offenders == []


def test_a_pkce_failure_is_explained_as_one_not_as_a_reused_code():
    from helpers.errors import explain

    text = explain("invalid_grant", "invalid code verifier")
    assert "code_verifier" in text and "single use" not in text
