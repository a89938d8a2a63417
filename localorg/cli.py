"""Command line of the local orgs (trainers and tests use it; keep it stable).

    python -m localorg serve [--data DIR] [--port-base N] [--seed S] [--json]
                                     [--expose [--host NAME_OR_IP] [--bind ADDR]]
    python -m localorg add-learners --data DIR (--count N | --csv FILE)
                                     [--callback URL ...] [--out FILE]
    python -m localorg create-app --data DIR --org B --name NAME --callback URL ...
    python -m localorg status [--data DIR] [--json]
    python -m localorg stop [--data DIR]
    python -m localorg reset [--data DIR]
    python -m localorg unlock USERNAME [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import sys

from . import config
from .server import STATE_FILE
from .store import DB_NAME


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m localorg",
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
    s.add_argument("--expose", action="store_true",
                   help="workshop mode: listen beyond this machine, TLS on every host, "
                        "room page (a classroom convenience, not for production)")
    s.add_argument("--host", metavar="NAME_OR_IP",
                   help="with --expose: the name learners use (default: this machine's name)")
    s.add_argument("--bind", metavar="ADDR",
                   help="with --expose: the address to listen on (default 0.0.0.0)")

    ln = sub.add_parser("add-learners",
                        help="create a user and an app in ORG A and in ORG B per learner; "
                             "prints the CSV handout")
    data_arg(ln)
    who = ln.add_mutually_exclusive_group(required=True)
    who.add_argument("--count", type=int, metavar="N", help="N learners named Learner NN")
    who.add_argument("--csv", metavar="FILE", help="a CSV with a name (and optional email) column")
    ln.add_argument("--callback", action="append", metavar="URL",
                    help="a Callback URL of each app (repeat for several; default "
                         "http://localhost:1717/OauthRedirect)")
    ln.add_argument("--scopes", default="api refresh_token")
    ln.add_argument("--out", metavar="FILE",
                    help="write the handout there (created 0600, never overwritten) "
                         "instead of stdout")

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
    c.add_argument("--session-timeout", type=int, metavar="MINUTES",
                   help="the app's own session timeout (15, 30, 60, 120, 240, 480, 720, 1440); "
                        "default: the org's 2 hours")

    st = sub.add_parser("status", help="say whether the local orgs run, and where")
    data_arg(st)
    st.add_argument("--json", action="store_true")
    sp = sub.add_parser("stop", help="stop the running local orgs")
    data_arg(sp)
    u = sub.add_parser("unlock", help="forget a user's failed logins (they can log in at once)")
    u.add_argument("username")
    data_arg(u)
    r = sub.add_parser("reset", help="stop the local orgs and delete their data (keeps the CA)")
    data_arg(r)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data = config.data_dir(args.data)

    if args.command == "serve":
        from .server import serve
        from .workshop.expose import Exposure
        if not args.expose and (args.host or args.bind):
            print("error: --host and --bind only apply with --expose (without it the local orgs "
                  "listen on 127.0.0.1 only)", file=sys.stderr)
            return 2
        try:
            exposure = Exposure.from_args(args.host, args.bind) if args.expose else None
            return serve(data, config.port_base(args.port_base), args.seed, args.json, exposure)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    from . import AppSettingsError, create_app, info, stop

    if args.command == "add-learners":
        return _add_learners(args, data)

    if args.command == "create-app":
        try:
            app = create_app(args.name, args.callback, org=args.org, scopes=args.scopes,
                             require_pkce=not args.no_require_pkce,
                             require_secret=not args.no_require_secret,
                             require_secret_refresh=not args.no_require_secret,
                             refresh_rotation=args.refresh_rotation,
                             session_timeout_minutes=args.session_timeout, data_dir=data)
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
            # The login page's hint sends learners here for the demo users (fake, loopback only).
            for org in ("A", "B"):
                user = running.user(org)
                print(f"  demo user of ORG {org}: {user['username']}  password {user['password']}")
        else:
            print(f"not running (data folder {data})")
        return 0 if running else 3

    if args.command == "stop":
        print("stopped" if stop(data) else "not running")
        return 0

    if args.command == "unlock":
        from . import unlock
        n = unlock(args.username, data_dir=data)
        print(f"forgot {n} failed login(s) of {args.username}" if n
              else f"no failed logins recorded for {args.username}")
        return 0

    if args.command == "reset":
        was_running = stop(data)
        removed = []
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", STATE_FILE, "server.log"):
            path = data / name
            if path.exists():
                path.unlink()
                removed.append(name)
        done = (f"deleted {', '.join(removed)} in {data}" if removed
                else f"nothing to delete in {data}")
        print(("stopped the server; " if was_running else "") + done)
        return 0
    return 1


def _add_learners(args: argparse.Namespace, data) -> int:
    import os

    from . import add_learners
    from .apps import AppSettingsError
    from .workshop.learners import LearnerError, read_roster, write_handout

    out = None
    try:
        names = read_roster(args.csv) if args.csv else args.count
        if args.out:
            # 0600 from the start, and never over an earlier handout (passwords are shown once).
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            out = os.fdopen(fd, "w", newline="", encoding="utf-8")
        learners = add_learners(names, args.callback, args.scopes, data_dir=data)
    except FileExistsError:
        print(f"error: {args.out} exists; choose another --out file (an earlier handout's "
              "passwords cannot be shown again)", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except (LearnerError, AppSettingsError) as exc:
        if out is not None:
            out.close()
            os.unlink(args.out)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if out is None:
        write_handout(learners, sys.stdout)
    else:
        with out:
            write_handout(learners, out)
        print(f"{len(learners)} learner(s) added; handout written to {args.out} (mode 0600)",
              file=sys.stderr)
    return 0
