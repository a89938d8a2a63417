"""One Authlib ``AuthorizationServer`` per Flask app (per host), wired to Salesforce's rules.

Example (what ``oauth.blueprint`` does when the blueprint is registered)::

    server = create_server(app)
    server.create_token_response()   # inside the /services/oauth2/token view
"""

from __future__ import annotations

import json

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import (
    FlaskJsonPayload,
    FlaskJsonRequest,
    FlaskOAuth2Payload,
    FlaskOAuth2Request,
)
from authlib.oauth2.rfc6749 import JsonRequest, OAuth2Request
from flask import Flask, Response, current_app
from flask import request as flask_request

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


def configured_url() -> str:
    """This request's URL on the host's configured address, never from the ``Host`` header.

    Example: on the login host of port base 18000, a POST to ``/services/oauth2/token`` with
    ``Host: hub.example.test`` gives ``"http://127.0.0.1:18000/services/oauth2/token"``.
    """
    rt = current_app.config["LOCALORG"]
    base = rt.base_url(current_app.config["LOCALORG_HOST"])
    query = flask_request.query_string.decode("latin-1")
    return base + flask_request.path + ("?" + query if query else "")


# Authlib refuses a request whose URL is plain HTTP on a non-loopback host
# ("insecure_transport"), and Flask builds that URL from the ``Host`` header. Behind
# jupyter-server-proxy (which passes the browser's ``Host`` through), or with any other
# ``Host``, the plain-HTTP login host refused everything: token/revoke/introspect answered
# 500, authorize redirected with error=insecure_transport. The login host is bound to
# loopback unless --expose, where it speaks HTTPS, so its *configured* URL is the honest
# statement of its transport; that is the URL Authlib sees (issue 10, B-37).
class _ConfiguredOAuth2Request(FlaskOAuth2Request):
    def __init__(self, req):  # FlaskOAuth2Request.__init__ with the configured URL
        OAuth2Request.__init__(self, method=req.method, uri=configured_url(),
                               headers=req.headers)
        self._request = req
        self.payload = FlaskOAuth2Payload(req)


class _ConfiguredJsonRequest(FlaskJsonRequest):
    def __init__(self, req):
        JsonRequest.__init__(self, req.method, configured_url(), req.headers)
        self.payload = FlaskJsonPayload(req)


class SalesforceAuthorizationServer(AuthorizationServer):
    """Authlib's Flask server with Salesforce's JSON key order and error texts."""

    def create_oauth2_request(self, request):  # noqa: ARG002 (Flask's request is global)
        return _ConfiguredOAuth2Request(flask_request)

    def create_json_request(self, request):  # noqa: ARG002
        return _ConfiguredJsonRequest(flask_request)

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
