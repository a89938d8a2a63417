"""The authorization code grant: Salesforce-shaped codes, 15-minute lifetime, single use.

Authlib checks neither expiry nor reuse; both are here. A code is claimed with one
atomic UPDATE after every other check passed (client, redirect URI, PKCE), so 20
concurrent redemptions give exactly one token (B-15), and only an otherwise valid
replay revokes the tokens the code produced (B-14).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import grants
from flask import current_app

from ...store import sha256
from ..clients import AUTH_METHOD
from ..errors import CODE_EXPIRED, REDIRECT_MISMATCH, SalesforceOAuthError, client_redirect_url
from ..id_token import add_id_token
from ..models import CODE_LIFETIME_SECONDS
from ..tokens import load_user, new_code, revoke_grant


@dataclass
class CodeRecord:
    code_hash: str
    app_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce


def _store():
    return current_app.config["LOCALORG"].store


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def generate_authorization_code(self) -> str:
        return new_code()

    def save_authorization_code(self, code, request):
        challenge = request.payload.data.get("code_challenge") or None
        ts = time.time()
        with _store().tx() as db:
            db.execute(
                "INSERT INTO oauth_codes(code_hash, app_id, user_id, org_id, redirect_uri, scope,"
                " code_challenge, code_challenge_method, nonce, created_at, expires_at)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (sha256(code), request.client.app_id, request.user.id, request.user.org_id,
                 request.payload.redirect_uri, request.scope, challenge,
                 "S256" if challenge else None, request.payload.data.get("nonce") or None,
                 ts, ts + CODE_LIFETIME_SECONDS))

    def create_authorization_response(self, redirect_uri, grant_user):
        if not grant_user:
            return super().create_authorization_response(redirect_uri, grant_user)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return 302, "", [("Location", client_redirect_url(redirect_uri, params))]

    def query_authorization_code(self, code, client):
        """The code if it exists, belongs to this client and has not expired.

        Never-issued, expired, reused and other-client codes all get Salesforce's
        "expired authorization code" (UNCONFIRMED for never-issued; one answer leaks
        nothing, B-22).
        """
        row = None
        if code and len(code) <= 512:
            row = _store().one("SELECT * FROM oauth_codes WHERE code_hash=?", (sha256(code),))
        if row is None or row["app_id"] != client.app_id or row["expires_at"] <= time.time():
            raise SalesforceOAuthError(*CODE_EXPIRED)
        if self.request.payload.redirect_uri != row["redirect_uri"]:
            raise SalesforceOAuthError(*REDIRECT_MISMATCH)  # B-17
        return CodeRecord(row["code_hash"], row["app_id"], row["user_id"], row["redirect_uri"],
                          row["scope"], row["code_challenge"], row["code_challenge_method"],
                          row["nonce"])

    def validate_token_request(self):
        super().validate_token_request()  # client, code, redirect URI, then PKCE hooks
        code = self.request.authorization_code
        with _store().tx() as db:
            claimed = db.execute(
                "UPDATE oauth_codes SET used_at=? WHERE code_hash=? AND used_at IS NULL",
                (time.time(), code.code_hash)).rowcount
        if not claimed:
            revoke_grant(code.code_hash)  # RFC 6749 §4.1.2: revoke what the code produced
            raise SalesforceOAuthError(*CODE_EXPIRED)

    def generate_token(self, *args, **kwargs):
        token = super().generate_token(*args, **kwargs)
        if "openid" in token["scope"].split():
            code = self.request.authorization_code
            token = add_id_token(token, self.request.client, kwargs["user"], code.nonce)
        return token

    def delete_authorization_code(self, authorization_code):
        pass  # kept, marked used: a replay must be recognised (B-14)

    def authenticate_user(self, authorization_code):
        return load_user(authorization_code.user_id)
