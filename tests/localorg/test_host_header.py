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


def test_b37_login_behind_a_prefix_and_a_foreign_host_redirects_relatively(orgs):
    """B-37 with jupyter-server-proxy's headers: the login page, the login POST (browser
    ``Origin`` = the hub) and the redirect back to authorize all work, and the redirect is a
    relative reference (proxy.py), never an absolute URL on 127.0.0.1 or on the Host."""
    import re
    from urllib.parse import urlencode

    app = orgs.create_app()
    hub = "hub.example.test"
    prefix = f"/user/ada/proxy/{int(orgs.login_url.rsplit(':', 1)[1])}"
    s = orgs.session()
    s.headers.update({"Host": hub, "X-Forwarded-Prefix": prefix})
    query = urlencode({"response_type": "code", "client_id": app.client_id,
                       "redirect_uri": "http://localhost:1717/OauthRedirect", "state": "st",
                       "code_challenge": pkce_pair()[1], "code_challenge_method": "S256"})
    page = s.get(orgs.login_url + "/services/oauth2/authorize?" + query, timeout=30)
    assert page.status_code == 200 and 'name="pw"' in page.text
    assert f'action="{prefix}/"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    start = re.search(r'name="startURL" value="([^"]*)"', page.text).group(1)
    user = orgs.user("B")
    resp = s.post(orgs.login_url + "/", data={"username": user["username"],
                                             "pw": user["password"], "csrf_token": csrf,
                                             "startURL": start.replace("&amp;", "&")},
                  headers={"Origin": f"https://{hub}"}, allow_redirects=False, timeout=30,
                  # the cookie's Path is the prefix, which the proxy strips: send it as is
                  cookies=dict(page.cookies.items()))
    assert resp.status_code == 302, (resp.status_code, re.findall(r"<p[^>]*>([^<]*)<", resp.text))
    location = resp.headers["Location"]
    assert location.startswith("services/oauth2/authorize?"), location
    assert "127.0.0.1" not in location and hub not in location
