"""The login host behind a path prefix, as jupyter-server-proxy serves it (remote kernels).

Two proxies, both over real sockets:

* ``StandInProxy`` - a few lines that do what jupyter-server-proxy 4.6's ``/proxy/<port>/``
  handler does (handlers.py): strip ``<base>/proxy/<port>``, pass every header on (``Host``
  included), set ``X-Forwarded-Prefix``/``X-Forwarded-Context``, and - when
  ``rewrite_location`` is on, like 4.5+ - prefix path-absolute ``Location`` headers of
  redirects. Fast, and it lets the tests check both proxy generations.
* the real thing: a Jupyter server with jupyter-server-proxy on ``/user/ada/`` (one per
  module, a few seconds to start), the whole flow through it.

The browser is a ``requests.Session`` (cookies honoured per path, redirects followed by hand
so each hop is checked), the kernel side is the tutorial's own helpers.
"""

from __future__ import annotations

import http.client
import re
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from helpers.http import make_session
from helpers.oauth import AuthorizationFlow, CallbackListener, OAuthClient, TrustPolicy
from helpers.tutorial.remote import listen_address
from localorg.web.proxy import PrefixFromProxy, relative_reference
from tests.conftest import REPO, wait_until

BASE = "/user/ada/"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_START = re.compile(r'name="startURL" value="([^"]*)"')
_ACTION = re.compile(r'<form method="post" action="([^"]*)" id="(login_form|consent_form)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandInProxy:
    """``http://127.0.0.1:<port><base>proxy/<p>/<path>`` -> ``http://127.0.0.1:<p>/<path>``."""

    def __init__(self, rewrite_location: bool) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                match = re.match(rf"^{re.escape(BASE)}proxy/(\d+)(/[^?]*)?(\?.*)?$", self.path)
                if match is None:
                    self.send_error(404)
                    return
                port, path, query = int(match[1]), match[2] or "/", match[3] or ""
                context = f"{BASE}proxy/{port}"
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive", "content-length")}
                headers.update({"X-Forwarded-Prefix": context, "X-Forwarded-Context": context,
                                "X-ProxyContextPath": context})
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    conn.request(self.command, path + query, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() in ("content-length", "transfer-encoding", "connection"):
                        continue
                    if (name.lower() == "location" and proxy.rewrite_location
                            and answer.status in (301, 302, 303, 307, 308)
                            and value.startswith("/")):
                        value = context + value
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

        self.rewrite_location = rewrite_location
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _login_port(orgs) -> int:
    return urlsplit(orgs.login_url).port


def browser_flow(browser: requests.Session, public: str, orgs, flow: AuthorizationFlow,
                 headers: dict[str, str] | None = None) -> requests.Response:
    """Log in and click Allow through ``public`` (the proxied login host); return the final
    response of the callback, every hop checked to stay inside the prefix."""
    prefix = urlsplit(public).path  # e.g. /user/ada/proxy/8700
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(public))
    start = public + flow.authorization_url[len(flow.login_url):]
    page = browser.get(start, headers=headers, allow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    assert f'href="{prefix}/static/localorg.css"' in page.text
    action = unescape(_ACTION.search(page.text)[1])
    assert action == prefix + "/"
    cookie = page.headers["Set-Cookie"]
    assert f"Path={prefix}" in cookie and "HttpOnly" in cookie  # scoped to the login host
    user = orgs.user("B")
    form = {"csrf_token": _CSRF.search(page.text)[1],
            "startURL": unescape(_START.search(page.text)[1]),
            "username": user["username"], "pw": user["password"]}
    post_url = urljoin(start, action)
    answer = browser.post(post_url, data=form, allow_redirects=False,
                          headers={**(headers or {}), "Origin": origin})
    assert answer.status_code == 302, answer.text[:300]
    consent_url = urljoin(post_url, answer.headers["Location"])
    assert urlsplit(consent_url).path == prefix + "/services/oauth2/authorize"
    consent = browser.get(consent_url, headers=headers, allow_redirects=False)
    assert consent.status_code == 200 and "consent_form" in consent.text
    action = unescape(_ACTION.search(consent.text)[1])
    assert action.startswith(prefix + "/services/oauth2/authorize?")
    allow = browser.post(urljoin(consent_url, action), allow_redirects=False,
                         headers={**(headers or {}), "Origin": origin},
                         data={"csrf_token": _CSRF.search(consent.text)[1], "decision": "allow"})
    assert allow.status_code == 302, allow.text[:300]
    callback = allow.headers["Location"]
    assert callback.startswith(flow.redirect_uri + "?code=")  # absolute: the app's callback
    return browser.get(callback, headers=headers, allow_redirects=False)


@pytest.fixture(params=[False, True], ids=["jsp<4.5", "jsp>=4.5-rewrites-Location"])
def stand_in(request) -> Iterator[StandInProxy]:
    with StandInProxy(rewrite_location=request.param) as proxy:
        yield proxy


def test_whole_flow_through_a_prefix_stripping_proxy(orgs, stand_in) -> None:
    """Login page, login, consent and the callback all through <base>/proxy/<port>/; the
    listener gets the proxied callback on its own port and exact path; the kernel then
    redeems the code directly, and the token's id URL is the direct loopback one."""
    listen = _free_port()
    callback = f"{stand_in.url}{BASE}proxy/{listen}/OauthRedirect"
    assert listen_address(callback) == (listen, "/OauthRedirect")
    app = orgs.create_app(callback_urls=[callback])
    flow = AuthorizationFlow(orgs.login_url, app.client_id, callback)
    with CallbackListener(flow, timeout=30, port=listen, path="/OauthRedirect").start() as lst:
        with requests.Session() as browser:
            browser.trust_env = False
            done = browser_flow(browser, f"{stand_in.url}{BASE}proxy/{_login_port(orgs)}",
                                orgs, flow)
        grant = lst.wait()
    assert done.status_code == 200 and "Login complete" in done.text
    assert grant.redirect_uri == callback
    client = OAuthClient(orgs.login_url, app.client_id, app.client_secret,
                         session=make_session(orgs.ca_bundle),
                         trust=TrustPolicy.local(_local_origins(orgs)))
    token = client.exchange_code(grant)
    assert token.id_url.startswith(orgs.login_url + "/id/")  # the kernel's address, no prefix


def _local_origins(orgs) -> tuple[str, ...]:
    return (orgs.login_url, orgs.instance_url("A"), orgs.instance_url("B"))


def test_form_from_another_site_is_refused_behind_the_proxy(orgs, stand_in) -> None:
    """B-07 still holds behind the prefix: the browser's own host is accepted, not others."""
    with requests.Session() as browser:
        browser.trust_env = False
        public = f"{stand_in.url}{BASE}proxy/{_login_port(orgs)}/"
        page = browser.get(public)
        form = {"csrf_token": _CSRF.search(page.text)[1], "startURL": "",
                "username": orgs.user("B")["username"], "pw": orgs.user("B")["password"]}
        evil = browser.post(public, data=form, headers={"Origin": "https://evil.example"},
                            allow_redirects=False)
        assert evil.status_code == 403
        ok = browser.post(public, data=form, headers={"Origin": stand_in.url},
                          allow_redirects=False)
        assert ok.status_code == 302
        logout = browser.get(public + "secur/logout.jsp", allow_redirects=False)
        assert logout.headers["Location"] in ("../", f"{BASE}proxy/{_login_port(orgs)}/")


def test_direct_access_is_unchanged(orgs) -> None:
    """Without the proxy header nothing moves: Path=/ cookie, root-relative form action."""
    with orgs.session() as browser:
        page = browser.get(orgs.login_url + "/")
        assert 'action="/" id="login_form"' in page.text
        assert "Path=/;" in page.headers["Set-Cookie"] or \
            page.headers["Set-Cookie"].endswith("Path=/")


def _environ(prefix: str, remote: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SCRIPT_NAME": "", "SERVER_NAME": "x",
            "SERVER_PORT": "80", "wsgi.url_scheme": "http", "REMOTE_ADDR": remote,
            "HTTP_X_FORWARDED_PREFIX": prefix}


@pytest.mark.parametrize(("prefix", "remote", "expected"), [
    ("/user/ada/proxy/8700", "127.0.0.1", "/user/ada/proxy/8700"),
    ("/user/ada/proxy/8700", "::1", "/user/ada/proxy/8700"),
    ("/user/ada/proxy/8700", "10.0.0.5", ""),        # --expose: a peer elsewhere is not believed
    ("//evil.example/x", "127.0.0.1", ""),           # would turn links protocol-relative
    ("/user/../proxy/8700", "127.0.0.1", ""),
    ('/x"><script>', "127.0.0.1", ""),
    ("/x;Domain=evil.example", "127.0.0.1", ""),    # would add cookie attributes
    ("/user/ada%40example.org/proxy/8700/", "127.0.0.1", "/user/ada%40example.org/proxy/8700"),
])
def test_prefix_is_taken_only_from_loopback_and_only_when_clean(prefix, remote, expected):
    seen = {}

    def app(environ, start_response):
        seen["script_name"] = environ.get("SCRIPT_NAME", "")
        start_response("200 OK", [])
        return [b""]

    list(PrefixFromProxy(app)(_environ(prefix, remote), lambda *_: None))
    assert seen["script_name"] == expected


@pytest.mark.parametrize(("target", "current", "expected"), [
    ("/services/oauth2/authorize?a=1", "/", "services/oauth2/authorize?a=1"),
    ("/", "/secur/logout.jsp", "../"),
    ("/", "/", "./"),
    ("/lightning/setup/SetupOneHome/home", "/services/oauth2/authorize",
     "../../lightning/setup/SetupOneHome/home"),
])
def test_relative_reference(target, current, expected) -> None:
    assert relative_reference(target, current) == expected
    base = "https://hub.example.org/user/ada/proxy/8700"
    assert urljoin(base + current, expected) == base + target


# -- the real jupyter-server-proxy ----------------------------------------------------------

@pytest.fixture(scope="module")
def jupyter(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A Jupyter server with jupyter-server-proxy at http://127.0.0.1:<port>/user/ada/."""
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter")
    env = {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "rt"),
           "HOME": str(home), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
           "--no-browser", f"--ServerApp.base_url={BASE}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={home}", "--ServerApp.port_retries=0",
           "--allow-root"]  # CI runs as root
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{BASE}"

    def up() -> bool:
        try:
            return requests.get(url + "api/status", timeout=2,
                                headers={"Authorization": f"token {token}"}).ok
        except requests.RequestException:
            return False

    try:
        assert wait_until(up, timeout=60), "the Jupyter server did not start"
        yield url, token
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_whole_flow_through_real_jupyter_server_proxy(orgs, jupyter) -> None:
    """The same flow through jupyter-server-proxy 4.6 itself (Jupyter's token as the
    browser's hub login): the login host under /user/ada/proxy/<port>/, the callback
    registered as /user/ada/proxy/<listener>/OauthRedirect."""
    url, token = jupyter
    listen = _free_port()
    callback = f"{url}proxy/{listen}/OauthRedirect"
    app = orgs.create_app(callback_urls=[callback])
    flow = AuthorizationFlow(orgs.login_url, app.client_id, callback)
    auth = {"Authorization": f"token {token}"}
    port, path = listen_address(callback)
    with CallbackListener(flow, timeout=30, port=port, path=path).start() as lst:
        with requests.Session() as browser:
            browser.trust_env = False
            done = browser_flow(browser, f"{url}proxy/{_login_port(orgs)}", orgs, flow, auth)
        grant = lst.wait()
    assert done.status_code == 200 and "Login complete" in done.text
    assert grant.redirect_uri == callback
