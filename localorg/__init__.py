"""The local stand-in for two Salesforce orgs (ORG A and ORG B).

One shared server process serves every notebook kernel. From a notebook::

    import localorg
    orgs = localorg.ensure_running()      # starts it once, reuses it afterwards
    orgs.login_url, orgs.ca_bundle, orgs.orgs["B"]["instance_url"]
    app = localorg.create_app("Tutorial app", ["http://localhost:1717/OauthRedirect"])
    learners = localorg.add_learners(20)  # workshops: users + an app per learner
    localorg.stop()

This module is the package's whole public API: the tutorial, the benchmarks and the
client-side tests use nothing else (``lint-imports`` checks it). Besides start/stop it
offers the administration a trainer or a demonstration needs (:mod:`localorg.admin`:
apps, learners, expiring a token, API usage, injected faults) and
:class:`ScriptedBrowser`, the demo user who clicks through the login and consent pages.

The same is available on the command line: ``python -m localorg --help``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from filelock import FileLock

from . import config
from .admin import (
    AppCredentialsError,
    add_learners,
    api_usage,
    check_app_credentials,
    clear_faults,
    create_app,
    data_path,
    expire_access_token,
    expire_code,
    inject_fault,
    set_api_usage,
    stored_records,
    unlock,
)
from .apps import AppSettingsError, NewApp
from .config import (
    DATA_ENV,
    DEFAULT_DATA_DIR,
    DEFAULT_PORT_BASE,
    DEMO_USERS,
    LEARNER_PASSWORD_METHOD,
    PASSWORD_METHOD,
    PORT_BASE_ENV,
    DemoUser,
    free_port_base,
    ports,
)
from .demo_user import ScriptedBrowser, ScriptedLoginError
from .private import private_dir, private_file
from .server import state_path
from .workshop.learners import Learner, LearnerError

__all__ = ["AppCredentialsError", "AppSettingsError", "DATA_ENV", "DEFAULT_DATA_DIR",
           "DEFAULT_PORT_BASE", "DEMO_USERS", "LEARNER_PASSWORD_METHOD",
           "PASSWORD_METHOD", "PORT_BASE_ENV", "ports", "DemoUser", "Learner",
           "LearnerError", "LocalOrgError", "LocalOrgInfo", "NewApp", "ScriptedBrowser",
           "ScriptedLoginError", "add_learners", "api_usage", "check_app_credentials",
           "clear_faults", "create_app", "data_path", "ensure_running", "expire_access_token",
           "expire_code", "free_port_base", "info", "inject_fault", "set_api_usage", "stop",
           "stored_records", "unlock"]

START_TIMEOUT = 60.0


class LocalOrgError(RuntimeError):
    """The local orgs could not be started, reached or stopped; the message says why."""


@dataclass(frozen=True)
class LocalOrgInfo:
    """Where the running local orgs are: URLs, the CA to trust, demo users."""

    login_url: str
    ca_bundle: str
    data_dir: str
    orgs: dict[str, dict[str, Any]]
    pid: int = 0
    seeded: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def instance_url(self, org: str) -> str:
        return self.orgs[org]["instance_url"]

    def user(self, org: str) -> dict[str, str]:
        """The first demo user of an org: ``{"username", "password"}``."""
        return self.orgs[org]["users"][0]

    def __repr__(self) -> str:  # passwords stay out of reprs
        return (f"LocalOrgInfo(login_url={self.login_url!r}, orgs={{'A': "
                f"{self.orgs['A']['instance_url']!r}, 'B': {self.orgs['B']['instance_url']!r}}}, "
                f"ca_bundle={self.ca_bundle!r})")


def _from_state(state: dict[str, Any]) -> LocalOrgInfo:
    i = state["info"]
    return LocalOrgInfo(i["login_url"], i["ca_bundle"], i["data_dir"], i["orgs"],
                        state.get("pid", 0), i.get("seeded", False), i)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _probe(state: dict[str, Any]) -> bool:
    """True when the server recorded in ``state`` answers, and is the one of this data folder."""
    if not _alive(state.get("pid", 0)):
        return False
    i = state["info"]
    # An exposed server (serve --expose) is HTTPS on every host; check it on a local address.
    url = i.get("expose", {}).get("local_login_url", i["login_url"])
    verify = i["ca_bundle"] if url.startswith("https://") else True
    try:
        # The per-server id is in the 0600 state file only: a server that knows it is ours
        # (the status page no longer shows the data folder to whoever asks, B-45).
        r = requests.get(url + "/_localorg/status", params={"server": state.get("server_id", "")},
                         timeout=3, verify=verify)
        return r.ok and r.json().get("same_server") is True
    except (requests.RequestException, ValueError):
        return False


def _read_state(data: Path) -> dict[str, Any] | None:
    try:
        return json.loads(state_path(data).read_text())
    except (OSError, ValueError):
        return None


def info(data_dir: str | os.PathLike[str] | None = None) -> LocalOrgInfo | None:
    """The running local orgs of a data folder, or None when they are not running."""
    state = _read_state(config.data_dir(data_dir))
    return _from_state(state) if state and _probe(state) else None


def ensure_running(data_dir: str | os.PathLike[str] | None = None, port_base: int | None = None,
                   seed: str | None = None, timeout: float = START_TIMEOUT) -> LocalOrgInfo:
    """Start the local orgs unless they already run; return where they are.

    Safe when several kernels call it at once: a file lock lets one of them start
    the server and the others find it running.
    """
    data = private_dir(config.data_dir(data_dir))  # 0700, files 0600 (B-44)
    with FileLock(str(data / "server.lock"), timeout=timeout, mode=0o600):
        running = info(data)
        if running:
            return running
        base = config.port_base(port_base)
        log_path = data / "server.log"
        cmd = [sys.executable, "-m", "localorg", "serve", "--data", str(data),
               "--port-base", str(base)]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        kwargs: dict[str, Any] = {}
        if os.name == "nt":
            kwargs["creationflags"] = (subprocess.CREATE_NEW_PROCESS_GROUP
                                       | subprocess.DETACHED_PROCESS)
        else:
            kwargs["start_new_session"] = True  # outlives the kernel that started it
        with open(private_file(log_path), "ab") as log:
            cwd = config.REPO_ROOT if config.IN_CHECKOUT else data
            proc = subprocess.Popen(cmd, cwd=str(cwd), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, **kwargs)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = _read_state(data)
            if state and state.get("pid") == proc.pid and _probe(state):
                return _from_state(state)
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
                raise LocalOrgError("the local orgs did not start:\n  " + "\n  ".join(tail) +
                                    f"\n(full log: {log_path})")
            time.sleep(0.05)
        proc.terminate()
        raise LocalOrgError(f"the local orgs did not answer within {timeout:.0f} s; "
                            f"see {log_path}")


def stop(data_dir: str | os.PathLike[str] | None = None, timeout: float = 15.0) -> bool:
    """Stop the local orgs of a data folder. Returns False when they were not running."""
    data = config.data_dir(data_dir)
    state = _read_state(data)
    if not state or not _alive(state.get("pid", 0)):
        state_path(data).unlink(missing_ok=True)
        return False
    pid = state["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid) or _read_state(data) is None:
            return True
        time.sleep(0.05)
    raise LocalOrgError(f"the local orgs (pid {pid}) did not stop within {timeout:.0f} s")

