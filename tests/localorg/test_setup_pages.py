"""Setup pages of the local orgs: External Client App Manager and the Accounts list.

Real server (``orgs`` fixture), real HTTPS with the local CA. Checklist ids: B-03 (escaping),
B-07 (CSRF), B-08 (anti-framing).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from localorg import config, ids
from localorg.apps import SUPPORTED_SCOPES, NewApp
from localorg.rest.records import insert_record
from localorg.setup.app_manager import SCOPE_CHOICES
from localorg.store import sha256
from localorg.web.sessions import cookie_name
from tests.localorg.flow import get_tokens

HOME = "/lightning/setup/SetupOneHome/home"
ECA_HOME = "/lightning/setup/ExternalClientAppManager/home"
ECA_NEW = "/lightning/setup/ExternalClientAppManager/new"
ACCOUNTS = "/lightning/o/Account/list"
GET_PAGES = (HOME, ECA_HOME, ECA_NEW, ACCOUNTS)


# --- helpers ----------------------------------------------------------------------------

def log_in(orgs, browser: requests.Session, org: str, path: str = HOME) -> requests.Response:
    """Log ``browser`` in on ``org``'s host through the real login page, starting at ``path``.

    Returns the page the login sent the browser back to.
    """
    base = orgs.instance_url(org)
    first = browser.get(base + path, allow_redirects=False)
    assert first.status_code == 302, first.status_code
    login_page = browser.get(urljoin(base + path, first.headers["Location"]))
    assert 'name="pw"' in login_page.text
    user = orgs.user(org)
    back = browser.post(base + "/", data={
        "username": user["username"], "pw": user["password"],
        "csrf_token": csrf_of(login_page.text),
        "startURL": parse_qs(urlsplit(first.headers["Location"]).query)["startURL"][0],
    }, allow_redirects=False)
    assert back.status_code == 302, back.text[:500]
    assert back.headers["Location"] == path  # straight back to the page first asked for
    return browser.get(base + path)


def insert_session(orgs, browser: requests.Session, host: str, user_org: str) -> None:
    """Give ``browser`` a session on ``host`` holding ``user_org``'s user, written directly to
    web_sessions (the login page refuses another org's users, so only a bug could do this)."""
    store = orgs.db()
    user = store.user_by_username(orgs.user(user_org)["username"])
    sid = secrets.token_urlsafe(32)
    now = time.time()
    with store.tx() as db:
        db.execute("INSERT INTO web_sessions(id_hash, host, user_id, csrf, created_at, expires_at)"
                   " VALUES(?,?,?,?,?,?)",
                   (sha256(sid), host, user["id"], secrets.token_urlsafe(32), now, now + 3600))
    netloc_host = urlsplit(orgs.instance_url(host)).hostname
    browser.cookies.set(cookie_name(host), sid, domain=netloc_host, path="/", secure=True)


def browser_for(orgs, org: str) -> requests.Session:
    s = orgs.session()
    log_in(orgs, s, org)
    return s


class _Elements(HTMLParser):
    """Collects start tags with their attributes and the text inside elements with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag not in ("input", "br", "meta", "link"):
            self._open.append((a.get("id"), tag))

    def handle_endtag(self, tag):
        while self._open:
            _id, t = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data):
        for element_id, _tag in self._open:
            if element_id:
                self.text_by_id[element_id] = self.text_by_id.get(element_id, "") + data


def parse(html: str) -> _Elements:
    p = _Elements()
    p.feed(html)
    return p


def csrf_of(html: str) -> str:
    tokens = [a["value"] for tag, a in parse(html).tags
              if tag == "input" and a.get("name") == "csrf_token"]
    assert len(tokens) == 1
    return tokens[0]


def checked_boxes(html: str) -> set[str]:
    """Names (and name=value for scopes) of the checked checkboxes of a page."""
    out = set()
    for tag, a in parse(html).tags:
        if tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            out.add(f"scopes={a['value']}" if a["name"] == "scopes" else a["name"])
    return out


def app_rows(orgs, name: str) -> list:
    return orgs.db().query("SELECT * FROM apps WHERE name=?", (name,))


def unique(prefix: str) -> str:
    return f"{prefix} {secrets.token_hex(4)}"


def new_app_form(name: str, csrf: str, **overrides) -> dict:
    form = {"csrf_token": csrf, "name": name, "contact_email": "dev@example.com",
            "callback_urls": "http://localhost:1717/OauthRedirect\nhttps://orga.example/cb",
            "scopes": ["api", "refresh_token"], "require_secret": "on",
            "require_secret_refresh": "on", "require_pkce": "on"}
    form.update(overrides)
    return form


def insert_account(orgs, org: str, fields: dict) -> str:
    store = orgs.db()
    org_id = orgs.info["orgs"][org]["org_id"]
    # A letter in the 15-character id: its case is what the 18-character suffix encodes, and
    # a test swaps it (all-digit ids, 1 run in 280, made that test flaky).
    record_id = ids.to18("001a" + secrets.token_hex(6)[1:])
    with store.tx() as db:
        insert_record(db, record_id, org_id, "Account", fields, time.time())
    return record_id


# --- access ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", GET_PAGES + ("/lightning/r/Account/001000000000000AAA/view",))
def test_logged_out_visitor_is_sent_to_the_login_page(orgs, path):
    r = orgs.session().get(orgs.instance_url("A") + path, allow_redirects=False)
    assert r.status_code == 302
    where = urlsplit(r.headers["Location"])
    assert where.path == "/" and where.netloc in ("", urlsplit(orgs.instance_url("A")).netloc)
    assert parse_qs(where.query) == {"startURL": [path]}


@pytest.mark.parametrize("path", [ECA_NEW, ACCOUNTS + "?page=1"])
def test_login_page_brings_the_user_back_to_the_page_asked_for(orgs, path):
    page = log_in(orgs, orgs.session(), "A", path)
    assert page.status_code == 200
    assert parse(page.text).text_by_id["setup-username"] == orgs.user("A")["username"]


def test_log_out_link_ends_the_setup_session(orgs):
    browser = browser_for(orgs, "B")
    home = browser.get(orgs.instance_url("B") + HOME)
    assert 'href="/secur/logout.jsp"' in home.text
    browser.get(orgs.instance_url("B") + "/secur/logout.jsp")
    assert browser.get(orgs.instance_url("B") + HOME, allow_redirects=False).status_code == 302


def test_logged_out_post_creates_nothing(orgs):
    name = unique("Logged out app")
    r = orgs.session().post(orgs.instance_url("B") + ECA_NEW, data=new_app_form(name, "x"),
                            allow_redirects=False)
    assert r.status_code == 302
    assert app_rows(orgs, name) == []


def test_setup_pages_are_not_served_on_the_login_host(orgs):
    r = orgs.session().get(orgs.login_url + HOME, allow_redirects=False)
    assert r.status_code == 404


def test_session_of_org_a_does_not_open_org_b_setup(orgs):
    browser = browser_for(orgs, "A")
    assert browser.get(orgs.instance_url("A") + HOME).status_code == 200
    for path in GET_PAGES:
        r = browser.get(orgs.instance_url("B") + path, allow_redirects=False)
        assert r.status_code == 302, path  # ORG A's cookie is not a session of ORG B
        assert urlsplit(r.headers["Location"]).path == "/"


def test_org_a_user_in_an_org_b_session_is_refused(orgs):
    browser = orgs.session()
    insert_session(orgs, browser, "B", user_org="A")
    for path in GET_PAGES:
        r = browser.get(orgs.instance_url("B") + path, allow_redirects=False)
        assert r.status_code == 403, path
        assert orgs.info["orgs"]["B"]["org_id"] not in r.text
        assert "not a user of" in r.text


# --- Setup home ---------------------------------------------------------------------------

@pytest.mark.parametrize("org", ["A", "B"])
def test_setup_home_shows_org_and_user(orgs, org):
    r = browser_for(orgs, org).get(orgs.instance_url(org) + HOME)
    assert r.status_code == 200
    page = parse(r.text).text_by_id
    assert page["org-name"] == orgs.info["orgs"][org]["name"]
    assert page["org-id"] == orgs.info["orgs"][org]["org_id"]
    assert page["instance-url"] == orgs.instance_url(org)
    assert orgs.user(org)["username"] in page["current-user"]
    assert f'href="{ECA_HOME}"' in r.text and f'href="{ACCOUNTS}"' in r.text


# --- External Client App Manager ------------------------------------------------------------

def test_new_app_form_defaults(orgs):
    r = browser_for(orgs, "B").get(orgs.instance_url("B") + ECA_NEW)
    assert r.status_code == 200
    assert checked_boxes(r.text) == {"scopes=api", "scopes=refresh_token", "require_secret",
                                     "require_secret_refresh", "require_pkce"}
    for label in ("Manage user data via APIs (api)",
                  "Perform requests at any time (refresh_token, offline_access)",
                  "Access unique user identifiers (openid)", "Full access (full)",
                  "Require secret for Web Server Flow", "Require secret for Refresh Token Flow",
                  "Require Proof Key for Code Exchange (PKCE) Extension for Supported "
                  "Authorization Flows", "Enable Refresh Token Rotation"):
        assert label in r.text


def test_scope_checkboxes_cover_every_supported_scope():
    offered = {s for _value, _label, scopes in SCOPE_CHOICES for s in scopes}
    assert offered == set(SUPPORTED_SCOPES)


def test_create_app_through_the_form(orgs):
    browser = browser_for(orgs, "B")
    base = orgs.instance_url("B")
    name = unique("Tutorial ORG A client")
    csrf = csrf_of(browser.get(base + ECA_NEW).text)
    r = browser.post(base + ECA_NEW, data=new_app_form(name, csrf, scopes=["api", "refresh_token",
                                                                             "openid"]))
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"  # the secret must not be cached
    shown = parse(r.text).text_by_id
    key, secret = shown["consumer-key"], shown["consumer-secret"]
    assert key.startswith("3MVG9") and re.fullmatch(r"[0-9A-F]{64}", secret)
    assert "minutes" in r.text  # real orgs take minutes to propagate a new app (observed)

    rows = app_rows(orgs, name)
    assert len(rows) == 1
    row = rows[0]
    assert row["org_id"] == orgs.info["orgs"]["B"]["org_id"]
    assert row["client_id"] == key
    assert row["client_secret_hash"] == sha256(secret)  # stored hashed, never in clear
    assert secret not in json.dumps(dict(row))
    assert json.loads(row["callback_urls"]) == ["http://localhost:1717/OauthRedirect",
                                                "https://orga.example/cb"]
    assert row["scopes"].split() == ["api", "refresh_token", "offline_access", "openid"]
    assert (row["require_secret"], row["require_secret_refresh"], row["require_pkce"],
            row["refresh_rotation"]) == (1, 1, 1, 0)

    # The key and secret shown once really work: a full web server flow (PKCE + secret).
    tokens = get_tokens(orgs, NewApp(key, secret), org="B")
    assert tokens["instance_url"] == base and tokens["access_token"]
    assert set(tokens["scope"].split()) >= {"api", "refresh_token"}

    listing = browser.get(base + ECA_HOME)
    assert name in listing.text and key[:12] in listing.text
    assert secret not in listing.text and key not in listing.text  # key is shown truncated
    # The app belongs to ORG B only.
    assert name not in browser_for(orgs, "A").get(orgs.instance_url("A") + ECA_HOME).text


def test_app_manager_escapes_app_names_and_callbacks_b03(orgs):
    hostile = f"<script>alert({secrets.randbelow(10**6)})</script>"
    orgs.create_app(name=hostile, callback_urls=["myapp://cb?<b>=1"])
    r = browser_for(orgs, "B").get(orgs.instance_url("B") + ECA_HOME)
    assert r.status_code == 200
    assert hostile not in r.text and "<b>" not in r.text
    assert hostile.replace("<", "&lt;").replace(">", "&gt;") in r.text
    assert "myapp://cb?&lt;b&gt;=1" in r.text


def test_created_app_settings_follow_the_checkboxes(orgs):
    browser = browser_for(orgs, "A")
    base = orgs.instance_url("A")
    name = unique("Public client")
    csrf = csrf_of(browser.get(base + ECA_NEW).text)
    form = new_app_form(name, csrf, refresh_rotation="on")
    del form["require_secret"], form["require_secret_refresh"]
    assert browser.post(base + ECA_NEW, data=form).status_code == 200
    (row,) = app_rows(orgs, name)
    assert row["org_id"] == orgs.info["orgs"]["A"]["org_id"]
    assert (row["require_secret"], row["require_secret_refresh"], row["require_pkce"],
            row["refresh_rotation"]) == (0, 0, 1, 1)


@pytest.mark.parametrize("case", ["missing", "wrong", "other_session"])
def test_create_app_without_this_sessions_csrf_token_is_refused_b07(orgs, case):
    browser = browser_for(orgs, "B")
    base = orgs.instance_url("B")
    browser.get(base + ECA_NEW)
    other = browser_for(orgs, "B")
    tokens = {"missing": None, "wrong": "x" * 43,
              "other_session": csrf_of(other.get(base + ECA_NEW).text)}
    name = unique("CSRF app")
    form = new_app_form(name, tokens[case])
    if tokens[case] is None:
        del form["csrf_token"]
    r = browser.post(base + ECA_NEW, data=form, allow_redirects=False)
    assert r.status_code == 403
    assert app_rows(orgs, name) == []


@pytest.mark.parametrize("origin", ["https://evil.example", "ORG_A"])
def test_create_app_from_another_origin_is_refused_b07(orgs, origin):
    browser = browser_for(orgs, "B")
    base = orgs.instance_url("B")
    csrf = csrf_of(browser.get(base + ECA_NEW).text)
    name = unique("Cross-site app")
    origin = orgs.instance_url("A") if origin == "ORG_A" else origin
    r = browser.post(base + ECA_NEW, data=new_app_form(name, csrf), headers={"Origin": origin},
                     allow_redirects=False)
    assert r.status_code == 403
    assert app_rows(orgs, name) == []
    # The same token from the page's own origin works: the refusal was about the origin.
    ok = browser.post(base + ECA_NEW, data=new_app_form(name, csrf), headers={"Origin": base})
    assert ok.status_code == 200 and len(app_rows(orgs, name)) == 1


def test_validation_error_keeps_what_was_typed(orgs):
    browser = browser_for(orgs, "B")
    base = orgs.instance_url("B")
    csrf = csrf_of(browser.get(base + ECA_NEW).text)
    name = unique("<b>Typed</b> app")
    callbacks = "http://localhost:1717/OauthRedirect\nhttp://orga.example.com/callback"
    form = new_app_form(name, csrf, callback_urls=callbacks, contact_email="me@example.org",
                        scopes=["api", "openid"], refresh_rotation="on")
    del form["require_secret"]
    r = browser.post(base + ECA_NEW, data=form)
    assert r.status_code == 400
    page = parse(r.text)
    assert "must use https" in page.text_by_id["form-error"]
    assert "http://orga.example.com/callback" in page.text_by_id["form-error"]
    values = {a.get("name"): a.get("value") for tag, a in page.tags if tag == "input"}
    assert values["name"] == name  # unescaped by the parser: it was escaped in the HTML
    assert "<b>Typed</b>" not in r.text
    assert values["contact_email"] == "me@example.org"
    assert page.text_by_id["callback_urls"].strip("\n") == callbacks
    assert checked_boxes(r.text) == {"scopes=api", "scopes=openid", "require_secret_refresh",
                                     "require_pkce", "refresh_rotation"}
    assert values["csrf_token"] == csrf  # can be submitted again as is
    assert app_rows(orgs, name) == []


@pytest.mark.parametrize("overrides, message", [
    ({"name": "   "}, "needs a name"),
    ({"callback_urls": "\n\n"}, "at least one Callback URL"),
    ({"callback_urls": "http://localhost:1717/cb x"}, "spaces"),
    ({"callback_urls": "localhost:1717/OauthRedirect"}, "without a scheme"),
    ({"callback_urls": "https://orga.example/cb#frag"}, "#fragment"),
    ({"callback_urls": "http://[::1/cb"}, "not a valid URL"),
    ({"callback_urls": "http://localhost:99999/cb"}, "not a valid URL"),
    ({"scopes": []}, "at least one OAuth scope"),
    ({"scopes": ["api", "chatter_api"]}, "unknown OAuth scope"),
    ({"contact_email": "not an email"}, "Contact Email"),
    ({"session_timeout": "7"}, "not a choice"),
    ({"session_timeout": "2h"}, "not a number of minutes"),
])
def test_invalid_settings_are_explained(orgs, overrides, message):
    browser = browser_for(orgs, "A")
    base = orgs.instance_url("A")
    csrf = csrf_of(browser.get(base + ECA_NEW).text)
    before = len(orgs.db().query("SELECT id FROM apps"))
    form = new_app_form(unique("Bad"), csrf)
    form.update(overrides)
    r = browser.post(base + ECA_NEW, data=form)
    assert r.status_code == 400
    assert message in parse(r.text).text_by_id["form-error"]
    assert len(orgs.db().query("SELECT id FROM apps")) == before


# --- Accounts -------------------------------------------------------------------------------

def test_accounts_list_shows_org_a_sample_accounts_newest_first(orgs):
    r = browser_for(orgs, "A").get(orgs.instance_url("A") + ACCOUNTS)
    assert r.status_code == 200
    names = [n for n in (a["Name"] for a in config.SAMPLE_ACCOUNTS)]
    positions = [r.text.find(n.replace("&", "&amp;")) for n in names]
    assert all(p > 0 for p in positions), positions
    assert positions == sorted(positions, reverse=True)  # seeded oldest first, listed newest first
    for sample in config.SAMPLE_ACCOUNTS:
        for value in (sample["Type"], sample["Industry"], sample["Description"]):
            assert value.replace("&", "&amp;") in r.text
    total = orgs.db().one("SELECT count(*) AS n FROM records WHERE org_id=? AND sobject='Account'"
                          " AND is_deleted=0", (orgs.info["orgs"]["A"]["org_id"],))["n"]
    assert f"of {total} Account" in parse(r.text).text_by_id["account-count"]
    assert "Source_Id__c" not in r.text  # the external id column is ORG B's


def test_accounts_list_escapes_hostile_values_b03(orgs):
    hostile = "<script>alert(1)</script>"
    record_id = insert_account(orgs, "B", {"Name": hostile, "Type": "Prospect",
                                           "Description": '<img src=x onerror="alert(2)">',
                                           "Source_Id__c": "src-<i>1</i>"})
    browser = browser_for(orgs, "B")
    for path in (ACCOUNTS, f"/lightning/r/Account/{record_id}/view"):
        r = browser.get(orgs.instance_url("B") + path)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert hostile not in r.text and "<img src=x" not in r.text and "<i>1</i>" not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        assert "src-&lt;i&gt;1&lt;/i&gt;" in r.text  # Source_Id__c is shown on ORG B


def test_account_record_page_by_18_and_15_character_id(orgs):
    name = unique("Record page test")
    record_id = insert_account(orgs, "B", {"Name": name, "Industry": "Energy",
                                           "Source_Id__c": "A-001"})
    browser = browser_for(orgs, "B")
    for rid in (record_id, record_id[:15]):
        r = browser.get(orgs.instance_url("B") + f"/lightning/r/Account/{rid}/view")
        assert r.status_code == 200
        page = parse(r.text).text_by_id
        assert page["record-name"] == name and page["record-id"] == record_id
        assert "A-001" in page["record-fields"] and "Energy" in page["record-fields"]
    # Case matters in ids, another org's record is not found, neither is garbage.
    for rid in (record_id.swapcase(), "not-an-id"):
        assert browser.get(orgs.instance_url("B") + f"/lightning/r/Account/{rid}/view"
                           ).status_code == 404
    a_browser = browser_for(orgs, "A")
    assert a_browser.get(orgs.instance_url("A") + f"/lightning/r/Account/{record_id}/view"
                         ).status_code == 404
    assert name not in a_browser.get(orgs.instance_url("A") + ACCOUNTS).text


def test_deleted_accounts_are_not_listed(orgs):
    name = unique("Deleted account")
    record_id = insert_account(orgs, "B", {"Name": name})
    browser = browser_for(orgs, "B")
    assert name in browser.get(orgs.instance_url("B") + ACCOUNTS).text
    with orgs.db().tx() as db:
        db.execute("UPDATE records SET is_deleted=1 WHERE id=?", (record_id,))
    assert name not in browser.get(orgs.instance_url("B") + ACCOUNTS).text
    assert browser.get(orgs.instance_url("B") + f"/lightning/r/Account/{record_id}/view"
                       ).status_code == 404


def test_accounts_list_pages_by_200(fresh_orgs):
    orgs = fresh_orgs
    store = orgs.db()
    org_id = orgs.info["orgs"]["B"]["org_id"]
    start = time.time()
    with store.tx() as db:
        for i in range(201):
            insert_record(db, ids.to18("001" + f"{i:012d}"), org_id, "Account",
                          {"Name": f"Bulk {i:03d}"}, start + i / 1000)
    browser = browser_for(orgs, "B")
    first = browser.get(orgs.instance_url("B") + ACCOUNTS)
    assert "Showing 1–200 of 201 Accounts" in parse(first.text).text_by_id["account-count"]
    assert "Bulk 200" in first.text and "Bulk 001" in first.text and "Bulk 000" not in first.text
    second = browser.get(orgs.instance_url("B") + ACCOUNTS + "?page=2")
    assert "Bulk 000" in second.text and "Bulk 001" not in second.text
    assert browser.get(orgs.instance_url("B") + ACCOUNTS + "?page=3").status_code == 404
    # B-43: a page "number" that is not one (letters, "²", which str.isdigit() accepts but
    # int() refuses) is 400, never 500; a number past the end is 404.
    for bad in ("x", "²", "1" * 5000):
        assert browser.get(orgs.instance_url("B") + ACCOUNTS + "?page=" + bad).status_code \
            == (404 if bad.isascii() and bad.isdigit() else 400)


# --- headers --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", GET_PAGES)
def test_setup_pages_cannot_be_framed_b08(orgs, path):
    r = browser_for(orgs, "B").get(orgs.instance_url("B") + path)
    assert r.status_code == 200
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert "<script" not in r.text.lower()  # no JavaScript on Setup pages


def test_setup_pages_use_only_the_hosts_own_stylesheet(orgs):
    browser = browser_for(orgs, "A")
    page = browser.get(orgs.instance_url("A") + HOME)
    sheets = [a["href"] for tag, a in parse(page.text).tags
              if tag == "link" and a.get("rel") == "stylesheet"]
    assert sheets == ["/static/localorg.css"]  # same host, no third-party assets (B-09)
    css = browser.get(orgs.instance_url("A") + sheets[0])
    assert css.status_code == 200 and ".setup-nav" in css.text


def test_session_timeout_is_set_on_the_app_page(orgs):
    """Session Policies > Timeout Value (Salesforce Help, "Manage Session Policies for a
    Connected App"): the app's own idle timeout, or none for the org's 2 hours."""
    browser = browser_for(orgs, "B")
    base = orgs.instance_url("B")
    page = browser.get(base + ECA_NEW).text
    assert '<select name="session_timeout" id="session_timeout">' in page
    assert '<option value="15" >15 minutes</option>' in page
    own, default = unique("Timeout 30"), unique("Timeout org")
    assert browser.post(base + ECA_NEW, data=new_app_form(
        own, csrf_of(page), session_timeout="30")).status_code == 200
    page = browser.get(base + ECA_NEW).text
    assert browser.post(base + ECA_NEW, data=new_app_form(
        default, csrf_of(page), session_timeout="")).status_code == 200
    assert app_rows(orgs, own)[0]["session_timeout_minutes"] == 30
    assert app_rows(orgs, default)[0]["session_timeout_minutes"] is None
    listing = browser.get(base + "/lightning/setup/ExternalClientAppManager/home").text
    assert "30 minutes" in listing and "the org&#39;s (2 hours)" in listing
