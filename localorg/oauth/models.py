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
    expires_at REAL,                -- access tokens: last use + session timeout; refresh: NULL
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
# A token's expiry is moved on at most this often, so a burst of calls does not write each time.
EXTEND_STEP_SECONDS = 60
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


def session_timeout_seconds(app_row) -> float:
    """How long an access token of this app lives unused: the app's own session timeout, or
    the org's (2 hours, Salesforce's default session timeout)."""
    minutes = app_row["session_timeout_minutes"]
    return minutes * 60 if minutes else SESSION_TIMEOUT_SECONDS


def lookup_access_token(store: Store, token: str) -> AccessToken | None:
    """The access token behind a bearer string, or None if unknown, expired or revoked.

    Using a token extends it: an access token (a Salesforce session) expires once it has been
    *idle* for the session timeout, not a fixed time after issue (Salesforce Help, "Manage
    Session Policies for a Connected App: Session Timeout Control": "the maximum duration
    that an application session can remain idle before the access token expires"; "Manage
    Session Policies for a Connected App": the app's Timeout Value, else the profile's, else
    the org's session settings, 2 hours by default). The expiry moves in steps of
    EXTEND_STEP_SECONDS to avoid a write per call.
    """
    if not token or len(token) > 1024:
        return None
    row = store.one(
        "SELECT t.*, a.session_timeout_minutes FROM oauth_tokens t JOIN apps a"
        " ON a.id = t.app_id WHERE t.token_hash=? AND t.kind='access'", (sha256(token),)
    )
    if row is None or row["revoked_at"] is not None:
        return None
    now = time.time()
    expires_at = row["expires_at"]
    if expires_at is not None and expires_at <= now:
        return None
    if expires_at is not None:
        extended = now + session_timeout_seconds(row)
        if extended - expires_at >= EXTEND_STEP_SECONDS:
            with store.tx() as db:  # only a live token is extended (never revives one)
                db.execute("UPDATE oauth_tokens SET expires_at=? WHERE id=? AND expires_at>?"
                           " AND revoked_at IS NULL", (extended, row["id"], now))
            expires_at = extended
    return AccessToken(row["id"], row["app_id"], row["user_id"], row["org_id"],
                       frozenset(row["scope"].split()), row["issued_at"], expires_at)
