"""OpenID Connect ID tokens (``openid`` scope) and the key set at ``/id/keys``.

RS256 with one RSA key per data folder (``<data>/oauth/id_token_key.pem``, mode 0600),
created on first use. Like Salesforce, the token endpoint returns ``id_token`` only when
the granted scope includes ``openid``; we do so on the authorization-code grant only
(whether Salesforce adds one on refresh is UNCONFIRMED: "Understanding the OAuth Refresh
Token Process" does not say). Lifetime: 2 minutes (our choice; Salesforce's app setting
is configurable).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from pathlib import Path

from flask import current_app, jsonify
from joserfc import jwt
from joserfc.jwk import RSAKey

from ..private import write_private

ID_TOKEN_SECONDS = 120
_lock = threading.Lock()
_keys: dict[Path, RSAKey] = {}


def _key() -> RSAKey:
    path = Path(current_app.config["LOCALORG"].data_dir) / "oauth" / "id_token_key.pem"
    with _lock:
        if path not in _keys:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # B-44
                write_private(path, RSAKey.generate_key(2048).as_pem(private=True))
            _keys[path] = RSAKey.import_key(path.read_bytes())
        return _keys[path]


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def add_id_token(token: dict, client, user, nonce: str | None) -> dict:
    """``token`` with an ``id_token`` placed after ``scope`` (Salesforce's key order)."""
    rt = current_app.config["LOCALORG"]
    row = rt.store.user(user.id)
    now = int(time.time())
    claims = {
        "at_hash": _at_hash(token["access_token"]),
        "sub": token["id"],
        "aud": client.client_id,
        "iss": rt.base_url(current_app.config["LOCALORG_HOST"]),
        "exp": now + ID_TOKEN_SECONDS,
        "iat": now,
        "auth_time": now,
        "preferred_username": row["username"],
        "name": f"{row['first_name']} {row['last_name']}",
        "given_name": row["first_name"],
        "family_name": row["last_name"],
        "email": row["email"],
        "email_verified": True,
        "organization_id": user.org_id,
        "user_id": user.id,
    }
    if nonce:
        claims["nonce"] = nonce
    key = _key()
    signed = jwt.encode({"alg": "RS256", "kid": key.thumbprint()}, claims, key)
    out: dict = {}
    for name, value in token.items():
        out[name] = value
        if name == "scope":
            out["id_token"] = signed
    return out


def jwks_view():
    key = _key()
    public = dict(key.as_dict(private=False), kid=key.thumbprint(), use="sig", alg="RS256")
    return jsonify({"keys": [public]})


def register(bp) -> None:
    bp.add_url_rule("/id/keys", "jwks", jwks_view, methods=["GET"])
