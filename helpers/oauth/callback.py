"""Step 2: receive the browser's redirect back with ``?code=…&state=…``.

Two ways, same result (an :class:`AuthorizationGrant`) and the same checks:

1. A one-shot listener on the callback port, for a notebook on your own computer::

       with CallbackListener(flow, timeout=300).start() as listener:
           webbrowser.open(flow.authorization_url)
           grant = listener.wait()

2. The address pasted from the browser's address bar, when the kernel runs elsewhere
   (the browser then shows "can't connect", but the URL holds the code)::

       grant = parse_callback_url(flow, "http://localhost:1717/OauthRedirect?code=…&state=…")

Checks, in order: no repeated parameters (A-14), ``state`` matches this flow and is
consumed (A-02, A-03), ``iss`` if present is this flow's login host (A-07), then
``error=…`` becomes a typed exception (A-13), else the URL-decoded code is returned.
"""

from __future__ import annotations

import errno
import html
import os
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from ..errors import (
    AuthorizationDenied,
    AuthorizationError,
    CallbackError,
    CallbackPortInUse,
    CallbackTimeout,
    ConfigurationError,
    SalesforceOAuthError,
)
from .authorize import AuthorizationFlow, AuthorizationGrant
from .trust import LOOPBACK_NAMES

CALLBACK_PARAMS = ("code", "state", "error", "error_description", "iss")
MAX_QUERY_FIELDS = 50
DEFAULT_TIMEOUT = 300.0  # seconds to log in and click Allow


def complete_callback(flow: AuthorizationFlow, query: str) -> AuthorizationGrant:
    """Validate a callback query string (``code=…&state=…``) and return the grant."""
    try:
        params = parse_qs(query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError:
        raise CallbackError("the callback has too many parameters") from None
    repeated = sorted(k for k in CALLBACK_PARAMS if len(params.get(k, ())) > 1)
    if repeated:
        raise CallbackError(f"the callback repeats {', '.join(repeated)}: OAuth parameters "
                            "must appear once; start the login again")
    one = {k: v[0] for k, v in params.items() if k in CALLBACK_PARAMS}
    flow.consume_state(one.get("state"))  # before anything else is trusted
    if "iss" in one and one["iss"] != flow.login_url:
        raise CallbackError(f"the callback comes from issuer {one['iss']!r}, but this login "
                            f"was sent to {flow.login_url!r}: start the login again")
    if "error" in one:
        cls = AuthorizationDenied if one["error"] == "access_denied" else AuthorizationError
        raise cls(one["error"], one.get("error_description"))
    code = one.get("code")
    if not code:
        raise CallbackError("the callback has neither a code nor an error: make sure the "
                            "whole address was copied, then start the login again")
    return flow.grant(code)  # parse_qs turned %3D%3D into ==; Help: the code arrives URL-encoded


def parse_callback_url(flow: AuthorizationFlow, url: str) -> AuthorizationGrant:
    """The grant from a callback address pasted from the browser.

    >>> parse_callback_url(flow, pasted_url).code     # doctest: +SKIP
    """
    url = (url or "").strip()
    got, want = urlsplit(url), urlsplit(flow.redirect_uri)
    same = (got.scheme.lower(), got.netloc.lower(), got.path) == \
        (want.scheme.lower(), want.netloc.lower(), want.path)
    if not same:
        raise CallbackError(f"that address does not start with the callback URL "
                            f"{flow.redirect_uri!r}: copy the whole address bar after "
                            "clicking Allow")
    if not got.query and "code=" in got.fragment:
        raise CallbackError("the code is in the #fragment, which the web server flow never "
                            "does: check response_type=code")
    return complete_callback(flow, got.query)


# Styled like the local orgs' pages (a banner, a card), inline: the listener serves one page.
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f3f3;
color:#181818;line-height:1.5}}header{{background:#0176d3;color:#fff;padding:.6rem 1rem;
font-weight:600}}main{{max-width:28rem;margin:2rem auto;background:#fff;border-radius:.5rem;
padding:1.5rem 2rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}}h1{{font-size:1.3rem}}</style>
</head><body><header>The notebook's callback listener</header>
<main><h1>{title}</h1><p>{message}</p></main></body></html>"""


def _for_this_flow(flow: AuthorizationFlow, query: str) -> bool:
    """True when the query carries exactly one ``state`` and it is this flow's."""
    try:
        states = parse_qs(query, keep_blank_values=True,
                          max_num_fields=MAX_QUERY_FIELDS).get("state", [])
    except ValueError:
        return False
    return len(states) == 1 and flow.state_matches(states[0])


