"""B-33: acknowledged records survive kill -9; used codes and revoked tokens stay so."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import start_server, stop_server
from tests.localorg.flow import authorize, get_tokens, pkce_pair

API = "/services/data/v67.0"


def test_kill_9_mid_burst_loses_no_acknowledged_record(tmp_path):
    data = tmp_path / "data"
    orgs = start_server(data)
    try:
        app = orgs.create_app(name="Burst")
        token = get_tokens(orgs, app)["access_token"]
        session = orgs.session()
        headers = {"Authorization": f"Bearer {token}"}
        url = orgs.instance_url("B") + API + "/sobjects/Account/"
        acknowledged: list[str] = []
        lock = threading.Lock()
        killed = threading.Event()

        def create(i: int) -> None:
            if killed.is_set():
                return
            try:
                r = session.post(url, json={"Name": f"Burst {i}"}, headers=headers, timeout=10)
            except requests.RequestException:
                return  # the server died under this request: not acknowledged
            if r.status_code == 201:
                with lock:
                    acknowledged.append(r.json()["id"])
                    if len(acknowledged) == 60:
                        orgs.proc.kill()  # SIGKILL: no shutdown hooks, no flush
                        killed.set()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(400)))
        assert killed.is_set(), "the burst ended before the kill"
        orgs.proc.wait(timeout=20)
        assert orgs.proc.returncode == -9
    finally:
        stop_server(orgs)

    with sqlite3.connect(data / "localorg.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    restarted = start_server(data, port_base=orgs.port_base)
    try:
        session = restarted.session()
        query = restarted.instance_url("B") + API + "/query/"
        r = session.get(query, params={"q": "SELECT Id FROM Account"},
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 200, r.text  # the token issued before the kill still works
        stored = {rec["Id"] for rec in r.json()["records"]}
        assert set(acknowledged) <= stored
    finally:
        stop_server(restarted)


def test_used_codes_and_revoked_tokens_stay_so_across_restarts(tmp_path):
    data = tmp_path / "data"
    orgs = start_server(data)
    try:
        app = orgs.create_app(name="Restart")
        verifier, challenge = pkce_pair()
        redirect = "http://localhost:1717/OauthRedirect"
        code = authorize(orgs, app.client_id, redirect, code_challenge=challenge).code
        form = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                "client_secret": app.client_secret, "redirect_uri": redirect,
                "code_verifier": verifier}
        first = requests.post(orgs.login_url + "/services/oauth2/token", data=form, timeout=10)
        assert first.status_code == 200
        tokens = first.json()
        revoke = requests.post(orgs.login_url + "/services/oauth2/revoke",
                               data={"token": tokens["access_token"]}, timeout=10)
        assert revoke.status_code == 200
    finally:
        stop_server(orgs)

    restarted = start_server(data, port_base=orgs.port_base)
    try:
        again = requests.post(restarted.login_url + "/services/oauth2/token", data=form,
                              timeout=10)
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"
        api = restarted.session().get(
            restarted.instance_url("B") + API + "/limits/",
            headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)
        assert api.status_code == 401
        assert api.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    finally:
        stop_server(restarted)


def test_a_data_folder_from_before_session_timeouts_gets_the_column(tmp_path):
    """An existing .localorg folder keeps working after an upgrade: the apps table gains
    session_timeout_minutes (NULL: the org's 2 hours) when the store opens it."""
    from localorg.store import Store

    db = sqlite3.connect(tmp_path / "localorg.sqlite3")
    db.execute("CREATE TABLE apps (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL,"
               " client_id TEXT NOT NULL UNIQUE, client_secret_hash TEXT NOT NULL,"
               " callback_urls TEXT NOT NULL, scopes TEXT NOT NULL, require_secret INTEGER NOT"
               " NULL DEFAULT 1, require_secret_refresh INTEGER NOT NULL DEFAULT 1, require_pkce"
               " INTEGER NOT NULL DEFAULT 1, refresh_rotation INTEGER NOT NULL DEFAULT 0,"
               " created_at REAL NOT NULL)")
    db.execute("INSERT INTO apps VALUES('0H4','00D','old','3MVG9x','h','[]','api',1,1,1,0,0)")
    db.commit()
    db.close()
    store = Store(tmp_path)
    assert store.one("SELECT session_timeout_minutes FROM apps")[0] is None
    Store(tmp_path)  # opening again is a no-op
