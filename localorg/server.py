"""One process, three listeners: the login host (HTTP) and ORG A / ORG B (HTTPS).

cheroot is CherryPy's production WSGI server: threaded, TLS through the standard
``ssl`` module, pure Python, so it runs the same on Linux, macOS and Windows.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from cheroot import wsgi

from . import config
from .app import STATUS_ID_KEY, create_app
from .private import write_private_text
from .runtime import LOOPBACK, LocalOrg, open_runtime
from .web.limits import BodyLimits, DeferredHandshakeAdapter, guard_server
from .workshop.expose import Exposure, banner, expose, ready_info

STATE_FILE = "server.json"
THREADS_PER_HOST = 40  # 100 learners at once on 2 cores (see bench/)
log = logging.getLogger("localorg")


def state_path(data_dir: Path) -> Path:
    return Path(data_dir) / STATE_FILE


def build_servers(rt: LocalOrg, bind: str = LOOPBACK) -> dict[str, wsgi.Server]:
    """The three listeners; ``bind`` is 127.0.0.1 unless ``serve --expose`` (B-36)."""
    servers = {}
    for host, port in rt.ports.items():
        server = wsgi.Server((bind, port), BodyLimits(create_app(rt, host)),
                             numthreads=THREADS_PER_HOST, server_name=f"localorg-{host}",
                             request_queue_size=256, timeout=10)
        guard_server(server, f"localorg-{host}")  # deadline + per-address cap (B-28, B-42)
        if host != "login" or rt.login_tls:
            server.ssl_adapter = DeferredHandshakeAdapter(str(rt.tls.cert), str(rt.tls.key))
        servers[host] = server
    return servers


def serve(data_dir: Path, port_base: int, seed: str | None = None, json_line: bool = False,
          exposure: Exposure | None = None) -> int:
    """Run until SIGINT/SIGTERM. Prints the ready line (JSON or text) once all hosts listen.

    ``exposure`` (``serve --expose``) binds another address, names the hosts after
    ``exposure.host`` and puts TLS on every host (``workshop/expose.py``).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    rt = open_runtime(data_dir, port_base, seed)
    rt.extra[STATUS_ID_KEY] = secrets.token_urlsafe(16)  # identifies this process (B-45)
    room_key = expose(rt, exposure) if exposure else None
    servers = build_servers(rt, exposure.bind if exposure else LOOPBACK)
    try:
        for server in servers.values():
            server.prepare()  # binds now, so a busy port fails before we claim to be ready
    except OSError as exc:
        for server in servers.values():
            server.stop()
        where = f" of {exposure.bind}" if exposure else ""
        print(f"error: cannot listen on the local org ports{where} {sorted(rt.ports.values())} "
              f"({exc}).\n"
              f"Another server may be running: `{config.command('status', '--data', data_dir)}`"
              ", or pick other "
              "ports with --port-base N (or LOCALORG_PORT_BASE=N in the environment or .env, "
              "which the notebooks read too).", file=sys.stderr)
        return 2

    stop_event = threading.Event()
    threads = [threading.Thread(target=s.serve, name=f"localorg-{h}", daemon=True)
               for h, s in servers.items()]
    for t in threads:
        t.start()

    info = rt.info()
    if exposure:
        info["expose"] = ready_info(rt, exposure)  # no trainer key: server.json is not secret
    state = {"pid": os.getpid(), "port_base": port_base, "server_id": rt.extra[STATUS_ID_KEY],
             "info": info}
    write_private_text(state_path(data_dir), json.dumps(state, indent=2))  # 0600 (B-44)

    def _stop(signum, frame):  # noqa: ARG001
        stop_event.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    if json_line:
        print(json.dumps({**info, "room_key": room_key} if exposure else info), flush=True)
    elif exposure:
        print(banner(rt, exposure, room_key), flush=True)
    else:
        print(f"Local Salesforce orgs are running (not for production).\n"
              f"  login host : {info['login_url']}\n"
              f"  ORG A      : {info['orgs']['A']['instance_url']}\n"
              f"  ORG B      : {info['orgs']['B']['instance_url']}\n"
              f"  CA bundle  : {info['ca_bundle']}\n"
              "Press Ctrl+C to stop.", flush=True)
    try:
        while not stop_event.wait(0.5):  # a timeout keeps Ctrl+C responsive on Windows
            pass
    finally:
        # In parallel: each cheroot stop waits for its own listener, about 0.5 s apiece.
        stoppers = [threading.Thread(target=s.stop) for s in servers.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        try:
            if json.loads(state_path(data_dir).read_text()).get("pid") == os.getpid():
                state_path(data_dir).unlink()
        except (OSError, ValueError):
            pass
    return 0
