"""Ready simple-salesforce clients for ORG B (from the web server flow) and ORG A.

::

    sf_b = connect(api, settings)             # api: AuthorizedSession from helpers.oauth
    sf_b.query("SELECT Id, Name FROM Account LIMIT 5")
    sf_a = connect_org_a(settings)            # the org the Accounts come from
    sf_b.api.calls, sf_b.api.api_usage        # HTTP calls made, last Sforce-Limit-Info

Every client is a ``simple_salesforce.Salesforce`` built in *direct* mode (no login
call) on an :class:`ApiSession`: TLS verified with the local CA (local orgs) or
certifi (real orgs) and never weakened by ``REQUESTS_CA_BUNDLE``; every URL checked
with the settings' :class:`~helpers.oauth.trust.TrustPolicy` before the token goes
there; redirects not followed (A-27); each HTTP call counted. Given an
``AuthorizedSession``, a 401 refreshes the token once and retries once (A-21..A-23).

How ORG A is reached (the post's ORG A runs Apex; here the notebook reads it over REST):

* real orgs - ``SF_ORG_A_INSTANCE_URL`` + ``SF_ORG_A_ACCESS_TOKEN`` from
  ``sf org display`` (no refresh: when it expires, run ``sf org display`` again);
* local orgs - pass ``authorized``, the :class:`~helpers.oauth.AuthorizedSession` of ORG A's
  own web server flow; :func:`helpers.tutorial.org_a_session` runs that flow with ORG A's
  demo user (ORG A's login is not the lesson; ORG B's is), so this client never needs
  to know how the local orgs are run;
* the classroom (``SF_TARGET=classroom``) - the same flow with the learner's own ORG A app
  (``SF_ORG_A_CLIENT_ID`` / ``SF_ORG_A_CLIENT_SECRET``, from the ``add-learners`` handout):
  the cell prints a link (``prompt=login``, ``login_hint=SF_ORG_A_USERNAME``), the learner
  logs in to ORG A as the handout's ORG A user in their browser, and the loopback listener
  on ``SF_CALLBACK_URL`` catches the code (the demo users are refused from learners'
  machines, so nothing can be scripted there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests
from simple_salesforce import Salesforce

from ..errors import ConfigurationError
from ..http import DEFAULT_TIMEOUT, TrustedSession, make_session
from ..oauth.authorize import AuthorizationFlow
from ..oauth.callback import CallbackListener
from ..oauth.tokens import AuthorizedSession, OAuthClient, Token
from ..oauth.trust import TrustPolicy, origin
from ..transcript import Transcript

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["API_VERSION", "ApiSession", "OrgClient", "connect", "connect_org_a",
           "org_a_client", "parse_limit_info"]

API_VERSION = "67.0"  # Summer '26 (REST API Versions page); simple-salesforce would default to 59.0
LIMIT_HEADER = "Sforce-Limit-Info"


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """``(used, limit)`` from ``Sforce-Limit-Info: api-usage=18/5000`` (REST API
    Developer Guide, Sforce-Limit-Info header page).

    >>> parse_limit_info("api-usage=18/5000; per-app-api-usage=17/250(appName=x)")
    (18, 5000)
    """
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        used, _, limit = value.partition("/")
        if name == "api-usage" and used.isdigit() and limit.isdigit():
            return int(used), int(limit)
    return None


class ApiSession(TrustedSession):
    """The HTTP session of one org's client: trust check, call counter, optional refresh."""

    def __init__(self, ca_bundle: str | None, trust: TrustPolicy, *,
                 authorized: AuthorizedSession | None = None,
                 transcript: Transcript | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__(ca_bundle, timeout=timeout, transcript=transcript)
        self.trust = trust
        self.authorized = authorized
        self.calls = 0                                   # HTTP calls sent to the instance
        self.api_usage: tuple[int, int] | None = None    # last Sforce-Limit-Info seen
        self._count_lock = threading.Lock()

    def _counted(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        with self._count_lock:
            self.calls += 1
            usage = parse_limit_info(response.headers.get(LIMIT_HEADER))
            if usage is not None:
                self.api_usage = usage
        # Sent by the AuthorizedSession's own session: record it here unless that one does.
        if self.authorized is not None and self.transcript is not None and \
                self.transcript is not self.authorized.client.session.transcript:
            self.transcript.record(response)

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any
                ) -> requests.Response:
        url = url.decode() if isinstance(url, bytes) else url
        self.trust.check(url, "API URL")  # the bearer token goes nowhere else
        kwargs.setdefault("allow_redirects", False)
        hooks = dict(kwargs.pop("hooks", None) or {})
        hooks["response"] = [*_as_list(hooks.get("response")), self._counted]
        if self.authorized is None:
            return super().request(method, url, *args, hooks=hooks, **kwargs)
        # The AuthorizedSession puts the *current* access token in the header, and on a
        # 401 refreshes once (single-flight) and retries once; the hook counts both sends.
        if args:
            raise TypeError("pass request arguments by keyword")
        return self.authorized.request(method, url, hooks=hooks, **kwargs)


def _as_list(hook: Any) -> list[Any]:
    if hook is None:
        return []
    return list(hook) if isinstance(hook, (list, tuple)) else [hook]


class OrgClient(Salesforce):
    """A ``simple_salesforce.Salesforce`` whose repr names the org, never the token."""

    label: str
    api: ApiSession

    def __repr__(self) -> str:
        return (f"OrgClient({self.label}, instance_url={self.instance_url!r}, "
                f"version={self.sf_version!r}, calls={self.api.calls})")

    __str__ = __repr__

    @property
    def instance_url(self) -> str:
        return f"https://{self.sf_instance}"


def _build(label: str, instance_url: str, access_token: str, session: ApiSession,
           version: str) -> OrgClient:
    session.trust.check(instance_url, "instance_url")  # re-checked before the first call
    client = OrgClient(instance_url=instance_url, session_id=access_token, session=session,
                       version=version)
    client.label = label
    client.api = session
    return client


def connect(source: Token | AuthorizedSession, settings: Settings, *, label: str = "ORG B",
            version: str = API_VERSION, transcript: Transcript | None = None) -> OrgClient:
    """A simple-salesforce client for the org of a token from the web server flow.

    Pass the ``AuthorizedSession`` to get a client that refreshes an expired access token
    (once, then retries once); a bare ``Token`` gives a client without refresh.

    >>> sf_b = connect(api, settings)                                    # doctest: +SKIP
    >>> sf_b.query("SELECT COUNT() FROM Account")["totalSize"]           # doctest: +SKIP
    5
    """
    authorized = source if isinstance(source, AuthorizedSession) else None
    token = source.token if isinstance(source, AuthorizedSession) else source
    trust = authorized.client.trust if authorized else settings.trust_policy()
    session = ApiSession(settings.ca_bundle, trust, authorized=authorized,
                         transcript=transcript)
    return _build(label, token.instance_url, token.access_token, session, version)


def connect_org_a(settings: Settings, *, authorized: AuthorizedSession | None = None,
                  version: str = API_VERSION, transcript: Transcript | None = None,
                  browse: Callable[[str], object] | None = None) -> OrgClient:
    """A client for ORG A, the org whose Accounts are posted to ORG B.

    Real orgs: ``SF_ORG_A_INSTANCE_URL`` and ``SF_ORG_A_ACCESS_TOKEN`` (``sf org display``).
    Local orgs: ``authorized``, from ORG A's own web server flow (see the module docstring).
    Any target: a given ``authorized`` session is used as it is.
    Classroom: that flow with the learner's ORG A app; the learner opens the printed link
    (``browse(url)`` replaces printing it, e.g. to open a browser).

    >>> sf_a = connect_org_a(load_settings())                           # doctest: +SKIP
    >>> sf_a                                                             # doctest: +SKIP
    OrgClient(ORG A, instance_url='https://127.0.0.1:8701', version='67.0', calls=0)
    """
    if authorized is not None:
        return connect(authorized, settings, label="ORG A", version=version,
                       transcript=transcript)
    if settings.is_classroom:
        authorized = _classroom_org_a_session(settings, transcript, browse)
        return connect(authorized, settings, label="ORG A", version=version,
                       transcript=transcript)
    if not settings.is_local:
        settings.require("org_a_instance_url", "org_a_access_token")
        session = ApiSession(settings.ca_bundle, settings.trust_policy(), transcript=transcript)
        return _build("ORG A", settings.org_a_instance_url or "",
                      settings.org_a_access_token or "", session, version)
    raise ConfigurationError("for the local orgs, log in to ORG A first and pass the session: "
                             "`connect_org_a(settings, authorized=tutorial.org_a_session("
                             "settings))`")


def org_a_client(settings: Settings, client_id: str, client_secret: str | None,
                 transcript: Transcript | None = None) -> OAuthClient:
    """The OAuth client of ORG A's app (its own key, not SF_CLIENT_ID's)."""
    return OAuthClient(settings.login_url, client_id, client_secret,
                       session=make_session(settings.ca_bundle, transcript=transcript),
                       trust=settings.trust_policy())


def _classroom_org_a_session(settings: Settings, transcript: Transcript | None,
                             browse: Callable[[str], object] | None) -> AuthorizedSession:
    """ORG A's web server flow in the classroom: the learner logs in in their own browser."""
    settings.require("org_a_client_id", "org_a_client_secret", "org_a_username")
    # prompt=login: the learner's browser is usually still logged in to ORG B as their ORG B
    # user, whom ORG A's app refuses; the login page lets them sign in as the ORG A user,
    # whose username login_hint pre-fills (not the ORG B username they typed last).
    flow = AuthorizationFlow(settings.login_url, settings.org_a_client_id or "",
                             settings.callback_url, settings.scopes, prompt="login",
                             login_hint=settings.org_a_username)
    client = org_a_client(settings, settings.org_a_client_id or "",
                           settings.org_a_client_secret, transcript)
    with CallbackListener(flow).start() as listener:  # before the link: no lost callback
        if browse is None:
            print(f"Log in to ORG A as {settings.org_a_username} with the org_a_password of "
                  f"your handout and click Allow:\n{flow.authorization_url}")
        else:
            browse(flow.authorization_url)
        grant = listener.wait()
    token = client.exchange_code(grant)
    if origin(token.instance_url) != origin(settings.org_a_instance_url or ""):
        raise ConfigurationError(f"that login went to {token.instance_url}, not ORG A: log in "
                                 "with the org_a_username of your handout")
    return AuthorizedSession(client, token)
