"""Regenerate the committed outputs of every notebook (``make notebooks``).

Starts fresh seeded local orgs in a temporary folder (the same environment ``make test``
gives nbval, see helpers/tutorial/dryrun.py), executes each notebook in notebooks/ in
name order - the order nbval runs them, so the seeded ids and tokens match - in a fresh
kernel, in place, then removes saved widget state (``metadata.widgets``) and stops the orgs.

    python tools/run_notebooks.py                 # all notebooks
    python tools/run_notebooks.py 03 04           # only names starting with these (the
                                                  # server is still fresh: ids differ from
                                                  # a full run, so finish with a full run)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))

from helpers.tutorial.dryrun import scripted_orgs  # noqa: E402


def run(path: Path) -> float:
    started = time.monotonic()
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # nbclient's timing metadata: noise in diffs
    nbformat.write(nb, path)
    return time.monotonic() - started


def main(prefixes: list[str]) -> int:
    paths = sorted(p for p in NOTEBOOKS.glob("*.ipynb")
                   if not prefixes or p.name.startswith(tuple(prefixes)))
    total = time.monotonic()
    with scripted_orgs(prefer_default_ports=True):
        for path in paths:
            print(f"{path.name:40} {run(path):5.1f} s", flush=True)
    print(f"{len(paths)} notebooks in {time.monotonic() - total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
