"""``make lab``: the learner's JupyterLab, started the same way on every machine.

* Serves the **repository root**, so every relative link of the notebooks (``../docs``,
  ``../helpers``, ``../sfdx``, the diagram image) resolves, and opens
  ``my-notebooks/00-overview.ipynb``.
* ``my-notebooks/`` is the learner's own copy of ``notebooks/`` (git-ignored, made once; a
  notebook already there is never overwritten). Saving a notebook, or JupyterLab's autosave,
  writes there, so the learner's outputs never change the committed notebooks that
  ``make test`` compares, and never show up as changes to commit. To start a notebook
  afresh, delete its copy and run ``make lab`` again.
* Starts the local orgs unless they run (or ``SF_TARGET`` names real orgs); stops them again
  if it started them and JupyterLab fails to start or exits with an error.
* Passes ``--allow-root`` only when running as root (containers, dev containers,
  Codespaces), where JupyterLab refuses to start without it.

Extra arguments go to JupyterLab::

    python tools/lab.py --no-browser --port 8890
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
# The learner's copy: a folder next to notebooks/, so ``../docs`` resolves the same way.
# TUTORIAL_LAB_COPY names another folder of the repository root (tests use a temporary one).
_COPY_NAME = os.environ.get("TUTORIAL_LAB_COPY", "my-notebooks")
if not _COPY_NAME or Path(_COPY_NAME).name != _COPY_NAME or _COPY_NAME in (".", ".."):
    raise SystemExit(f"TUTORIAL_LAB_COPY must be a folder name, not {_COPY_NAME!r}")
COPY = ROOT / _COPY_NAME
FIRST = "00-overview.ipynb"
# Extra Jupyter config (tools/jupyter-config/README.md): JupyterLab's defaults without the news
# prompt and update check, the slideshow's theme, the slideshow without the extensions it
# cannot load, and @jupyterlab/mathjax3-extension disabled (a JupyterLab 3 extension that a
# .venv made with jupyterlab-rise 0.43 still holds).
CONFIG = ROOT / "tools" / "jupyter-config"


def copy_notebooks(source: Path = SOURCE, copy: Path = COPY) -> list[str]:
    """Copy the notebooks the learner does not have yet; returns the names copied."""
    copy.mkdir(exist_ok=True)
    made = []
    # The slideshow's style sheets, which RISE loads from the notebook's folder: rise.css for
    # all, <notebook>.css for one
    for path in [*sorted(source.glob("*.ipynb")), *sorted(source.glob("*.css"))]:
        target = copy / path.name
        if not target.exists():
            shutil.copy2(path, target)
            made.append(path.name)
    return made


def lab_command(extra: list[str], *, as_root: bool) -> list[str]:
    """The JupyterLab command line (``--allow-root`` only for root)."""
    first = (COPY / FIRST).relative_to(ROOT).as_posix()
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}",
           # the URL JupyterLab prints opens notebook 00, not the Launcher
           f"--LabApp.default_url=/lab/tree/{first}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if as_root:
        cmd.append("--allow-root")
    return [*cmd, *extra]


def lab_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for JupyterLab: the tutorial's config directory searched too."""
    env = dict(os.environ if environ is None else environ)
    extra = [str(CONFIG)] + ([env["JUPYTER_CONFIG_PATH"]] if env.get("JUPYTER_CONFIG_PATH") else [])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(extra)
    return env


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _start_orgs() -> bool:
    """Start the local orgs if needed; True if this call started them."""
    sys.path.insert(0, str(ROOT))
    import localorg
    from helpers.errors import ConfigurationError
    from helpers.settings import load_settings

    try:
        if not load_settings().is_local:  # SF_TARGET from the environment or .env
            return False
    except ConfigurationError as exc:  # the notebooks explain it again, with the fix
        print(f"Note: {exc}")
    if localorg.info() is not None:
        print(f"The local orgs already run: {localorg.info()}")
        return False
    print(f"Starting the local orgs: {localorg.ensure_running()}")
    return True


def main(extra: list[str]) -> int:
    made = copy_notebooks()
    if made:
        print(f"Your copies of the notebooks are in my-notebooks/ ({len(made)} new). "
              "notebooks/ keeps the originals.")
    started = _start_orgs()
    failed = True
    try:
        with subprocess.Popen(lab_command(extra, as_root=_is_root()), cwd=ROOT,
                              env=lab_environment()) as jupyter:
            # A SIGTERM to this command (a supervisor, a test, `kill`) must reach JupyterLab
            # too, or it would keep running without us; Ctrl+C reaches both already.
            signal.signal(signal.SIGTERM, lambda *_: jupyter.terminate())
            code = jupyter.wait()
        failed = code not in (0, -signal.SIGTERM)
        return code
    except KeyboardInterrupt:
        failed = False
        return 0
    finally:
        if started and failed:
            import localorg

            localorg.stop()
            print("JupyterLab did not run; the local orgs this command started are stopped.")
        elif started or not failed:
            print("The local orgs keep running for the next session; `make stop-orgs` stops "
                  "them.")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
