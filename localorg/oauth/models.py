"""Authorization codes and tokens: tables, and the lookup the REST API uses.

Only SHA-256 hashes of codes and tokens are stored (security.md B-20/B-33): a copy of
the database does not hand out working credentials.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..store import Store, register_schema, sha256

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    nonce TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,       -- created_at + 15 minutes (Salesforce)
    used_at REAL                    -- set atomically on first redemption
);
CREATE TABLE IF NOT EXISTS oauth_tokens (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    token_hash TEXT NOT NULL UNIQUE,
    app_id TEXT NOT NULL REFERENCES apps(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    scope TEXT NOT NULL,
    refresh_id TEXT,                -- access tokens: the refresh token they came from
    code_hash TEXT,                 -- the authorization code that started this grant
    issued_at REAL NOT NULL,
    expires_at REAL,                -- access tokens: issued_at + session timeout; refresh: NULL
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS oauth_tokens_code ON oauth_tokens(code_hash);
CREATE INDEX IF NOT EXISTS oauth_tokens_refresh ON oauth_tokens(refresh_id);
CREATE TABLE IF NOT EXISTS oauth_approvals (  -- "previously approved" consent per user and app
    user_id TEXT NOT NULL REFERENCES users(id),
    app_id TEXT NOT NULL REFERENCES apps(id),
    scope TEXT NOT NULL,            -- union of the scopes the user allowed, space separated
    approved_at REAL NOT NULL,
    PRIMARY KEY (user_id, app_id)
);
CREATE TABLE IF NOT EXISTS login_failures (   -- throttling of the login form (B-12)
    username TEXT NOT NULL,         -- as typed, lower-cased (unknown users count too)
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_code_replays ( -- grants revoked because a code or rotated
    code_hash TEXT PRIMARY KEY,     -- refresh token was used twice (B-14, B-23)
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures(username, failed_at);
"""
register_schema(SCHEMA)

SESSION_TIMEOUT_SECONDS = 2 * 60 * 60  # Salesforce's default; there is no expires_in on the wire
CODE_LIFETIME_SECONDS = 15 * 60  # Salesforce help: the authorization code expires after 15 minutes


@dataclass(frozen=True)
class AccessToken:
    """A valid (known, unexpired, unrevoked) access token, as the REST API sees it."""

    id: str
    app_id: str
    user_id: str
    org_id: str
    scopes: frozenset[str]
    issued_at: float
    expires_at: float | None

    def allows_api(self) -> bool:
        """REST and Apex REST need the ``api`` or ``full`` scope."""
        return bool(self.scopes & {"api", "full"})


def lookup_access_token(store: Store, token: str) -> AccessToken | None:
    """The access token behind a bearer string, or None if unknown, expired or revoked."""
    if not token or len(token) > 1024:
        return None
    row = store.one(
        "SELECT * FROM oauth_tokens WHERE token_hash=? AND kind='access'", (sha256(token),)
    )
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= time.time():
        return None
    return AccessToken(row["id"], row["app_id"], row["user_id"], row["org_id"],
                       frozenset(row["scope"].split()), row["issued_at"], row["expires_at"])
