"""The ``User`` sObject: the org's users, read-only.

Salesforce's own clients read it: after every ``sf org login web`` the sf CLI (through
``@salesforce/core``'s ``AuthInfo.retrieveUserInfo``) calls
``GET /services/data/v51.0/sobjects/User/<user_id>`` for the ``Username`` and refuses the
login when it fails, and scripts ask ``SELECT Id, Username FROM User WHERE ...``.

What the local orgs serve:

* ``GET sobjects/User/<id>`` (15 or 18 characters, ``?fields=`` too), ``sobjects/User``
  and ``sobjects/User/describe``;
* SOQL ``FROM User`` on ``Id``, ``Username``, ``FirstName``, ``LastName``, ``Name``,
  ``Email``, ``IsActive`` (through :mod:`query`, which this module registers with);
* nothing else: users are created by the server (demo users, workshop learners), so
  ``POST``/``PATCH``/``DELETE`` answer 405 METHOD_NOT_ALLOWED and describe says
  ``createable``/``updateable``/``deletable`` false. A real org lets an administrator's
  integration create and update Users (never delete them); that is a deliberate gap.

Example::

    GET /services/data/v66.0/sobjects/User/005...   ->  {"attributes": {...}, "Id": ...,
                                                         "Username": "ben@org-b.localorg.test"}
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import request

from .. import ids
from . import query
from .calls import current, dispatch
from .describe import Field, describe_field
from .errors import NOT_FOUND, ApiError, json_response
from .records import canonical_id

SOBJECT = "User"

# ``column`` is the SQL expression over the ``users`` table (see store.py), so the SOQL
# compiler of query.py can use these fields unchanged. Labels and lengths are Salesforce's
# (Object Reference, User); Name is the compound FirstName + LastName, as in an
# English-locale org.
FIELDS = (
    Field("Id", "User ID", "id", 18, nillable=False, writable=False, column="id"),
    Field("Username", "Username", "string", 80, nillable=False, writable=False,
          column="username"),
    Field("LastName", "Last Name", "string", 80, nillable=False, writable=False,
          column="last_name"),
    Field("FirstName", "First Name", "string", 40, writable=False, column="first_name"),
    Field("Name", "Full Name", "string", 121, nillable=False, writable=False,
          column="(first_name || ' ' || last_name)"),
    Field("Email", "Email", "email", 128, nillable=False, writable=False, column="email"),
    Field("IsActive", "Active", "boolean", nillable=False, writable=False, column="active"),
)
_BY_NAME = {f.name.lower(): f for f in FIELDS}


def _value(row: sqlite3.Row, field: Field) -> Any:
    if field.name == "IsActive":
        return bool(row["active"])
    if field.name == "Name":
        return f"{row['first_name']} {row['last_name']}".strip()
    return row[field.column or ""]


def to_api(row: sqlite3.Row, fields: list[Field] | tuple[Field, ...], version: str) -> dict:
    """A user as the REST API returns it: ``attributes`` first, then the fields."""
    out: dict[str, Any] = {"attributes": {
        "type": SOBJECT, "url": f"/services/data/{version}/sobjects/{SOBJECT}/{row['id']}"}}
    for field in fields:
        out[field.name] = _value(row, field)
    return out


ENTITY = query.Entity(name=SOBJECT, key_prefix=ids.USER_PREFIX, table="users",
                      fields=lambda _org_key: FIELDS, to_api=to_api)
query.register(ENTITY)


def object_basics(version: str) -> dict:
    """The ``objectDescribe`` of User (describe global, ``sobjects/User``, describe)."""
    base = f"/services/data/{version}/sobjects/{SOBJECT}"
    return {
        "activateable": False, "createable": False, "custom": False, "customSetting": False,
        "deletable": False, "deprecatedAndHidden": False, "feedEnabled": True,
        "hasSubtypes": False, "isSubtype": False, "keyPrefix": ids.USER_PREFIX,
        "label": "User", "labelPlural": "Users", "layoutable": True, "mergeable": False,
        "mruEnabled": True, "name": SOBJECT, "queryable": True, "replicateable": True,
        "retrieveable": True, "searchable": True, "triggerable": True, "undeletable": False,
        "updateable": False,
        "urls": {"sobject": base, "describe": f"{base}/describe",
                 "rowTemplate": f"{base}/{{ID}}"},
    }


def _selected(param: str | None) -> list[Field]:
    if not param:
        return list(FIELDS)
    chosen: list[Field] = []
    for name in (n.strip() for n in param.split(",") if n.strip()):
        f = _BY_NAME.get(name.lower())
        if f is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity 'User'. "
                           "If you are attempting to use a custom field, be sure to append the "
                           "'__c' after the custom field name. Please reference your WSDL or "
                           "the describe call for the appropriate names.")
        if f not in chosen:
            chosen.append(f)
    return chosen


# --- handlers (the routes are added by sobjects.py for the name "User") ------------------

def sobject_root():
    return dispatch({"GET": _metadata})


def _metadata():
    call = current()
    rows = call.store.query("SELECT * FROM users WHERE org_id=? ORDER BY created_at DESC, "
                            "rowid DESC LIMIT 5", (call.org["id"],))
    name_fields = [_BY_NAME["id"], _BY_NAME["name"]]
    return json_response({"objectDescribe": object_basics(call.version),
                          "recentItems": [to_api(r, name_fields, call.version) for r in rows]})


def describe_sobject():
    call = current()
    return dispatch({"GET": lambda: json_response({
        **object_basics(call.version), "fields": [describe_field(f) for f in FIELDS],
        "childRelationships": [], "recordTypeInfos": [], "supportedScopes": [
            {"label": "All users", "name": "everything"}]})})


def record(record_id: str):
    return dispatch({"GET": _get}, record_id=record_id)


def _get(record_id: str):
    call = current()
    full = canonical_id(record_id, ids.USER_PREFIX)
    row = None if full is None else call.store.one(
        "SELECT * FROM users WHERE id=? AND org_id=?", (full, call.org["id"]))
    if row is None:
        # Another org's user is as invisible as an id that does not exist.
        raise ApiError(404, "NOT_FOUND", NOT_FOUND)
    return json_response(to_api(row, _selected(request.args.get("fields")), call.version))
