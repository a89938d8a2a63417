"""Strict JSON request bodies (security.md B-29).

Python's ``json.loads`` accepts ``NaN``/``Infinity``, keeps the last of duplicate keys
and raises ``UnicodeDecodeError`` or ``RecursionError`` instead of ``JSONDecodeError``
for some inputs. Salesforce's parser (Jackson) rejects all of these with
``JSON_PARSER_ERROR``; this module does the same, with Jackson-style messages that end
in ``at [line:L, column:C]``.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError


class JsonBodyError(ApiError):
    """A body that is not strict JSON: 400 JSON_PARSER_ERROR."""

    def __init__(self, message: str):
        super().__init__(400, "JSON_PARSER_ERROR", message)


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"at [line:{line}, column:{column}]"


def _reject_constant(name: str) -> Any:
    raise JsonBodyError(f"Non-standard token '{name}': enable "
                        "JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise JsonBodyError(f"Duplicate field '{key}'")
        obj[key] = value
    return obj


def parse_json(raw: bytes) -> Any:
    """Parse a request body strictly, or raise :class:`JsonBodyError`.

    >>> parse_json(b'{"Name": "Acme"}')
    {'Name': 'Acme'}
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        raise JsonBodyError(f"Invalid UTF-8 start byte 0x{raw[exc.start]:02x} "
                            f"{_position(prefix, len(prefix))}") from None
    text = text.removeprefix("\ufeff")  # Jackson skips a byte order mark
    if not text.strip():
        raise JsonBodyError("No content to map due to end-of-input at [line:1, column:0]")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates,
                           parse_constant=_reject_constant)
        # "\ud800" escapes decode to lone surrogates, which cannot be stored or sent as UTF-8.
        # Only a \u escape can make one (the text itself is valid UTF-8), so a body without
        # any is not serialised again to look.
        if "\\u" in text:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except UnicodeEncodeError:
        raise JsonBodyError("Invalid Unicode: a \\u escape is an unpaired surrogate") from None
    except JsonBodyError:
        raise
    except RecursionError:
        raise JsonBodyError("Document nesting depth exceeds the maximum allowed (1000)") from None
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):  # e.g. an integer of 5000 digits
            raise JsonBodyError("Number value length exceeds the maximum allowed") from None
        raise _decode_error(text, exc) from None


def _decode_error(text: str, exc: json.JSONDecodeError) -> JsonBodyError:
    if exc.pos < len(text):
        ch = text[exc.pos]
        what = f"Unexpected character ('{ch}' (code {ord(ch)}))" if ch.isprintable() \
            else f"Illegal character (code {ord(ch)})"
    else:
        what = "Unexpected end-of-input"
    return JsonBodyError(f"{what}: {exc.msg.lower()} {_position(text, exc.pos)}")

