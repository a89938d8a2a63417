"""``SF_TARGET=classroom``: a learner's notebook against the trainer's exposed orgs.

A real ``serve --expose`` server (bound to and reached on 127.0.0.1 only) with one learner
from ``add-learners``; the learner's settings trust the CA downloaded from the room and
nothing else (A-19, A-25, B-36).
"""

from __future__ import annotations

import csv
import html
import re
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from helpers.api import (
    account_payload,
    connect,
    connect_org_a,
    latest_account,
    post_accounts_to_apex,
)
from helpers.errors import ConfigurationError, UntrustedInstanceError
from helpers.http import make_session
from helpers.oauth.authorize import AuthorizationFlow
from helpers.oauth.callback import parse_callback_url
from helpers.oauth.tokens import AuthorizedSession, OAuthClient, Token
from helpers.settings import load_settings
from localorg import ScriptedBrowser
from tests.conftest import REPO, start_server, stop_server

EXPOSE = ["--expose", "--host", "127.0.0.1", "--bind", "127.0.0.1"]


def free_callback_url() -> str:
    # Not 1717: other runs on this machine may be listening there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://localhost:{s.getsockname()[1]}/OauthRedirect"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    data = tmp_path_factory.mktemp("classroom")
    running = start_server(data, extra=EXPOSE)
    try:
        out = data / "handout.csv"
        callback = free_callback_url()
        done = subprocess.run([sys.executable, "-m", "localorg", "add-learners",
                               "--data", str(data), "--count", "1", "--out", str(out),
                               "--callback", callback],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with out.open(newline="") as fh:
            learner = next(csv.DictReader(fh))
        learner["callback_url"] = callback
        # What a learner does: download the CA from the room (checked against the
        # server's own CA file here, as the learner checks the fingerprint).
        pem = running.session().get(running.login_url + "/localorg-ca.pem", timeout=10)
        ca_file = tmp_path_factory.mktemp("learner") / "localorg-ca.pem"
        ca_file.write_bytes(pem.content)
        assert pem.content == Path(running.ca_bundle).read_bytes()
        yield running, learner, ca_file
    finally:
        stop_server(running)


def env_for(room, **changes: str) -> dict[str, str]:
    running, learner, ca_file = room
    env = {"SF_TARGET": "classroom", "SF_LOGIN_URL": running.login_url,
           "SF_CA_BUNDLE": str(ca_file), "SF_CLIENT_ID": learner["client_id"],
           "SF_CLIENT_SECRET": learner["client_secret"], "SF_CALLBACK_URL": learner["callback_url"],
           "SF_ORG_A_CLIENT_ID": learner["org_a_client_id"],
           "SF_ORG_A_CLIENT_SECRET": learner["org_a_client_secret"],
           "SF_ORG_A_USERNAME": learner["org_a_username"]}
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def test_settings_trust_exactly_the_rooms_three_https_origins(room):
    running, learner, ca_file = room
    settings = load_settings(None, env_for(room))
    base = running.port_base
    assert settings.local_origins() == tuple(f"https://127.0.0.1:{base + i}" for i in range(3))
    assert settings.ca_bundle == str(ca_file)
    assert settings.org_a_instance_url == f"https://127.0.0.1:{base + 1}"
    policy = settings.trust_policy()
    for url in settings.local_origins():
        policy.check(url + "/services/data/")
    for bad in (f"http://127.0.0.1:{base + 2}", f"https://127.0.0.1:{base + 3}",
                f"https://localhost:{base + 2}", "https://login.salesforce.com"):
        with pytest.raises(UntrustedInstanceError):
            policy.check(bad)
    shown = repr(settings)
    assert learner["client_secret"] not in shown and "'***'" in shown
    assert learner["org_a_client_secret"] not in shown and learner["org_a_client_id"] in shown
    assert f"org_a_username={learner['org_a_username']!r}" in shown  # a name, not a secret


def org_b_session(room, settings) -> tuple[OAuthClient, Token]:
    """ORG B's web server flow, the browser played by the handout's ORG B user."""
    running, learner, _ = room
    flow = AuthorizationFlow.from_settings(settings)
    assert flow.authorization_url.startswith(running.login_url + "/services/oauth2/authorize?")
    callback = ScriptedBrowser(settings.ca_bundle).authorize(
        flow.authorization_url, learner["org_b_username"], learner["org_b_password"])
    assert callback.startswith(settings.callback_url + "?")
    client = OAuthClient.from_settings(settings)
    assert client.session.verify == settings.ca_bundle  # the room's CA, never certifi
    token = client.exchange_code(parse_callback_url(flow, callback))  # signature verified
    assert token.signature_verified
    assert token.instance_url == f"https://127.0.0.1:{running.port_base + 2}"
    settings.trust_policy().check(token.instance_url, "instance_url")
    return client, token


def test_a19_full_flow_as_the_learner_then_an_account_in_org_b(room):
    """Authorize as the handout's ORG B user, exchange the code, post an Account to ORG B."""
    settings = load_settings(None, env_for(room))
    client, token = org_b_session(room, settings)
    sf_b = connect(AuthorizedSession(client, token), settings)
    assert post_accounts_to_apex(sf_b, [{"Name": "Classroom learner Account"}]) == 1
    found = sf_b.query("SELECT Id, CreatedById FROM Account "
                       "WHERE Name = 'Classroom learner Account'")
    assert found["totalSize"] == 1
    assert found["records"][0]["CreatedById"] == token.user_id  # the learner, not a demo user


@pytest.mark.parametrize(("changes", "variable", "hint"), [
    ({"SF_CA_BUNDLE": None}, "SF_CA_BUNDLE", "/localorg-ca.pem"),
    ({"SF_CA_BUNDLE": "/nonexistent/localorg-ca.pem"}, "SF_CA_BUNDLE", "fingerprint"),
    ({"SF_LOGIN_URL": None}, "SF_LOGIN_URL", "trainer"),
    ({"SF_ORG_A_INSTANCE_URL": "https://127.0.0.1:1"}, "SF_ORG_A_INSTANCE_URL", "ORG A"),
    ({"SF_ORG_A_USERNAME": "Ab3d-x9Kq-p2Lm-77Qz"}, "SF_ORG_A_USERNAME", "org_a_username"),
])
def test_missing_or_wrong_settings_name_the_variable(room, changes, variable, hint):
    with pytest.raises(ConfigurationError) as caught:
        load_settings(None, env_for(room, **changes))
    message = str(caught.value)
    assert message.startswith(variable) and hint in message


def test_http_login_url_is_refused(room):
    running = room[0]
    plain = running.login_url.replace("https://", "http://")
    with pytest.raises(ConfigurationError, match=r"^SF_LOGIN_URL=.*must be https://"):
        load_settings(None, env_for(room, SF_LOGIN_URL=plain))
    with pytest.raises(ConfigurationError, match=r"^SF_LOGIN_URL=.*no path"):
        load_settings(None, env_for(room, SF_LOGIN_URL=running.login_url + "/login"))


def test_a_file_that_is_not_pem_is_refused_without_echoing_it(room, tmp_path):
    not_pem = tmp_path / "localorg-ca.pem"
    not_pem.write_text("<html>Sign in to the Wi-Fi</html>")  # a captive portal's page
    with pytest.raises(ConfigurationError) as caught:
        load_settings(None, env_for(room, SF_CA_BUNDLE=str(not_pem)))
    message = str(caught.value)
    assert message.startswith("SF_CA_BUNDLE=") and "not a PEM certificate" in message
    assert "/localorg-ca.pem, check" in message and "Wi-Fi" not in message


def test_the_rooms_certificate_is_not_trusted_without_the_ca_file(room):
    """The CA file is what verifies the room: certifi alone refuses it (never verify=False)."""
    import requests

    running = room[0]
    with pytest.raises(requests.exceptions.SSLError):
        make_session().get(running.login_url + "/_localorg/status")
    ok = make_session(ca_bundle=load_settings(None, env_for(room)).ca_bundle)
    assert ok.get(running.login_url + "/_localorg/status").status_code == 200


@pytest.mark.parametrize("offset_host", [("127.0.0.1", 3), ("localhost", 2), ("127.0.0.2", 2)])
def test_a19_instance_url_elsewhere_is_refused_before_the_token_is_sent(room, offset_host):
    """Another port or host of the same machine: refused before any bearer token is sent."""
    running = room[0]
    host, offset = offset_host
    settings = load_settings(None, env_for(room))
    evil = Token(access_token="00D-must-not-leave",
                 instance_url=f"https://{host}:{running.port_base + offset}",
                 id_url=f"{running.login_url}/id/00D/005",
                 issued_at=datetime.now(timezone.utc), scopes=("api",))
    with pytest.raises(UntrustedInstanceError, match="refusing to send a token"):
        connect(evil, settings)


def deliver(callback: str) -> None:
    """What the browser does with the callback: GET it from the notebook's listener."""
    plain = requests.Session()
    plain.trust_env = False
    assert plain.get(callback, timeout=10).status_code == 200  # the listener's page


def test_org_a_is_read_through_the_learners_org_a_app_and_its_account_reaches_org_b(room):
    """ORG A in the classroom: the learner's ORG A app, the ORG A user logs in (here a
    scripted browser stands in for the person), the real listener catches the callback."""
    running, learner, _ = room
    settings = load_settings(None, env_for(room))
    browser = ScriptedBrowser(settings.ca_bundle)
    opened: list[str] = []

    def browse(url: str) -> None:
        opened.append(url)
        callback = browser.authorize(url, learner["org_a_username"], learner["org_a_password"])
        deliver(callback)

    sf_a = connect_org_a(settings, browse=browse)
    assert opened[0].startswith(running.login_url + "/services/oauth2/authorize?")
    assert f"client_id={learner['org_a_client_id']}" in opened[0]
    query = parse_qs(urlsplit(opened[0]).query)
    # The browser may still hold the learner's ORG B login: ask for the login page, with
    # the handout's ORG A username already in it.
    assert query["prompt"] == ["login"] and query["login_hint"] == [learner["org_a_username"]]
    assert sf_a.instance_url == f"https://127.0.0.1:{running.port_base + 1}"
    account = latest_account(sf_a)
    assert account is not None and account["Name"]

    client, token = org_b_session(room, settings)
    sf_b = connect(AuthorizedSession(client, token), settings)
    assert post_accounts_to_apex(sf_b, [account_payload(account)]) == 1


def test_a_browser_logged_in_as_the_org_b_user_can_switch_to_the_org_a_user(room):
    """Issue 11 item 8: the learner's browser is logged in to the room as their ORG B user.
    ORG A's link shows the login page pre-filled with the ORG A username; a learner who logs
    in as the ORG B user anyway gets the cross-org page, whose log-out link is the way out."""
    running, learner, _ = room
    settings = load_settings(None, env_for(room))
    browser = ScriptedBrowser(settings.ca_bundle)
    home = browser.http.get(running.login_url + "/", timeout=10)
    assert browser.login(home, learner["org_b_username"], learner["org_b_password"]).is_redirect

    def browse(url: str) -> None:
        page = browser.http.get(url, timeout=10)
        assert page.status_code == 200 and 'name="pw"' in page.text  # prompt=login
        assert prefilled_username(page.text) == learner["org_a_username"]  # login_hint
        back = browser.login(page, learner["org_b_username"], learner["org_b_password"])
        refused = browser.http.get(urljoin(page.url, back.headers["Location"]), timeout=10)
        assert refused.status_code == 400 and "Cross-org OAuth flows" in refused.text
        logout = re.search(r'<a id="logout" href="([^"]+)"', refused.text)
        assert logout is not None
        out = browser.http.get(urljoin(refused.url, logout.group(1)), timeout=10)
        assert out.ok and 'name="pw"' in out.text  # logged out, back on the login page
        callback = browser.authorize(url, learner["org_a_username"], learner["org_a_password"])
        deliver(callback)

    sf_a = connect_org_a(settings, browse=browse)
    assert sf_a.instance_url == f"https://127.0.0.1:{running.port_base + 1}"


def prefilled_username(page: str) -> str | None:
    field = re.search(r'<input [^>]*name="username"[^>]*>', page)
    value = re.search(r'value="([^"]*)"', field.group(0)) if field else None
    return html.unescape(value.group(1)) if value else None


@pytest.mark.parametrize("variable", ["SF_ORG_A_CLIENT_ID", "SF_ORG_A_USERNAME"])
def test_org_a_needs_the_handouts_org_a_app_and_user(room, variable):
    settings = load_settings(None, env_for(room, **{variable: None}))
    with pytest.raises(ConfigurationError, match=rf"^{variable} is not set.*handout"):
        connect_org_a(settings, browse=lambda _url: pytest.fail("no login without the app"))


def test_load_target_refuses_scripted_mode_and_describes_the_room(room, monkeypatch):
    from helpers.tutorial.catchup import catch_up
    from helpers.tutorial.target import load_target

    running = room[0]
    for name, value in env_for(room).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TUTORIAL_BROWSER", "scripted")
    with pytest.raises(ConfigurationError, match="classroom.*handout"):
        load_target()
    monkeypatch.setenv("TUTORIAL_BROWSER", "interactive")
    target = load_target()
    assert not target.is_local and target.orgs is None
    assert "SF_TARGET=classroom" in target.describe()
    assert f"ORG B https://127.0.0.1:{running.port_base + 2}" in target.describe()
    progress = catch_up(3, quiet=True)
    assert progress.flow is not None
    assert progress.flow.authorization_url.startswith(running.login_url + "/")
    assert "classroom" in repr(progress)


def test_the_learners_env_lines_in_the_docs_come_from_handout_columns(room):
    """docs/workshops.md tells learners which handout column goes into which variable:
    every column it names is on the real handout, and each variable is one the notebook reads."""
    learner = room[1]
    text = (REPO / "docs" / "workshops.md").read_text()
    pasted = dict(re.findall(r"^\s*(SF_[A-Z_]+)=<([a-z_]+)>", text, re.M))
    assert {"SF_CLIENT_ID", "SF_CLIENT_SECRET", "SF_ORG_A_CLIENT_ID", "SF_ORG_A_CLIENT_SECRET",
            "SF_ORG_A_USERNAME"} <= set(pasted)
    assert set(pasted.values()) <= set(learner)  # the handout's columns
    settings = load_settings(None, env_for(room))
    for variable, column in pasted.items():
        assert getattr(settings, variable.removeprefix("SF_").lower()) == learner[column]
