"""Apex REST in ORG B: the blog post's ``createAccountRecord`` and ``AccountUpsertService``.

Each service mimics its Apex class (the real classes are in ``sfdx/``): URL mappings
are case-sensitive, an exact mapping wins over the longest ``/*`` wildcard, and
``/createAccountRecord/*`` also matches ``/createAccountRecord`` (Apex Developer Guide,
"RestResource Annotation"). Apex REST error bodies list ``errorCode`` before ``message``.

Every answer goes through :func:`_allowed_status`: Apex REST lets a service answer only the
status codes in :data:`APEX_STATUS_CODES` and turns any other ``RestResponse.statusCode`` into
500 "Invalid status code for HTTP response: NNN" (Apex Reference Guide, RestResponse Class,
https://developer.salesforce.com/docs/atlas.en-us.apexref.meta/apexref/apex_methods_system_restresponse.htm),
so a service here cannot answer what a real org would refuse (the improved service once
answered 207 for a partial success; a real org made it a 500).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, make_response, request

from .calls import Call, current
from .composite import upsert_one
from .describe import SOURCE_ID, Field, field_map
from .errors import ApiError, json_response, save_error
from .jsonbody import JsonBodyError, parse_json
from .records import find_by_source_id
from .sobjects import new_id, save_insert

WRAPPER_FIELDS = ("Name", "Description", "Type", "Industry")
MAX_ACCOUNTS = 200
# Apex governor limit: DML rows per transaction (Apex Developer Guide, "Execution Governors
# and Limits": "Total number of records processed as a result of DML statements" 10,000).
MAX_DML_ROWS = 10_000
# Where sfdx/.../createAccountRecord.cls throws, for the stack line of an unhandled exception
# (tests/localorg/test_apexrest.py checks them against the class).
CREATE_CLASS = "createAccountRecord.createAccount"
DESERIALIZE_LINE = 28   # JSON.deserialize(jsonString, List<responseWrapper>.class)
INSERT_LINE = 49        # insert accList;
# The statuses RestResponse.statusCode may take (Apex Reference Guide, RestResponse Class).
APEX_STATUS_CODES = frozenset({200, 201, 202, 204, 206, 300, 301, 302, 304, 400, 401, 403, 404,
                               405, 406, 409, 410, 412, 413, 414, 415, 417, 500, 503})


class ApexError(ApiError):
    """An Apex REST error: ``[{"errorCode": ..., "message": ...}]``."""

    def body(self) -> list[dict]:
        return [{"errorCode": self.code, "message": self.message}]


@dataclass(frozen=True)
class ApexService:
    url_mapping: str                       # as in @RestResource(urlMapping=...)
    methods: dict[str, Callable[[Call], Any]]

    def matches(self, path: str) -> int:
        """Match strength: 2 exact, 1 wildcard (longer mappings win), 0 none."""
        if self.url_mapping.endswith("/*"):
            stem = self.url_mapping[:-2]
            return 1 if path == stem or path.startswith(stem + "/") else 0
        return 2 if path == self.url_mapping else 0


def _parser_error(exc: JsonBodyError) -> ApexError:
    return ApexError(400, "JSON_PARSER_ERROR", exc.message)


def _text(value: Any, where: str) -> str | None:
    """A String member of an Apex wrapper class: numbers and booleans become text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        raise ApexError(400, "JSON_PARSER_ERROR", f"Expected a string for {where}.")
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _wrapper_values(call: Call, item: Any, where: str,
                    names: tuple[str, ...]) -> dict[Field, Any]:
    """An object deserialized like Apex's JSON.deserialize into a wrapper class:
    member names are case-insensitive and unknown keys are ignored."""
    if not isinstance(item, dict):
        raise ApexError(400, "JSON_PARSER_ERROR", f"Expected an object for {where}.")
    by_name = field_map(call.org_key)
    wanted = {n.lower() for n in names}
    values: dict[Field, Any] = {}
    for key, value in item.items():
        if key.lower() in wanted:
            text = _text(value, f"{where}.{key}")
            if text is not None:
                values[by_name[key.lower()]] = text
    return values


def unhandled(exception: str, message: str, line: int) -> ApexError:
    """An exception the Apex method does not catch: Apex REST answers 500 ``APEX_ERROR`` with
    the exception's type, message and stack line (the body clients such as simple-salesforce
    raise as SalesforceGeneralError). The stack line's exact form is our reading of public
    reports (UNCONFIRMED)."""
    return ApexError(500, "APEX_ERROR",
                     f"{exception}: {message}\n\nClass.{CREATE_CLASS}: line {line}, column 1")


