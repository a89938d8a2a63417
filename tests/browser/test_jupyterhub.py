"""A real JupyterHub: a learner's browser on another machine, the kernel on the hub.

What a trainer runs for a class (docs/workshops.md), on one machine: JupyterHub (PyPI) with
configurable-http-proxy (npm, ``package.json``; ``make test`` runs ``npm ci``), one shared
password (``SharedPasswordAuthenticator``, which replaced ``DummyAuthenticator``'s password in
JupyterHub 5.3), ``SimpleLocalProcessSpawner`` (no user switching, so it works as root in CI)
starting ``jupyterhub-singleuser`` from this ``.venv`` (the project and jupyter-server-proxy
installed), and ``TUTORIAL_PUBLIC_URL=<hub>/hub/user-redirect/`` for every learner. The hub
listens on 127.0.0.1 over HTTPS with a throw-away certificate for ``hub.example.test``.

Chromium reaches it as ``https://hub.example.test:<port>`` (``--host-resolver-rules`` maps
the name to 127.0.0.1): a NON-loopback host, as every real hub has. It trusts exactly the
hub's key (``--ignore-certificate-errors-spki-list``, Chromium's per-key trust), nothing else.

The learner logs in to the hub, JupyterLab opens, notebook 04 runs in interactive mode; the
login link goes through ``<hub>/user/<name>/proxy/<login port>/`` to the local login host,
the learner logs in to ORG B and clicks Allow, and the redirect comes back through
``<hub>/hub/user-redirect/proxy/<listener port>/OauthRedirect`` to the kernel. Notebook 08
then posts ORG A's newest Account, which the test finds in ORG B over REST.
Screenshots: ``artifacts/browser/<test>/``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import Locator, Page, expect

import localorg
from helpers.tutorial.dryrun import SEED, environment, free_ports
from tests.browser.conftest import CHROMIUM_ARGS, TIMEOUT_MS, _in_ci, chromium_path
from tests.browser.test_jupyterlab import (
    KERNEL_MS,
    LINK_TEXT,
    NOTEBOOKS,
    Notebook,
    _copy_notebooks,
    _lab_settings,
)
from tests.conftest import REPO, stop_process, wait_for_server

pytestmark = pytest.mark.browser

HUB_NAME = "hub.example.test"  # RFC 2606 reserved name; mapped to 127.0.0.1 in Chromium only
LEARNER = "learner"
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
SPAWN_MS = 120_000  # spawn + first JupyterLab page + first kernel on a busy 2-core machine
HUB_START_S = 60


@dataclass
class Hub:
    url: str                      # as the learner's browser shows it
    password: str                 # the hub's shared password (SharedPasswordAuthenticator)
    spki: str                     # base64 SHA-256 of the hub certificate's public key
    env: dict[str, str]           # the tutorial's environment in the learner's server
    orgs: localorg.LocalOrgInfo
    home: Path                    # the learner's folder (the notebooks' copies)
    logs: Path


def _missing(what: str) -> None:
    """FAIL in CI, skip with a hint elsewhere (the policy of tests/browser/conftest.py)."""
    if _in_ci():
        pytest.fail(f"CI=true and {what}", pytrace=False)
    pytest.skip(what)


def _certificate(folder: Path) -> tuple[Path, Path, str]:
    """A self-signed certificate for HUB_NAME: (cert, key, SPKI hash for Chromium)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HUB_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HUB_NAME)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "hub.crt", folder / "hub.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _hub_config(root: Path, port: int, hub_port: int, api_port: int, cert: Path, key: Path,
                password: str, home: Path, user_env: dict[str, str]) -> Path:
    """jupyterhub_config.py: the docs/workshops.md recipe, on loopback ports."""
    bin_dir = Path(sys.executable).parent
    settings = {
        "ip": "127.0.0.1", "port": port, "ssl_cert": str(cert), "ssl_key": str(key),
        "hub_ip": "127.0.0.1", "hub_port": hub_port, "api_url": f"http://127.0.0.1:{api_port}",
        "chp": [str(CHP)], "db": f"sqlite:///{root / 'jupyterhub.sqlite'}",
        "cookie_secret": str(root / "jupyterhub_cookie_secret"), "pid": str(root / "proxy.pid"),
        "password": password, "user": LEARNER, "home": str(home),
        "singleuser": str(bin_dir / "jupyterhub-singleuser"), "env": user_env,
    }
    config = root / "jupyterhub_config.py"
    config.write_text(f"""
import json
s = json.loads({json.dumps(json.dumps(settings))})
c.JupyterHub.ip, c.JupyterHub.port = s["ip"], s["port"]
c.JupyterHub.ssl_cert, c.JupyterHub.ssl_key = s["ssl_cert"], s["ssl_key"]
c.JupyterHub.hub_ip, c.JupyterHub.hub_port = s["hub_ip"], s["hub_port"]
c.JupyterHub.db_url = s["db"]
c.JupyterHub.cookie_secret_file = s["cookie_secret"]
c.JupyterHub.cleanup_servers = True
c.ConfigurableHTTPProxy.command = s["chp"]
c.ConfigurableHTTPProxy.api_url = s["api_url"]
c.ConfigurableHTTPProxy.pid_file = s["pid"]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.authenticator_class = "shared-password"  # DummyAuthenticator's successor (5.3)
c.SharedPasswordAuthenticator.user_password = s["password"]
c.Authenticator.allowed_users = {{s["user"]}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = s["home"]
c.Spawner.cmd = [s["singleuser"]]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--allow-root", "--ServerApp.terminals_enabled=False",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                  "--LabApp.extension_manager=readonly"]
c.Spawner.environment = s["env"]
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
""")
    return config


