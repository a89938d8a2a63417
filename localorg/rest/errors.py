"""Salesforce's REST error envelope: a JSON array of ``{"message", "errorCode"[, "fields"]}``.

Handlers raise :class:`ApiError`; the blueprint turns it into the response, so every
failure a client can hit has Salesforce's shape (REST API Developer Guide, "Status Codes
and Error Responses") and never a traceback.
"""

from __future__ import annotations

import json

from flask import Response

JSON_TYPE = "application/json;charset=UTF-8"

# Texts from "Status Codes and Error Responses" (REST API Developer Guide) and observed.
SESSION_INVALID = "Session expired or invalid"
SCOPE_MISSING = ("This session is not valid for use with the specified REST API endpoint. "
                 "One of the following scopes is required: Manage user data via APIs, "
                 "Full access")
NOT_FOUND = "The requested resource does not exist"
LIMIT_EXCEEDED = "TotalRequests Limit exceeded."


class ApiError(Exception):
    """An error answer of the REST API or Apex REST.

    Example::

        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    """

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}

    def body(self) -> list[dict]:
        item: dict = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def response(self) -> Response:
        resp = json_response(self.body(), self.status)
        resp.headers.update(self.headers)
        return resp


def json_response(body, status: int = 200) -> Response:
    """A JSON response with Salesforce's content type (no ASCII escaping, like Salesforce)."""
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=None,
                    content_type=JSON_TYPE)


def save_error(code: str, message: str, fields: list[str] | None = None) -> dict:
    """An error inside a SaveResult: sObject Collections use ``statusCode`` (observed)."""
    return {"statusCode": code, "message": message, "fields": fields or []}
