"""Benchmark of the local orgs: 100 learners doing the whole flow at once, then REST throughput.

Prints numbers; it is not a test. Run with ``make bench`` or ``python -m bench.localorg_load``.
It starts its own server in a temporary folder on free ports, so it never touches a
learner's data. Each simulated learner has its own External Client App (as in a workshop)
and its own browser session, and goes authorize -> login -> consent -> token -> Apex POST.

``--expose`` runs the workshop setup instead: ``serve --expose --host 127.0.0.1 --bind
127.0.0.1`` (TLS on every host, the login host included; load stays on loopback) and
per-learner users and apps from ``add_learners`` (as ``add-learners --count N`` does), then
checks the trainer's room page sees every learner's token and Account.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from werkzeug.security import generate_password_hash

import localorg
from localorg import ScriptedBrowser, add_learners, create_app, free_port_base

REPO = Path(__file__).resolve().parents[1]
CALLBACK = "http://localhost:1717/OauthRedirect"


class Timings:
    """Per-request latencies, collected from every response (redirect hops included)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def hook(self, response: requests.Response, *args, **kwargs) -> None:  # noqa: ARG002
        with self._lock:
            self.values.append(response.elapsed.total_seconds())

    def fail(self, what: str) -> None:
        with self._lock:
            self.errors.append(what)

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0..1) of the latencies, in seconds (0 without requests)."""
        v = sorted(self.values)
        return v[min(len(v) - 1, int(q * len(v)))] if v else 0.0

    def summary(self) -> str:
        v = sorted(self.values)
        if not v:
            return "no requests"
        p = self.percentile
        return (f"{len(v)} requests, p50 {p(0.50) * 1000:.0f} ms, p95 {p(0.95) * 1000:.0f} ms, "
                f"p99 {p(0.99) * 1000:.0f} ms, max {v[-1] * 1000:.0f} ms, "
                f"mean {statistics.fmean(v) * 1000:.0f} ms")


# The local orgs' password hashing, from localorg's public API: the demo users' method and the
# per-learner users' (add-learners); ``--hash-method`` overrides both.
def configured_hash_method(per_learner_users: bool) -> str:
    """The hashing method the server uses for the bench's logins: learners' or demo users'."""
    return localorg.LEARNER_PASSWORD_METHOD if per_learner_users else localorg.PASSWORD_METHOD


def hash_seconds(method: str, samples: int = 5) -> float:
    """Median wall time of one ``generate_password_hash(..., method=method)`` on this machine:
    what one login costs the server (``check_password_hash`` runs the same PBKDF2).

    >>> 0 < hash_seconds("pbkdf2:sha256:1000") < 1
    True
    """
    took = []
    for _ in range(samples):
        start = time.perf_counter()
        generate_password_hash("bench-password", method=method)
        took.append(time.perf_counter() - start)
    return statistics.median(took)


