"""The WSGI app of one host: the parts (oauth, rest, setup, workshop) composed on ``web``.

This module is the composition root: it imports every part, and no part imports it, so
the parts depend on ``web`` (sessions, pages, proxy) and never on each other's apps.
"""

from __future__ import annotations

import hmac
import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from .web import MAX_BODY_BYTES, log, proxy, sessions
from .web.pages import error_page

STATUS_ID_KEY = "status_id"  # LocalOrg.extra key of the per-server id (server.serve sets it)


def _is_api_path(path: str) -> bool:
    return path.startswith(("/services/data", "/services/apexrest"))


def create_app(runtime, host: str) -> Flask:
    """The WSGI app of one host: ``"login"`` (login.salesforce.com) or an org key."""
    # Authlib logs each token it issues, in full, at DEBUG ("Issue token ..."). The server
    # pins INFO, but an embedder (a test, a notebook) may set the root logger to DEBUG:
    # the "authlib" logger stays at WARNING whatever the root says (B-46).
    logging.getLogger("authlib").setLevel(logging.WARNING)
    app = Flask(__name__.rsplit(".", 1)[0], template_folder="templates",
                static_folder="static", static_url_path="/static")
    app.config.update(LOCALORG=runtime, LOCALORG_HOST=host, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    # Salesforce paths are exact; no implicit slash redirects (a 308 would be followed
    # silently by requests and hide client bugs).
    app.url_map.strict_slashes = False

    from .oauth import blueprint as oauth_blueprint
    app.register_blueprint(oauth_blueprint(host))
    if host != "login":
        from .rest import blueprint as rest_blueprint
        from .setup import blueprint as setup_blueprint
        app.register_blueprint(rest_blueprint(host))
        app.register_blueprint(setup_blueprint(host))
    if host == "login" and runtime.login_tls:
        # serve --expose: /trust, /localorg-ca.pem and the trainer's room page (workshop/)
        from .workshop.room import blueprint as workshop_blueprint
        app.register_blueprint(workshop_blueprint())

    @app.get("/_localorg/status")
    def _status():
        # Anyone who reaches the port may ask (the room, with --expose), so nothing about the
        # machine is said (B-45). localorg.info() proves this is the server of its data folder
        # by sending the per-server id from the 0600 state file: ?server=<id> -> same_server.
        body: dict = {"ok": True, "host": host}
        asked, own = request.args.get("server", ""), runtime.extra.get(STATUS_ID_KEY, "")
        if asked and own:
            body["same_server"] = hmac.compare_digest(asked.encode(), own.encode())
        return jsonify(body)

    app.after_request(sessions.apply_cookie)
    app.after_request(proxy.relative_redirects)  # behind jupyter-server-proxy (proxy.py)
    app.after_request(_security_headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if _is_api_path(request.path):
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_ENTITY_TOO_LARGE",
                    415: "UNSUPPORTED_MEDIA_TYPE"}.get(exc.code or 500, "INVALID_REQUEST")
            resp = jsonify([{"message": exc.description or exc.name, "errorCode": code}])
            resp.status_code = exc.code or 500
            return resp
        return error_page(exc.name, exc.description or "", status=exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # noqa: ARG001 (logged through log.exception)
        # Never a traceback to the client; the server log keeps it (without request bodies).
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api_path(request.path):
            resp = jsonify([{"message": "An unexpected error occurred in the local org. "
                                        "See the server log.", "errorCode": "UNKNOWN_EXCEPTION"}])
            resp.status_code = 500
            return resp
        return error_page("Unexpected error", "The local org hit an internal error. "
                          "See the server log.", status=500)

    app.wsgi_app = proxy.PrefixFromProxy(app.wsgi_app)  # X-Forwarded-Prefix, loopback only
    return app


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        # B-08 anti-framing, B-09 no referrer leakage and no caching of auth pages.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; frame-ancestors 'none'; form-action 'self' http: https:; "
            "base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
    return response
