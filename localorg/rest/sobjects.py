"""``sobjects``: describe, and create / read / update / delete / upsert of Accounts.

The ``save_*`` functions run inside the caller's transaction and are shared with
sObject Collections (``composite.py``) and Apex REST (``apexrest.py``).
"""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from flask import request

from .. import ids
from ..store import now
from . import organization, readonly, users  # noqa: F401  (these register their objects)
from .calls import Call, current, dispatch, json_body
from .describe import SOBJECT, Field, describe, field_map, fields, object_basics
from .errors import NOT_FOUND, ApiError, json_response
from .jsonbody import JsonBodyError
from .records import (
    InsertOrder,
    canonical_id,
    find_by_source_id,
    get_record,
    insert_record,
    soft_delete,
    to_api,
    update_record,
)
from .validate import FieldError, check, deserialize, stored_changes

ID_IN_BODY = "The Id field should not be specified in the sobject data."


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", NOT_FOUND)


def require_sobject(name: str) -> None:
    """Only Account exists in the local orgs; object names are case-insensitive."""
    if name.lower() != SOBJECT.lower():
        raise not_found()


def external_field(call: Call, name: str) -> Field:
    """The field named in ``sobjects/Account/<field>/<value>``: an External ID, or Id."""
    field = field_map(call.org_key).get(name.lower())
    if field is None:  # e.g. Source_Id__c on ORG A, which does not have it
        raise ApiError(404, "NOT_FOUND",
                       f"Provided external ID field does not exist or is not accessible: {name}")
    if not field.external_id and field.name != "Id":
        # UNCONFIRMED text: Salesforce refuses upserts on fields that are not External IDs.
        raise ApiError(400, "INVALID_FIELD",
                       f"Field {field.name} is not an External ID or indexed field for Account; "
                       "upsert needs an External ID field such as Source_Id__c")
    return field


def record_url(call: Call, record_id: str) -> str:
    return f"/services/data/{call.version}/sobjects/{SOBJECT}/{record_id}"


# --- saving (inside the caller's transaction) ------------------------------------------

def save_insert(db: sqlite3.Connection, call: Call, values: dict[Field, Any],
                record_id: str, order: InsertOrder | None = None) -> FieldError | None:
    """Validate and insert one Account with a pre-drawn id; a FieldError means not saved.

    ``order``: the transaction's :class:`InsertOrder`, when it inserts many records.
    """
    error = check(db, call.org["id"], values, insert=True)
    if error:
        return error
    stored = stored_changes(values)
    stored.setdefault("OwnerId", call.user_id)
    insert_record(db, record_id, call.org["id"], SOBJECT, stored, now(), call.user_id,
                  order.next() if order else None)
    return None


def save_update(db: sqlite3.Connection, call: Call, row: sqlite3.Row,
                values: dict[Field, Any]) -> FieldError | None:
    error = check(db, call.org["id"], values, insert=False)
    if error:
        return error
    update_record(db, row, stored_changes(values), now())
    return None


def new_id(call: Call) -> str:
    return call.runtime.rng.record_id(ids.ACCOUNT_PREFIX, "record")


# --- handlers --------------------------------------------------------------------------

def describe_global():
    call = current()
    return json_response({"encoding": "UTF-8", "maxBatchSize": 200,
                          "sobjects": [object_basics(call.version)] + [
                              o.object_basics(call.version) for o in readonly.all_objects()]})


def sobject_root(sobject: str):
    if (ro := readonly.find(sobject)) is not None:
        return ro.sobject_root()
    require_sobject(sobject)
    return dispatch({"GET": _metadata, "POST": _create})


def _metadata():
    call = current()
    rows = call.store.query("SELECT * FROM records WHERE org_id=? AND sobject=? AND is_deleted=0"
                            " ORDER BY last_modified_date DESC, seq DESC LIMIT 5",
                            (call.org["id"], SOBJECT))
    name_fields = [f for f in fields(call.org_key) if f.name in ("Id", "Name")]
    return json_response({"objectDescribe": object_basics(call.version),
                          "recentItems": [to_api(r, name_fields, call.version) for r in rows]})


def _create():
    call = current()
    values = _sobject_values(call)
    record_id = new_id(call)
    with call.store.tx() as db:
        error = save_insert(db, call, values, record_id)
    if error:
        raise error.api_error()
    return json_response({"id": record_id, "success": True, "errors": []}, 201)


def _sobject_values(call: Call) -> dict[Field, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise JsonBodyError("Cannot deserialize instance of sObject from START_ARRAY value "
                            "at [line:1, column:1]")
    values = deserialize(call.org_key, body)
    if any(f.name == "Id" for f in values):
        raise ApiError(400, "INVALID_FIELD", ID_IN_BODY)
    return values


def describe_sobject(sobject: str):
    if (ro := readonly.find(sobject)) is not None:
        return ro.describe_sobject()
    require_sobject(sobject)
    call = current()
    return dispatch({"GET": lambda: json_response(describe(call.org_key, call.version))})


def record(sobject: str, record_id: str):
    if (ro := readonly.find(sobject)) is not None:
        return ro.record(record_id)
    require_sobject(sobject)
    return dispatch({"GET": _get, "PATCH": _update, "DELETE": _delete}, record_id=record_id)


def _live_row(call: Call, record_id: str) -> sqlite3.Row:
    if canonical_id(record_id) is None and not record_id.startswith(ids.ACCOUNT_PREFIX):
        # Salesforce reads a segment that is not an id as an external id value.
        raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is not "
                                         f"accessible: {record_id}")
    with call.store.tx(immediate=False) as db:
        row = get_record(db, call.org["id"], record_id)
    if row is None or row["is_deleted"]:
        raise not_found()
    return row


