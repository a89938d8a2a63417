"""What Salesforce's own clients (jsforce, the sf CLI) need from the local orgs.

* the ``User`` sObject, read-only: ``sf org login web`` reads
  ``GET /services/data/v51.0/sobjects/User/<user_id>`` for the Username after every login
  (``@salesforce/core`` ``AuthInfo.retrieveUserInfo``);
* ``query?q=...&columns=true``: ``sf data query`` asks for the column metadata after every
  non-empty result (``@salesforce/plugin-data`` ``retrieveColumns``);
* jsforce's PKCE verifier of 171 characters (base64url of 128 random bytes).

The end-to-end runs of the real clients are in tests/realclients/.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest
from simple_salesforce import format_soql

from localorg.ids import to15
from tests.localorg.flow import authorize
from tests.localorg.rest_api import VERSION, rest_client
from tests.localorg.test_oauth_token import assert_error, code_form, post

NOT_FOUND = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def user_row(orgs, org: str = "B"):
    return orgs.db().user_by_username(orgs.user(org)["username"])


# --- PKCE: jsforce's verifier -------------------------------------------------------------

def jsforce_pair() -> tuple[str, str]:
    """Like jsforce's OAuth2 with ``useVerifier``: base64url(128 random bytes), 171 chars."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(128)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def test_jsforce_171_character_verifier_is_accepted(orgs):
    """jsforce lib/oauth2.js sends 171 characters (RFC 7636 4.1 says at most 128); real orgs
    accept it on every `sf org login web`, so the local orgs must too. Wrong ones still fail
    (B-18)."""
    app = orgs.create_app(name="jsforce verifier")
    verifier, challenge = jsforce_pair()
    assert len(verifier) == 171
    code = authorize(orgs, app.client_id, code_challenge=challenge).code
    other, _ = jsforce_pair()
    assert_error(post(orgs, code_form(app, code, other)), "invalid_grant",
                 "invalid code verifier")
    assert_error(post(orgs, code_form(app, code, verifier[:-1] + "+")), "invalid_grant",
                 "invalid code verifier")
    resp = post(orgs, code_form(app, code, verifier))
    assert resp.status_code == 200, resp.text
    assert resp.json()["access_token"]


# --- the User sObject ---------------------------------------------------------------------

def test_get_user_by_15_and_18_character_id(orgs):
    """What the sf CLI reads after login: GET v51.0 sobjects/User/<id> -> Username."""
    api = rest_client(orgs, "B")
    row = user_row(orgs)
    for ident in (row["id"], to15(row["id"])):
        resp = api.get(f"/services/data/v51.0/sobjects/User/{ident}")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["attributes"] == {"type": "User",
                                      "url": f"/services/data/v51.0/sobjects/User/{row['id']}"}
        assert body["Id"] == row["id"]
        assert body["Username"] == orgs.user("B")["username"]
        assert body["Name"] == f"{row['first_name']} {row['last_name']}"
        assert (body["Email"], body["IsActive"]) == (row["email"], True)
    only = api.get(f"sobjects/User/{row['id']}", params={"fields": "username,Id"}).json()
    assert list(only) == ["attributes", "Username", "Id"]
    bad = api.get(f"sobjects/User/{row['id']}", params={"fields": "Password"})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"


def test_user_of_another_org_or_unknown_id_is_404(orgs):
    api = rest_client(orgs, "B")
    for ident in (user_row(orgs, "A")["id"], "005000000000000AAA", "not-an-id",
                  "001000000000000AAA"):
        resp = api.get(f"sobjects/User/{ident}")
        assert (resp.status_code, resp.json()) == (404, NOT_FOUND), ident


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "sobjects/User/"), ("PATCH", "sobjects/User/{id}"),
    ("DELETE", "sobjects/User/{id}"), ("POST", "sobjects/User/describe"),
])
def test_users_are_read_only(orgs, method, path):
    """Users come from the server (demo users, learners); writes get Salesforce's 405."""
    api = rest_client(orgs, "B")
    row = user_row(orgs)
    resp = api.request(method, path.format(id=row["id"]), json={"LastName": "Changed"})
    assert resp.status_code == 405
    body = resp.json()[0]
    assert body["errorCode"] == "METHOD_NOT_ALLOWED"
    assert body["message"].startswith(f"HTTP Method '{method}' not allowed. Allowed are GET")
    assert user_row(orgs)["last_name"] == row["last_name"]  # nothing changed


