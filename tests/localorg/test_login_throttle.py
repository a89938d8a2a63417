"""Login throttling: atomic, per (username, address), growing delay, unlock (security.md B-12,
B-38, B-39), demo users refused before counting (B-36), IPv4-mapped loopback (B-41).

Sources: RFC 6819 §5.1.4.2.3 (lock or delay after failed logins); OWASP Authentication
Cheat Sheet, "Account Lockout" (a growing delay; lockout as denial of service).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import localorg
from localorg.oauth import throttle
from localorg.runtime import open_runtime
from localorg.workshop.expose import Exposure, expose
from tests.conftest import REPO, free_port_base
from tests.localorg.test_oauth_login import csrf_of, make_user, post_login

WRONG = "wrong-password"  # noqa: S105


def _client(rt, addr: str, scheme: str = "http"):
    """The real login host app in-process, seen from ``addr`` (REMOTE_ADDR)."""
    from localorg.app import create_app

    client = create_app(rt, "login").test_client()
    client.environ_base.update(REMOTE_ADDR=addr, wsgi_url_scheme=scheme)
    return client


def _post(client, username: str, password: str):
    csrf = csrf_of(client.get("/").get_data(as_text=True))
    return client.post("/", data={"username": username, "pw": password, "csrf_token": csrf})


def test_b38_concurrent_guesses_are_bounded_and_the_right_password_comes_too_late(orgs):
    """B-12, B-38: 40 simultaneous wrong guesses, then the right password: at most 5 evaluated.

    Before the fix the count was read before any failure was recorded, so every guess
    reached the slow hash and the right password, last, logged in.
    """
    user = make_user(orgs)
    sessions = [orgs.session() for _ in range(40)]
    tokens = [csrf_of(s.get(orgs.login_url + "/", timeout=30).text) for s in sessions]
    start = threading.Barrier(40, timeout=30)

    def guess(i: int) -> int:
        start.wait()
        return post_login(orgs, sessions[i], user["username"], WRONG,
                          csrf=tokens[i]).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        codes = list(pool.map(guess, range(40)))
    assert set(codes) <= {200, 429}, codes
    evaluated = codes.count(200)
    assert 1 <= evaluated <= throttle.FREE_ATTEMPTS, codes
    resp = post_login(orgs, orgs.session(), user["username"], user["password"])
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0


def test_b39_failures_from_one_address_do_not_lock_out_another(tmp_path):
    """B-39: lockout is not a denial of service: one address's failures stay its own."""
    rt = open_runtime(tmp_path, free_port_base(), with_tls=False)
    (learner,) = localorg.add_learners(1, data_dir=tmp_path)
    attacker = _client(rt, "192.0.2.66")
    for _ in range(throttle.FREE_ATTEMPTS):
        assert _post(attacker, learner.org_b_username, WRONG).status_code == 200
    assert _post(attacker, learner.org_b_username, learner.org_b_password).status_code == 429
    victim = _client(rt, "192.0.2.10")
    assert _post(victim, learner.org_b_username, learner.org_b_password).status_code == 302


def test_b38_the_delay_grows_and_unlock_ends_it(tmp_path):
    """B-38: 30 s after the 5th failure, then doubling; ``unlock`` (admin + CLI) clears it."""
    rt = open_runtime(tmp_path, free_port_base(), with_tls=False)
    (learner,) = localorg.add_learners(1, data_dir=tmp_path)
    name = learner.org_b_username
    client = _client(rt, "192.0.2.66")
    for _ in range(throttle.FREE_ATTEMPTS):
        _post(client, name, WRONG)
    first = int(_post(client, name, WRONG).headers["Retry-After"])
    assert 0 < first <= throttle.BASE_DELAY
    with rt.store.tx() as db:  # the wait is over (no sleeping: move the failures back)
        db.execute("UPDATE login_attempts SET at=at-? WHERE username=?",
                   (throttle.BASE_DELAY + 1, name.lower()))
    assert _post(client, name, WRONG).status_code == 200  # one more attempt, evaluated
    second = int(_post(client, name, WRONG).headers["Retry-After"])
    assert throttle.BASE_DELAY < second <= 2 * throttle.BASE_DELAY
    assert localorg.unlock(name, data_dir=tmp_path) == throttle.FREE_ATTEMPTS + 1
    assert _post(client, name, learner.org_b_password).status_code == 302
    client = _client(rt, "192.0.2.66")  # logged out again
    for _ in range(throttle.FREE_ATTEMPTS):
        _post(client, name, WRONG)
    assert _post(client, name, WRONG).status_code == 429
    out = subprocess.run([sys.executable, "-m", "localorg", "unlock", name, "--data",
                          str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"forgot {throttle.FREE_ATTEMPTS} failed login(s)" in out.stdout
    assert _post(client, name, learner.org_b_password).status_code == 302


def test_b36_remote_demo_logins_are_refused_before_counting(tmp_path):
    """B-36, B-38: a refused remote demo login uses no slot and says nothing about the password,
    so the trainer's own (loopback) login is never throttled by the room."""
    rt = open_runtime(tmp_path, free_port_base())
    expose(rt, Exposure("127.0.0.1", "127.0.0.1"))
    ben = localorg.DEMO_USERS[1]
    remote = _client(rt, "192.0.2.10", "https")
    for password in [WRONG] * 8 + [ben.password]:
        assert _post(remote, ben.username, password).status_code == 403
    assert rt.store.one("SELECT count(*) AS n FROM login_attempts")["n"] == 0


@pytest.mark.parametrize("addr", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_b41_ipv4_mapped_loopback_is_loopback(tmp_path, addr):
    """B-41: a dual-stack listener reports 127.0.0.1 as ::ffff:127.0.0.1; still the trainer."""
    rt = open_runtime(tmp_path, free_port_base())
    expose(rt, Exposure("127.0.0.1", "127.0.0.1"))
    ben = localorg.DEMO_USERS[1]
    assert _post(_client(rt, addr, "https"), ben.username, ben.password).status_code == 302