def create_account_record(call: Call):
    """``createAccountRecord.createAccount()``: insert a list of Accounts, all or none.

    Answers the JSON string "Success", or "Failure" when the insert fails: the blog's
    class catches the DmlException and returns 'Failure' with status 200. What it does not
    catch becomes 500 ``APEX_ERROR``, as on a real org: a body that ``JSON.deserialize``
    cannot turn into a list of wrappers (``System.JSONException``; the post calls it outside
    its ``try``), and more than 10,000 records (``System.LimitException: Too many DML rows``,
    which no Apex code can catch).
    """
    try:
        items = parse_json(request.get_data(cache=True))
        if not isinstance(items, list):
            raise ApexError(400, "JSON_PARSER_ERROR",
                            "Malformed JSON: Expected '[' at the beginning of List/Set")
        rows = [_wrapper_values(call, item, f"[{i}]", WRAPPER_FIELDS)
                for i, item in enumerate(items) if item is not None]
    except (JsonBodyError, ApexError) as exc:
        raise unhandled("System.JSONException", exc.message, DESERIALIZE_LINE) from None
    if not rows:
        return json_response("Success")
    if len(rows) > MAX_DML_ROWS:
        # The count is the rows this one insert would have made (our reading: 10001 for
        # 10,001 records, as commonly reported; UNCONFIRMED for larger lists).
        raise unhandled("System.LimitException", f"Too many DML rows: {len(rows)}", INSERT_LINE)
    ids = [new_id(call) for _ in rows]
    try:
        with call.store.tx() as db:
            for values, record_id in zip(rows, ids, strict=True):
                if save_insert(db, call, values, record_id):  # validates, then inserts
                    raise _Rollback  # Apex DML is all-or-none: nothing stays written
    except _Rollback:
        return json_response("Failure")
    return json_response("Success")


def _invalid(message: str) -> ApexError:
    return ApexError(400, "INVALID_INPUT", message)