def test_user_describe_and_describe_global(orgs):
    api = rest_client(orgs, "B")
    names = [s["name"] for s in api.get("sobjects").json()["sobjects"]]
    assert "User" in names
    desc = api.get("sobjects/User/describe").json()
    assert (desc["name"], desc["keyPrefix"], desc["createable"], desc["updateable"],
            desc["deletable"]) == ("User", "005", False, False, False)
    fields = {f["name"]: f for f in desc["fields"]}
    assert {"Id", "Username", "FirstName", "LastName", "Name", "Email", "IsActive"} == set(fields)
    assert (fields["Username"]["length"], fields["Email"]["type"]) == (80, "email")
    meta = api.get("sobjects/user").json()  # object names are case-insensitive
    assert meta["objectDescribe"]["name"] == "User"
    recent = meta["recentItems"]  # the newest users (other tests add learners)
    assert 1 <= len(recent) <= 5
    assert all(r["attributes"]["type"] == "User" and r["Id"].startswith("005") and r["Name"]
               for r in recent)


def test_soql_on_user(orgs):
    api = rest_client(orgs, "B")
    row = user_row(orgs)
    username = orgs.user("B")["username"]
    out = api.soql(format_soql("SELECT Id, Username, Name, IsActive FROM User "
                               "WHERE Username = {}", username))
    assert out["totalSize"] == 1 and out["done"] is True
    rec = out["records"][0]
    assert rec["attributes"]["type"] == "User"
    assert (rec["Id"], rec["Username"], rec["IsActive"]) == (row["id"], username, True)
    assert api.soql(format_soql("SELECT Id FROM User WHERE Id = {} AND IsActive = true",
                                to15(row["id"])))["records"][0]["Id"] == row["id"]
    like = api.soql(format_soql("SELECT Name FROM User WHERE Name LIKE {} ORDER BY Name",
                                row["first_name"] + "%"))
    assert like["records"][0]["Name"] == f"{row['first_name']} {row['last_name']}"
    # ORG B's token sees ORG B's users only.
    assert api.soql(format_soql("SELECT Id FROM User WHERE Username = {}",
                                orgs.user("A")["username"]))["totalSize"] == 0
    err = api.get("query/", params={"q": "SELECT Password FROM User"})
    assert err.status_code == 400
    assert err.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Password' on entity 'User'" in err.json()[0]["message"]


def test_user_query_pages_past_the_batch_size(fresh_orgs):
    """A workshop room can have hundreds of users: the cursor serves User pages too."""
    orgs = fresh_orgs
    org_id = orgs.info["orgs"]["B"]["org_id"]
    with orgs.db().tx() as db:
        for i in range(230):
            db.execute("INSERT INTO users(id, org_id, username, password_hash, first_name, "
                       "last_name, email, created_at) VALUES(?,?,?,?,?,?,?,?)",
                       (f"005PAGE{i:011d}", org_id, f"page{i}@org-b.localorg.test", "x",
                        "Page", f"User {i:03d}", f"page{i}@example.com", 1.0))
    api = rest_client(orgs, "B")
    first = api.get("query/", params={"q": "SELECT Username FROM User WHERE LastName LIKE "
                                           "'User %' ORDER BY LastName"},
                    headers={"Sforce-Query-Options": "batchSize=200"}).json()
    assert (first["totalSize"], first["done"], len(first["records"])) == (230, False, 200)
    rest = api.get(first["nextRecordsUrl"]).json()
    assert rest["done"] is True
    got = [r["Username"] for r in first["records"] + rest["records"]]
    assert got == [f"page{i}@org-b.localorg.test" for i in range(230)]
    assert rest["records"][0]["attributes"]["type"] == "User"


# --- query?columns=true ---------------------------------------------------------------------

