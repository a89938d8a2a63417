"""sObject resources: describe, create/get/update/delete and upsert of Accounts.

Checklist items: B-30 (Salesforce-shaped field errors), B-32 (upsert semantics).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote_plus

from simple_salesforce import format_soql

from localorg.ids import to18
from tests.localorg.rest_api import VERSION, rest_client, stored_count

NOT_FOUND = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_describe_global_metadata_and_describe(orgs):
    api = rest_client(orgs, "B")
    glob = api.get("sobjects").json()
    assert [s["name"] for s in glob["sobjects"]] == ["Account", "Organization", "User"]
    assert glob["sobjects"][0]["keyPrefix"] == "001"
    meta = api.get("sobjects/Account/").json()
    assert meta["objectDescribe"]["name"] == "Account"
    assert isinstance(meta["recentItems"], list)
    desc = api.get("sobjects/Account/describe").json()
    fields = {f["name"]: f for f in desc["fields"]}
    assert fields["Name"]["length"] == 255 and not fields["Name"]["nillable"]
    assert fields["Description"]["type"] == "textarea"
    assert fields["Description"]["length"] == 32000
    assert fields["NumberOfEmployees"]["type"] == "int"
    assert fields["Id"]["createable"] is False
    assert fields["CreatedDate"]["updateable"] is False
    assert fields["Industry"]["type"] == "picklist"
    assert "Energy" in [v["value"] for v in fields["Industry"]["picklistValues"]]
    src = fields["Source_Id__c"]
    assert (src["type"], src["length"], src["externalId"], src["unique"], src["custom"]) == \
        ("string", 255, True, False, True)
    org_a = {f["name"] for f in rest_client(orgs, "A").get("sobjects/Account/describe")
             .json()["fields"]}
    assert "Source_Id__c" not in org_a
    assert {"Id", "Name", "Type", "Industry", "OwnerId", "IsDeleted"} <= org_a


def test_unknown_sobject_is_404(orgs):
    api = rest_client(orgs, "B")
    for path in ("sobjects/Contact/", "sobjects/Contact/describe", "sobjects/Foo__c/001"):
        resp = api.get(path)
        assert resp.status_code == 404
        assert resp.json() == NOT_FOUND


def test_create_get_update_delete_roundtrip(orgs):
    api = rest_client(orgs, "B")
    resp = api.post("sobjects/Account/", json={"Name": "Express Logistics", "Industry": "Energy",
                                               "NumberOfEmployees": 12,
                                               "AnnualRevenue": 1500.5, "Type": "Any text"})
    assert resp.status_code == 201
    body = resp.json()
    assert list(body) == ["id", "success", "errors"]
    assert body["success"] is True and body["errors"] == []
    rid = body["id"]
    assert rid.startswith("001") and len(rid) == 18 and to18(rid[:15]) == rid
    rec = api.get(f"sobjects/Account/{rid}").json()
    assert rec["attributes"] == {"type": "Account",
                                 "url": f"/services/data/{VERSION}/sobjects/Account/{rid}"}
    assert rec["Id"] == rid and rec["Name"] == "Express Logistics"
    assert rec["NumberOfEmployees"] == 12 and rec["AnnualRevenue"] == 1500.5
    assert rec["Type"] == "Any text"  # unrestricted picklist
    assert rec["IsDeleted"] is False
    assert rec["CreatedById"].startswith("005") and rec["OwnerId"] == rec["CreatedById"]
    assert rec["CreatedDate"].endswith("+0000")
    # 15-character ids work too, and ?fields= picks fields.
    short = api.get(f"sobjects/Account/{rid[:15]}", params={"fields": "name,Industry"}).json()
    assert list(short) == ["attributes", "Name", "Industry"]
    upd = api.patch(f"sobjects/Account/{rid}", json={"Description": "Updated", "Industry": None})
    assert upd.status_code == 204 and upd.text == ""
    rec2 = api.get(f"sobjects/Account/{rid}").json()
    assert rec2["Description"] == "Updated" and rec2["Industry"] is None
    assert rec2["LastModifiedDate"] >= rec["LastModifiedDate"]
    assert api.delete(f"sobjects/Account/{rid}").status_code == 204
    assert api.get(f"sobjects/Account/{rid}").json() == NOT_FOUND
    again = api.delete(f"sobjects/Account/{rid}")
    assert again.status_code == 404 and again.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    # Updating a deleted record is ENTITY_IS_DELETED too, not NOT_FOUND (Salesforce).
    patched = api.patch(f"sobjects/Account/{rid}", json={"Name": "x"})
    assert patched.status_code == 404
    assert patched.json() == [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED",
                               "fields": []}]
    other = rid[:14] + ("Y" if rid[14] == "X" else "X")  # another id: 1 in 62 ids ended in X
    assert api.patch(f"sobjects/Account/{other}", json={"Name": "x"}).json() == NOT_FOUND
    # Soft delete: still there for queryAll, with IsDeleted.
    q = format_soql("SELECT Id, IsDeleted FROM Account WHERE Id = {}", rid)
    assert api.get("query/", params={"q": q}).json()["totalSize"] == 0
    gone = api.get("queryAll/", params={"q": q}).json()
    assert gone["records"][0]["IsDeleted"] is True


def test_unknown_record_and_non_id_segment_are_404(orgs):
    api = rest_client(orgs, "B")
    assert api.get("sobjects/Account/001000000000000AAA").json() == NOT_FOUND
    resp = api.get("sobjects/Account/not-an-id")
    assert resp.status_code == 404
    assert resp.json()[0]["errorCode"] == "NOT_FOUND"
    # A record of ORG A is not visible in ORG B.
    a_id = rest_client(orgs, "A").soql("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    assert api.get(f"sobjects/Account/{a_id}").status_code == 404


def test_field_errors_have_salesforce_shape_and_write_nothing_B30(orgs):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    cases = [
        ({"Description": "no name"}, "REQUIRED_FIELD_MISSING",
         "Required fields are missing: [Name]", ["Name"]),
        ({"Name": None}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]",
         ["Name"]),
        ({"Name": "x" * 256}, "STRING_TOO_LONG", None, ["Name"]),
        ({"Name": "ok", "Bogus__c": 1}, "INVALID_FIELD",
         "No such column 'Bogus__c' on sobject of type Account", ["Bogus__c"]),
        ({"Name": "ok", "CreatedDate": "2024-01-01T00:00:00.000+0000"},
         "INVALID_FIELD_FOR_INSERT_UPDATE", None, ["CreatedDate"]),
        ({"Name": "ok", "OwnerId": "005000000000000AAA"}, "INVALID_CROSS_REFERENCE_KEY",
         "invalid cross reference id", ["OwnerId"]),
    ]
    for body, code, message, fields in cases:
        resp = api.post("sobjects/Account/", json=body)
        assert resp.status_code == 400, body
        err = resp.json()
        assert isinstance(err, list) and len(err) == 1
        assert err[0]["errorCode"] == code
        assert err[0]["fields"] == fields
        if message:
            assert err[0]["message"] == message
    too_long = api.post("sobjects/Account/", json={"Name": "y" * 300}).json()[0]["message"]
    assert too_long.startswith("Account Name: data value too large")
    assert "y" * 20 not in too_long  # the payload is not echoed (B-30)
    id_in_body = api.post("sobjects/Account/", json={"Id": "001000000000000AAA", "Name": "x"})
    assert id_in_body.json() == [{"message": "The Id field should not be specified in the "
                                             "sobject data.", "errorCode": "INVALID_FIELD"}]
    for bad in ({"Name": "ok", "NumberOfEmployees": "many"}, {"Name": {"first": "x"}},
                {"Name": "ok", "AnnualRevenue": [1]}, {"Name": "ok", "NumberOfEmployees": 1.5},
                {"Name": "ok", "NumberOfEmployees": True}, {"Name": "ok", "AnnualRevenue": "NaN"}):
        resp = api.post("sobjects/Account/", json=bad)
        assert resp.status_code == 400
        assert resp.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert stored_count(orgs) == before
    rid = api.create(Name="Valid after errors", NumberOfEmployees="42")  # numeric text is fine
    assert api.get(f"sobjects/Account/{rid}").json()["NumberOfEmployees"] == 42
    rid = api.create(Name="Revenue as text", AnnualRevenue="1500.5")
    assert api.get(f"sobjects/Account/{rid}").json()["AnnualRevenue"] == 1500.5
    upd = api.patch(f"sobjects/Account/{rid}", json={"Name": ""})
    assert upd.status_code == 400 and upd.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_upsert_by_external_id_B32(orgs):
    api = rest_client(orgs, "B")
    key = f"src-{uuid.uuid4().hex[:8]}"
    new = api.patch(f"sobjects/Account/Source_Id__c/{key}", json={"Name": "Upserted"})
    assert new.status_code == 201
    assert new.json()["created"] is True and new.json()["success"] is True
    rid = new.json()["id"]
    same = api.patch(f"sobjects/Account/Source_Id__c/{key.upper()}", json={"Phone": "555"})
    assert same.status_code == 200  # external ids match case-insensitively, like Salesforce
    assert same.json() == {"id": rid, "success": True, "errors": [], "created": False}
    rec = api.get(f"sobjects/Account/Source_Id__c/{key}").json()
    assert rec["Id"] == rid and rec["Phone"] == "555" and rec["Source_Id__c"] == key
    # A second record with the same (non-unique) external id makes the key ambiguous.
    api.create(Name="Twin", Source_Id__c=key)
    several = api.patch(f"sobjects/Account/Source_Id__c/{key}", json={"Name": "x"})
    assert several.status_code == 300
    urls = several.json()
    assert len(urls) == 2 and f"/services/data/{VERSION}/sobjects/Account/{rid}" in urls
    assert api.get(f"sobjects/Account/Source_Id__c/{key}").status_code == 300
    missing_name = api.patch(f"sobjects/Account/Source_Id__c/new-{key}", json={"Phone": "1"})
    assert missing_name.status_code == 400
    assert missing_name.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_upsert_value_with_space_and_slash_as_simple_salesforce_sends_it(orgs):
    api = rest_client(orgs, "B")
    value = f"a b/{uuid.uuid4().hex[:6]}"
    resp = api.patch(f"sobjects/Account/Source_Id__c/{quote_plus(value)}", json={"Name": "Sp"})
    assert resp.status_code == 201
    rec = api.get(f"sobjects/Account/{resp.json()['id']}").json()
    assert rec["Source_Id__c"] == value


def test_upsert_on_a_field_that_is_not_an_external_id(orgs):
    """ORG A has no Source_Id__c: 404 NOT_FOUND; Name is not an External ID: 400."""
    a = rest_client(orgs, "A")
    resp = a.patch("sobjects/Account/Source_Id__c/x1", json={"Name": "n"})
    assert resp.status_code == 404
    assert resp.json() == [{"message": "Provided external ID field does not exist or is not "
                                       "accessible: Source_Id__c", "errorCode": "NOT_FOUND"}]
    resp = rest_client(orgs, "B").patch("sobjects/Account/Name/x1", json={"Phone": "1"})
    assert resp.status_code == 400 and resp.json()[0]["errorCode"] == "INVALID_FIELD"


def test_wrong_method_is_405(orgs):
    api = rest_client(orgs, "B")
    resp = api.delete("sobjects/Account/")
    assert resp.status_code == 405
    assert resp.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    assert "Sforce-Limit-Info" in resp.headers
    for path in ("sobjects/Account/describe", "limits/", "query/", "sobjects"):
        assert api.post(path, json={}).status_code == 405, path
