"""The callback: parsing, the one-shot loopback listener (security.md A-02, A-03, A-07 … A-16)."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from helpers.errors import (
    AuthorizationDenied,
    AuthorizationError,
    CallbackError,
    CallbackPortInUse,
    CallbackTimeout,
    ConfigurationError,
    StateMismatchError,
)
from helpers.oauth.authorize import AuthorizationFlow
from helpers.oauth.callback import CallbackListener, complete_callback, parse_callback_url
from localorg import free_port_base
from tests.client import wire


def make_flow(redirect_uri: str = "http://localhost:1717/OauthRedirect") -> AuthorizationFlow:
    return AuthorizationFlow("https://login.salesforce.com", "3MVG9Key", redirect_uri)


def state_of(flow: AuthorizationFlow) -> str:
    return parse_qs(urlsplit(flow.authorization_url).query)["state"][0]


# -- parsing (both ways share it) -------------------------------------------------------

@pytest.mark.parametrize("encoded, decoded", [
    (wire.CODE_ENCODED, wire.CODE_DECODED),
    (wire.CODE_ONE_PAD_ENCODED, wire.CODE_ONE_PAD_ENCODED.replace("%3D", "=")),
    (wire.CODE_WITH_DOT.replace("=", "%3D"), wire.CODE_WITH_DOT),
])
def test_pasted_url_yields_the_url_decoded_salesforce_code(encoded, decoded):
    flow = make_flow()
    url = f"http://localhost:1717/OauthRedirect?code={encoded}&state={state_of(flow)}"
    grant = parse_callback_url(flow, url)
    assert grant.code == decoded  # %3D%3D -> == (codes arrive URL-encoded)
    assert grant.redirect_uri == "http://localhost:1717/OauthRedirect"


def test_replayed_callback_is_refused_A02():
    flow = make_flow()
    url = f"http://localhost:1717/OauthRedirect?code={wire.CODE_ENCODED}&state={state_of(flow)}"
    parse_callback_url(flow, url)
    with pytest.raises(StateMismatchError):
        parse_callback_url(flow, url)


@pytest.mark.parametrize("state_part", ["", "&state=", "&state=forged", "&state=OTHER"])
def test_missing_empty_or_foreign_state_is_refused_before_the_code_is_used_A03(state_part):
    flow, other = make_flow(), make_flow()
    state_part = state_part.replace("OTHER", state_of(other))
    with pytest.raises(StateMismatchError):
        complete_callback(flow, f"code={wire.CODE_ENCODED}{state_part}")


def test_error_with_wrong_state_is_a_state_error_not_a_denial_A13():
    with pytest.raises(StateMismatchError):
        complete_callback(make_flow(), wire.DENIED_QUERY + "&state=forged")


def test_denial_becomes_an_explained_exception_A13():
    flow = make_flow()
    with pytest.raises(AuthorizationDenied) as info:
        complete_callback(flow, f"{wire.DENIED_QUERY}&state={state_of(flow)}")
    assert info.value.error == "access_denied"
    assert info.value.error_description == "end-user denied authorization"
    assert "Deny" in str(info.value)


@pytest.mark.parametrize("error", ["invalid_request", "unauthorized_client", "invalid_scope",
                                   "server_error", "temporarily_unavailable",
                                   "unsupported_response_type", "immediate_unsuccessful",
                                   "something_new"])
def test_other_error_callbacks_are_typed_A13(error):
    flow = make_flow()
    with pytest.raises(AuthorizationError) as info:
        complete_callback(flow, f"error={error}&state={state_of(flow)}")
    assert not isinstance(info.value, AuthorizationDenied)
    assert info.value.error == error and error in str(info.value)


@pytest.mark.parametrize("q", ["code=a&code=b&state=S", "code=a&state=S&state=S",
                               "error=x&error=y&state=S"])
def test_repeated_parameters_are_refused_A14(q):
    flow = make_flow()
    with pytest.raises(CallbackError, match="repeats"):
        complete_callback(flow, q.replace("S", state_of(flow)))


def test_no_code_and_no_error_is_refused_but_extra_parameters_are_ignored_A14():
    flow = make_flow()
    with pytest.raises(CallbackError, match="neither"):
        complete_callback(flow, f"state={state_of(flow)}&foo=bar")
    flow = make_flow()
    odd = "aPrx" + "x" * 5000 + "~!*"
    grant = complete_callback(flow, f"code={odd}&state={state_of(flow)}&sfdc_community_id=1&x=y")
    assert grant.code == odd  # passed through opaquely


def test_iss_must_be_this_flows_login_host_when_present_A07():
    flow = make_flow()
    with pytest.raises(CallbackError, match="issuer"):
        complete_callback(flow, f"code=c&state={state_of(flow)}&iss=https://evil.example")
    flow = make_flow()
    grant = complete_callback(flow, f"code=c&state={state_of(flow)}"
                                    "&iss=https%3A%2F%2Flogin.salesforce.com")
    assert grant.code == "c"


def test_pasted_url_must_be_the_callback_address():
    flow = make_flow()
    with pytest.raises(CallbackError, match="callback URL"):
        parse_callback_url(flow, f"https://evil.example/OauthRedirect?code=c&state={state_of(flow)}")
    with pytest.raises(CallbackError, match="fragment"):
        parse_callback_url(flow, "http://localhost:1717/OauthRedirect#code=c")


# -- the loopback listener --------------------------------------------------------------

def free_port() -> int:
    return free_port_base(1)


def assert_port_reusable(port: int) -> None:
    """A new listener (the next login) can bind the same port immediately."""
    flow = make_flow(f"http://localhost:{port}/OauthRedirect")
    CallbackListener(flow, timeout=5).start().close()


def listening_flow() -> tuple[AuthorizationFlow, int]:
    port = free_port()
    return make_flow(f"http://localhost:{port}/OauthRedirect"), port


def test_listener_binds_loopback_only_and_completes_with_the_code_A08_A10():
    flow, port = listening_flow()
    listener = CallbackListener(flow, timeout=30).start()
    assert listener.address == ("127.0.0.1", port)
    r = requests.get(f"http://127.0.0.1:{port}/OauthRedirect?code={wire.CODE_ENCODED}"
                     f"&state={state_of(flow)}", timeout=10)
    assert r.status_code == 200 and "Login complete" in r.text
    assert listener.wait().code == wire.CODE_DECODED
    with pytest.raises(requests.ConnectionError):  # one shot: closed afterwards
        requests.get(f"http://127.0.0.1:{port}/OauthRedirect", timeout=5)
    assert_port_reusable(port)  # free again at once for the next login


def non_loopback_address() -> str | None:
    """This machine's outbound IPv4 address (UDP connect sends no packet), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith(("127.", "0.")) else address


