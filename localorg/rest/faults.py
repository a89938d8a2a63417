"""Fault injection for client tests (security.md B-35): make the REST API fail on purpose.

A row of ``rest_faults`` makes the next ``remaining`` matching requests of an org fail
with ``status`` (plus ``Retry-After: retry_after`` when set). By default the request is
refused before authentication (nothing done, not counted as API usage); with
``after_commit=1`` the request is carried out and committed, and only its answer is
replaced by the error - "the org saved it, but the answer was lost" (A-35). Tests
insert rows through the store::

    with orgs.db().tx() as db:
        db.execute("INSERT INTO rest_faults(org_id, path_prefix, status, remaining, "
                   "retry_after) VALUES(?,?,?,?,?)", (org_id, "/services/data/", 503, 2, 1))

``path_prefix`` is matched against the request path, ``method`` (NULL: any) against the
HTTP method. Off by default: the table is empty and only tests write to it. The error
codes and texts of 5xx/429 answers are UNCONFIRMED (checked: REST API Developer Guide,
"Status Codes and Error Responses"; its entries after 405 are not confirmed).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..store import register_schema
from ..web.context import host_org
from .errors import ApiError

SCHEMA = """
CREATE TABLE IF NOT EXISTS rest_faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL,
    path_prefix TEXT NOT NULL,       -- e.g. '/services/data/v67.0/composite/'
    method TEXT,                     -- NULL: any method
    status INTEGER NOT NULL,         -- e.g. 500, 503, 429
    remaining INTEGER NOT NULL,      -- answers left; the row stops applying at 0
    retry_after INTEGER,             -- seconds for Retry-After; NULL: no header
    after_commit INTEGER NOT NULL DEFAULT 0   -- 1: do the work, then answer the error
);
"""
register_schema(SCHEMA)

_ERRORS = {429: ("TOO_MANY_REQUESTS", "Too many requests (injected fault); retry later"),
           500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred (injected fault)"),
           502: ("BAD_GATEWAY", "Bad gateway (injected fault)"),
           503: ("SERVER_UNAVAILABLE", "Service temporarily unavailable (injected fault)"),
           504: ("GATEWAY_TIMEOUT", "Gateway timeout (injected fault)")}


def _take(after_commit: int) -> ApiError | None:
    """The error of the first matching fault, using up one of its answers; else None."""
    store = current_app.config["LOCALORG"].store
    org = host_org()
    # A plain read first: with no fault set (always, outside tests) no write lock is taken.
    row = store.one(
        "SELECT id, status, retry_after FROM rest_faults WHERE org_id=? AND remaining>0"
        " AND after_commit=? AND substr(?, 1, length(path_prefix))=path_prefix"
        " AND (method IS NULL OR upper(method)=?) ORDER BY id LIMIT 1",
        (org["id"], after_commit, request.path, request.method.upper()))
    if row is None:
        return None
    with store.tx() as db:
        taken = db.execute("UPDATE rest_faults SET remaining=remaining-1 WHERE id=? AND "
                           "remaining>0", (row["id"],)).rowcount
    if not taken:  # another request used the last one
        return None
    code, message = _ERRORS.get(row["status"], ("UNKNOWN_EXCEPTION", "Injected fault"))
    headers = {"Retry-After": str(row["retry_after"])} if row["retry_after"] is not None \
        else {}
    return ApiError(row["status"], code, message, headers=headers)


def install(bp: Blueprint) -> None:
    """Register the fault checks on an instance host's REST blueprint."""

    @bp.before_request
    def _fault_before() -> None:
        error = _take(0)
        if error is not None:
            raise error

    @bp.after_request
    def _fault_after(response: Response) -> Response:
        error = _take(1) if response.status_code < 400 else None
        return response if error is None else error.response()
