"""``query`` / ``queryAll``: the SOQL subset, Salesforce's error texts and pagination."""

from __future__ import annotations

import re
import uuid

import pytest
from simple_salesforce import format_soql

from tests.localorg.rest_api import VERSION, rest_client

NEXT_RE = re.compile(rf"^/services/data/{VERSION}/(query|queryAll)/01g[0-9A-Za-z]{{15}}-(\d+)$")


@pytest.fixture(scope="module")
def tagged(orgs):
    """Six ORG B Accounts sharing a unique BillingCity, created in this order."""
    api = rest_client(orgs, "B")
    tag = f"City-{uuid.uuid4().hex[:8]}"
    rows = [
        {"Name": "Alpha Corp", "NumberOfEmployees": 10, "Industry": "Energy"},
        {"Name": "beta ltd", "NumberOfEmployees": 50, "Industry": "Banking"},
        {"Name": "Gamma's Goods", "NumberOfEmployees": 5},
        {"Name": "Delta", "NumberOfEmployees": 500, "Industry": "Energy", "AnnualRevenue": 1e6},
        {"Name": "epsilon", "Industry": "Retail"},
        {"Name": "Zeta", "NumberOfEmployees": 50, "Industry": "banking"},
    ]
    ids = [api.create(BillingCity=tag, **row) for row in rows]
    return api, tag, dict(zip([r["Name"] for r in rows], ids, strict=True))


def names(api, tag, where="", order="ORDER BY Name", extra=""):
    cond = format_soql("BillingCity = {}", tag) + (f" AND ({where})" if where else "")
    body = api.soql(" ".join(["SELECT Name FROM Account WHERE", cond, order, extra]))
    return [r["Name"] for r in body["records"]]


def test_tutorial_query_shape_on_org_a(orgs):
    body = rest_client(orgs, "A").soql(
        "SELECT Id, Name, Description, Type, Industry FROM Account ORDER BY CreatedDate DESC "
        "LIMIT 1")
    assert body["done"] is True and body["totalSize"] == 1
    rec = body["records"][0]
    assert list(rec) == ["attributes", "Id", "Name", "Description", "Type", "Industry"]
    assert rec["attributes"] == {"type": "Account",
                                 "url": f"/services/data/{VERSION}/sobjects/Account/{rec['Id']}"}


def test_keywords_and_fields_are_case_insensitive(tagged):
    api, tag, ids = tagged
    body = api.soql(format_soql("select id, NAME, numberofemployees from account where "
                                "billingcity = {} and name = 'ALPHA CORP'", tag.lower()))
    assert body["totalSize"] == 1
    rec = body["records"][0]
    assert list(rec) == ["attributes", "Id", "Name", "NumberOfEmployees"]
    assert rec["Id"] == ids["Alpha Corp"]


@pytest.mark.parametrize("where,expected", [
    ("NumberOfEmployees = 50", ["beta ltd", "Zeta"]),
    ("NumberOfEmployees != 50", ["Alpha Corp", "Delta", "epsilon", "Gamma's Goods"]),
    ("NumberOfEmployees <> 50", ["Alpha Corp", "Delta", "epsilon", "Gamma's Goods"]),
    ("NumberOfEmployees < 10", ["Gamma's Goods"]),
    ("NumberOfEmployees <= 10", ["Alpha Corp", "Gamma's Goods"]),
    ("NumberOfEmployees > 50", ["Delta"]),
    ("NumberOfEmployees >= 50", ["beta ltd", "Delta", "Zeta"]),
    ("Name LIKE 'a%'", ["Alpha Corp"]),
    ("Name LIKE '%TA%'", ["beta ltd", "Delta", "Zeta"]),
    ("Name LIKE '_eta'", ["Zeta"]),
    ("Industry = 'banking'", ["beta ltd", "Zeta"]),
    ("Industry IN ('Energy', 'Retail')", ["Alpha Corp", "Delta", "epsilon"]),
    ("Industry NOT IN ('Energy', 'Retail')", ["beta ltd", "Gamma's Goods", "Zeta"]),
    ("Industry = null", ["Gamma's Goods"]),
    ("Industry != null AND NumberOfEmployees = null", ["epsilon"]),
    ("Name = 'Gamma\\'s Goods'", ["Gamma's Goods"]),
    ("(Industry = 'Energy' OR Industry = 'Retail') AND NumberOfEmployees > 9",
     ["Alpha Corp", "Delta"]),
    ("NOT Industry = 'Energy'", ["beta ltd", "epsilon", "Gamma's Goods", "Zeta"]),
    ("NOT (Industry = 'Energy' OR NumberOfEmployees = 50)", ["epsilon", "Gamma's Goods"]),
    ("AnnualRevenue >= 1000000.0", ["Delta"]),
    ("IsDeleted = false AND CreatedDate > 2020-01-01T00:00:00Z", None),
    ("CreatedDate = TODAY", None),
    ("CreatedDate < 2020-01-01T00:00:00+02:00", []),
    ("CreatedDate > TODAY", []),
])
def test_where_conditions(tagged, where, expected):
    api, tag, ids = tagged
    got = names(api, tag, where)
    all_names = sorted(ids, key=str.lower)
    assert got == (all_names if expected is None else expected)