def test_listener_is_not_reachable_on_other_interfaces_A08():
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener:
        assert listener.address[0] == "127.0.0.1"  # never "" or 0.0.0.0
        lan_ip = non_loopback_address()
        if lan_ip is not None:
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://{lan_ip}:{port}/OauthRedirect", timeout=5)


def test_stray_requests_do_not_consume_the_listener_A11():
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener:
        base = f"http://127.0.0.1:{port}"
        assert requests.get(base + "/favicon.ico", timeout=5).status_code == 404
        assert requests.get(base + "/", timeout=5).status_code == 404
        assert requests.head(base + "/OauthRedirect", timeout=5).status_code == 405
        assert requests.post(base + "/OauthRedirect", data={"code": "x"},
                             timeout=5).status_code == 405
        ok = requests.get(f"{base}/OauthRedirect?code=abc&state={state_of(flow)}", timeout=5)
        assert ok.status_code == 200
        assert listener.wait().code == "abc"


def test_oversized_query_gets_414_and_the_listener_keeps_waiting_A14():
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener:
        base = f"http://127.0.0.1:{port}/OauthRedirect"
        assert requests.get(base + "?x=" + "a" * 100_000, timeout=10).status_code == 414
        requests.get(f"{base}?code=abc&state={state_of(flow)}", timeout=5)
        assert listener.wait().code == "abc"


@pytest.mark.parametrize("query", ["", "?code=abc", "?code=abc&state=", "?code=abc&state=forged",
                                   "?error=access_denied&state=forged",
                                   "?code=abc&state=S&state=S"])
def test_requests_without_this_flows_state_are_ignored_and_the_wait_goes_on_A03(query):
    """A-03 (RFC 6749 §10.12): a cross-site ``<img src=http://localhost:1717/OauthRedirect>``
    (no state) or a forged state gets a short page, uses no code, and does not end the wait;
    the real callback still completes the login (it ended with StateMismatchError before)."""
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener:
        base = f"http://127.0.0.1:{port}/OauthRedirect"
        r = requests.get(base + query.replace("S", state_of(flow)), timeout=5)
        assert r.status_code == 400 and "abc" not in r.text
        assert "still waiting" in r.text
        assert not listener.done and listener.ignored == 1
        ok = requests.get(f"{base}?code=real&state={state_of(flow)}", timeout=5)
        assert ok.status_code == 200
        assert listener.wait().code == "real"


def test_timeout_says_how_many_foreign_callbacks_were_ignored_A03():
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=1).start() as listener:
        requests.get(f"http://127.0.0.1:{port}/OauthRedirect?code=abc&state=forged", timeout=5)
        with pytest.raises(CallbackTimeout, match="1 request"):
            listener.wait()


