"""The notebooks present as slides (jupyterlab-rise) with trainer notes whose timings add up.

Checked on the committed notebooks (tools/slides.py writes the metadata): every cell has a
``slideshow.slide_type``; each notebook has trainer notes (``slide_type: notes``) with
"Teaching: N min, Exercises: M min" once and "Section: K min" per section; the sections add
up to Teaching + Exercises, which equals the notebook's "Time to learn" and the README's
time for it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _readme_minutes() -> dict[str, int]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[(\d\d-[\w-]+)\]\(notebooks/[^)]+\) \|.*\| (\d+) min \|$", readme,
                      flags=re.M)
    return {name: int(minutes) for name, minutes in rows}


def test_every_notebook_has_a_readme_time():
    assert set(_readme_minutes()) == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_has_slide_metadata(path: Path):
    cells = _cells(path)
    missing = [i for i, c in enumerate(cells)
               if c["metadata"].get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert not missing, f"cells without slideshow.slide_type: {missing} (run tools/slides.py)"
    assert cells[0]["metadata"]["slideshow"]["slide_type"] == "slide"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_trainer_notes_timings_add_up(path: Path):
    cells = _cells(path)
    notes = [_text(c) for c in cells if c["metadata"]["slideshow"]["slide_type"] == "notes"]
    assert notes, "no trainer notes (slide_type: notes)"
    # raw cells: collapsed, they stay collapsed when a learner runs through with Shift+Enter
    assert all(c["cell_type"] == "raw" and not c.get("outputs") for c in cells
               if c["metadata"]["slideshow"]["slide_type"] == "notes")
    totals = [tuple(map(int, m)) for n in notes
              for m in re.findall(r"Teaching: (\d+) min, Exercises: (\d+) min", n)]
    assert len(totals) == 1, "one 'Teaching: N min, Exercises: M min' per notebook"
    teaching, exercises = totals[0]
    sections = [int(m) for n in notes for m in re.findall(r"Section: (\d+) min", n)]
    assert len(sections) == len(notes), "every notes cell gives its section's minutes"
    assert sum(sections) == teaching + exercises
    assert teaching + exercises == _readme_minutes()[path.stem], "README's time differs"
    learn = re.search(r"\*\*Time to learn\*\*: (\d+) minutes", _text(cells[0]))
    assert learn and int(learn[1]) == teaching + exercises, "'Time to learn' differs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_section_heading_has_notes(path: Path):
    """A '##' section that starts a slide is followed by its notes (the title's sections,
    Overview and Prerequisites, and the closing What's next/Resources are one slide each)."""
    cells = _cells(path)
    for i, cell in enumerate(cells[1:], start=1):
        if cell["metadata"]["slideshow"]["slide_type"] != "slide":
            continue
        has_notes = any(c["metadata"]["slideshow"]["slide_type"] == "notes"
                        for c in cells[i + 1:i + 2])
        assert has_notes or "## Summary" in _text(cell), f"slide {i} has no trainer notes"
