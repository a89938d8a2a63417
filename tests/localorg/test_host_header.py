"""The plain-HTTP login host answers behind any ``Host`` header (security.md B-37).

jupyter-server-proxy passes the browser's ``Host`` through, so on a real hub the login host
sees ``Host: hub.example.test``. Authlib refuses plain HTTP to a non-loopback host
(``insecure_transport``, RFC 6749 §10.9 / RFC 8252 §7.3 loopback exception), so the server must
judge its transport by its configured, loopback-bound address, never by ``Host``.
"""

from __future__ import annotations

import pytest

from tests.localorg.flow import TOKEN_PATH, authorize, exchange_code, pkce_pair

HOSTS = ["hub.example.test", "hub.example.test:443", "10.0.0.7:8888", "[2001:db8::1]"]


@pytest.mark.parametrize("host", HOSTS)
def test_b37_flow_token_revoke_introspect_behind_foreign_host(orgs, host):
    """B-37: authorize gives a code (no insecure_transport), token/revoke/introspect work."""
    app = orgs.create_app(scopes="api refresh_token")
    s = orgs.session()
    s.headers["Host"] = host
    verifier, challenge = pkce_pair()
    result = authorize(orgs, app.client_id, code_challenge=challenge, session=s)
    assert result.error is None, result.location
    assert result.code
    resp = exchange_code(orgs, app, result.code, verifier, session=s)
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    # The issued URLs are the configured ones, never the Host the client sent.
    assert host.split(":")[0].strip("[]") not in resp.text
    assert tokens["id"].startswith(orgs.login_url)
    intro = s.post(orgs.login_url + "/services/oauth2/introspect",
                   data={"token": tokens["access_token"], "client_id": app.client_id,
                         "client_secret": app.client_secret}, timeout=30)
    assert intro.status_code == 200, intro.text
    assert intro.json()["active"] is True
    revoke = s.post(orgs.login_url + "/services/oauth2/revoke",
                    data={"token": tokens["refresh_token"]}, timeout=30)
    assert revoke.status_code == 200, revoke.text


def test_b37_token_errors_stay_oauth_errors_behind_foreign_host(orgs):
    """B-37, B-22: a bad code behind a foreign Host is invalid_grant, not server_error."""
    app = orgs.create_app()
    s = orgs.session()
    s.headers["Host"] = "hub.example.test"
    resp = s.post(orgs.login_url + TOKEN_PATH,
                  data={"grant_type": "authorization_code", "code": "nope",
                        "client_id": app.client_id, "client_secret": app.client_secret,
                        "redirect_uri": "http://localhost:1717/OauthRedirect"}, timeout=30)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