@pytest.fixture(scope="module")
def hub(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:  # noqa: ARG001
    if importlib.util.find_spec("jupyterhub") is None:
        _missing("the JupyterHub test needs jupyterhub: `pip install -r requirements.txt`")
    node = shutil.which("node")
    version = subprocess.run([node, "--version"], capture_output=True, text=True,
                             timeout=30).stdout if node else ""
    major = re.match(r"v(\d+)\.", version)
    if not major or int(major.group(1)) < 18:
        _missing(f"the JupyterHub test needs Node.js >= 18 for configurable-http-proxy (found "
                 f"{version.strip() or 'none'}): `sudo apt-get install nodejs npm`")
    if not os.access(CHP, os.X_OK):
        _missing(f"the JupyterHub test needs configurable-http-proxy ({CHP} is missing): "
                 "`make test` installs it (`npm ci`, package.json)")
    root = tmp_path_factory.mktemp("hub")
    home = root / "home" / LEARNER
    home.mkdir(parents=True)
    _copy_notebooks(home)
    data = root / "localorg"
    # One block of free ports: ORG logins + A + B, the hub, its API, the proxy's API, the
    # notebook's callback listener.
    base = free_ports(7)
    port, hub_port, api_port, callback = base + 3, base + 4, base + 5, base + 6
    url = f"https://{HUB_NAME}:{port}"
    # What the trainer sets for every learner (docs/workshops.md): one address, the hub's
    # redirect to the logged-in learner's own server.
    env = {**environment(str(data), base, callback), "TUTORIAL_BROWSER": "interactive",
           "TUTORIAL_PUBLIC_URL": f"{url}/hub/user-redirect/"}
    user_env = {**env, "PYTHONPATH": str(REPO),
                "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"),
                "JUPYTERLAB_SETTINGS_DIR": str(_lab_settings(root)),
                "JUPYTERLAB_WORKSPACES_DIR": str(root / "lab-workspaces")}
    cert, key, spki = _certificate(root)
    password = secrets.token_urlsafe(16)
    config = _hub_config(root, port, hub_port, api_port, cert, key, password, home, user_env)
    orgs = localorg.ensure_running(data, base, seed=SEED)
    logs = root / "jupyterhub.log"
    log = logs.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=root,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
             f"{os.environ.get('PATH', '')}"},
        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    probe = requests.Session()
    probe.trust_env = False

    try:  # the hub's own API, plain HTTP on loopback
        assert wait_for_server(proc, probe, f"http://127.0.0.1:{hub_port}/hub/api/",
                               HUB_START_S), \
            f"JupyterHub did not start; see {logs}"
        yield Hub(url, password, spki, env, orgs, home, logs)
    finally:
        stop_process(proc)  # the hub stops the learner's server and its proxy
        log.close()
        probe.close()
        localorg.stop(data)


