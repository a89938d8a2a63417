"""Storage of sObject records (Account is the one the tutorial uses)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from ..store import register_schema

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,             -- 18-character id (001... for Account)
    org_id TEXT NOT NULL REFERENCES orgs(id),
    sobject TEXT NOT NULL,           -- 'Account'
    fields TEXT NOT NULL,            -- JSON object of field values by API name
    created_date TEXT NOT NULL,      -- Salesforce format 2024-04-21T10:15:30.000+0000
    last_modified_date TEXT NOT NULL,
    created_by_id TEXT,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL             -- insertion order: tie-break for equal CreatedDate
);
CREATE INDEX IF NOT EXISTS records_org_obj ON records(org_id, sobject, seq);
"""
register_schema(SCHEMA)


def sf_datetime(ts: float) -> str:
    """Salesforce's datetime format: ``2024-04-21T10:15:30.000+0000``."""
    d = dt.datetime.fromtimestamp(ts, dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


def insert_record(db: sqlite3.Connection, record_id: str, org_id: str, sobject: str,
                  fields: dict[str, Any], ts: float, created_by_id: str | None = None) -> None:
    """Insert one record inside the caller's transaction."""
    seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM records").fetchone()[0]
    stamp = sf_datetime(ts)
    db.execute(
        "INSERT INTO records(id, org_id, sobject, fields, created_date, last_modified_date,"
        " created_by_id, seq) VALUES(?,?,?,?,?,?,?,?)",
        (record_id, org_id, sobject, json.dumps(fields), stamp, stamp, created_by_id, seq),
    )
