"""Limits that keep one host answering under hostile clients (security.md B-28, B-42).

cheroot (the WSGI server) gives each request a worker thread (``THREADS_PER_HOST`` of them)
and has only a per-read socket timeout. So:

* **Whole-request deadline.** A client that trickles one byte every few seconds never trips
  the per-read timeout and holds its thread for ever; 45 of them stopped a host. Each request
  (TLS handshake, request line, headers, body, answer) must finish within ``REQUEST_DEADLINE``
  seconds; one watchdog thread per host shuts down the sockets of late ones, which frees
  the blocked worker at once.
* **Per-address cap.** One address may have at most ``MAX_PER_ADDRESS`` requests in
  progress at once; more are answered ``503`` with ``Retry-After`` and closed. A browser
  opens about six connections per host, so honest clients never see it. The two loopback
  addresses themselves (``127.0.0.1``, ``::1``) are exempt: jupyter-server-proxy, every
  notebook kernel and the benchmark's 100 learners all arrive from there, indistinguishable
  (the deadline still applies to them).
* **TLS handshake in the worker.** cheroot's stock adapter does the handshake in the one
  thread that accepts connections, so a client that connects and stays silent stopped all
  accepts of an HTTPS host for the socket timeout (10 s), again and again.
  :class:`DeferredHandshakeAdapter` leaves it to the worker, under the deadline.
* **Request line and headers** at most 16,384 bytes together (Salesforce's REST limit):
  414 for a longer URI, 431 for longer headers, as Salesforce answers.
* **Request bodies** (:class:`BodyLimits`, WSGI): a declared body over ``MAX_BODY_BYTES`` is
  ``413`` before it is read; a chunked body is read up to the limit and is ``413`` past it
  (werkzeug would cut it silently and process the rest); a malformed chunk is ``400``
  (cheroot would answer its own ``500``).

Example (what ``server.build_servers`` does)::

    server = wsgi.Server(addr, BodyLimits(app), numthreads=40, timeout=10)
    guard_server(server)
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import logging
import os
import socket
import ssl
import threading
import time
from collections import Counter

from cheroot.errors import MaxSizeExceeded
from cheroot.server import HTTPConnection, HTTPRequest
from cheroot.ssl.builtin import BuiltinSSLAdapter

from . import MAX_BODY_BYTES
from .proxy import normalize_address

log = logging.getLogger("localorg")

DEADLINE_ENV = "LOCALORG_REQUEST_DEADLINE"  # seconds; tests shorten it
REQUEST_DEADLINE = 30.0
MAX_PER_ADDRESS = 10
MAX_HEADER_BYTES = 16_384
EXEMPT_ADDRESSES = frozenset({"127.0.0.1", "::1"})
_PLAIN_HTTP_ON_TLS = (b"The client sent a plain HTTP request, but this server only speaks "
                      b"HTTPS on this port.")


def request_deadline() -> float:
    """``REQUEST_DEADLINE``, or ``$LOCALORG_REQUEST_DEADLINE`` when set to a number ≥ 1."""
    try:
        value = float(os.environ.get(DEADLINE_ENV, ""))
    except ValueError:
        return REQUEST_DEADLINE
    return value if value >= 1 else REQUEST_DEADLINE


class RequestGuard:
    """Per host: requests in progress per address, and their deadlines (one watchdog)."""

    def __init__(self, name: str, deadline: float) -> None:
        self.deadline = deadline
        self._lock = threading.Lock()
        self._per_address: Counter[str] = Counter()
        self._heap: list[tuple[float, int, HTTPConnection]] = []
        self._live: dict[int, HTTPConnection] = {}  # ticket -> connection still in progress
        self._tickets = itertools.count()
        self._wake = threading.Event()
        self._stopped = False
        threading.Thread(target=self._watch, name=f"{name}-deadline", daemon=True).start()

    def enter(self, conn: HTTPConnection) -> int | None:
        """A ticket for this request, or None when its address is over the cap."""
        addr = normalize_address(conn.remote_addr)
        with self._lock:
            if addr not in EXEMPT_ADDRESSES and self._per_address[addr] >= MAX_PER_ADDRESS:
                return None
            self._per_address[addr] += 1
            ticket = next(self._tickets)
            self._live[ticket] = conn
            heapq.heappush(self._heap, (time.monotonic() + self.deadline, ticket, conn))
        self._wake.set()
        return ticket

    def leave(self, conn: HTTPConnection, ticket: int) -> None:
        addr = normalize_address(conn.remote_addr)
        with self._lock:
            self._live.pop(ticket, None)
            self._per_address[addr] -= 1
            if self._per_address[addr] <= 0:
                del self._per_address[addr]

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _watch(self) -> None:
        while not self._stopped:
            with self._lock:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time
                due = self._heap[0][0] if self._heap else None
                late = []
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, ticket, conn = heapq.heappop(self._heap)
                    if self._live.pop(ticket, None) is not None:
                        late.append(conn)
            for conn in late:
                log.warning("request from %s cut: not done within %.0f s", conn.remote_addr,
                            self.deadline)
                _cut(conn)
            self._wake.wait(None if due is None else max(0.0, min(1.0, due - now)))
            self._wake.clear()


def _cut(conn: HTTPConnection) -> None:
    # socket.socket.shutdown on the file descriptor (not SSLSocket.shutdown, which would
    # drop its TLS state under the worker's feet): the blocked read returns at once.
    try:
        socket.socket.shutdown(conn.socket, socket.SHUT_RDWR)
    except OSError:
        pass


class _Request(HTTPRequest):
    """cheroot's request, answering 431 (not 413) when the headers are too large."""

    def simple_response(self, status, msg=""):
        if str(status).startswith("413") and "headers" in str(msg):
            # Salesforce: URI + headers over 16,384 bytes is 431 (Help article 000386264)
            status, self.close_connection = "431 Request Header Fields Too Large", True
        return super().simple_response(status, msg)


