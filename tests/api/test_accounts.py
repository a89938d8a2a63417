"""Reading ORG A and posting to ORG B's Apex REST services, against the real local orgs."""

from __future__ import annotations

import math

import pytest

from helpers.api import (
    ApexFailure,
    ValidationError,
    account_payload,
    all_accounts,
    latest_account,
    post_accounts_to_apex,
    soql_quote,
    upsert_accounts_via_apex,
)


def test_post_latest_org_a_account_to_org_b_and_find_it(clients):
    """The post's scenario end to end: ORG A's newest Account arrives in ORG B."""
    marker = "Posted by the tutorial test"
    clients.sf_a.Account.create({"Name": "Zeta Labs O'Neil", "Description": marker,
                                 "Type": "Prospect", "Industry": "Biotechnology"})
    latest = latest_account(clients.sf_a)
    assert latest is not None and latest["Name"] == "Zeta Labs O'Neil"
    assert set(latest) == {"Id", "Name", "Description", "Type", "Industry"}

    assert post_accounts_to_apex(clients.sf_b, [account_payload(latest)]) == 1

    found = list(all_accounts(clients.sf_b, name=latest["Name"]))  # simple-salesforce query
    assert len(found) == 1
    assert {k: found[0][k] for k in ("Description", "Type", "Industry")} == \
        {"Description": marker, "Type": "Prospect", "Industry": "Biotechnology"}


def test_failure_answer_is_a_clear_error_not_a_success(clients):
    """createAccountRecord swallows the DmlException and answers 200 "Failure"."""
    before = clients.stored_accounts("B")
    with pytest.raises(ApexFailure) as caught:
        post_accounts_to_apex(clients.sf_b, [{"Name": "ok"}, {"Name": ""}], validate=False)
    err = caught.value
    assert err.status == 200 and err.error_code == "APEX_RETURNED_FAILURE"
    assert "Failure" in str(err) and "debug log" in str(err) and "Name" in str(err)
    assert clients.stored_accounts("B") == before  # all or none: the good one is not saved


def test_malformed_json_surfaces_the_apex_json_exception(clients):
    """NaN is not JSON: without local checks the post's class throws System.JSONException
    outside its try, which Apex REST answers 500 APEX_ERROR (Apex Reference Guide, JSON
    Class); the learner is told what to send instead."""
    before = clients.stored_accounts("B")
    with pytest.raises(ApexFailure) as caught:
        post_accounts_to_apex(clients.sf_b, [{"Name": "x", "Description": math.nan}],
                              validate=False)
    assert caught.value.status == 500
    assert caught.value.error_code == "APEX_ERROR"
    assert "threw System.JSONException" in str(caught.value)
    assert "JSON array of objects" in str(caught.value)
    assert clients.stored_accounts("B") == before


def test_more_than_10000_accounts_are_refused_or_explained(clients):
    """Apex allows 10,000 DML rows per transaction (Apex Developer Guide, "Execution Governors
    and Limits"): checked before sending; sent anyway, the LimitException is explained."""
    many = [{"Name": f"Bulk {i}"} for i in range(10_001)]
    calls = clients.sf_b.api.calls
    with pytest.raises(ValidationError, match="10,000 DML rows"):
        post_accounts_to_apex(clients.sf_b, many)
    assert clients.sf_b.api.calls == calls
    with pytest.raises(ApexFailure) as caught:
        post_accounts_to_apex(clients.sf_b, many, validate=False)
    assert caught.value.status == 500
    assert "Too many DML rows: 10001" in str(caught.value)
    assert "at most 10,000 records" in str(caught.value) and "nothing was saved" in \
        str(caught.value)


BAD_PAYLOADS = {
    "unknown field": [{"Name": "Acme", "Phone__x": "1"}],
    "missing Name": [{"Description": "no name"}],
    "blank Name": [{"Name": "   "}],
    "over-long Name": [{"Name": "x" * 256}],
    "over-long Description": [{"Name": "Acme", "Description": "d" * 32001}],
    "NaN": [{"Name": "Acme", "Description": math.nan}],
    "Infinity": [{"Name": "Acme", "Industry": math.inf}],
    "wrong type": [{"Name": 42}],
    "not a dict": ["Acme"],
    "empty list": [],
}


