"""The ``Organization`` sObject: one read-only record per org (see :mod:`readonly`).

Before its first command on an org the sf CLI asks (``@salesforce/core`` ``determineOrg``)::

    SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix,
           OrganizationType FROM Organization

and keeps the answer in its auth file (edition, sandbox or scratch org). The local orgs are
Developer Edition orgs: not sandboxes, no trial end, no namespace. ``InstanceName`` is null:
a real org names its instance (such as ``USA123``); the local orgs run on no instance, and
inventing one would suggest a Salesforce host that is not there (UNCONFIRMED how clients
treat null; the sf CLI stores it as is).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .. import ids
from .describe import Field
from .readonly import ReadOnlyObject, register

EDITION = "Developer Edition"

# ``column``: the SQL expression over the ``orgs`` table (store.py); constants for the fields
# every local org has the same value of. Labels and lengths from the Object Reference.
FIELDS = (
    Field("Id", "Organization ID", "id", 18, nillable=False, writable=False, column="id"),
    Field("Name", "Name", "string", 80, nillable=False, writable=False, column="name"),
    Field("InstanceName", "Instance Name", "string", 5, writable=False, column="NULL"),
    Field("IsSandbox", "Is Sandbox", "boolean", nillable=False, writable=False, column="0"),
    Field("TrialExpirationDate", "Trial Expiration Date", "datetime", writable=False,
          column="NULL"),
    Field("NamespacePrefix", "Namespace Prefix", "string", 15, writable=False, column="NULL"),
    Field("OrganizationType", "Edition", "picklist", 40, nillable=False, writable=False,
          column=f"'{EDITION}'", picklist=(EDITION,)),
)
_CONSTANTS: dict[str, Any] = {"InstanceName": None, "IsSandbox": False,
                              "TrialExpirationDate": None, "NamespacePrefix": None,
                              "OrganizationType": EDITION}


def _value(row: sqlite3.Row, field: Field) -> Any:
    if field.name in _CONSTANTS:
        return _CONSTANTS[field.name]
    return row[field.column or ""]


ORGANIZATION = register(ReadOnlyObject(
    name="Organization", label="Organization", label_plural="Organizations",
    key_prefix=ids.ORG_PREFIX, table="orgs", org_column="id", fields=FIELDS, value=_value))
