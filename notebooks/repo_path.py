"""Imported by the first cell of every notebook: makes the repository's ``helpers`` importable.

Jupyter starts a notebook's kernel in the notebook's folder (notebooks/), so the repository
root, one level up, is put first on ``sys.path``. Nothing is installed.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
