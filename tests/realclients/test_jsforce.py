"""jsforce 3.10 (Salesforce's JavaScript client, the sf CLI's HTTP layer) against ORG B.

One run of tests/realclients/js/jsforce_flow.js: jsforce's web server flow with its own
PKCE (``OAuth2({useVerifier: true})``: a 171-character verifier), the login and consent
pages completed by ``localorg.ScriptedBrowser``, then ``Connection.authorize(code)``, CRUD on
Account, more than 2000 records read with ``queryMore`` and ``autoFetch``, and the tutorial's
Apex REST service through ``conn.apex.post``, ``identity()``, ``describeGlobal()``, the User
record, ``limits()`` and ``logout()`` (token revocation).
Checklist: B-18 (PKCE), B-25 (revocation), A-28 (no secret in output).
Sources: jsforce documentation, "OAuth2 Web Server Flow" and "Query" (https://jsforce.github.io/document/).
"""

from __future__ import annotations

import json
import subprocess
import uuid

import localorg
from tests.realclients.conftest import JS_DIR

CALLBACK = "http://localhost:1717/OauthRedirect"
MANY = 2100  # more than one query batch of 2000 (REST API Developer Guide, Query)


def test_jsforce_web_server_flow_crud_paging_and_apex_rest(real_orgs, node_tools):
    orgs = real_orgs
    app = orgs.create_app(name="jsforce", callback_urls=[CALLBACK])
    tag = f"jsf-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([str(node_tools.node), str(JS_DIR / "jsforce_flow.js")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=node_tools.env(orgs.ca_bundle))
    try:
        proc.stdin.write(json.dumps({"loginUrl": orgs.login_url, "clientId": app.client_id,
                                     "clientSecret": app.client_secret, "redirectUri": CALLBACK,
                                     "tag": tag, "many": MANY}) + "\n")
        proc.stdin.flush()
        first = proc.stdout.readline()
        assert first, proc.stderr.read()
        url = json.loads(first)["authorizationUrl"]
        assert "code_challenge=" in url  # jsforce's PKCE is on
        user = orgs.user("B")
        callback = localorg.ScriptedBrowser(ca_bundle=orgs.ca_bundle).authorize(
            url, user["username"], user["password"])
        proc.stdin.write(callback + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    result = json.loads(out.strip().splitlines()[-1])
    assert "error" not in result, (result, err[-2000:])
    steps = result["steps"]
    assert steps["userInfo"]["organizationId"] == orgs.info["orgs"]["B"]["org_id"]
    assert steps["instanceUrl"] == orgs.instance_url("B")
    assert steps["hasRefreshToken"] is True
    crud = steps["crud"]
    assert crud["created"]["success"] is True and crud["created"]["id"].startswith("001")
    assert (crud["readName"], crud["readIndustry"]) == (f"{tag} crud", "Energy")
    assert crud["updated"]["success"] is True
    assert crud["rereadName"] == f"{tag} crud renamed"
    assert crud["destroyed"]["success"] is True
    assert crud["afterDelete"] == "NOT_FOUND"
    assert steps["paging"] == {
        "inserted": MANY, "totalSize": MANY, "firstDone": False, "firstCount": 2000,
        "secondDone": True, "secondCount": MANY - 2000, "autoFetchCount": MANY,
        "autoFetchInOrder": True}
    assert steps["apex"] == "Success"
    assert steps["apexCount"] == 2
    more = steps["more"]
    assert (more["identityUsername"], more["meUsername"]) == (user["username"], user["username"])
    assert more["identityUserId"] == steps["userInfo"]["id"]
    assert {"Account", "User", "Organization"} <= set(more["sobjects"])
    assert more["dailyApiMax"] == 15000
    assert steps["afterLogout"] == "INVALID_SESSION_ID"  # conn.logout() revoked the token
    assert app.client_secret not in out + err  # jsforce never prints the secret
