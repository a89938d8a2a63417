"""Shared fixtures: a real local-org server on free ports, in a temporary data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from localorg import free_port_base

REPO = Path(__file__).resolve().parents[1]


@dataclass
class RunningOrgs:
    """A server started by a test: its ready JSON, its process and data folder."""

    info: dict[str, Any]
    proc: subprocess.Popen
    data_dir: Path
    port_base: int

    @property
    def login_url(self) -> str:
        return self.info["login_url"]

    @property
    def ca_bundle(self) -> str:
        return self.info["ca_bundle"]

    def instance_url(self, org: str) -> str:
        return self.info["orgs"][org]["instance_url"]

    def user(self, org: str) -> dict[str, str]:
        return self.info["orgs"][org]["users"][0]

    def session(self) -> requests.Session:
        """A requests session that trusts the local CA only (never verify=False)."""
        s = requests.Session()
        s.verify = self.ca_bundle
        s.trust_env = False  # REQUESTS_CA_BUNDLE must not override the CA (see README)
        return s

    def create_app(self, **kwargs: Any):
        """Create an External Client App (default: ORG B, loopback callback)."""
        from localorg import create_app
        kwargs.setdefault("name", "Test app")
        kwargs.setdefault("callback_urls", ["http://localhost:1717/OauthRedirect"])
        return create_app(data_dir=self.data_dir, **kwargs)

    def db(self):
        """Direct SQLite access, for moving stored expiry times into the past."""
        from localorg.runtime import open_runtime
        return open_runtime(self.data_dir, self.port_base, with_tls=False).store


def start_server(data_dir: Path, seed: str | None = "test-seed", extra: list[str] | None = None,
                 port_base: int | None = None) -> RunningOrgs:
    # A base found free can still be taken by another worker's server before this one binds
    # it (free_port_base says why); with a base of our own choosing, try another one.
    for _attempt in range(3):
        base = port_base or free_port_base()
        cmd = [sys.executable, "-m", "localorg", "serve", "--data", str(data_dir),
               "--port-base", str(base), "--json",
               *(["--seed", seed] if seed else []), *(extra or [])]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=dict(os.environ))
        line = proc.stdout.readline()  # blocks until the ready line (or the process exits)
        if line:
            return RunningOrgs(json.loads(line), proc, data_dir, base)
        err = proc.stderr.read()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        if port_base or "Address already in use" not in err:
            break
    raise RuntimeError(f"server did not start: {err}")


def stop_server(orgs: RunningOrgs, kill: bool = False) -> None:
    if orgs.proc.poll() is None:
        if kill:
            orgs.proc.kill()
        else:
            orgs.proc.terminate()
        orgs.proc.wait(timeout=20)
    orgs.proc.stdout.close()
    orgs.proc.stderr.close()


@pytest.fixture(scope="session")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOrgs]:
    """One server for the whole test session (tests must not depend on each other's data)."""
    running = start_server(tmp_path_factory.mktemp("localorg"))
    yield running
    stop_server(running)


@pytest.fixture
def fresh_orgs(tmp_path: Path) -> Iterator[RunningOrgs]:
    """A server of its own, for tests that restart, kill or exhaust it."""
    running = start_server(tmp_path / "data")
    yield running
    stop_server(running)


def wait_until(predicate, timeout: float = 10.0) -> bool:
    """Poll a condition (for process-level events only, never as a stand-in for sync)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for_server(proc: subprocess.Popen, probe: requests.Session, url: str,
                    timeout: float, **params: str) -> bool:
    """Poll ``url`` until it answers 200 or ``proc`` exits; True when it answered in time.

    A refused connection or a slow answer (a server still loading, a busy machine) means
    "not yet", never a failure: the caller asserts on the result and on ``proc.poll()``.
    """
    def answered() -> bool:
        if proc.poll() is not None:
            return True
        try:
            return probe.get(url, params=params, timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    return wait_until(answered, timeout=timeout) and proc.poll() is None
