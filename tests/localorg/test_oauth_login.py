"""Login and consent forms: CSRF (B-07), cookies (B-10), 302 not 307 (B-11), throttling
(B-12), no open redirect after login, logout."""

from __future__ import annotations

import re
import time

import pytest
from werkzeug.security import generate_password_hash

from tests.localorg.flow import authorize, authorize_url, login, pkce_pair

GENERIC = ("Please check your username and password. If you still can&#39;t log in, "
           "contact your Salesforce administrator.")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def make_user(orgs, org: str = "B", password: str = "Right-pass-1") -> dict[str, str]:  # noqa: S107
    """A throwaway user, so throttling tests never lock out the shared demo users."""
    store = orgs.db()
    org_id = orgs.info["orgs"][org]["org_id"]
    n = store.one("SELECT count(*) AS n FROM users")["n"]
    username = f"throwaway{n}-{time.monotonic_ns()}@org-{org.lower()}.localorg.test"
    user_id = "005" + f"{n:012d}"[-12:]
    from localorg.ids import to18
    with store.tx() as db:
        db.execute("INSERT INTO users(id, org_id, username, password_hash, first_name, last_name,"
                   " email, created_at) VALUES(?,?,?,?,?,?,?,?)",
                   (to18(user_id), org_id, username,
                    generate_password_hash(password, method="pbkdf2:sha256:60000"),
                    "Throw", "Away", username, time.time()))
    return {"username": username, "password": password}


def post_login(orgs, s, username, password, start_url="", csrf=None, headers=None):
    page = s.get(orgs.login_url + "/", timeout=10)
    data = {"username": username, "pw": password, "startURL": start_url,
            "csrf_token": csrf if csrf is not None else csrf_of(page.text)}
    return s.post(orgs.login_url + "/", data=data, headers=headers or {},
                  allow_redirects=False, timeout=10)


def test_login_form_has_salesforces_field_names(orgs):
    html = orgs.session().get(orgs.login_url + "/", timeout=10).text
    for name in ("username", "pw", "csrf_token", "startURL"):
        assert f'name="{name}"' in html
    assert '<form method="post" action="/"' in html


def test_successful_login_redirects_with_302_and_a_fresh_session(orgs):
    """B-11: 302 (never 307) after the credential POST; B-10: new session id, cookie flags."""
    s = orgs.session()
    s.get(orgs.login_url + "/", timeout=10)
    before = s.cookies.get("localorg_sid_login")
    user = orgs.user("B")
    resp = post_login(orgs, s, user["username"], user["password"])
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert s.cookies.get("localorg_sid_login") != before
    home = s.get(orgs.login_url + "/", timeout=10)
    assert "You are logged in" in home.text and user["username"] in home.text


def test_instance_host_cookie_is_secure_and_host_prefixed(orgs):
    s = orgs.session()
    page = s.get(orgs.instance_url("B") + "/", timeout=10)
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-") and "Secure" in cookie
    user = orgs.user("B")
    resp = login(s, page, user["username"], user["password"])
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/lightning/setup/SetupOneHome/home"


@pytest.mark.parametrize("username,password", [
    ("ben@org-b.localorg.test", "wrong-password"),
    ("nobody@nowhere.test", "orgB-demo-pass-1"),
])
def test_bad_login_gives_one_generic_message(orgs, username, password):
    """B-12: unknown user and wrong password look the same."""
    resp = post_login(orgs, orgs.session(), username, password)
    assert resp.status_code == 200
    assert GENERIC in resp.text
    assert "Location" not in resp.headers


