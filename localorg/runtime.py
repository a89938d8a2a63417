"""The running local orgs: storage, randomness and URLs, shared by all three hosts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.security import generate_password_hash

from . import config, ids
from .config import PASSWORD_METHOD
from .store import Store, now
from .tls import TlsFiles, ensure_tls

LOOPBACK = "127.0.0.1"


def _load_schemas() -> None:
    # Importing a package registers its tables with the store.
    from .oauth import models, throttle  # noqa: F401
    from .rest import records  # noqa: F401
    from .web import sessions  # noqa: F401
    from .workshop import learners  # noqa: F401


@dataclass
class LocalOrg:
    """Everything a request handler needs; one per server process (and per CLI call)."""

    data_dir: Path
    port_base: int
    store: Store
    rng: ids.Rng
    tls: TlsFiles | None = None
    host_name: str = LOOPBACK
    extra: dict[str, Any] = field(default_factory=dict)
    login_tls: bool = False  # serve --expose: the login host speaks HTTPS too (workshop/)

    @property
    def ports(self) -> dict[str, int]:
        return config.ports(self.port_base)

    @property
    def login_url(self) -> str:
        scheme = "https" if self.login_tls else "http"
        return f"{scheme}://{self.host_name}:{self.ports['login']}"

    def instance_url(self, org_key: str) -> str:
        return f"https://{self.host_name}:{self.ports[org_key]}"

    def base_url(self, host: str) -> str:
        """Base URL of a host: ``"login"``, ``"A"`` or ``"B"``."""
        return self.login_url if host == "login" else self.instance_url(host)

    def org_key_for_id(self, org_id: str) -> str | None:
        row = self.store.org(org_id)
        return row["key"] if row else None

    def info(self) -> dict[str, Any]:
        """What ``serve --json`` prints and ``localorg.info()`` returns."""
        orgs = {}
        for org in self.store.orgs():
            users = [
                {"username": u.username, "password": u.password}
                for u in config.DEMO_USERS if u.org == org["key"]
            ]
            orgs[org["key"]] = {
                "instance_url": self.instance_url(org["key"]),
                "org_id": org["id"],
                "name": org["name"],
                "users": users,
            }
        return {
            "login_url": self.login_url,
            "ca_bundle": str(self.tls.ca_cert) if self.tls else None,
            "data_dir": str(self.data_dir),
            "seeded": self.rng.seeded,
            "orgs": orgs,
        }


def open_runtime(data_dir: Path, port_base: int, seed: str | None = None,
                 with_tls: bool = True) -> LocalOrg:
    """Open (and on first use, populate) the local orgs stored in ``data_dir``.

    The seed is fixed when the data folder is created; a different ``seed`` later is
    an error, because ids already handed out could then repeat.
    """
    _load_schemas()
    store = Store(Path(data_dir))
    stored_seed = store.get_meta("seed")
    if stored_seed is None and not store.orgs():
        store.set_meta("seed", "" if seed is None else str(seed))
        stored_seed = "" if seed is None else str(seed)
    elif seed is not None and str(seed) != stored_seed:
        raise ValueError(
            f"the data folder {data_dir} was created with another seed; "
            f"run `{config.command('reset', '--data', data_dir)}` first or use another "
            "--data folder"
        )
    rng = ids.Rng(stored_seed or None, store.next_counter if stored_seed else None)
    runtime = LocalOrg(Path(data_dir), port_base, store, rng,
                       ensure_tls(Path(data_dir)) if with_tls else None)
    _bootstrap(runtime)
    return runtime


def _bootstrap(rt: LocalOrg) -> None:
    """Create the two orgs, their demo users and ORG A's sample Accounts, once."""
    from .rest.records import insert_record

    if rt.store.orgs():
        return
    with rt.store.tx() as db:
        if db.execute("SELECT count(*) FROM orgs").fetchone()[0]:
            return
        ts = now()
        org_ids = {}
        for key in config.ORG_KEYS:
            org_id = rt.rng.record_id(ids.ORG_PREFIX, "org")
            org_ids[key] = org_id
            db.execute("INSERT INTO orgs(id, key, name, my_domain) VALUES(?,?,?,?)",
                       (org_id, key, config.ORG_NAMES[key], config.MY_DOMAINS[key]))
        user_ids = {}
        for user in config.DEMO_USERS:
            user_id = rt.rng.record_id(ids.USER_PREFIX, "user")
            user_ids[user.org] = user_id
            db.execute(
                "INSERT INTO users(id, org_id, username, password_hash, first_name, last_name,"
                " email, created_at) VALUES(?,?,?,?,?,?,?,?)",
                (user_id, org_ids[user.org], user.username,
                 generate_password_hash(user.password, method=PASSWORD_METHOD),
                 user.first_name, user.last_name, user.username, ts),
            )
        # Oldest first, one millisecond apart, so "ORDER BY CreatedDate DESC LIMIT 1" is stable.
        for i, fields in enumerate(config.SAMPLE_ACCOUNTS):
            insert_record(db, rt.rng.record_id(ids.ACCOUNT_PREFIX, "record"), org_ids["A"],
                          "Account", dict(fields), ts - (len(config.SAMPLE_ACCOUNTS) - i) / 1000,
                          user_ids["A"])


def dump_json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))
