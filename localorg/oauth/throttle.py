"""Login throttling per (username, client address) with a growing delay (B-12, B-38, B-39).

A login attempt first *reserves* a slot, in one ``BEGIN IMMEDIATE`` transaction that both
counts the recent attempts and records the new one, and only then hashes the password.
So concurrent guesses cannot all pass a count taken before any of them was recorded
(40 parallel guesses used to be evaluated, 40 slow PBKDF2 checks and all). A success
clears the slots of that (username, address); a failure keeps its slot as a failure.

The first ``FREE_ATTEMPTS`` failures are free; after that each further attempt waits
``BASE_DELAY`` × 2^(n − FREE_ATTEMPTS) seconds after the previous one, at most
``MAX_DELAY`` (OWASP Authentication Cheat Sheet, "Account Lockout": a growing delay rather
than a hard lock; RFC 6819 §5.1.4.2.3). Keyed by address too, so failures from one machine
never lock the user out of another (a classroom peer who knows a learner's predictable
username cannot deny them the login). Behind jupyter-server-proxy every browser arrives
from loopback: that is the learner's own machine, so the key is still per learner.

Example::

    wait = reserve(store, "ada@org-b.localorg.test", "127.0.0.1", now=time.time())
    if wait:            # seconds to wait: answer 429 with Retry-After
        ...
    else:               # the slot is ours: check the password, then
        succeeded(store, "ada@org-b.localorg.test", "127.0.0.1")   # only if it was right
"""

from __future__ import annotations

import math

from ..store import Store, register_schema
from ..web.proxy import normalize_address

SCHEMA = """
CREATE TABLE IF NOT EXISTS login_attempts (  -- reserved login slots, kept when they fail
    username TEXT NOT NULL,         -- as typed, lower-cased (unknown users count too)
    address TEXT NOT NULL,          -- client address (IPv4-mapped IPv6 as IPv4)
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_key ON login_attempts(username, address, at);
"""
register_schema(SCHEMA)

FREE_ATTEMPTS = 5
BASE_DELAY = 30.0        # seconds after the 5th failure; doubles with each further one
MAX_DELAY = 15 * 60.0    # never longer than the old hard lock
WINDOW_SECONDS = 60 * 60  # failures older than this are forgotten


def key_of(username: str) -> str:
    return username.strip().lower()[:255]


def reserve(store: Store, username: str, address: str | None, now: float) -> int:
    """Reserve an attempt for (username, address); 0 when reserved, else seconds to wait."""
    key, addr = key_of(username), normalize_address(address)
    with store.tx() as db:  # BEGIN IMMEDIATE: count and record are one atomic step
        db.execute("DELETE FROM login_attempts WHERE at<?", (now - WINDOW_SECONDS,))
        row = db.execute("SELECT count(*) AS n, max(at) AS last FROM login_attempts "
                         "WHERE username=? AND address=?", (key, addr)).fetchone()
        n, last = row["n"], row["last"]
        if n >= FREE_ATTEMPTS:
            delay = min(BASE_DELAY * 2 ** (n - FREE_ATTEMPTS), MAX_DELAY)
            if now < last + delay:
                return max(1, math.ceil(last + delay - now))
        db.execute("INSERT INTO login_attempts(username, address, at) VALUES(?,?,?)",
                   (key, addr, now))
        return 0


def succeeded(store: Store, username: str, address: str | None) -> None:
    """A right password: forget this (username, address)'s failures and its own slot."""
    with store.tx() as db:
        db.execute("DELETE FROM login_attempts WHERE username=? AND address=?",
                   (key_of(username), normalize_address(address)))


def unlock(store: Store, username: str) -> int:
    """Forget every recorded failure of ``username`` (all addresses); returns how many."""
    with store.tx() as db:
        return db.execute("DELETE FROM login_attempts WHERE username=?",
                          (key_of(username),)).rowcount