def test_order_by_nulls_limit_offset(tagged):
    api, tag, _ = tagged
    assert names(api, tag, order="ORDER BY NumberOfEmployees DESC, Name DESC") == \
        ["Delta", "Zeta", "beta ltd", "Alpha Corp", "Gamma's Goods", "epsilon"]
    assert names(api, tag, order="ORDER BY NumberOfEmployees ASC NULLS LAST, Name") == \
        ["Gamma's Goods", "Alpha Corp", "beta ltd", "Zeta", "Delta", "epsilon"]
    assert names(api, tag, order="ORDER BY NumberOfEmployees NULLS FIRST, Name", extra="LIMIT 2") \
        == ["epsilon", "Gamma's Goods"]
    assert names(api, tag, extra="LIMIT 2 OFFSET 1") == ["beta ltd", "Delta"]
    # Newest first; equal CreatedDate keeps insertion order.
    assert names(api, tag, order="ORDER BY CreatedDate DESC", extra="LIMIT 1") == ["Zeta"]


def test_count(tagged):
    api, tag, _ = tagged
    body = api.soql(format_soql("SELECT COUNT() FROM Account WHERE BillingCity = {}", tag))
    assert body == {"totalSize": 6, "done": True, "records": []}


def _error(api, q):
    resp = api.get("query/", params={"q": q})
    assert resp.status_code == 400, resp.text
    return resp.json()[0]


def test_malformed_query_errors(orgs):
    api = rest_client(orgs, "B")
    err = _error(api, "SELECT Id FORM Account")
    assert err["errorCode"] == "MALFORMED_QUERY"
    assert err["message"] == ("\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\n"
                              "unexpected token: 'FORM'")
    assert "unexpected token: '<EOF>'" in _error(api, "SELECT Id FROM Account WHERE")["message"]
    mixed = _error(api, "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'")
    assert mixed["errorCode"] == "MALFORMED_QUERY" and "'OR'" in mixed["message"]
    assert _error(api, "SELECT Id FROM Account WHERE Name = :x")["errorCode"] == "MALFORMED_QUERY"
    assert _error(api, "SELECT Id, Id FROM Account")["message"].endswith(
        "duplicate field selected: Id")
    assert _error(api, "")["message"] == "A query string has to be specified"


