"""What the server keeps and shows: private files (B-44), no token in DEBUG logs (B-46), a
status page that says nothing about the machine (B-45).

Sources: OWASP Logging Cheat Sheet (data to exclude: access tokens, session ids); RFC 6749
§10.3, §10.4 (tokens confidential in storage and transit); RFC 6819 §5.1.4.1.3.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys

import pytest
import requests

import localorg
from tests.localorg.flow import get_tokens


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_b44_data_folder_0700_and_its_files_0600(fresh_orgs):
    """B-44: database, WAL/SHM, keys and the state file are the user's alone."""
    app = fresh_orgs.create_app(scopes="api openid")
    get_tokens(fresh_orgs, app, nonce="n1")  # writes through the WAL, makes the id_token key
    data = fresh_orgs.data_dir
    assert _mode(data) == 0o700
    for name in ("localorg.sqlite3", "localorg.sqlite3-wal", "localorg.sqlite3-shm",
                 "server.json", "tls/ca-key.pem", "tls/host-key.pem",
                 "oauth/id_token_key.pem"):
        assert (data / name).exists(), name
        assert _mode(data / name) == 0o600, name
    assert _mode(data / "tls") == 0o700


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_b44_an_existing_loose_database_is_tightened_but_foreign_folders_are_left(tmp_path):
    from localorg.store import Store

    ours = tmp_path / "ours"
    ours.mkdir(mode=0o755)
    (ours / "localorg.sqlite3").touch(mode=0o644)
    os.chmod(ours, 0o755)  # noqa: S103 (the loose mode under test)
    os.chmod(ours / "localorg.sqlite3", 0o644)
    Store(ours)
    assert (_mode(ours), _mode(ours / "localorg.sqlite3")) == (0o700, 0o600)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)  # noqa: S103
    (shared / "notes.txt").write_text("someone else's")
    Store(shared)  # --data pointed at a folder that is not ours: its mode stays
    assert _mode(shared) == 0o755


def test_b46_authlib_debug_logging_shows_no_token(orgs, caplog):
    """B-46: an embedder with the root logger at DEBUG sees no token from Authlib.

    The token endpoint runs in the server process; the same app in-process shows what its
    loggers emit. Authlib logs the token it issues at DEBUG (``Issue token … to …``).
    """
    from localorg.app import create_app
    from localorg.runtime import open_runtime
    from tests.localorg.flow import pkce_pair

    rt = open_runtime(orgs.data_dir, orgs.port_base, with_tls=False)
    app = orgs.create_app(scopes="api refresh_token")
    # A code from the real server, redeemed by the in-process app of the same data folder.
    from tests.localorg.flow import authorize
    verifier, challenge = pkce_pair()
    code = authorize(orgs, app.client_id, code_challenge=challenge).code
    client = create_app(rt, "login").test_client()
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG):
            resp = client.post("/services/oauth2/token", data={
                "grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                "client_secret": app.client_secret, "code_verifier": verifier,
                "redirect_uri": "http://localhost:1717/OauthRedirect"})
    finally:
        root.setLevel(old)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    tokens = resp.get_json()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (tokens["access_token"], tokens["refresh_token"], code, verifier,
                   app.client_secret):
        assert secret not in logged
    assert logging.getLogger("authlib").getEffectiveLevel() >= logging.WARNING


def test_b45_status_says_only_ok_and_host_and_info_still_finds_its_server(orgs):
    """B-45: the unauthenticated status page no longer shows the absolute data path (the
    room can read it with --expose); localorg.info() still recognises its own server."""
    body = requests.get(orgs.login_url + "/_localorg/status", timeout=10).json()
    assert body == {"ok": True, "host": "login"}
    assert str(orgs.data_dir) not in json.dumps(body)
    wrong = requests.get(orgs.login_url + "/_localorg/status", params={"server": "guess"},
                         timeout=10).json()
    assert wrong["same_server"] is False
    found = localorg.info(orgs.data_dir)
    assert found is not None and found.login_url == orgs.login_url
