"""``serve --expose``: one shared pair of orgs for a room (security.md B-36, B-10), and learners.

Every server here binds 127.0.0.1 (``--bind 127.0.0.1``) and is reached on 127.0.0.1 only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509

import localorg
from localorg.runtime import open_runtime
from localorg.tls import ensure_tls
from localorg.workshop.expose import DEFAULT_BIND, Exposure, expose
from tests.conftest import REPO, free_port_base, start_server, stop_server
from tests.localorg.flow import DEFAULT_CALLBACK, authorize, get_tokens

EXPOSE = ["--expose", "--host", "127.0.0.1", "--bind", "127.0.0.1"]
CREATE = "/services/apexrest/createAccountRecord"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localorg", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("exposed"), extra=EXPOSE)
    yield running
    stop_server(running)


def handout(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_b36_every_host_is_https_trusted_by_the_local_ca(room):
    assert room.login_url == f"https://127.0.0.1:{room.port_base}"
    for offset, host in enumerate(("login", "A", "B")):
        url = f"https://127.0.0.1:{room.port_base + offset}/_localorg/status"
        assert room.session().get(url, timeout=10).json()["host"] == host
        with pytest.raises(requests.exceptions.SSLError):  # the system store does not know it
            requests.get(url, timeout=10)


def test_b36_plain_http_to_the_login_port_fails(room):
    try:
        r = requests.get(f"http://127.0.0.1:{room.port_base}/_localorg/status", timeout=10)
    except requests.exceptions.ConnectionError:
        return
    assert r.status_code == 400 and '"ok"' not in r.text


def test_certificate_names_the_host_and_the_ca_stays_the_same(tmp_path):
    """The --host is a SAN of the reissued host certificate; learners keep trusting one CA."""
    ca_before = ensure_tls(tmp_path).ca_cert.read_bytes()
    running = start_server(tmp_path, extra=["--expose", "--host", "workshop-room.test",
                                            "--bind", "127.0.0.1"])
    try:
        assert running.login_url == f"https://workshop-room.test:{running.port_base}"
        assert running.info["expose"]["bind"] == "127.0.0.1"
        assert (tmp_path / "tls" / "ca.pem").read_bytes() == ca_before
        ctx = ssl.create_default_context(cafile=running.ca_bundle)
        for port in (running.port_base, running.port_base + 2):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                # Hostname verification against the --host name passes: it is in the SANs.
                with ctx.wrap_socket(raw, server_hostname="workshop-room.test") as tls:
                    cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "workshop-room.test" in sans.get_values_for_type(x509.DNSName)
        assert "localhost" in sans.get_values_for_type(x509.DNSName)
        assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1"}
        # `status` finds the server through its local address, trusting the CA.
        status = cli("status", "--data", str(tmp_path), "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["login_url"] == running.login_url
    finally:
        stop_server(running)


def test_ca_download_equals_the_ca_file_and_the_trust_page_explains(room):
    s = room.session()
    pem = s.get(room.login_url + "/localorg-ca.pem", timeout=10)
    assert pem.status_code == 200
    assert pem.content == Path(room.ca_bundle).read_bytes()
    page = s.get(room.login_url + "/trust", timeout=10)
    assert page.status_code == 200
    assert room.info["expose"]["ca_sha256"] in page.text
    assert "not production" in page.text and "Firefox" in page.text and "Windows" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_ready_line_carries_the_room_key_but_the_state_file_does_not(room):
    assert len(room.info["room_key"]) >= 32
    state = json.loads((room.data_dir / "server.json").read_text())
    assert room.info["room_key"] not in json.dumps(state)
    assert state["info"]["expose"]["room_url"] == room.login_url + "/_localorg/room"


def test_b10_login_cookie_is_secure_when_the_login_host_speaks_tls(room):
    r = room.session().get(room.login_url + "/", timeout=10)
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_without_expose_nothing_changes(orgs):
    """B-36: the default server keeps HTTP on the loopback login host and no room pages."""
    assert orgs.login_url.startswith("http://127.0.0.1:")
    assert "expose" not in orgs.info and "room_key" not in orgs.info
    for path in ("/trust", "/localorg-ca.pem", "/_localorg/room"):
        assert requests.get(orgs.login_url + path, timeout=10).status_code == 404


def test_host_and_bind_need_expose_and_are_checked(tmp_path):
    base = str(free_port_base())
    out = cli("serve", "--data", str(tmp_path), "--port-base", base, "--host", "10.0.0.5")
    assert out.returncode == 2 and "--expose" in out.stderr
    out = cli("serve", "--data", str(tmp_path), "--port-base", base, "--expose",
              "--host", "not a host!")
    assert out.returncode == 2 and "not a valid host name" in out.stderr
    out = cli("serve", "--data", str(tmp_path), "--port-base", base, "--expose", "--bind", "eth0")
    assert out.returncode == 2 and "IP address" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_expose_defaults_bind_every_interface_and_name_the_machine():
    exposure = Exposure.from_args(None, None)
    assert exposure.bind == DEFAULT_BIND == "0.0.0.0"  # noqa: S104
    assert exposure.host == socket.gethostname().rstrip(".")
    assert exposure.local_address == "127.0.0.1"


def test_add_learners_by_count_writes_a_private_handout_and_users_log_in(room, tmp_path):
    out_file = tmp_path / "handout.csv"
    out = cli("add-learners", "--data", str(room.data_dir), "--count", "2",
              "--out", str(out_file))
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600
    rows = handout(out_file.read_text())
    numbers = [int(r["org_b_username"][7:9]) for r in rows]
    assert [r["learner"] for r in rows] == [f"Learner {n:02d}" for n in numbers]
    assert numbers[1] == numbers[0] + 1
    assert rows[0]["org_b_username"].startswith("learner") and \
        rows[0]["org_b_username"].endswith("@org-b.localorg.test")
    assert rows[0]["org_a_username"].endswith("@org-a.localorg.test")
    assert rows[0]["org_b_password"] != rows[1]["org_b_password"]
    # An earlier handout is never overwritten: its passwords cannot be shown again.
    again = cli("add-learners", "--data", str(room.data_dir), "--count", "1",
                "--out", str(out_file))
    assert again.returncode == 2 and "exists" in again.stderr
    assert handout(out_file.read_text()) == rows

    learner = rows[0]
    app = localorg.NewApp(learner["client_id"], learner["client_secret"])
    tokens = get_tokens(room, app, username=learner["org_b_username"],
                        password=learner["org_b_password"])
    r = room.session().post(tokens["instance_url"] + CREATE, json=[{"Name": "Room Account"}],
                            headers={"Authorization": f"Bearer {tokens['access_token']}"},
                            timeout=10)
    assert r.status_code == 200 and r.json() == "Success"
    # The ORG A user logs in too (through an ORG A app), with the ORG A password.
    app_a = localorg.create_app("Org A app", [DEFAULT_CALLBACK], org="A", data_dir=room.data_dir)
    result = authorize(room, app_a.client_id, org="A", code_challenge="x" * 43,
                       username=learner["org_a_username"], password=learner["org_a_password"])
    assert result.code


def test_add_learners_from_csv_uses_the_names(room, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffname,email\nGrace Hopper,grace@example.org\nAlan Turing,\n",
                      encoding="utf-8")
    out = cli("add-learners", "--data", str(room.data_dir), "--csv", str(roster),
              "--callback", "https://learner.example/cb", "--callback", DEFAULT_CALLBACK)
    assert out.returncode == 0, out.stderr
    rows = handout(out.stdout)
    assert [r["learner"] for r in rows] == ["Grace Hopper", "Alan Turing"]
    db = room.db()
    user = db.user_by_username(rows[0]["org_b_username"])
    assert user["email"] == "grace@example.org" and user["first_name"] == "Grace"
    assert user["password_hash"].startswith("pbkdf2:sha256:")
    assert rows[0]["org_b_password"] not in user["password_hash"]
    app = db.app_by_client_id(rows[1]["client_id"])
    assert json.loads(app["callback_urls"]) == ["https://learner.example/cb", DEFAULT_CALLBACK]
    tokens = get_tokens(room, localorg.NewApp(rows[1]["client_id"], rows[1]["client_secret"]),
                        username=rows[1]["org_b_username"], password=rows[1]["org_b_password"])
    assert tokens["instance_url"] == room.instance_url("B")


def test_add_learners_reports_bad_input_clearly(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("who,email\nAda,\n")
    out = cli("add-learners", "--data", str(tmp_path / "d"), "--csv", str(bad))
    assert out.returncode == 2 and "'name' column" in out.stderr
    out = cli("add-learners", "--data", str(tmp_path / "d"), "--count", "1",
              "--callback", "http://evil.example/cb")
    assert out.returncode == 2 and "must use https" in out.stderr
    out = cli("add-learners", "--data", str(tmp_path / "d"), "--count", "0")
    assert out.returncode == 2 and "between 1 and" in out.stderr
    assert "Traceback" not in out.stderr


def test_seed_makes_add_learners_reproducible(tmp_path):
    handouts = []
    for run in ("one", "two", "unseeded"):
        open_runtime(tmp_path / run, 40000, seed=None if run == "unseeded" else "room-seed",
                     with_tls=False)
        out = cli("add-learners", "--data", str(tmp_path / run), "--count", "2")
        assert out.returncode == 0, out.stderr
        handouts.append(out.stdout)
    assert handouts[0] == handouts[1]
    assert handouts[2] != handouts[0]


def test_learner_repr_hides_credentials(tmp_path):
    (learner,) = localorg.add_learners(["Ada Lovelace"], data_dir=tmp_path)
    text = repr(learner)
    assert learner.org_b_username in text
    for secret in (learner.org_b_password, learner.org_a_password, learner.client_secret):
        assert secret not in text


def test_b36_demo_users_log_in_only_from_the_trainers_machine(tmp_path):
    """Their passwords are public: an exposed server refuses them from other addresses."""
    from localorg.app import create_app

    rt = open_runtime(tmp_path, free_port_base())
    expose(rt, Exposure("127.0.0.1", "127.0.0.1"))
    ben = "ben@org-b.localorg.test"
    for addr, expected in (("192.0.2.10", 403), ("127.0.0.1", 302)):
        client = create_app(rt, "login").test_client()
        client.environ_base.update(REMOTE_ADDR=addr, wsgi_url_scheme="https")
        page = client.get("/").get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = client.post("/", data={"username": ben, "pw": "orgB-demo-pass-1",
                                   "csrf_token": csrf})
        assert r.status_code == expected, addr
        if expected == 403:
            assert "workshop handout" in r.get_data(as_text=True)
    (learner,) = localorg.add_learners(1, data_dir=tmp_path)
    client = create_app(rt, "login").test_client()
    client.environ_base.update(REMOTE_ADDR="192.0.2.10", wsgi_url_scheme="https")
    page = client.get("/").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/", data={"username": learner.org_b_username,
                               "pw": learner.org_b_password, "csrf_token": csrf})
    assert r.status_code == 302  # learners log in from their own machines


def test_b36_banner_warns_and_prints_the_urls_and_the_room_key(tmp_path):
    base = free_port_base()
    proc = subprocess.Popen([sys.executable, "-m", "localorg", "serve", "--data",
                             str(tmp_path), "--port-base", str(base), "--seed", "rehearsal",
                             *EXPOSE], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        lines = []
        for line in proc.stdout:  # blocks until the server prints its banner
            lines.append(line)
            if "Ctrl+C" in line:
                break
        text = "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()
        proc.stderr.close()
    assert "NOT FOR PRODUCTION" in text
    assert f"https://127.0.0.1:{base}" in text and f"https://127.0.0.1:{base + 2}" in text
    assert f"https://127.0.0.1:{base}/_localorg/room?key=" in text
    assert f"https://127.0.0.1:{base}/trust" in text and "CA SHA-256" in text
    assert "--seed" in text and "not for a room" in text  # seeded secrets are predictable
