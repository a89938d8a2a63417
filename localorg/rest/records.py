"""Storage of sObject records (Account is the one the tutorial uses).

System fields live in columns; every other field value lives in the JSON ``fields``
column under its API name (``OwnerId`` too, defaulting to the creator). SOQL is
translated to SQL over ``json_extract`` (see ``query.py``), with an expression index on
``Source_Id__c`` so upserts by external id stay fast with thousands of Accounts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from typing import Any

from .. import ids
from ..store import register_schema
from .describe import Field

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
CREATE INDEX IF NOT EXISTS records_seq ON records(seq);
CREATE INDEX IF NOT EXISTS records_source_id
    ON records(org_id, json_extract(fields, '$.Source_Id__c') COLLATE NOCASE);
"""
register_schema(SCHEMA)

# The expression of records_source_id: queries must repeat it exactly to use the index.
SOURCE_ID_SQL = "json_extract(fields, '$.Source_Id__c')"
ID_RE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")


def sf_datetime(moment: float | dt.datetime) -> str:
    """Salesforce's datetime format, in UTC: ``2024-04-21T10:15:30.000+0000``; from a Unix
    time or an aware datetime."""
    d = (dt.datetime.fromtimestamp(moment, dt.timezone.utc) if isinstance(moment, (int, float))
         else moment.astimezone(dt.timezone.utc))
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


def insert_record(db: sqlite3.Connection, record_id: str, org_id: str, sobject: str,
                  fields: dict[str, Any], ts: float, created_by_id: str | None = None) -> None:
    """Insert one record inside the caller's transaction."""
    # Writers hold SQLite's write lock (BEGIN IMMEDIATE), so max(seq)+1 cannot repeat.
    seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM records").fetchone()[0]
    stamp = sf_datetime(ts)
    db.execute(
        "INSERT INTO records(id, org_id, sobject, fields, created_date, last_modified_date,"
        " created_by_id, seq) VALUES(?,?,?,?,?,?,?,?)",
        (record_id, org_id, sobject, json.dumps(fields), stamp, stamp, created_by_id, seq),
    )


def canonical_id(value: str, prefix: str = ids.ACCOUNT_PREFIX) -> str | None:
    """The 18-character form of a 15- or 18-character id with ``prefix``, else None.

    >>> canonical_id("001D000000IqhSL")
    '001D000000IqhSLIAZ'
    """
    if not ID_RE.match(value) or not value.startswith(prefix):
        return None
    return ids.to18(value[:15])


def field_sql(field: Field) -> str:
    """The SQL expression of a field over the records table."""
    if field.name == "OwnerId":
        return "coalesce(json_extract(fields, '$.OwnerId'), created_by_id)"
    if field.column:
        return field.column
    return f"json_extract(fields, '$.{field.name}')"


def get_record(db: sqlite3.Connection, org_id: str, record_id: str,
               sobject: str = "Account") -> sqlite3.Row | None:
    """A record (deleted ones too) by 15- or 18-character id, or None."""
    full = canonical_id(record_id)
    if full is None:
        return None
    return db.execute("SELECT * FROM records WHERE id=? AND org_id=? AND sobject=?",
                      (full, org_id, sobject)).fetchone()


def find_by_source_id(db: sqlite3.Connection, org_id: str, value: str) -> list[sqlite3.Row]:
    """Live Accounts whose Source_Id__c equals ``value`` (case-insensitive, like Salesforce)."""
    # Without statistics SQLite would pick records_org_obj and scan the whole org.
    return db.execute(
        "SELECT * FROM records INDEXED BY records_source_id WHERE org_id=? AND "  # noqa: S608
        f"{SOURCE_ID_SQL} = ? COLLATE NOCASE AND is_deleted=0 AND sobject='Account' ORDER BY seq",
        (org_id, value)).fetchall()


def update_record(db: sqlite3.Connection, row: sqlite3.Row, changes: dict[str, Any],
                  ts: float) -> None:
    """Apply field changes (``None`` clears a field) inside the caller's transaction."""
    values = json.loads(row["fields"])
    for name, value in changes.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    db.execute("UPDATE records SET fields=?, last_modified_date=? WHERE id=?",
               (json.dumps(values), sf_datetime(ts), row["id"]))


def soft_delete(db: sqlite3.Connection, record_id: str, ts: float) -> None:
    """Move a record to the recycle bin: IsDeleted, still visible to queryAll."""
    db.execute("UPDATE records SET is_deleted=1, last_modified_date=? WHERE id=?",
               (sf_datetime(ts), record_id))


def value_of(row: sqlite3.Row, field: Field, stored: dict[str, Any]) -> Any:
    """A field's API value from a row and its parsed ``fields`` JSON."""
    if field.name == "OwnerId":
        return stored.get("OwnerId") or row["created_by_id"]
    if field.column == "is_deleted":
        return bool(row["is_deleted"])
    if field.column:
        return row[field.column]
    return stored.get(field.name)


def to_api(row: sqlite3.Row, fields: list[Field] | tuple[Field, ...], version: str) -> dict:
    """A record as the REST API returns it: ``attributes`` first, then the fields."""
    stored = json.loads(row["fields"])
    out: dict[str, Any] = {"attributes": {
        "type": row["sobject"], "url": f"/services/data/{version}/sobjects/{row['sobject']}/"
                                       f"{row['id']}"}}
    for field in fields:
        out[field.name] = value_of(row, field, stored)
    return out
