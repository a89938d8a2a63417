"""The simple-salesforce clients: trust, secrets, refresh, ORG A settings."""

from __future__ import annotations

import dataclasses
import hashlib

import certifi
import pytest

from helpers import tutorial
from helpers.api import API_VERSION, connect, connect_org_a
from helpers.errors import ConfigurationError, UntrustedInstanceError
from helpers.settings import load_settings
from tests.api.conftest import org_b_session


def test_clients_reach_both_local_orgs(clients):
    assert clients.sf_a.instance_url == clients.orgs.instance_url("A")
    assert clients.sf_b.instance_url == clients.orgs.instance_url("B")
    assert clients.sf_b.sf_version == API_VERSION == "67.0"
    calls = clients.sf_b.api.calls
    total = clients.sf_b.query("SELECT COUNT() FROM Account")["totalSize"]
    assert isinstance(total, int)
    assert clients.sf_b.api.calls == calls + 1
    used, limit = clients.sf_b.api.api_usage
    assert used == clients.usage("B") and limit == 15000


def test_a28_no_token_in_repr(clients):
    token = clients.api_b.token.access_token
    for shown in (repr(clients.sf_b), str(clients.sf_b), repr(clients.sf_a)):
        assert token not in shown
    assert "ORG B" in repr(clients.sf_b) and clients.orgs.instance_url("B") in repr(clients.sf_b)


def test_a19_untrusted_instance_url_is_refused_before_any_call(clients):
    evil = dataclasses.replace(clients.api_b.token, instance_url="https://evil.example")
    with pytest.raises(UntrustedInstanceError):
        connect(evil, clients.settings)
    calls = clients.sf_b.api.calls
    with pytest.raises(UntrustedInstanceError):
        clients.sf_b.session.request("GET", "https://evil.example/services/data/",
                                     headers=clients.sf_b.headers)
    assert clients.sf_b.api.calls == calls


def test_a25_requests_ca_bundle_cannot_replace_the_local_ca(clients, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    assert clients.sf_a.query("SELECT COUNT() FROM Account")["totalSize"] >= 5


def test_a21_expired_token_is_refreshed_once_and_the_call_retried(api_orgs, clients):
    settings, api = org_b_session(api_orgs)
    sf = connect(api, settings)
    stale = api.token.access_token
    with clients.orgs.db().tx() as db:
        db.execute("UPDATE oauth_tokens SET expires_at=1 WHERE token_hash=?",
                   (hashlib.sha256(stale.encode()).hexdigest(),))
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] >= 0
    assert api.refresh_count == 1 and api.token.access_token != stale
    assert sf.api.calls == 2  # the 401 and the retry; the refresh is an OAuth call


def test_org_a_from_settings_on_real_orgs_makes_no_call():
    sentinel = "00Dxx0000000001!SENTINEL_AT_org_a_token_value_0123456789"
    settings = load_settings(None, {"SF_TARGET": "salesforce",
                                    "SF_ORG_A_INSTANCE_URL": "https://orga.my.salesforce.com",
                                    "SF_ORG_A_ACCESS_TOKEN": sentinel})
    sf_a = connect_org_a(settings)
    assert sf_a.instance_url == "https://orga.my.salesforce.com"
    assert sf_a.base_url == "https://orga.my.salesforce.com/services/data/v67.0/"
    assert sf_a.api.calls == 0 and sentinel not in repr(sf_a)
    assert sf_a.session.verify == certifi.where()  # public CAs for real orgs


def test_org_a_settings_missing_on_real_orgs_names_the_variable():
    settings = load_settings(None, {"SF_TARGET": "salesforce",
                                    "SF_ORG_A_INSTANCE_URL": "https://orga.my.salesforce.com"})
    with pytest.raises(ConfigurationError, match="SF_ORG_A_ACCESS_TOKEN"):
        connect_org_a(settings)


def test_org_a_on_local_orgs_needs_them_running(tmp_path):
    settings = load_settings(None, {"SF_TARGET": "local", "LOCALORG_DATA": str(tmp_path),
                                    "LOCALORG_PORT_BASE": "40000"})
    with pytest.raises(ConfigurationError, match="not running"):
        tutorial.connect_org_a(settings)


def test_org_a_on_local_orgs_asks_for_org_a_session_from_the_client(tmp_path):
    # The client side does not log in to the local orgs by itself: it says how to.
    settings = load_settings(None, {"SF_TARGET": "local", "LOCALORG_DATA": str(tmp_path)})
    with pytest.raises(ConfigurationError, match="org_a_session"):
        connect_org_a(settings)


def test_a28_transcript_records_api_calls_with_the_token_masked(api_orgs):
    from helpers.transcript import Transcript

    settings, api = org_b_session(api_orgs)
    transcript = Transcript()
    sf = connect(api, settings, transcript=transcript)
    sf.query("SELECT COUNT() FROM Account")
    assert len(transcript) == 1
    shown = str(transcript) + transcript._repr_html_()
    assert "Sforce-Limit-Info" in shown and "/services/data/v67.0/query/" in shown
    assert api.token.access_token not in shown
