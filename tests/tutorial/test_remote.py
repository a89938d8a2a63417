"""Remote kernels (JupyterHub, Binder, Codespaces): detection, the proxied callback, the
paste-first login, and a whole interactive login through a prefix-stripping proxy."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests

from helpers import tutorial
from helpers.errors import ConfigurationError
from helpers.tutorial.remote import detect, direct_callback, listen_address
from localorg import ScriptedBrowser
from tests.localorg.test_proxy_prefix import BASE, StandInProxy, browser_flow


@pytest.fixture
def env(orgs, monkeypatch):
    values = {"SF_TARGET": "local", "TUTORIAL_BROWSER": "scripted",
              "LOCALORG_DATA": str(orgs.data_dir), "LOCALORG_PORT_BASE": str(orgs.port_base),
              "SF_LOGIN_URL": "", "SF_CLIENT_ID": "", "SF_CLIENT_SECRET": "",
              "SF_SCOPES": "api refresh_token"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for key in ("SF_CALLBACK_URL", "TUTORIAL_PUBLIC_URL", "JUPYTERHUB_PUBLIC_URL",
                "JUPYTERHUB_SERVICE_PREFIX", "BINDER_LAUNCH_HOST", "CODESPACES"):
        monkeypatch.delenv(key, raising=False)
    return values


def quiet(fn, *args, **kwargs):
    with redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


@pytest.mark.parametrize(("environ", "public", "base"), [
    ({}, None, None),
    ({"TUTORIAL_PUBLIC_URL": "off", "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}, None, None),
    ({"TUTORIAL_PUBLIC_URL": "https://hub.example.org/user/ada/lab/tree/notebooks/05.ipynb"},
     "https://hub.example.org/user/ada/", "/user/ada/"),
    ({"TUTORIAL_PUBLIC_URL": "https://hub.example.org/hub/user-redirect"},
     "https://hub.example.org/hub/user-redirect/", "/hub/user-redirect/"),
    ({"JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/user/ada/",
      "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"},
     "https://hub.example.org/user/ada/", "/user/ada/"),
    ({"JUPYTERHUB_SERVICE_PREFIX": "/user/x-abc/", "BINDER_LAUNCH_HOST": "https://mybinder.org/"},
     None, "/user/x-abc/"),
    ({"CODESPACES": "true"}, None, "/"),
])
def test_detect(environ, public, base):
    remote = detect(environ)
    assert (remote and remote.public_url) == public if remote else public is None
    assert (remote.base_path if remote else None) == base


def test_plain_http_hub_gets_no_proxied_callback():
    """Salesforce (and the local orgs) take http callbacks on localhost only."""
    assert detect({"TUTORIAL_PUBLIC_URL": "http://hub.lan/user/ada/"}).callback_url(1717) is None
    assert detect({"TUTORIAL_PUBLIC_URL": "http://127.0.0.1:8888/"}).callback_url(1717) == \
        "http://127.0.0.1:8888/proxy/1717/OauthRedirect"


def test_a_bad_public_url_is_explained():
    with pytest.raises(ConfigurationError, match="TUTORIAL_PUBLIC_URL"):
        detect({"TUTORIAL_PUBLIC_URL": "hub.example.org/user/ada"})


def test_listen_address_and_direct_delivery():
    uri = "https://hub.example.org/hub/user-redirect/proxy/1717/OauthRedirect"
    assert listen_address(uri) == (1717, "/OauthRedirect")
    assert listen_address("https://hub.example.org/user/a/proxy/absolute/1717/x") is None
    assert listen_address("http://localhost:1717/OauthRedirect") is None
    assert direct_callback(uri + "?code=a%3D%3D&state=s", uri) == \
        "http://127.0.0.1:1717/OauthRedirect?code=a%3D%3D&state=s"


def test_known_public_url_gives_a_proxied_callback_and_the_listener_gets_it(env, monkeypatch):
    """Scripted mode on a hub: the app is registered with the proxied callback, and the demo
    user's redirect reaches the listener on the port inside that URL."""
    monkeypatch.setenv("TUTORIAL_PUBLIC_URL", "https://hub.example.org/user/ada/")
    port = _free()
    monkeypatch.setenv("SF_CALLBACK_URL", f"http://localhost:{port}/OauthRedirect")
    progress = quiet(tutorial.catch_up, 3)
    assert progress.settings.callback_url == \
        f"https://hub.example.org/user/ada/proxy/{port}/OauthRedirect"
    assert progress.app.callback_url == progress.settings.callback_url
    assert "remote kernel (TUTORIAL_PUBLIC_URL)" in progress.target.describe()
    login = quiet(tutorial.Login(progress.target, progress.flow).start)
    assert login.via == "listener"
    assert login.grant().redirect_uri == progress.settings.callback_url


def test_unknown_host_puts_the_paste_box_first_and_links_through_the_proxy(env, monkeypatch):
    """Binder: only the path is known. The login link goes through <prefix>proxy/<port>/,
    the notebook says the redirect will fail and asks for the address first; pasting works."""
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/x-abc/")
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    monkeypatch.setenv("TUTORIAL_BROWSER", "interactive")
    monkeypatch.setenv("SF_CALLBACK_URL", f"http://localhost:{_free()}/OauthRedirect")
    progress = quiet(tutorial.catch_up, 3)
    login = quiet(tutorial.Login(progress.target, progress.flow, listen=False).start)
    link, note, paste_row = login.view.children[:3]
    port = urlsplit(progress.target.orgs.login_url).port
    href = unescape(re.search(r'href="([^"]+)"', link.value)[1])
    assert href.startswith(f"/user/x-abc/proxy/{port}/services/oauth2/authorize?response_type=")
    assert "Your kernel runs on a server" in note.value and "Binder" in note.value
    user = progress.target.org_b_user
    address = ScriptedBrowser(progress.target.orgs.ca_bundle).authorize(
        progress.flow.authorization_url, user["username"], user["password"])
    box, button = paste_row.children
    box.value = address
    button.click()
    assert login.via == "pasted address" and login.grant().code.startswith("aPrx")
    assert box.value == ""  # the code does not linger in widget state


def _free() -> int:
    from helpers.tutorial.dryrun import free_ports
    return free_ports(1)


def test_interactive_login_through_the_proxy_end_to_end(env, monkeypatch, orgs):
    """A learner on a hub whose address is known: the link opens the login host through the
    proxy, the redirect comes back through the proxy to the notebook's listener."""
    with StandInProxy(rewrite_location=True) as proxy:
        monkeypatch.setenv("TUTORIAL_PUBLIC_URL", proxy.url + BASE)
        monkeypatch.setenv("TUTORIAL_BROWSER", "interactive")
        listen = _free()
        monkeypatch.setenv("SF_CALLBACK_URL", f"http://localhost:{listen}/OauthRedirect")
        progress = quiet(tutorial.catch_up, 3)
        assert progress.settings.callback_url == f"{proxy.url}{BASE}proxy/{listen}/OauthRedirect"
        login = quiet(tutorial.Login(progress.target, progress.flow, timeout=30).start)
        assert "through the Jupyter server's proxy" in login.view.children[1].value
        port = urlsplit(orgs.login_url).port
        with requests.Session() as browser:
            browser.trust_env = False
            done = browser_flow(browser, f"{proxy.url}{BASE}proxy/{port}", orgs, progress.flow)
        assert "Login complete" in done.text
        login._reporter.join(10)
        assert login.via == "listener" and login.grant().code.startswith("aPrx")
