"""Refresh (B-23), revocation (Salesforce's behaviour, not RFC 7009: see B-25 in
docs/security.md) and introspection (RFC 7662)."""

from __future__ import annotations

import pytest

from tests.localorg.flow import get_tokens

TOKEN = "/services/oauth2/token"
REVOKE = "/services/oauth2/revoke"
INTROSPECT = "/services/oauth2/introspect"
REFRESH_KEYS = ["access_token", "signature", "scope", "instance_url", "id", "token_type",
                "issued_at"]


def refresh(orgs, app, refresh_token, **extra):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": app.client_id, "client_secret": app.client_secret}
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    return orgs.session().post(orgs.login_url + TOKEN, data=data, timeout=10)


def introspect(orgs, app, token, basic=False):
    s = orgs.session()
    if basic:
        return s.post(orgs.login_url + INTROSPECT, data={"token": token},
                      auth=(app.client_id, app.client_secret), timeout=10)
    return s.post(orgs.login_url + INTROSPECT, data={
        "token": token, "client_id": app.client_id, "client_secret": app.client_secret},
        timeout=10)


def active(orgs, app, token) -> bool:
    return introspect(orgs, app, token).json()["active"]


@pytest.fixture
def app(orgs):
    return orgs.create_app(scopes="api refresh_token id")


def test_refresh_returns_a_new_access_token_and_no_refresh_token(orgs, app):
    tok = get_tokens(orgs, app)
    resp = refresh(orgs, app, tok["refresh_token"])
    assert resp.status_code == 200
    body = resp.json()
    assert list(body) == REFRESH_KEYS  # Salesforce Help: no refresh_token without rotation
    assert body["access_token"] != tok["access_token"]
    assert body["scope"] == tok["scope"] and body["id"] == tok["id"]
    assert resp.headers["Cache-Control"] == "no-store"
    # The old refresh token keeps working (Salesforce: valid until revoked).
    assert refresh(orgs, app, tok["refresh_token"]).status_code == 200
    assert active(orgs, app, tok["access_token"]) and active(orgs, app, body["access_token"])


def test_refresh_with_basic_auth(orgs, app):
    tok = get_tokens(orgs, app)
    resp = orgs.session().post(orgs.login_url + TOKEN, data={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"]},
        auth=(app.client_id, app.client_secret), timeout=10)
    assert resp.status_code == 200


def test_refresh_requires_the_secret_when_the_app_says_so(orgs, app):
    tok = get_tokens(orgs, app)
    resp = refresh(orgs, app, tok["refresh_token"], client_secret=None)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_refresh_without_secret_when_the_app_allows_it(orgs):
    app = orgs.create_app(require_secret_refresh=False)
    tok = get_tokens(orgs, app)
    resp = refresh(orgs, app, tok["refresh_token"], client_secret=None)
    assert resp.status_code == 200 and "signature" not in resp.json()


def test_refresh_token_of_another_client_is_invalid_grant(orgs, app):
    """B-23."""
    other = orgs.create_app(scopes="api refresh_token id")
    tok = get_tokens(orgs, app)
    resp = refresh(orgs, other, tok["refresh_token"])
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant",
                           "error_description": "expired access/refresh token"}


def test_refresh_cannot_widen_the_scope(orgs, app):
    """B-23: wider scope -> invalid_scope; narrower is fine."""
    tok = get_tokens(orgs, app, scope="api refresh_token")
    assert refresh(orgs, app, tok["refresh_token"], scope="api refresh_token id"
                   ).json()["error"] == "invalid_scope"
    narrow = refresh(orgs, app, tok["refresh_token"], scope="api")
    assert narrow.status_code == 200 and narrow.json()["scope"] == "api"


def test_unknown_refresh_token(orgs, app):
    resp = refresh(orgs, app, "5Aep861notatoken")
    assert resp.json() == {"error": "invalid_grant",
                           "error_description": "expired access/refresh token"}


def test_access_token_is_not_a_refresh_token(orgs, app):
    tok = get_tokens(orgs, app)
    assert refresh(orgs, app, tok["access_token"]).json()["error"] == "invalid_grant"