class _Server(socketserver.ThreadingMixIn, HTTPServer):
    # SO_REUSEADDR lets the port be re-bound at once after close; on Windows it
    # would let another program steal a bound port, so it stays off there.
    allow_reuse_address = os.name != "nt"
    timeout = 0.2  # how often the serving loop checks for close()/deadline
    # One thread per connection: browsers open speculative connections that send nothing,
    # which would otherwise hold a single-threaded server until the socket times out.
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:  # noqa: ARG002
        # A bug while answering must end the wait with an error and free the port,
        # not print a traceback that could include the request line.
        self.listener._finish(CallbackError(  # type: ignore[attr-defined]
            "the callback listener failed while answering the browser: start the login again"))

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse-DNS lookup
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "tutorial-callback"
    sys_version = ""
    timeout = 5  # an idle connection's thread ends after this

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002, ARG002
        """Silenced: the default access log writes the request line - code and state - to
        stderr (A-16)."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        listener: CallbackListener = self.server.listener  # type: ignore[attr-defined]
        path, _, query = self.path.partition("?")
        if path != listener.path or listener.done:
            self._page(404, "Not found", "This address is not the OAuth callback.")
            return
        if not _for_this_flow(listener.flow, query):
            # No, empty or another flow's state: not this login's answer, so the code is never
            # used (A-03) - and the wait goes on. Any web page can make the browser request
            # this address (an <img>); ending the wait on it would let that page break every
            # login (RFC 6749 §10.12 asks to reject such requests, not to stop listening).
            listener.ignored += 1
            self._page(400, "Not this login", "This address did not carry the answer to the "
                       "login the notebook is waiting for, so it was ignored; the notebook is "
                       "still waiting. If you started a new login, use its link.")
            return
        try:
            grant = complete_callback(listener.flow, query)
        except AuthorizationError as exc:
            listener._finish(exc)
            detail = f" ({exc.error_description})" if exc.error_description else ""
            self._page(400, "Authorization not granted",
                       f"Salesforce answered {exc.error}{detail}. Return to the notebook: it "
                       "explains what happened and what to do.")
        except SalesforceOAuthError as exc:
            listener._finish(exc)
            self._page(400, "Login not completed", "This response could not be used. Return "
                       "to the notebook: it explains what happened and what to do.")
        else:
            listener._finish(grant)
            self._page(200, "Login complete", "You can close this tab and return to the "
                       "notebook.")

    def _not_allowed(self) -> None:
        self._page(405, "Method not allowed", "The OAuth callback only accepts GET.")

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _page(self, status: int, title: str, message: str) -> None:
        body = _PAGE.format(title=html.escape(title), message=html.escape(message)).encode()
        self.send_response(status)
        for name, value in (
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
            ("Referrer-Policy", "no-referrer"),
            ("Content-Security-Policy",
             "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
        ):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class CallbackListener:
    """A one-shot HTTP listener for the OAuth callback on the loopback interface.

    Binds ``127.0.0.1`` (``::1`` when the callback URL says ``[::1]``), even when the
    callback URL says ``localhost`` (A-08); exactly the port of the callback URL, never
    another (A-09). The first GET on the exact callback path decides the outcome;
    other paths and methods are answered and ignored (A-11), and so are requests without
    this flow's ``state`` (A-03: any web page can send them). Closes itself after that
    request, after ``timeout`` seconds (CallbackTimeout, A-12) or on :meth:`close`.

    Why 127.0.0.1 for ``localhost``: the app's Callback URL must stay byte-identical
    (Salesforce matches it exactly), but listening on the IPv4 loopback literal keeps the
    port off the network; browsers that try ``::1`` first fall back to 127.0.0.1.

    On a remote kernel, ``port`` and ``path`` say where a proxy delivers the callback, e.g.
    ``https://hub/user/ada/proxy/1717/OauthRedirect`` arrives as ``/OauthRedirect`` on
    127.0.0.1:1717 (:func:`helpers.tutorial.remote.listen_address` computes them).

    In a notebook, start it before showing the link, then wait::

        listener = CallbackListener(flow).start()
        display(link_widget(flow.authorization_url))   # any widget
        grant = listener.wait()
    """

    def __init__(self, flow: AuthorizationFlow, timeout: float = DEFAULT_TIMEOUT, *,
                 port: int | None = None, path: str | None = None) -> None:
        parts = urlsplit(flow.redirect_uri)
        if port is not None and path is not None:
            # Behind a proxy (jupyter-server-proxy: <jupyter>/proxy/<port>/<path>): the browser
            # goes to the redirect URI, the proxy delivers <path> to 127.0.0.1:<port>.
            parts = urlsplit(f"http://127.0.0.1:{int(port)}{path}")
        elif parts.scheme != "http" or parts.hostname not in LOOPBACK_NAMES:
            raise ConfigurationError(
                f"the callback URL {flow.redirect_uri!r} is not http://localhost:<port>/…, so "
                "this computer cannot receive it: use parse_callback_url() with the address "
                "from the browser, or set SF_CALLBACK_URL to http://localhost:1717/OauthRedirect")
        self.flow = flow
        self.timeout = timeout
        self.host = "::1" if parts.hostname == "::1" else "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.done = False
        self.ignored = 0  # requests without this flow's state, said on timeout
        self._outcome: AuthorizationGrant | SalesforceOAuthError | None = None
        self._stop = threading.Event()
        self._finish_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._server: _Server | None = None

    def start(self) -> CallbackListener:
        """Bind the port and serve in a background thread; raises CallbackPortInUse."""
        if self._thread is not None:
            raise RuntimeError("a CallbackListener is used once; create a new one")
        server_cls = type("_Server6", (_Server,), {"address_family": socket.AF_INET6}) \
            if self.host == "::1" else _Server
        try:
            self._server = server_cls((self.host, self.port), _Handler)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)) or \
                    getattr(exc, "winerror", None) == 10048:
                raise CallbackPortInUse(self.port, self.host) from None
            if exc.errno == errno.EACCES:
                raise ConfigurationError(f"port {self.port} needs administrator rights: use a "
                                         "callback port above 1024, e.g. 1717") from None
            raise
        self._server.listener = self  # type: ignore[attr-defined]
        deadline = time.monotonic() + self.timeout
        self._thread = threading.Thread(target=self._serve, args=(deadline,),
                                        name=f"oauth-callback-{self.port}", daemon=True)
        self._thread.start()
        return self

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port)."""
        if self._server is None:
            raise RuntimeError("call start() first")
        return self._server.server_address[:2]  # type: ignore[return-value]

    def _serve(self, deadline: float) -> None:
        assert self._server is not None
        try:
            while not self._stop.is_set():
                if time.monotonic() >= deadline:
                    ignored = (f" ({self.ignored} request(s) without this login's state "
                               "were ignored: an old browser tab, or another page)"
                               if self.ignored else "")
                    self._finish(CallbackTimeout(
                        f"no callback arrived on {self.flow.redirect_uri} within "
                        f"{self.timeout:.0f} s{ignored}: open the authorization URL, log in "
                        "and click Allow, then start again. If the browser cannot reach this "
                        "computer (remote Jupyter), use parse_callback_url() with the address "
                        "instead"))
                    break
                self._server.handle_request()
        finally:
            self.done = True
            self._server.server_close()

    def _finish(self, outcome: AuthorizationGrant | SalesforceOAuthError) -> None:
        with self._finish_lock:  # the first callback decides; later ones change nothing
            if self._outcome is None:
                self._outcome = outcome
            self.done = True
            self._stop.set()

    def wait(self) -> AuthorizationGrant:
        """Block until the callback (or the timeout); return the grant or raise its error."""
        if self._thread is None:
            raise RuntimeError("call start() first")
        try:
            self._thread.join()
        except BaseException:  # e.g. KeyboardInterrupt in a notebook: free the port
            self.close()
            raise
        outcome = self._outcome
        if isinstance(outcome, AuthorizationGrant):
            return outcome
        if outcome is None:
            raise CallbackError("the listener was closed before a callback arrived")
        raise outcome

    def close(self) -> None:
        """Stop listening and free the port (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        elif self._thread is None and self._server is not None:
            self._server.server_close()

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.done else ("listening" if self._thread else "not started")
        return f"<CallbackListener http://{self.host}:{self.port}{self.path} {state}>"


def receive_callback(flow: AuthorizationFlow, timeout: float = DEFAULT_TIMEOUT,
                     open_browser: bool = True) -> AuthorizationGrant:
    """Listen, open the authorization URL in the default browser, wait for the grant."""
    import webbrowser

    with CallbackListener(flow, timeout).start() as listener:
        if open_browser:
            webbrowser.open(flow.authorization_url)
        return listener.wait()
