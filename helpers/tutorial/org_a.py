"""ORG A on the local orgs: its demo user logs in so the notebook can read ORG A's Accounts.

In the blog post ORG A is where the Apex runs; here the notebook plays ORG A and reads
its Accounts over REST. On the local orgs nobody needs to log in to ORG A by hand: an
External Client App is created in ORG A once per data folder and process, and ORG A's
demo user goes through the same login and consent pages as ORG B's, driven by
:class:`localorg.ScriptedBrowser`. Real orgs and the classroom don't come here
(:func:`helpers.api.connect_org_a` handles them)::

    sf_a = connect_org_a(settings)            # any target
    sf_a.query("SELECT Name FROM Account ORDER BY CreatedDate DESC LIMIT 1")
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import localorg

from ..api.client import API_VERSION, OrgClient, org_a_client
from ..api.client import connect_org_a as _connect_org_a
from ..errors import ConfigurationError
from ..oauth.authorize import AuthorizationFlow
from ..oauth.callback import parse_callback_url
from ..oauth.tokens import AuthorizedSession
from ..settings import Settings
from ..transcript import Transcript

ORG_A_APP_NAME = "Tutorial notebook - reads ORG A"
_apps: dict[str, localorg.NewApp] = {}   # data folder -> ORG A's app, one per process
_lock = threading.Lock()


def org_a_session(settings: Settings, transcript: Transcript | None = None
                  ) -> AuthorizedSession:
    """Local orgs: ORG A's web server flow with its demo user; returns the session."""
    running = localorg.info(settings.localorg_data)
    if running is None:
        raise ConfigurationError(
            f"the local orgs are not running for {settings.localorg_data}: start them with "
            "`import localorg; localorg.ensure_running()` (or `make orgs`)")
    key = str(settings.localorg_data)
    with _lock:
        if key not in _apps:
            _apps[key] = localorg.create_app(
                ORG_A_APP_NAME, [settings.callback_url], org="A", scopes="api refresh_token",
                data_dir=settings.localorg_data)
        app = _apps[key]
    flow = AuthorizationFlow(settings.login_url, app.client_id, settings.callback_url,
                             ("api", "refresh_token"))
    user = running.user("A")
    callback_url = localorg.ScriptedBrowser(running.ca_bundle).authorize(
        flow.authorization_url, user["username"], user["password"])
    client = org_a_client(settings, app.client_id, app.client_secret, transcript)
    return AuthorizedSession(client, client.exchange_code(parse_callback_url(flow, callback_url)))


def connect_org_a(settings: Settings, *, version: str = API_VERSION,
                  transcript: Transcript | None = None,
                  browse: Callable[[str], object] | None = None) -> OrgClient:
    """:func:`helpers.api.connect_org_a`, with ORG A's login done for you on the local orgs."""
    authorized = org_a_session(settings, transcript) if settings.is_local else None
    return _connect_org_a(settings, authorized=authorized, version=version,
                          transcript=transcript, browse=browse)