@pytest.mark.parametrize("case", list(BAD_PAYLOADS))
def test_a36_invalid_payloads_send_zero_requests(clients, case):
    """A-36: every invalid payload raises ValidationError before any HTTP call."""
    calls, used, stored = clients.sf_b.api.calls, clients.usage("B"), clients.stored_accounts("B")
    with pytest.raises(ValidationError) as caught:
        post_accounts_to_apex(clients.sf_b, BAD_PAYLOADS[case])
    assert caught.value.problems and str(caught.value).startswith("nothing was sent")
    with pytest.raises(ValidationError):
        upsert_accounts_via_apex(clients.sf_b, BAD_PAYLOADS[case])
    assert clients.sf_b.api.calls == calls          # the client's transport hook
    assert clients.usage("B") == used               # the server's API counter
    assert clients.stored_accounts("B") == stored


def test_a36_user_text_in_soql_is_escaped(clients):
    assert soql_quote("x' OR Name != '") == "'x\\' OR Name != \\''"
    clients.sf_a.Account.create({"Name": "Back\\slash 'quoted' Ltd"})
    assert list(all_accounts(clients.sf_a, name="x' OR Name != '")) == []
    found = list(all_accounts(clients.sf_a, ["Id", "Name"], name="Back\\slash 'quoted' Ltd"))
    assert [a["Name"] for a in found] == ["Back\\slash 'quoted' Ltd"]
    assert set(found[0]) == {"Id", "Name"}  # no "attributes"
    # simple-salesforce escapes double quotes too (\"): the local orgs' SOQL reads them back
    clients.sf_a.Account.create({"Name": 'The "Quoted" Co'})
    assert [a["Name"] for a in all_accounts(clients.sf_a, ["Name"], name='The "Quoted" Co')] \
        == ['The "Quoted" Co']


def test_a36_field_names_come_from_an_allow_list(clients):
    calls = clients.sf_a.api.calls
    with pytest.raises(ValidationError):
        list(all_accounts(clients.sf_a, ["Name FROM User WHERE Name != null --"]))
    assert clients.sf_a.api.calls == calls


def test_all_accounts_follows_every_page(clients):
    """More than one query batch (2,000): query_all_iter follows nextRecordsUrl."""
    count = clients.sf_a.query("SELECT COUNT() FROM Account")["totalSize"]
    missing = max(0, 2105 - count)
    for first in range(0, missing, 200):
        records = [{"attributes": {"type": "Account"}, "Name": f"Page test {first + i}"}
                   for i in range(min(200, missing - first))]
        saved = clients.sf_a.restful("composite/sobjects", method="POST",
                                     json={"allOrNone": True, "records": records})
        assert all(r["success"] for r in saved)
    names = [a["Name"] for a in all_accounts(clients.sf_a, ["Name"])]
    assert len(names) == clients.sf_a.query("SELECT COUNT() FROM Account")["totalSize"] >= 2105


def test_upsert_service_reports_each_record(clients):
    """A partial success is HTTP 200 with failures in the results (Apex REST allows no 207:
    Apex Reference Guide, RestResponse Class)."""
    ok = {"Source_Id__c": "001UPSERTTEST0001", "Name": "Upsert One", "Type": "Prospect"}
    twin = {"Source_Id__c": "001UPSERTTEST0002", "Name": "Twin"}
    result = upsert_accounts_via_apex(clients.sf_b, [ok, twin, {**twin, "Name": "Twin 2"}])
    assert (result.status, result.created, result.updated, result.failed) == (200, 1, 0, 2)
    assert "failed 2 (HTTP 200)" in str(result)
    assert [r.index for r in result.failures] == [1, 2]
    assert all("DUPLICATE_EXTERNAL_ID" in r.errors[0] for r in result.failures)
    assert result.results[0].id and result.results[0].created

    again = upsert_accounts_via_apex(clients.sf_b, [{**ok, "Name": "Upsert One (renamed)"}])
    assert (again.status, again.created, again.updated, again.failed) == (200, 0, 1, 0)
    assert again.results[0].id == result.results[0].id
    rows = clients.sf_b.query("SELECT Name FROM Account WHERE Source_Id__c = "
                              "'001UPSERTTEST0001'")["records"]
    assert [r["Name"] for r in rows] == ["Upsert One (renamed)"]


