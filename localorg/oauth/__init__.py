"""The authorization server: Salesforce's OAuth 2.0 endpoints, built on Authlib.

Every host (login, ORG A, ORG B) serves the same endpoints, like login.salesforce.com
and each org's My Domain. One Authlib server is attached to each host's Flask app.

Routes: ``/`` (login), ``/secur/logout.jsp``, ``/services/oauth2/authorize``,
``/services/oauth2/token``, ``/services/oauth2/revoke``, ``/services/oauth2/introspect``,
``/services/oauth2/userinfo``, ``/id/<orgId>/<userId>``, ``/id/keys``,
``/.well-known/openid-configuration``.
"""

from __future__ import annotations

from flask import Blueprint


def blueprint(host: str) -> Blueprint:
    """Routes of the authorization server for one host."""
    from . import authorize, discovery, id_token, identity, login, token
    from .server import create_server

    bp = Blueprint(f"oauth_{host}", __name__)
    bp.record_once(lambda state: create_server(state.app))
    for module in (login, authorize, token, id_token, identity, discovery):
        module.register(bp)
    return bp
