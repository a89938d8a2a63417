"""The slideshow (RISE, Alt+R) of a notebook in JupyterLab: it renders, and logs no errors.

JupyterLab runs as ``make lab`` runs it (tools/lab.py: its config folder in the environment, the
notebooks copied by ``copy_notebooks``, so ``rise.css`` sits next to them) over a temporary
folder laid out like the repository. jupyterlab-rise 0.43.1 failed here with 25+ "Maximum call
stack size exceeded" errors and a blank slide, and pulled in an extension that ``jupyter
labextension list`` flags incompatible; requirements.txt pins 0.42.0 for that.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect

from helpers.tutorial.dryrun import free_ports
from tests.browser.test_jupyterlab import Lab, run_lab
from tests.conftest import REPO
from tools import lab as make_lab

pytestmark = pytest.mark.browser

NOTEBOOK = "00-overview.ipynb"
SLIDES_MS = 20_000


def _allowed(message: ConsoleMessage, origin: str) -> bool:
    """Console errors that say nothing about this set-up, each for a stated reason."""
    where = message.location.get("url", "")
    text = message.text
    # The default reveal.js theme imports Google Fonts; the test's network is closed (a learner
    # online gets them, offline the slides fall back to the system's sans-serif).
    if not where.startswith(origin) and "ERR_NAME_NOT_RESOLVED" in text:
        return True
    # RISE asks for <notebook>.css beside every notebook, an optional per-notebook style sheet
    # (RISE docs, "Adding custom CSS": https://rise.readthedocs.io/en/latest/customize.html);
    # the folder-wide one, rise.css, exists (notebooks/rise.css).
    if re.search(r"/files/notebooks/[^/]+\.css\b", text) and "rise.css" not in text:
        return True
    if where.endswith(".css") and "rise.css" not in where and "404" in text:
        return True
    # Upstream jupyterlab-contrib/rise#119 (open): the slideshow's own application lacks
    # @jupyterlab/console, so ipywidgets' manager does not load there (widgets in slides do
    # not render; the notebooks' widgets work in JupyterLab).
    return "Shared module @jupyterlab/console doesn't exist" in text


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
            if m.type == "error" and not _allowed(m, origin) else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    notebook = slides_lab.open(page, NOTEBOOK)
    notebook.cell(0).locator(".jp-InputPrompt").click()  # command mode, as Alt+R needs
    page.keyboard.press("Alt+R")
    slides = page.frame_locator("iframe[src*='/rise/']")
    present = slides.locator(".reveal .slides section.present").first
    expect(present).to_be_visible(timeout=SLIDES_MS)
    first = notebook.sources[0].lstrip("# ").splitlines()[0]
    expect(present).to_contain_text(first[:40], timeout=SLIDES_MS)
    # What reveal.js draws after the first slide's section (no further event to wait for)
    expect(slides.locator(".reveal .controls")).to_be_attached(timeout=SLIDES_MS)
    shots(page, "slideshow")
    assert not errors, "\n".join(errors)


def test_labextension_list_reports_no_incompatible_extension():
    """`jupyter labextension list` in make lab's environment: nothing flagged incompatible
    (jupyterlab-rise 0.43 pulled in the JupyterLab 3 @jupyterlab/mathjax3-extension)."""
    listed = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                            env=make_lab.lab_environment(), capture_output=True, text=True,
                            timeout=60, check=False)
    output = listed.stdout + listed.stderr
    assert listed.returncode == 0, output
    assert "jupyterlab-rise v0.42" in output, output
    assert "incompatible" not in output, output


def test_make_lab_copies_rise_css_next_to_the_notebooks(tmp_path: Path):
    made = make_lab.copy_notebooks(REPO / "notebooks", tmp_path)
    assert "rise.css" in made
    assert (tmp_path / "rise.css").read_text() == (REPO / "notebooks" / "rise.css").read_text()
