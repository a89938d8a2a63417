"""External Client Apps as Authlib clients, and Salesforce's client authentication.

Salesforce accepts the consumer key and secret in the form body (client_secret_post) or
in HTTP Basic (client_secret_basic). Whether a secret is needed depends on the app's
"Require Secret for Web Server Flow" / "... for Refresh Token Flow" settings.
"""

from __future__ import annotations

import base64
import hmac
import re
from urllib.parse import unquote_plus

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError
from flask import current_app

from ..store import callback_urls, sha256
from .errors import CLIENT_CREDENTIALS_INVALID, CLIENT_ID_INVALID, SalesforceOAuthError
from .models import session_timeout_seconds

AUTH_METHOD = "salesforce_client_auth"  # secret required per the app's settings
AUTH_METHOD_SECRET = "salesforce_client_secret"  # noqa: S105 (a method name); secret always required (introspection)
_SCOPE_NAME = re.compile(r"^[a-z_]{1,40}$")


class Client:
    """One row of the ``apps`` table, with the interface Authlib's grants call."""

    def __init__(self, row):
        self.app_id: str = row["id"]
        self.org_id: str = row["org_id"]
        self.name: str = row["name"]
        self.client_id: str = row["client_id"]
        self._secret_hash: str = row["client_secret_hash"]
        self.callback_urls: list[str] = callback_urls(row)
        self.scopes: list[str] = row["scopes"].split()
        self.require_secret = bool(row["require_secret"])
        self.require_secret_refresh = bool(row["require_secret_refresh"])
        self.require_pkce = bool(row["require_pkce"])
        self.refresh_rotation = bool(row["refresh_rotation"])
        self.session_timeout_seconds = session_timeout_seconds(row)
        # The secret this request proved, kept for the token's ``signature`` only.
        self.presented_secret: str | None = None

    def __repr__(self) -> str:  # no secret material in reprs
        return f"Client({self.name!r}, client_id={self.client_id[:12]}...)"

    # --- Authlib ClientMixin ------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # Salesforce requires redirect_uri on every request

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.callback_urls  # byte-identical (B-01)

    def get_allowed_scope(self, scope: str | None) -> str:
        # UNCONFIRMED (the Developer Guide's web server flow page does not say): without a
        # scope parameter the app's scopes are granted.
        if not scope:
            return " ".join(self.scopes)
        requested = list(dict.fromkeys(scope.split()))
        extra = [s for s in requested if s not in self.scopes]
        if extra:
            named = " ".join(s for s in extra if _SCOPE_NAME.match(s))
            raise InvalidScopeError(
                f"the app is not configured for the requested scope {named}".strip())
        return " ".join(requested)

    def check_client_secret(self, client_secret: str) -> bool:
        # Compare hashes as bytes: constant time, and a non-ASCII secret is just wrong (B-20).
        return hmac.compare_digest(sha256(client_secret).encode(), self._secret_hash.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:  # noqa: ARG002
        return True  # our own auth functions below enforce the app's settings

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        # refresh_token: whether one is issued depends on the granted scope (tokens.py).
        return grant_type in ("authorization_code", "refresh_token")


def query_client(client_id: str | None) -> Client | None:
    if not client_id or len(client_id) > 255:
        return None
    row = current_app.config["LOCALORG"].store.app_by_client_id(client_id)
    return Client(row) if row else None


def _basic_credentials(headers) -> tuple[str | None, str | None]:
    """Client id and secret from ``Authorization: Basic``, form-url-decoded (RFC 6749 §2.3.1)."""
    auth = headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # binascii.Error, or non-ASCII text (B-20)
        raise SalesforceOAuthError(*CLIENT_CREDENTIALS_INVALID) from None
    user, sep, password = decoded.partition(":")
    return unquote_plus(user), (unquote_plus(password) if sep else None)


def _authenticate(request, secret_required: bool | None):
    basic_id, basic_secret = _basic_credentials(request.headers)
    form_id = request.form.get("client_id") or None
    form_secret = request.form.get("client_secret") or None
    if basic_id is not None and (form_secret or (form_id and form_id != basic_id)):
        # RFC 6749 §2.3: a client must not use more than one authentication method.
        raise InvalidRequestError("use either HTTP Basic or client_secret in the body, not both")
    client_id = basic_id if basic_id is not None else form_id
    client = query_client(client_id)
    if client is None:
        raise SalesforceOAuthError(*CLIENT_ID_INVALID)
    secret = basic_secret if basic_id is not None else form_secret
    if secret is not None:
        if not client.check_client_secret(secret):
            # RFC 6749 says 401 for a failed Basic login; Salesforce is observed answering 400.
            raise SalesforceOAuthError(*CLIENT_CREDENTIALS_INVALID)
        client.presented_secret = secret
        return client
    if secret_required is None:
        grant_type = request.payload.grant_type
        secret_required = (client.require_secret_refresh if grant_type == "refresh_token"
                           else client.require_secret)
    if secret_required:
        raise SalesforceOAuthError(*CLIENT_CREDENTIALS_INVALID)
    return client


def authenticate_per_app(query, request):  # noqa: ARG001 (Authlib's signature)
    """Token endpoint: the secret is required when the app's settings say so."""
    return _authenticate(request, None)


def authenticate_with_secret(query, request):  # noqa: ARG001 (Authlib's signature)
    """Introspection: always the consumer key and secret."""
    return _authenticate(request, True)