def test_invalid_field_type_and_filter_errors(orgs):
    api = rest_client(orgs, "B")
    err = _error(api, "SELECT Id, Foo FROM Account")
    assert err["errorCode"] == "INVALID_FIELD"
    assert "ERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Account'." \
        in err["message"]
    assert _error(rest_client(orgs, "A"), "SELECT Source_Id__c FROM Account")["errorCode"] == \
        "INVALID_FIELD"
    assert _error(api, "SELECT Id FROM Contact")["errorCode"] == "INVALID_TYPE"
    desc = _error(api, "SELECT Id FROM Account WHERE Description = 'x'")
    assert desc["errorCode"] == "INVALID_FIELD"
    assert "field 'Description' can not be filtered" in desc["message"]
    typed = _error(api, "SELECT Id FROM Account WHERE NumberOfEmployees = '5'")
    assert typed["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert "must be of type integer and should not be enclosed in quotes" in typed["message"]
    assert "invalid ID field: abc" in _error(api, "SELECT Id FROM Account WHERE Id = 'abc'")[
        "message"]
    assert _error(api, "SELECT Id FROM Account OFFSET 2001")["errorCode"] == \
        "NUMBER_OUTSIDE_VALID_RANGE"


def test_id_filter_accepts_15_and_18_characters(tagged):
    api, _, ids = tagged
    rid = ids["Delta"]
    for value in (rid, rid[:15]):
        q = format_soql("SELECT Name FROM Account WHERE Id = {}", value)
        assert api.soql(q)["records"][0]["Name"] == "Delta"


def test_pagination_with_batch_size_and_cursor(orgs):
    api = rest_client(orgs, "B")
    tag = f"Page-{uuid.uuid4().hex[:8]}"
    for start in (0, 200, 400):
        records = [{"attributes": {"type": "Account"}, "Name": f"P{i:04d}", "BillingCity": tag}
                   for i in range(start, min(start + 200, 450))]
        resp = api.post("composite/sobjects", json={"allOrNone": True, "records": records})
        assert all(r["success"] for r in resp.json())
    q = format_soql("SELECT Id, Name FROM Account WHERE BillingCity = {} ORDER BY Name", tag)
    first = api.get("query/", params={"q": q}, headers={"Sforce-Query-Options": "batchSize=200"})
    body = first.json()
    assert body["totalSize"] == 450 and body["done"] is False and len(body["records"]) == 200
    seen = [r["Name"] for r in body["records"]]
    pages = 1
    while not body["done"]:
        m = NEXT_RE.match(body["nextRecordsUrl"])
        assert m and m.group(1) == "query" and int(m.group(2)) == len(seen)
        body = api.get(body["nextRecordsUrl"]).json()
        seen += [r["Name"] for r in body["records"]]
        pages += 1
    assert pages == 3 and "nextRecordsUrl" not in body
    assert seen == [f"P{i:04d}" for i in range(450)]
    # A batch size below 200 is raised to 200; the default is 2000 (one page here).
    small = api.get("query/", params={"q": q}, headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(small.json()["records"]) == 200
    assert api.soql(q)["done"] is True
    # queryAll pages through queryAll/ locators.
    all_first = api.get("queryAll/", params={"q": q},
                        headers={"Sforce-Query-Options": "batchSize=300"}).json()
    assert NEXT_RE.match(all_first["nextRecordsUrl"]).group(1) == "queryAll"
    rest = api.get(all_first["nextRecordsUrl"]).json()
    assert len(rest["records"]) == 150 and rest["done"] is True
    # A locator belongs to its org, and offsets past the end are refused.
    assert rest_client(orgs, "A").get(all_first["nextRecordsUrl"]).status_code == 400
    locator = all_first["nextRecordsUrl"].rsplit("-", 1)[0]
    assert api.get(f"{locator}-450").status_code == 400


def test_invalid_locator_is_400(orgs):
    resp = rest_client(orgs, "B").get("query/01gXXXXXXXXXXXXXXX-2000")
    assert resp.status_code == 400
    assert resp.json() == [{"message": "invalid query locator",
                            "errorCode": "INVALID_QUERY_LOCATOR"}]


@pytest.mark.parametrize("q", [
    "SELECT Id FROM Account WHERE CreatedDate > 2024-13-45T00:00:00Z",
    "SELECT Id FROM Account WHERE CreatedDate > 0001-01-01T00:00:00+23:59",
    "SELECT Id FROM Account WHERE CreatedDate > 2024-01-01",
    "SELECT Id FROM Account WHERE NumberOfEmployees > 99999999999999999999999",
    "SELECT Id FROM Account LIMIT 99999999999999999999999",
    "SELECT Id FROM Account WHERE Name = 'unterminated",
    "SELECT Id FROM Account WHERE Name = 'bad \\q escape'",
    "SELECT Id FROM Account WHERE Name LIKE 5",
    "SELECT Id FROM Account WHERE Name > null",
    "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:3",
    "SELECT Id FROM Account WHERE ((((Name = 'a'",
    "SELECT Owner.Name FROM Account",
    "SELECT Id FROM Account ORDER BY Description",
    "SELECT COUNT( FROM Account",
    "SELECT Id FROM Account WHERE Name IN ()",
    "SELECT \u00e9 FROM Account",
    "SELECT Id FROM Account; DROP TABLE records",
    " AND ".join(["SELECT Id FROM Account WHERE Name = 'x'"] + ["Name = 'y'"] * 400),
])
def test_odd_queries_never_give_a_500(orgs, q):
    resp = rest_client(orgs, "B").get("query/", params={"q": q})
    assert resp.status_code in (200, 400), resp.text
    if resp.status_code == 400:
        assert resp.json()[0]["errorCode"] in {"MALFORMED_QUERY", "INVALID_FIELD",
                                               "INVALID_QUERY_FILTER_OPERATOR"}
