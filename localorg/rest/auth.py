"""Who is calling, and how much: bearer tokens and the org's daily API request counter.

Salesforce counts every authenticated REST and Apex REST call against the org's rolling
24-hour allocation, reports it in ``Sforce-Limit-Info: api-usage=N/M`` and answers 403
``REQUEST_LIMIT_EXCEEDED`` once it is used up (REST API Developer Guide: "Status Codes and
Error Responses" and the Sforce-Limit-Info header page; Salesforce Developer Limits and
Allocations Quick Reference). The counter is kept in per-minute buckets, so a check is one
small indexed sum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import request

from ..oauth.models import AccessToken, lookup_access_token
from ..store import Store, register_schema
from .errors import LIMIT_EXCEEDED, SCOPE_MISSING, SESSION_INVALID, ApiError

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_usage (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    minute INTEGER NOT NULL,         -- unix time // 60
    count INTEGER NOT NULL,
    PRIMARY KEY (org_id, minute)
);
"""
register_schema(SCHEMA)

WINDOW_MINUTES = 24 * 60
LIMIT_HEADER = "Sforce-Limit-Info"


@dataclass(frozen=True)
class Caller:
    """An authenticated API call: its token, and the org's usage including this call."""

    token: AccessToken
    used: int
    limit: int

    @property
    def limit_header(self) -> str:
        return f"api-usage={self.used}/{self.limit}"


def _bearer_token() -> str | None:
    """The token of ``Authorization: Bearer <token>``; the scheme is case-insensitive.

    A token in the query string (``?access_token=``) is ignored on purpose (B-26).
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or not token.isascii() or not token.isprintable():
        return None
    return token


def _unauthorized(message: str = SESSION_INVALID, error: str | None = "invalid_token") -> ApiError:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ApiError(401, "INVALID_SESSION_ID", message, headers={"WWW-Authenticate": challenge})


def usage(store: Store, org_id: str, now: float | None = None) -> int:
    """API requests of an org in the last 24 hours.

    Example::

        usage(runtime.store, org["id"])  # -> 42
    """
    with store.tx(immediate=False) as db:
        return _used(db, org_id, int((now or time.time()) // 60))


def _used(db, org_id: str, minute: int) -> int:
    """Calls counted in the 24 hours before ``minute`` (inside the caller's transaction)."""
    return int(db.execute("SELECT coalesce(sum(count), 0) FROM api_usage WHERE org_id=? "
                          "AND minute>?", (org_id, minute - WINDOW_MINUTES)).fetchone()[0])


def _count_call(store: Store, org_id: str, limit: int) -> tuple[int, bool]:
    """Count one call: (usage including it, True), or (usage, False) when used up."""
    minute = int(time.time() // 60)
    with store.tx() as db:
        used = _used(db, org_id, minute)
        if used >= limit:
            return used, False
        db.execute("INSERT INTO api_usage(org_id, minute, count) VALUES(?,?,1) "
                   "ON CONFLICT(org_id, minute) DO UPDATE SET count=count+1", (org_id, minute))
        if minute % 60 == 0:  # once an hour is enough to drop expired buckets
            db.execute("DELETE FROM api_usage WHERE org_id=? AND minute<=?",
                       (org_id, minute - WINDOW_MINUTES))
        return used + 1, True


def authenticate(store: Store, org: dict) -> Caller:
    """Check the bearer token for this org and count the call, or raise ApiError.

    401 INVALID_SESSION_ID for a missing, unknown, expired or revoked token, a token of
    another org, or one without the ``api``/``full`` scope; 403 REQUEST_LIMIT_EXCEEDED
    once the org's daily allocation is used up.
    """
    if "Authorization" not in request.headers:
        raise _unauthorized(error=None)
    raw = _bearer_token()
    token = lookup_access_token(store, raw) if raw else None
    if token is None or token.org_id != org["id"]:
        raise _unauthorized()
    if not token.allows_api():
        # Salesforce answers 401 here (observed, B-27), not RFC 6750's 403 insufficient_scope.
        raise _unauthorized(SCOPE_MISSING, "insufficient_scope")
    limit = int(org["api_limit"])
    used, counted = _count_call(store, org["id"], limit)
    if not counted:
        raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", LIMIT_EXCEEDED,
                       headers={LIMIT_HEADER: f"api-usage={used}/{limit}"})
    return Caller(token, used, limit)
