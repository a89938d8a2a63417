"""The committed notebooks hold no real secret, no widget state, no real-org output, and follow
the tutorial's notebook skeleton.

Outputs are committed on purpose (nbval compares them), so they are checked like code: every
token-shaped or key-shaped value in an output must come from the seeded local orgs that
``make notebooks`` runs against (security.md A-28: secrets never in logs or saved outputs).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from helpers.tutorial.dryrun import SEED
from localorg import ids

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_COUNTER = 5000  # far more random values than one full run of the notebooks draws

ACCESS_TOKEN = re.compile(r"\b(00D[A-Za-z0-9]{12})[A-Za-z0-9]{0,3}![A-Za-z0-9._\-]{8,}")
CONSUMER_KEY = re.compile(r"\b3MVG9[A-Za-z0-9._]{20,}")
HEX_SECRET = re.compile(r"\b[0-9A-Fa-f]{64}\b")
REFRESH_TOKEN = re.compile(r"\b5Aep8[A-Za-z0-9._]{20,}")
REAL_ORG_URL = re.compile(r"https?://[A-Za-z0-9.-]*\b(salesforce|force)\.com\b", re.I)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
REQUIRED_SECTIONS = ("## Overview", "## Prerequisites", "## Summary", "## What's next")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _outputs(nb: dict) -> str:
    """Every output of every code cell as one string (all MIME types, stream text)."""
    parts: list[str] = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            parts.append(_text(out.get("text", "")))
            parts += [_text(v) if not isinstance(v, dict) else json.dumps(v)
                      for v in out.get("data", {}).values()]
            parts += [_text(v) for v in out.get("traceback", [])]
    return "\n".join(parts)


@lru_cache(maxsize=1)
def _seeded_values() -> tuple[frozenset[str], frozenset[str]]:
    """Consumer keys and org-id prefixes the seeded local orgs can produce."""
    keys: set[str] = set()
    orgs: set[str] = set()
    for counter in range(1, MAX_COUNTER):
        rng = ids.Rng(SEED, lambda c=counter: c)
        keys.add("3MVG9" + rng.base62("client_id", 80))
        orgs.add(rng.record_id(ids.ORG_PREFIX, "org")[:15])
    return frozenset(keys), frozenset(orgs)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_saved_widget_state(path: Path):
    nb = _load(path)
    assert "widgets" not in nb.get("metadata", {}), "strip metadata.widgets (make notebooks)"
    assert WIDGET_STATE not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_real_secret_in_outputs(path: Path):
    """A-28: tokens, keys and secrets in outputs must be the seeded local orgs' own."""
    text = _outputs(_load(path))
    keys, org_prefixes = _seeded_values()
    for match in ACCESS_TOKEN.finditer(text):
        assert match.group(1) in org_prefixes, f"token of a non-local org: {match[0][:20]}…"
    for match in CONSUMER_KEY.finditer(text):
        assert match.group(0) in keys, f"consumer key not from the seeded run: {match[0][:12]}…"
    assert not HEX_SECRET.search(text), "a 64-hex value (consumer secret?) is in an output"
    assert not REFRESH_TOKEN.search(text), "an unmasked refresh token is in an output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_real_org_in_outputs(path: Path):
    """Outputs come from the local orgs only; links in markdown cells and repository source
    shown in a fenced code block (``tutorial.show_source``) are fine."""
    text = re.sub(r"```.*?```", "", _outputs(_load(path)), flags=re.S)
    found = REAL_ORG_URL.search(text)
    assert found is None, f"output mentions a real Salesforce host: {found and found[0]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_skeleton(path: Path):
    """One H1, then Overview, Prerequisites, Summary and What's next (Pythia template)."""
    markdown = "\n".join(_text(c["source"]) for c in _load(path)["cells"]
                         if c["cell_type"] == "markdown")
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)  # headings inside code don't count
    h1 = re.findall(r"^# .+", prose, flags=re.M)
    assert len(h1) == 1, f"expected exactly one H1, found {h1}"
    for section in REQUIRED_SECTIONS:
        assert re.search(rf"^{re.escape(section)}", prose, flags=re.M), f"missing {section!r}"


def test_seeded_values_are_recognised():
    """The checker itself: a seeded key passes, a made-up one does not."""
    keys, orgs = _seeded_values()
    rng = ids.Rng(SEED, lambda: 7)
    assert "3MVG9" + rng.base62("client_id", 80) in keys
    assert "3MVG9" + "x" * 80 not in keys
    assert len(orgs) > 1000
