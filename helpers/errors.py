"""Every error the client side of the flow can raise, with what happened and what to do.

All of them derive from :class:`SalesforceOAuthError`, so a notebook can catch one type::

    try:
        token = client.exchange_code(grant)
    except SalesforceOAuthError as exc:
        print(exc)          # a sentence a learner can act on, never a secret

Rule for this module (security.md A-28): messages, ``args`` and attributes carry error
codes, descriptions from Salesforce, variable names, ports and URLs without query
strings - never a code, token, verifier or client secret.
"""

from __future__ import annotations

from typing import Any

# What a Salesforce OAuth error code usually means on the tutorial's path, and the fix.
# Keys are the `error` values Salesforce sends (Salesforce Help, "OAuth 2.0 Authorization
# Errors", and answers observed in public bug reports); a few are refined by the
# error_description in `explain()`.
EXPLANATIONS: dict[str, str] = {
    "redirect_uri_mismatch": (
        "the callback URL must match the app's Callback URL exactly (scheme, host, port, "
        "path, trailing slash): compare SF_CALLBACK_URL with the app's OAuth settings, and "
        "use the same redirect_uri in the authorization request and the token request"),
    "redirect_uri_missing": (
        "the authorization request has no redirect_uri: set SF_CALLBACK_URL"),
    "invalid_client_id": (
        "Salesforce does not know this consumer key: check SF_CLIENT_ID (copy it again from "
        "the app's 'Consumer Key and Secret' page). Right after creating or editing an app, "
        "real orgs need 2-10 minutes before the key works: wait and start the login again"),
    "invalid_client": (
        "the client credentials were refused: SF_CLIENT_SECRET is wrong or missing (copy the "
        "consumer secret again), or the app must be installed into the org / your user "
        "needs permission to use it"),
    "invalid_grant": (
        "the authorization code or refresh token was refused: codes are single use and live "
        "15 minutes, so start the login again"),
    "access_denied": (
        "the user clicked Deny on the consent page (or is not allowed to use the app): start "
        "the login again and click Allow"),
    "unsupported_grant_type": (
        "the token request was not a form-encoded POST over https with a known grant_type"),
    "unsupported_response_type": (
        "the authorization request must use response_type=code for the web server flow"),
    "invalid_request": (
        "the request was malformed, or the PKCE code_verifier does not match the "
        "code_challenge: start the login again with a new flow"),
    "invalid_scope": (
        "a requested scope is not enabled on the app: compare SF_SCOPES with the app's "
        "OAuth scopes"),
    "unauthorized_client": (
        "the app is not allowed to use this flow: enable the authorization code flow in the "
        "app's OAuth settings"),
    "immediate_unsuccessful": (
        "immediate=true was sent but the user must log in or approve first"),
    "inactive_user": "the user is inactive: ask an admin to activate the user",
    "inactive_org": "the org is inactive or locked",
    "rate_limit_exceeded": "too many login attempts: wait a few minutes and try again",
    "server_error": "the authorization server hit an error: try again in a moment",
    "temporarily_unavailable": "the authorization server is busy: try again in a moment",
    "invalid_token": "the token is unknown, expired or already revoked",
    "unsupported_token_type": "the revocation endpoint does not accept this kind of token",
}

# Finer explanations keyed on (error, error_description) pairs observed on the wire.
_BY_DESCRIPTION: dict[tuple[str, str], str] = {
    ("invalid_grant", "expired authorization code"): (
        "the authorization code was already used or is older than 15 minutes (codes are "
        "single use): start the login again"),
    ("invalid_grant", "authentication failure"): (
        "Salesforce refused the grant (wrong code_verifier, user login restrictions or an "
        "IP/login-hours policy): start the login again"),
    ("invalid_grant", "invalid code verifier"): (
        "the PKCE code_verifier does not match the code_challenge of the authorization "
        "request (or is missing): exchange the code with the verifier of the same flow, or "
        "start the login again with a new flow"),
    ("invalid_grant", "expired access/refresh token"): (
        "the refresh token expired or was revoked: log in again"),
    ("invalid_client", "cross-org oauth flows are not supported for this external client app"): (
        "this External Client App belongs to another org than the user who logged in (a Local "
        "app only serves its own org's users): log in with a user of the org where the app "
        "was created (check SF_LOGIN_URL: ORG B's login or My Domain), or create the app in "
        "this org"),
    ("invalid_client", "app must be installed into org"): (
        "the app is not installed in this org and your user may not use uninstalled apps: "
        "install the app or give the user 'Approve Uninstalled Connected Apps'"),
    ("invalid_client", "invalid client credentials"): (
        "the consumer secret is wrong: copy SF_CLIENT_SECRET again from the app's "
        "'Consumer Key and Secret' page"),
}


