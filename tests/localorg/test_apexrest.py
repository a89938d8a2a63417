"""Apex REST in ORG B: createAccountRecord (the blog post's class) and AccountUpsertService."""

from __future__ import annotations

import uuid

import pytest
from simple_salesforce import format_soql

from tests.localorg.rest_api import rest_client, stored_count

JSON = {"Content-Type": "application/json"}
CREATE = "/services/apexrest/createAccountRecord"
UPSERT = "/services/apexrest/accounts/upsert"


def test_create_account_record_success(orgs):
    api = rest_client(orgs, "B")
    tag = f"Apex-{uuid.uuid4().hex[:8]}"
    resp = api.post(CREATE, json=[
        {"Name": f"{tag} one", "Description": "d", "Type": "Prospect", "Industry": "Energy",
         "Unknown": "ignored like Apex JSON.deserialize"},
        {"name": f"{tag} two"}])
    assert resp.status_code == 200
    assert resp.text == '"Success"'
    assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert resp.headers["Sforce-Limit-Info"].startswith("api-usage=")
    body = api.soql(format_soql("SELECT Name, Industry FROM Account WHERE Name LIKE '{:like}%' "
                                "ORDER BY Name", tag))
    assert [(r["Name"], r["Industry"]) for r in body["records"]] == \
        [(f"{tag} one", "Energy"), (f"{tag} two", None)]
    # urlMapping '/createAccountRecord/*' also matches sub-paths.
    assert api.post(CREATE + "/extra/path", json=[]).text == '"Success"'


def test_create_account_record_failure_is_swallowed_all_or_none(orgs):
    """The blog's class catches the DmlException and returns 'Failure' with status 200."""
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post(CREATE, json=[{"Name": "would be inserted"}, {"Description": "no Name"}])
    assert resp.status_code == 200
    assert resp.text == '"Failure"'
    assert stored_count(orgs) == before
    assert api.post(CREATE, json=[{"Name": "n" * 256}]).text == '"Failure"'


@pytest.mark.parametrize("raw", [b'[{"Name": "x"', b'{"Name": "x"}', b"\xff", b"",
                                 b'[{"Name": NaN}]', b'[{"Name": {"a": 1}}]', b'["just text"]'])
def test_create_account_record_unparseable_body_is_500_apex_error(orgs, raw):
    """As on a real org: the post's class calls JSON.deserialize itself, outside its try, so a
    body that is not a JSON list of objects is an unhandled System.JSONException: 500
    APEX_ERROR with the exception and its stack line (sfdx/.../createAccountRecord.cls).
    A deliberate exception to B-29: the point of the lesson is the post's flaw."""
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post(CREATE, data=raw, headers=JSON)
    assert resp.status_code == 500
    body = resp.json()
    assert list(body[0]) == ["errorCode", "message"]
    assert body[0]["errorCode"] == "APEX_ERROR"
    assert body[0]["message"].startswith("System.JSONException: ")
    assert body[0]["message"].endswith(
        "\n\nClass.createAccountRecord.createAccount: line 28, column 1")
    assert stored_count(orgs) == before


def test_parser_error_message_has_line_and_column(orgs):
    resp = rest_client(orgs, "B").post(CREATE, data=b'[{"Name" "x"}]', headers=JSON)
    assert "at [line:1, column:10]\n\n" in resp.json()[0]["message"]
    not_a_list = rest_client(orgs, "B").post(CREATE, json={"Name": "x"})
    assert not_a_list.json()[0]["message"].startswith(
        "System.JSONException: Malformed JSON: Expected '[' at the beginning of List/Set")


def test_create_account_record_over_10000_rows_is_a_limit_exception(orgs):
    """Apex governor limit: 10,000 DML rows per transaction (Apex Developer Guide, "Execution
    Governors and Limits"). System.LimitException cannot be caught, so the post's class
    answers 500 APEX_ERROR and nothing is inserted; 10,000 rows are fine."""
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post(CREATE, json=[{"Name": f"Bulk {i}"} for i in range(10_001)])
    assert resp.status_code == 500
    assert resp.json() == [{"errorCode": "APEX_ERROR", "message": (
        "System.LimitException: Too many DML rows: 10001\n\n"
        "Class.createAccountRecord.createAccount: line 49, column 1")}]
    assert stored_count(orgs) == before
    nulls_do_not_count = [{"Name": "Bulk"}] * 2 + [None] * 9_999
    ok = api.post(CREATE, json=nulls_do_not_count)
    assert ok.text == '"Success"'