def test_rotation_returns_a_new_refresh_token_and_kills_the_old_one(orgs):
    """Rotation (Salesforce Help); B-23: reusing a rotated-out token revokes the whole grant."""
    app = orgs.create_app(refresh_rotation=True)
    tok = get_tokens(orgs, app)
    first = refresh(orgs, app, tok["refresh_token"]).json()
    assert first["refresh_token"] != tok["refresh_token"]
    assert list(first)[:2] == ["access_token", "refresh_token"]
    second = refresh(orgs, app, first["refresh_token"]).json()
    assert active(orgs, app, second["access_token"])
    # Replaying the first (rotated-out) refresh token: refused, and the grant is revoked.
    replay = refresh(orgs, app, tok["refresh_token"])
    assert replay.json()["error"] == "invalid_grant"
    for value in (tok["access_token"], first["access_token"], second["access_token"],
                  second["refresh_token"]):
        assert not active(orgs, app, value)
    assert refresh(orgs, app, second["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke_access_token_with_post_form(orgs, app):
    tok = get_tokens(orgs, app)
    resp = orgs.session().post(orgs.login_url + REVOKE, data={"token": tok["access_token"]},
                               timeout=10)
    assert resp.status_code == 200
    assert not active(orgs, app, tok["access_token"])
    assert orgs.session().get(tok["id"], headers={
        "Authorization": "Bearer " + tok["access_token"]}, timeout=10).status_code == 403
    assert active(orgs, app, tok["refresh_token"])  # only that token


def test_revoke_refresh_token_revokes_its_access_tokens(orgs, app):
    tok = get_tokens(orgs, app)
    later = refresh(orgs, app, tok["refresh_token"]).json()
    # GET ?token= like Salesforce's Android Mobile SDK (OAuth2.java), on an instance host.
    resp = orgs.session().get(orgs.instance_url("B") + REVOKE,
                              params={"token": tok["refresh_token"]}, timeout=10)
    assert resp.status_code == 200
    for value in (tok["refresh_token"], tok["access_token"], later["access_token"]):
        assert not active(orgs, app, value)
    assert refresh(orgs, app, tok["refresh_token"]).json() == {
        "error": "invalid_grant", "error_description": "expired access/refresh token"}


def test_revoke_with_token_in_query_of_a_post(orgs, app):
    """simple-salesforce's ``oauth2('revoke', {'token': ...}, 'POST')`` sends it this way."""
    tok = get_tokens(orgs, app)
    resp = orgs.session().post(orgs.login_url + REVOKE, params={"token": tok["access_token"]},
                               timeout=10)
    assert resp.status_code == 200 and not active(orgs, app, tok["access_token"])


def test_revoke_unknown_or_already_revoked_token_is_400_invalid_token(orgs, app):
    """Salesforce answers 400 (Mobile SDK guide); RFC 7009 says 200; we follow Salesforce (B-25)."""
    s = orgs.session()
    resp = s.post(orgs.login_url + REVOKE, data={"token": "nope"}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_token"
    tok = get_tokens(orgs, app)
    assert s.post(orgs.login_url + REVOKE, data={"token": tok["access_token"]},
                  timeout=10).status_code == 200
    assert s.post(orgs.login_url + REVOKE, data={"token": tok["access_token"]},
                  timeout=10).status_code == 400
    assert s.post(orgs.login_url + REVOKE, data={}, timeout=10).status_code == 400


def test_introspect_live_token(orgs, app):
    tok = get_tokens(orgs, app)
    for basic in (False, True):
        body = introspect(orgs, app, tok["access_token"], basic=basic).json()
        assert body["active"] is True
        assert body["client_id"] == app.client_id and body["scope"] == tok["scope"]
        assert body["username"] == orgs.user("B")["username"]
        assert body["sub"] == tok["id"] and body["token_type"] == "access_token"
        assert body["exp"] > body["iat"] == body["nbf"]
    body = introspect(orgs, app, tok["refresh_token"]).json()
    assert body["active"] is True and body["token_type"] == "refresh_token" and "exp" not in body


def test_introspect_inactive_cases(orgs, app):
    tok = get_tokens(orgs, app)
    other = orgs.create_app()
    assert introspect(orgs, other, tok["access_token"]).json() == {"active": False}
    assert introspect(orgs, app, "unknown").json() == {"active": False}
    with orgs.db().tx() as db:  # expiry, by moving the stored time (no sleeping)
        db.execute("UPDATE oauth_tokens SET expires_at=issued_at-1 WHERE kind='access'"
                   " AND app_id=(SELECT id FROM apps WHERE client_id=?)", (app.client_id,))
    assert introspect(orgs, app, tok["access_token"]).json() == {"active": False}


def test_introspect_requires_client_authentication(orgs, app):
    tok = get_tokens(orgs, app)
    s = orgs.session()
    resp = s.post(orgs.login_url + INTROSPECT, data={"token": tok["access_token"]}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client_id"
    resp = s.post(orgs.login_url + INTROSPECT, data={
        "token": tok["access_token"], "client_id": app.client_id}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"
    resp = s.post(orgs.login_url + INTROSPECT, data={"token": tok["access_token"]},
                  auth=(app.client_id, "wrong"), timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


@pytest.mark.parametrize("rotation", [False, True])
def test_a_sixth_approval_revokes_the_oldest_grant(orgs, rotation):
    """Salesforce Help, "Manage OAuth-Enabled Connected Apps Access to Your Data": five unique
    approvals per app per user; the sixth revokes the oldest (its refresh token and the access
    tokens it issued). Other users and other apps are not affected."""
    app = orgs.create_app(scopes="api refresh_token", refresh_rotation=rotation)
    session = orgs.session()  # one browser: logged in and consent remembered after the first
    grants = [get_tokens(orgs, app, session=session) for _ in range(5)]
    if rotation:  # a rotated refresh token keeps its grant's age: grant 0 stays the oldest
        grants[0] = {**grants[0], **refresh(orgs, app, grants[0]["refresh_token"]).json()}
    assert all(active(orgs, app, g["refresh_token"]) for g in grants)
    other_app = orgs.create_app(scopes="api refresh_token")
    other = get_tokens(orgs, other_app)
    sixth = get_tokens(orgs, app, session=session)

    oldest = grants[0]
    assert not active(orgs, app, oldest["refresh_token"])
    assert not active(orgs, app, oldest["access_token"])
    assert refresh(orgs, app, oldest["refresh_token"]).json()["error"] == "invalid_grant"
    assert all(active(orgs, app, g[k]) for g in grants[1:] + [sixth]
               for k in ("refresh_token", "access_token"))
    assert active(orgs, other_app, other["refresh_token"])
