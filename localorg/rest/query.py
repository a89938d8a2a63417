"""``query`` and ``queryAll``: SOQL translated to SQL over the records table.

Results come in batches (2000, or ``Sforce-Query-Options: batchSize=N`` clamped to
200..2000). When more remain, the ids of the whole result are kept in
``query_cursors`` (15 minutes after last use, like Salesforce's locators) and
``nextRecordsUrl`` is the host-relative ``/services/data/vXX.X/query/01g...-2000``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import ids
from ..store import Store, register_schema
from .describe import ID_TYPES, SOBJECT, Field, fields
from .errors import ApiError
from .records import canonical_id, field_sql, sf_datetime, to_api
from .soql import BoolOp, Compare, InList, Literal, Not, Query, parse, soql_error

SCHEMA = """
CREATE TABLE IF NOT EXISTS query_cursors (
    locator TEXT PRIMARY KEY,        -- 18-character 01g... id
    org_id TEXT NOT NULL REFERENCES orgs(id),
    resource TEXT NOT NULL,          -- 'query' or 'queryAll'
    fields TEXT NOT NULL,            -- JSON list of field API names, in SELECT order (Account),
                                     -- or {"sobject": "User", "fields": [...]} for others
    ids TEXT NOT NULL,               -- JSON list of the result's record ids, in order
    batch INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
"""
register_schema(SCHEMA)

DEFAULT_BATCH, MIN_BATCH = 2000, 200
MAX_OFFSET = 2000
_SQL_INT_MAX = 2**63 - 1
CURSOR_SECONDS = 15 * 60
_TOO_COMPLEX = re.compile(r"too many SQL variables|Expression tree is too large|"
                          r"parser stack overflow|too many terms|string or blob too big")
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?"
                          r"(Z|([+-])(\d{2}):(\d{2}))$")
_LOCATOR_RE = re.compile(r"^(01g[0-9A-Za-z]{15})-(\d{1,9})$")
_NO_COLUMN = ("No such column '{}' on entity '{}'. If you are attempting to use a custom "
              "field, be sure to append the '__c' after the custom field name. Please reference "
              "your WSDL or the describe call for the appropriate names.")
_TYPE_WORDS = {"int": "integer", "currency": "double", "boolean": "boolean",
               "datetime": "dateTime"}


@dataclass(frozen=True)
class Entity:
    """An sObject SOQL can read: its fields and the table they come from.

    ``Field.column`` is used as the SQL expression of a field over ``table`` (records.py's
    ``field_sql`` for Account). Other modules register theirs (``users.py``: User).
    """

    name: str
    key_prefix: str
    table: str
    fields: Callable[[str], tuple[Field, ...]]          # org key -> fields
    to_api: Callable[[Any, list[Field], str], dict]    # (row, selected, version) -> record
    tiebreak: str = "rowid"                             # stable order of equal sort keys
    org_column: str = "org_id"                          # the column holding the org's id

    def field_map(self, org_key: str) -> dict[str, Field]:
        return {f.name.lower(): f for f in self.fields(org_key)}


ACCOUNT = Entity(SOBJECT, ids.ACCOUNT_PREFIX, "records", fields, to_api, "seq")
_ENTITIES: dict[str, Entity] = {"account": ACCOUNT}


def register(entity: Entity) -> None:
    """Make ``FROM <entity.name>`` queryable (object names are case-insensitive)."""
    _ENTITIES[entity.name.lower()] = entity


def _datetime(text: str) -> str | None:
    """A SOQL datetime literal in the stored format (UTC), or None if it is no real time."""
    m = _DATETIME_RE.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone, sign, zh, zm = m.groups()
    try:
        offset = dt.timedelta(0) if zone == "Z" else \
            (1 if sign == "+" else -1) * dt.timedelta(hours=int(zh), minutes=int(zm))
        moment = dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                             int(second), int((frac or "0").ljust(3, "0")) * 1000,
                             tzinfo=dt.timezone(offset))
        return sf_datetime(moment)
    except (ValueError, OverflowError):
        return None


def batch_size(header: str | None) -> int:
    """The batch size asked for in ``Sforce-Query-Options``, clamped to 200..2000.

    A value that is no 32-bit integer (Salesforce's REST API Developer Guide, "Query Options
    Header", documents batchSize as a number of records, 200 to 2,000) is a 400; the error
    code is UNCONFIRMED (no Salesforce page shows this answer).
    """
    m = _BATCH_RE.search(header or "")
    if m is None:
        return DEFAULT_BATCH
    if len(m.group(1)) > 10 or int(m.group(1)) > 2**31 - 1:
        raise ApiError(400, "MALFORMED_QUERY", "Sforce-Query-Options: batchSize must be a "
                       "whole number from 200 to 2000")
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(m.group(1))))


class _Compiler:
    def __init__(self, query: Query, org_key: str, entity: Entity = ACCOUNT):
        self.q = query
        self.entity = entity
        self.fields = entity.field_map(org_key)
        self.params: list[Any] = []

    @staticmethod
    def balanced(op: str, parts: list[str]) -> str:
        """``(a OR b OR ...)`` as a balanced tree: SQLite refuses expression trees deeper
        than 1000 (SQLITE_MAX_EXPR_DEPTH), which a flat list of 1,000 ORs would be."""
        if len(parts) <= 8:
            return "(" + f" {op} ".join(parts) + ")"
        mid = len(parts) // 2
        return f"({_Compiler.balanced(op, parts[:mid])} {op} {_Compiler.balanced(op, parts[mid:])})"

    def field(self, ref) -> Field:
        f = self.fields.get(ref.name.lower())
        if f is None:
            raise soql_error("INVALID_FIELD", self.q.text, ref.pos,
                             _NO_COLUMN.format(ref.name, self.entity.name))
        return f

    def sql(self, f: Field) -> str:
        return field_sql(f) if self.entity is ACCOUNT else f.column or f.name

    def bad_value(self, f: Field, lit: Literal, why: str | None = None) -> ApiError:
        if why is None:
            if f.is_text or f.type in ID_TYPES:
                why = (f"value of filter criterion for field '{f.name}' must be of type string "
                       "and should be enclosed in quotes")
            else:
                why = (f"value of filter criterion for field '{f.name}' must be of type "
                       f"{_TYPE_WORDS[f.type]} and should not be enclosed in quotes")
        return soql_error("INVALID_QUERY_FILTER_OPERATOR", self.q.text, lit.pos, why)

    def value(self, f: Field, lit: Literal) -> Any:
        """The SQL parameter for a literal compared with a field, type-checked."""
        if f.is_text and lit.kind == "string":
            return lit.value
        if f.type in ID_TYPES and lit.kind == "string":
            full = canonical_id(lit.value, lit.value[:3])
            if full is None:
                raise self.bad_value(f, lit, f"invalid ID field: {lit.value}")
            return full
        if f.type in ("int", "currency") and lit.kind == "number":
            return lit.value
        if f.type == "boolean" and lit.kind == "boolean":
            return int(lit.value)
        if f.type == "datetime" and lit.kind == "datetime":
            stamp = _datetime(str(lit.value))
            if stamp is None:
                raise soql_error("MALFORMED_QUERY", self.q.text, lit.pos,
                                 f"invalid datetime: {lit.value}")
            return stamp
        raise self.bad_value(f, lit)

    def condition(self, node) -> str:
        if isinstance(node, BoolOp):
            return self.balanced(node.op, [self.condition(i) for i in node.items])
        if isinstance(node, Not):
            return f"NOT {self.condition(node.inner)}"
        f = self.field(node.field)
        if not f.filterable:
            raise soql_error("INVALID_FIELD", self.q.text, node.field.pos,
                             f"field '{f.name}' can not be filtered in a query call")
        expr = self.sql(f)
        nocase = " COLLATE NOCASE" if f.is_text else ""
        if isinstance(node, InList):
            marks = ",".join("?" for _ in node.values)
            self.params.extend(self.value(f, v) for v in node.values)
            test = f"coalesce({expr}{nocase} IN ({marks}), 0)"
            return f"NOT {test}" if node.negated else test
        assert isinstance(node, Compare)
        lit = node.value
        if lit.kind == "null":
            if node.op not in ("=", "!="):
                raise self.bad_value(f, lit, "invalid operator on null")
            return f"{expr} IS {'NOT ' if node.op == '!=' else ''}NULL"
        if node.op == "LIKE":
            if not f.is_text or lit.kind != "string":
                raise self.bad_value(f, lit, f"invalid operator on field '{f.name}': LIKE "
                                             "needs a text field and a 'quoted' pattern")
            self.params.append(lit.value)
            return f"coalesce({expr} LIKE ? ESCAPE '\\', 0)"
        if lit.kind == "dateliteral" and f.type == "datetime":
            return self.date_range(expr, node.op, lit.value)
        self.params.append(self.value(f, lit))
        if node.op == "!=":  # SOQL's != also matches null values
            return f"NOT coalesce({expr} = ?{nocase}, 0)"
        return f"coalesce({expr} {node.op} ?{nocase}, 0)"

    def date_range(self, expr: str, op: str, name: str) -> str:
        # Day boundaries in UTC (a real org uses the running user's time zone).
        today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0,
                                                         microsecond=0)
        start = today + dt.timedelta(days={"TODAY": 0, "YESTERDAY": -1, "TOMORROW": 1}[name])
        lo = sf_datetime(start.timestamp())
        hi = sf_datetime((start + dt.timedelta(days=1)).timestamp())
        inside = f"({expr} >= ? AND {expr} < ?)"
        sql, args = {"=": (inside, [lo, hi]), "!=": (f"NOT {inside}", [lo, hi]),
                     "<": (f"{expr} < ?", [lo]), "<=": (f"{expr} < ?", [hi]),
                     ">": (f"{expr} >= ?", [hi]), ">=": (f"{expr} >= ?", [lo])}[op]
        self.params.extend(args)
        return sql

    def order_by(self) -> str:
        parts = []
        for item in self.q.order_by:
            f = self.field(item.field)
            if not f.filterable:
                raise soql_error("INVALID_FIELD", self.q.text, item.field.pos,
                                 f"field '{f.name}' can not be sorted in a query call")
            nocase = " COLLATE NOCASE" if f.is_text else ""
            parts.append(f"{self.sql(f)}{nocase} {'DESC' if item.descending else 'ASC'} "
                         f"NULLS {'LAST' if item.nulls_last else 'FIRST'}")
        # Equal sort keys keep insertion order (newest first after a DESC key).
        first_desc = bool(self.q.order_by) and self.q.order_by[0].descending
        parts.append(f"{self.entity.tiebreak} {'DESC' if first_desc else 'ASC'}")
        return ", ".join(parts)


def _entity(q: Query) -> Entity:
    entity = _ENTITIES.get(q.sobject.lower())
    if entity is None:
        raise soql_error("INVALID_TYPE", q.text, q.sobject_pos,
                         f"sObject type '{q.sobject}' is not supported. If you are attempting "
                         "to use a custom object, be sure to append the '__c' after the entity "
                         "name. Please reference your WSDL or the describe call for the "
                         "appropriate names.")
    return entity


def _compile(q: Query, org_key: str, org_id: str,
             all_rows: bool) -> tuple[str, list, list[Field], Entity]:
    """SQL selecting the matching rows in order, its parameters, the selected fields and
    the queried object."""
    entity = _entity(q)
    c = _Compiler(q, org_key, entity)
    selected: list[Field] = []
    for ref in q.fields:
        f = c.field(ref)
        if f in selected:
            raise soql_error("MALFORMED_QUERY", q.text, ref.pos,
                             f"duplicate field selected: {f.name}")
        selected.append(f)
    if entity is ACCOUNT:
        where = "org_id=? AND sobject='Account'" + ("" if all_rows else " AND is_deleted=0")
    else:  # read-only objects are never deleted, so queryAll finds the same rows
        where = f"{entity.org_column}=?"
    c.params.append(org_id)
    if q.where is not None:
        where += f" AND {c.condition(q.where)}"
    if q.offset is not None and q.offset > MAX_OFFSET:
        raise ApiError(400, "NUMBER_OUTSIDE_VALID_RANGE",
                       f"Maximum SOQL offset allowed is {MAX_OFFSET}")
    # Only names from describe.py reach the SQL text; every literal is a ? parameter.
    sql = f"SELECT * FROM {entity.table} WHERE {where} ORDER BY {c.order_by()}"  # noqa: S608
    if q.limit is not None or q.offset is not None:
        sql += " LIMIT ? OFFSET ?"
        c.params += [-1 if q.limit is None else min(q.limit, _SQL_INT_MAX), q.offset or 0]
    return sql, c.params, selected, entity


def _next_url(version: str, resource: str, locator: str, offset: int) -> str:
    return f"/services/data/{version}/{resource}/{locator}-{offset}"


def run_query(store: Store, rng: ids.Rng, org: dict, text: str, version: str,
              resource: str, batch: int) -> dict:
    """Answer ``GET query/?q=`` (``resource='query'``) or ``queryAll/?q=``.

    Example::

        run_query(store, rng, org, "SELECT Name FROM Account", "v66.0", "query", 2000)
    """
    if not text or not text.strip():
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    q = parse(text)
    sql, params, selected, entity = _compile(q, org["key"], org["id"], resource == "queryAll")
    try:
        if q.count:
            row = store.one(f"SELECT count(*) AS n FROM ({sql})", tuple(params))  # noqa: S608
            return {"totalSize": row["n"], "done": True, "records": []}
        rows = store.query(sql, tuple(params))
    except sqlite3.OperationalError as exc:
        # SQLite's own limits (expression depth, number of parameters): a query too complex
        # to run. QUERY_TOO_COMPLICATED is Salesforce's documented code for that (Developer
        # Limits and Allocations Quick Reference, "SOQL and SOSL Limits for Search Queries").
        if not _TOO_COMPLEX.search(str(exc)):
            raise
        raise ApiError(400, "QUERY_TOO_COMPLICATED", "Query is too complicated: use fewer "
                       "conditions or values") from None
    page = rows[:batch]
    out: dict[str, Any] = {"totalSize": len(rows), "done": len(rows) <= batch}
    if len(rows) > batch:
        locator = rng.record_id(ids.QUERY_LOCATOR_PREFIX, "locator")
        now = time.time()
        names = [f.name for f in selected]
        spec = names if entity is ACCOUNT else {"sobject": entity.name, "fields": names}
        with store.tx() as db:
            db.execute("DELETE FROM query_cursors WHERE expires_at<?", (now,))
            db.execute("INSERT INTO query_cursors(locator, org_id, resource, fields, ids, batch,"
                       " expires_at) VALUES(?,?,?,?,?,?,?)",
                       (locator, org["id"], resource, json.dumps(spec),
                        json.dumps([r["id"] for r in rows]), batch, now + CURSOR_SECONDS))
        out["nextRecordsUrl"] = _next_url(version, resource, locator, batch)
    out["records"] = [entity.to_api(r, selected, version) for r in page]
    return out


# Apex types of the field types, for ``columns=true``.
_APEX_TYPES = {"id": "Id", "reference": "Id", "boolean": "Boolean", "int": "Integer",
               "currency": "Decimal", "datetime": "Datetime"}
_NUMBER_TYPES = frozenset({"int", "currency"})


def columns(org: dict, text: str) -> dict:
    """Answer ``GET query/?q=...&columns=true``: the query's columns, not its rows.

    The sf CLI's ``data query`` asks for it after every non-empty result and prints the
    ``columnName`` of each ``columnMetadata`` entry (plugin-data, ``retrieveColumns``).
    Salesforce does not document the resource; the shape (keys, ``apexType`` names,
    ``displayName`` = the field name) follows what orgs answer and the types of
    jsforce's ``QueryColumnsSfdc``. UNCONFIRMED: ``SELECT COUNT()`` gets an empty
    ``columnMetadata`` (it has no column to show).

    Example::

        columns(org, "SELECT Id FROM Account")["columnMetadata"][0]["apexType"]  # "Id"
    """
    if not text or not text.strip():
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    q = parse(text)
    _sql, _params, selected, entity = _compile(q, org["key"], org["id"], False)
    return {
        "columnMetadata": [{
            "aggregate": False, "apexType": _APEX_TYPES.get(f.type, "String"),
            "booleanType": f.type == "boolean", "columnName": f.name, "custom": f.custom,
            "displayName": f.name, "foreignKeyName": None,
            "insertable": f.writable, "joinColumns": [],
            "numberType": f.type in _NUMBER_TYPES, "textType": f.is_text,
            "updatable": f.writable,
        } for f in selected],
        "entityName": entity.name, "groupBy": False,
        "idSelected": any(f.name == "Id" for f in selected), "keyPrefix": entity.key_prefix,
    }


def next_page(store: Store, org: dict, locator_offset: str, version: str) -> dict:
    """Answer ``GET query/01g...-2000``: the next batch of a stored result."""
    invalid = ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    m = _LOCATOR_RE.match(locator_offset)
    if m is None:
        raise invalid
    locator, offset = m.group(1), int(m.group(2))
    now = time.time()
    with store.tx() as db:
        cur = db.execute("SELECT *, json_array_length(ids) AS total FROM query_cursors "
                         "WHERE locator=? AND org_id=? AND expires_at>=?",
                         (locator, org["id"], now)).fetchone()
        if cur is None:
            raise invalid
        db.execute("UPDATE query_cursors SET expires_at=? WHERE locator=?",
                   (now + CURSOR_SECONDS, locator))
        total = cur["total"]
        if offset >= total:
            raise invalid
        end = offset + cur["batch"]
        spec = json.loads(cur["fields"])
        entity, names = ((ACCOUNT, spec) if isinstance(spec, list)
                         else (_ENTITIES[spec["sobject"].lower()], spec["fields"]))
        # The table name comes from a registered Entity, never from the request.
        rows = db.execute(f"SELECT r.* FROM query_cursors c, json_each(c.ids) j "  # noqa: S608
                          f"JOIN {entity.table} r ON r.id = j.value WHERE c.locator=? AND "
                          "j.key>=? AND j.key<? ORDER BY j.key", (locator, offset, end)).fetchall()
    by_name = entity.field_map(org["key"])
    selected = [by_name[n.lower()] for n in names]
    out: dict[str, Any] = {"totalSize": total, "done": end >= total}
    if end < total:
        out["nextRecordsUrl"] = _next_url(version, cur["resource"], locator, end)
    out["records"] = [entity.to_api(r, selected, version) for r in rows]
    return out