@pytest.fixture
def hub_page(browser, hub: Hub) -> Iterator[Page]:
    """A Chromium of its own: the hub's name maps to 127.0.0.1 and only its key is trusted."""
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HUB_NAME} 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={hub.spki}"]
    own = browser.browser_type.launch(executable_path=chromium_path(), args=args, headless=True)
    try:
        ctx = own.new_context(viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        yield ctx.new_page()
    finally:
        own.close()


def test_learner_on_jupyterhub_logs_in_and_posts(hub_page, hub, shots, monkeypatch):
    """The whole hub path with a non-loopback host name, as on every real hub
    (docs/workshops.md; localorg/web/proxy.py; security.md B-07: the login and consent
    forms are posted with the hub's ``Origin``). The flow: "OAuth 2.0 Web Server Flow for
    Web App Integration", Salesforce Help,
    https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm"""
    page = hub_page
    user = hub.orgs.user("B")
    page.goto(f"{hub.url}/hub/login")
    page.fill("input[name=username]", LEARNER)
    page.fill("input[name=password]", hub.password)
    shots(page, "hub-login")
    page.click("#login_submit")

    nb = _open(page, hub, NOTEBOOKS[0], SPAWN_MS)  # the hub spawns the learner's server
    assert urlsplit(page.url).netloc == f"{HUB_NAME}:{urlsplit(hub.url).port}"
    assert urlsplit(page.url).path.startswith(f"/user/{LEARNER}/lab")
    shots(page, "jupyterlab-on-the-hub")

    user_cell = nb.find("if progress.target.is_local:")
    login_cell = nb.find("login = tutorial.Login(")
    grant_cell = nb.find("grant = login.grant()")
    nb.run(0, login_cell)
    expect(nb.output(user_cell)).to_contain_text(f"username: {user['username']}")
    callback_port = urlsplit(hub.env["SF_CALLBACK_URL"]).port
    callback = f"{hub.url}/hub/user-redirect/proxy/{callback_port}/OauthRedirect"
    expect(nb.output(login_cell)).to_contain_text(
        f"Listening on {callback} (through the Jupyter server's proxy)")
    shots(page, "login-widget")

    login_port = urlsplit(hub.orgs.login_url).port
    link = nb.output(login_cell).locator("a", has_text=LINK_TEXT)
    expect(link).to_have_attribute("href", re.compile(
        rf"^{re.escape(hub.url)}/hub/user-redirect/proxy/{login_port}/services/oauth2/"))
    with page.context.expect_page() as new_tab:
        link.click()
    tab = new_tab.value
    # The hub's user-redirect sends the tab to the learner's own server, then the proxy, to
    # ORG B's login page. Authlib refuses an http:// request URL whose host is not localhost
    # (error=insecure_transport): the login host must accept the proxied request whose Host
    # is the hub's public name, as it is on every real hub.
    expect(_landed(tab, "#login_form, #consent_form")).to_be_visible(timeout=KERNEL_MS)
    shots(tab, "org-b-login-through-the-hub")
    assert "error=" not in tab.url, f"ORG B's login host refused the proxied request: {tab.url}"
    assert urlsplit(tab.url).path.startswith(f"/user/{LEARNER}/proxy/{login_port}/"), tab.url
    expect(tab.locator("#login_form")).to_be_visible()
    tab.fill("input[name=username]", user["username"])
    tab.fill("input[name=pw]", user["password"])
    tab.click("#Login")
    expect(_landed(tab, "#consent_form")).to_be_visible(timeout=KERNEL_MS)
    shots(tab, "consent")
    assert "error=" not in tab.url, f"ORG B's login host refused the proxied login: {tab.url}"
    expect(tab.locator("#consent_form")).to_be_visible()
    expect(tab.locator("#app-name")).to_have_text("Tutorial web server flow")
    tab.click("#oaapprove")
    expect(tab.locator("h1")).to_have_text("Login complete", timeout=KERNEL_MS)
    assert urlsplit(tab.url).path == f"/user/{LEARNER}/proxy/{callback_port}/OauthRedirect"
    shots(tab, "callback-through-the-hub")

    expect(nb.output(login_cell)).to_contain_text(re.compile(
        r"Callback received \(listener\): state checked, code aPrx\S+ \(masked\) ready"))
    nb.run(login_cell + 1, grant_cell)
    expect(nb.output(grant_cell)).to_contain_text(f"redirect_uri='{callback}'")
    expect(nb.output(grant_cell)).not_to_contain_text("Error")
    shots(page, "grant")

    # Notebook 08: the post, from the learner's kernel on the hub. It catches up on 01-07
    # itself (its demo user logs in on loopback, as in test_jupyterlab.py).
    nb = _open(page, hub, NOTEBOOKS[2], KERNEL_MS)
    post_cell = nb.find("payload = [api.account_payload(latest)]")
    helper_cell = nb.find("created = api.post_accounts_to_apex(")
    query_cell = nb.find("name = api.soql_quote(")
    try:
        nb.run(0, query_cell)
    except AssertionError:
        shots(page, "notebook-08-stopped")  # the cell that failed, for the CI artifacts
        raise
    expect(nb.output(post_cell)).to_contain_text("200 'Success'")  # the POST written by hand
    expect(nb.output(helper_cell)).to_contain_text("ORG B created 1 Account(s)")
    expect(page.locator(".jp-OutputArea-output[data-mime-type*='error']")).to_have_count(0)
    shots(page, "posted-from-the-hub")

    for key, value in hub.env.items():
        monkeypatch.setenv(key, value)
    _assert_account_in_org_b(hub, nb, query_cell)


def _open(page: Page, hub: Hub, notebook: str, timeout: int) -> Notebook:
    """Open ``notebook`` in the learner's JupyterLab through the hub, ready for Shift+Enter.

    The status bar's kernel state is the CURRENT document's: JupyterLab restores the tabs
    of the previous page first, so the test waits until ``notebook`` is the current tab
    before it trusts "Idle" (else the keys go to another notebook, or to none)."""
    page.goto(f"{hub.url}/hub/user-redirect/lab/tree/{notebook}?reset")
    cells = json.loads((hub.home / notebook).read_text())["cells"]
    nb = Notebook(page, ["".join(cell["source"]) for cell in cells])
    expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")).to_have_text(
        notebook, timeout=timeout)
    expect(nb.cells.first).to_be_visible(timeout=timeout)
    nb.wait_idle()
    return nb


def _landed(tab: Page, expected: str) -> Locator:
    """``expected`` or whatever ends the flow early: the listener's answer (an OAuth error
    redirected to the callback) or the login host's error page. One wait, no timeout spent
    on a page that will never come."""
    ended = tab.get_by_role("heading", name=re.compile(
        r"^(Authorization not granted|Login not completed)$"))
    return tab.locator(expected).or_(ended).or_(tab.locator(".error-message")).first


def _assert_account_in_org_b(hub: Hub, nb: Notebook, query_cell: int) -> None:
    """ORG A's newest Account is in ORG B, found over REST with the tutorial's own client
    (the tutorial's environment is set: ``monkeypatch.setenv``)."""
    from helpers import api, tutorial

    progress = tutorial.catch_up(7, quiet=True)
    latest = api.latest_account(tutorial.connect_org_a(progress.settings))
    sf_b = api.connect(progress.api, progress.settings)
    name = api.soql_quote(latest["Name"])
    found = sf_b.query(f"SELECT Id, Name FROM Account WHERE Name = {name}")  # noqa: S608
    assert found["totalSize"] == 2  # 08 posts it by hand, then again through the helper
    expect(nb.output(query_cell)).to_contain_text(found["records"][0]["Id"])
