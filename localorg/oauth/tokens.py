"""Salesforce-shaped codes and tokens: generation, the token response, storage.

Only SHA-256 hashes reach the database. All randomness comes from ``runtime.rng`` so
a server started with ``--seed`` hands out reproducible values.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from flask import current_app

from .. import ids
from ..store import sha256

MAX_APPROVALS = 5  # refresh tokens (grants) per user and app: see _revoke_oldest_approvals


def _rt():
    return current_app.config["LOCALORG"]


def _b64(raw: bytes) -> str:
    # Salesforce codes and session ids use base64 with "_" and "." instead of "+" and "/".
    return base64.b64encode(raw, altchars=b"_.").decode()


def new_code() -> str:
    """``aPrx`` + 416 random bits, ending in ``==`` like real codes quoted in bug reports."""
    return "aPrx" + _b64(_rt().rng.bytes("auth_code", 52))


def new_access_token(org_id: str) -> str:
    """``<15-char org id>!AQ...`` with 512 random bits (the shape of real session ids)."""
    return ids.to15(org_id) + "!AQ" + _b64(_rt().rng.bytes("access_token", 64)).rstrip("=")


def new_refresh_token() -> str:
    return "5Aep861" + _b64(_rt().rng.bytes("refresh_token", 60)).rstrip("=")


def identity_url(org_id: str, user_id: str) -> str:
    """The ``id`` field: always on the login host, as observed with login.salesforce.com."""
    return f"{_rt().login_url}/id/{org_id}/{user_id}"


def signature(client_secret: str, id_url: str, issued_at: str) -> str:
    """base64(HMAC-SHA256(key=client secret, msg=id + issued_at)): the ``signature`` of
    "Understanding the Web Server OAuth Authentication Flow" (REST API Developer Guide)."""
    digest = hmac.new(client_secret.encode(), (id_url + issued_at).encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


@dataclass
class User:
    """The resource owner, as Authlib passes it around."""

    id: str
    org_id: str
    username: str

    def get_user_id(self) -> str:
        return self.id


def load_user(user_id: str) -> User | None:
    row = _rt().store.user(user_id)
    if row is None or not row["active"]:
        return None
    return User(row["id"], row["org_id"], row["username"])


def generate_token(grant_type, client, user, scope, expires_in=None,  # noqa: ARG001
                   include_refresh_token=True) -> dict:
    """Authlib token generator producing Salesforce's body, keys in Salesforce's order.

    No ``expires_in`` (Salesforce sends none). ``signature`` needs the client secret;
    when an app lets a client in without one, the field is left out (our choice).
    """
    rt = _rt()
    issued_at = str(int(time.time() * 1000))
    id_url = identity_url(user.org_id, user.id)
    token: dict = {"access_token": new_access_token(user.org_id)}
    scopes = set(scope.split())
    if include_refresh_token and scopes & {"refresh_token", "offline_access"}:
        token["refresh_token"] = new_refresh_token()
    if client.presented_secret:
        token["signature"] = signature(client.presented_secret, id_url, issued_at)
    token["scope"] = scope
    token["instance_url"] = rt.instance_url(rt.org_key_for_id(user.org_id))
    token["id"] = id_url
    token["token_type"] = "Bearer"  # noqa: S105
    token["issued_at"] = issued_at
    return token


def save_token(token: dict, request) -> None:
    """Store hashes of the new tokens, linked to their refresh token and authorization code.

    If the code was replayed while this response was being made, the tokens are stored
    already revoked (the replay revoked the grant, security.md B-14).
    """
    rt = _rt()
    issued = int(token["issued_at"]) / 1000
    client, user = request.client, request.user
    parent = request.refresh_token  # TokenRecord on the refresh grant, else None
    code_hash = (request.authorization_code.code_hash if request.authorization_code
                 else parent.code_hash if parent else None)
    # Row ids first: the seeded rng writes its counter, which must not wait inside our
    # write transaction while another thread holds the rng lock (deadlock).
    refresh_id = parent.id if parent else None
    rows = []
    if "refresh_token" in token:
        refresh_id = rt.rng.base62("token_row", 20)
        rows.append((refresh_id, "refresh", token["refresh_token"], None, None))
    rows.append((rt.rng.base62("token_row", 20), "access", token["access_token"], refresh_id,
                 issued + client.session_timeout_seconds))
    with rt.store.tx() as db:
        replayed = code_hash is not None and db.execute(
            "SELECT 1 FROM oauth_code_replays WHERE code_hash=?", (code_hash,)).fetchone()
        revoked_at = time.time() if replayed else None
        for row_id, kind, value, parent_id, expires in rows:
            db.execute(
                "INSERT INTO oauth_tokens(id, kind, token_hash, app_id, user_id, org_id, scope,"
                " refresh_id, code_hash, issued_at, expires_at, revoked_at)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                (row_id, kind, sha256(value), client.app_id, user.id, user.org_id,
                 token["scope"], parent_id, code_hash, issued, expires, revoked_at))
        if "refresh_token" in token and parent is None:
            _revoke_oldest_approvals(db, client.app_id, user.id)


def _revoke_oldest_approvals(db, app_id: str, user_id: str) -> None:
    """Keep a user's MAX_APPROVALS newest grants of an app; revoke the older ones (their
    refresh token and its access tokens). Salesforce Help, "Manage OAuth-Enabled Connected
    Apps Access to Your Data": five unique approvals per app per user, and a sixth approval
    revokes the oldest (the same limit applies to External Client Apps, our reading).
    A grant's age is that of its first token (a rotated refresh token keeps its grant's age).
    """
    oldest = [row[0] for row in db.execute(
        "SELECT t.id FROM oauth_tokens t WHERE t.kind='refresh' AND t.app_id=? AND t.user_id=?"
        " AND t.revoked_at IS NULL ORDER BY coalesce((SELECT min(o.issued_at) FROM oauth_tokens o"
        " WHERE o.code_hash = t.code_hash), t.issued_at) DESC, t.issued_at DESC, t.rowid DESC"
        " LIMIT -1 OFFSET ?", (app_id, user_id, MAX_APPROVALS))]
    if oldest:
        marks = ",".join("?" * len(oldest))
        db.execute(f"UPDATE oauth_tokens SET revoked_at=? WHERE (id IN ({marks})"  # noqa: S608
                   f" OR refresh_id IN ({marks})) AND revoked_at IS NULL",
                   (time.time(), *oldest, *oldest))


@dataclass
class TokenRecord:
    """A stored token (access or refresh), for the refresh grant, revocation, introspection."""

    id: str
    kind: str
    app_id: str
    user_id: str
    org_id: str
    scope: str
    refresh_id: str | None
    code_hash: str | None
    issued_at: float
    expires_at: float | None
    revoked_at: float | None

    def get_scope(self) -> str:
        return self.scope

    def check_client(self, client) -> bool:
        return client is not None and client.app_id == self.app_id

    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


def find_token(value: str | None, kind: str | None = None) -> TokenRecord | None:
    if not value or len(value) > 1024:
        return None
    row = _rt().store.one("SELECT * FROM oauth_tokens WHERE token_hash=?", (sha256(value),))
    if row is None or (kind and row["kind"] != kind):
        return None
    return TokenRecord(row["id"], row["kind"], row["app_id"], row["user_id"], row["org_id"],
                       row["scope"], row["refresh_id"], row["code_hash"], row["issued_at"],
                       row["expires_at"], row["revoked_at"])


def revoke(token: TokenRecord) -> None:
    """Revoke a token; a refresh token takes its access tokens with it (Salesforce Mobile
    SDK guide, "Revoking OAuth Tokens")."""
    ts = time.time()
    with _rt().store.tx() as db:
        db.execute("UPDATE oauth_tokens SET revoked_at=? WHERE (id=? OR refresh_id=?)"
                   " AND revoked_at IS NULL", (ts, token.id, token.id))


def revoke_grant(code_hash: str) -> None:
    """Revoke every token descended from one authorization code (replay, B-14 / B-23)."""
    ts = time.time()
    with _rt().store.tx() as db:
        db.execute("INSERT OR IGNORE INTO oauth_code_replays(code_hash, at) VALUES(?,?)",
                   (code_hash, ts))
        db.execute("UPDATE oauth_tokens SET revoked_at=? WHERE code_hash=? AND revoked_at IS NULL",
                   (ts, code_hash))
