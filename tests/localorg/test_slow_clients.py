"""Slow clients cannot stop a host (security.md B-28, B-42).

A whole-request deadline frees the worker threads that trickling clients hold, and one
address cannot take more than ``MAX_PER_ADDRESS`` of them. Loopback only: the "other"
address is 127.0.0.2 (still this machine). Sources: RFC 6819 §4.4.1.11 (resource exhaustion);
RFC 9110 §15.6.4 (503 + Retry-After).
"""

from __future__ import annotations

import select
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from localorg.server import THREADS_PER_HOST
from localorg.web.limits import DEADLINE_ENV, MAX_PER_ADDRESS
from tests.conftest import start_server, stop_server

DEADLINE = 3  # seconds, for this test's server only


@pytest.fixture
def slow_orgs(tmp_path, monkeypatch):
    monkeypatch.setenv(DEADLINE_ENV, str(DEADLINE))
    running = start_server(tmp_path / "data")
    yield running
    stop_server(running)


class Trickler:
    """Sockets that send a request one byte at a time, a byte a second (bounded)."""

    def __init__(self, host: str, port: int, count: int, source: str = "127.0.0.1") -> None:
        self.socks = []
        for _ in range(count):
            s = socket.socket()
            s.bind((source, 0))
            s.settimeout(5)
            s.connect((host, port))
            s.setblocking(False)
            self.socks.append(s)
        self.answers: dict[int, bytes] = {}
        self.closed: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 100
        for i in range(60):  # at most 60 s, stopped earlier by close()
            for n, s in enumerate(self.socks):
                if n in self.closed:
                    continue
                try:
                    s.send(request[i:i + 1] or b"a")
                except OSError:
                    self.closed.add(n)
            if self._stop.wait(1.0):
                return

    def poll(self) -> None:
        """Collect what the server sent and which sockets it closed (non-blocking)."""
        live = [s for n, s in enumerate(self.socks) if n not in self.closed]
        readable, _, _ = select.select(live, [], [], 0) if live else ([], [], [])
        for s in readable:
            n = self.socks.index(s)
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                self.answers[n] = self.answers.get(n, b"") + data
            else:
                self.closed.add(n)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for s in self.socks:
            s.close()


def _until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_b42_trickling_clients_are_cut_and_the_host_keeps_answering(slow_orgs):
    """B-42: more slow connections than worker threads; the deadline frees them all and an
    honest request is answered within the deadline (it waited for ever before)."""
    parts = urlsplit(slow_orgs.login_url)
    slow = Trickler(parts.hostname, parts.port, THREADS_PER_HOST + 5)
    try:
        started = time.monotonic()
        resp = requests.get(slow_orgs.login_url + "/_localorg/status", timeout=4 * DEADLINE)
        assert resp.status_code == 200
        assert time.monotonic() - started < 3 * DEADLINE

        def all_cut() -> bool:
            slow.poll()
            return len(slow.closed) == len(slow.socks)
        assert _until(all_cut, 4 * DEADLINE), f"{len(slow.closed)} of {len(slow.socks)} cut"
    finally:
        slow.close()


def test_b42_one_address_gets_at_most_its_share_of_threads(slow_orgs):
    """B-42: past MAX_PER_ADDRESS requests in progress, an address gets 503 + Retry-After;
    other addresses are served meanwhile."""
    parts = urlsplit(slow_orgs.login_url)
    slow = Trickler(parts.hostname, parts.port, MAX_PER_ADDRESS + 5, source="127.0.0.2")
    try:
        def refused() -> bool:
            slow.poll()
            return sum(b"503" in a.split(b"\r\n", 1)[0] for a in slow.answers.values()) >= 5
        assert _until(refused, 2 * DEADLINE), slow.answers
        busy = next(a for a in slow.answers.values() if b"503" in a)
        assert b"Retry-After:" in busy
        assert requests.get(slow_orgs.login_url + "/_localorg/status", timeout=10).ok
    finally:
        slow.close()
