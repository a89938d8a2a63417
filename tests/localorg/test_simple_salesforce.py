"""simple-salesforce 1.12.10 against the local orgs, as the tutorial uses it.

The session trusts the local CA explicitly and has ``trust_env=False``, so a
``REQUESTS_CA_BUNDLE`` in the environment cannot replace that CA (second test).
"""

from __future__ import annotations

import uuid

import certifi
import pytest
import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from tests.localorg.rest_api import token


def _session(orgs, trust_env: bool = False) -> requests.Session:
    s = requests.Session()
    s.verify = orgs.ca_bundle
    s.trust_env = trust_env
    return s


def _sf(orgs, org: str = "B", **kw) -> Salesforce:
    return Salesforce(instance_url=orgs.instance_url(org), session_id=token(orgs, org),
                      session=_session(orgs), **kw)


def test_crud_upsert_query_apex_and_limits(orgs):
    sf = _sf(orgs)  # default API version 59.0
    tag = f"ss-{uuid.uuid4().hex[:8]}"
    created = sf.Account.create({"Name": f"{tag} created", "BillingCity": tag})
    assert created["success"] is True
    rid = created["id"]
    assert sf.Account.get(rid)["Name"] == f"{tag} created"
    assert sf.Account.update(rid, {"Phone": "123"}) == 204
    assert sf.Account.upsert(f"Source_Id__c/{tag}-1", {"Name": f"{tag} upserted",
                                                       "BillingCity": tag}) == 201
    assert sf.Account.upsert(f"Source_Id__c/{tag}-1", {"Phone": "9"}) == 200
    assert sf.Account.get_by_custom_id("Source_Id__c", f"{tag}-1")["Phone"] == "9"
    sf.Account.create({"Name": "twin", "Source_Id__c": f"{tag}-1"})
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Account.upsert(f"Source_Id__c/{tag}-1", {"Phone": "8"})
    result = sf.query(format_soql("SELECT Id, Name, Phone FROM Account WHERE BillingCity = {} "
                                  "ORDER BY Name", tag))
    assert [r["Name"] for r in result["records"]] == [f"{tag} created", f"{tag} upserted"]
    assert result["records"][0]["Phone"] == "123"
    assert sf.Account.delete(rid) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(rid)
    deleted = sf.query_all(format_soql("SELECT Id FROM Account WHERE Id = {}", rid),
                           include_deleted=True)
    assert deleted["totalSize"] == 1
    with pytest.raises(SalesforceMalformedRequest) as bad:
        sf.query("SELECT FROM Account")
    assert bad.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert sf.apexecute("createAccountRecord", method="POST",
                        data=[{"Name": f"{tag} apex", "Industry": "Energy"}]) == "Success"
    assert sf.apexecute("createAccountRecord", method="POST",
                        data=[{"Description": "no name"}]) == "Failure"
    described = sf.restful("sobjects/Account/describe")
    assert "Source_Id__c" in [f["name"] for f in described["fields"]]
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 15000
    usage = sf.api_usage["api-usage"]
    assert usage.total == 15000 and 0 < usage.used <= 15000
    assert limits["DailyApiRequests"]["Remaining"] == 15000 - usage.used


def test_query_all_follows_next_records_url(orgs):
    sf = _sf(orgs, version="66.0")
    tag = f"qa-{uuid.uuid4().hex[:8]}"
    for start in range(0, 2100, 200):
        results = sf.restful("composite/sobjects", method="POST", json={
            "allOrNone": True, "records": [
                {"attributes": {"type": "Account"}, "Name": f"{tag}-{i:05d}", "BillingCity": tag}
                for i in range(start, min(start + 200, 2100))]})
        assert all(r["success"] for r in results)
    q = format_soql("SELECT Id, Name FROM Account WHERE BillingCity = {} ORDER BY Name", tag)
    first = sf.query(q)
    assert first["done"] is False and len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v66.0/query/01g")
    everything = sf.query_all(q)
    assert everything["totalSize"] == 2100
    assert [r["Name"] for r in everything["records"]] == [f"{tag}-{i:05d}" for i in range(2100)]


def test_expired_session_raises_salesforce_expired_session(orgs):
    sf = Salesforce(instance_url=orgs.instance_url("B"), session_id="00Dxx!not-valid",
                    session=_session(orgs))
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Account")
    assert exc.value.content == [{"message": "Session expired or invalid",
                                  "errorCode": "INVALID_SESSION_ID"}]


def test_requests_ca_bundle_overrides_verify_unless_trust_env_is_false(orgs, monkeypatch):
    """The pitfall the README warns about: with trust_env=True, REQUESTS_CA_BUNDLE replaces
    session.verify, so the local CA is no longer trusted and TLS verification fails."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    trusting_env = Salesforce(instance_url=orgs.instance_url("B"), session_id=token(orgs, "B"),
                              session=_session(orgs, trust_env=True))
    with pytest.raises(requests.exceptions.SSLError):
        trusting_env.query("SELECT Id FROM Account LIMIT 1")
    safe = Salesforce(instance_url=orgs.instance_url("B"), session_id=token(orgs, "B"),
                      session=_session(orgs, trust_env=False))
    assert safe.query("SELECT Id FROM Account LIMIT 1")["done"] is True
