"""Salesforce-shaped identifiers and the server's single source of randomness.

Salesforce record ids are 15 case-sensitive base-62 characters (3-character key
prefix such as ``001`` for Account) plus a 3-character suffix that encodes the
case of the first 15, giving the 18-character form the APIs return.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import struct
import threading
from collections.abc import Callable

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"

# Key prefixes of the objects the local orgs know.
ORG_PREFIX = "00D"
USER_PREFIX = "005"
ACCOUNT_PREFIX = "001"
APP_PREFIX = "0H4"  # ConnectedApplication / external client app
QUERY_LOCATOR_PREFIX = "01g"


def to18(id15: str) -> str:
    """Return the 18-character form of a 15-character Salesforce id.

    >>> to18("001D000000IqhSL")
    '001D000000IqhSLIAZ'
    """
    if len(id15) != 15:
        raise ValueError("a 15-character id is required")
    # Each chunk of 5 characters gives one suffix character: bit i set when character i of
    # the chunk is an upper-case letter.
    upper = [ch.isupper() for ch in id15]
    return id15 + "".join(
        _SUFFIX_ALPHABET[upper[c] | upper[c + 1] << 1 | upper[c + 2] << 2 | upper[c + 3] << 3
                         | upper[c + 4] << 4]
        for c in (0, 5, 10))


def to15(any_id: str) -> str:
    """Return the 15-character form of an id given in either form."""
    return any_id[:15]


def same_id(a: str, b: str) -> bool:
    """True when two ids (15 or 18 characters) name the same record."""
    return len(a) in (15, 18) and len(b) in (15, 18) and a[:15] == b[:15]


class Rng:
    """Random bytes for ids, secrets and tokens: seeded (reproducible) or secure.

    With a seed, output is HMAC-SHA256(seed, purpose:counter) where the counter is
    kept by ``counter_store`` (persisted in SQLite), so a restarted server goes on
    with new values instead of repeating old ones. Without a seed it is ``secrets``.
    """

    def __init__(self, seed: str | None, next_counter: Callable[[], int] | None = None):
        self.seed = seed
        self._lock = threading.Lock()
        self._counter = 0
        self._next_counter = next_counter

    @property
    def seeded(self) -> bool:
        return self.seed is not None

    def bytes(self, purpose: str, n: int) -> bytes:
        if self.seed is None:
            return secrets.token_bytes(n)
        if self._next_counter is not None:
            # No Python lock here: the counter's own SQLite transaction serialises callers, and
            # holding a lock while waiting for SQLite's write lock could deadlock with a thread
            # that is inside a transaction and asks for random bytes.
            counter = self._next_counter()
        else:
            with self._lock:
                self._counter += 1
                counter = self._counter
        out = b""
        block = 0
        while len(out) < n:
            msg = f"{purpose}:{counter}:{block}".encode()
            out += hmac.new(self.seed.encode(), msg, hashlib.sha256).digest()
            block += 1
        return out[:n]

    def base62(self, purpose: str, length: int) -> str:
        # 2 bytes per character keeps the modulo bias negligible.
        raw = self.bytes(purpose, length * 2)
        return "".join([BASE62[n % 62] for n in struct.unpack(f">{length}H", raw)])

    def urlsafe(self, purpose: str, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self.bytes(purpose, nbytes)).rstrip(b"=").decode()

    def record_id(self, prefix: str, purpose: str = "id") -> str:
        """An 18-character id with the given 3-character key prefix."""
        # Real ids carry a pod identifier and zeros; 12 random characters keep them unique.
        return to18(prefix + self.base62(purpose, 12))
