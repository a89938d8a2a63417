"""Small handlers of the REST API: versions, resources, queries, unknown paths."""

from __future__ import annotations

from flask import request

from . import query, versions
from .calls import current, dispatch
from .errors import NOT_FOUND, ApiError, json_response
from .sobjects import describe_global as _describe_global


def check_version(segment: str) -> str:
    """The canonical ``vNN.0`` of a URL segment, or 404 NOT_FOUND."""
    version = versions.resolve(segment)
    if version is None:
        raise ApiError(404, "NOT_FOUND", NOT_FOUND)
    return version


def versions_list():
    """``GET /services/data/``: no authentication, not counted, no limit header."""
    return json_response(versions.all_versions())


def resources():
    return dispatch({"GET": lambda: json_response(versions.resources(current().version))})


def describe_global():
    return dispatch({"GET": _describe_global})


def _query(resource: str):
    call = current()
    if request.args.get("columns", "").lower() == "true":  # the sf CLI's column metadata
        return json_response(query.columns(call.org, request.args.get("q", "")))
    return json_response(query.run_query(
        call.store, call.runtime.rng, call.org, request.args.get("q", ""), call.version,
        resource, query.batch_size(request.headers.get("Sforce-Query-Options"))))


def query_first():
    return dispatch({"GET": lambda: _query("query")})


def query_all_first():
    return dispatch({"GET": lambda: _query("queryAll")})


def _next(locator: str):
    call = current()
    return json_response(query.next_page(call.store, call.org, locator, call.version))


def query_next(locator: str):
    return dispatch({"GET": lambda: _next(locator)})


def unknown(rest: str):  # noqa: ARG001 (any other path under a version)
    raise ApiError(404, "NOT_FOUND", NOT_FOUND)
