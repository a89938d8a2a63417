"""sObject Collections: ``composite/sobjects`` create, update, upsert, delete, retrieve.

Up to 200 records per call (each call counts as one API request). Results come in
request order; their errors use ``statusCode`` (observed). With ``allOrNone`` any
failure rolls the whole call back and the other records report
``ALL_OR_NONE_OPERATION_ROLLED_BACK``; the HTTP status is 200 either way.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import request

from ..store import now
from .calls import Call, current, dispatch, json_body
from .describe import SOBJECT, Field
from .errors import ApiError, json_response, save_error
from .jsonbody import JsonBodyError
from .records import (
    InsertOrder,
    canonical_id,
    find_by_source_id,
    find_by_source_ids,
    get_record,
    nocase,
    soft_delete,
    to_api,
)
from .sobjects import (
    external_field,
    new_id,
    require_sobject,
    save_insert,
    save_update,
    selected_fields,
)
from .validate import FieldError, deserialize

MAX_RECORDS = 200
MAX_RETRIEVE = 2000
ROLLED_BACK = save_error("ALL_OR_NONE_OPERATION_ROLLED_BACK",
                         "Record rolled back because not all records were valid and the request "
                         "was using AllOrNone header")


def _too_many(limit: int = MAX_RECORDS) -> ApiError:
    return ApiError(400, "EXCEEDED_ID_LIMIT",
                    f"record limit reached. cannot submit more than {limit} records into this "
                    "call")


class _Rollback(Exception):
    pass


def _flag(value: Any, name: str = "allOrNone") -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise JsonBodyError(f"Cannot deserialize instance of boolean from value of {name}")


def _records_body(call: Call) -> tuple[list[dict[Field, Any]], bool]:
    """The ``records`` of a collection body, deserialized (whole-request errors raise)."""
    body = json_body()
    if not isinstance(body, dict):
        raise JsonBodyError("Cannot deserialize instance of the collection request from "
                            "START_ARRAY value: send {\"allOrNone\": false, \"records\": [...]}")
    records = body.get("records")
    if not isinstance(records, list):
        raise JsonBodyError("The request needs \"records\": a JSON list of sObjects")
    if len(records) > MAX_RECORDS:
        raise _too_many()
    values = []
    for record in records:
        if not isinstance(record, dict):
            raise JsonBodyError("Each item of \"records\" must be a JSON object")
        attrs = record.get("attributes")
        kind = attrs.get("type") if isinstance(attrs, dict) else None
        if not isinstance(kind, str) or kind.lower() != SOBJECT.lower():
            # UNCONFIRMED text; Salesforce needs attributes.type on every record.
            raise ApiError(400, "INVALID_TYPE", "Each record needs \"attributes\": "
                           "{\"type\": \"Account\"} (the local orgs only have Account)")
        values.append(deserialize(call.org_key, record))
    return values, _flag(body.get("allOrNone"))


def _run(call: Call, items: list, all_or_none: bool,
         save_one: Callable[[sqlite3.Connection, Any], dict], *, inserts: bool = False
         ) -> list[dict]:
    """Save each item in one transaction; roll everything back when allOrNone fails."""
    results: list[dict] = []
    try:
        with call.store.tx() as db:
            results = [save_one(db, item) for item in items]
            if all_or_none and not all(r["success"] for r in results):
                raise _Rollback
    except _Rollback:
        results = [r if not r["success"] else _rolled_back(r, inserts) for r in results]
    return results


def _rolled_back(result: dict, inserts: bool) -> dict:
    # Ids drawn for new records never existed, so they are not reported.
    keep_id = not inserts and not result.get("created")
    out: dict[str, Any] = {"id": result["id"]} if keep_id else {}
    out.update(success=False, errors=[ROLLED_BACK])
    if "created" in result:
        out["created"] = False
    return out


def _failure(error: FieldError | dict, record_id: str | None = None) -> dict:
    err = error if isinstance(error, dict) else save_error(error.code, error.message,
                                                           error.fields)
    out: dict[str, Any] = {"id": record_id} if record_id else {}
    return {**out, "success": False, "errors": [err]}


def _row_or_error(db: sqlite3.Connection, call: Call, record_id: Any):
    """(row, None) for a live Account id, else (None, a SaveResult error)."""
    if not isinstance(record_id, str) or canonical_id(record_id) is None:
        return None, save_error("MALFORMED_ID", f"Account ID: id value of incorrect type: "
                                f"{str(record_id)[:18]}", ["Id"])
    row = get_record(db, call.org["id"], record_id)
    if row is None:
        return None, save_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    if row["is_deleted"]:
        return None, save_error("ENTITY_IS_DELETED", "entity is deleted")
    return row, None


def collection():
    return dispatch({"POST": _create, "PATCH": _update, "DELETE": _delete})


def _create():
    call = current()
    values, all_or_none = _records_body(call)
    order: InsertOrder | None = None

    def save_one(db, vals):
        nonlocal order
        if any(f.name == "Id" for f in vals):
            return _failure(save_error("INVALID_FIELD", "cannot specify Id in an insert call",
                                       ["Id"]))
        record_id = new_id(call)
        order = order or InsertOrder(db)  # all calls of save_one share one transaction
        error = save_insert(db, call, vals, record_id, order)
        return _failure(error) if error else {"id": record_id, "success": True, "errors": []}

    return json_response(_run(call, values, all_or_none, save_one, inserts=True))


def _update():
    call = current()
    values, all_or_none = _records_body(call)

    def save_one(db, vals):
        id_field = next((f for f in vals if f.name == "Id"), None)
        if id_field is None or not vals[id_field]:
            return _failure(save_error("MISSING_ARGUMENT", "Id not specified in an update call"))
        given = vals.pop(id_field)
        row, err = _row_or_error(db, call, given)
        if err:
            return _failure(err, given)
        error = save_update(db, call, row, vals)
        return _failure(error, row["id"]) if error else {"id": row["id"], "success": True,
                                                         "errors": []}

    return json_response(_run(call, values, all_or_none, save_one))


def _delete():
    call = current()
    id_list = [i for i in request.args.get("ids", "").split(",") if i.strip()]
    if not id_list:
        raise ApiError(400, "MISSING_ARGUMENT", "Give the records to delete in ?ids=id1,id2")
    if len(id_list) > MAX_RECORDS:
        raise _too_many()
    all_or_none = _flag(request.args.get("allOrNone"))

    def delete_one(db, record_id):
        row, err = _row_or_error(db, call, record_id.strip())
        if err:
            return _failure(err, record_id.strip())
        soft_delete(db, row["id"], now())
        return {"id": row["id"], "success": True, "errors": []}

    return json_response(_run(call, id_list, all_or_none, delete_one))


def collection_of(sobject: str):
    require_sobject(sobject)
    return dispatch({"GET": _retrieve, "POST": _retrieve})


def _retrieve():
    """``GET composite/sobjects/Account?ids=..&fields=..`` (or POST with a JSON body)."""
    call = current()
    if request.method == "POST":
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("ids"), list) \
                or not isinstance(body.get("fields"), list):
            raise JsonBodyError("Send {\"ids\": [...], \"fields\": [...]}")
        id_list, field_names = [str(i) for i in body["ids"]], ",".join(map(str, body["fields"]))
    else:
        id_list = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
        field_names = request.args.get("fields", "")
    if not id_list or not field_names:
        raise ApiError(400, "MISSING_ARGUMENT", "Both ids and fields are required, e.g. "
                       "?ids=001...,001...&fields=Id,Name")
    if len(id_list) > MAX_RETRIEVE:
        raise _too_many(MAX_RETRIEVE)
    chosen = selected_fields(call, field_names)
    out = []
    with call.store.tx(immediate=False) as db:
        for record_id in id_list:
            row = get_record(db, call.org["id"], record_id)
            live = row is not None and not row["is_deleted"]
            out.append(to_api(row, chosen, call.version) if live else None)
    return json_response(out)


def upsert_collection(sobject: str, field: str):
    """``PATCH composite/sobjects/Account/Source_Id__c``: upsert up to 200 by external id."""
    require_sobject(sobject)
    call = current()
    ext = external_field(call, field)
    return dispatch({"PATCH": lambda: _upsert(call, ext)})


def _upsert(call: Call, ext: Field):
    values, all_or_none = _records_body(call)
    keys = Counter(str(v.get(ext) or "").lower() for v in values)
    repeated = {k for k, n in keys.items() if k and n > 1}
    # The records of one call have distinct keys (repeated ones fail), so no save in the call
    # changes what another key matches: all are looked up at once, in the transaction.
    lookups = list({str(k): None for v in values if (k := v.get(ext))
                    and str(k).lower() not in repeated})
    matches: dict[str, list[sqlite3.Row]] | None = None
    order: InsertOrder | None = None

    def save_one(db, vals):
        nonlocal matches, order
        key = vals.pop(ext, None)
        if any(f.name == "Id" for f in vals) and ext.name != "Id":
            return _failure(save_error("INVALID_FIELD", "cannot specify Id in an upsert call "
                                       f"by {ext.name}", ["Id"]))
        if not key:
            return _failure(save_error("MISSING_ARGUMENT", f"{ext.name} not specified",
                                       [ext.name]))
        if key.lower() in repeated:
            return _failure(save_error("DUPLICATE_VALUE",
                                       f"Duplicate external id specified: {key}", [ext.name]))
        if ext.name == "Id":
            return upsert_one(db, call, ext, key, vals)
        if matches is None:  # all calls of save_one share one transaction
            matches, order = find_by_source_ids(db, call.org["id"], lookups), InsertOrder(db)
        return upsert_one(db, call, ext, key, vals, matches.get(nocase(key), []), order)

    return json_response(_run(call, values, all_or_none, save_one))


def upsert_one(db: sqlite3.Connection, call: Call, ext: Field, key: str,
               vals: dict[Field, Any], matches: list[sqlite3.Row] | None = None,
               order: InsertOrder | None = None) -> dict:
    """Upsert one Account by an external id inside a transaction; a SaveResult with created.

    ``matches``: the live records with this ``Source_Id__c``, when already looked up;
    ``order``: the transaction's :class:`InsertOrder`, when it saves many records.
    """
    if ext.name == "Id":
        row, err = _row_or_error(db, call, key)
        rows = [row] if row else []
        if err:
            return {**_failure(err), "created": False}
    else:
        rows = find_by_source_id(db, call.org["id"], key) if matches is None else matches
    if len(rows) > 1:
        listed = ", ".join(r["id"] for r in rows)
        return {**_failure(save_error("DUPLICATE_EXTERNAL_ID", f"Account: more than one record "
                                      f"found for external id field: [{listed}]", [ext.name])),
                "created": False}
    if rows:
        error = save_update(db, call, rows[0], vals)
        result = _failure(error, rows[0]["id"]) if error else \
            {"id": rows[0]["id"], "success": True, "errors": []}
        return {**result, "created": False}
    record_id = new_id(call)
    error = save_insert(db, call, {**vals, ext: key}, record_id, order)
    if error:
        return {**_failure(error), "created": False}
    return {"id": record_id, "success": True, "errors": [], "created": True}