def hashing_floor(logins: int, method: str, cores: int | None = None) -> tuple[float, float, int]:
    """(seconds per hash, floor in seconds, cores): ``logins`` password checks arriving at
    once cannot finish sooner than logins × hash time ÷ cores (hashlib's PBKDF2 releases
    the interpreter lock, so the cores do run in parallel).

    >>> per_hash, floor, cores = hashing_floor(10, "pbkdf2:sha256:1000", cores=2)
    >>> round(floor / per_hash, 6), cores
    (5.0, 2)
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
            (os.cpu_count() or 1)
    per_hash = hash_seconds(method)
    return per_hash, logins * per_hash / cores, cores


EXPOSE = ["--expose", "--host", "127.0.0.1", "--bind", "127.0.0.1"]  # loopback only


def start_server(data: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "localorg", "serve", "--data", str(data),
         "--port-base", str(free_port_base()), "--json", *(extra or [])],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())


def learner(i: int, info: dict, app, timings: Timings, start_at: float = 0.0,
            user: dict | None = None) -> None:
    # Workshop learners do not all click in the same millisecond: each starts at its own
    # moment of the ramp (0 for all = a same-instant burst).
    delay = start_at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    user = user or info["orgs"]["B"]["users"][0]
    browser = ScriptedBrowser(ca_bundle=info["ca_bundle"])
    browser.http.hooks["response"].append(timings.hook)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(32)
    url = info["login_url"] + "/services/oauth2/authorize?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": CALLBACK,
        "scope": "api refresh_token", "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256"})
    try:
        callback = browser.authorize(url, user["username"], user["password"])
        query = parse_qs(urlsplit(callback).query)
        if query.get("state") != [state] or "code" not in query:
            timings.fail(f"learner {i}: bad callback")
            return
        http = browser.http
        token = http.post(info["login_url"] + "/services/oauth2/token", data={
            "grant_type": "authorization_code", "code": query["code"][0],
            "client_id": app.client_id, "client_secret": app.client_secret,
            "redirect_uri": CALLBACK, "code_verifier": verifier}, timeout=30)
        if token.status_code != 200:
            timings.fail(f"learner {i}: token {token.status_code}")
            return
        body = token.json()
        posted = http.post(body["instance_url"] + "/services/apexrest/createAccountRecord",
                           json=[{"Name": f"Learner {i} Account", "Industry": "Education"}],
                           headers={"Authorization": f"Bearer {body['access_token']}"},
                           timeout=30)
        if posted.status_code != 200 or posted.json() != "Success":
            timings.fail(f"learner {i}: apex {posted.status_code} {posted.text[:80]}")
    except Exception as exc:  # a benchmark reports failures instead of stopping
        timings.fail(f"learner {i}: {type(exc).__name__}: {exc}")


def rest_throughput(info: dict, app, seconds: float, threads: int) -> tuple[Timings, float]:
    """Authenticated REST calls (query + create alternately) from many threads."""
    user = info["orgs"]["B"]["users"][0]
    timings = Timings()
    learner_token: dict = {}
    browser = ScriptedBrowser(ca_bundle=info["ca_bundle"])
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = info["login_url"] + "/services/oauth2/authorize?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": CALLBACK,
        "state": "s" * 43, "code_challenge": challenge, "code_challenge_method": "S256"})
    code = parse_qs(urlsplit(browser.authorize(url, user["username"], user["password"])).query)
    learner_token.update(browser.http.post(info["login_url"] + "/services/oauth2/token", data={
        "grant_type": "authorization_code", "code": code["code"][0], "client_id": app.client_id,
        "client_secret": app.client_secret, "redirect_uri": CALLBACK,
        "code_verifier": verifier}, timeout=30).json())
    base = learner_token["instance_url"] + "/services/data/v67.0"
    headers = {"Authorization": f"Bearer {learner_token['access_token']}"}
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        s = requests.Session()
        s.verify = info["ca_bundle"]
        s.trust_env = False
        s.hooks["response"].append(timings.hook)
        k = 0
        while time.monotonic() < deadline:
            k += 1
            if k % 2:
                r = s.get(base + "/query/", params={"q": "SELECT Id, Name FROM Account "
                                                    "ORDER BY CreatedDate DESC LIMIT 5"},
                          headers=headers, timeout=30)
                ok = r.status_code == 200
            else:
                r = s.post(base + "/sobjects/Account/", json={"Name": f"T{n}-{k}"},
                           headers=headers, timeout=30)
                ok = r.status_code == 201
            if not ok:
                timings.fail(f"{r.status_code} {r.text[:80]}")

    start = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return timings, time.monotonic() - start


def check_room(info: dict, expected: int) -> bool:
    """The trainer's room.json sees every learner's token and Account; prints its latency."""
    s = requests.Session()
    s.verify = info["ca_bundle"]
    s.trust_env = False
    url = info["login_url"] + "/_localorg/room.json"
    took = []
    for _ in range(5):
        r = s.get(url, params={"key": info["room_key"]}, timeout=30)
        took.append(r.elapsed.total_seconds())
    totals = r.json()["totals"]
    print(f"   room.json: {totals['with_token']}/{totals['learners']} with a token, "
          f"{totals['with_account']} with an Account; "
          f"median {statistics.median(took) * 1000:.0f} ms per request")
    return totals["with_token"] == totals["with_account"] == expected


def print_hashing_floor(learners: int, timings: Timings, ramp: float, method: str) -> None:
    """The same-instant burst's p99 against the floor the password hashing sets."""
    per_hash, floor, cores = hashing_floor(learners, method)
    what = ("this same-instant burst's per-request p99" if ramp == 0 else
            f"per-request p99 (started over {ramp:g} s; the floor is for --ramp 0)")
    print(f"   hashing floor: {learners} logins x {per_hash * 1000:.0f} ms ({method}) / "
          f"{cores} cores = {floor * 1000:.0f} ms; {what}: "
          f"{timings.percentile(0.99) * 1000:.0f} ms")


