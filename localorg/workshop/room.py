"""Pages of an exposed login host: trusting the local CA, and the trainer's room page.

* ``GET /trust`` and ``GET /localorg-ca.pem``: how a learner trusts the local CA (public)
* ``GET /_localorg/room?key=…`` and ``/_localorg/room.json?key=…``: each learner's progress
  through the flow, derived from stored data with one aggregate query. It reveals learner
  activity, so it needs the trainer key; it never shows passwords, secrets, codes or tokens
  (only SHA-256 hashes of those are stored anyway).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, jsonify, request, send_file

from ..tls import ca_fingerprint
from ..web.pages import error_page, render
from .expose import ROOM_PATH, room_key_ok

REFRESH_SECONDS = 5

# One pass per table, restricted to learners' ORG B users (indexes: oauth_tokens has none on
# user_id, so these are scans; fine for a workshop's thousands of rows, see bench/).
# Each authorization code issues exactly one access token, so access tokens beyond the
# number of distinct codes came from the refresh token grant.
ROOM_SQL = """
WITH lb AS (SELECT user_b_id FROM workshop_learners),
codes AS (
    SELECT user_id, count(*) AS n, min(created_at) AS first_at, max(created_at) AS last_at
    FROM oauth_codes WHERE user_id IN lb GROUP BY user_id),
toks AS (
    SELECT user_id,
           sum(kind = 'access') AS n,
           min(CASE WHEN kind = 'access' THEN issued_at END) AS first_at,
           max(CASE WHEN kind = 'access' THEN issued_at END) AS last_at,
           sum(kind = 'access') - count(DISTINCT CASE WHEN kind = 'access' THEN code_hash END)
               AS refreshes,
           sum(revoked_at IS NOT NULL) AS revoked, max(revoked_at) AS revoked_at
    FROM oauth_tokens WHERE user_id IN lb GROUP BY user_id),
accts AS (
    SELECT created_by_id AS user_id, count(*) AS n, max(seq) AS last_seq
    FROM records WHERE org_id = :org_b AND sobject = 'Account' AND created_by_id IN lb
    GROUP BY created_by_id)
SELECT l.number, l.name, u.username, a.name AS app_name, a.created_at AS app_created_at,
       coalesce(c.n, 0) AS codes, c.first_at AS first_code_at, c.last_at AS last_code_at,
       coalesce(t.n, 0) AS tokens, t.first_at AS first_token_at, t.last_at AS last_token_at,
       coalesce(t.refreshes, 0) AS refreshes, coalesce(t.revoked, 0) AS revoked,
       t.revoked_at AS last_revoked_at, coalesce(r.n, 0) AS accounts
FROM workshop_learners l
JOIN users u ON u.id = l.user_b_id
JOIN apps a ON a.id = l.app_id
LEFT JOIN codes c ON c.user_id = l.user_b_id
LEFT JOIN toks t ON t.user_id = l.user_b_id
LEFT JOIN accts r ON r.user_id = l.user_b_id
ORDER BY l.number
"""
STEPS = ("app", "code", "token", "account", "refresh", "revoked")


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


def room_rows(rt) -> list[dict[str, Any]]:
    """Every learner's progress (no credentials): the data of both room views."""
    org_b = rt.store.org("B")["id"]
    rows = []
    for r in rt.store.query(ROOM_SQL, {"org_b": org_b}):
        rows.append({
            "number": r["number"], "learner": r["name"], "org_b_username": r["username"],
            "app_name": r["app_name"], "app_created_at": _iso(r["app_created_at"]),
            "codes_issued": r["codes"], "first_code_at": _iso(r["first_code_at"]),
            "latest_code_at": _iso(r["last_code_at"]),
            "tokens_issued": r["tokens"], "first_token_at": _iso(r["first_token_at"]),
            "latest_token_at": _iso(r["last_token_at"]),
            "accounts_created": r["accounts"], "refreshes": r["refreshes"],
            "tokens_revoked": r["revoked"], "latest_revoked_at": _iso(r["last_revoked_at"]),
        })
    return rows


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"learners": len(rows),
            "with_code": sum(1 for r in rows if r["codes_issued"]),
            "with_token": sum(1 for r in rows if r["tokens_issued"]),
            "with_account": sum(1 for r in rows if r["accounts_created"]),
            "used_refresh": sum(1 for r in rows if r["refreshes"]),
            "revoked": sum(1 for r in rows if r["tokens_revoked"])}


def _rt():
    return current_app.config["LOCALORG"]


def _forbidden(json_body: bool):
    message = ("The room page needs the trainer key printed when the server started: "
               f"{ROOM_PATH}?key=… (restart `serve --expose` for a new key).")
    if json_body:
        resp = jsonify({"error": "forbidden", "message": message})
        resp.status_code = 403
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return error_page("Trainer key required", message, status=403)


def room_page():
    if not room_key_ok(_rt(), request.args.get("key")):
        return _forbidden(False)
    rows = room_rows(_rt())
    now = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S UTC")
    return render("room.html", rows=rows, totals=_totals(rows), now=now,
                  refresh=REFRESH_SECONDS, title="Room | local orgs")


def room_json():
    if not room_key_ok(_rt(), request.args.get("key")):
        return _forbidden(True)
    rows = room_rows(_rt())
    resp = jsonify({"generated_at": _iso(dt.datetime.now(dt.timezone.utc).timestamp()),
                    "totals": _totals(rows), "learners": rows})
    resp.headers["Cache-Control"] = "no-store"
    return resp


def trust_page():
    rt = _rt()
    return render("trust.html", ca_sha256=ca_fingerprint(rt.tls.ca_cert),
                  login_url=rt.login_url, org_a=rt.instance_url("A"),
                  org_b=rt.instance_url("B"), title="Trust the local CA")


def ca_file():
    # A public certificate: safe to hand to anyone; learners compare its fingerprint.
    return send_file(_rt().tls.ca_cert, mimetype="application/x-pem-file", as_attachment=True,
                     download_name="localorg-ca.pem", max_age=0)


def blueprint() -> Blueprint:
    """Routes of the login host of an exposed server (``app.create_app`` registers it)."""
    bp = Blueprint("workshop", __name__)
    bp.add_url_rule("/trust", "trust", trust_page, methods=["GET"])
    bp.add_url_rule("/localorg-ca.pem", "ca", ca_file, methods=["GET"])
    bp.add_url_rule(ROOM_PATH, "room", room_page, methods=["GET"])
    bp.add_url_rule(ROOM_PATH + ".json", "room_json", room_json, methods=["GET"])
    return bp
