"""One Authlib ``AuthorizationServer`` per Flask app (per host), wired to Salesforce's rules.

Example (what ``oauth.blueprint`` does when the blueprint is registered)::

    server = create_server(app)
    server.create_token_response()   # inside the /services/oauth2/token view
"""

from __future__ import annotations

import json

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Flask, Response, current_app

from .clients import (
    AUTH_METHOD,
    AUTH_METHOD_SECRET,
    authenticate_per_app,
    authenticate_with_secret,
    query_client,
)
from .endpoints.introspection import IntrospectionEndpoint
from .endpoints.revocation import RevocationEndpoint
from .errors import GRANT_TYPE_UNSUPPORTED
from .grants.authorization_code import AuthorizationCodeGrant
from .grants.pkce import SalesforcePkce
from .grants.refresh_token import RefreshTokenGrant
from .tokens import generate_token, save_token

EXTENSION_KEY = "localorg_oauth_server"


class SalesforceAuthorizationServer(AuthorizationServer):
    """Authlib's Flask server with Salesforce's JSON key order and error texts."""

    def handle_response(self, status_code, payload, headers):
        if isinstance(payload, dict):
            # Flask's json sorts keys; Salesforce's token body has a fixed order (observed).
            payload = json.dumps(payload)
        resp = Response(payload, status=status_code, headers=headers)
        resp.headers["Cache-Control"] = "no-store"  # B-21, on success and error alike
        resp.headers["Pragma"] = "no-cache"
        return resp

    def handle_error_response(self, request, error):
        if error.error == "unsupported_grant_type":
            error.description = GRANT_TYPE_UNSUPPORTED[1]
        return super().handle_error_response(request, error)


def create_server(app: Flask) -> SalesforceAuthorizationServer:
    server = SalesforceAuthorizationServer(app, query_client=query_client, save_token=save_token)
    # After init_app, which registers Authlib's default Bearer generator (pitfall B8).
    server.register_token_generator("default", generate_token)
    server.register_client_auth_method(AUTH_METHOD, authenticate_per_app)
    server.register_client_auth_method(AUTH_METHOD_SECRET, authenticate_with_secret)
    server.register_grant(AuthorizationCodeGrant, [SalesforcePkce()])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
    app.extensions[EXTENSION_KEY] = server
    return server


def server() -> SalesforceAuthorizationServer:
    """The authorization server of the current app."""
    return current_app.extensions[EXTENSION_KEY]