def test_stack_lines_point_at_the_deployed_class():
    """The stand-in's stack lines name the lines of sfdx/.../createAccountRecord.cls that
    throw, so what a learner sees locally matches the deployed class."""
    from pathlib import Path

    from localorg.rest.apexrest import DESERIALIZE_LINE, INSERT_LINE

    cls = (Path(__file__).resolve().parents[2] / "sfdx/force-app/main/default/classes/"
           "createAccountRecord.cls").read_text().splitlines()
    assert "JSON.deserialize(jsonString" in cls[DESERIALIZE_LINE - 1]
    assert cls[INSERT_LINE - 1].strip() == "insert accList;"


def test_other_methods_are_405_and_unknown_urls_404(orgs):
    api = rest_client(orgs, "B")
    resp = api.get(CREATE)
    assert resp.status_code == 405
    assert resp.json() == [{"errorCode": "METHOD_NOT_ALLOWED", "message": "HTTP GET not supported"}]
    missing = api.post("/services/apexrest/Missing", json=[])
    assert missing.status_code == 404
    assert missing.json() == [{"errorCode": "NOT_FOUND",
                               "message": "Could not find a match for URL /Missing"}]
    # Mappings are case-sensitive, and ORG A has no Apex REST services.
    assert api.post("/services/apexrest/createaccountrecord", json=[]).status_code == 404
    assert rest_client(orgs, "A").post(CREATE, json=[]).status_code == 404


def test_apex_rest_needs_a_valid_token(orgs):
    resp = orgs.session().post(orgs.instance_url("B") + CREATE, json=[], timeout=30)
    assert resp.status_code == 401
    assert resp.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def _upsert(api, accounts, all_or_none=None):
    body = {"accounts": accounts}
    if all_or_none is not None:
        body["allOrNone"] = all_or_none
    return api.post(UPSERT, json=body)


def test_upsert_service_creates_then_updates(orgs):
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    first = _upsert(api, [{"Source_Id__c": f"{k}-1", "Name": "S1", "Industry": "Energy"},
                          {"Name": "no source id"}])
    assert first.status_code == 200
    body = first.json()
    assert (body["created"], body["updated"], body["failed"]) == (2, 0, 0)
    r0, r1 = body["results"]
    assert list(r0) == ["index", "sourceId", "id", "created", "success", "errors"]
    assert (r0["index"], r0["sourceId"], r0["created"], r0["success"]) == (0, f"{k}-1", True, True)
    assert r1["sourceId"] is None and r1["created"] is True and len(r1["id"]) == 18
    again = _upsert(api, [{"Source_Id__c": f"{k}-1", "Name": "S1 renamed"}]).json()
    assert again["results"][0]["id"] == r0["id"] and again["results"][0]["created"] is False
    assert (again["created"], again["updated"]) == (0, 1)
    rec = api.get(f"sobjects/Account/{r0['id']}").json()
    assert rec["Name"] == "S1 renamed" and rec["Industry"] == "Energy"


def test_upsert_service_partial_failure_is_200_with_results(orgs):
    """Partial success is 200, never 207: Apex REST allows no 207 (Apex Reference Guide,
    RestResponse Class); a real org would turn it into 500."""
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    resp = _upsert(api, [{"Source_Id__c": f"{k}-1", "Name": "ok"},
                         {"Source_Id__c": f"{k}-2", "Description": "no name"},
                         {"Source_Id__c": f"{k}-3", "Name": "z" * 256}])
    assert resp.status_code == 200
    body = resp.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 0, 2)
    err = body["results"][1]["errors"][0]
    assert err == {"statusCode": "REQUIRED_FIELD_MISSING",
                   "message": "Required fields are missing: [Name]", "fields": ["Name"]}
    assert body["results"][1]["id"] is None
    assert body["results"][2]["errors"][0]["statusCode"] == "STRING_TOO_LONG"


