"""The refresh token grant, with optional rotation (the app's "Enable Refresh Token Rotation").

Without rotation Salesforce returns no new refresh token and the old one stays valid.
With rotation each refresh token works once; presenting a rotated-out one revokes
the whole grant (RFC 9700 §4.14.2, security.md B-23).
"""

from __future__ import annotations

import time

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, grants
from flask import current_app

from ..clients import AUTH_METHOD
from ..errors import TOKEN_EXPIRED, SalesforceOAuthError
from ..tokens import find_token, load_user, revoke_grant


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def _validate_request_token(self, client):
        value = self.request.form.get("refresh_token")
        if not value:
            raise InvalidRequestError("refresh_token is missing")
        token = find_token(value, "refresh")
        if token is None or not token.check_client(client):
            raise SalesforceOAuthError(*TOKEN_EXPIRED)  # unknown, or another app's (B-23)
        if token.is_revoked():
            if client.refresh_rotation and token.code_hash:
                revoke_grant(token.code_hash)
            raise SalesforceOAuthError(*TOKEN_EXPIRED)
        return token

    def _validate_token_scope(self, token):
        scope = self.request.payload.scope
        if scope and not set(scope.split()) <= set(token.scope.split()):
            raise InvalidScopeError("the requested scope is wider than the granted scope")

    def validate_token_request(self):
        super().validate_token_request()
        client, token = self.request.client, self.request.refresh_token
        if client.refresh_rotation:
            store = current_app.config["LOCALORG"].store
            with store.tx() as db:
                claimed = db.execute(
                    "UPDATE oauth_tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
                    (time.time(), token.id)).rowcount
            if not claimed:  # two refreshes raced with the same rotating token
                revoke_grant(token.code_hash)
                raise SalesforceOAuthError(*TOKEN_EXPIRED)

    def issue_token(self, user, refresh_token):
        scope = self.request.payload.scope or refresh_token.get_scope()
        return self.generate_token(user=user, scope=scope,
                                   include_refresh_token=self.request.client.refresh_rotation)

    def authenticate_user(self, refresh_token):
        user = load_user(refresh_token.user_id)
        if user is None:
            raise SalesforceOAuthError("inactive_user", "user is inactive")
        return user

    def revoke_old_credential(self, refresh_token):
        pass  # rotation already revoked it atomically in validate_token_request
