"""``serve --expose``: one shared pair of local orgs for a room (security.md B-36).

Without ``--expose`` nothing changes: every listener binds 127.0.0.1 and the login host is
plain HTTP. With it, the listeners bind ``--bind`` (default 0.0.0.0), URLs use ``--host``
(default: this machine's host name) and EVERY host speaks TLS, the login host included:
learners' browsers are on other machines, and plain HTTP would show passwords and codes to
the room's network. The host certificate gains ``--host`` as a name; the CA stays the same::

    exposure = Exposure.from_args(host="10.0.0.5", bind=None)
    room_key = expose(rt, exposure)      # before the listeners are built
    print(banner(rt, exposure, room_key))
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any

from .. import config
from ..store import sha256
from ..tls import ca_fingerprint, ensure_tls
from ..web.proxy import is_loopback

DEFAULT_BIND = "0.0.0.0"  # noqa: S104 (only with the explicit --expose flag, B-36)
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
ROOM_PATH = "/_localorg/room"


class ExposeError(ValueError):
    """``--host`` or ``--bind`` is unusable; the message says what to pass instead."""


@dataclass(frozen=True)
class Exposure:
    """Where an exposed server listens (``bind``) and the name its URLs use (``host``)."""

    host: str
    bind: str

    @classmethod
    def from_args(cls, host: str | None, bind: str | None) -> Exposure:
        host = (host or socket.gethostname()).strip().rstrip(".")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is not None and ip.version == 6:
            raise ExposeError(f"--host {host}: use a host name or an IPv4 address (IPv6 "
                              "literals are not supported in the URLs)")
        if ip is None and not _DNS_NAME.match(host):
            raise ExposeError(f"--host {host!r} is not a valid host name or IP address")
        bind = (bind or DEFAULT_BIND).strip()
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise ExposeError(f"--bind {bind!r} must be an IP address of this machine "
                              "(e.g. 0.0.0.0 for every interface)") from None
        return cls(host, bind)

    @property
    def local_address(self) -> str:
        """The address this machine reaches the listeners on (status checks)."""
        ip = ipaddress.ip_address(self.bind)
        if ip.is_unspecified:
            return "127.0.0.1"  # "::" is dual-stack in cheroot
        return f"[{ip}]" if ip.version == 6 else str(ip)


def expose(rt, exposure: Exposure) -> str:
    """Switch the runtime to exposed mode and return a new trainer key for the room page.

    The key comes from ``rt.rng`` (``--seed`` makes it reproducible, like every secret) and
    only its hash is kept, in memory: each start prints a new one.
    """
    rt.host_name = exposure.host
    rt.login_tls = True
    names = [exposure.host]
    if not ipaddress.ip_address(exposure.bind).is_unspecified:
        names.append(exposure.bind)  # so `status` can check the server on that address
    rt.tls = ensure_tls(rt.data_dir, names)
    key = rt.rng.urlsafe("room_key", 24)
    rt.extra["workshop"] = {"exposure": exposure, "room_key_hash": sha256(key)}
    return key


def exposure_of(rt) -> Exposure | None:
    """The runtime's exposure, or None when it serves loopback only."""
    state = rt.extra.get("workshop")
    return state["exposure"] if state else None


def room_key_ok(rt, given: str | None) -> bool:
    """True when ``given`` is this server's trainer key (constant-time comparison)."""
    state = rt.extra.get("workshop")
    if not state or not given or len(given) > 200:
        return False
    return hmac.compare_digest(sha256(given).encode(), state["room_key_hash"].encode())


def ready_info(rt, exposure: Exposure) -> dict[str, Any]:
    """What ``serve --json`` adds under ``"expose"`` (no key: it also goes to server.json)."""
    port = rt.ports["login"]
    return {"host": exposure.host, "bind": exposure.bind,
            "local_login_url": f"https://{exposure.local_address}:{port}",
            "trust_url": rt.login_url + "/trust", "room_url": rt.login_url + ROOM_PATH,
            "ca_sha256": ca_fingerprint(rt.tls.ca_cert)}


def banner(rt, exposure: Exposure, room_key: str) -> str:
    info = ready_info(rt, exposure)
    return (
        "Local Salesforce orgs are running for a room: a classroom convenience, NOT FOR "
        "PRODUCTION.\n"
        f"  listening on : {exposure.bind} (ports {', '.join(map(str, rt.ports.values()))}), "
        "TLS on every host\n"
        f"  login host   : {rt.login_url}\n"
        f"  ORG A        : {rt.instance_url('A')}\n"
        f"  ORG B        : {rt.instance_url('B')}\n"
        f"  learners     : open {info['trust_url']} to trust the local CA\n"
        f"  CA SHA-256   : {info['ca_sha256']}\n"
        "                 (show it on the projector: learners compare it before trusting)\n"
        f"  room page    : {info['room_url']}?key={room_key}\n"
        "                 (trainer only; a new key at every start)\n"
        "Learners' credentials: "
        f"{config.command('add-learners', '--data', rt.data_dir)} --count N --out handout.csv\n"
        + ("WARNING: this data folder was created with --seed, so every password, secret, "
           "token and the room key can be derived from the seed: fine for a rehearsal, not "
           "for a room (`reset` it, then serve without --seed).\n" if rt.rng.seeded else "")
        + "Use this on a network you trust, for the length of the workshop; the demo users "
        "only log in from this machine. Press Ctrl+C to stop.")


def demo_login_refused(rt, username: str, remote_addr: str | None) -> bool:
    """True for a demo user logging in from another machine of an exposed server.

    The demo passwords are published in the README; in a room, learners use their own
    users (``add-learners``), and only the trainer's machine may use the demo users.
    """
    from .. import config

    if exposure_of(rt) is None or username not in {u.username for u in config.DEMO_USERS}:
        return False
    return not is_loopback(remote_addr)
