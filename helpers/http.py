"""HTTP sessions for talking to Salesforce or the local orgs: verified TLS, timeouts, a transcript.

Public API (stable; the REST helpers build on it):

* :func:`make_session` - a :class:`TrustedSession` for real orgs (public CAs from certifi)
  or for the local orgs (their CA file only).
* :meth:`TrustedSession.post_form` - a form POST that never follows redirects (token, revoke).
* :data:`DEFAULT_TIMEOUT` - applied to every call that does not pass its own.

::

    session = make_session(ca_bundle=settings.ca_bundle)   # None -> certifi
    session.get("https://127.0.0.1:8702/services/data/")    # verified, with a timeout

Why a subclass: ``requests`` lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace
``Session.verify`` when it is ``True``, and applies ``~/.netrc`` credentials over our
``Authorization`` header. :class:`TrustedSession` sets ``trust_env = False`` (no CA,
proxy or netrc from the environment) and passes its CA file explicitly on every request,
so nothing in the environment can weaken verification (A-25). Behind a proxy, pass
``proxies={"https": "http://proxy:3128"}`` to :func:`make_session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import certifi
import requests

if TYPE_CHECKING:
    from .transcript import Transcript

__all__ = ["DEFAULT_TIMEOUT", "TrustedSession", "make_session"]

# (connect, read) seconds: every call is bounded; Salesforce answers well within this.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)


class TrustedSession(requests.Session):
    """A ``requests.Session`` whose TLS trust and timeout cannot be switched off by accident."""

    def __init__(self, ca_bundle: str | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 transcript: Transcript | None = None,
                 proxies: dict[str, str] | None = None) -> None:
        super().__init__()
        self.trust_env = False
        self.ca_bundle = ca_bundle or certifi.where()
        self.verify = self.ca_bundle
        self.timeout = timeout
        self.transcript = transcript
        if proxies:
            self.proxies.update(proxies)
        self.headers["User-Agent"] = f"sf-web-server-flow-tutorial {self.headers['User-Agent']}"

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any
                ) -> requests.Response:
        if kwargs.get("verify") not in (None, True, self.ca_bundle):
            raise ValueError("TrustedSession always verifies TLS with its own CA bundle; "
                             "create another session for another CA")
        kwargs["verify"] = self.ca_bundle
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = super().request(method, url, *args, **kwargs)
        if self.transcript is not None:
            for hop in (*response.history, response):
                self.transcript.record(hop)
        return response

    def post_form(self, url: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
        """POST ``application/x-www-form-urlencoded`` without following redirects (A-27).

        A 307 would re-send the body (with the client secret) to wherever it points.
        """
        kwargs["allow_redirects"] = False
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return self.post(url, data=data, headers=headers, **kwargs)


def make_session(ca_bundle: str | None = None, *, transcript: Transcript | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 proxies: dict[str, str] | None = None) -> TrustedSession:
    """A session trusting ``ca_bundle`` only (local orgs), or certifi's CAs when None.

    >>> make_session().verify.endswith(".pem")
    True
    """
    return TrustedSession(ca_bundle, timeout=timeout, transcript=transcript, proxies=proxies)
