"""SQLite storage shared by every host and by the command line.

One database file in WAL mode. Each request commits its own short transaction before
the response is sent. With WAL, ``synchronous=NORMAL`` makes a commit durable against
the server process dying (``kill -9``: the WAL is in the operating system's cache), which
is what a local stand-in needs; it is not durable against a power cut, which would need
``FULL`` and an fsync per commit (several times slower under load, see bench/).
Connections are per thread (cheroot serves each request on a worker thread).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .private import private_dir, private_file

DB_NAME = "localorg.sqlite3"

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
    id TEXT PRIMARY KEY,            -- 18-character org id (00D...)
    key TEXT NOT NULL UNIQUE,       -- 'A' or 'B'
    name TEXT NOT NULL,
    my_domain TEXT NOT NULL,
    api_limit INTEGER NOT NULL DEFAULT 15000
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,            -- 18-character user id (005...)
    org_id TEXT NOT NULL REFERENCES orgs(id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS apps (   -- External Client Apps (and legacy connected apps)
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    client_secret_hash TEXT NOT NULL,
    callback_urls TEXT NOT NULL,    -- JSON list, matched exactly
    scopes TEXT NOT NULL,           -- space separated
    require_secret INTEGER NOT NULL DEFAULT 1,          -- for the web server flow
    require_secret_refresh INTEGER NOT NULL DEFAULT 1,  -- for the refresh token flow
    require_pkce INTEGER NOT NULL DEFAULT 1,
    refresh_rotation INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    session_timeout_minutes INTEGER -- the app's own session timeout; NULL: the org's (2 hours)
);
"""
# Columns added after a table was first released: (table, column, declaration). A data folder
# made by an older version gets them when it is opened (SQLite cannot add them in CREATE IF NOT
# EXISTS).
_ADDED_COLUMNS = (("apps", "session_timeout_minutes", "INTEGER"),)

_schemas: list[str] = [CORE_SCHEMA]
_local = threading.local()


def register_schema(sql: str) -> None:
    """Add a package's tables; ``Store`` creates them when it opens the database."""
    if sql not in _schemas:
        _schemas.append(sql)


def sha256(value: str) -> str:
    """Hex SHA-256 of a secret: what the store keeps instead of codes, tokens and secrets."""
    return hashlib.sha256(value.encode()).hexdigest()


class Store:
    """Thread-safe access to the SQLite database under a data folder.

    Example::

        store = Store(Path(".localorg"))
        with store.tx() as db:
            db.execute("SELECT count(*) FROM users").fetchone()
    """

    def __init__(self, data_dir: Path):
        self.data_dir = private_dir(Path(data_dir))  # 0700 (B-44)
        self.path = self.data_dir / DB_NAME
        # 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database
        # file's mode, so those are 0600 too.
        private_file(self.path)
        for extra in ("-wal", "-shm"):
            if Path(str(self.path) + extra).exists():
                private_file(Path(str(self.path) + extra))
        conn = self._conn()
        for sql in _schemas:
            conn.executescript(sql)  # runs in its own transaction (executescript commits)
        for table, column, declaration in _ADDED_COLUMNS:
            names = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in names:
                try:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise

    def _conn(self) -> sqlite3.Connection:
        conns = getattr(_local, "conns", None)
        if conns is None:
            conns = _local.conns = {}
        conn = conns.get(self.path)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conns[self.path] = conn
        return conn

    @contextmanager
    def tx(self, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction: committed when the block ends, rolled back on an exception.

        ``immediate`` takes the write lock at the start, which avoids deadlocks between
        two readers that both later write (SQLITE_BUSY on upgrade).
        """
        conn = self._conn()
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def query(self, sql: str, args: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self.tx(immediate=False) as db:
            return db.execute(sql, args).fetchall()

    def one(self, sql: str, args: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        rows = self.query(sql, args)
        return rows[0] if rows else None

    # --- meta -------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key=?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.tx() as db:
            db.execute("INSERT INTO meta(key, value) VALUES(?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def next_counter(self) -> int:
        """A persisted counter for the seeded random generator."""
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key='rng_counter'").fetchone()
            n = int(row["value"]) + 1 if row else 1
            db.execute("INSERT INTO meta(key, value) VALUES('rng_counter', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (str(n),))
            return n

    # --- orgs, users, apps ---------------------------------------------------------------
    def org(self, key_or_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM orgs WHERE key=? OR id=?", (key_or_id, key_or_id))

    def orgs(self) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM orgs ORDER BY key")

    def user_by_username(self, username: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM users WHERE username=?", (username,))

    def user(self, user_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM users WHERE id=?", (user_id,))

    def app_by_client_id(self, client_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM apps WHERE client_id=?", (client_id,))

    def apps(self, org_id: str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM apps WHERE org_id=? ORDER BY created_at", (org_id,))


def callback_urls(app_row: sqlite3.Row) -> list[str]:
    return json.loads(app_row["callback_urls"])


def now() -> float:
    return time.time()
