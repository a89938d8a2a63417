"""``/.well-known/openid-configuration`` for this host, limited to what we serve; modelled on
https://login.salesforce.com/.well-known/openid-configuration.

No ``registration_endpoint`` (no dynamic registration); ID tokens are RS256 with keys at
``/id/keys`` like Salesforce. ``code_challenge_methods_supported`` is our addition (Salesforce's
document has none) so clients can discover that only S256 is accepted.
"""

from __future__ import annotations

from flask import current_app, jsonify

from ..apps import SUPPORTED_SCOPES


def discovery_view():
    rt = current_app.config["LOCALORG"]
    base = rt.base_url(current_app.config["LOCALORG_HOST"])
    return jsonify({
        "issuer": base,
        "authorization_endpoint": f"{base}/services/oauth2/authorize",
        "token_endpoint": f"{base}/services/oauth2/token",
        "revocation_endpoint": f"{base}/services/oauth2/revoke",
        "userinfo_endpoint": f"{base}/services/oauth2/userinfo",
        "introspection_endpoint": f"{base}/services/oauth2/introspect",
        "jwks_uri": f"{base}/id/keys",
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "display_values_supported": ["page"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["active", "email", "email_verified", "family_name", "given_name",
                             "is_app_installed", "language", "locale", "name", "nickname",
                             "organization_id", "preferred_username", "sub", "updated_at",
                             "urls", "user_id", "user_type", "zoneinfo"],
    })


def register(bp) -> None:
    bp.add_url_rule("/.well-known/openid-configuration", "discovery", discovery_view)
