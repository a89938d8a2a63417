"""Remote kernels: the learner's browser is not on the kernel's machine.

On JupyterHub, Binder or Codespaces, ``127.0.0.1`` in the learner's browser is the learner's
own computer. With jupyter-server-proxy installed (requirements.txt), the browser reaches a
port of the kernel's machine through the Jupyter server: ``<jupyter>/proxy/<port>/<path>``
arrives as ``http://localhost:<port>/<path>`` (the prefix stripped). The local orgs' login
host accepts that (localorg/web/proxy.py), and so does the callback listener when
it is told the port and path (:func:`listen_address`).

Where the browser finds the Jupyter server, first match wins:

=============================  ===========================================================
``TUTORIAL_PUBLIC_URL``        the Jupyter server's address as the browser shows it, e.g.
                               ``https://hub.example.org/user/ada/`` (``off``: the kernel
                               and the browser share a computer, whatever else is set)
``JUPYTERHUB_PUBLIC_URL``      set by JupyterHub 5 when the hub's ``public_url`` is known
``JUPYTERHUB_SERVICE_PREFIX``  JupyterHub or Binder: the path is known, the host is not
``CODESPACES``                 GitHub Codespaces: remote, address unknown
=============================  ===========================================================

With the full address, the callback URL becomes ``<address>proxy/1717/OauthRedirect`` and
the listener catches the redirect. With only the path, links to the local login host are
path-absolute (the browser resolves them against the JupyterLab page) and the callback stays
``http://localhost:1717/…``: after Allow the browser shows "can't connect", and the learner
pastes that address into the notebook (the paste fallback, always offered)::

    remote = detect()                    # None on your own computer
    remote.callback_url(1717)            # 'https://hub.example.org/user/ada/proxy/1717/OauthRedirect'
    remote.browser_url("http://127.0.0.1:8700/services/oauth2/authorize?…")
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError

PUBLIC_URL_ENV = "TUTORIAL_PUBLIC_URL"
OFF = ("off", "local", "none", "no")
CALLBACK_PATH = "/OauthRedirect"
# jupyter-server-proxy's prefix-stripping form; /proxy/absolute/<port>/ is not supported.
_PROXIED = re.compile(r"^(?P<base>.*/)proxy/(?P<port>\d{1,5})(?P<path>/.*)$")


@dataclass(frozen=True)
class Remote:
    """How the learner's browser reaches this Jupyter server."""

    base_path: str                 # the Jupyter server's path, e.g. "/user/ada/" (ends with /)
    public_url: str | None = None  # the full address, when known (ends with /)
    source: str = PUBLIC_URL_ENV   # the variable that said so
    proxy_links: bool = True       # False: no jupyter-server-proxy assumed (Codespaces)

    def proxied(self, port: int, path: str = "/") -> str:
        """Address of ``path`` on loopback ``port`` through jupyter-server-proxy: absolute
        when the public URL is known, else path-absolute (fine for a link in JupyterLab)."""
        tail = f"proxy/{int(port)}/{path.lstrip('/')}"
        return (self.public_url or self.base_path) + tail

    def callback_url(self, port: int, path: str = CALLBACK_PATH) -> str | None:
        """The proxied callback URL to register, or None when the host is unknown or the
        server is plain http on a network address (Salesforce takes http callbacks only on
        localhost: such hubs use the paste fallback)."""
        if not self.public_url:
            return None
        parts = urlsplit(self.public_url)
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            return None
        return self.proxied(port, path)

    def browser_url(self, url: str) -> str:
        """``url`` as the learner's browser must open it: a loopback address goes through
        the proxy, anything else (a real org) is unchanged."""
        parts = urlsplit(url)
        if not self.proxy_links or parts.scheme != "http" or \
                parts.hostname not in ("127.0.0.1", "localhost") or parts.port is None:
            return url
        proxied = urlsplit(self.proxied(parts.port, parts.path or "/"))
        return urlunsplit(proxied._replace(query=parts.query, fragment=parts.fragment))

    def describe(self) -> str:
        where = self.public_url or f"<this Jupyter server>{self.base_path}"
        return f"remote kernel ({self.source}): your browser reaches this server at {where}"


def detect(environ: Mapping[str, str] | None = None) -> Remote | None:
    """The remote setup in force, or None when the browser and the kernel share a computer.

    >>> detect({"TUTORIAL_PUBLIC_URL": "https://hub.example.org/user/ada"}).public_url
    'https://hub.example.org/user/ada/'
    >>> detect({}) is None
    True
    """
    env = os.environ if environ is None else environ
    explicit = (env.get(PUBLIC_URL_ENV) or "").strip()
    if explicit.lower() in OFF:
        return None
    if explicit:
        return _from_url(explicit, PUBLIC_URL_ENV)
    hub_public = (env.get("JUPYTERHUB_PUBLIC_URL") or "").strip()
    if hub_public:
        return _from_url(hub_public, "JUPYTERHUB_PUBLIC_URL")
    prefix = (env.get("JUPYTERHUB_SERVICE_PREFIX") or "").strip()
    if prefix:
        source = "Binder" if env.get("BINDER_LAUNCH_HOST") else "JupyterHub"
        return Remote(_slash(prefix), None, f"{source}, JUPYTERHUB_SERVICE_PREFIX")
    if (env.get("CODESPACES") or "").lower() == "true":
        return Remote("/", None, "CODESPACES", proxy_links=False)
    return None


def listen_address(redirect_uri: str) -> tuple[int, str] | None:
    """(port, path) where jupyter-server-proxy delivers a proxied callback URL, else None.

    >>> listen_address("https://hub.example.org/hub/user-redirect/proxy/1717/OauthRedirect")
    (1717, '/OauthRedirect')
    >>> listen_address("http://localhost:1717/OauthRedirect") is None
    True
    """
    match = _PROXIED.match(urlsplit(redirect_uri).path)
    if match is None:
        return None
    port = int(match["port"])
    return (port, match["path"]) if 0 < port < 65536 else None


def direct_callback(callback: str, redirect_uri: str) -> str:
    """The callback address as the kernel itself can call it (scripted mode): a proxied
    callback goes straight to the listener's loopback port; others are unchanged."""
    where = listen_address(redirect_uri)
    if where is None:
        return callback
    port, path = where
    return urlunsplit(("http", f"127.0.0.1:{port}", path, urlsplit(callback).query, ""))


def _slash(path: str) -> str:
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


def _from_url(raw: str, source: str) -> Remote:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or \
            parts.fragment or parts.username:
        raise ConfigurationError(f"{source}={raw!r} must be the address of the Jupyter server "
                                 "as your browser shows it, e.g. https://hub.example.org/user/"
                                 "<you>/ (no ?query), or 'off'")
    path = _slash(re.sub(r"/(lab|tree|notebooks)(/.*)?$", "", parts.path))
    return Remote(path, urlunsplit((parts.scheme, parts.netloc, path, "", "")), source)
