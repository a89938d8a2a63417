"""Step 3 and after: exchange the code for tokens, verify them, refresh, revoke.

Public API (stable; the REST helpers build on it):

* :class:`OAuthClient` - talks to the org's token endpoint: :meth:`~OAuthClient.exchange_code`,
  :meth:`~OAuthClient.refresh`, :meth:`~OAuthClient.revoke`.
* :class:`Token` - a validated token response; its repr never shows a secret.
* :class:`AuthorizedSession` - bearer calls to the instance; on a 401 it refreshes once
  (one refresh for any number of threads) and retries once; :meth:`~AuthorizedSession.refresh`
  for other HTTP clients, :meth:`~AuthorizedSession.logout`.

::

    client = OAuthClient.from_settings(settings)
    token = client.exchange_code(grant)            # grant from the callback
    api = AuthorizedSession(client, token)
    api.request("GET", "/services/data/").json()
    api.identity()["username"]

Trust rules (A-19, A-26): the token endpoint, ``instance_url`` and the ``id`` URL are
checked with :class:`~helpers.oauth.trust.TrustPolicy` before a secret is sent there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlsplit

import requests

from ..errors import (
    ApiError,
    InvalidSignatureError,
    ReauthRequired,
    TokenRequestError,
    UntrustedInstanceError,
)
from ..http import TrustedSession, make_session
from ..transcript import Transcript, mask
from .authorize import AuthorizationGrant
from .trust import TrustPolicy

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["OAuthClient", "Token", "AuthorizedSession", "verify_signature"]

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a path)
REVOKE_PATH = "/services/oauth2/revoke"
USERINFO_PATH = "/services/oauth2/userinfo"


def verify_signature(client_secret: str, id_url: str, issued_at: str, signature: str) -> bool:
    """Salesforce's ``signature``: base64(HMAC-SHA256(key=client_secret, msg=id + issued_at)).

    >>> verify_signature("secret", "https://login.salesforce.com/id/00D/005", "1", "x")
    False
    """
    digest = hmac.new(client_secret.encode(), (id_url + issued_at).encode(), hashlib.sha256)
    expected = base64.b64encode(digest.digest())
    return hmac.compare_digest(expected, signature.encode("ascii", "replace"))


@dataclass(frozen=True, repr=False)
class Token:
    """A validated token response. ``repr``/``str``/notebook display mask the secrets (A-28)."""

    access_token: str
    instance_url: str
    id_url: str
    issued_at: datetime
    scopes: tuple[str, ...]
    refresh_token: str | None = None
    token_type: str = "Bearer"  # noqa: S105
    signature_verified: bool = False
    id_token: str | None = None

    @property
    def org_id(self) -> str:
        """The org id from the identity URL (``…/id/<orgId>/<userId>``)."""
        return _id_parts(self.id_url)[0]

    @property
    def user_id(self) -> str:
        return _id_parts(self.id_url)[1]

    def _fields(self) -> list[tuple[str, Any]]:
        return [("access_token", mask(self.access_token)),
                ("refresh_token", mask(self.refresh_token) if self.refresh_token else "None"),
                ("instance_url", self.instance_url), ("id", self.id_url),
                ("org_id", self.org_id), ("user_id", self.user_id),
                ("issued_at", self.issued_at.isoformat(timespec="seconds")),
                ("scopes", " ".join(self.scopes)), ("token_type", self.token_type),
                ("signature_verified", self.signature_verified)]

    def __repr__(self) -> str:
        return "Token(" + ", ".join(f"{k}={v!r}" for k, v in self._fields()) + ")"

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # noqa: ARG002 (IPython API)
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td><code>"
                       f"{html.escape(str(v))}</code></td></tr>" for k, v in self._fields())
        return f"<table><caption>Token</caption>{rows}</table>"


def _id_parts(id_url: str) -> tuple[str, str]:
    parts = urlsplit(id_url).path.strip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "id":
        return parts[-2], parts[-1]
    return "", ""


class OAuthClient:
    """A confidential client of one org's OAuth endpoints (login, test, My Domain or local).

    Client authentication is ``client_secret_post`` (secret in the form body, as in
    Salesforce's docs); ``client_auth="client_secret_basic"`` sends HTTP Basic instead.
    """

    def __init__(self, login_url: str, client_id: str, client_secret: str | None = None, *,
                 session: TrustedSession | None = None, trust: TrustPolicy | None = None,
                 client_auth: str = "client_secret_post") -> None:
        if client_auth not in ("client_secret_post", "client_secret_basic"):
            raise ValueError("client_auth is client_secret_post or client_secret_basic")
        self.trust = trust or TrustPolicy()
        self.login_url = self.trust.check(login_url.rstrip("/"), "login URL")
        self.client_id = client_id
        self._client_secret = client_secret
        self.session = session or make_session()
        self.client_auth = client_auth

    @classmethod
    def from_settings(cls, settings: Settings, transcript: Transcript | None = None,
                      **kwargs: Any) -> OAuthClient:
        """A client for the configured org and app; shares one verified session."""
        settings.require("client_id")
        session = make_session(settings.ca_bundle, transcript=transcript)
        return cls(settings.login_url, settings.client_id or "", settings.client_secret,
                   session=session, trust=settings.trust_policy(), **kwargs)

    def __repr__(self) -> str:
        secret = "'***'" if self._client_secret else "None"
        return (f"OAuthClient(login_url={self.login_url!r}, client_id={self.client_id!r}, "
                f"client_secret={secret})")

    # -- token endpoint -------------------------------------------------------------------

    def _post(self, path: str, form: dict[str, str]) -> requests.Response:
        headers = {}
        # Revocation needs no client authentication on Salesforce (Salesforce Mobile SDK
        # guide, "Revoking OAuth Tokens").
        if self._client_secret and path == TOKEN_PATH:
            if self.client_auth == "client_secret_basic":
                # RFC 6749 §2.3.1: form-encode id and secret before base64.
                pair = f"{quote_plus(self.client_id)}:{quote_plus(self._client_secret)}"
                headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            else:
                form = {**form, "client_secret": self._client_secret}
        try:
            return self.session.post_form(self.login_url + path, form, headers=headers)
        except requests.RequestException as exc:
            raise TokenRequestError(
                "no_response", None, None,
                hint=f"{type(exc).__name__} while calling {self.login_url}{path}; check the "
                     "org is reachable. An authorization code is never sent twice: if this was "
                     "the code exchange, start the login again") from None

    def exchange_code(self, grant: AuthorizationGrant) -> Token:
        """Redeem the code (with its PKCE verifier) for tokens. Never retried (A-20)."""
        if grant.login_url != self.login_url:  # the code goes back to the org that issued it
            raise TokenRequestError(
                "issuer_mismatch", None, None,
                hint=f"this code was issued by {grant.login_url}, but the client talks to "
                     f"{self.login_url}: use the same SF_LOGIN_URL for both steps")
        response = self._post(TOKEN_PATH, {
            "grant_type": "authorization_code", "code": grant.code,
            "code_verifier": grant.code_verifier, "redirect_uri": grant.redirect_uri,
            "client_id": self.client_id,
        })
        return self._token_from(response)

    def refresh(self, token: Token) -> Token:
        """A new access token from the refresh token; keeps the refresh token unless rotated."""
        if not token.refresh_token:
            raise ReauthRequired("this token has no refresh token (was the refresh_token scope "
                                 "granted?): log in again")
        response = self._post(TOKEN_PATH, {"grant_type": "refresh_token",
                                           "refresh_token": token.refresh_token,
                                           "client_id": self.client_id})
        return self._token_from(response, previous=token)

    def revoke(self, token: str) -> None:
        """Revoke an access or refresh token (a refresh token takes its access tokens along)."""
        response = self._post(REVOKE_PATH, {"token": token})
        if response.status_code != 200:
            raise _error_from(response)

    # -- validation (A-18, A-19) ----------------------------------------------------------

    def _token_from(self, response: requests.Response, previous: Token | None = None) -> Token:
        if response.status_code != 200:
            raise _error_from(response)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise TokenRequestError("invalid_response", "the body is not a JSON object",
                                    200, hint="check SF_LOGIN_URL points at the org's login "
                                              "host, not a proxy or web page")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenRequestError("invalid_response", "no access_token in the response", 200,
                                    hint="the token endpoint answered without a token")
        if str(data.get("token_type", "")).lower() != "bearer":
            raise TokenRequestError("invalid_response", "token_type is not Bearer", 200,
                                    hint="only bearer tokens are supported")
        instance_url = self.trust.check(str(data.get("instance_url") or ""), "instance_url")
        id_url = self.trust.check(str(data.get("id") or ""), "id (identity URL)")
        issued_at = str(data.get("issued_at") or "")
        if not issued_at.isdigit():
            raise TokenRequestError("invalid_response", "issued_at is not milliseconds", 200,
                                    hint="Salesforce sends issued_at as a string of digits")
        verified = False
        if self._client_secret:
            signature = data.get("signature")
            if not isinstance(signature, str) or not verify_signature(
                    self._client_secret, id_url, issued_at, signature):
                raise InvalidSignatureError(
                    "the token response's signature does not match HMAC-SHA256(client secret, "
                    "id + issued_at): the identity URL may have been altered in transit, or "
                    "SF_CLIENT_SECRET belongs to another app. The token is not used")
            verified = True
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous.refresh_token if previous else None  # not rotated: keep it
        return Token(
            access_token=access, instance_url=instance_url.rstrip("/"), id_url=id_url,
            issued_at=datetime.fromtimestamp(int(issued_at) / 1000, tz=timezone.utc),
            scopes=tuple(str(data.get("scope") or "").split()), refresh_token=refresh,
            token_type=str(data["token_type"]), signature_verified=verified,
            id_token=data.get("id_token") if isinstance(data.get("id_token"), str) else None,
        )


def _error_from(response: requests.Response) -> TokenRequestError:
    """Salesforce's ``{"error", "error_description"}`` as an explained exception."""
    if 300 <= response.status_code < 400:
        where = urlsplit(response.headers.get("Location", ""))
        return TokenRequestError(
            "unexpected_redirect", None, response.status_code,
            hint=f"the endpoint redirected to {where.scheme}://{where.netloc}{where.path}; "
                 "credentials are never re-sent on a redirect: check SF_LOGIN_URL (https, "
                 "the org's login host)")
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        desc = data.get("error_description")
        return TokenRequestError(data["error"], desc if isinstance(desc, str) else None,
                                 response.status_code)
    return TokenRequestError("invalid_response", "no OAuth error in the body",
                             response.status_code,
                             hint=f"HTTP {response.status_code} without a JSON OAuth error: "
                                  "check SF_LOGIN_URL and that the org is up")


BAD_OAUTH_TOKEN = "Bad_OAuth_Token"  # noqa: S105 (Salesforce's error text, not a secret)


def session_expired(response: requests.Response) -> bool:
    """Whether the org refused the access token itself (expired, revoked): then a refresh helps.

    The REST API answers 401 ``INVALID_SESSION_ID``; the identity URL and userinfo answer 403
    with the plain-text body ``Bad_OAuth_Token`` (jsforce pull request 736, "Refresh
    accessToken when salesforce returns 403 Bad Oauth Token"; Forrest pull request 286). Any
    other 403 (permissions, ``REQUEST_LIMIT_EXCEEDED``) is not an expired token.
    """
    if response.status_code == 401:
        return True
    return response.status_code == 403 and response.text.strip() == BAD_OAUTH_TOKEN


class AuthorizedSession:
    """Bearer requests to the org, refreshing the access token once when it has expired.

    A 401 (Salesforce's ``INVALID_SESSION_ID``: there is no ``expires_in``, so 401 is the
    expiry signal), or the 403 ``Bad_OAuth_Token`` that the identity URL and userinfo answer
    instead (see :func:`session_expired`), triggers one refresh - one for all threads that
    saw the same stale token (A-23) - and one retry. A refused refresh drops the refresh
    token and raises :class:`ReauthRequired` (A-22). Request bodies must be re-sendable
    (bytes/dict/json).
    """

    def __init__(self, client: OAuthClient, token: Token,
                 on_refresh: Callable[[Token], None] | None = None) -> None:
        self.client = client
        self._token: Token | None = token
        self._lock = threading.Lock()
        self.on_refresh = on_refresh
        self.refresh_count = 0
        self._pending_revocation: str | None = None

    @property
    def token(self) -> Token:
        if self._token is None:
            raise ReauthRequired("logged out: start the login again")
        return self._token

    def __repr__(self) -> str:
        return f"AuthorizedSession(instance_url={self.token.instance_url!r})" if self._token \
            else "AuthorizedSession(logged out)"

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """``method`` on ``url`` (absolute, or a path on the instance) with the bearer token.

        Redirects are not followed unless ``allow_redirects=True`` is passed (and then
        ``requests`` drops the Authorization header when the host changes, A-27).
        """
        token = self.token
        if not url.startswith(("https://", "http://")):
            url = token.instance_url + "/" + url.lstrip("/")
        self.client.trust.check(url, "API URL")
        kwargs.setdefault("allow_redirects", False)
        response = self._send(method, url, token, kwargs)
        if not session_expired(response):
            return response
        token = self.refresh(token.access_token)
        response = self._send(method, url, token, kwargs)
        if session_expired(response):
            raise ReauthRequired("the org still refuses the freshly refreshed token: log in "
                                 "again (the user, app or session may have been revoked)")
        return response

    def _send(self, method: str, url: str, token: Token, kwargs: dict[str, Any]
              ) -> requests.Response:
        headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token.access_token}"}
        return self.client.session.request(method, url, **{**kwargs, "headers": headers})

    def refresh(self, stale_access_token: str) -> Token:
        """The current token, refreshed once for everyone who saw ``stale_access_token`` fail.

        Single-flight: if another thread already replaced that access token, its result is
        returned without a second refresh. For other HTTP clients (e.g. simple-salesforce
        raising ``SalesforceExpiredSession``): ``api.refresh(stale).access_token``.
        """
        with self._lock:
            current = self.token
            if current.access_token != stale_access_token:
                return current
            if not current.refresh_token:
                raise ReauthRequired("the access token expired and there is no refresh token: "
                                     "log in again")
            try:
                new = self.client.refresh(current)
            except (TokenRequestError, InvalidSignatureError, UntrustedInstanceError) as exc:
                if isinstance(exc, TokenRequestError) and exc.status is None:
                    raise  # no answer at all: keep the refresh token for the next attempt
                self._token = replace(current, refresh_token=None)  # never reuse it
                raise ReauthRequired(f"the refresh was refused ({exc}); log in again") from None
            self._token = new
            self.refresh_count += 1
        if self.on_refresh is not None:
            self.on_refresh(new)
        return new

    def _json(self, url: str) -> dict[str, Any]:
        response = self.request("GET", url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise ApiError.from_response(response)
        return response.json()

    def identity(self) -> dict[str, Any]:
        """The identity URL (``id``): user, org and API URLs of this token (Salesforce Mobile
        SDK guide, "Using Identity URLs")."""
        return self._json(self.token.id_url)

    def userinfo(self) -> dict[str, Any]:
        """OpenID Connect UserInfo on the login host (Salesforce Help, UserInfo endpoint)."""
        return self._json(self.client.login_url + USERINFO_PATH)

    def logout(self) -> bool:
        """Revoke the grant and forget the tokens (A-24).

        Returns True when the org confirmed (or already did not know the token), False
        when it could not be reached or failed (5xx): then :meth:`retry_revocation` can
        try again later. The local tokens are dropped either way.
        """
        token = self._token
        self._token = None
        if token is None:
            return True
        self._pending_revocation = token.refresh_token or token.access_token
        return self.retry_revocation()

    def retry_revocation(self) -> bool:
        """Retry a revocation that failed during :meth:`logout`; True when done."""
        pending = self._pending_revocation
        if pending is None:
            return True
        try:
            self.client.revoke(pending)
        except TokenRequestError as exc:
            if exc.status is None or exc.status >= 500:
                return False
            # 400 invalid_token: already revoked or expired - nothing left to revoke.
        self._pending_revocation = None
        return True

    @property
    def revocation_pending(self) -> bool:
        return self._pending_revocation is not None

