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

VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1
VERIFIER_BYTES = 32  # RFC 7636 §7.1: 32 random octets -> 43 base64url characters


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_code_verifier(nbytes: int = VERIFIER_BYTES) -> str:
    """A fresh code verifier: base64url of ``nbytes`` (>= 32) random bytes, no padding."""
    if not 32 <= nbytes <= 96:
        raise ValueError("a PKCE verifier needs 32 to 96 random bytes (43-128 characters)")
    return _b64url(secrets.token_bytes(nbytes))


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding (RFC 7636 §4.2).

    >>> s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """
    if not VERIFIER_PATTERN.match(verifier):
        raise ValueError("a PKCE verifier is 43-128 characters of A-Z a-z 0-9 - . _ ~")
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