def test_columns_metadata_of_an_account_query(orgs):
    """The sf CLI prints one column per ``columnMetadata[].columnName`` (plugin-data)."""
    api = rest_client(orgs, "B")
    resp = api.get("query/", params={"q": "SELECT Id, name, NumberOfEmployees, Source_Id__c "
                                          "FROM Account LIMIT 1", "columns": "true"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {k: body[k] for k in ("entityName", "groupBy", "idSelected", "keyPrefix")} == \
        {"entityName": "Account", "groupBy": False, "idSelected": True, "keyPrefix": "001"}
    cols = body["columnMetadata"]
    assert [c["columnName"] for c in cols] == ["Id", "Name", "NumberOfEmployees", "Source_Id__c"]
    assert cols[0] == {"aggregate": False, "apexType": "Id", "booleanType": False,
                       "columnName": "Id", "custom": False, "displayName": "Id",
                       "foreignKeyName": None, "insertable": False, "joinColumns": [],
                       "numberType": False, "textType": False, "updatable": False}
    assert (cols[1]["apexType"], cols[1]["textType"], cols[1]["insertable"]) == \
        ("String", True, True)
    assert (cols[2]["apexType"], cols[2]["numberType"]) == ("Integer", True)
    assert cols[3]["custom"] is True
    assert "records" not in body and "totalSize" not in body


def test_columns_metadata_of_user_count_and_bad_queries(orgs):
    api = rest_client(orgs, "B")

    def columns(q):
        return api.get("query/", params={"q": q, "columns": "true"})

    user = columns("SELECT Username, IsActive FROM User").json()
    assert (user["entityName"], user["keyPrefix"], user["idSelected"]) == ("User", "005", False)
    assert [(c["columnName"], c["apexType"], c["booleanType"]) for c in user["columnMetadata"]] \
        == [("Username", "String", False), ("IsActive", "Boolean", True)]
    assert columns("SELECT COUNT() FROM Account").json()["columnMetadata"] == []
    # Bad queries fail exactly like the query itself (never a 500).
    for q in ("SELECT Nope FROM Account", "SELECT Id FROM Contact", "SELEC Id", ""):
        got, plain = columns(q), api.get("query/", params={"q": q})
        assert got.status_code == plain.status_code == 400, q
        assert got.json() == plain.json()


def test_versions_and_limits_used_by_the_clients(orgs):
    """jsforce/sf read /services/data (no auth) and limits/ (`sf org list limits`)."""
    api = rest_client(orgs, "B")
    versions = orgs.session().get(f"{orgs.instance_url('B')}/services/data").json()
    assert {"version": VERSION[1:], "url": f"/services/data/{VERSION}"}.items() <= \
        next(v for v in versions if v["version"] == VERSION[1:]).items()
    assert any(v["version"] == "51.0" for v in versions)  # the CLI's User lookup version
    limits = api.get("limits").json()
    assert set(limits["DailyApiRequests"]) == {"Max", "Remaining"}


# --- Organization ---------------------------------------------------------------------------

def test_organization_answers_the_sf_cli_query(orgs):
    """@salesforce/core determineOrg asks this before an org's first command."""
    api = rest_client(orgs, "B")
    org = orgs.info["orgs"]["B"]
    out = api.soql("SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, "
                   "OrganizationType FROM Organization")
    assert out["totalSize"] == 1
    rec = out["records"][0]
    assert rec == {"attributes": {"type": "Organization",
                                  "url": f"/services/data/{VERSION}/sobjects/Organization/"
                                         f"{org['org_id']}"},
                   "Name": org["name"], "InstanceName": None, "IsSandbox": False,
                   "TrialExpirationDate": None, "NamespacePrefix": None,
                   "OrganizationType": "Developer Edition"}
    assert api.soql("SELECT Id FROM Organization WHERE IsSandbox = true")["totalSize"] == 0
    got = api.get(f"sobjects/Organization/{to15(org['org_id'])}", params={"fields": "Id,Name"})
    assert got.json()["Id"] == org["org_id"]
    other = api.get(f"sobjects/Organization/{orgs.info['orgs']['A']['org_id']}")
    assert (other.status_code, other.json()) == (404, NOT_FOUND)
    assert api.patch(f"sobjects/Organization/{org['org_id']}", json={"Name": "x"}
                     ).status_code == 405
    desc = api.get("sobjects/Organization/describe").json()
    assert (desc["keyPrefix"], desc["updateable"]) == ("00D", False)
