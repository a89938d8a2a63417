"""Serving the login host under a path prefix, behind jupyter-server-proxy.

On JupyterHub, Binder or Codespaces the learner's browser cannot reach 127.0.0.1 of the
kernel's machine; jupyter-server-proxy forwards ``<jupyter base>/proxy/<port>/<path>`` to
``http://localhost:<port>/<path>`` (the prefix stripped) and says where it cut with the
header ``X-Forwarded-Prefix: <jupyter base>/proxy/<port>``. Its ``/proxy/absolute/<port>/``
form keeps the prefix in the path and is not supported (every route would be wrong).

What the login host does with that header (from loopback peers only: jupyter-server-proxy
runs on this machine; ``serve --expose`` peers elsewhere are never believed):

* ``SCRIPT_NAME`` = the prefix (werkzeug's ProxyFix), so ``request.script_root`` is
  what every template puts before its links and form actions;
* redirects to its own paths become *relative* references (``../``, ``services/…``):
  jupyter-server-proxy 4.5+ rewrites a path-absolute ``Location`` itself and older
  versions do not, so only a relative one is right with every version and every
  prefix-stripping proxy;
* the session cookie's ``Path`` is the prefix (:mod:`.sessions`), so it is sent to this
  host only, not to the Jupyter server or other proxied ports of the same origin;
* a form's ``Origin`` may be the browser's host (jupyter-server-proxy passes ``Host``
  through), in addition to the direct address (:func:`allowed_origins`).

URLs the kernel calls (token, ``id``, userinfo, the issuer) stay the direct loopback
addresses: the browser never calls them, so they need no prefix.

::

    app.wsgi_app = PrefixFromProxy(app.wsgi_app)
    app.after_request(relative_redirects)
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

# A plain path: segments of URL-safe characters, no "//", no "." or ".." segments, and no
# ";" "," or quotes (the prefix ends up in a Set-Cookie Path and in HTML attributes).
_PREFIX = re.compile(r"^(/(?!\.{1,2}(/|$))[A-Za-z0-9._~!$&()*+=:@%-]+)+/?$")


def _ip(addr: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address((addr or "").split("%")[0].strip("[]"))
    except ValueError:
        return None
    # A dual-stack socket ("::" with --expose) reports IPv4 peers as ::ffff:a.b.c.d; before
    # Python 3.13, ::ffff:127.0.0.1 is not .is_loopback, so a local peer looked remote.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_loopback(addr: str | None) -> bool:
    """True when a peer address (``REMOTE_ADDR``) is on the loopback interface (B-41).

    >>> is_loopback("::ffff:127.0.0.1"), is_loopback("::1"), is_loopback("10.0.0.7")
    (True, True, False)
    """
    ip = _ip(addr)
    return ip is not None and ip.is_loopback


def normalize_address(addr: str | None) -> str:
    """A peer address in one spelling (IPv4-mapped IPv6 as IPv4), for keys like throttling.

    >>> normalize_address("::ffff:10.0.0.7")
    '10.0.0.7'
    """
    ip = _ip(addr)
    return str(ip) if ip is not None else (addr or "")[:64]


class PrefixFromProxy:
    """WSGI middleware: honour ``X-Forwarded-Prefix`` from a proxy on this machine."""

    def __init__(self, app) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=0, x_proto=0, x_host=0, x_port=0, x_prefix=1)

    def __call__(self, environ, start_response):
        prefix = environ.pop("HTTP_X_FORWARDED_PREFIX", None)
        if prefix and is_loopback(environ.get("REMOTE_ADDR")) and _PREFIX.match(prefix):
            environ["HTTP_X_FORWARDED_PREFIX"] = prefix.rstrip("/")
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def relative_reference(target: str, current_path: str) -> str:
    """``target`` (a path on this host) as a reference relative to ``current_path``.

    >>> relative_reference("/services/oauth2/authorize?x=1", "/")
    'services/oauth2/authorize?x=1'
    >>> relative_reference("/", "/secur/logout.jsp")
    '../'
    """
    parts = urlsplit(target)
    depth = current_path.count("/") - 1  # folders between the root and the current page
    path = "../" * max(depth, 0) + parts.path.lstrip("/")
    if not path or ":" in path.split("/", 1)[0]:
        path = "./" + path  # "" is the current page; "a:b" would read as a scheme
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def relative_redirects(response: Response) -> Response:
    """after_request hook: behind a prefix, redirects to this host's own paths go relative."""
    location = response.headers.get("Location")
    if (request.script_root and location and response.status_code in (301, 302, 303, 307, 308)
            and location.startswith("/") and not location.startswith("//")):
        response.headers["Location"] = relative_reference(location, request.path)
    return response


def allowed_origins(direct_url: str) -> set[str]:
    """The ``Origin`` values a form POST may carry: the direct address, and behind a
    prefix-stripping proxy the browser's own host (``Host`` as the proxy passed it)."""
    origins = {direct_url.rstrip("/")}
    if request.script_root and request.host:
        origins |= {f"http://{request.host}", f"https://{request.host}"}
    return origins
