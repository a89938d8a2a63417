"""The API call being answered: its org, API version and authenticated caller.

The blueprint's ``before_request`` builds a :class:`Call` once per request (after the
bearer check), and handlers read it with :func:`current`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, request

from ..store import Store
from .auth import Caller
from .errors import ApiError
from .jsonbody import parse_json

JSON_MIMETYPES = ("application/json",)


@dataclass(frozen=True)
class Call:
    """Example: ``call = current(); call.org["id"], call.version, call.caller.token.user_id``."""

    runtime: Any
    org: dict
    version: str          # canonical "vNN.0" ("" for Apex REST)
    caller: Caller

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def org_key(self) -> str:
        return self.org["key"]

    @property
    def user_id(self) -> str:
        return self.caller.token.user_id


def current() -> Call:
    return g.localorg_call


def json_body(check_type: bool = True) -> Any:
    """The strictly parsed JSON body (B-29); 415 for a non-JSON Content-Type on REST."""
    mimetype = request.mimetype
    if check_type and mimetype and mimetype not in JSON_MIMETYPES \
            and not mimetype.endswith("+json"):
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE",
                       f"Content-Type {mimetype} is not supported here; send the body as JSON "
                       "with Content-Type: application/json")
    return parse_json(request.get_data(cache=True))


def dispatch(handlers: dict[str, Callable[..., Any]], **kwargs: Any) -> Any:
    """Call the handler of this HTTP method, or answer 405 like Salesforce."""
    method = "GET" if request.method == "HEAD" else request.method
    handler = handlers.get(method)
    if handler is None:
        allowed = ",".join(sorted(set(handlers) | ({"HEAD"} if "GET" in handlers else set())))
        raise ApiError(405, "METHOD_NOT_ALLOWED",
                       f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}",
                       headers={"Allow": allowed.replace(",", ", ")})
    return handler(**kwargs)
