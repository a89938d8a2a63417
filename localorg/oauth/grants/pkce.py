"""PKCE (RFC 7636) with Salesforce's per-app "Require PKCE" setting; S256 only.

Choices (UNCONFIRMED: the Developer Guide's web server flow page and Salesforce's
discovery document settle neither the method nor the verifier errors):
- a ``code_challenge`` without ``code_challenge_method`` is taken as S256 (Salesforce
  documents only SHA-256 challenges; many clients omit the method);
- ``plain`` and unknown methods are refused with ``invalid_request`` (B-06);
- at the token endpoint a missing, malformed, wrong or unexpected verifier is
  ``invalid_grant`` / ``invalid code verifier``.
"""

from __future__ import annotations

import re

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge

from ..errors import VERIFIER_INVALID, SalesforceOAuthError

S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest
# RFC 7636 section 4.1 caps verifiers at 128 characters, but jsforce (and so the sf CLI)
# sends base64url(128 random bytes) = 171 characters (jsforce lib/oauth2.js, useVerifier),
# and real orgs accept it on every `sf org login web`. Salesforce's own upper bound is
# UNCONFIRMED; the local orgs accept any longer verifier of RFC 7636's characters.
LONG_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{129,}$")


class SalesforcePkce(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self):
        super().__init__(required=False)  # "required" is per app, checked below

    def validate_code_challenge(self, grant, redirect_uri):  # noqa: ARG002
        data = grant.request.payload.data
        challenge = data.get("code_challenge") or None
        method = data.get("code_challenge_method") or None
        if method == "plain":
            raise InvalidRequestError("code_challenge_method plain is not supported, use S256")
        if method and method != "S256":
            raise InvalidRequestError("transform algorithm not supported, use S256")
        if challenge is None:
            if method:
                raise InvalidRequestError("code_challenge is missing")
            if grant.request.client.require_pkce:
                raise InvalidRequestError("missing required code challenge")
            return
        if not S256_CHALLENGE.match(challenge):
            raise InvalidRequestError(
                "invalid code_challenge: expected 43 base64url characters (S256)")

    def validate_code_verifier(self, grant, result):
        verifier = grant.request.form.get("code_verifier") or ""
        if LONG_VERIFIER.match(verifier):  # authlib refuses it: check it here, S256 only
            challenge = self.get_authorization_code_challenge(grant.request.authorization_code)
            if not challenge or create_s256_code_challenge(verifier) != challenge:
                raise SalesforceOAuthError(*VERIFIER_INVALID)
            return
        try:
            super().validate_code_verifier(grant, result)
        except (InvalidGrantError, InvalidRequestError):
            raise SalesforceOAuthError(*VERIFIER_INVALID) from None