def test_upsert_service_all_or_none_and_all_failed_are_400(orgs):
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    before = stored_count(orgs)
    resp = _upsert(api, [{"Source_Id__c": f"{k}-1", "Name": "ok"}, {"Source_Id__c": f"{k}-2"}],
                   all_or_none=True)
    assert resp.status_code == 400
    body = resp.json()
    assert body["failed"] == 2 and body["created"] == 0
    assert body["results"][0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert body["results"][0]["id"] is None
    assert stored_count(orgs) == before
    all_bad = _upsert(api, [{"Description": "x"}, {"Phone": "1"}])
    assert all_bad.status_code == 400 and all_bad.json()["failed"] == 2
    assert stored_count(orgs) == before


def test_upsert_service_duplicate_source_ids(orgs):
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    a = api.create(Name="dup a", Source_Id__c=f"{k}-d")
    b = api.create(Name="dup b", Source_Id__c=f"{k}-d")
    resp = _upsert(api, [{"Source_Id__c": f"{k}-d", "Name": "which one?"},
                         {"Source_Id__c": f"{k}-ok", "Name": "fine"}])
    assert resp.status_code == 200
    err = resp.json()["results"][0]["errors"][0]
    assert err["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert a in err["message"] and b in err["message"]
    same_request = _upsert(api, [{"Source_Id__c": f"{k}-x", "Name": "1"},
                                 {"Source_Id__c": f"{k}-X", "Name": "2"}])
    assert same_request.status_code == 400
    assert {r["errors"][0]["statusCode"] for r in same_request.json()["results"]} == \
        {"DUPLICATE_EXTERNAL_ID"}


@pytest.mark.parametrize("body,code", [
    (b'{"accounts": [', "JSON_PARSER_ERROR"),
    (b'{"accounts": [], "accounts": []}', "JSON_PARSER_ERROR"),
    (b'[{"Name": "x"}]', "INVALID_INPUT"),
    (b'{"accounts": []}', "INVALID_INPUT"),
    (b'{"records": [{"Name": "x"}]}', "INVALID_INPUT"),
    (b'{"accounts": [{"Name": "x"}], "allOrNone": "yes"}', "INVALID_INPUT"),
])
def test_upsert_service_malformed_bodies_are_400_B29(orgs, body, code):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post(UPSERT, data=body, headers=JSON)
    assert resp.status_code == 400
    assert resp.json()[0]["errorCode"] == code
    assert stored_count(orgs) == before


def test_upsert_service_more_than_200_is_400(orgs):
    api = rest_client(orgs, "B")
    resp = _upsert(api, [{"Name": f"n{i}"} for i in range(201)])
    assert resp.status_code == 400
    err = resp.json()[0]
    assert err["errorCode"] == "INVALID_INPUT" and "at most 200" in err["message"]
    assert api.get(UPSERT).status_code == 405


def test_upsert_service_blank_source_id_inserts_and_nulls_keep_values(orgs):
    """As in AccountUpsertService.cls: a blank Source_Id__c means insert; null values are left
    out, so an update keeps the stored value; numbers become text."""
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    body = _upsert(api, [{"Source_Id__c": "  ", "Name": "blank key"},
                         {"Source_Id__c": k, "Name": 42, "Industry": "Energy"}]).json()
    assert body["results"][0]["sourceId"] is None and body["results"][0]["created"] is True
    rid = body["results"][1]["id"]
    again = _upsert(api, [{"source_id__c": k, "Name": "renamed", "Industry": None}])
    assert again.status_code == 200 and again.json()["results"][0]["id"] == rid
    rec = api.get(f"sobjects/Account/{rid}").json()
    assert (rec["Name"], rec["Industry"]) == ("renamed", "Energy")
    bad_item = api.post(UPSERT, json={"accounts": [{"Name": "ok"}, "text"]})
    assert bad_item.json() == [{"errorCode": "JSON_PARSER_ERROR",
                                "message": "Expected an object for accounts[1]."}]
