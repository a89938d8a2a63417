"""``make lab`` (tools/lab.py), run for real: JupyterLab over the repository root, the
learner's copy of the notebooks, ``--allow-root`` only as root, and the local orgs it started
stopped again when JupyterLab fails (issue 11: the learner's path)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

import localorg
from helpers.tutorial.dryrun import free_ports
from tests.conftest import wait_for_server, wait_until

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import lab  # noqa: E402


def test_as_root_and_only_then_allow_root():
    assert "--allow-root" in lab.lab_command([], as_root=True)
    assert "--allow-root" not in lab.lab_command([], as_root=False)
    cmd = lab.lab_command(["--no-browser"], as_root=False)
    assert f"--ServerApp.root_dir={REPO}" in cmd  # links like ../docs resolve
    assert "--LabApp.default_url=/lab/tree/my-notebooks/00-overview.ipynb" in cmd
    assert cmd[-1] == "--no-browser"


def test_the_copy_never_overwrites_the_learners_work(tmp_path: Path):
    source, copy = tmp_path / "notebooks", tmp_path / "mine"
    source.mkdir()
    (source / "00-a.ipynb").write_text("original")
    (source / "01-b.ipynb").write_text("original")
    assert lab.copy_notebooks(source, copy) == ["00-a.ipynb", "01-b.ipynb"]
    (copy / "00-a.ipynb").write_text("learner's outputs")
    (source / "02-c.ipynb").write_text("new in a later version")
    assert lab.copy_notebooks(source, copy) == ["02-c.ipynb"]
    assert (copy / "00-a.ipynb").read_text() == "learner's outputs"


@pytest.fixture
def lab_env(tmp_path: Path):
    name = f"my-notebooks-test-{secrets.token_hex(4)}"  # git-ignored; removed after
    env = {**os.environ, "TUTORIAL_LAB_COPY": name, "SF_TARGET": "local",
           "LOCALORG_DATA": str(tmp_path / "orgs"), "LOCALORG_PORT_BASE": str(free_ports(3)),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    yield env, REPO / name
    shutil.rmtree(REPO / name, ignore_errors=True)
    localorg.stop(tmp_path / "orgs")


def test_make_lab_serves_the_repository_root(lab_env):
    """Runs as whoever runs the tests: as root (CI, containers) this fails without
    --allow-root ("Running as root is not recommended")."""
    env, copy = lab_env
    port, token = free_ports(1), secrets.token_urlsafe(16)
    proc = subprocess.Popen(
        [sys.executable, "tools/lab.py", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         "--ServerApp.ip=127.0.0.1"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    http = requests.Session()
    http.trust_env = False
    try:
        assert wait_for_server(proc, http, f"{url}/api/status", 90, token=token), \
            proc.stdout.read().decode()
        for path in (f"{copy.name}/00-overview.ipynb", "docs/images/web-server-flow.svg",
                     "docs/real-orgs.md", "helpers/tutorial/login.py"):
            answer = http.get(f"{url}/api/contents/{path}", params={"token": token,
                                                                  "content": 0}, timeout=10)
            assert answer.status_code == 200, path
        # The file browser lists the notebooks, not the slideshow's style sheets, which are
        # still served (RISE asks /files/<copy>/<notebook>.css)
        listed = http.get(f"{url}/api/contents/{copy.name}", params={"token": token},
                          timeout=10).json()["content"]
        names = {item["name"] for item in listed}
        assert "00-overview.ipynb" in names and not {n for n in names if n.endswith(".css")}
        sheet = http.get(f"{url}/files/{copy.name}/00-overview.css", params={"token": token},
                         timeout=10)
        assert sheet.status_code == 200
        assert localorg.info(env["LOCALORG_DATA"]) is not None  # started for the learner
        _assert_the_tutorials_settings(http, url, token, copy.name)
    finally:
        proc.terminate()
        proc.wait(30)

    def gone() -> bool:
        try:
            http.get(f"{url}/api/status", params={"token": token}, timeout=2)
        except requests.ConnectionError:
            return True
        except requests.Timeout:  # still there, only slow
            return False
        return False

    # SIGTERM to `make lab` stops JupyterLab too (it used to keep running, orphaned).
    assert wait_until(gone, timeout=30)
    http.close()


def _page_config(http: requests.Session, url: str, token: str) -> dict:
    page = http.get(url, params={"token": token}, timeout=30)
    assert page.status_code == 200, url
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      page.text, re.S)
    assert found, url
    return json.loads(found.group(1))


def _assert_the_tutorials_settings(http: requests.Session, url: str, token: str,
                                   copy: str) -> None:
    """What tools/jupyter-config gives make lab (its README says why)."""
    def setting(plugin: str) -> dict:
        answer = http.get(f"{url}/lab/api/settings/{plugin}", params={"token": token},
                          timeout=30)
        assert answer.status_code == 200, plugin
        # What JupyterLab's page uses: the schema's defaults (overrides applied by the
        # server), under the user's own settings
        schema, mine = answer.json()["schema"], answer.json()["settings"]
        return {name: value.get("default") for name, value in schema["properties"].items()
                } | mine

    # No "get notified about official Jupyter news?" prompt on the first start
    news = setting("@jupyterlab/apputils-extension:notification")
    assert (news["fetchNews"], news["checkForUpdates"]) == ("false", False)
    # A slideshow theme whose font ships with RISE (the default fetches Google Fonts)
    assert setting("jupyterlab-rise:plugin")["theme"] == "white"

    def extensions(page: str) -> set[str]:
        return {e["name"] for e in _page_config(http, f"{url}/{page}", token)[
            "federated_extensions"]}

    # ipywidgets' manager cannot load in the slideshow (jupyterlab-contrib/rise#119), so the
    # slideshow page loads no extension; JupyterLab's own page still loads them all.
    assert extensions(f"rise/{copy}/00-overview.ipynb") == set()
    assert {"@jupyter-widgets/jupyterlab-manager", "jupyterlab-rise"} <= extensions(
        f"lab/tree/{copy}/00-overview.ipynb")


def test_make_lab_copies_the_slides_style_sheets(tmp_path: Path):
    """RISE loads rise.css and <notebook>.css from the notebook's folder; each notebook has
    its own (a missing one is a 404 in the browser console), and make lab copies them all."""
    source = REPO / "notebooks"
    sheets = {path.name for path in source.glob("*.css")}
    assert sheets == {"rise.css"} | {f"{nb.stem}.css" for nb in source.glob("*.ipynb")}
    made = lab.copy_notebooks(source, tmp_path)
    assert sheets <= set(made)
    assert (tmp_path / "rise.css").read_text() == (source / "rise.css").read_text()


def test_orgs_it_started_are_stopped_when_jupyterlab_fails(lab_env):
    env, _ = lab_env
    done = subprocess.run([sys.executable, "tools/lab.py", "--no-browser", "--port=not-a-port"],
                          cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "local orgs this command started are stopped" in done.stdout
    assert localorg.info(env["LOCALORG_DATA"]) is None


def test_labextension_list_reports_no_incompatible_extension():
    """`jupyter labextension list` in make lab's environment: RISE 0.42, nothing flagged
    incompatible. jupyterlab-rise 0.43 pulled in @jupyterlab/mathjax3-extension (JupyterLab 3),
    which JupyterLab 4 flags; the pinned 0.42 does not, and for a .venv made before that pin,
    make lab's config disables it."""
    env = lab.lab_environment({"PATH": os.environ.get("PATH", "")})
    listed = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                            env={**os.environ, **env}, capture_output=True, text=True,
                            timeout=60, check=False)
    output = listed.stdout + listed.stderr
    assert listed.returncode == 0, output
    assert "jupyterlab-rise v0.42" in output, output
    assert "incompatible" not in output, output
    lines = [ln for ln in output.splitlines() if "@jupyterlab/mathjax3-extension v" in ln]
    assert all("disabled" in line for line in lines)
    config = json.loads((lab.CONFIG / "labconfig" / "page_config.json").read_text())
    assert config["disabledExtensions"]["@jupyterlab/mathjax3-extension"] is True
