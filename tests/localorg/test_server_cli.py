"""The command line and the Python API of the local orgs: start, status, stop, reset, seeds."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

import localorg
from localorg import config, ids
from tests.conftest import REPO, free_port_base, start_server, stop_server


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localorg", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_ready_line_has_the_documented_shape(orgs):
    info = orgs.info
    assert info["login_url"] == f"http://127.0.0.1:{orgs.port_base}"
    assert Path(info["ca_bundle"]).is_file()
    for key, offset in (("A", 1), ("B", 2)):
        org = info["orgs"][key]
        assert org["instance_url"] == f"https://127.0.0.1:{orgs.port_base + offset}"
        assert len(org["org_id"]) == 18 and org["org_id"].startswith("00D")
        assert org["org_id"] == ids.to18(org["org_id"][:15])
        assert org["users"] and {"username", "password"} <= set(org["users"][0])


def test_instance_hosts_speak_tls_signed_by_the_local_ca_only(orgs):
    url = orgs.instance_url("B") + "/_localorg/status"
    assert orgs.session().get(url, timeout=10).json()["host"] == "B"
    # The system trust store does not know the local CA: verification is real.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=10)
    ctx = ssl.create_default_context(cafile=orgs.ca_bundle)
    with socket.create_connection(("127.0.0.1", orgs.port_base + 2), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_login_host_is_plain_http_on_loopback(orgs):
    r = requests.get(orgs.login_url + "/_localorg/status", timeout=10)
    assert r.json() == {"ok": True, "host": "login"}  # B-45: no data path for the room


def test_every_listener_binds_loopback_only(tmp_path):
    """B-36: nothing listens on other interfaces unless explicitly asked to."""
    from localorg.runtime import open_runtime
    from localorg.server import build_servers

    rt = open_runtime(tmp_path, 40000)
    servers = build_servers(rt)
    assert {s.bind_addr for s in servers.values()} == {
        ("127.0.0.1", 40000), ("127.0.0.1", 40001), ("127.0.0.1", 40002)}


def test_seed_makes_ids_and_secrets_reproducible(tmp_path):
    results = []
    for run in ("one", "two"):
        data = tmp_path / run
        running = start_server(data, seed="docs-seed")
        try:
            app = cli("create-app", "--data", str(data), "--org", "B", "--name", "Repro",
                      "--callback", "http://localhost:1717/OauthRedirect")
            assert app.returncode == 0, app.stderr
            org_ids = {k: v["org_id"] for k, v in running.info["orgs"].items()}
            results.append((org_ids, json.loads(app.stdout)))
        finally:
            stop_server(running)
    assert results[0] == results[1]
    other = start_server(tmp_path / "three", seed="another-seed")
    try:
        assert other.info["orgs"]["A"]["org_id"] != results[0][0]["A"]
    finally:
        stop_server(other)


def test_unseeded_orgs_get_fresh_random_ids(tmp_path):
    one = start_server(tmp_path / "one", seed=None)
    two = start_server(tmp_path / "two", seed=None)
    try:
        assert one.info["orgs"]["B"]["org_id"] != two.info["orgs"]["B"]["org_id"]
        assert one.info["seeded"] is False
    finally:
        stop_server(one)
        stop_server(two)


def test_a_different_seed_on_existing_data_is_refused_with_advice(tmp_path):
    running = start_server(tmp_path, seed="first")
    stop_server(running)
    out = cli("serve", "--data", str(tmp_path), "--port-base", str(free_port_base()),
              "--seed", "second")
    assert out.returncode == 2
    assert "another seed" in out.stderr and "reset" in out.stderr
    assert "Traceback" not in out.stderr


def test_busy_port_gives_a_clear_error(tmp_path):
    base = free_port_base()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", base + 2))
    blocker.listen()
    try:
        out = cli("serve", "--data", str(tmp_path), "--port-base", str(base), "--json")
    finally:
        blocker.close()
    assert out.returncode == 2
    assert "--port-base" in out.stderr and "Traceback" not in out.stderr
    assert "LOCALORG_PORT_BASE" in out.stderr  # what the notebooks read: both must move
    assert f"{sys.executable} -m localorg status --data" in out.stderr  # runs from any folder
    assert out.stdout == ""  # no ready line when not ready


def test_status_stop_and_reset(tmp_path):
    data = tmp_path / "d"
    assert cli("status", "--data", str(data)).returncode == 3
    running = start_server(data)
    try:
        status = cli("status", "--data", str(data), "--json")
        assert status.returncode == 0
        assert json.loads(status.stdout)["running"] is True
        # The login page sends learners to `status` for the demo users: it must list them.
        plain = cli("status", "--data", str(data)).stdout
        assert all(u.username in plain and u.password in plain for u in localorg.DEMO_USERS)
        assert cli("stop", "--data", str(data)).stdout.strip() == "stopped"
        assert running.proc.wait(timeout=20) == 0
        assert cli("status", "--data", str(data)).returncode == 3
        assert not (data / "server.json").exists()
        reset = cli("reset", "--data", str(data))
        assert reset.returncode == 0 and "localorg.sqlite3" in reset.stdout
        assert not (data / "localorg.sqlite3").exists()
        assert (data / "tls" / "ca.pem").exists()  # the CA survives a reset
    finally:
        stop_server(running)


def test_create_app_rejects_bad_settings_with_a_message(tmp_path):
    out = cli("create-app", "--data", str(tmp_path), "--name", "Bad",
              "--callback", "http://evil.example/cb")
    assert out.returncode == 2
    assert "must use https" in out.stderr and "Traceback" not in out.stderr
    out = cli("create-app", "--data", str(tmp_path), "--name", "Bad",
              "--callback", "http://localhost:1717/OauthRedirect", "--scopes", "api nonsense")
    assert out.returncode == 2 and "nonsense" in out.stderr


def test_create_app_works_while_the_server_runs(orgs):
    out = cli("create-app", "--data", str(orgs.data_dir), "--org", "B", "--name", "Live",
              "--callback", "https://app.example.com/callback", "--no-require-pkce")
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert created["client_id"].startswith("3MVG9")
    assert len(created["client_secret"]) == 64
    row = orgs.db().app_by_client_id(created["client_id"])
    assert row["require_pkce"] == 0 and row["client_secret_hash"] != created["client_secret"]


def test_python_api_shares_one_server_between_concurrent_callers(tmp_path):
    """Two kernels calling ensure_running() at once get the same server."""
    base = free_port_base()
    data = tmp_path / "shared"
    try:
        with ThreadPoolExecutor(4) as pool:
            infos = list(pool.map(lambda _: localorg.ensure_running(data, port_base=base),
                                  range(4)))
        assert len({i.pid for i in infos}) == 1
        again = localorg.ensure_running(data, port_base=base)
        assert again.pid == infos[0].pid
        assert localorg.info(data).login_url == f"http://127.0.0.1:{base}"
        assert "orgB-demo-pass" not in repr(again)  # no passwords in reprs
    finally:
        assert localorg.stop(data) is True
    assert localorg.stop(data) is False
    assert localorg.info(data) is None


def test_python_api_reports_a_start_failure_clearly(tmp_path):
    base = free_port_base()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", base))
    blocker.listen()
    try:
        with pytest.raises(localorg.LocalOrgError, match="port-base"):
            localorg.ensure_running(tmp_path, port_base=base)
    finally:
        blocker.close()


def test_default_data_folder_is_ignored_by_git():
    assert config.DEFAULT_DATA_DIR == REPO / ".localorg"
    assert ".localorg/" in (REPO / ".gitignore").read_text().splitlines()


def test_free_port_base_stays_out_of_the_ephemeral_range():
    """CI lost a race once: a base found free in the kernel's ephemeral range was taken by an
    outgoing connection before the server bound it. Bases come from outside it now."""
    from localorg.config import _ephemeral_range

    low, high = _ephemeral_range()
    for _ in range(50):
        base = free_port_base()
        assert base >= 10_000 and (base + 2 < low or base > high), base