# Unhandled Apex exceptions: an Apex REST service answers 500 APEX_ERROR with a message that
# starts with the exception type (``System.JSONException: ...``). What each usually means for
# the tutorial's services, and the fix. Sources: Apex Reference Guide, JSON Class
# (JSON.deserialize throws System.JSONException); Apex Developer Guide, "Execution Governors
# and Limits" (10,000 DML rows per transaction; System.LimitException cannot be caught).
APEX_EXCEPTIONS: dict[str, str] = {
    "System.JSONException": (
        "the service could not turn the body into its list of Accounts (it calls "
        "JSON.deserialize itself, outside its try block, so the mistake becomes a 500): send "
        "a JSON array of objects such as [{\"Name\": \"Acme\"}] - not a single object, "
        "not a string, no NaN - with Content-Type: application/json. Nothing was saved"),
    "System.LimitException: Too many DML rows": (
        "one request may insert at most 10,000 records (Apex's DML row limit per "
        "transaction), and the limit cannot be caught: nothing was saved. Send smaller "
        "batches, or use sync_accounts(), which sends 200 at a time"),
    "System.LimitException": (
        "the service hit an Apex governor limit and was stopped; nothing it did in this "
        "request was saved: send less per request"),
}


def explain_apex(message: str) -> str | None:
    """What an unhandled Apex exception (``APEX_ERROR``) means, from its message; None when
    the exception is not one the tutorial's services are known to throw.

    >>> explain_apex("System.LimitException: Too many DML rows: 10001")[:40]
    'one request may insert at most 10,000 re'
    """
    for prefix, why in APEX_EXCEPTIONS.items():  # longest prefixes are listed first
        if message.startswith(prefix):
            return why
    return None


def explain(error: str, description: str | None = None) -> str:
    """The likely cause and fix for a Salesforce OAuth error code.

    >>> explain("invalid_grant", "expired authorization code")[:40]
    'the authorization code was already used '
    """
    key = (error or "", (description or "").strip().lower())
    if key in _BY_DESCRIPTION:
        return _BY_DESCRIPTION[key]
    return EXPLANATIONS.get(error or "", f"Salesforce reported the OAuth error {error!r}")


class SalesforceOAuthError(Exception):
    """Base class: something in the OAuth flow failed; ``str(exc)`` says what to do."""


class ConfigurationError(SalesforceOAuthError):
    """A setting is missing or malformed; the message names the variable and the fix."""


class StateMismatchError(SalesforceOAuthError):
    """The callback's ``state`` is missing, wrong or already used (possible CSRF; A-02/A-03)."""


class CallbackError(SalesforceOAuthError):
    """The callback URL is malformed (no code, repeated parameters, wrong address; A-14)."""


class AuthorizationError(SalesforceOAuthError):
    """Salesforce redirected back with ``error=…`` instead of a code (A-13)."""

    def __init__(self, error: str, error_description: str | None = None) -> None:
        self.error = error
        self.error_description = error_description
        desc = f" ({error_description})" if error_description else ""
        why = explain(error, error_description)
        super().__init__(f"authorization failed: {error}{desc}: {why}")


class AuthorizationDenied(AuthorizationError):
    """The user clicked Deny (``error=access_denied``)."""


class CallbackTimeout(SalesforceOAuthError):
    """No callback arrived in time (A-12); the listener is closed and its port free."""


class CallbackPortInUse(SalesforceOAuthError):
    """The callback port is taken by another program (A-09); never silently moved."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.port = port
        super().__init__(
            f"port {port} on {host} is already in use, so the callback listener cannot start. "
            f"Close the program using it (another notebook's listener, or `sf org login web`, "
            f"which also uses 1717), or register another Callback URL on the app and set "
            f"SF_CALLBACK_URL to it; the port must match the app's Callback URL exactly")


class TokenRequestError(SalesforceOAuthError):
    """The token (or revoke) endpoint refused the request or answered something unusable."""

    def __init__(self, error: str, error_description: str | None = None,
                 status: int | None = None, hint: str | None = None) -> None:
        self.error = error
        self.error_description = error_description
        self.status = status
        desc = f" ({error_description})" if error_description else ""
        http = f"HTTP {status} " if status is not None else ""
        super().__init__(f"token request failed: {http}{error}{desc}: "
                         f"{hint or explain(error, error_description)}")


class InvalidSignatureError(SalesforceOAuthError):
    """The token response's ``signature`` does not match HMAC-SHA256(secret, id + issued_at)."""


class UntrustedInstanceError(SalesforceOAuthError):
    """A URL from Salesforce is not a host a bearer token may be sent to (A-19, A-26)."""


class ReauthRequired(SalesforceOAuthError):
    """The refresh token is gone or refused: the user must log in again (A-22)."""


class ApiError(SalesforceOAuthError):
    """A REST call failed; carries Salesforce's ``errorCode`` and ``message`` (REST API
    Developer Guide, "Status Codes and Error Responses")."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        super().__init__(f"HTTP {status} {error_code}: {message}")

    @classmethod
    def from_response(cls, response: Any) -> ApiError:
        """Build from a ``requests.Response`` with Salesforce's ``[{"message", "errorCode"}]``."""
        code, message = "UNKNOWN", (getattr(response, "reason", "") or "no details")
        try:
            body = response.json()
        except ValueError:
            body = None
            if response.text.strip() == "Bad_OAuth_Token":  # identity URL, userinfo: 403
                return cls(response.status_code, "Bad_OAuth_Token", "the access token is "
                           "expired or revoked: refresh it or log in again")
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else body
        if isinstance(first, dict):
            code = str(first.get("errorCode") or first.get("error") or code)
            message = str(first.get("message") or first.get("error_description") or message)
        return cls(response.status_code, code, message)
