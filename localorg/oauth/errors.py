"""Salesforce's OAuth error codes and texts, and the two ways they reach the browser.

Token-style errors are Authlib ``OAuth2Error`` objects (JSON 400 bodies). At the
authorize endpoint an error goes back to the client's callback only once the client
and its redirect URI are known to be valid (security.md B-02); before that the browser
gets an HTML error page and no ``Location`` header.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import redirect

from ..web.pages import error_page

# Texts observed on the wire, as quoted in public bug reports (docs/security.md, section 6);
# the codes are those of Salesforce Help, "OAuth 2.0 Authorization Errors".
CLIENT_ID_INVALID = ("invalid_client_id", "client identifier invalid")
CLIENT_CREDENTIALS_INVALID = ("invalid_client", "invalid client credentials")
REDIRECT_MISMATCH = ("redirect_uri_mismatch", "redirect_uri must match configuration")
REDIRECT_MISSING = ("redirect_uri_missing", "redirect_uri must be provided")
# A Local External Client App refuses users of other orgs with this text (observed: unified.to,
# "SalesForce (External Client Apps) on Multiple Organizations", April 2026,
# https://unified.to/blog/salesforce_external_client_apps_on_multiple_organizations). A connected
# app says "app must be installed into org" instead; our apps are External Client Apps. The
# error code is UNCONFIRMED: we keep the connected apps' invalid_client.
CROSS_ORG = ("invalid_client",
             "Cross-org OAuth flows are not supported for this external client app")
GRANT_TYPE_UNSUPPORTED = ("unsupported_grant_type", "grant type not supported")
CODE_EXPIRED = ("invalid_grant", "expired authorization code")
TOKEN_EXPIRED = ("invalid_grant", "expired access/refresh token")
# UNCONFIRMED: the Developer Guide's web server flow page says invalid_request for a
# mismatch; Salesforce support calls it "Invalid Code Verifier" (n8n issue 32421);
# we answer invalid_grant for a missing, wrong or unexpected verifier (RFC 7636 §4.6).
VERIFIER_INVALID = ("invalid_grant", "invalid code verifier")
# The app requires PKCE and the authorization request has no code_challenge: Salesforce shows
# this on its error page itself and does not redirect to the callback (observed; the project's
# real-org reports). Salesforce Help, "OAuth 2.0 Authorization Errors" lists the code.
PKCE_MISSING = ("invalid_request", "missing required code challenge")
DENIED = ("access_denied", "end-user denied authorization")
IMMEDIATE_FAILED = ("immediate_unsuccessful", "immediate unsuccessful")  # text UNCONFIRMED


class SalesforceOAuthError(OAuth2Error):
    """An OAuth error with Salesforce's exact ``error`` and ``error_description``.

    Example::

        raise SalesforceOAuthError(*CLIENT_ID_INVALID)
    """

    def __init__(self, error: str, description: str, status_code: int = 400):
        super().__init__(description=description, error=error, status_code=status_code)


# What a learner should do about each error page (shown above the raw error).
_PAGE_HINTS = {
    "invalid_client_id": "This org does not know the app's Consumer Key (client_id). Copy it "
                         "again from Setup > External Client App Manager, and check that you "
                         "use the org where the app was created.",
    "redirect_uri_missing": "The request has no redirect_uri. Send the app's Callback URL.",
    "redirect_uri_mismatch": "The redirect_uri must be exactly, character for character, one "
                             "of the app's Callback URLs (scheme, host, port, path, trailing "
                             "slash). Fix the URL or the app's Callback URL setting.",
    "invalid_client": "The app was created in another org. Log in with a user of the app's "
                      "org (or use that org's login URL), or create the app in this org.",
    "invalid_request": "A parameter appears more than once in the authorization URL. Send "
                       "each parameter once.",
}


# Hints for one (error, description) pair, where the error code alone says too little.
_DESCRIPTION_HINTS = {
    PKCE_MISSING: "This app requires PKCE, and the request has no code_challenge. The "
                  "application must send code_challenge (the S256 hash of a fresh code "
                  "verifier) and code_challenge_method=S256 in the authorization URL.",
}


def authorize_error_page(error: str, description: str, status: int = 400):
    """The HTML page Salesforce shows (RemoteAccessErrorPage) instead of redirecting."""
    return error_page(
        "We can't authorize you because of an OAuth error",
        _DESCRIPTION_HINTS.get((error, description)) or _PAGE_HINTS.get(
            error, "The application that sent you here is not set up correctly."),
        status=status, error=error, error_description=description,
    )


def client_redirect_url(redirect_uri: str, params: list[tuple[str, str]]) -> str:
    """The (already validated) callback plus form-encoded parameters (``+``, ``%3D``)."""
    sep = "&" if "?" in redirect_uri else "?"
    return redirect_uri + sep + urlencode(params)


def redirect_to_client(redirect_uri: str, params: list[tuple[str, str]]):
    """302 to the callback, like Salesforce (never 307, B-11)."""
    return redirect(client_redirect_url(redirect_uri, params), code=302)


def redirect_error(redirect_uri: str, error: str, description: str | None, state: str | None):
    params = [("error", error)]
    if description:
        params.append(("error_description", description))
    if state:
        params.append(("state", state))
    return redirect_to_client(redirect_uri, params)


def safe_description(text: str) -> str:
    """Drop characters RFC 6749 forbids in error_description (Authlib raises on them)."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
