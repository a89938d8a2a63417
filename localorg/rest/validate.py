"""Checking the field values of a create, update or upsert against the Account fields.

Two stages, as in Salesforce: values that cannot be *deserialized* (unknown field, wrong
JSON type) fail the whole request (400 ``INVALID_FIELD`` / ``JSON_PARSER_ERROR``);
values that fail *validation* (missing Name, too long, read-only field) fail only their
record, which matters for sObject Collections.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Any

from .. import ids
from .describe import ID_TYPES, Field, field_map
from .errors import ApiError
from .jsonbody import JsonBodyError
from .records import canonical_id


@dataclass(frozen=True)
class FieldError:
    """A record-level validation failure (``errorCode``/``statusCode``, message, fields)."""

    code: str
    message: str
    fields: list[str]

    def api_error(self) -> ApiError:
        return ApiError(400, self.code, self.message, self.fields)


def unknown_field(name: str) -> ApiError:
    return ApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type Account",
                    [name])


_JSON_KINDS = {dict: "START_OBJECT", list: "START_ARRAY", str: "VALUE_STRING",
               bool: "VALUE_TRUE", int: "VALUE_NUMBER_INT", float: "VALUE_NUMBER_FLOAT"}


def _type_error(field: Field, value: Any, java_type: str) -> JsonBodyError:
    # Salesforce's message echoes the value; we leave it out (security.md B-30).
    kind = _JSON_KINDS.get(type(value), "VALUE")
    return JsonBodyError(f"Cannot deserialize instance of {java_type} from {kind} value for "
                         f"field {field.name} or request may be missing a required field")


def _coerce(field: Field, value: Any) -> Any:
    """The stored value of a JSON value, or raise JSON_PARSER_ERROR (wrong JSON type)."""
    if value is None:
        return None
    if field.is_text or field.type in ID_TYPES:
        if isinstance(value, (dict, list)):
            raise _type_error(field, value, "string")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)  # Salesforce's parser turns numbers into text for text fields
    if field.type == "int":
        number = _number(field, value, "int")
        if not number.is_integer() or abs(number) >= 10**8:
            raise _type_error(field, value, "int")
        return int(number)
    if field.type == "currency":
        number = _number(field, value, "double")
        if not math.isfinite(number):
            raise _type_error(field, value, "double")
        return number
    return value  # read-only system fields: rejected later as not writable


def _number(field: Field, value: Any, java_type: str) -> float:
    """A JSON number (or numeric string) as a float; booleans and containers are refused."""
    if isinstance(value, (bool, dict, list)):
        raise _type_error(field, value, java_type)
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise _type_error(field, value, java_type) from None


def deserialize(org_key: str, body: dict[str, Any]) -> dict[Field, Any]:
    """Map JSON keys to fields (case-insensitive) and coerce values; ``attributes`` is skipped.

    Raises ApiError (unknown field) or JsonBodyError (wrong type) for the whole request.
    """
    by_name = field_map(org_key)
    out: dict[Field, Any] = {}
    for key, value in body.items():
        if key == "attributes":
            continue
        field = by_name.get(key.lower())
        if field is None:
            raise unknown_field(key)
        if field in out:
            raise JsonBodyError(f"Duplicate field '{field.name}'")
        out[field] = _coerce(field, value)
    return out


def check(db: sqlite3.Connection, org_id: str, values: dict[Field, Any], *,
          insert: bool) -> FieldError | None:
    """Record-level validation; None when the values can be saved."""
    # One pass over the values (this runs for every record saved); the checks are then
    # answered in the order they always were: read-only, required, too long, owner.
    read_only: list[str] = []
    missing: list[str] = []
    too_long: tuple[Field, int] | None = None
    has_name = False
    owner = None
    for field, value in values.items():
        name = field.name
        if not field.writable and name != "Id":
            read_only.append(name)
        if not field.nillable and value in (None, ""):
            missing.append(name)
        if too_long is None and isinstance(value, str) and field.length \
                and len(value) > field.length:
            too_long = field, len(value)
        if name == "Name":
            has_name = True
        elif name == "OwnerId":
            owner = value
    if read_only:
        return FieldError("INVALID_FIELD_FOR_INSERT_UPDATE",
                          f"Unable to create/update fields: {', '.join(read_only)}. Please check "
                          "the security settings of this field and verify that it is read/write "
                          "for your profile or permission set.", read_only)
    if insert and not has_name:
        missing.insert(0, "Name")
    if missing:
        return FieldError("REQUIRED_FIELD_MISSING",
                          f"Required fields are missing: [{', '.join(missing)}]", missing)
    if too_long is not None:
        field, length = too_long
        return FieldError("STRING_TOO_LONG",
                          f"{field.label}: data value too large: {length} characters "
                          f"(max length={field.length})", [field.name])
    if owner is not None:
        user_id = canonical_id(owner, ids.USER_PREFIX) or ""
        known = db.execute("SELECT 1 FROM users WHERE id=? AND org_id=? AND active=1",
                           (user_id, org_id)).fetchone()
        if known is None:
            return FieldError("INVALID_CROSS_REFERENCE_KEY",
                              "invalid cross reference id", ["OwnerId"])
    return None


def stored_changes(values: dict[Field, Any]) -> dict[str, Any]:
    """Field values keyed by API name, for ``records.insert_record`` / ``update_record``."""
    return {f.name: v for f, v in values.items() if f.writable}
