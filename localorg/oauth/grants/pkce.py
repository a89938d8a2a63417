"""PKCE (RFC 7636) with Salesforce's per-app "Require PKCE" setting; S256 only.

Choices (UNCONFIRMED: the Developer Guide's web server flow page and Salesforce's
discovery document settle neither the method nor the verifier errors):
- a ``code_challenge`` without ``code_challenge_method`` is taken as S256 (Salesforce
  documents only SHA-256 challenges; many clients omit the method);
- ``plain`` and unknown methods are refused with ``invalid_request`` (B-06);
- at the token endpoint a missing, malformed, wrong or unexpected verifier is
  ``invalid_grant`` / ``invalid code verifier``.

The verifier's form is Salesforce's, not RFC 7636 §4.1's ``[A-Za-z0-9-._~]{43,128}`` (which
Authlib enforces):
- Salesforce takes longer verifiers: jsforce (src/oauth2.ts), ``sf org login web`` and the
  Mobile SDKs send base64url of 128 random bytes, 171 characters. Salesforce documents no
  upper bound; we accept up to 256 characters (our choice) and refuse longer ones.
- Salesforce refuses ``~``, with ``invalid_grant`` / ``invalid code verifier`` (nsflow issue
  249, https://github.com/cognizant-ai-lab/nsflow/issues/249, July 2026), and we take it to
  refuse ``.`` too: only the base64url alphabet ``[A-Za-z0-9_-]`` is accepted.
"""

from __future__ import annotations

import re

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge

from ..errors import PKCE_MISSING, VERIFIER_INVALID, SalesforceOAuthError

S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest
# base64url, 43 (32 bytes) to 256 characters: see the module docstring (no documented maximum).
VERIFIER = re.compile(r"^[A-Za-z0-9_-]{43,256}$")


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
                raise SalesforceOAuthError(*PKCE_MISSING)
            return
        if not S256_CHALLENGE.match(challenge):
            raise InvalidRequestError(
                "invalid code_challenge: expected 43 base64url characters (S256)")

    def validate_code_verifier(self, grant, result):  # noqa: ARG002 (Authlib's hook)
        # Not Authlib's check: its RFC 7636 pattern refuses Salesforce clients' 171-character
        # verifiers and lets "~" through (module docstring).
        request = grant.request
        verifier = request.form.get("code_verifier") or None
        challenge = self.get_authorization_code_challenge(request.authorization_code)
        if challenge is None and verifier is None:
            return  # the app does not require PKCE and the login used none
        # RFC 9700 §4.8: a verifier without a stored challenge is refused too (downgrade).
        if challenge is None or verifier is None or not VERIFIER.match(verifier) \
                or not compare_s256_code_challenge(verifier, challenge):
            raise SalesforceOAuthError(*VERIFIER_INVALID)
