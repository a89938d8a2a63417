"""Helpers for the REST and Apex REST tests: tokens from the real OAuth flow, a client.

Tokens come from ``flow.get_tokens`` (authorize, login, consent, token over sockets),
cached per server and scope so the suite runs the flow only a few times::

    api = rest_client(orgs, "B")
    resp = api.get("query/", params={"q": "SELECT Id FROM Account"})
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from localorg.store import sha256
from tests.localorg.flow import get_tokens

VERSION = "v66.0"
_tokens: dict[tuple[str, str, str], str] = {}


def token(orgs, org: str = "B", scopes: str = "api refresh_token") -> str:
    """An access token for ``org``'s demo user, obtained through the real web server flow."""
    key = (str(orgs.data_dir), org, scopes)
    if key not in _tokens:
        app = orgs.create_app(name=f"REST tests {org} {scopes}", org=org, scopes=scopes)
        _tokens[key] = get_tokens(orgs, app, org=org)["access_token"]
    return _tokens[key]


@dataclass
class RestClient:
    """A bearer-authenticated session on one instance host (trusting the local CA only)."""

    orgs: Any
    org: str
    access_token: str
    session: requests.Session

    @property
    def base(self) -> str:
        return self.orgs.instance_url(self.org)

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return self.base + path
        return f"{self.base}/services/data/{VERSION}/{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.access_token}", **kwargs.pop("headers", {})}
        return self.session.request(method, self.url(path), headers=headers, timeout=60,
                                    allow_redirects=False, **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def create(self, **fields: Any) -> str:
        resp = self.post("sobjects/Account/", json=fields)
        assert resp.status_code == 201, resp.text
        return resp.json()["id"]

    def soql(self, q: str) -> dict:
        resp = self.get("query/", params={"q": q})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def count(self, where: str = "", all_rows: bool = False) -> int:
        """Accounts in the org (deleted too with ``all_rows``), through the API."""
        q = " ".join(["SELECT COUNT() FROM Account", "WHERE" if where else "", where])
        resp = self.get("queryAll/" if all_rows else "query/", params={"q": q})
        assert resp.status_code == 200, resp.text
        return resp.json()["totalSize"]


def rest_client(orgs, org: str = "B", scopes: str = "api refresh_token") -> RestClient:
    return RestClient(orgs, org, token(orgs, org, scopes), orgs.session())


def stored_count(orgs, org: str = "B") -> int:
    """Account rows in the database itself (deleted too): proves that nothing was written."""
    org_id = orgs.info["orgs"][org]["org_id"]
    return orgs.db().one("SELECT count(*) AS n FROM records WHERE org_id=?", (org_id,))["n"]


def set_api_usage(orgs, org: str, used: int) -> None:
    """Make the org's rolling 24-hour API counter read ``used`` (one bucket, this minute)."""
    org_id = orgs.info["orgs"][org]["org_id"]
    with orgs.db().tx() as db:
        db.execute("DELETE FROM api_usage WHERE org_id=?", (org_id,))
        db.execute("INSERT INTO api_usage(org_id, minute, count) VALUES(?,?,?)",
                   (org_id, int(time.time() // 60), used))


def token_row(orgs, access_token: str):
    return orgs.db().one("SELECT * FROM oauth_tokens WHERE token_hash=?",
                         (sha256(access_token),))
