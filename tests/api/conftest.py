"""Fixtures of the REST helper tests: clients for ORG A and ORG B from the real flows.

ORG B's token comes from the client helpers exactly as in the notebook (authorization
URL, login and consent pages driven by the scripted demo user, callback parsing, code
exchange); ORG A's from :func:`helpers.tutorial.connect_org_a`, which does the same for ORG A.
Every test talks to a real server over sockets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import localorg
from helpers.api import OrgClient, connect
from helpers.oauth import AuthorizationFlow, AuthorizedSession, OAuthClient, parse_callback_url
from helpers.settings import Settings
from helpers.tutorial import connect_org_a
from localorg import ScriptedBrowser
from tests.client.conftest import local_settings
from tests.conftest import RunningOrgs, start_server, stop_server


@dataclass
class Clients:
    orgs: RunningOrgs
    settings: Settings
    api_b: AuthorizedSession
    sf_a: OrgClient
    sf_b: OrgClient

    def org_id(self, org: str) -> str:
        return self.orgs.info["orgs"][org]["org_id"]

    def stored_accounts(self, org: str) -> int:
        """Account rows in the database itself: proves whether anything was written."""
        return localorg.stored_records(org, data_dir=self.orgs.data_dir)

    def usage(self, org: str) -> int:
        """The org's API usage counter on the server (what Sforce-Limit-Info reports)."""
        return localorg.api_usage(org, data_dir=self.orgs.data_dir)

    def fault(self, org: str, path_prefix: str, status: int, remaining: int,
              retry_after: int | None = None, after_commit: bool = False) -> None:
        """Make the next ``remaining`` matching REST calls of ``org`` fail (B-35);
        ``after_commit``: the org does the work, then answers the error (A-35)."""
        localorg.inject_fault(org, path_prefix, status, remaining, retry_after=retry_after,
                              after_commit=after_commit, data_dir=self.orgs.data_dir)

    def clear_faults(self) -> None:
        localorg.clear_faults(data_dir=self.orgs.data_dir)

    def set_usage(self, org: str, used: int) -> None:
        localorg.set_api_usage(org, used, data_dir=self.orgs.data_dir)


def org_b_session(orgs: RunningOrgs, settings_extra: dict[str, str] | None = None
                  ) -> tuple[Settings, AuthorizedSession]:
    """ORG B's web server flow with the client helpers, the demo user at the keyboard."""
    app = orgs.create_app(name="REST helper tests", org="B", scopes="api refresh_token")
    settings = local_settings(orgs, app, **(settings_extra or {}))
    flow = AuthorizationFlow.from_settings(settings)
    user = orgs.user("B")
    callback_url = ScriptedBrowser(orgs.ca_bundle).authorize(
        flow.authorization_url, user["username"], user["password"])
    client = OAuthClient.from_settings(settings)
    return settings, AuthorizedSession(client, client.exchange_code(
        parse_callback_url(flow, callback_url)))


def make_clients(orgs: RunningOrgs) -> Clients:
    settings, api_b = org_b_session(orgs)
    return Clients(orgs, settings, api_b, connect_org_a(settings), connect(api_b, settings))


@pytest.fixture(scope="module")
def api_orgs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOrgs]:
    """A server of this test module's own, so syncs see only this module's records."""
    running = start_server(Path(tmp_path_factory.mktemp("api-orgs")))
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def clients(api_orgs: RunningOrgs) -> Clients:
    return make_clients(api_orgs)


@pytest.fixture
def fresh_clients(fresh_orgs: RunningOrgs) -> Clients:
    """Clients of a brand-new server: ORG A holds its 5 sample Accounts, ORG B none."""
    return make_clients(fresh_orgs)
