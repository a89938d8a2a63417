"""What a request knows about the host that serves it."""

from __future__ import annotations

from flask import current_app, g


def host_org() -> dict | None:
    """This instance host's ``orgs`` row (None on the login host), read once per request.

    Not cached longer: ``api_limit`` and the like may change between requests.
    """
    if "localorg_org" not in g:
        host = current_app.config["LOCALORG_HOST"]
        row = None if host == "login" else current_app.config["LOCALORG"].store.org(host)
        g.localorg_org = dict(row) if row else None
    return g.localorg_org
