"""The project installs as a package: the wheel holds both packages and the server's pages.

`make` installs the project editable; `pip install .` must work too (a learner who lifts
the client into their own environment). Building the wheel offline with the pinned
setuptools checks what such an install gets, without downloading anything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

REPO = Path(__file__).resolve().parents[1]


def test_wheel_holds_both_packages_templates_and_no_tests(tmp_path: Path) -> None:
    # Built from a copy: setuptools writes build/ next to the sources it builds.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("helpers", "localorg", "tests", "bench", "tools", "notebooks"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=120)
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"helpers/__init__.py", "helpers/oauth/tokens.py", "helpers/tutorial/login.py",
            "localorg/__init__.py", "localorg/templates/login.html",
            "localorg/static/localorg.css"} <= names
    assert not any(n.startswith(("tests/", "bench/", "tools/", "notebooks/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "localorg = localorg.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_pinned_requirements_satisfy_the_declared_ranges() -> None:
    """requirements.txt (what `make` installs) must fit pyproject.toml's ranges."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for extra in project["optional-dependencies"].values()
                 for r in extra]
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    for req in declared:
        assert req.name.lower() in pins, f"{req.name} is declared but not pinned"
        assert req.specifier.contains(pins[req.name.lower()]), \
            f"{req.name}=={pins[req.name.lower()]} is outside {req.specifier}"


def test_make_leaves_out_jsonschemas_slow_iri_checker() -> None:
    """The Makefile uninstalls rfc3987-syntax (its comment says why): importing it costs each
    JupyterLab, JupyterHub and pytest process 1.7 s of CPU, which make test cannot afford."""
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, jsonschema; print('rfc3987_syntax' in sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60)
    assert probe.stdout.strip() == "False", \
        "run `make install` again (or `pip uninstall rfc3987-syntax`)"
