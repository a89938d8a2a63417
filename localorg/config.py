"""Where the local orgs live and what they start with."""

from __future__ import annotations

import os
import random
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# A source checkout (the tutorial's normal case, `make` installs it editable) keeps its data
# in the checkout; an installed copy (`pip install .`) in the user's home, not site-packages.
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file()
DEFAULT_DATA_DIR = (REPO_ROOT if IN_CHECKOUT else Path.home()) / ".localorg"
DEFAULT_PORT_BASE = 8700
DATA_ENV = "LOCALORG_DATA"
PORT_BASE_ENV = "LOCALORG_PORT_BASE"

ORG_KEYS = ("A", "B")

# Learner accounts (add-learners) get OWASP's PBKDF2-HMAC-SHA256 work factor, 600,000
# iterations (OWASP Password Storage Cheat Sheet). The demo users' passwords are published in
# the README, so a strong hash would protect nothing: they stay at 60,000, which keeps the
# seeded start fast (security.md B-40; burst cost measured by bench/localorg_load.py).
LEARNER_PASSWORD_METHOD = "pbkdf2:sha256:600000"  # noqa: S105 (a hash method name)
PASSWORD_METHOD = "pbkdf2:sha256:60000"  # noqa: S105 (demo users only; see above)


@dataclass(frozen=True)
class DemoUser:
    org: str
    username: str
    password: str
    first_name: str
    last_name: str


# Obviously fake credentials (security.md B-36): the local orgs accept them on loopback only.
DEMO_USERS = (
    DemoUser("A", "ada@org-a.localorg.test", "orgA-demo-pass-1", "Ada", "Admin"),
    DemoUser("B", "ben@org-b.localorg.test", "orgB-demo-pass-1", "Ben", "Builder"),
)

ORG_NAMES = {"A": "ORG A (local)", "B": "ORG B (local)"}
MY_DOMAINS = {"A": "orga", "B": "orgb"}

# ORG A starts with a handful of Accounts (the post posts ORG A's latest one); ORG B starts empty.
SAMPLE_ACCOUNTS = (
    {"Name": "Edge Communications", "Type": "Customer - Direct", "Industry": "Electronics",
     "Description": "Leading provider of telecom equipment."},
    {"Name": "Burlington Textiles Corp of America", "Type": "Customer - Direct",
     "Industry": "Apparel", "Description": "Textile maker with mills in North Carolina."},
    {"Name": "Pyramid Construction Inc.", "Type": "Customer - Channel",
     "Industry": "Construction", "Description": "Builds commercial sites across Europe."},
    {"Name": "Grand Hotels & Resorts Ltd", "Type": "Customer - Direct",
     "Industry": "Hospitality", "Description": "Chain of luxury hotels."},
    {"Name": "United Oil & Gas Corp.", "Type": "Customer - Direct", "Industry": "Energy",
     "Description": "Oil and gas exploration and refining."},
)


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: the argument, else ``$LOCALORG_DATA``, else ``.localorg/`` in the repo."""
    if explicit:
        return Path(explicit).resolve()
    env = os.environ.get(DATA_ENV)
    return Path(env).resolve() if env else DEFAULT_DATA_DIR


def port_base(explicit: int | None = None) -> int:
    if explicit is not None:
        return explicit
    env = os.environ.get(PORT_BASE_ENV)
    return int(env) if env else DEFAULT_PORT_BASE


def ports(base: int) -> dict[str, int]:
    """Ports of the three hosts for a port base: login, ORG A, ORG B."""
    return {"login": base, "A": base + 1, "B": base + 2}


def free_port_base(count: int = 3) -> int:
    """A port N such that N .. N+count-1 are all free on 127.0.0.1 (tests, benchmarks).

    Why not bind port 0 per host and publish the URLs: the three hosts sit on consecutive
    ports by design. Learners, the handout of a workshop and the client's trust policy derive
    all three origins from one number (``LOCALORG_PORT_BASE``), and the default 8700-8702
    stays stable across restarts so bookmarks and saved apps keep working.

    Why not in the kernel's ephemeral range (Linux: 32768-60999): every outgoing connection
    on the machine takes a port from it, so a range found free there can be taken by a
    client socket before the server binds it (it happened in CI with four test workers).
    Ports below that range are only ever taken by servers that ask for them by number. The
    probe can still race with another server; that one then fails to bind and says which
    port to change.
    """
    low, high = _ephemeral_range()
    # From 10000 up: below are the well-known development ports (8700 is ours, 8888 Jupyter's)
    candidates = [(first, last) for first, last in ((10_000, low - count),
                                                    (high + 1, 65535 - count)) if first < last]
    if not candidates:  # no room outside the range: anywhere above the privileged ports
        candidates = [(1024, 65535 - count)]
    pick = random.SystemRandom()
    for _ in range(200):
        first, last = pick.choice(candidates)
        base = pick.randint(first, last)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free range of ports found on 127.0.0.1")


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands to outgoing connections (Linux; IANA's 49152-65535 elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535


def command(*args: str | os.PathLike[str]) -> str:
    """A ``localorg`` command line to print: this interpreter's, so it works from any folder
    and without activating the virtual environment."""
    return shlex.join([sys.executable, "-m", "localorg", *map(str, args)])
