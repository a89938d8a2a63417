"""Bearer authentication, API versions and the daily API request limit of the REST API.

Checklist items: B-24 (expiry), B-26 (bearer header only, malformed headers), B-27 (scope
and org), B-34 (limit switch). Tokens come from the real OAuth flow (tests/localorg/flow.py).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.localorg.flow import get_tokens
from tests.localorg.rest_api import VERSION, rest_client, set_api_usage, token, token_row

INVALID = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_RE = re.compile(r"^api-usage=(\d+)/(\d+)$")


def _fresh_token(orgs, org="B"):
    app = orgs.create_app(name="REST auth fresh", org=org)
    return get_tokens(orgs, app, org=org)["access_token"]


def _get(orgs, path="sobjects", org="B", headers=None, **kw):
    return orgs.session().get(f"{orgs.instance_url(org)}/services/data/{VERSION}/{path}",
                              headers=headers or {}, timeout=30, **kw)


def test_versions_list_needs_no_auth_and_is_not_counted(orgs):
    resp = orgs.session().get(orgs.instance_url("B") + "/services/data/", timeout=30)
    assert resp.status_code == 200
    assert "Sforce-Limit-Info" not in resp.headers
    versions = resp.json()
    by_version = {v["version"]: v for v in versions}
    assert by_version["66.0"] == {"label": "Spring '26", "url": "/services/data/v66.0",
                                  "version": "66.0"}
    assert by_version["60.0"]["label"] == "Spring '24"
    assert by_version["67.0"]["label"] == "Summer '26"
    assert versions[-1]["version"] == "67.0"
    # simple-salesforce 1.12.10 defaults to v59.0, which real orgs still serve.
    assert by_version["59.0"]["label"] == "Winter '24"
    no_slash = orgs.session().get(orgs.instance_url("A") + "/services/data", timeout=30)
    assert no_slash.json() == versions


def test_version_resources_and_unknown_version(orgs):
    api = rest_client(orgs, "B")
    resp = api.get("")
    assert resp.status_code == 200
    assert resp.json()["sobjects"] == f"/services/data/{VERSION}/sobjects"
    assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
    for bad in ("v68.0", "v30.0", "66.0", "vfoo"):
        resp = api.get(f"/services/data/{bad}/sobjects")
        assert resp.status_code == 404, bad
        assert resp.json() == [{"message": "The requested resource does not exist",
                                "errorCode": "NOT_FOUND"}]
    latest = api.get("/services/data/latest/query/", params={"q": "SELECT Id FROM Account"})
    assert latest.status_code == 200
    for rec in latest.json()["records"]:
        assert rec["attributes"]["url"].startswith("/services/data/v67.0/")


def test_unknown_resource_under_a_version_is_404_after_auth(orgs):
    api = rest_client(orgs, "B")
    assert api.get("nosuchthing/here").json()[0]["errorCode"] == "NOT_FOUND"
    assert _get(orgs, "nosuchthing").status_code == 401


def test_missing_header_is_401_with_bearer_challenge_B26(orgs):
    resp = _get(orgs)
    assert resp.status_code == 401
    assert resp.json() == INVALID
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert "Sforce-Limit-Info" not in resp.headers


def test_token_in_query_string_is_ignored_B26(orgs):
    resp = _get(orgs, params={"access_token": token(orgs, "B")})
    assert resp.status_code == 401
    assert resp.json() == INVALID


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "OAuth"])
def test_bearer_scheme_is_case_insensitive_B26(orgs, scheme):
    resp = _get(orgs, headers={"Authorization": f"{scheme} {token(orgs, 'B')}"})
    if scheme == "OAuth":
        assert resp.status_code == 401
    else:
        assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("value", ["", "Bearer", "Bearer ", "Basic dXNlcjpwdw==",
                                   "Bearer \u00e9t\u00e9-token", "Bearer " + "x" * 10_000,
                                   "Bearer 00Dxx!not-a-real-token"])
def test_malformed_or_unknown_tokens_are_401_not_500_B26(orgs, value):
    resp = orgs.session().get(f"{orgs.instance_url('B')}/services/data/{VERSION}/sobjects",
                              headers={"Authorization": value.encode("utf-8")}, timeout=30)
    assert resp.status_code == 401
    assert resp.json() == INVALID
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401_invalid_token_B24(orgs):
    access = _fresh_token(orgs)
    assert _get(orgs, headers={"Authorization": f"Bearer {access}"}).status_code == 200
    row = token_row(orgs, access)
    with orgs.db().tx() as db:
        db.execute("UPDATE oauth_tokens SET expires_at=issued_at WHERE id=?", (row["id"],))
    resp = _get(orgs, headers={"Authorization": f"Bearer {access}"})
    assert resp.status_code == 401
    assert resp.json() == INVALID
    assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_revoked_token_is_401_B24(orgs):
    access = _fresh_token(orgs)
    row = token_row(orgs, access)
    with orgs.db().tx() as db:
        db.execute("UPDATE oauth_tokens SET revoked_at=issued_at WHERE id=?", (row["id"],))
    resp = _get(orgs, headers={"Authorization": f"Bearer {access}"})
    assert resp.status_code == 401
    assert resp.json() == INVALID


def test_token_of_the_other_org_is_401_B27(orgs):
    org_a_token = token(orgs, "A")
    resp = _get(orgs, org="B", headers={"Authorization": f"Bearer {org_a_token}"})
    assert resp.status_code == 401
    assert resp.json() == INVALID
    assert _get(orgs, org="A", headers={"Authorization": f"Bearer {org_a_token}"}).ok


def test_token_without_api_scope_is_401_B27(orgs):
    """Salesforce answers 401 INVALID_SESSION_ID (observed, B-27), not RFC 6750's 403."""
    access = token(orgs, "B", scopes="id refresh_token")
    for resp in (_get(orgs, headers={"Authorization": f"Bearer {access}"}),
                 orgs.session().post(orgs.instance_url("B") +
                                     "/services/apexrest/createAccountRecord", json=[],
                                     headers={"Authorization": f"Bearer {access}"}, timeout=30)):
        assert resp.status_code == 401
        body = resp.json()
        assert body[0]["errorCode"] == "INVALID_SESSION_ID"
        assert "One of the following scopes is required: Manage user data via APIs" \
            in body[0]["message"]


