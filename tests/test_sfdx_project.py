"""Structure of the SFDX project in sfdx/ (the Apex for real orgs).

These checks cannot compile Apex (that needs a Salesforce org: `sf project deploy start`); they
check what a deploy needs around it: metadata files, API versions, well-formed XML, the
REST URL mappings the notebooks call, and that every service has its test class.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SFDX = Path(__file__).resolve().parents[1] / "sfdx"
DEFAULT = SFDX / "force-app" / "main" / "default"
CLASSES = DEFAULT / "classes"
NS = "{http://soap.sforce.com/2006/04/metadata}"
API_VERSION = "67.0"


def _xml(path: Path) -> ET.Element:
    return ET.parse(path).getroot()  # noqa: S314 (the repository's own files, not untrusted input)


def _strip_comments(apex: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", apex, flags=re.S)


def test_sfdx_project_json():
    project = json.loads((SFDX / "sfdx-project.json").read_text())
    assert project["sourceApiVersion"] == API_VERSION
    dirs = project["packageDirectories"]
    assert [d["path"] for d in dirs if d.get("default")] == ["force-app"]
    assert (SFDX / dirs[0]["path"]).is_dir()
    assert (SFDX / ".forceignore").is_file() and (SFDX / "README.md").is_file()


@pytest.mark.parametrize("path", sorted(SFDX.rglob("*.xml")), ids=lambda p: p.name)
def test_metadata_xml_is_well_formed_in_the_metadata_namespace(path):
    root = _xml(path)
    assert root.tag.startswith(NS)


def test_every_apex_class_has_active_meta_xml_with_the_api_version():
    classes = sorted(CLASSES.glob("*.cls"))
    assert {c.stem for c in classes} == {"createAccountRecord", "createAccountRecordTest",
                                         "AccountUpsertService", "AccountUpsertServiceTest"}
    for cls in classes:
        meta = _xml(cls.with_name(cls.name + "-meta.xml"))
        assert meta.tag == NS + "ApexClass"
        assert meta.findtext(NS + "apiVersion") == API_VERSION
        assert meta.findtext(NS + "status") == "Active"
    for meta in CLASSES.glob("*.cls-meta.xml"):
        assert meta.with_name(meta.name.removesuffix("-meta.xml")).is_file()


@pytest.mark.parametrize("name, mapping, method", [
    ("createAccountRecord", "/createAccountRecord/*", "global static String createAccount()"),
    ("AccountUpsertService", "/accounts/upsert", "global static void upsertAccounts()"),
])
def test_rest_resources_have_the_urls_the_notebooks_call(name, mapping, method):
    apex = _strip_comments((CLASSES / f"{name}.cls").read_text())
    assert re.findall(r"@RestResource\(urlMapping='([^']*)'\)", apex) == [mapping]
    assert re.search(rf"global\s+with\s+sharing\s+class\s+{name}\b", apex)
    assert re.search(r"@HttpPost\s+" + re.escape(method), apex)
    # Braces balance once comments and string literals are removed: a cheap truncation check.
    code = re.sub(r"'(?:\\.|[^'\\])*'", "''", apex)
    assert code.count("{") == code.count("}")


@pytest.mark.parametrize("service", ["createAccountRecord", "AccountUpsertService"])
def test_each_service_has_a_test_class_that_calls_it(service):
    apex = _strip_comments((CLASSES / f"{service}Test.cls").read_text())
    assert re.search(r"@IsTest\s+private\s+class\s+" + service + r"Test\b", apex)
    assert "RestContext.request" in apex and "RestContext.response" in apex
    assert service + "." in apex
    assert len(re.findall(r"@IsTest\s+static\s+void", apex)) >= 4
    assert "Assert.areEqual" in apex


def test_source_id_field_is_an_external_id_text_255_not_unique():
    field = _xml(DEFAULT / "objects/Account/fields/Source_Id__c.field-meta.xml")
    values = {child.tag.removeprefix(NS): child.text for child in field}
    assert values["fullName"] == "Source_Id__c" and values["label"] == "Source Id"
    assert (values["type"], values["length"]) == ("Text", "255")
    assert (values["externalId"], values["unique"]) == ("true", "false")


def test_permission_set_grants_what_the_integration_user_needs():
    ps = _xml(DEFAULT / "permissionsets/Tutorial_Integration.permissionset-meta.xml")
    classes = {c.findtext(NS + "apexClass") for c in ps.iter(NS + "classAccesses")
               if c.findtext(NS + "enabled") == "true"}
    assert classes == {"createAccountRecord", "AccountUpsertService"}
    (account,) = [o for o in ps.iter(NS + "objectPermissions")
                  if o.findtext(NS + "object") == "Account"]
    assert all(account.findtext(NS + k) == "true" for k in ("allowRead", "allowCreate",
                                                             "allowEdit"))
    fields = {f.findtext(NS + "field"): (f.findtext(NS + "readable"), f.findtext(NS + "editable"))
              for f in ps.iter(NS + "fieldPermissions")}
    assert fields["Account.Source_Id__c"] == ("true", "true")
    perms = {p.findtext(NS + "name") for p in ps.iter(NS + "userPermissions")}
    assert {"ApiEnabled", "ApexRestServices"} <= perms
