"""The slideshow (RISE, Alt+R) of a notebook in JupyterLab: it renders, and logs no errors.

JupyterLab runs as ``make lab`` runs it (tools/lab.py: its config folder in the environment, the
notebooks copied by ``copy_notebooks``, so ``rise.css`` sits next to them) over a temporary
folder laid out like the repository. jupyterlab-rise 0.43.1 failed here with 25+ "Maximum call
stack size exceeded" errors and a blank slide, and pulled in an extension that ``jupyter
labextension list`` flags incompatible; requirements.txt pins 0.42.0 for that.

No console error is excused (tools/jupyter-config/README.md says how each one went): the theme
no longer fetches Google Fonts, every notebook has the ``<notebook>.css`` RISE asks for, and
the slideshow page no longer loads ipywidgets' manager, which cannot load there
(jupyterlab-contrib/rise#119).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from helpers.tutorial.dryrun import free_ports
from tests.browser.test_jupyterlab import Lab, run_lab
from tests.conftest import REPO
from tools import lab as make_lab

pytestmark = pytest.mark.browser

NOTEBOOK = "00-overview.ipynb"
SLIDES_MS = 20_000


@pytest.fixture(scope="module")
def slides_lab(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:  # noqa: ARG001
    root = tmp_path_factory.mktemp("slides")
    notebooks = root / "notebooks"
    make_lab.copy_notebooks(REPO / "notebooks", notebooks)  # what make lab copies
    shutil.copytree(REPO / "docs", root / "docs")  # the overview's diagram: ../docs/images
    env = make_lab.lab_environment({})  # make lab's Jupyter config folder
    data = root / "orgs-data"  # never started: the slideshow needs no org
    yield from run_lab(root, notebooks, free_ports(1), env, None, data, served=root)  # type: ignore[arg-type]


def test_slideshow_renders_the_first_slide_without_console_errors(slides_lab: Lab, page, shots):
    origin = slides_lab.url
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.location.get('url')}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    # Nothing leaves the machine: RISE's default theme fetched fonts.googleapis.com
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((origin, "data:", "blob:"))
            else elsewhere.append(r.url))
    notebook = slides_lab.open(page, NOTEBOOK)
    notebook.cell(0).locator(".jp-InputPrompt").click()  # command mode, as Alt+R needs
    # RISE asks for the notebook's own style sheet once the theme is in (so after any font
    # request); Chromium aborts a 404 there (no response at all).
    own_css = NOTEBOOK.replace(".ipynb", ".css")
    with page.expect_request(lambda r: r.url.endswith(f"/{own_css}"),
                             timeout=SLIDES_MS) as asked:
        page.keyboard.press("Alt+R")
    answer = asked.value.response()
    assert answer is not None and answer.status == 200, f"{asked.value.url}: {asked.value.failure}"
    slides = page.frame_locator("iframe[src*='/rise/']")
    present = slides.locator(".reveal .slides section.present").first
    expect(present).to_be_visible(timeout=SLIDES_MS)
    first = notebook.sources[0].lstrip("# ").splitlines()[0]
    expect(present).to_contain_text(first[:40], timeout=SLIDES_MS)
    # What reveal.js draws after the first slide's section (no further event to wait for)
    expect(slides.locator(".reveal .controls")).to_be_attached(timeout=SLIDES_MS)
    shots(page, "slideshow")
    assert not errors, "\n".join(errors)
    assert not elsewhere, elsewhere
    # The theme make lab's settings choose, with the headings as the notebook writes them
    theme = slides.locator("body")
    expect(theme).to_have_class(re.compile(r"\btheme-white\b"))
    expect(present.locator("h1").first).to_have_css("text-transform", "none")