def test_browser_page_is_inert_and_escapes_the_description_A15():
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener:
        r = requests.get(f"http://127.0.0.1:{port}/OauthRedirect",
                         params={"error": "access_denied", "state": state_of(flow),
                                 "error_description": "<script>alert(1)</script>"}, timeout=5)
        assert "<script>" not in r.text and "&lt;script&gt;" in r.text
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert "http" not in r.text.split("<body", 1)[1]  # no links, assets or redirects
        with pytest.raises(AuthorizationDenied):
            listener.wait()


def test_success_page_never_echoes_the_code_A15():
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener:
        r = requests.get(f"http://127.0.0.1:{port}/OauthRedirect?code=SENTINEL_CODE_123"
                         f"&state={state_of(flow)}", timeout=5)
        assert "SENTINEL_CODE_123" not in r.text and state_of(flow) not in r.text
        assert r.headers["Cache-Control"] == "no-store"
        listener.wait()


def test_no_code_or_state_in_logs_or_stderr_A16(capfd, caplog):
    caplog.set_level(logging.DEBUG)
    flow, port = listening_flow()
    state = state_of(flow)
    with CallbackListener(flow, timeout=30).start() as listener:
        # The browser is played by http.client, which logs nothing itself.
        for path in ("/favicon.ico", f"/OauthRedirect?code=SENTINEL_CODE_LOG&state={state}"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
        listener.wait()
    out, err = capfd.readouterr()
    for text in (out, err, caplog.text):
        assert "SENTINEL_CODE_LOG" not in text and state not in text


def test_timeout_raises_and_frees_the_port_A12():
    flow, port = listening_flow()
    listener = CallbackListener(flow, timeout=0.3).start()
    with pytest.raises(CallbackTimeout, match="no callback arrived"):
        listener.wait()
    assert_port_reusable(port)


def test_close_stops_a_waiting_listener_and_frees_the_port_A10():
    flow, port = listening_flow()
    listener = CallbackListener(flow, timeout=60).start()
    result: list[BaseException] = []

    def waiter() -> None:
        try:
            listener.wait()
        except Exception as exc:  # noqa: BLE001
            result.append(exc)

    t = threading.Thread(target=waiter)
    t.start()
    listener.close()
    t.join(10)
    assert isinstance(result[0], CallbackError)
    assert_port_reusable(port)


def test_port_in_use_names_the_port_and_never_moves_A09():
    flow, port = listening_flow()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(CallbackPortInUse) as info:
            CallbackListener(flow, timeout=5).start()
    assert info.value.port == port and str(port) in str(info.value)


def test_listener_refuses_a_non_loopback_callback_url():
    with pytest.raises(ConfigurationError, match="parse_callback_url"):
        CallbackListener(make_flow("https://orga.my.salesforce.com/apex/callback"))


def test_a_failure_inside_the_handler_ends_the_wait_and_frees_the_port_A12(monkeypatch, capfd):
    flow, port = listening_flow()

    def broken(*args, **kwargs):
        raise RuntimeError("bug SENTINEL_CODE_BUG")

    monkeypatch.setattr("helpers.oauth.callback.complete_callback", broken)
    with CallbackListener(flow, timeout=30).start() as listener:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"/OauthRedirect?code=SENTINEL_CODE_BUG&state={state_of(flow)}")
        with pytest.raises(http.client.RemoteDisconnected):
            conn.getresponse()
        conn.close()
        with pytest.raises(CallbackError, match="failed"):
            listener.wait()
    assert "SENTINEL_CODE_BUG" not in "".join(capfd.readouterr())
    assert_port_reusable(port)


def test_an_idle_speculative_connection_does_not_delay_the_callback(capfd):
    """Browsers pre-open connections that send nothing; the real callback must not wait
    for them to time out (5 s)."""
    flow, port = listening_flow()
    with CallbackListener(flow, timeout=30).start() as listener, \
            socket.create_connection(("127.0.0.1", port)):
        started = time.monotonic()
        r = requests.get(f"http://127.0.0.1:{port}/OauthRedirect?code=abc"
                         f"&state={state_of(flow)}", timeout=10)
        assert r.status_code == 200 and listener.wait().code == "abc"
        assert time.monotonic() - started < 3
    assert "Traceback" not in "".join(capfd.readouterr())


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("::1", True),
                                           ("[::ffff:127.0.0.1]", True), ("10.0.0.7", False),
                                           ("::ffff:10.0.0.7", False), ("localhost", False)])
def test_ipv4_mapped_loopback_is_loopback_B41(host, loopback):
    """B-41 (client side, A-26): IPv4-mapped loopback is loopback; names are not literals."""
    from helpers.oauth.trust import is_loopback_literal

    assert is_loopback_literal(host) is loopback
