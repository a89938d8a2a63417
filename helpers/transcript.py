"""A readable record of the HTTP exchanges of the flow, with every secret masked.

Like the raw HTTP view of an OAuth playground::

    transcript = Transcript()
    session = make_session(settings.ca_bundle, transcript=transcript)
    ...                                   # run the flow
    transcript                            # in a notebook: one table per request/response
    print(transcript)                     # plain text

JSON request bodies are shown pretty-printed and JSON answers as JSON (a string answer
keeps its quotes). Masked (never shown in full): ``client_secret``, ``code``,
``code_verifier``, tokens,
``signature``, ``id_token``, passwords, the ``Authorization`` and cookie headers.
A masked value keeps its first 5 and last 4 characters: ``3MVG9…a1B2 (masked)``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

SECRET_FIELDS = frozenset({
    "client_secret", "code", "code_verifier", "access_token", "refresh_token", "token",
    "signature", "id_token", "password", "pw", "oauth_token", "session_id", "sid",
    "client_assertion", "csrf_token",
})
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


def mask(value: str) -> str:
    """Show only enough of a secret to tell two apart.

    >>> mask("3MVG9xxxxxxxxxxxxxxxxa1B2")
    '3MVG9…a1B2 (masked)'
    """
    value = str(value)
    if len(value) < 24:  # too short to reveal 9 characters safely
        return "… (masked)"
    return f"{value[:5]}…{value[-4:]} (masked)"


def mask_header(name: str, value: str) -> str:
    if name.lower() == "location":
        return mask_url(value)
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "basic", "oauth"):
        return f"{scheme} {mask(rest)}"
    return mask(value)


def mask_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, mask(v) if k in SECRET_FIELDS else v) for k, v in pairs]


def mask_json(data: Any) -> Any:
    """A copy of a JSON value with secret fields masked, at any depth."""
    if isinstance(data, dict):
        return {k: (mask(v) if k in SECRET_FIELDS and isinstance(v, str) else mask_json(v))
                for k, v in data.items()}
    if isinstance(data, list):
        return [mask_json(v) for v in data]
    return data


def mask_url(url: str) -> str:
    """The URL with secret query parameters masked (for messages and displays)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = "&".join(f"{k}={v}" for k, v in mask_pairs(parse_qsl(parts.query, True)))
    return urlunsplit(parts._replace(query=query))


@dataclass
class Exchange:
    """One request and its response, already masked (nothing secret is kept)."""

    title: str
    method: str
    url: str
    query: list[tuple[str, str]] = field(default_factory=list)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    json_body: Any = None  # a JSON request body, masked; shown pretty-printed
    has_json_body: bool = False
    status: int | None = None
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: Any = None
    body_is_json: bool = True  # False: ``body`` is a summary of a non-JSON body, not a value

    def body_text(self) -> str:
        # A JSON string answer keeps its quotes: Apex REST's "Success" is the JSON text
        # "Success", and the quotes are what tells it from a plain-text body.
        if isinstance(self.body, str) and not self.body_is_json:
            return self.body
        return json.dumps(self.body, indent=2, ensure_ascii=False)

    def request_body_text(self) -> str:
        return json.dumps(self.json_body, indent=2, ensure_ascii=False)

    def text(self) -> str:
        lines = [f"--- {self.title}", f"{self.method} {self.url}"]
        lines += [f"    {'?' if i == 0 else '&'}{k}={v}" for i, (k, v) in enumerate(self.query)]
        lines += [f"{k}: {v}" for k, v in self.request_headers]
        if self.form:
            lines.append("")
            lines += [f"    {k}={v}" for k, v in self.form]
        if self.has_json_body:
            lines += ["", self.request_body_text()]
        if self.status is not None:
            lines += ["", f"HTTP {self.status} {self.reason}".rstrip()]
            lines += [f"{k}: {v}" for k, v in self.response_headers]
            if self.body is not None:
                body = self.body_text()
                lines += ["", body]
        return "\n".join(lines)

    def html(self) -> str:
        def rows(items: list[tuple[str, str]]) -> str:
            return "".join(f"<tr><td><code>{html.escape(k)}</code></td>"
                           f"<td><code>{html.escape(str(v))}</code></td></tr>" for k, v in items)
        out = [f"<h4>{html.escape(self.title)}</h4>",
               f"<p><b>{html.escape(self.method)}</b> <code>{html.escape(self.url)}</code></p>"]
        for label, items in (("query parameters", self.query),
                             ("request headers", self.request_headers),
                             ("form body", self.form)):
            if items:
                out.append(f"<p>{label}</p><table>{rows(items)}</table>")
        if self.has_json_body:
            out.append(f"<p>JSON body</p><pre>{html.escape(self.request_body_text())}</pre>")
        if self.status is not None:
            out.append(f"<p>response: <b>HTTP {self.status} {html.escape(self.reason)}</b></p>")
            if self.body is not None:
                body = self.body_text()
                out.append(f"<pre>{html.escape(body)}</pre>")
        return "".join(out)


