"""Fixtures of the client tests.

``canned`` is a tiny HTTP server over a real socket that answers queued responses. It is
used only for misbehaving servers the local orgs never imitate (HTML instead of JSON, an
evil ``instance_url``, a redirecting token endpoint, a black hole); every normal path and
every Salesforce error is tested against the real local orgs (``orgs`` fixture).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from helpers.settings import Settings, load_settings
from tests.localorg.flow import follow


@dataclass
class Canned:
    """Queued responses and the requests received, for one stand-in server."""

    url: str
    responses: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)

    def reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        self.responses.append((status, hdrs, raw))


@pytest.fixture
def canned() -> Iterator[Canned]:
    box: dict[str, Canned] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            c = box["c"]
            length = int(self.headers.get("Content-Length") or 0)
            c.requests.append({"method": self.command, "path": self.path,
                               "headers": dict(self.headers),
                               "body": self.rfile.read(length).decode()})
            if not c.responses:  # black hole: answer only when the test lets go
                c.hold.wait(30)
                return
            status, headers, body = c.responses.pop(0)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box["c"] = Canned(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box["c"]
    box["c"].hold.set()
    server.shutdown()
    server.server_close()
    thread.join()


def local_settings(orgs, app=None, **extra: str) -> Settings:
    """Settings for the running local orgs (and an app), without reading any .env."""
    env = {"SF_TARGET": "local", "LOCALORG_DATA": str(orgs.data_dir),
           "LOCALORG_PORT_BASE": str(orgs.port_base), "SF_LOGIN_URL": orgs.login_url}
    if app is not None:
        env.update(SF_CLIENT_ID=app.client_id, SF_CLIENT_SECRET=app.client_secret)
    env.update(extra)
    return load_settings(None, env)


def browser(orgs, flow, decision: str = "allow", org: str = "B", session=None) -> str:
    """The learner's browser: open ``flow.authorization_url`` exactly as built, log in as
    ``org``'s demo user, answer the consent page; return the callback URL the org
    redirected to (not followed), as the address bar would show it."""
    user = orgs.user(org)
    return follow(session or orgs.session(), flow.authorization_url, user["username"],
                  user["password"], decision).location