class GuardedConnection(HTTPConnection):
    """cheroot's connection with the per-address cap, the deadline and the TLS handshake."""

    RequestHandlerClass = _Request
    guard: RequestGuard  # set per server by guard_server()

    def communicate(self):
        ticket = self.guard.enter(self)
        if ticket is None:
            log.warning("refused a connection from %s: more than %d requests in progress",
                        self.remote_addr, MAX_PER_ADDRESS)
            self._busy()
            return False
        try:
            if isinstance(self.socket, ssl.SSLSocket) and not self.ssl_env:
                if not self._handshake():
                    return False
            return super().communicate()
        finally:
            self.guard.leave(self, ticket)

    def _handshake(self) -> bool:
        try:
            self.socket.do_handshake()
        except ssl.SSLError as exc:
            if "http request" in str(exc).lower():  # plain HTTP on the TLS port
                _raw_send(self.socket, b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain"
                          b"\r\nConnection: close\r\nContent-Length: "
                          + str(len(_PLAIN_HTTP_ON_TLS)).encode() + b"\r\n\r\n"
                          + _PLAIN_HTTP_ON_TLS)
            return False
        except OSError:
            return False
        self.ssl_env = self.server.ssl_adapter.get_environ(self.socket)
        return True

    def _busy(self) -> None:
        body = b"Too many requests in progress from your address. Try again in a moment."
        head = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                b"Retry-After: 5\r\nConnection: close\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\n\r\n")
        if isinstance(self.socket, ssl.SSLSocket):
            self.socket.settimeout(2)  # the TLS handshake must not hold this thread long
            if not self._handshake():
                return
        try:
            self.socket.sendall(head + body)
        except OSError:
            pass


def _raw_send(sock: socket.socket, data: bytes) -> None:
    try:
        socket.socket.sendall(sock, data)
    except OSError:
        pass


class DeferredHandshakeAdapter(BuiltinSSLAdapter):
    """cheroot's built-in TLS adapter, with the handshake left to the worker thread."""

    def wrap(self, sock):
        return self.context.wrap_socket(sock, do_handshake_on_connect=False,
                                        server_side=True), {}


def guard_server(server, name: str) -> RequestGuard:
    """Give a cheroot server the deadline, the per-address cap and a body-size ceiling.

    The ceiling (``max_request_body_size``) makes cheroot refuse a chunk announced past it
    before reading it: a chunk size of ``FFFFFFFFFFFF`` would otherwise make it allocate
    that much. It sits above ``MAX_BODY_BYTES`` for the chunk framing; :class:`BodyLimits`
    answers the exact limit.
    """
    server.max_request_body_size = MAX_BODY_BYTES + 1024 * 1024
    # Request line + headers: 16,384 bytes, Salesforce's REST limit (Salesforce Help article
    # 000386264): a longer URI is 414, longer headers 431.
    server.max_request_header_size = MAX_HEADER_BYTES
    guard = RequestGuard(name, request_deadline())
    server.ConnectionClass = type("Guarded" + name.title().replace("-", ""),
                                  (GuardedConnection,), {"guard": guard})
    return guard


class BodyLimits:
    """WSGI middleware: 413 for bodies over ``max_bytes``, 400 for broken chunked encoding."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH", "")
        if length:
            if not (length.isascii() and length.isdigit()):
                return _error(environ, start_response, 400, "The Content-Length header is "
                              "not a number.")
            if len(length) > 12 or int(length) > self.max_bytes:
                return _too_large(environ, start_response, self.max_bytes)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            try:
                body = environ["wsgi.input"].read(self.max_bytes + 1)
            except MaxSizeExceeded:
                return _too_large(environ, start_response, self.max_bytes)
            except OSError as exc:
                # cheroot announces a chunk past max_request_body_size before reading it
                if "Request Entity Too Large" not in str(exc):
                    raise  # a socket error: cheroot closes the connection
                return _too_large(environ, start_response, self.max_bytes)
            except ValueError:
                # cheroot's ChunkedRFile: a bad chunk size or a missing CRLF after a chunk
                return _error(environ, start_response, 400, "The chunked request body is "
                              "malformed (bad chunk size or terminator).")
            if len(body) > self.max_bytes:
                return _too_large(environ, start_response, self.max_bytes)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)


def _too_large(environ, start_response, max_bytes: int):
    return _error(environ, start_response, 413, f"The request body is larger than "
                  f"{max_bytes // (1024 * 1024)} MiB.")


def _error(environ, start_response, status: int, message: str):
    """An error in the shape the path's clients expect (REST array, OAuth object, text)."""
    path = environ.get("PATH_INFO", "")
    reason = {400: "Bad Request", 413: "Content Too Large"}[status]
    headers = [("Connection", "close"), ("Cache-Control", "no-store")]
    if path.startswith(("/services/data", "/services/apexrest")):
        code = "REQUEST_ENTITY_TOO_LARGE" if status == 413 else "JSON_PARSER_ERROR"
        body = json.dumps([{"message": message, "errorCode": code}])
        headers.append(("Content-Type", "application/json;charset=UTF-8"))
    elif path.startswith("/services/oauth2"):
        body = json.dumps({"error": "invalid_request", "error_description": message})
        headers.append(("Content-Type", "application/json;charset=UTF-8"))
    else:
        body = message
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
    data = body.encode()
    headers.append(("Content-Length", str(len(data))))
    start_response(f"{status} {reason}", headers)
    return [data]