def _upsert_request(call: Call) -> tuple[list[dict[Field, Any]], bool]:
    """The accounts and allOrNone of an ``accounts/upsert`` body, checked like the Apex class
    (sfdx/.../AccountUpsertService.cls) checks them, with the same messages."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApexError(400, "JSON_PARSER_ERROR", 'The request body is empty. Send '
                        '{"accounts": [...], "allOrNone": false}.')
    try:
        body = parse_json(raw)
    except JsonBodyError as exc:
        raise _parser_error(exc) from None
    if not isinstance(body, dict):
        raise _invalid('The body must be a JSON object: {"accounts": [...], "allOrNone": false}.')
    accounts = body.get("accounts")
    if not isinstance(accounts, list):
        raise _invalid(f'"accounts" must be a JSON array of 1 to {MAX_ACCOUNTS} Account objects.')
    if not accounts:
        raise _invalid(f'"accounts" is empty; send 1 to {MAX_ACCOUNTS} Accounts.')
    if len(accounts) > MAX_ACCOUNTS:
        raise _invalid(f'"accounts" has {len(accounts)} records; send at most {MAX_ACCOUNTS} '
                       "per request and split larger batches.")
    all_or_none = body.get("allOrNone")
    if all_or_none is not None and not isinstance(all_or_none, bool):
        raise _invalid('"allOrNone" must be true or false.')
    names = (SOURCE_ID.name, *WRAPPER_FIELDS)
    rows = [_wrapper_values(call, item, f"accounts[{i}]", names)
            for i, item in enumerate(accounts)]
    return rows, bool(all_or_none)


def _ambiguous(db, call: Call, sources: list[str | None]) -> dict[int, dict]:
    """Errors of records whose Source_Id__c is repeated in the request or already shared by
    several Accounts (the field is an External ID but not unique); by record index."""
    keys = [s.lower() if s else None for s in sources]
    errors = {}
    for i, source in enumerate(sources):
        if source is None:
            continue
        if keys.count(keys[i]) > 1:
            errors[i] = save_error("DUPLICATE_EXTERNAL_ID", f"Source_Id__c {source} appears more "
                                   "than once in this request; send each source record once.",
                                   [SOURCE_ID.name])
            continue
        matches = find_by_source_id(db, call.org["id"], source)
        if len(matches) > 1:
            listed = ", ".join(r["id"] for r in matches)
            errors[i] = save_error("DUPLICATE_EXTERNAL_ID", "More than one Account has "
                                   f"Source_Id__c {source} ({listed}); merge the duplicates, then "
                                   "send this record again.", [SOURCE_ID.name])
    return errors


class _Rollback(Exception):
    pass


def upsert_accounts(call: Call):
    """``AccountUpsertService.upsertAccounts()``: upsert by Source_Id__c, per-record results.

    Mirrors the Apex class: records with a (non-blank) Source_Id__c are upserted by it first,
    then the others are inserted; allOrNone undoes everything when any record failed.
    """
    rows, all_or_none = _upsert_request(call)
    sources = []
    for values in rows:
        source = values.pop(SOURCE_ID, None)
        sources.append(source if source and source.strip() else None)
    results = [{"index": i, "sourceId": s, "id": None, "created": False, "success": False,
                "errors": []} for i, s in enumerate(sources)]
    try:
        with call.store.tx() as db:
            for i, error in _ambiguous(db, call, sources).items():
                results[i]["errors"].append(error)
            pending = [i for i in range(len(rows)) if not results[i]["errors"]]
            # Like the class: Database.upsert of the keyed records, then insert of the others.
            for i in sorted(pending, key=lambda i: sources[i] is None):
                if sources[i] is not None:
                    saved = upsert_one(db, call, SOURCE_ID, sources[i], rows[i])
                else:
                    record_id = new_id(call)
                    error = save_insert(db, call, rows[i], record_id)
                    saved = {"id": record_id, "created": True, "success": True, "errors": []} \
                        if error is None else {"created": False, "success": False, "errors": [
                            save_error(error.code, error.message, error.fields)]}
                results[i].update(id=saved.get("id") if saved["success"] else None,
                                  created=saved["created"] and saved["success"],
                                  success=saved["success"], errors=saved["errors"])
            if all_or_none and not all(r["success"] for r in results):
                raise _Rollback
    except _Rollback:
        for r in results:
            if r["success"]:
                r.update(id=None, created=False, success=False, errors=[save_error(
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because another "
                    "record failed and allOrNone was true.")])
    ok = [r for r in results if r["success"]]
    summary = {"results": results, "created": sum(1 for r in ok if r["created"]),
               "updated": sum(1 for r in ok if not r["created"]),
               "failed": len(results) - len(ok)}
    # A partial success is 200 (Apex REST has no 207, see the module docstring); the caller
    # reads "failed" and each result's "success".
    return json_response(summary, 200 if ok else 400)


SERVICES = {
    "B": (ApexService("/createAccountRecord/*", {"POST": create_account_record}),
          ApexService("/accounts/upsert", {"POST": upsert_accounts})),
}


def apex_rest(path: str = ""):
    """Route ``/services/apexrest/<path>`` to the service whose URL mapping matches best."""
    call = current()
    url = "/" + path
    candidates = [(s.matches(url), len(s.url_mapping), s) for s in SERVICES.get(call.org_key, ())]
    candidates = [c for c in candidates if c[0]]
    if not candidates:
        raise ApexError(404, "NOT_FOUND", f"Could not find a match for URL {url}")
    service = max(candidates, key=lambda c: (c[0], c[1]))[2]
    handler = service.methods.get(request.method)
    if handler is None:
        raise ApexError(405, "METHOD_NOT_ALLOWED", f"HTTP {request.method} not supported",
                        headers={"Allow": ", ".join(service.methods)})
    try:
        response = make_response(handler(call))
    except ApiError as exc:
        response = exc.response()
    return _allowed_status(response)


def _allowed_status(response: Response) -> Response:
    """What a real org sends for this service answer: the answer itself, or the platform's 500
    when the status is not one Apex REST allows. The body shape is the one observed for such
    a 500 (Salesforce Stack Exchange, "REST API custom 5xx error payload", question 298136):
    ``[{"errorCode": "INTERNAL_SERVER_ERROR", "message": "Invalid status code for HTTP
    response: 550"}]``."""
    if response.status_code in APEX_STATUS_CODES:
        return response
    message = f"Invalid status code for HTTP response: {response.status_code}"
    return ApexError(500, "INTERNAL_SERVER_ERROR", message).response()