def selected_fields(call: Call, param: str | None) -> list[Field]:
    """Fields of ``?fields=A,B`` (all when absent), or 400 INVALID_FIELD."""
    all_fields = fields(call.org_key)
    if not param:
        return list(all_fields)
    by_name = field_map(call.org_key)
    chosen = []
    for name in (n.strip() for n in param.split(",") if n.strip()):
        f = by_name.get(name.lower())
        if f is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity 'Account'. "
                           "If you are attempting to use a custom field, be sure to append the "
                           "'__c' after the custom field name. Please reference your WSDL or the "
                           "describe call for the appropriate names.")
        if f not in chosen:
            chosen.append(f)
    return chosen


def _get(record_id: str):
    call = current()
    row = _live_row(call, record_id)
    return json_response(to_api(row, selected_fields(call, request.args.get("fields")),
                                call.version))


def _entity_is_deleted() -> ApiError:
    return ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])


def _update(record_id: str):
    """PATCH: a record in the Recycle Bin is 404 ENTITY_IS_DELETED, as for DELETE (observed
    Salesforce behaviour; StatusCode ENTITY_IS_DELETED, SOAP API Developer Guide, "Core Data
    Types Used in API Calls"); an unknown id is NOT_FOUND."""
    call = current()
    try:
        _live_row(call, record_id)
    except ApiError as exc:
        if exc.code != "NOT_FOUND" or canonical_id(record_id) is None:
            raise
    values = _sobject_values(call)
    with call.store.tx() as db:
        row = get_record(db, call.org["id"], record_id)
        if row is None:
            raise not_found()
        if row["is_deleted"]:  # deleted before, or meanwhile
            raise _entity_is_deleted()
        error = save_update(db, call, row, values)
    if error:
        raise error.api_error()
    return "", 204


def _delete(record_id: str):
    call = current()
    if canonical_id(record_id) is None:
        raise not_found()
    with call.store.tx() as db:
        row = get_record(db, call.org["id"], record_id)
        if row is None:
            raise not_found()
        if row["is_deleted"]:
            raise _entity_is_deleted()
        soft_delete(db, row["id"], now())
    return "", 204


def by_external_id(sobject: str, field: str, value: str):
    require_sobject(sobject)
    call = current()
    ext = external_field(call, field)
    value = _raw_value(value)
    return dispatch({"GET": _get_external, "PATCH": _upsert, "DELETE": _delete_external},
                    call=call, field=ext, value=value)


def _raw_value(decoded: str) -> str:
    """The external id value as sent: simple-salesforce quote_plus-encodes it (A5)."""
    raw_uri = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or ""
    parts = urlsplit(raw_uri).path.split("/", 7)
    return unquote_plus(parts[7]) if len(parts) == 8 and parts[7] else decoded


def _matches(db: sqlite3.Connection, call: Call, field: Field, value: str) -> list[sqlite3.Row]:
    if field.name == "Id":
        row = get_record(db, call.org["id"], value)
        return [row] if row is not None and not row["is_deleted"] else []
    return find_by_source_id(db, call.org["id"], value)


def _several(call: Call, rows: list[sqlite3.Row]):
    return json_response([record_url(call, r["id"]) for r in rows], 300)


def _get_external(call: Call, field: Field, value: str):
    with call.store.tx(immediate=False) as db:
        rows = _matches(db, call, field, value)
    if not rows:
        raise not_found()
    if len(rows) > 1:
        return _several(call, rows)
    return json_response(to_api(rows[0], selected_fields(call, request.args.get("fields")),
                                call.version))


def _upsert(call: Call, field: Field, value: str):
    values = _sobject_values(call)
    in_body = values.pop(field, None)
    if in_body is not None and str(in_body).lower() != value.lower():
        raise ApiError(400, "INVALID_FIELD", f"The {field.name} value in the body differs from "
                       "the one in the URL; leave it out of the body", [field.name])
    record_id = new_id(call)
    with call.store.tx() as db:
        rows = _matches(db, call, field, value)
        if len(rows) > 1:
            return _several(call, rows)
        if rows:
            record_id, created = rows[0]["id"], False
            error = save_update(db, call, rows[0], values)
        elif field.name == "Id":
            raise not_found()
        else:
            created = True
            error = save_insert(db, call, {**values, field: value}, record_id)
    if error:
        raise error.api_error()
    return json_response({"id": record_id, "success": True, "errors": [], "created": created},
                         201 if created else 200)


def _delete_external(call: Call, field: Field, value: str):
    with call.store.tx() as db:
        rows = _matches(db, call, field, value)
        if len(rows) == 1:
            soft_delete(db, rows[0]["id"], now())
    if not rows:
        raise not_found()
    if len(rows) > 1:
        return _several(call, rows)
    return "", 204
