"""A scripted learner: completes the local orgs' real login and consent pages over HTTP.

Used where no person is at the keyboard (CI, trainers' dry runs, benchmarks, the
test-suite). It reads the same HTML forms a browser shows, sends the same fields
(including the CSRF token), and stops at the redirect to the client's callback URL,
which it returns instead of following: the caller's callback handling does the rest.
It is the project's one form-driving implementation: the tutorial's scripted mode and
the tests both use it, through ``localorg.ScriptedBrowser``.

    user = ScriptedBrowser(ca_bundle=orgs.ca_bundle)
    callback_url = user.authorize(flow_url, "ben@org-b.localorg.test", "orgB-demo-pass-1")

Pass ``session=`` to keep cookies across logins (a second authorization then skips the
login page, and the consent page when the app was approved already), as a browser does.
It is an HTTP client with no server code, so it needs only ``requests``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

MAX_STEPS = 12


class ScriptedLoginError(RuntimeError):
    """The pages did not lead to the callback; the message quotes what the page said."""


@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, label)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self.text: list[str] = []
        self._button: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "form":
            self.forms.append(_Form(a.get("action", ""), a.get("method", "get").lower()))
        elif self.forms and tag in ("input", "textarea", "select") and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self.forms[-1].buttons.append((a["name"], a.get("value", ""), a.get("value", "")))
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif self.forms and tag == "button":
            self._button = [a.get("name", ""), a.get("value", ""), ""]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "button" and self._button is not None and self.forms:
            name, value, label = self._button
            self.forms[-1].buttons.append((name, value, label.strip()))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2] += data
        if not self._skip and data.strip():
            self.text.append(data.strip())


class ScriptedBrowser:
    """Drives authorize → login → consent like a browser would, without JavaScript."""

    def __init__(self, ca_bundle: str | None = None, timeout: float = 15.0, *,
                 session: requests.Session | None = None):
        if session is None:
            session = requests.Session()
            session.trust_env = False  # the local CA must not be overridden by REQUESTS_CA_BUNDLE
            if ca_bundle:
                session.verify = ca_bundle
        self.http = session
        self.timeout = timeout

    def authorize(self, authorize_url: str, username: str, password: str,
                  decision: str = "allow") -> str:
        """Return the callback URL (with ``code`` or ``error``) the pages redirect to."""
        local = _origin(authorize_url)
        response = self.http.get(authorize_url, allow_redirects=False, timeout=self.timeout)
        logged_in = False
        for _ in range(MAX_STEPS):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                if not _is_local_org_page(target, local):
                    return target  # the redirect to the client's callback: do not follow
                response = self.http.get(target, allow_redirects=False, timeout=self.timeout)
                continue
            page = _PageParser()
            page.feed(response.text)
            form = next((f for f in page.forms if "pw" in f.fields), None)
            if form is not None:
                if logged_in:  # the login page again: the password was refused
                    raise ScriptedLoginError(f"login refused at {_without_query(response.url)}: "
                                             + " ".join(page.text)[:400])
                logged_in = True
                form.fields.update(username=username, pw=password)
                response = self._submit(response.url, form, None)
                continue
            form = next((f for f in page.forms if _choice(f, decision)), None)
            if form is None:
                said = " ".join(page.text)[:400]
                raise ScriptedLoginError(f"HTTP {response.status_code} at "
                                         f"{_without_query(response.url)}: {said}")
            response = self._submit(response.url, form, _choice(form, decision))
        raise ScriptedLoginError(f"no callback after {MAX_STEPS} pages")

    def login(self, page: requests.Response, username: str, password: str) -> requests.Response:
        """Submit the login form shown in ``page`` once; return the answer, not followed
        (one step, for tests that look at each answer of the flow)."""
        parser = _PageParser()
        parser.feed(page.text)
        form = next((f for f in parser.forms if "pw" in f.fields), None)
        if form is None:
            raise ScriptedLoginError(f"no login form at {_without_query(page.url)}")
        form.fields.update(username=username, pw=password)
        return self._submit(page.url, form, None)

    def _submit(self, page_url: str, form: _Form, button: tuple[str, str, str] | None):
        data = dict(form.fields)
        if button and button[0]:
            data[button[0]] = button[1]
        target = urljoin(page_url, form.action or page_url)
        if form.method == "post":
            return self.http.post(target, data=data, allow_redirects=False,
                                  timeout=self.timeout, headers={"Origin": _origin(target)})
        return self.http.get(target, params=data, allow_redirects=False, timeout=self.timeout)


def _choice(form: _Form, decision: str) -> tuple[str, str, str] | None:
    for button in form.buttons:
        if decision.lower() in (button[1].lower(), button[2].lower()):
            return button
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def _is_local_org_page(url: str, origin: str) -> bool:
    # Pages of the host that serves the authorization (login, consent, error) stay in the loop.
    return _origin(url) == origin
