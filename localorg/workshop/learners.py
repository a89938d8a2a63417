"""Per-learner users and apps, created in bulk for a workshop, and the CSV handout.

Each learner gets ``learnerNN@org-a.localorg.test`` in ORG A, ``learnerNN@org-b.localorg.test``
in ORG B (random passwords from ``runtime.rng``, so ``--seed`` keeps them reproducible), an
External Client App in ORG B (the lesson's app) and one in ORG A (so a learner's notebook can
read ORG A with ``SF_TARGET=classroom``, see helpers/api/client.py). Learners are ordinary
users: no throttling bypass, no admin rights beyond what the demo users have.
Works while the server runs (it writes the database)::

    rt = open_runtime(Path(".localorg"), 8700, with_tls=False)
    learners = add_learners(rt, [("Ada Lovelace", None)], ["http://localhost:1717/OauthRedirect"])
    write_handout(learners, sys.stdout)
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from werkzeug.security import generate_password_hash

from .. import ids
from ..apps import DEFAULT_SCOPES, create_app, validate_callback, validate_scopes
from ..config import LEARNER_PASSWORD_METHOD
from ..store import now, register_schema

SCHEMA = """
CREATE TABLE IF NOT EXISTS workshop_learners (
    number INTEGER PRIMARY KEY,     -- 7 for learner07@...
    name TEXT NOT NULL,
    user_a_id TEXT NOT NULL REFERENCES users(id),
    user_b_id TEXT NOT NULL UNIQUE REFERENCES users(id),
    app_id TEXT NOT NULL REFERENCES apps(id),  -- the learner's External Client App in ORG B
    created_at REAL NOT NULL
);
"""
register_schema(SCHEMA)

DEFAULT_CALLBACK = "http://localhost:1717/OauthRedirect"
MAX_LEARNERS = 500  # per call; a room, not a load test of the hashing
HANDOUT_COLUMNS = ("learner", "org_b_username", "org_b_password", "org_a_username",
                   "org_a_password", "client_id", "client_secret", "org_a_client_id",
                   "org_a_client_secret")


class LearnerError(ValueError):
    """The learners cannot be created as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Learner:
    """One learner's credentials, as printed on the handout (shown once, stored hashed)."""

    number: int
    name: str
    org_b_username: str
    org_b_password: str = field(repr=False)
    org_a_username: str = ""
    org_a_password: str = field(default="", repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    org_a_client_id: str = ""  # the learner's app in ORG A (reading ORG A from a notebook)
    org_a_client_secret: str = field(default="", repr=False)

    def row(self) -> tuple[str, ...]:
        return (self.name, self.org_b_username, self.org_b_password, self.org_a_username,
                self.org_a_password, self.client_id, self.client_secret,
                self.org_a_client_id, self.org_a_client_secret)


def username(number: int, org_key: str) -> str:
    """``learner07@org-b.localorg.test`` (two digits at least, so lists sort well)."""
    return f"learner{number:02d}@org-{org_key.lower()}.localorg.test"


def _password(rng: ids.Rng) -> str:
    raw = rng.base62("learner_password", 16)  # about 95 bits, in groups a learner can type
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _clean_name(name: str, where: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise LearnerError(f"{where}: the learner has no name")
    if len(name) > 60:
        raise LearnerError(f"{where}: the name is limited to 60 characters")
    return name


def read_roster(path: str | Path) -> list[tuple[str, str | None]]:
    """``(name, email)`` pairs from a CSV with a ``name`` column (``email`` optional)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: Excel's BOM
            reader = csv.DictReader(fh)
            columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
            if "name" not in columns:
                raise LearnerError(f"{path}: no 'name' column (found: "
                                   f"{', '.join(columns) or 'nothing'}); the first line must "
                                   "be a header such as: name,email")
            roster = []
            for line, row in enumerate(reader, start=2):
                email = (row.get(columns["email"]) or "").strip() if "email" in columns else ""
                roster.append((_clean_name(row.get(columns["name"]) or "", f"{path} line {line}"),
                               email or None))
    except OSError as exc:
        raise LearnerError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LearnerError(f"{path} is not a UTF-8 CSV file ({exc})") from None
    if not roster:
        raise LearnerError(f"{path} lists no learners")
    return roster


def add_learners(rt, roster: Sequence[tuple[str | None, str | None]],
                 callback_urls: Sequence[str] = (DEFAULT_CALLBACK,),
                 scopes: str = DEFAULT_SCOPES) -> list[Learner]:
    """Create the learners of ``roster`` (``(name or None, email or None)``, None: "Learner NN").

    Settings are checked before anything is created; each learner is created in one
    transaction (both users, the app and the room's row, or nothing).
    """
    if not 1 <= len(roster) <= MAX_LEARNERS:
        raise LearnerError(f"add between 1 and {MAX_LEARNERS} learners at a time")
    callbacks = [validate_callback(u) for u in callback_urls if u.strip()] or [DEFAULT_CALLBACK]
    validate_scopes(scopes)
    orgs = {row["key"]: row["id"] for row in rt.store.orgs()}
    created = []
    for name, email in roster:
        user_ids = {k: rt.rng.record_id(ids.USER_PREFIX, "user") for k in ("A", "B")}
        passwords = {k: _password(rt.rng) for k in ("A", "B")}
        # Hash before the transaction: PBKDF2 is slow, the write lock is shared.
        hashes = {k: generate_password_hash(p, method=LEARNER_PASSWORD_METHOD)
                  for k, p in passwords.items()}
        with rt.store.tx() as db:
            number = db.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM workshop_learners").fetchone()[0]
            shown = name or f"Learner {number:02d}"
            first, _, last = shown.partition(" ")
            for key in ("A", "B"):
                if db.execute("SELECT 1 FROM users WHERE username=?",
                              (username(number, key),)).fetchone():
                    raise LearnerError(f"the user {username(number, key)} exists already, but "
                                       "not as a learner; use another --data folder")
                db.execute(
                    "INSERT INTO users(id, org_id, username, password_hash, first_name, last_name,"
                    " email, created_at) VALUES(?,?,?,?,?,?,?,?)",
                    (user_ids[key], orgs[key], username(number, key), hashes[key], first,
                     last or "(learner)", email or username(number, key), now()))
            app = create_app(rt, "B", f"{shown} app"[:80], callbacks, scopes)  # joins this tx
            app_a = create_app(rt, "A", f"{shown} ORG A app"[:80], callbacks, scopes)
            app_id = db.execute("SELECT id FROM apps WHERE client_id=?",
                                (app.client_id,)).fetchone()[0]
            db.execute("INSERT INTO workshop_learners(number, name, user_a_id, user_b_id, app_id,"
                       " created_at) VALUES(?,?,?,?,?,?)",
                       (number, shown, user_ids["A"], user_ids["B"], app_id, now()))
        created.append(Learner(number, shown, username(number, "B"), passwords["B"],
                               username(number, "A"), passwords["A"], app.client_id,
                               app.client_secret, app_a.client_id, app_a.client_secret))
    return created


def write_handout(learners: Sequence[Learner], out: TextIO) -> None:
    """The handout as CSV: one line per learner, columns ``HANDOUT_COLUMNS``."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HANDOUT_COLUMNS)
    for learner in learners:
        writer.writerow(learner.row())
