"""A remote kernel, for real: the browser may reach ONLY the Jupyter server's port.

JupyterLab (with jupyter-server-proxy) on a free port, the kernel told where the browser
finds it (``TUTORIAL_PUBLIC_URL``), and Playwright aborting every request whose port is not
Jupyter's: the local orgs' ports and the callback listener's are unreachable, exactly as on
JupyterHub or Binder. Notebook 04's login must still complete: the login link goes through
``<jupyter>/proxy/<login port>/``, ORG B's pages stay inside that prefix, and the redirect
comes back through ``<jupyter>/proxy/<listener port>/OauthRedirect`` to the notebook.

Reuses the JupyterLab driver of test_jupyterlab.py; cells are found by their source, not by
index (tools/slides.py inserts trainer-notes cells).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

import localorg
from helpers.tutorial.dryrun import SEED, environment, free_ports
from tests.browser.test_jupyterlab import (
    KERNEL_MS,
    LINK_TEXT,
    Lab,
    _copy_notebooks,
    log_in_tab,
    run_lab,
)
from tests.conftest import REPO

pytestmark = pytest.mark.browser
NOTEBOOK = "04-authenticate-and-grant.ipynb"


def _cell_index(startswith: str) -> int:
    cells = json.loads((REPO / "notebooks" / NOTEBOOK).read_text())["cells"]
    return next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith(startswith))


@pytest.fixture(scope="module")
def remote_lab(browser, tmp_path_factory) -> Iterator[Lab]:  # noqa: ARG001
    root = tmp_path_factory.mktemp("remote-lab")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    _copy_notebooks(notebooks)
    data = root / "localorg"
    base, port = free_ports(3), free_ports(1)
    callback = free_ports(1)
    while base <= callback < base + 3 or callback == port:
        callback = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    env = {**environment(str(data), base, callback), "TUTORIAL_BROWSER": "interactive",
           "TUTORIAL_PUBLIC_URL": url + "/"}  # what a trainer sets on a hub
    orgs = localorg.ensure_running(data, base, seed=SEED)
    yield from run_lab(root, notebooks, port, env, orgs, data)


def test_login_through_jupyter_server_proxy_only(page, remote_lab, shots):
    lab = remote_lab
    jupyter_port = urlsplit(lab.url).port
    seen: list[str] = []
    blocked: list[str] = []

    def only_jupyter(route) -> None:
        url = route.request.url
        seen.append(url)
        if urlsplit(url).port != jupyter_port:
            blocked.append(url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", only_jupyter)  # new tabs of this context too
    nb = lab.open(page, NOTEBOOK)
    login_cell = _cell_index("login = tutorial.Login(")
    nb.run(0, login_cell)
    callback = f"{lab.url}/proxy/{urlsplit(lab.env['SF_CALLBACK_URL']).port}/OauthRedirect"
    expect(nb.output(login_cell)).to_contain_text(
        f"Listening on {callback} (through the Jupyter server's proxy)")
    shots(page, "login-widget")

    login_port = urlsplit(lab.orgs.login_url).port
    link = nb.output(login_cell).locator("a", has_text=LINK_TEXT)
    expect(link).to_have_attribute(
        "href", re.compile(rf"^{re.escape(lab.url)}/proxy/{login_port}/services/oauth2/"))
    with page.context.expect_page() as new_tab:
        link.click()
    tab = new_tab.value
    log_in_tab(tab, lab, shots)
    expect(tab.locator("#consent_form")).to_be_visible()
    assert urlsplit(tab.url).path.startswith(f"/proxy/{login_port}/services/oauth2/authorize")
    shots(tab, "consent-through-proxy")
    tab.click("#oaapprove")
    expect(tab.locator("h1")).to_have_text("Login complete", timeout=KERNEL_MS)
    assert urlsplit(tab.url).path == urlsplit(callback).path
    shots(tab, "callback-through-proxy")

    expect(nb.output(login_cell)).to_contain_text(re.compile(
        r"Callback received \(listener\): state checked, code aPrx\S+ \(masked\) ready"))
    nb.run(login_cell + 1, _cell_index("grant = login.grant()"))
    expect(nb.output(_cell_index("grant = login.grant()"))).to_contain_text(
        f"redirect_uri='{callback}'")
    shots(page, "grant")
    assert not blocked, f"the browser tried to bypass the proxy: {blocked}"
    assert any(f"/proxy/{login_port}/" in u for u in seen)