_SHOWN_RESPONSE_HEADERS = ("content-type", "location", "cache-control", "sforce-limit-info")


class Transcript:
    """The exchanges of a flow, in order; displays as HTML in Jupyter and as text elsewhere."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def browser_step(self, title: str, url: str) -> None:
        """Record a step the browser makes (the authorization request, the callback)."""
        parts = urlsplit(url)
        base = urlunsplit(parts._replace(query="", fragment=""))
        self.exchanges.append(Exchange(title, "GET", base,
                                       query=mask_pairs(parse_qsl(parts.query, True))))

    def record(self, response: Any) -> None:
        """Record a ``requests.Response`` and its request (called by TrustedSession)."""
        req = response.request
        parts = urlsplit(req.url)
        form: list[tuple[str, str]] = []
        json_body: Any = None
        has_json_body = False
        body = req.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        ctype = req.headers.get("Content-Type", "")
        if body and "x-www-form-urlencoded" in ctype:
            form = mask_pairs(parse_qsl(body, True))
        elif body and "json" in ctype:
            try:
                json_body, has_json_body = mask_json(json.loads(body)), True
            except ValueError:
                form = [("(body)", f"{len(body)} bytes of {ctype} (not valid JSON)")]
        elif body:
            form = [("(body)", f"{len(body)} bytes of {ctype or 'data'}")]
        body_is_json = True
        try:
            shown: Any = mask_json(response.json())
        except ValueError:  # HTML or text: summarised, since it may embed anything
            ctype_out = response.headers.get("Content-Type", "unknown type")
            shown = f"({len(response.content)} bytes of {ctype_out})" if response.content else None
            body_is_json = False
        self.exchanges.append(Exchange(
            title=f"{req.method} {parts.path}",
            method=req.method,
            url=urlunsplit(parts._replace(query="", fragment="")),
            query=mask_pairs(parse_qsl(parts.query, True)),
            request_headers=[(k, mask_header(k, v)) for k, v in req.headers.items()
                             if k.lower() not in ("user-agent", "accept-encoding", "connection",
                                                  "content-length")],
            form=form,
            json_body=json_body,
            has_json_body=has_json_body,
            status=response.status_code,
            reason=response.reason or "",
            response_headers=[(k, mask_header(k, v)) for k, v in response.headers.items()
                              if k.lower() in _SHOWN_RESPONSE_HEADERS],
            body=shown,
            body_is_json=body_is_json,
        ))

    def clear(self) -> None:
        self.exchanges.clear()

    def __len__(self) -> int:
        return len(self.exchanges)

    def __str__(self) -> str:
        return "\n\n".join(e.text() for e in self.exchanges) or "(no HTTP exchanges yet)"

    def __repr__(self) -> str:
        return f"<Transcript of {len(self.exchanges)} exchange(s)>"

    def _repr_html_(self) -> str:
        if not self.exchanges:
            return "<p>(no HTTP exchanges yet)</p>"
        return "<hr>".join(e.html() for e in self.exchanges)
