"""Command line of the local orgs (trainers and tests use it; keep it stable).

    python -m helpers.localorg serve [--data DIR] [--port-base N] [--seed S] [--json]
    python -m helpers.localorg create-app --data DIR --org B --name NAME --callback URL ...
    python -m helpers.localorg status [--data DIR] [--json]
    python -m helpers.localorg stop [--data DIR]
    python -m helpers.localorg reset [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from . import config


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m helpers.localorg",
                                description="Local stand-in for two Salesforce orgs "
                                            "(tutorial only, not for production).")
    sub = p.add_subparsers(dest="command", required=True)

    def data_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data", metavar="DIR",
                        help="data folder (default: $LOCALORG_DATA or .localorg/ in the repo)")

    s = sub.add_parser("serve", help="run the local orgs in the foreground")
    data_arg(s)
    s.add_argument("--port-base", type=int, metavar="N",
                   help="login host on N, ORG A on N+1, ORG B on N+2 (default 8700)")
    s.add_argument("--seed", metavar="S", help="make ids, tokens and secrets reproducible")
    s.add_argument("--json", action="store_true", help="print one JSON line when ready")

    c = sub.add_parser("create-app",
                       help="create an External Client App; prints its key and secret")
    data_arg(c)
    c.add_argument("--org", default="B", choices=config.ORG_KEYS)
    c.add_argument("--name", required=True)
    c.add_argument("--callback", action="append", required=True, metavar="URL",
                   help="a Callback URL (repeat for several)")
    c.add_argument("--scopes", default="api refresh_token")
    c.add_argument("--no-require-pkce", action="store_true")
    c.add_argument("--no-require-secret", action="store_true",
                   help="no secret for the web server flow nor for the refresh token flow")
    c.add_argument("--refresh-rotation", action="store_true")

    st = sub.add_parser("status", help="say whether the local orgs run, and where")
    data_arg(st)
    st.add_argument("--json", action="store_true")
    sp = sub.add_parser("stop", help="stop the running local orgs")
    data_arg(sp)
    r = sub.add_parser("reset", help="stop the local orgs and delete their data (keeps the CA)")
    data_arg(r)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data = config.data_dir(args.data)

    if args.command == "serve":
        from .server import serve
        try:
            return serve(data, config.port_base(args.port_base), args.seed, args.json)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    from . import AppSettingsError, create_app, info, stop

    if args.command == "create-app":
        try:
            app = create_app(args.name, args.callback, org=args.org, scopes=args.scopes,
                             require_pkce=not args.no_require_pkce,
                             require_secret=not args.no_require_secret,
                             require_secret_refresh=not args.no_require_secret,
                             refresh_rotation=args.refresh_rotation, data_dir=data)
        except AppSettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps({"client_id": app.client_id, "client_secret": app.client_secret}))
        return 0

    if args.command == "status":
        running = info(data)
        if args.json:
            print(json.dumps({"running": bool(running), **(running.raw if running else {})}))
        elif running:
            print(f"running (pid {running.pid}): login {running.login_url}, "
                  f"ORG A {running.instance_url('A')}, ORG B {running.instance_url('B')}")
        else:
            print(f"not running (data folder {data})")
        return 0 if running else 3

    if args.command == "stop":
        print("stopped" if stop(data) else "not running")
        return 0

    if args.command == "reset":
        was_running = stop(data)
        removed = []
        for name in ("localorg.sqlite3", "localorg.sqlite3-wal", "localorg.sqlite3-shm",
                     "server.json", "server.log"):
            path = data / name
            if path.exists():
                path.unlink()
                removed.append(name)
        for folder in ("artifacts",):
            if (data / folder).exists():
                shutil.rmtree(data / folder)
        done = (f"deleted {', '.join(removed)} in {data}" if removed
                else f"nothing to delete in {data}")
        print(("stopped the server; " if was_running else "") + done)
        return 0
    return 1
