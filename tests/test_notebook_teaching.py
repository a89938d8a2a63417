"""The notebooks teach the code (issue 11): numbered titles, the requests of the flow written
by hand in visible cells, exercises with a check and a collapsed solution, trainer notes out
of the reading path, and a trainer guide that matches the notes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
EXERCISED = [p for p in NOTEBOOKS if "03" <= p.name[:2] <= "08"]

# What each notebook writes by hand (RFC 7636 §4.1-4.2, RFC 6749 §4.1.1/§4.1.3, Salesforce
# Help "OAuth 2.0 Web Server Flow for Web App Integration", Apex REST POST).
BY_HAND = {
    "03": ["secrets.token_urlsafe(32)", "hashlib.sha256(", "base64.urlsafe_b64encode(",
           "urlencode(params"],
    "05": ["parse_qs(urlsplit(", "hmac.compare_digest("],
    "06": ['session.post(f"{settings.login_url}/services/oauth2/token", data={',
           "response.json()"],
    "07": ["hmac.new(secret.encode(), message, hashlib.sha256)"],
    "08": ['/services/apexrest/createAccountRecord", json=payload',
           'headers={"Authorization": f"Bearer {token.access_token}"}', '== "Success"'],
}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_starts_with_the_notebook_number(path: Path):
    assert _text(_cells(path)[0]).startswith(f"# {path.name[:2]} · ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_trainer_notes_are_collapsed(path: Path):
    notes = [c for c in _cells(path) if c["metadata"]["slideshow"]["slide_type"] == "notes"]
    assert notes
    assert all(c["metadata"].get("jupyter", {}).get("source_hidden") for c in notes)


@pytest.mark.parametrize("number", sorted(BY_HAND))
def test_the_requests_are_written_by_hand_in_code_cells(number: str):
    path = next(p for p in NOTEBOOKS if p.name.startswith(number))
    code = "\n".join(_text(c) for c in _cells(path) if c["cell_type"] == "code")
    for snippet in BY_HAND[number]:
        assert snippet in code, f"{path.name}: no visible {snippet!r}"


@pytest.mark.parametrize("path", EXERCISED, ids=lambda p: p.name)
def test_exercise_has_a_learner_cell_a_check_and_a_collapsed_solution(path: Path):
    cells = _cells(path)
    start = next(i for i, c in enumerate(cells)
                 if c["cell_type"] == "markdown" and _text(c).startswith("## Exercise"))
    after = cells[start + 1:]
    code = [c for c in after if c["cell_type"] == "code"]
    assert len(code) >= 2, "a cell for the learner, then a check cell"
    check = next(c for c in code if _text(c).startswith("# Check"))
    said = "".join("".join(o.get("text", "")) for o in check.get("outputs", []))
    assert re.search(r"^(✓|✗) ", said, flags=re.M), "the check says plainly right or not"
    solution = next(c for c in after if _text(c).startswith("Solution"))
    assert solution["cell_type"] == "raw"  # Shift+Enter never expands a raw cell
    assert solution["metadata"].get("jupyter", {}).get("source_hidden")


def test_no_code_cell_reads_a_token_before_a_visible_exchange():
    """Issue 11: no attribute access performs the code exchange (07 used ``progress.token``)."""
    for path in NOTEBOOKS:
        code = "\n".join(_text(c) for c in _cells(path) if c["cell_type"] == "code")
        if "progress.token" in code or "progress.api" in code:
            first_use = min(i for i in (code.find("progress.token"), code.find("progress.api"))
                            if i >= 0)
            assert "exchange_code(" in code[:first_use], path.name


def test_trainer_guide_matches_the_notebooks():
    done = subprocess.run([sys.executable, "tools/trainer_guide.py", "--check"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_relative_link_and_image_resolves(path: Path):
    """``make lab`` serves the repository root, so ``../docs/…`` from a notebook (or from its
    copy in my-notebooks/, a sibling folder) must name a file or folder that exists."""
    for cell in _cells(path):
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall(_text(cell)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # absolute URL or anchor
            resolved = (path.parent / target.split("#")[0]).resolve()
            assert resolved.exists(), f"{path.name}: dead link {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_are_in_the_first_code_cell(path: Path):
    code = [_text(c) for c in _cells(path) if c["cell_type"] == "code"]
    late = [line for cell in code[1:] for line in cell.splitlines()
            if line.startswith(("import ", "from "))]
    assert not late, f"imports after the first code cell: {late}"

# Issue 11: "explanation next to the code it explains, about 600 words per notebook outside
# exercises". Fenced code in markdown is code, not prose; an Exercise section is the
# learner's task, counted apart.
PROSE_WORDS = 650


def _prose_words(path: Path) -> int:
    words, in_exercise = 0, False
    for cell in _cells(path):
        if cell["cell_type"] != "markdown":
            continue
        text = _text(cell)
        heading = re.match(r"(#{1,2}) (.*)", text)
        if heading:
            in_exercise = heading.group(2).startswith("Exercise")
        if not in_exercise:
            words += len(re.findall(r"[A-Za-z][A-Za-z'’-]*",
                                    re.sub(r"```.*?```", "", text, flags=re.S)))
    return words


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_is_about_600_words_outside_exercises(path: Path):
    words = _prose_words(path)
    assert words <= PROSE_WORDS, f"{path.name}: {words} words of prose (budget {PROSE_WORDS})"