def login_burst(info: dict, data_dir: str, logins: int) -> bool:
    """``logins`` learners (600,000-iteration PBKDF2, security.md B-40) log in at once.

    Prints the p99 latency of the login POSTs next to the hashing floor: the time the CPU
    needs for the hashes alone, logins × one hash ÷ cores. A p99 far above the floor would
    mean the server serialises something besides hashing (e.g. the throttle's write lock).
    """
    method = configured_hash_method(per_learner_users=True)
    iterations = int(method.rsplit(":", 1)[1])
    one_hash, floor, cores = hashing_floor(logins, method)
    learners = add_learners(logins, [CALLBACK], data_dir=data_dir)
    browsers = [ScriptedBrowser(ca_bundle=info["ca_bundle"]) for _ in learners]
    pages = [b.http.get(info["login_url"] + "/", timeout=30) for b in browsers]
    timings = Timings()
    start = threading.Barrier(logins)

    def one(i: int) -> None:
        browsers[i].http.hooks["response"].append(timings.hook)
        start.wait()
        resp = browsers[i].login(pages[i], learners[i].org_b_username, learners[i].org_b_password)
        if resp.status_code != 302:
            timings.fail(f"login {i}: {resp.status_code}")

    with ThreadPoolExecutor(logins) as pool:
        list(pool.map(one, range(logins)))
    p99 = timings.percentile(0.99)
    print(f"== login burst: {logins} learners log in at once ({iterations:,} PBKDF2 iterations)")
    print(f"   one hash {one_hash * 1000:.0f} ms, {cores} core(s): hashing floor "
          f"{floor * 1000:.0f} ms; login POST p99 {p99 * 1000:.0f} ms "
          f"({p99 / floor:.1f}x the floor); errors: {len(timings.errors)}")
    return not timings.errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="seconds over which the learners start (0: all at once)")
    parser.add_argument("--rest-seconds", type=float, default=10.0)
    parser.add_argument("--rest-threads", type=int, default=16)
    parser.add_argument("--login-burst", type=int, default=20,
                        help="learners logging in at once at the end (0: skip)")
    parser.add_argument("--expose", action="store_true",
                        help="workshop mode: TLS on every host, one user and app per learner")
    parser.add_argument("--hash-method", default=None,
                        help="the server's password hashing method for the floor (default: "
                             "localorg's, see HASH_METHODS)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_server(Path(tmp), EXPOSE if args.expose else None)
        try:
            users: list[dict | None] = [None] * args.learners
            if args.expose:
                t = time.monotonic()
                apps = add_learners(args.learners, [CALLBACK], data_dir=tmp)
                users = [{"username": a.org_b_username, "password": a.org_b_password}
                         for a in apps]
                print(f"== add-learners --count {args.learners}: "
                      f"{time.monotonic() - t:.1f} s (2 users + 1 app each)")
            else:
                apps = [create_app(f"Learner {i}", [CALLBACK], data_dir=tmp)
                        for i in range(args.learners)]
            timings = Timings()
            t0 = time.monotonic()
            step = args.ramp / args.learners
            with ThreadPoolExecutor(args.learners) as pool:
                list(pool.map(lambda i: learner(i, info, apps[i], timings, t0 + i * step,
                                                users[i]),
                              range(args.learners)))
            elapsed = time.monotonic() - t0
            mode = ("--expose, TLS on every host, per-learner users" if args.expose
                    else "loopback, HTTP login host, one demo user")
            print(f"== {args.learners} concurrent learners starting over {args.ramp:g} s, "
                  f"whole flow (authorize, login, consent, token, Apex POST); {mode}")
            print(f"   completed: {args.learners - len(timings.errors)}/{args.learners}, "
                  f"errors: {len(timings.errors)}, wall time {elapsed:.1f} s")
            print(f"   per request: {timings.summary()}")
            for err in timings.errors[:5]:
                print(f"   error: {err}")
            print_hashing_floor(args.learners, timings, args.ramp,
                                args.hash_method or configured_hash_method(args.expose))
            if args.expose:
                room_ok = check_room(info, args.learners - len(timings.errors))
                if not room_ok:
                    timings.fail("room page")

            rest, took = rest_throughput(info, apps[0], args.rest_seconds, args.rest_threads)
            print(f"== REST throughput, {args.rest_threads} threads for {took:.1f} s "
                  "(query and create alternately)")
            print(f"   {len(rest.values) / took:.0f} requests/s; {rest.summary()}; "
                  f"errors: {len(rest.errors)}")
            burst_ok = login_burst(info, tmp, args.login_burst) if args.login_burst else True
            return 1 if timings.errors or rest.errors or not burst_ok else 0
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
