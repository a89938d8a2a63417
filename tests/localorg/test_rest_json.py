"""Malformed request bodies: 400 JSON_PARSER_ERROR, 415, 413, and nothing written (B-28, B-29).

After every rejected request the stored record count is unchanged and a valid request
still succeeds.
"""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit

import pytest

from localorg.web import MAX_BODY_BYTES
from tests.localorg.rest_api import VERSION, rest_client, stored_count

JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 200_000 + b"]" * 200_000
MALFORMED = {
    "invalid JSON": b'{"Name": "x",}',
    "truncated": b'{"Name": "x"',
    "empty body": b"",
    "invalid UTF-8": b'{"Name": "\xff\xfe"}',
    "NaN": b'{"Name": "x", "AnnualRevenue": NaN}',
    "Infinity": b'{"Name": "x", "AnnualRevenue": -Infinity}',
    "duplicate keys": b'{"Name": "x", "Name": "y"}',
    "duplicate keys in another case": b'{"Name": "x", "name": "y"}',
    "deep nesting": DEEP,
    "array instead of object": b'[{"Name": "x"}]',
    "string instead of object": b'"Name"',
    "unpaired surrogate escape": b'{"Name": "\\ud800"}',
    "integer of 5000 digits": b'{"Name": "x", "NumberOfEmployees": ' + b"9" * 5000 + b"}",
    "integer too large for a float": b'{"Name": "x", "AnnualRevenue": 1' + b"0" * 400 + b"}",
    "number too large": b'{"Name": "x", "AnnualRevenue": 1e400}',
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_json_is_400_and_writes_nothing_B29(orgs, case):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post("sobjects/Account/", data=MALFORMED[case], headers=JSON)
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert "Traceback" not in body[0]["message"]
    assert stored_count(orgs) == before
    assert api.post("sobjects/Account/", json={"Name": f"valid after {case}"}).status_code == 201


@pytest.mark.parametrize("path,method", [("composite/sobjects", "POST"),
                                         ("composite/sobjects/Account/Source_Id__c", "PATCH"),
                                         ("sobjects/Account/Source_Id__c/json-case", "PATCH")])
def test_malformed_json_on_other_write_resources_B29(orgs, path, method):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    for raw in (b'{"records": [', b'{"records": [], "records": []}', b"\xc3\x28", DEEP):
        resp = api.request(method, path, data=raw, headers=JSON)
        assert resp.status_code == 400
        assert resp.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert stored_count(orgs) == before


def test_parser_messages_carry_a_position_B29(orgs):
    api = rest_client(orgs, "B")
    msg = api.post("sobjects/Account/", data=b'{"Name" "x"}', headers=JSON).json()[0]["message"]
    assert msg.startswith("Unexpected character ('\"' (code 34))")
    assert msg.endswith("at [line:1, column:9]")
    dup = api.post("sobjects/Account/", data=b'{"Name": "x", "Name": "y"}', headers=JSON)
    assert dup.json()[0]["message"] == "Duplicate field 'Name'"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "text/xml"])
def test_wrong_content_type_is_415_B29(orgs, content_type):
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    resp = api.post("sobjects/Account/", data=b'{"Name": "x"}',
                    headers={"Content-Type": content_type})
    assert resp.status_code == 415
    assert resp.json()[0]["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"
    assert stored_count(orgs) == before
    charset = api.post("sobjects/Account/", data=b'{"Name": "charset ok"}',
                       headers={"Content-Type": "application/json; charset=UTF-8"})
    assert charset.status_code == 201


def test_body_over_the_size_limit_is_413_without_reading_it_B28(orgs):
    """The server answers 413 from Content-Length alone, before the body is sent.

    (A client streaming the whole body first would see the connection closed under it,
    which is what "without reading the body" means; hence the raw HTTP client here.)
    """
    api = rest_client(orgs, "B")
    before = stored_count(orgs)
    parts = urlsplit(orgs.instance_url("B"))
    context = ssl.create_default_context(cafile=orgs.ca_bundle)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=30)
    try:
        conn.putrequest("POST", f"/services/data/{VERSION}/sobjects/Account/")
        conn.putheader("Authorization", f"Bearer {api.access_token}")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        conn.endheaders()
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 413
    assert body[0]["errorCode"] == "REQUEST_ENTITY_TOO_LARGE"
    assert stored_count(orgs) == before
    assert api.post("sobjects/Account/", json={"Name": "after 413"}).status_code == 201
