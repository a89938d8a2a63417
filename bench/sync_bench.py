"""Benchmark: the post's one-call-per-record sync versus the batched upsert sync.

Prints numbers; it is not a test. Run with ``python -m bench.sync_bench`` (``--sizes``
to change N, ``--sample`` for the one-by-one sample). For each N, ORG A gets N Accounts
(created 200 per call through ``composite/sobjects``) and each method syncs them into an
empty ORG B; each run has a server of its own, started in a temporary folder on
free ports, so it never touches a learner's data. One-by-one is measured on at most
``--sample`` records and extrapolated to N (the output says so). Each measurement is
repeated (``--repeat``, default 3; the two methods in turn) and the fastest run is kept,
for both methods alike.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers.api import (
    OrgClient,
    all_accounts,
    connect,
    sync_accounts,
    sync_one_by_one,
)
from helpers.oauth import AuthorizationFlow, AuthorizedSession, OAuthClient, parse_callback_url
from helpers.settings import load_settings
from helpers.tutorial import connect_org_a
from localorg import ScriptedBrowser, create_app, free_port_base

REPO = Path(__file__).resolve().parents[1]
CALLBACK = "http://localhost:1717/OauthRedirect"


@dataclass
class Row:
    n: int
    method: str
    write_calls: int
    api_calls: int
    seconds: float
    note: str


@contextmanager
def local_orgs() -> Iterator[tuple[OrgClient, OrgClient]]:
    """A server of its own; yields (ORG A client, ORG B client) from the real flows."""
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        base = free_port_base()
        proc = subprocess.Popen(
            [sys.executable, "-m", "localorg", "serve", "--data", tmp,
             "--port-base", str(base), "--json"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            info = json.loads(proc.stdout.readline())
            app = create_app("Sync benchmark", [CALLBACK], data_dir=tmp)
            settings = load_settings(None, {
                "SF_TARGET": "local", "LOCALORG_DATA": tmp, "LOCALORG_PORT_BASE": str(base),
                "SF_CLIENT_ID": app.client_id, "SF_CLIENT_SECRET": app.client_secret})
            flow = AuthorizationFlow.from_settings(settings)
            user = info["orgs"]["B"]["users"][0]
            callback = ScriptedBrowser(info["ca_bundle"]).authorize(
                flow.authorization_url, user["username"], user["password"])
            client = OAuthClient.from_settings(settings)
            api_b = AuthorizedSession(client, client.exchange_code(
                parse_callback_url(flow, callback)))
            yield connect_org_a(settings), connect(api_b, settings)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stdout:
                proc.stdout.close()


def fill_org_a(sf_a: OrgClient, n: int) -> None:
    """Top ORG A up to ``n`` Accounts, 200 per composite/sobjects call."""
    missing = n - sf_a.query("SELECT COUNT() FROM Account")["totalSize"]
    for first in range(0, missing, 200):
        records = [{"attributes": {"type": "Account"}, "Name": f"Bench account {first + i}",
                    "Industry": "Retail", "Type": "Prospect",
                    "Description": "Created by bench/sync_bench.py"}
                   for i in range(min(200, missing - first))]
        sf_a.restful("composite/sobjects", method="POST",
                     json={"allOrNone": True, "records": records})


def measure_batched(n: int) -> Row:
    with local_orgs() as (sf_a, sf_b):
        fill_org_a(sf_a, n)
        report = sync_accounts(sf_a, sf_b, progress=False)
        assert report.created == n and report.failed == 0, report
        return Row(n, "batched upsert (200/call)", report.write_calls, report.api_calls,
                   report.elapsed, "measured")


def measure_one_by_one(n: int, sample: int) -> Row:
    with local_orgs() as (sf_a, sf_b):
        fill_org_a(sf_a, n)
        if n <= sample:
            report = sync_one_by_one(sf_a, sf_b, progress=False)
            assert report.created == n and report.failed == 0, report
            return Row(n, "one call per record", report.write_calls, report.api_calls,
                       report.elapsed, "measured")
        start, calls = time.perf_counter(), sf_a.api.calls
        accounts = list(all_accounts(sf_a))           # the read, measured on all N
        read_seconds, read_calls = time.perf_counter() - start, sf_a.api.calls - calls
        # ORG B first gets the other N - sample records (not timed), so the sample is
        # written into a table of ORG B's final size, as the tail of a full run would be.
        sync_accounts(sf_a, sf_b, progress=False, accounts=accounts[sample:])
        report = sync_one_by_one(sf_a, sf_b, progress=False, accounts=accounts[:sample])
        assert report.created == sample and report.failed == 0, report
        per_record = report.elapsed / sample
        return Row(n, "one call per record", n, n + read_calls,
                   read_seconds + per_record * n,
                   f"extrapolated: {sample:,}-record sample x {n // sample} "
                   f"({per_record * 1000:.2f} ms each)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--sample", type=int, default=1000,
                        help="one-by-one is measured on at most this many records")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measurement; the fastest is kept (less noise)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for n in args.sizes:
        print(f"N={n:,}: one call per record and batched, in turn, best of {args.repeat} ...",
              flush=True)
        # In turn, so that other work on the machine slows both methods alike.
        one_runs, batched_runs = [], []
        for _ in range(args.repeat):
            one_runs.append(measure_one_by_one(n, args.sample))
            batched_runs.append(measure_batched(n))
        rows.append(min(one_runs, key=lambda r: r.seconds))
        rows.append(min(batched_runs, key=lambda r: r.seconds))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{os.cpu_count()} CPUs, load average {load:.1f} during the run (other work on "
          "the machine slows both methods)")
    print(f"{'N':>7} | {'method':<26} | {'write calls':>11} | {'API calls':>9} | "
          f"{'wall time':>9} | {'records/s':>9} | note")
    print("-" * 110)
    for r in rows:
        print(f"{r.n:>7,} | {r.method:<26} | {r.write_calls:>11,} | {r.api_calls:>9,} | "
              f"{r.seconds:>8.2f}s | {r.n / r.seconds:>9,.0f} | {r.note}")
    print()
    for n in args.sizes:
        one, batched = (r for r in rows if r.n == n)
        speedup = one.seconds / batched.seconds
        calls_ok = batched.write_calls == math.ceil(n / 200)
        print(f"N={n:,}: batched uses {batched.write_calls} write calls "
              f"(⌈N/200⌉ = {math.ceil(n / 200)}: {'yes' if calls_ok else 'NO'}) and is "
              f"{speedup:.1f}x faster (target >= 20x: {'met' if speedup >= 20 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