def test_upsert_service_all_or_none_failure_returns_results(clients):
    """HTTP 400 with per-record results is a result, not an exception."""
    good = {"Source_Id__c": "001UPSERTTEST0003", "Name": "Rolled back"}
    dup = {"Source_Id__c": "001UPSERTTEST0004", "Name": "Dup"}
    result = upsert_accounts_via_apex(clients.sf_b, [good, dup, dup], all_or_none=True)
    assert (result.status, result.created, result.failed) == (400, 0, 3)
    assert "ALL_OR_NONE_OPERATION_ROLLED_BACK" in result.failures[0].errors[0]
    assert clients.sf_b.query("SELECT COUNT() FROM Account WHERE Source_Id__c = "
                              "'001UPSERTTEST0003'")["totalSize"] == 0
    assert "failed 3" in str(result) and "<table>" in result._repr_html_()


def test_upsert_service_requires_source_id_and_at_most_200(clients):
    calls = clients.sf_b.api.calls
    with pytest.raises(ValidationError, match="Source_Id__c is missing"):
        upsert_accounts_via_apex(clients.sf_b, [{"Name": "No source"}])
    many = [{"Source_Id__c": f"001MANY{i:011d}", "Name": f"n{i}"} for i in range(201)]
    with pytest.raises(ValidationError, match="at most 200"):
        upsert_accounts_via_apex(clients.sf_b, many)
    assert clients.sf_b.api.calls == calls


def test_a35_create_is_never_retried_when_the_answer_is_lost(clients):
    """The service saves, then the answer is a 503: one POST only, one record, clear advice."""
    name = "Posted once despite the 503"
    calls = clients.sf_b.api.calls
    clients.fault("B", "/services/apexrest/createAccountRecord", 503, remaining=1,
                  retry_after=1, after_commit=True)
    try:
        with pytest.raises(ApexFailure) as caught:
            post_accounts_to_apex(clients.sf_b, [{"Name": name}])
    finally:
        clients.clear_faults()
    assert caught.value.status == 503 and "look in ORG B" in str(caught.value)
    assert clients.sf_b.api.calls == calls + 1
    assert [a["Name"] for a in all_accounts(clients.sf_b, ["Name"], name=name)] == [name]


def test_a_single_account_instead_of_a_list_is_refused(clients):
    calls = clients.sf_b.api.calls
    with pytest.raises(ValidationError, match="list of accounts"):
        post_accounts_to_apex(clients.sf_b, {"Name": "Acme"})
    assert clients.sf_b.api.calls == calls


def test_an_apex_status_refused_by_salesforce_is_explained():
    """An AccountUpsertService that still answers 207 gets Salesforce's 500 "Invalid status code
    for HTTP response: 207" (Apex Reference Guide, RestResponse Class; body as observed on
    Salesforce Stack Exchange, question 298136): the learner is told to redeploy sfdx/."""
    from simple_salesforce.exceptions import SalesforceGeneralError

    from helpers.api.accounts import _apex_error

    exc = SalesforceGeneralError("https://orgb.example/services/apexrest/accounts/upsert", 500,
                                 "accounts/upsert", [{"errorCode": "INTERNAL_SERVER_ERROR",
                                                      "message": "Invalid status code for HTTP "
                                                                 "response: 207"}])
    failure = _apex_error(exc, "accounts/upsert")
    assert failure.status == 500 and failure.error_code == "INTERNAL_SERVER_ERROR"
    assert "deploy the current classes from sfdx/" in str(failure)
    assert "may or may not have been saved" in str(failure)
