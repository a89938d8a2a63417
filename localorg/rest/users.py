"""The ``User`` sObject: the org's users, read-only (see :mod:`readonly`).

The sf CLI reads ``GET /services/data/v51.0/sobjects/User/<user_id>`` for the Username after
every ``sf org login web`` and fails with ``AuthCodeUsernameRetrievalError`` without it.
SOQL ``FROM User`` works on the fields below; labels and lengths are Salesforce's (Object
Reference, User), and ``Name`` is FirstName + LastName, as in an English-locale org.

    GET /services/data/v66.0/sobjects/User/005...   ->  {"attributes": {...}, "Id": ...,
                                                         "Username": "ben@org-b.localorg.test"}
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .. import ids
from .describe import Field
from .readonly import ReadOnlyObject, register

SOBJECT = "User"

# ``column``: the SQL expression over the ``users`` table (store.py).
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


def _value(row: sqlite3.Row, field: Field) -> Any:
    if field.name == "IsActive":
        return bool(row["active"])
    if field.name == "Name":
        return f"{row['first_name']} {row['last_name']}".strip()
    return row[field.column or ""]


USER = register(ReadOnlyObject(
    name=SOBJECT, label="User", label_plural="Users", key_prefix=ids.USER_PREFIX,
    table="users", org_column="org_id", fields=FIELDS, value=_value,
    scopes=(("All users", "everything"),)))
