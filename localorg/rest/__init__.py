"""REST API of the instance hosts: /services/data and /services/apexrest.

``blueprint(host)`` serves, for ORG A and ORG B:

* ``GET /services/data/`` (versions, no auth) and ``/services/data/vXX.X/`` (resources)
* ``sobjects``, ``sobjects/Account/`` (+ ``describe``, ``<id>``, ``<extField>/<value>``)
* ``sobjects/User/`` and ``sobjects/Organization/`` (+ ``describe``, ``<id>``), read-only
  (readonly.py, users.py, organization.py)
* ``query/?q=`` (+ ``&columns=true``), ``queryAll/?q=`` and their ``01g...-N`` next pages
* ``composite/sobjects`` (+ ``/Account``, ``/Account/<extField>``), ``limits/``
* ``/services/apexrest/...`` (services in ORG B only)

Every call except the version list needs ``Authorization: Bearer <token>`` of this org,
counts against the org's daily API requests and carries ``Sforce-Limit-Info``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from ..web.context import host_org

# These register their tables, and (organization, users) their read-only sObjects.
from . import auth, faults, organization, query, records, users  # noqa: F401


def blueprint(host: str) -> Blueprint:
    """The REST routes of an instance host (``"A"`` or ``"B"``)."""
    from . import apexrest, composite, limits, routes, sobjects
    from .calls import Call
    from .errors import ApiError

    bp = Blueprint(f"rest_{host}", __name__)
    data = "/services/data/<version>"
    any_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

    def add(rule: str, endpoint: str, view, methods=None) -> None:
        bp.add_url_rule(rule, endpoint, view, methods=methods or any_method)

    add("/services/data", "versions_list", routes.versions_list, ["GET", "HEAD"])
    add(data, "resources", routes.resources)
    add(f"{data}/sobjects", "describe_global", routes.describe_global)
    add(f"{data}/sobjects/<sobject>", "sobject", sobjects.sobject_root)
    add(f"{data}/sobjects/<sobject>/describe", "describe", sobjects.describe_sobject)
    add(f"{data}/sobjects/<sobject>/<record_id>", "record", sobjects.record)
    add(f"{data}/sobjects/<sobject>/<field>/<path:value>", "external", sobjects.by_external_id)
    add(f"{data}/query", "query", routes.query_first)
    add(f"{data}/queryAll", "query_all", routes.query_all_first)
    add(f"{data}/query/<locator>", "query_next", routes.query_next)
    add(f"{data}/queryAll/<locator>", "query_all_next", routes.query_next)
    add(f"{data}/composite/sobjects", "collection", composite.collection)
    add(f"{data}/composite/sobjects/<sobject>", "collection_of", composite.collection_of)
    add(f"{data}/composite/sobjects/<sobject>/<field>", "upsert_collection",
        composite.upsert_collection)
    add(f"{data}/limits", "limits", limits.limits)
    add(f"{data}/<path:rest>", "unknown", routes.unknown)
    add("/services/apexrest", "apex_root", apexrest.apex_rest)
    add("/services/apexrest/<path:path>", "apex", apexrest.apex_rest)

    # Injected faults (tests only, B-35) answer before authentication, so register them first.
    faults.install(bp)

    @bp.before_request
    def _authenticate():
        if request.endpoint == f"{bp.name}.versions_list":
            return None
        rt = current_app.config["LOCALORG"]
        version = ""
        if request.path.startswith("/services/data/"):
            # Handlers read the version from the Call, not from their arguments.
            version = routes.check_version((request.view_args or {}).pop("version", ""))
        org = host_org()
        g.localorg_call = Call(rt, org, version, auth.authenticate(rt.store, org))
        return None

    @bp.after_request
    def _limit_header(response):
        call = g.get("localorg_call")
        if call is not None:
            response.headers[auth.LIMIT_HEADER] = call.caller.limit_header
        return response

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return exc.response()

    return bp
