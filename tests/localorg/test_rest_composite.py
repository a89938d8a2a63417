"""sObject Collections (``composite/sobjects``) and concurrent writes (B-31)."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.localorg.rest_api import rest_client, stored_count

LIMIT_RE = re.compile(r"^api-usage=(\d+)/15000$")


def _acc(**fields):
    return {"attributes": {"type": "Account"}, **fields}


def _used(resp) -> int:
    return int(LIMIT_RE.match(resp.headers["Sforce-Limit-Info"]).group(1))


def test_create_update_retrieve_delete_collection(orgs):
    api = rest_client(orgs, "B")
    created = api.post("composite/sobjects", json={"allOrNone": False, "records": [
        _acc(Name="C1"), _acc(Phone="1"), _acc(Name="C3", Industry="Energy")]})
    assert created.status_code == 200
    results = created.json()
    assert results[0]["success"] and results[2]["success"]
    assert results[1] == {"success": False, "errors": [
        {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]",
         "fields": ["Name"]}]}
    id1, id3 = results[0]["id"], results[2]["id"]
    updated = api.patch("composite/sobjects", json={"records": [
        _acc(id=id1, Phone="111"), _acc(id="001000000000000AAA", Phone="2"),
        _acc(Phone="3"), _acc(id=id3, Name="x" * 300)]}).json()
    assert updated[0] == {"id": id1, "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert updated[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert updated[3]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    got = api.get("composite/sobjects/Account",
                  params={"ids": f"{id1},{id3},001000000000000AAA", "fields": "Name,Phone"}).json()
    assert [r and (r["Name"], r["Phone"]) for r in got] == [("C1", "111"), ("C3", None), None]
    deleted = api.delete("composite/sobjects", params={"ids": f"{id1},{id3},bogus",
                                                       "allOrNone": "false"}).json()
    assert [d["success"] for d in deleted] == [True, True, False]
    assert deleted[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    again = api.delete("composite/sobjects", params={"ids": id1}).json()
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_all_or_none_rolls_back_everything(orgs):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post("composite/sobjects", json={"allOrNone": True, "records": [
        _acc(Name="ok 1"), _acc(Name="x" * 256), _acc(Name="ok 3")]})
    assert resp.status_code == 200
    results = resp.json()
    assert results[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    for r in (results[0], results[2]):
        assert r == {"success": False, "errors": [{
            "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "message": "Record rolled back because not all records were valid and the request "
                       "was using AllOrNone header", "fields": []}]}
    assert stored_count(orgs) == before
    rid = api.create(Name="keep")
    rolled = api.delete("composite/sobjects", params={"ids": f"{rid},001000000000000AAA",
                                                      "allOrNone": "true"}).json()
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert api.get(f"sobjects/Account/{rid}").status_code == 200


def test_more_than_200_records_is_400_and_a_call_counts_once(orgs):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post("composite/sobjects",
                    json={"records": [_acc(Name=f"n{i}") for i in range(201)]})
    assert resp.status_code == 400
    assert resp.json() == [{"message": "record limit reached. cannot submit more than 200 "
                                       "records into this call", "errorCode": "EXCEEDED_ID_LIMIT"}]
    assert stored_count(orgs) == before
    ok = api.post("composite/sobjects", json={"records": [_acc(Name=f"n{i}") for i in range(200)]})
    assert len(ok.json()) == 200 and all(r["success"] for r in ok.json())
    after = api.get("limits/")
    assert _used(after) == _used(ok) + 1
    ids = ",".join(["001000000000000AAA"] * 201)
    assert api.delete("composite/sobjects", params={"ids": ids}).status_code == 400


def test_records_need_attributes_type(orgs):
    api = rest_client(orgs, "B")
    resp = api.post("composite/sobjects", json={"records": [{"Name": "no type"}]})
    assert resp.status_code == 400 and resp.json()[0]["errorCode"] == "INVALID_TYPE"
    with_id = api.post("composite/sobjects", json={"records": [
        _acc(Name="x", Id="001000000000000AAA")]}).json()
    assert with_id[0]["errors"][0]["message"] == "cannot specify Id in an insert call"


def test_upsert_collection_by_source_id(orgs):
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    first = api.patch("composite/sobjects/Account/Source_Id__c", json={"allOrNone": False,
                      "records": [_acc(Source_Id__c=f"{k}-1", Name="U1"),
                                  _acc(Source_Id__c=f"{k}-2", Name="U2")]}).json()
    assert [(r["success"], r["created"]) for r in first] == [(True, True), (True, True)]
    second = api.patch("composite/sobjects/Account/Source_Id__c", json={"records": [
        _acc(Source_Id__c=f"{k}-1", Name="U1 again"), _acc(Source_Id__c=f"{k}-3", Name="U3"),
        _acc(Name="no key"), _acc(Source_Id__c=f"{k}-4", Name="d1"),
        _acc(Source_Id__c=f"{k}-4", Name="d2")]}).json()
    assert second[0] == {"id": first[0]["id"], "success": True, "errors": [], "created": False}
    assert second[1]["created"] is True
    assert second[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert second[3]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert second[4]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert api.count(f"Source_Id__c = '{k}-1'") == 1
    # Two stored records with one key: that record fails with DUPLICATE_EXTERNAL_ID.
    twin = api.create(Name="twin", Source_Id__c=f"{k}-1")
    third = api.patch("composite/sobjects/Account/Source_Id__c", json={"records": [
        _acc(Source_Id__c=f"{k}-1", Name="x")]}).json()
    err = third[0]["errors"][0]
    assert err["statusCode"] == "DUPLICATE_EXTERNAL_ID" and twin in err["message"]
    a = rest_client(orgs, "A").patch("composite/sobjects/Account/Source_Id__c",
                                     json={"records": [_acc(Source_Id__c="x", Name="x")]})
    assert a.status_code == 404


def test_50_concurrent_creates_give_50_distinct_records_B31(orgs):
    api = rest_client(orgs, "B")
    tag = f"Conc-{uuid.uuid4().hex[:8]}"

    def create(i):
        return api.post("sobjects/Account/", json={"Name": f"c{i}", "BillingCity": tag})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(create, range(50)))
    assert [r.status_code for r in responses] == [201] * 50
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 50
    assert api.count(f"BillingCity = '{tag}'") == 50
    seqs = orgs.db().query("SELECT seq FROM records WHERE json_extract(fields,'$.BillingCity')=?",
                           (tag,))
    assert len({r["seq"] for r in seqs}) == 50
    # Concurrent updates of one record: the last write wins, nothing breaks.
    rid = next(iter(ids))
    with ThreadPoolExecutor(max_workers=20) as pool:
        upd = list(pool.map(lambda i: api.patch(f"sobjects/Account/{rid}",
                                                json={"Phone": str(i)}), range(20)))
    assert {r.status_code for r in upd} == {204}
    assert api.get(f"sobjects/Account/{rid}").json()["Phone"] in {str(i) for i in range(20)}


def test_upsert_collection_matches_what_a_one_record_upsert_matches(orgs):
    """A collection upsert looks its keys up together; each must find exactly what the
    one-record resource finds: ASCII case folded, other letters not (SQLite NOCASE), and
    several matches listed oldest first."""
    api = rest_client(orgs, "B")
    k = uuid.uuid4().hex[:8]
    for value in (f"AbC-{k}", f"Àb-{k}", f"x-{k}", f"X-{k}"):
        api.create(Name="stored", Source_Id__c=value)
    keys = [f"abc-{k}", f"àb-{k}", f"x-{k}", f"new-{k}"]
    single = {key: api.get(f"sobjects/Account/Source_Id__c/{key}", params={"fields": "Id"})
              for key in keys}
    assert [single[key].status_code for key in keys] == [200, 404, 300, 404]
    results = api.patch("composite/sobjects/Account/Source_Id__c", json={"records": [
        _acc(Source_Id__c=key, Name="batch") for key in keys]}).json()
    assert results[0] == {"id": single[keys[0]].json()["Id"], "success": True, "errors": [],
                          "created": False}
    assert results[1]["created"] is True and results[3]["created"] is True
    listed = [url.rsplit("/", 1)[1] for url in single[keys[2]].json()]
    assert results[2]["errors"][0]["message"] == (
        f"Account: more than one record found for external id field: [{', '.join(listed)}]")


def test_collection_inserts_are_numbered_in_record_order_also_concurrently(orgs):
    """Records of one call are stored in request order (CreatedDate ties keep it), and
    calls running at once never share an insertion number."""
    api = rest_client(orgs, "B")
    tag = f"Order-{uuid.uuid4().hex[:8]}"

    def create(i):
        return api.post("composite/sobjects", json={"records": [
            _acc(Name=f"{i}-{j:03d}", BillingCity=tag) for j in range(50)]})

    def upsert(i):
        return api.patch("composite/sobjects/Account/Source_Id__c", json={"records": [
            _acc(Name=f"{i}-{j:03d}", BillingCity=tag, Source_Id__c=f"{tag}-{i}-{j}")
            for j in range(50)]})

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda i: (create if i % 2 else upsert)(i), range(4)))
    assert all(r.status_code == 200 and all(x["success"] for x in r.json()) for r in responses)
    rows = orgs.db().query("SELECT json_extract(fields, '$.Name') AS name, seq FROM records "
                           "WHERE json_extract(fields, '$.BillingCity')=? ORDER BY seq", (tag,))
    assert len({r["seq"] for r in rows}) == len(rows) == 200
    for i in range(4):
        names = [r["name"] for r in rows if r["name"].startswith(f"{i}-")]
        assert names == [f"{i}-{j:03d}" for j in range(50)]
    last = max(r["seq"] for r in rows)
    later = api.create(Name="after", BillingCity=tag)
    assert orgs.db().one("SELECT seq FROM records WHERE id=?", (later,))["seq"] > last
