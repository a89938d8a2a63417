"""The identity URL ``/id/<orgId>/<userId>`` and OIDC ``/services/oauth2/userinfo``.

Both take the access token from ``Authorization: Bearer`` or, as Salesforce documents
for these two endpoints only (Salesforce Help, UserInfo endpoint; Mobile SDK guide,
"Using Identity URLs"), an ``oauth_token`` parameter.
A missing, unknown, expired or revoked token is 403 with the plain-text body
``Bad_OAuth_Token`` - not the REST API's 401 - as Salesforce answers on these endpoints
(observed: reported in jsforce pull request 736, "Refresh accessToken when
salesforce returns 403 Bad Oauth Token", https://github.com/jsforce/jsforce/pull/736, and
handled by Forrest, pull request 286, "Handle Bad_OAuth_Token response",
https://github.com/omniphx/forrest/pull/286). Whether a *missing* token gets the same answer
is UNCONFIRMED; we treat it as a bad one. Another user's identity URL is 403 too, with a JSON
error (our choice).
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, current_app, jsonify, request

from .. import ids
from .models import lookup_access_token
from .tokens import identity_url

API_VERSION = "66.0"


def _rt():
    return current_app.config["LOCALORG"]


def _bearer() -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.values.get("oauth_token") or None


BAD_TOKEN = "Bad_OAuth_Token"  # noqa: S105 (an error text, not a secret)


def _unauthorized() -> Response:
    """Salesforce's answer to an unusable token here: 403 ``Bad_OAuth_Token`` (module doc)."""
    return Response(BAD_TOKEN, status=403, content_type="text/plain;charset=UTF-8")


def _urls(org_key: str, org_id: str, version: str | None) -> dict[str, str]:
    base = _rt().instance_url(org_key)
    org15 = ids.to15(org_id)
    urls = {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org15}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org15}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org15}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "custom_domain": base,
    }
    if version:
        value = API_VERSION if version == "latest" else version
        urls = {k: v.replace("{version}", value) for k, v in urls.items()}
    return urls


def _claims(user) -> dict:
    return {
        "username": user["username"],
        "display_name": f"{user['first_name']} {user['last_name']}",
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "email": user["email"],
        "active": bool(user["active"]),
    }


def identity_view(org_id: str, user_id: str):
    token = lookup_access_token(_rt().store, _bearer() or "")
    if token is None:
        return _unauthorized()
    if not (ids.same_id(org_id, token.org_id) and ids.same_id(user_id, token.user_id)):
        resp = jsonify({"error": "insufficient_scope",
                        "error_description": "this token may only read its own user's identity"})
        resp.status_code = 403
        return resp
    user = _rt().store.user(token.user_id)
    org_key = _rt().org_key_for_id(token.org_id)
    c = _claims(user)
    version = request.args.get("version")
    return jsonify({
        "id": identity_url(token.org_id, token.user_id),
        "asserted_user": True,
        "user_id": token.user_id,
        "organization_id": token.org_id,
        "username": c["username"],
        "nick_name": c["username"].split("@")[0],
        "display_name": c["display_name"],
        "email": c["email"],
        "email_verified": True,
        "first_name": c["first_name"],
        "last_name": c["last_name"],
        "timezone": "America/Los_Angeles",
        "active": c["active"],
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "urls": _urls(org_key, token.org_id, version),
        "is_app_installed": True,
    })


def userinfo_view():
    token = lookup_access_token(_rt().store, _bearer() or "")
    if token is None:
        return _unauthorized()
    user = _rt().store.user(token.user_id)
    org_key = _rt().org_key_for_id(token.org_id)
    c = _claims(user)
    updated = datetime.fromtimestamp(user["created_at"], tz=timezone.utc)
    return jsonify({
        "sub": identity_url(token.org_id, token.user_id),  # UNCONFIRMED; Help UserInfo page checked
        "user_id": token.user_id,
        "organization_id": token.org_id,
        "preferred_username": c["username"],
        "nickname": c["username"].split("@")[0],
        "name": c["display_name"],
        "email": c["email"],
        "email_verified": True,
        "given_name": c["first_name"],
        "family_name": c["last_name"],
        "zoneinfo": "America/Los_Angeles",
        "active": c["active"],
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "is_app_installed": True,
        "urls": _urls(org_key, token.org_id, request.args.get("version")),
    })


def register(bp) -> None:
    bp.add_url_rule("/id/<org_id>/<user_id>", "identity", identity_view, methods=["GET"])
    bp.add_url_rule("/services/oauth2/userinfo", "userinfo", userinfo_view,
                    methods=["GET", "POST"])
