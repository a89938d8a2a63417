"""``/services/oauth2/revoke`` the way Salesforce does it (Salesforce Mobile SDK guide,
"Revoking OAuth Tokens").

Deviations from RFC 7009 / security.md B-25, on purpose (Salesforce's behaviour):
no client authentication; the token may come as a form field or as ``?token=``
(GET, and simple-salesforce's POST with query parameters); an unknown token is
400 ``invalid_token`` instead of 200.
"""

from __future__ import annotations

from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint

from ..errors import SalesforceOAuthError
from ..tokens import find_token, revoke

INVALID_TOKEN = ("invalid_token", "invalid token")  # exact Salesforce text UNCONFIRMED


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS: list[str] = []

    def authenticate_endpoint_client(self, request):  # noqa: ARG002
        return None  # Salesforce: whoever holds a token may revoke it

    def authenticate_token(self, request, client):  # noqa: ARG002
        token = find_token(request.payload.data.get("token"))
        if token is None or token.is_revoked():
            raise SalesforceOAuthError(*INVALID_TOKEN)
        return token

    def create_endpoint_response(self, request):
        revoke(self.authenticate_token(request, None))
        return 200, "", [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
