"""Offline checks of the Apex and metadata for real orgs: sfdx/org-a (ORG A's side of the blog
post, both ways) and the Apex syntax of sfdx/force-app (ORG B).

Nothing here compiles Apex against an org (that needs `sf project deploy start`). What runs:
- every class parses with @apexdevtools/apex-parser (the Apex Dev Tools ANTLR grammar, pinned in
  package.json, run with node through tools/apex_parse.mjs);
- every metadata file is well-formed XML of the type its suffix says, and the references between
  them (Named Credential -> External Credential -> Auth. Provider, permission set -> principal,
  Apex -> fields and Named Credential) resolve;
- `sf project convert source` converts both projects when the Salesforce CLI is installed under
  node_modules (package.json of the repository root).
The node-based checks skip locally when node or node_modules is missing and fail when CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.realclients.conftest import PINNED_NODE, SF_RUN

ROOT = Path(__file__).resolve().parents[1]
SFDX = ROOT / "sfdx"
ORG_A = SFDX / "org-a"
DEFAULT = ORG_A / "force-app" / "main" / "default"
CLASSES = DEFAULT / "classes"
NS = "{http://soap.sforce.com/2006/04/metadata}"
API_VERSION = "67.0"
PARSER = ROOT / "node_modules" / "@apexdevtools" / "apex-parser"
MY_DOMAIN_PLACEHOLDER = "REPLACE-ME-ORG-B.my.salesforce.com"
KEY_PLACEHOLDER = "REPLACE_WITH_ORG_B_CONSUMER_KEY"
SECRET_PLACEHOLDER = "REPLACE_IN_SETUP_NEVER_COMMIT"

# Source-format suffix -> metadata type (the root element of the file).
SUFFIX_TYPES = {
    ".cls-meta.xml": "ApexClass",
    ".object-meta.xml": "CustomObject",
    ".field-meta.xml": "CustomField",
    ".md-meta.xml": "CustomMetadata",
    ".remoteSite-meta.xml": "RemoteSiteSetting",
    ".authprovider-meta.xml": "AuthProvider",
    ".externalCredential-meta.xml": "ExternalCredential",
    ".namedCredential-meta.xml": "NamedCredential",
    ".permissionset-meta.xml": "PermissionSet",
}


def _xml(path: Path) -> ET.Element:
    return ET.parse(path).getroot()  # noqa: S314 (the repository's own files, not untrusted input)


def _text(element: ET.Element, tag: str) -> str | None:
    return element.findtext(NS + tag)


def _code(path: Path) -> str:
    """Apex without comments and with string literals emptied (for structural regexes)."""
    apex = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)
    return re.sub(r"'(?:\\.|[^'\\])*'", "''", apex)


def _need(what: str, hint: str) -> None:
    """Skip with a hint locally; fail in CI, where the tool must be installed."""
    message = f"{what} not available: {hint}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _parse(files: list[Path]) -> tuple[int, list[dict]]:
    node = shutil.which("node")
    if node is None:
        _need("node", "install Node.js 20+")
    if not PARSER.is_dir():
        _need("@apexdevtools/apex-parser", "run `make node_modules/.installed` (npm ci)")
    run = subprocess.run([node, str(ROOT / "tools" / "apex_parse.mjs"), *map(str, files)],  # noqa: S603
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, [json.loads(line) for line in run.stdout.splitlines()]


ALL_CLASSES = sorted(SFDX.rglob("*.cls"))


@pytest.fixture(scope="module")
def outlines() -> dict[str, dict]:
    returncode, results = _parse(ALL_CLASSES)
    errors = {r["file"]: r["errors"] for r in results if r["errors"]}
    assert returncode == 0 and not errors, errors
    return {Path(r["file"]).stem: r for r in results}


def test_org_a_project_is_its_own_sfdx_project_with_deploy_time_replacements():
    project = json.loads((ORG_A / "sfdx-project.json").read_text())
    assert project["sourceApiVersion"] == API_VERSION
    assert project["packageDirectories"] == [{"path": "force-app", "default": True}]
    # ORG B's project must not pick up ORG A's files (a deploy of sfdx/ goes to ORG B).
    org_b = json.loads((SFDX / "sfdx-project.json").read_text())
    assert all(not d["path"].startswith("org-a") for d in org_b["packageDirectories"])
    # Salesforce DX Developer Guide, "Replace Strings in Code Before Deploying or Packaging":
    # the real host, key and secret come from the environment at deploy time, never from git.
    envs = {r["stringToReplace"]: r["replaceWithEnv"] for r in project["replacements"]}
    assert envs == {MY_DOMAIN_PLACEHOLDER: "ORG_B_MY_DOMAIN_HOST",
                    KEY_PLACEHOLDER: "ORG_B_CONSUMER_KEY",
                    SECRET_PLACEHOLDER: "ORG_B_CONSUMER_SECRET"}
    assert all(not r.get("allowUnsetEnvVariable") for r in project["replacements"])
    globbed = {p for r in project["replacements"] for p in ORG_A.glob(r["glob"])}
    placeholders = {p for p in ORG_A.rglob("*.xml") if "REPLACE" in p.read_text()}
    assert placeholders and placeholders <= globbed


def test_every_placeholder_is_one_the_deploy_replaces():
    for path in ORG_A.rglob("*-meta.xml"):
        text = re.sub(r"<!--.*?-->", "", path.read_text(), flags=re.S)
        for token in re.findall(r"[\w.-]*REPLACE[\w.-]*", text):
            assert token in (MY_DOMAIN_PLACEHOLDER, KEY_PLACEHOLDER, SECRET_PLACEHOLDER) or (
                token.startswith("https://" + MY_DOMAIN_PLACEHOLDER)), (path.name, token)


@pytest.mark.parametrize("path", sorted(ORG_A.rglob("*-meta.xml")), ids=lambda p: p.name)
def test_metadata_file_is_well_formed_and_of_the_type_its_suffix_names(path):
    (suffix,) = [s for s in SUFFIX_TYPES if path.name.endswith(s)]
    assert _xml(path).tag == NS + SUFFIX_TYPES[suffix]
    if suffix == ".cls-meta.xml":
        assert _text(_xml(path), "apiVersion") == API_VERSION
        assert _text(_xml(path), "status") == "Active"
        assert path.with_name(path.name.removesuffix("-meta.xml")).is_file()


def test_every_class_has_its_meta_xml():
    assert {p.name for p in CLASSES.glob("*.cls")} == {
        p.name.removesuffix("-meta.xml") for p in CLASSES.glob("*.cls-meta.xml")}


def test_every_apex_class_parses(outlines):
    # Both projects: ORG B's classes (sfdx/force-app) and ORG A's (sfdx/org-a).
    assert set(outlines) == {p.stem for p in ALL_CLASSES}
    assert {"OrgBWebServerFlow", "OrgBNamedCredentialSender", "OrgBCreateAccountRecord",
            "OrgBCalloutException", "OrgBCalloutMock", "OrgBWebServerFlowTest",
            "OrgBNamedCredentialSenderTest", "createAccountRecord"} <= set(outlines)
    for name, outline in outlines.items():
        assert outline["classes"][0] == name, "the file name is the class name"


def test_the_parser_rejects_broken_apex(tmp_path):
    # Without this the check above could pass on a parser that accepts anything.
    source = (CLASSES / "OrgBWebServerFlow.cls").read_text()
    broken = tmp_path / "Broken.cls"
    broken.write_text(source.replace("codeChallenge(codeVerifier); //",
                                     "codeChallenge(codeVerifier) //", 1))
    assert broken.read_text() != source
    returncode, (result,) = _parse([broken])
    assert returncode == 1 and result["errors"], result


def test_org_a_test_classes_are_isolated_tests_of_both_variants(outlines):
    for test, target in (("OrgBWebServerFlowTest", "OrgBWebServerFlow."),
                         ("OrgBNamedCredentialSenderTest", "OrgBNamedCredentialSender.")):
        code = _code(CLASSES / f"{test}.cls")
        assert re.search(r"@IsTest\s+private\s+class\s+" + test + r"\b", code)
        assert outlines[test]["annotations"].count("@IsTest") >= 5
        assert "Test.setMock(HttpCalloutMock.class" in code and target in code
        assert "SeeAllData" not in code
    mock = _code(CLASSES / "OrgBCalloutMock.cls")
    assert re.search(r"@IsTest\s+public\s+class\s+OrgBCalloutMock\s+implements\s+HttpCalloutMock",
                     mock)


# Status codes set by any class under sfdx/ (this project's and ORG B's) are checked against
# Apex's allowed list in tests/localorg/test_apex_status_codes.py.



def test_apex_uses_only_fields_that_exist_on_store_cred():
    fields = {p.name.removesuffix(".field-meta.xml")
              for p in (DEFAULT / "objects/Store_Cred__mdt/fields").glob("*.field-meta.xml")}
    assert fields == {"client_id__c", "client_secret__c", "login_url__c", "redirect_uri__c"}
    used = set(re.findall(r"\.(\w+__c)\b", _code(CLASSES / "OrgBWebServerFlow.cls")))
    assert used == fields
    record = _xml(DEFAULT / "customMetadata/Store_Cred.OrgB.md-meta.xml")
    values = {_text(v, "field"): _text(v, "value") for v in record.iter(NS + "values")}
    assert set(values) == fields
    # Only placeholders are committed; OrgBWebServerFlow refuses to run on them ("REPLACE").
    assert values["client_id__c"] == KEY_PLACEHOLDER
    assert values["client_secret__c"] == SECRET_PLACEHOLDER
    assert values["login_url__c"] == "https://" + MY_DOMAIN_PLACEHOLDER
    assert "containsIgnoreCase('REPLACE')" in (CLASSES / "OrgBWebServerFlow.cls").read_text()


def test_remote_sites_cover_the_login_host_and_org_b_my_domain_over_https():
    files = (DEFAULT / "remoteSiteSettings").glob("*.remoteSite-meta.xml")
    sites = {_text(site, "url"): site for site in map(_xml, files)}
    assert set(sites) == {"https://login.salesforce.com", "https://" + MY_DOMAIN_PLACEHOLDER}
    for site in sites.values():
        assert _text(site, "isActive") == "true"
        assert _text(site, "disableProtocolSecurity") == "false"


def test_auth_provider_is_salesforce_type_with_pkce_against_org_b():
    # ORG B's External Client App requires PKCE (docs/real-orgs.md step 1.7); Salesforce Help
    # "Configure a Salesforce Authentication Provider".
    provider = _xml(DEFAULT / "authproviders/OrgB.authprovider-meta.xml")
    assert _text(provider, "providerType") == "Salesforce"
    assert _text(provider, "isPkceEnabled") == "true"
    base = "https://" + MY_DOMAIN_PLACEHOLDER + "/services/oauth2/"
    assert _text(provider, "authorizeUrl") == base + "authorize"
    assert _text(provider, "tokenUrl") == base + "token"
    assert _text(provider, "defaultScopes").split() == ["api", "refresh_token"]
    assert (_text(provider, "consumerKey"), _text(provider, "consumerSecret")) == (
        KEY_PLACEHOLDER, SECRET_PLACEHOLDER)


def test_named_credential_chain_resolves_from_apex_to_the_auth_provider():
    apex = (CLASSES / "OrgBNamedCredentialSender.cls").read_text()
    (name,) = re.findall(r"NAMED_CREDENTIAL\s*=\s*'(\w+)'", apex)
    assert "'callout:' + NAMED_CREDENTIAL + OrgBCreateAccountRecord.PATH" in apex
    shared = (CLASSES / "OrgBCreateAccountRecord.cls").read_text()
    assert "PATH = '/services/apexrest/createAccountRecord'" in shared

    named = _xml(DEFAULT / f"namedCredentials/{name}.namedCredential-meta.xml")
    assert _text(named, "namedCredentialType") == "SecuredEndpoint"
    assert _text(named, "generateAuthorizationHeader") == "true"
    assert _text(named, "allowMergeFieldsInHeader") == "false"
    assert _text(named, "allowMergeFieldsInBody") == "false"
    params = {_text(p, "parameterType"): p for p in named.iter(NS + "namedCredentialParameters")}
    assert _text(params["Url"], "parameterValue") == "https://" + MY_DOMAIN_PLACEHOLDER
    external_name = _text(params["Authentication"], "externalCredential")

    external = _xml(DEFAULT / f"externalCredentials/{external_name}.externalCredential-meta.xml")
    assert _text(external, "authenticationProtocol") == "Oauth"
    ec_params = list(external.iter(NS + "externalCredentialParameters"))
    (provider,) = [_text(p, "authProvider") for p in ec_params
                   if _text(p, "parameterType") == "AuthProvider"]
    assert (DEFAULT / f"authproviders/{provider}.authprovider-meta.xml").is_file()
    principals = [_text(p, "parameterName") for p in ec_params
                  if _text(p, "parameterType") in ("NamedPrincipal", "PerUserPrincipal")]
    assert principals == ["OrgB_Integration"]

    # Permission set: the principal ("<ExternalCredential>-<principal>") and User External
    # Credentials, where the encrypted tokens live (Salesforce Help "Permission Concepts for
    # User External Credentials").
    ps = _xml(DEFAULT / "permissionsets/OrgB_Callout.permissionset-meta.xml")
    granted = {_text(a, "externalCredentialPrincipal")
               for a in ps.iter(NS + "externalCredentialPrincipalAccesses")
               if _text(a, "enabled") == "true"}
    assert granted == {f"{external_name}-{principals[0]}"}
    (uec,) = [o for o in ps.iter(NS + "objectPermissions")
              if _text(o, "object") == "UserExternalCredential"]
    assert all(_text(uec, k) == "true"
               for k in ("allowRead", "allowCreate", "allowEdit", "allowDelete"))
    assert _text(uec, "viewAllRecords") == _text(uec, "modifyAllRecords") == "false"
    classes = {_text(c, "apexClass") for c in ps.iter(NS + "classAccesses")}
    assert classes == {"OrgBNamedCredentialSender", "OrgBWebServerFlow"}
    assert all((CLASSES / f"{c}.cls").is_file() for c in classes)


def test_no_org_a_class_writes_credentials_or_tokens_to_the_debug_log():
    # docs/security.md: secrets and tokens never in logs. The only System.debug lines are the
    # usage examples in comments (the authorize URL, which carries no secret).
    for path in CLASSES.glob("*.cls"):
        assert "System.debug" not in _code(path), path.name


def _sf() -> list[str]:
    # The CLI needs Node >= 22.19: run it on the Node that package-lock.json pins, as
    # tests/realclients does, not on the system's (often older) node.
    if PINNED_NODE.is_file() and SF_RUN.is_file():
        return [str(PINNED_NODE), str(SF_RUN)]
    _need("Salesforce CLI", "run `make node-deps` (npm ci from package-lock.json)")
    return []


@pytest.mark.parametrize("project", [SFDX, ORG_A], ids=["org-b", "org-a"])
def test_sf_project_convert_source_converts_the_project(project, tmp_path):
    sf = _sf()
    env = {**os.environ, "SF_DISABLE_TELEMETRY": "true", "SF_AUTOUPDATE_DISABLE": "true",
           "HOME": str(tmp_path), "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
           # apply the deploy-time replacements so their result can be checked
           "SF_APPLY_REPLACEMENTS_ON_CONVERT": "true",
           "ORG_B_MY_DOMAIN_HOST": "acme-b.my.salesforce.com",
           "ORG_B_CONSUMER_KEY": "3MVG9test.key", "ORG_B_CONSUMER_SECRET": "test-secret"}
    out = tmp_path / "mdapi"
    command = [*sf, "project", "convert", "source", "--root-dir", "force-app",
               "--output-dir", str(out), "--json"]
    run = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,  # noqa: S603
                         timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    package = _xml(out / "package.xml")
    types = {_text(t, "name"): {m.text for m in t.iter(NS + "members")}
             for t in package.iter(NS + "types")}
    assert _text(package, "version") == API_VERSION
    if project == ORG_A:
        assert types["NamedCredential"] == {"OrgB"} and types["ExternalCredential"] == {"OrgB"}
        assert types["AuthProvider"] == {"OrgB"} and types["CustomMetadata"] == {"Store_Cred.OrgB"}
        assert types["RemoteSiteSetting"] == {"OrgB_Login", "OrgB_MyDomain"}
        assert "Store_Cred__mdt" in types["CustomObject"]
        provider = (out / "authproviders" / "OrgB.authprovider").read_text()
        assert "https://acme-b.my.salesforce.com/services/oauth2/token" in provider
        assert "<consumerKey>3MVG9test.key</consumerKey>" in provider
        assert "REPLACE" not in re.sub(r"<!--.*?-->", "", provider, flags=re.S)
    else:
        assert "createAccountRecord" in types["ApexClass"]
        assert not any("OrgB" in m for members in types.values() for m in members)


@pytest.mark.parametrize("doc", ["docs/org-a-apex.md", "docs/real-orgs.md"])
def test_apex_methods_the_docs_name_exist(doc, outlines):
    # docs/org-a-apex.md is embedded in notebook 09: a renamed method must not leave it stale.
    calls = set(re.findall(r"\b(OrgB\w+)\.(\w+)\(", (ROOT / doc).read_text()))
    assert calls
    for cls, method in calls:
        assert method in outlines[cls]["methods"], f"{doc}: {cls}.{method}"


def test_apex_pkce_expectation_matches_the_python_client():
    # The Apex test's expected S256 challenge is RFC 7636 Appendix B's; the notebooks' client
    # computes it too (helpers/oauth/pkce.py), so both sides of the tutorial agree.
    from helpers.oauth.pkce import s256_challenge

    apex = (CLASSES / "OrgBWebServerFlowTest.cls").read_text()
    (verifier,) = re.findall(r"String VERIFIER = '([^']+)'", apex)
    (expected,) = re.findall(r"Assert\.areEqual\('([^']+)', OrgBWebServerFlow\.codeChallenge", apex)
    assert s256_challenge(verifier) == expected == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
