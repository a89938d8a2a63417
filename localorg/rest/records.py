"""Storage of sObject records (Account is the one the tutorial uses).

System fields live in columns; every other field value lives in the JSON ``fields``
column under its API name (``OwnerId`` too, defaulting to the creator). SOQL is
translated to SQL over ``json_extract`` (see ``query.py``), with an expression index on
``Source_Id__c`` so upserts by external id stay fast with thousands of Accounts.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sqlite3
import string
from collections.abc import Sequence
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
    return _second(d.replace(microsecond=0)) + f"{d.microsecond // 1000:03d}+0000"


@functools.lru_cache(maxsize=16)
def _second(d: dt.datetime) -> str:
    # strftime is most of the cost, and the records of one request share their second.
    return d.strftime("%Y-%m-%dT%H:%M:%S.")


class InsertOrder:
    """The ``seq`` numbers of the records one transaction inserts, for a call that inserts
    many (sObject Collections): ``max(seq)`` is read at the first insert, not before each.

    Writers hold SQLite's write lock (BEGIN IMMEDIATE) until they commit, so no other
    connection inserts meanwhile; every insert of the transaction must take its number here.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._last: int | None = None

    def next(self) -> int:
        if self._last is None:
            self._last = _max_seq(self._db)
        self._last += 1
        return self._last


def _max_seq(db: sqlite3.Connection) -> int:
    return db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]


def insert_record(db: sqlite3.Connection, record_id: str, org_id: str, sobject: str,
                  fields: dict[str, Any], ts: float, created_by_id: str | None = None,
                  seq: int | None = None) -> None:
    """Insert one record inside the caller's transaction (``seq``: from :class:`InsertOrder`)."""
    # Writers hold SQLite's write lock (BEGIN IMMEDIATE), so max(seq)+1 cannot repeat.
    if seq is None:
        seq = _max_seq(db) + 1
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


def nocase(text: str) -> str:
    """``text`` folded the way SQLite's NOCASE collation compares it: ASCII letters only.

    >>> nocase("ÀbC")
    'Àbc'
    """
    return text.translate(_NOCASE)


_NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def find_by_source_ids(db: sqlite3.Connection, org_id: str,
                       values: Sequence[str]) -> dict[str, list[sqlite3.Row]]:
    """:func:`find_by_source_id` for many values with one statement per 500 of them: the
    matches of each value under ``nocase(value)``, in the same order (values without a match
    are absent). For an sObject Collections upsert: one lookup per call, not per record."""
    found: dict[str, list[sqlite3.Row]] = {}
    for start in range(0, len(values), 500):  # far below SQLite's limit of bound variables
        chunk = values[start:start + 500]
        rows = db.execute(
            f"SELECT *, {SOURCE_ID_SQL} AS source_id_value FROM records "  # noqa: S608
            f"INDEXED BY records_source_id WHERE org_id=? AND {SOURCE_ID_SQL} COLLATE NOCASE "
            f"IN ({','.join('?' * len(chunk))}) AND is_deleted=0 AND sobject='Account' "
            "ORDER BY seq", (org_id, *chunk))
        for row in rows:
            found.setdefault(nocase(row["source_id_value"]), []).append(row)
    return found


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
