"""The Account object as the local orgs describe it: fields, picklists, describe JSON.

Field definitions drive validation, SOQL and the describe resources, so the three
always agree. ORG B has the custom field ``Source_Id__c`` (Text(255), External ID,
not unique) that the tutorial's idempotent sync upserts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .. import ids

SOBJECT = "Account"

# Salesforce's standard values. Both picklists are unrestricted, as in a new org,
# so any text up to 255 characters is accepted (describe shows restrictedPicklist=false).
TYPE_VALUES = ("Prospect", "Customer - Direct", "Customer - Channel",
               "Channel Partner / Reseller", "Installation Partner", "Technology Partner",
               "Other")
INDUSTRY_VALUES = ("Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals",
                   "Communications", "Construction", "Consulting", "Education", "Electronics",
                   "Energy", "Engineering", "Entertainment", "Environmental", "Finance",
                   "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance",
                   "Machinery", "Manufacturing", "Media", "Not For Profit", "Recreation",
                   "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
                   "Utilities", "Other")

TEXT_TYPES = frozenset({"string", "textarea", "picklist", "phone", "url", "email"})
ID_TYPES = frozenset({"id", "reference"})


# eq=False: each field is defined once, so identity is equality, and the hash is the identity
# (fields key the value dicts of every saved record; a generated hash would hash all eleven
# attributes, picklists included, at each lookup).
@dataclass(frozen=True, eq=False)
class Field:
    """One Account field. ``column`` names a records-table column for system fields."""

    name: str
    label: str
    type: str
    length: int = 0
    nillable: bool = True
    writable: bool = True          # createable and updateable
    external_id: bool = False
    custom: bool = False
    filterable: bool = True
    column: str | None = None
    picklist: tuple[str, ...] = ()

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES


_STANDARD = (
    Field("Id", "Account ID", "id", 18, nillable=False, writable=False, column="id"),
    Field("IsDeleted", "Deleted", "boolean", nillable=False, writable=False, column="is_deleted"),
    Field("Name", "Account Name", "string", 255, nillable=False),
    Field("Type", "Account Type", "picklist", 255, picklist=TYPE_VALUES),
    Field("BillingCity", "Billing City", "string", 40),
    Field("Phone", "Account Phone", "phone", 40),
    Field("Website", "Website", "url", 255),
    Field("Industry", "Industry", "picklist", 255, picklist=INDUSTRY_VALUES),
    Field("AnnualRevenue", "Annual Revenue", "currency"),
    Field("NumberOfEmployees", "Employees", "int"),
    # Long text areas cannot be filtered or sorted in SOQL (Salesforce rule).
    Field("Description", "Account Description", "textarea", 32000, filterable=False),
    Field("OwnerId", "Owner ID", "reference", 18, nillable=False),  # stored in fields JSON
    Field("CreatedDate", "Created Date", "datetime", nillable=False, writable=False,
          column="created_date"),
    Field("CreatedById", "Created By ID", "reference", 18, nillable=False, writable=False,
          column="created_by_id"),
    Field("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, writable=False,
          column="last_modified_date"),
)
SOURCE_ID = Field("Source_Id__c", "Source Id", "string", 255, external_id=True, custom=True)


def fields(org_key: str) -> tuple[Field, ...]:
    """The Account fields of an org (``"A"`` or ``"B"``), in describe order."""
    return _STANDARD + ((SOURCE_ID,) if org_key == "B" else ())


def field_map(org_key: str) -> Mapping[str, Field]:
    """Fields by lower-case name: Salesforce field names are case-insensitive.

    Built once per org (it is read for every record a request saves); read-only.
    """
    by_name = _FIELD_MAPS.get(org_key)
    if by_name is None:
        by_name = _FIELD_MAPS[org_key] = MappingProxyType(
            {f.name.lower(): f for f in fields(org_key)})
    return by_name


_FIELD_MAPS: dict[str, Mapping[str, Field]] = {}


_SOAP_TYPES = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean",
               "int": "xsd:int", "currency": "xsd:double", "datetime": "xsd:dateTime"}


def describe_field(f: Field) -> dict:
    """One entry of a describe's ``fields`` (Account's, and User's in users.py)."""
    sortable = f.filterable
    return {
        "name": f.name, "label": f.label, "type": f.type, "length": f.length,
        "byteLength": f.length * 3, "precision": 18 if f.type == "currency" else 0,
        "scale": 0, "digits": 8 if f.type == "int" else 0,
        "nillable": f.nillable, "createable": f.writable, "updateable": f.writable,
        "defaultedOnCreate": not f.writable or f.name == "OwnerId",
        "externalId": f.external_id, "unique": False, "caseSensitive": False,
        "custom": f.custom, "calculated": False, "autoNumber": False,
        "filterable": f.filterable, "sortable": sortable, "groupable": sortable,
        "idLookup": f.name in ("Id", "Name") or f.external_id, "nameField": f.name == "Name",
        "picklistValues": [{"active": True, "defaultValue": False, "label": v, "validFor": None,
                            "value": v} for v in f.picklist],
        "restrictedPicklist": False,
        "referenceTo": ["User"] if f.type == "reference" else [],
        "relationshipName": {"OwnerId": "Owner", "CreatedById": "CreatedBy"}.get(f.name),
        "soapType": _SOAP_TYPES.get(f.type, "xsd:string"),
        "updateableOnly": False,
    }


def object_basics(version: str) -> dict:
    """The ``objectDescribe`` part shared by describe global, metadata and describe."""
    base = f"/services/data/{version}/sobjects/{SOBJECT}"
    return {
        "activateable": False, "createable": True, "custom": False, "customSetting": False,
        "deletable": True, "deprecatedAndHidden": False, "feedEnabled": True,
        "hasSubtypes": False, "isSubtype": False, "keyPrefix": ids.ACCOUNT_PREFIX,
        "label": "Account", "labelPlural": "Accounts", "layoutable": True, "mergeable": True,
        "mruEnabled": True, "name": SOBJECT, "queryable": True, "replicateable": True,
        "retrieveable": True, "searchable": True, "triggerable": True, "undeletable": True,
        "updateable": True,
        "urls": {"sobject": base, "describe": f"{base}/describe",
                 "rowTemplate": f"{base}/{{ID}}"},
    }


def describe(org_key: str, version: str) -> dict:
    """``GET sobjects/Account/describe``: the object plus every field."""
    return {**object_basics(version),
            "fields": [describe_field(f) for f in fields(org_key)],
            "childRelationships": [], "recordTypeInfos": [], "supportedScopes": [
                {"label": "All accounts", "name": "everything"},
                {"label": "My accounts", "name": "mine"}]}