def test_every_call_is_counted_in_sforce_limit_info(orgs):
    api = rest_client(orgs, "A")
    first = LIMIT_RE.match(api.get("sobjects").headers["Sforce-Limit-Info"])
    second = LIMIT_RE.match(api.get("limits/").headers["Sforce-Limit-Info"])
    assert first and second
    assert int(second.group(1)) == int(first.group(1)) + 1
    assert second.group(2) == "15000"
    limits = api.get("limits/").json()
    assert limits["DailyApiRequests"]["Max"] == 15000
    assert limits["DailyApiRequests"]["Remaining"] == 15000 - int(second.group(1)) - 1
    # Errors of an authenticated call count too, like on Salesforce.
    bad = api.get("query/", params={"q": "SELEC"})
    assert bad.status_code == 400
    assert LIMIT_RE.match(bad.headers["Sforce-Limit-Info"]).group(1) == \
        str(int(second.group(1)) + 2)


def test_limit_reached_gives_403_request_limit_exceeded_B34(orgs):
    """B-34's limit switch: the org's stored 24-hour usage is moved to its limit.

    The other half of B-34 (429 + Retry-After) is not Salesforce behaviour for the REST API
    ("Status Codes and Error Responses" mentions no Retry-After), so the local orgs do not
    do it.
    """
    api = rest_client(orgs, "A")
    try:
        set_api_usage(orgs, "A", 14_999)
        last = api.get("sobjects")
        assert last.status_code == 200
        assert last.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"
        refused = api.get("sobjects")
        assert refused.status_code == 403
        assert refused.json() == [{"message": "TotalRequests Limit exceeded.",
                                   "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert refused.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"
        assert "Retry-After" not in refused.headers
        apex = api.post("/services/apexrest/anything", json=[])
        assert apex.status_code == 403
        # ORG B has its own allocation.
        assert rest_client(orgs, "B").get("sobjects").status_code == 200
        # Usage older than 24 hours no longer counts.
        org_id = orgs.info["orgs"]["A"]["org_id"]
        with orgs.db().tx() as db:
            db.execute("UPDATE api_usage SET minute=minute-1440 WHERE org_id=?", (org_id,))
        assert api.get("sobjects").headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    finally:
        set_api_usage(orgs, "A", 0)


def test_org_api_limit_column_sets_the_allocation_B34(orgs):
    org_id = orgs.info["orgs"]["A"]["org_id"]
    api = rest_client(orgs, "A")
    try:
        set_api_usage(orgs, "A", 0)
        with orgs.db().tx() as db:
            db.execute("UPDATE orgs SET api_limit=2 WHERE id=?", (org_id,))
        assert api.get("sobjects").headers["Sforce-Limit-Info"] == "api-usage=1/2"
        assert api.get("sobjects").status_code == 200
        assert api.get("sobjects").status_code == 403
    finally:
        with orgs.db().tx() as db:
            db.execute("UPDATE orgs SET api_limit=15000 WHERE id=?", (org_id,))
        set_api_usage(orgs, "A", 0)


def _expiry(orgs, access: str) -> float:
    return token_row(orgs, access)["expires_at"]


def test_access_token_expires_after_inactivity_not_after_issue_B24(orgs):
    """Salesforce Help, "Manage Session Policies for a Connected App: Session Timeout Control":
    the timeout is how long a session "can remain idle before the access token expires";
    every API call restarts it (the org's 2 hours by default)."""
    access = _fresh_token(orgs)
    row = token_row(orgs, access)
    assert row["expires_at"] - row["issued_at"] == pytest.approx(7200, abs=1)
    with orgs.db().tx() as db:  # issued 3 hours ago, last used almost 2 hours ago
        db.execute("UPDATE oauth_tokens SET issued_at=issued_at-10800, expires_at=? WHERE id=?",
                   (time.time() + 30, row["id"]))
    assert _get(orgs, headers={"Authorization": f"Bearer {access}"}).status_code == 200
    assert _expiry(orgs, access) == pytest.approx(time.time() + 7200, abs=5)
    with orgs.db().tx() as db:  # idle for the whole timeout: gone, and a call does not revive it
        db.execute("UPDATE oauth_tokens SET expires_at=? WHERE id=?", (time.time() - 1,
                                                                       row["id"]))
    assert _get(orgs, headers={"Authorization": f"Bearer {access}"}).status_code == 401
    assert _expiry(orgs, access) < time.time()


def test_the_apps_own_session_timeout_replaces_the_orgs_B24(orgs):
    """The app's Timeout Value wins over the org's session settings (Salesforce Help, "Manage
    Session Policies for a Connected App"); the identity URL counts as use too."""
    app = orgs.create_app(name="REST auth 15 min", session_timeout_minutes=15)
    tokens = get_tokens(orgs, app)
    access = tokens["access_token"]
    row = token_row(orgs, access)
    assert row["expires_at"] - row["issued_at"] == pytest.approx(900, abs=1)
    with orgs.db().tx() as db:
        db.execute("UPDATE oauth_tokens SET expires_at=? WHERE id=?", (time.time() + 5,
                                                                       row["id"]))
    resp = orgs.session().get(tokens["id"], headers={"Authorization": f"Bearer {access}"},
                              timeout=30)
    assert resp.status_code == 200
    assert _expiry(orgs, access) == pytest.approx(time.time() + 900, abs=5)


@pytest.mark.parametrize("minutes", [0, 7, 10_000, True])
def test_a_session_timeout_that_is_not_a_choice_is_refused(orgs, minutes):
    from localorg import AppSettingsError

    with pytest.raises(AppSettingsError, match="not a choice"):
        orgs.create_app(name="bad timeout", session_timeout_minutes=minutes)
