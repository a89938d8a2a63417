"""``/services/oauth2/token``, ``/revoke`` and ``/introspect``: HTTP checks, then Authlib.

Salesforce answers a body that is not form-encoded (e.g. JSON) with
``unsupported_grant_type`` (observed: github.com/omniphx/forrest/issues/145). Client
credentials in the URL are refused (RFC 6749 §2.3.1, B-19).
"""

from __future__ import annotations

import functools
import logging

from flask import request

from .errors import GRANT_TYPE_UNSUPPORTED, SalesforceOAuthError
from .server import server

FORM = "application/x-www-form-urlencoded"
log = logging.getLogger("localorg")


def _json_errors(view):
    """An unexpected failure is still a JSON OAuth error, never HTML or a traceback (B-22)."""
    @functools.wraps(view)
    def wrapper():
        try:
            return view()
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return _error("server_error", "the local org hit an internal error; "
                          "see the server log", 500)
    return wrapper


def _error(error: str, description: str, status: int = 400):
    return server().handle_error_response(None, SalesforceOAuthError(error, description, status))


@_json_errors
def token_view():
    if request.method != "POST":
        return _error("invalid_request", "the token endpoint only accepts POST", 405)
    if request.mimetype != FORM:
        return _error(*GRANT_TYPE_UNSUPPORTED)
    if "client_secret" in request.args:
        return _error("invalid_request",
                      "client_secret must not be sent in the URL; put it in the POST body")
    return server().create_token_response()


@_json_errors
def revoke_view():
    return server().create_endpoint_response("revocation")


@_json_errors
def introspect_view():
    if request.mimetype != FORM:
        return _error("invalid_request", "send the token as a form-encoded POST body")
    return server().create_endpoint_response("introspection")


def register(bp) -> None:
    bp.add_url_rule("/services/oauth2/token", "token", token_view, methods=["GET", "POST"])
    bp.add_url_rule("/services/oauth2/revoke", "revoke", revoke_view, methods=["GET", "POST"])
    bp.add_url_rule("/services/oauth2/introspect", "introspect", introspect_view,
                    methods=["POST"])