def test_login_without_csrf_token_is_refused(orgs):
    """B-07: no token, another session's token, or a cross-site Origin -> 403."""
    user = orgs.user("B")
    assert post_login(orgs, orgs.session(), user["username"], user["password"],
                      csrf="").status_code == 403
    other = csrf_of(orgs.session().get(orgs.login_url + "/", timeout=10).text)
    assert post_login(orgs, orgs.session(), user["username"], user["password"],
                      csrf=other).status_code == 403
    resp = post_login(orgs, orgs.session(), user["username"], user["password"],
                      headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403


def test_consent_post_is_csrf_protected(orgs):
    """B-07: a forged Allow does not issue a code."""
    app = orgs.create_app()
    s = orgs.session()
    url = authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1])
    page = s.get(url, timeout=10)
    user = orgs.user("B")
    back = login(s, page, user["username"], user["password"])
    consent = s.get(orgs.login_url + back.headers["Location"], timeout=10)
    assert 'id="consent_form"' in consent.text
    for data, headers in (({"decision": "allow"}, {}),
                          ({"decision": "allow", "csrf_token": "forged"}, {}),
                          ({"decision": "allow", "csrf_token": csrf_of(consent.text)},
                           {"Origin": "https://evil.example"})):
        resp = s.post(consent.url, data=data, headers=headers, allow_redirects=False, timeout=10)
        assert resp.status_code == 403 and "Location" not in resp.headers
    count = orgs.db().one("SELECT count(*) AS n FROM oauth_codes WHERE app_id="
                          "(SELECT id FROM apps WHERE client_id=?)", (app.client_id,))["n"]
    assert count == 0


@pytest.mark.parametrize("start_url", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil", "evil",
    "/%0d%0aSet-Cookie:x=1",
])
def test_start_url_cannot_leave_the_host(orgs, start_url):
    user = make_user(orgs)
    resp = post_login(orgs, orgs.session(), user["username"], user["password"], start_url)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location == "/" or (location.startswith("/") and not location.startswith("//"))
    assert "evil" not in location or location.startswith("/%")


def test_start_url_on_this_host_is_followed(orgs):
    user = make_user(orgs)
    resp = post_login(orgs, orgs.session(), user["username"], user["password"],
                      "/services/oauth2/authorize?x=1")
    assert resp.headers["Location"] == "/services/oauth2/authorize?x=1"


def test_logout_ends_the_session(orgs):
    app = orgs.create_app()
    s = orgs.session()
    authorize(orgs, app.client_id, code_challenge=pkce_pair()[1], session=s)
    out = s.get(orgs.login_url + "/secur/logout.jsp", allow_redirects=False, timeout=10)
    assert out.status_code == 302
    page = s.get(authorize_url(orgs, app.client_id, code_challenge=pkce_pair()[1]), timeout=10)
    assert page.status_code == 200 and 'name="pw"' in page.text


def test_five_failures_throttle_the_username_even_with_the_right_password(orgs):
    """B-12, B-38: 5 failures from one address -> 429 + Retry-After, persisted in SQLite."""
    user = make_user(orgs)
    s = orgs.session()
    for _ in range(5):
        assert post_login(orgs, s, user["username"], "wrong").status_code == 200
    resp = post_login(orgs, s, user["username"], user["password"])
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins" in resp.text
    # Another user is not affected.
    other = make_user(orgs)
    assert post_login(orgs, orgs.session(), other["username"],
                      other["password"]).status_code == 302
    # Once the failures are older than the window, the right password works again.
    with orgs.db().tx() as db:
        db.execute("UPDATE login_attempts SET at=at-3601 WHERE username=?",
                   (user["username"].lower(),))
    assert post_login(orgs, s, user["username"], user["password"]).status_code == 302


def test_success_resets_the_failure_count(orgs):
    user = make_user(orgs)
    s = orgs.session()
    for _ in range(4):
        post_login(orgs, s, user["username"], "wrong")
    assert post_login(orgs, orgs.session(), user["username"], user["password"]).status_code == 302
    for _ in range(4):
        post_login(orgs, s, user["username"], "wrong")
    assert post_login(orgs, orgs.session(), user["username"], user["password"]).status_code == 302


def test_login_page_says_it_is_not_salesforce(orgs):
    """B-36: an obvious local stand-in; demo credentials are fake."""
    html = orgs.session().get(orgs.login_url + "/", timeout=10).text
    assert "not for production" in html
    assert "not real Salesforce accounts" in html
