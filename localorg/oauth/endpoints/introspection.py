"""``/services/oauth2/introspect`` (RFC 7662), client authenticated by Basic or form.

A client may introspect only tokens issued to itself; others, unknown, expired and
revoked tokens all give ``{"active": false}``. The field set is RFC 7662's
(Salesforce's exact set is UNCONFIRMED: its discovery document names only the endpoint).
"""

from __future__ import annotations

from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from flask import current_app

from ..clients import AUTH_METHOD_SECRET
from ..tokens import find_token, identity_url


class IntrospectionEndpoint(_IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = [AUTH_METHOD_SECRET]

    def query_token(self, token_string, token_type_hint):  # noqa: ARG002 (hint: any kind)
        return find_token(token_string)

    def check_permission(self, token, client, request):  # noqa: ARG002
        return token.check_client(client)

    def introspect_token(self, token):
        store = current_app.config["LOCALORG"].store
        app = store.one("SELECT client_id FROM apps WHERE id=?", (token.app_id,))
        user = store.user(token.user_id)
        claims = {
            "active": True,
            "scope": token.scope,
            "client_id": app["client_id"],
            "username": user["username"],
            "sub": identity_url(token.org_id, token.user_id),
            "token_type": f"{token.kind}_token",
            "exp": int(token.expires_at) if token.expires_at else None,
            "iat": int(token.issued_at),
            "nbf": int(token.issued_at),
        }
        return {k: v for k, v in claims.items() if v is not None}  # refresh tokens: no exp
