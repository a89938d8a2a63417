"""Which hosts may receive a bearer token or a client secret (security.md A-19, A-26).

Salesforce's token response names the host to call next (``instance_url``, ``id``).
Before any secret goes there, the URL is parsed and checked - never matched by prefix::

    policy = TrustPolicy()                       # real Salesforce
    policy.check("https://acme.my.salesforce.com")            # ok
    policy.check("https://x.salesforce.com.evil.example")     # UntrustedInstanceError

Real orgs: ``https`` on port 443 and a host under one of :data:`SALESFORCE_DOMAINS`.
Local orgs: exactly one of the configured local origins; plain ``http`` only when the
parsed host is a loopback IP literal (``127.0.0.1``, ``::1``), never a name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import UntrustedInstanceError

# Domains Salesforce serves orgs from. My Domain (*.my.salesforce.com), sandboxes
# (*.sandbox.my.salesforce.com), login/test.salesforce.com, api.salesforce.com, legacy
# instance hosts (na1.salesforce.com, *.force.com), Setup (*.salesforce-setup.com) and
# Experience Cloud sites (*.my.site.com, *.salesforce-sites.com). Extend deliberately.
SALESFORCE_DOMAINS = ("salesforce.com", "force.com", "salesforce-setup.com", "my.site.com",
                      "salesforce-sites.com", "cloudforce.com")

_HOST_LABELS = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# Host names a callback URL may use for a plain-http loopback listener (Salesforce accepts
# http only for these); the listener itself always binds 127.0.0.1 or ::1.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback_literal(host: str | None) -> bool:
    """True for IP literals of the loopback interface (``127.0.0.1``, ``::1``), not names.

    IPv4-mapped ``::ffff:127.0.0.1`` counts too (before Python 3.13 ``is_loopback`` says no).

    >>> is_loopback_literal("::ffff:127.0.0.1"), is_loopback_literal("localhost")
    (True, False)
    """
    try:
        ip = ipaddress.ip_address((host or "").strip("[]"))
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased, with the default port made explicit."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise UntrustedInstanceError(f"{_short(url)} has an invalid port") from exc
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{host}:{port or default}"


def _short(url: str) -> str:
    # URLs in messages lose their query and fragment: those may carry codes or tokens.
    parts = urlsplit(url)
    return repr(f"{parts.scheme}://{parts.netloc}{parts.path}"[:200])


@dataclass(frozen=True)
class TrustPolicy:
    """Decides whether a URL may receive credentials.

    ``local_origins`` empty means real Salesforce; otherwise only those exact origins
    (e.g. ``{"http://127.0.0.1:8700", "https://127.0.0.1:8702"}``) are trusted.
    """

    local_origins: frozenset[str] = frozenset()

    @classmethod
    def local(cls, origins: Iterable[str]) -> TrustPolicy:
        return cls(frozenset(origin(o) for o in origins))

    def check(self, url: str, what: str = "URL") -> str:
        """Return ``url`` when trusted, else raise :class:`UntrustedInstanceError`.

        >>> TrustPolicy().check("https://orgb.my.salesforce.com", "instance_url")
        'https://orgb.my.salesforce.com'
        """
        if not isinstance(url, str) or not url:
            raise UntrustedInstanceError(f"{what} is missing")
        if any(c in url for c in "\\\r\n\t ") or any(ord(c) < 32 for c in url):
            raise UntrustedInstanceError(f"{what} {_short(url)} contains illegal characters")
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise UntrustedInstanceError(f"{what} {_short(url)} must not contain user@")
        scheme, host = parts.scheme.lower(), (parts.hostname or "")
        url_origin = origin(url)  # raises on a malformed port
        if self.local_origins:
            if url_origin not in self.local_origins:
                raise UntrustedInstanceError(
                    f"{what} {_short(url)} is not one of the local orgs "
                    f"({', '.join(sorted(self.local_origins))}); refusing to send a token there")
            if scheme == "http" and not is_loopback_literal(host):
                raise UntrustedInstanceError(f"{what} {_short(url)}: plain http is only "
                                             "allowed to a loopback IP literal")
            return url
        if scheme != "https":
            raise UntrustedInstanceError(f"{what} {_short(url)} must use https")
        if not url_origin.endswith(":443"):
            raise UntrustedInstanceError(f"{what} {_short(url)} must use the default https port")
        if not _HOST_LABELS.match(host) or not host.endswith(
                tuple("." + d for d in SALESFORCE_DOMAINS)):
            raise UntrustedInstanceError(
                f"{what} {_short(url)} is not a Salesforce host (allowed: *."
                + ", *.".join(SALESFORCE_DOMAINS) + "); refusing to send a token there")
        return url
