"""A fresh, seeded, scripted environment for running every notebook without a person.

Used by the root ``conftest.py`` (``make test``: nbval) and by
``tools/run_notebooks.py`` (``make notebooks``: regenerates the committed outputs), so both
see the same orgs, ids and app::

    with scripted_orgs() as env:          # temp data folder, free ports, seeded server
        ...                               # kernels started now inherit env

The environment it sets (kernels inherit it; nothing is read from ``.env`` that matters):
``SF_TARGET=local``, ``TUTORIAL_BROWSER=scripted``, ``LOCALORG_DATA``, ``LOCALORG_PORT_BASE``,
``LOCALORG_SEED``, ``SF_CALLBACK_URL`` (a free loopback port, 1717 only when free: never a
port another program holds), empty ``SF_LOGIN_URL``/``SF_CLIENT_ID``/``SF_CLIENT_SECRET``
(so a developer's ``.env`` cannot change the run), ``SF_SCOPES`` and
``TUTORIAL_PUBLIC_URL=off`` (outputs stay the same on a JupyterHub or Binder machine).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import localorg
from localorg import free_port_base

from .mode import BROWSER_ENV
from .target import SEED_ENV

SEED = "salesforce-web-server-flow-tutorial"
PREFERRED_PORT_BASE = 8700   # what a learner sees by default; used when free
PREFERRED_CALLBACK_PORT = 1717


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, preferred: int | None = None) -> int:
    """First of ``count`` consecutive free loopback ports (``preferred`` when all free)."""
    if preferred and all(_free(p) for p in range(preferred, preferred + count)):
        return preferred
    return free_port_base(count)


def environment(data_dir: str, port_base: int, callback_port: int) -> dict[str, str]:
    return {
        "SF_TARGET": "local", BROWSER_ENV: "scripted", "LOCALORG_DATA": data_dir,
        "LOCALORG_PORT_BASE": str(port_base), SEED_ENV: SEED,
        "SF_CALLBACK_URL": f"http://localhost:{callback_port}/OauthRedirect",
        "SF_LOGIN_URL": "", "SF_CLIENT_ID": "", "SF_CLIENT_SECRET": "",
        "SF_SCOPES": "api refresh_token",
        "TUTORIAL_PUBLIC_URL": "off",  # the committed outputs: browser and kernel on one machine
    }


@contextmanager
def scripted_orgs(prefer_default_ports: bool = False) -> Iterator[dict[str, str]]:
    """Start seeded local orgs in a temporary folder and set the environment; undo both."""
    data = tempfile.mkdtemp(prefix="localorg-notebooks-")
    base = free_ports(3, PREFERRED_PORT_BASE if prefer_default_ports else None)
    callback = free_ports(1, PREFERRED_CALLBACK_PORT if prefer_default_ports else None)
    if base <= callback < base + 3:
        callback = free_ports(1, base + 3)
    env = environment(data, base, callback)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        localorg.ensure_running(data, base, seed=SEED)
        yield env
    finally:
        try:
            localorg.stop(data)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            shutil.rmtree(data, ignore_errors=True)
