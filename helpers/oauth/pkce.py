"""PKCE (RFC 7636): a secret verifier per login, and its S256 challenge.

The authorization request carries only the challenge; the token request proves the
same client started the login by sending the verifier::

    verifier = new_code_verifier()          # 43 characters from 32 random bytes
    s256_challenge(verifier)                # goes into the authorization URL

Only S256 is offered: ``plain`` would put the verifier itself in the browser's URL.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

# What Salesforce accepts, which is not RFC 7636 §4.1's [A-Za-z0-9-._~]{43,128}: base64url
# only (Salesforce refuses "~": nsflow issue 249, github.com/cognizant-ai-lab/nsflow/issues/249,
# 2026; "." is refused alike in our reading) and longer than 128 (jsforce's src/oauth2.ts,
# `sf org login web` and the Mobile SDKs send base64url of 128 random bytes, 171 characters).
# Salesforce documents no upper bound; 256 characters (192 bytes) is our limit.
VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43,256}$")
VERIFIER_BYTES = 32  # RFC 7636 §7.1: 32 random octets -> 43 base64url characters
MAX_VERIFIER_BYTES = 192  # -> 256 base64url characters


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_code_verifier(nbytes: int = VERIFIER_BYTES) -> str:
    """A fresh code verifier: base64url of ``nbytes`` (32 to 192) random bytes, no padding.

    >>> len(new_code_verifier()), len(new_code_verifier(128))   # 128 bytes: what jsforce sends
    (43, 171)
    """
    if not VERIFIER_BYTES <= nbytes <= MAX_VERIFIER_BYTES:
        raise ValueError("a PKCE verifier needs 32 to 192 random bytes (43-256 characters)")
    return _b64url(secrets.token_bytes(nbytes))


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding (RFC 7636 §4.2).

    >>> s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """
    if not VERIFIER_PATTERN.match(verifier):
        raise ValueError("a PKCE verifier for Salesforce is 43-256 characters of "
                         "A-Z a-z 0-9 - _ (base64url; Salesforce refuses ~ and .)")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
