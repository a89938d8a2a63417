"""Read-only sObjects the server keeps itself: ``User`` and ``Organization``.

Salesforce's own clients read them: after every ``sf org login web`` the sf CLI (through
``@salesforce/core``'s ``AuthInfo.retrieveUserInfo``) calls
``GET /services/data/v51.0/sobjects/User/<user_id>`` for the ``Username`` and refuses the
login when it fails; before its first command on an org it asks
``SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix,
OrganizationType FROM Organization`` (``determineOrg``; it goes on when that fails).

Each object here serves ``GET sobjects/<Name>/<id>`` (15 or 18 characters, ``?fields=``),
``sobjects/<Name>``, ``sobjects/<Name>/describe`` and SOQL ``FROM <Name>`` (registered with
:mod:`query`). Writes answer 405 METHOD_NOT_ALLOWED and describe says ``createable``,
``updateable`` and ``deletable`` false: the server creates users (demo users, workshop
learners) and orgs. A real org lets an administrator's integration create and update Users
(never delete them) and update some Organization fields; that is a deliberate gap. What a
real org answers for a write it refuses on these objects is UNCONFIRMED; 405 is the REST
API's documented status for "the HTTP method isn't allowed for the resource" (REST API
Developer Guide, Status Codes and Error Responses).

Example::

    GET /services/data/v66.0/sobjects/User/005...   ->  {"attributes": {...}, "Id": ...,
                                                         "Username": "ben@org-b.localorg.test"}
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request

from . import query
from .calls import current, dispatch
from .describe import Field, describe_field
from .errors import NOT_FOUND, ApiError, json_response
from .records import canonical_id


@dataclass(frozen=True)
class ReadOnlyObject:
    """One read-only sObject over a table of the store.

    ``Field.column`` is the field's SQL expression over ``table`` (used by SOQL);
    ``value(row, field)`` its API value in a record.
    """

    name: str
    label: str
    label_plural: str
    key_prefix: str
    table: str
    org_column: str                               # the column holding the org's id
    fields: tuple[Field, ...]
    value: Callable[[sqlite3.Row, Field], Any]
    scopes: tuple[tuple[str, str], ...] = ()      # describe's supportedScopes (label, name)
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name.lower(): f for f in self.fields})

    # --- records -------------------------------------------------------------------------
    def to_api(self, row: sqlite3.Row, fields: list[Field] | tuple[Field, ...],
               version: str) -> dict:
        """A record as the REST API returns it: ``attributes`` first, then the fields."""
        out: dict[str, Any] = {"attributes": {
            "type": self.name, "url": f"/services/data/{version}/sobjects/{self.name}/"
                                      f"{row['id']}"}}
        for f in fields:
            out[f.name] = self.value(row, f)
        return out

    def entity(self) -> query.Entity:
        return query.Entity(name=self.name, key_prefix=self.key_prefix, table=self.table,
                            fields=lambda _org_key: self.fields, to_api=self.to_api,
                            org_column=self.org_column)

    def object_basics(self, version: str) -> dict:
        """The ``objectDescribe`` (describe global, ``sobjects/<Name>``, describe)."""
        base = f"/services/data/{version}/sobjects/{self.name}"
        return {
            "activateable": False, "createable": False, "custom": False, "customSetting": False,
            "deletable": False, "deprecatedAndHidden": False, "feedEnabled": False,
            "hasSubtypes": False, "isSubtype": False, "keyPrefix": self.key_prefix,
            "label": self.label, "labelPlural": self.label_plural, "layoutable": True,
            "mergeable": False, "mruEnabled": False, "name": self.name, "queryable": True,
            "replicateable": True, "retrieveable": True, "searchable": False,
            "triggerable": False, "undeletable": False, "updateable": False,
            "urls": {"sobject": base, "describe": f"{base}/describe",
                     "rowTemplate": f"{base}/{{ID}}"},
        }

    def _selected(self, param: str | None) -> list[Field]:
        if not param:
            return list(self.fields)
        chosen: list[Field] = []
        for name in (n.strip() for n in param.split(",") if n.strip()):
            f = self.by_name.get(name.lower())
            if f is None:
                raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity "
                               f"'{self.name}'. If you are attempting to use a custom field, be "
                               "sure to append the '__c' after the custom field name. Please "
                               "reference your WSDL or the describe call for the appropriate "
                               "names.")
            if f not in chosen:
                chosen.append(f)
        return chosen

    # --- handlers (routed by sobjects.py) --------------------------------------------------
    def sobject_root(self):
        return dispatch({"GET": self._metadata})

    def _metadata(self):
        call = current()
        rows = call.store.query(f"SELECT * FROM {self.table} WHERE {self.org_column}=? "  # noqa: S608
                                "ORDER BY rowid DESC LIMIT 5", (call.org["id"],))
        name_fields = [self.by_name["id"], self.by_name["name"]]
        return json_response({"objectDescribe": self.object_basics(call.version),
                              "recentItems": [self.to_api(r, name_fields, call.version)
                                              for r in rows]})

    def describe_sobject(self):
        call = current()
        return dispatch({"GET": lambda: json_response({
            **self.object_basics(call.version),
            "fields": [describe_field(f) for f in self.fields],
            "childRelationships": [], "recordTypeInfos": [],
            "supportedScopes": [{"label": label, "name": name} for label, name in self.scopes],
        })})

    def record(self, record_id: str):
        return dispatch({"GET": self._get}, record_id=record_id)

    def _get(self, record_id: str):
        call = current()
        full = canonical_id(record_id, self.key_prefix)
        # Table and column names come from the definitions below, never from the request.
        row = None if full is None else call.store.one(
            f"SELECT * FROM {self.table} WHERE id=? AND {self.org_column}=?",  # noqa: S608
            (full, call.org["id"]))
        if row is None:  # another org's record is as invisible as one that does not exist
            raise ApiError(404, "NOT_FOUND", NOT_FOUND)
        return json_response(self.to_api(row, self._selected(request.args.get("fields")),
                                          call.version))


_OBJECTS: dict[str, ReadOnlyObject] = {}


def register(obj: ReadOnlyObject) -> ReadOnlyObject:
    _OBJECTS[obj.name.lower()] = obj
    query.register(obj.entity())
    return obj


def find(name: str) -> ReadOnlyObject | None:
    """The read-only object of a URL's sObject name (case-insensitive), or None."""
    return _OBJECTS.get(name.lower())


def all_objects() -> list[ReadOnlyObject]:
    return list(_OBJECTS.values())
