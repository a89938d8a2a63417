"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API.

Chromium comes from the system (``apt-get install chromium``; ``playwright install`` is not
used), found as ``$LOCALORG_CHROMIUM`` or ``chromium`` on the PATH. Without it the browser
tests are skipped on a developer machine and FAIL in CI (``CI=true``), so CI can never pass
without having run them::

    def test_login_page(page, shots):
        page.goto(url)
        shots(page, "login")          # artifacts/browser/<test>/01-login.png

Step screenshots cost a second or two each on a busy 2-core machine, so they are taken only
with ``LOCALORG_SHOTS=1`` (``LOCALORG_SHOTS=1 make test``); a failing test always leaves a
screenshot of every page it had open (``failed-N.png``).

One browser per session (a fresh temporary profile, made by Playwright), one context per
test (its own cookies, so every test starts logged out). test_jupyterlab.py and
test_pages.py share one page per module instead (a page costs Chromium over 1 s of CPU, a
JupyterLab load 5 s); ``tidy_for_the_next_test`` clears cookies and other tabs between tests.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

ARTIFACTS = REPO / "artifacts" / "browser"
# The background-networking flags matter here: without them Chromium calls Google services,
# and this kind of closed network refuses Chromium's connections.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000  # any single wait; a busy 2-core CI box needs a few seconds at most


def chromium_path() -> str | None:
    """``$LOCALORG_CHROMIUM`` if it is an executable, else ``chromium`` on the PATH."""
    explicit = os.environ.get("LOCALORG_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # requirements.txt pins it; only a stale .venv lacks it
        sync_playwright = None
    if path is None or sync_playwright is None:
        if path is None:
            found = os.environ.get("LOCALORG_CHROMIUM")
            what = (f"Chromium (LOCALORG_CHROMIUM={found} is not an executable)" if found
                    else "Chromium (no `chromium` on the PATH)")
        else:
            what = "the playwright package"
        message = (f"browser tests need {what}: `sudo apt-get install chromium` (or set "
                   "LOCALORG_CHROMIUM=/path/to/chromium) and `pip install -r requirements.txt`")
        if _in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _browser_first(browser) -> None:  # noqa: ARG001
    """Skip (or fail in CI) before any server or JupyterLab is started for nothing."""


def _shots_wanted() -> bool:
    return os.environ.get("LOCALORG_SHOTS", "").strip().lower() in ("1", "true", "yes")


def _folder(item: pytest.Item) -> Path:
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)


_FAILED = pytest.StashKey[bool]()  # the test's call phase failed (set by the hook below)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


def new_context(browser) -> object:
    """A context as every browser test gets it: 1280x900, TIMEOUT_MS for any wait."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def screenshot_if_failed(request: pytest.FixtureRequest, ctx) -> None:
    """After a failed test: ``failed-N.png`` of each page ``ctx`` has open."""
    if not request.node.stash.get(_FAILED, False):
        return
    for number, open_page in enumerate(ctx.pages, start=1):
        try:
            open_page.screenshot(path=str(_folder(request.node) / f"failed-{number}.png"),
                                 full_page=True, timeout=5_000)
        except Exception as exc:  # noqa: BLE001 - a crashed page must not hide the failure
            print(f"no failure screenshot of page {number}: {exc}")


def tidy_for_the_next_test(request: pytest.FixtureRequest, keep,
                           cookies: re.Pattern[str] | None = None) -> None:
    """For a page that several tests share (a page costs Chromium over 1 s of CPU, a
    JupyterLab load 5 s): the failure screenshot, then every other page of its context
    closed and the cookies whose names match ``cookies`` (all when None) forgotten."""
    ctx = keep.context
    screenshot_if_failed(request, ctx)
    for other in ctx.pages:
        if other is not keep:
            other.close()
    if cookies is None:
        ctx.clear_cookies()
    else:
        ctx.clear_cookies(name=cookies)
    assert not [c["name"] for c in ctx.cookies() if cookies is None or cookies.match(c["name"])]


@pytest.fixture
def context(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    ctx = new_context(browser)
    yield ctx
    screenshot_if_failed(request, ctx)
    ctx.close()


@pytest.fixture
def page(context) -> object:
    return context.new_page()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[object, str], Path]:
    """``shots(page, "step")`` saves artifacts/browser/<test>/NN-step.png (git-ignored) when
    ``LOCALORG_SHOTS=1``; otherwise it only returns the path it would have written."""
    folder = _folder(request.node)
    shutil.rmtree(folder, ignore_errors=True)
    count = [0]
    wanted = _shots_wanted()

    def take(page, step: str) -> Path:
        count[0] += 1
        path = folder / f"{count[0]:02d}-{step}.png"
        if wanted:
            page.screenshot(path=str(path), full_page=True)
        return path

    return take
