"""The trainer's room page of an exposed server: ``/_localorg/room`` and ``room.json``.

It needs the trainer key (403 otherwise), derives each learner's progress from stored
codes, tokens and Accounts, and never shows a password, secret, code or token (B-36 context).
"""

from __future__ import annotations

import pytest

import localorg
from tests.conftest import start_server, stop_server
from tests.localorg.flow import authorize, exchange_code, get_tokens, pkce_pair

EXPOSE = ["--expose", "--host", "127.0.0.1", "--bind", "127.0.0.1"]
CREATE = "/services/apexrest/createAccountRecord"
ROOM = "/_localorg/room"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("room"), extra=EXPOSE)
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def learners(room):
    return localorg.add_learners(["Grace Hopper", "Alan Turing"], data_dir=room.data_dir)


def app_of(learner) -> localorg.NewApp:
    return localorg.NewApp(learner.client_id, learner.client_secret)


def room_json(room, key=None):
    key = room.info["room_key"] if key is None else key
    return room.session().get(room.login_url + ROOM + ".json", params={"key": key}, timeout=10)


def by_name(body: dict) -> dict[str, dict]:
    return {r["learner"]: r for r in body["learners"]}


@pytest.mark.parametrize("path", [ROOM, ROOM + ".json"])
@pytest.mark.parametrize("params", [{}, {"key": ""}, {"key": "wrong-key"}])
def test_room_needs_the_trainer_key(room, learners, path, params):
    r = room.session().get(room.login_url + path, params=params, timeout=10)
    assert r.status_code == 403
    assert "trainer key" in r.text
    for learner in learners:
        assert learner.name not in r.text and learner.org_b_username not in r.text


def test_room_is_not_on_the_instance_hosts(room):
    key = room.info["room_key"]
    r = room.session().get(room.instance_url("B") + ROOM, params={"key": key}, timeout=10)
    assert r.status_code == 404


def test_room_shows_a_learners_progress_and_nothing_secret(room, learners):
    grace, alan = learners
    before = by_name(room_json(room).json())
    assert before["Grace Hopper"]["app_created_at"] is not None
    assert before["Grace Hopper"]["tokens_issued"] == 0
    assert before["Grace Hopper"]["accounts_created"] == 0

    tokens = get_tokens(room, app_of(grace), username=grace.org_b_username,
                        password=grace.org_b_password)
    s = room.session()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    for name in ("Room One", "Room Two"):
        r = s.post(tokens["instance_url"] + CREATE, json=[{"Name": name}], headers=auth,
                   timeout=10)
        assert r.json() == "Success"
    # The demo user's Accounts are not a learner's.
    ben = get_tokens(room, room.create_app())
    s.post(ben["instance_url"] + CREATE, json=[{"Name": "Ben's"}],
           headers={"Authorization": f"Bearer {ben['access_token']}"}, timeout=10)

    body = room_json(room).json()
    after = by_name(body)
    g = after["Grace Hopper"]
    assert (g["codes_issued"], g["tokens_issued"], g["accounts_created"]) == (1, 1, 2)
    assert g["first_token_at"] == g["latest_token_at"] is not None
    assert (g["refreshes"], g["tokens_revoked"]) == (0, 0)
    assert after["Alan Turing"]["tokens_issued"] == 0
    assert after["Alan Turing"]["accounts_created"] == 0
    assert body["totals"]["with_token"] == 1 and body["totals"]["with_account"] == 1

    # Refresh, then revoke: both show up.
    r = s.post(room.login_url + "/services/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": grace.client_id, "client_secret": grace.client_secret}, timeout=10)
    assert r.status_code == 200
    refreshed = r.json()["access_token"]
    assert s.post(room.login_url + "/services/oauth2/revoke",
                  data={"token": tokens["refresh_token"]}, timeout=10).status_code == 200
    g = by_name(room_json(room).json())["Grace Hopper"]
    assert g["refreshes"] == 1 and g["tokens_issued"] == 2
    assert g["tokens_revoked"] == 3 and g["latest_revoked_at"] is not None

    page = s.get(room.login_url + ROOM, params={"key": room.info["room_key"]}, timeout=10)
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert "Grace Hopper" in page.text and grace.org_b_username in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    json_text = room_json(room).text
    secrets = [tokens["access_token"], tokens["refresh_token"], refreshed, ben["access_token"]]
    for learner in learners:
        secrets += [learner.org_b_password, learner.org_a_password, learner.client_secret]
    for text in (page.text, json_text):
        for secret in secrets:
            assert secret not in text


def test_room_counts_a_code_before_its_token(room, learners):
    _, alan = learners
    verifier, challenge = pkce_pair()
    result = authorize(room, alan.client_id, code_challenge=challenge,
                       username=alan.org_b_username, password=alan.org_b_password)
    a = by_name(room_json(room).json())["Alan Turing"]
    assert a["codes_issued"] == 1 and a["tokens_issued"] == 0
    body = room_json(room).text
    assert result.code not in body and verifier not in body
    assert exchange_code(room, app_of(alan), result.code, verifier).status_code == 200
    assert by_name(room_json(room).json())["Alan Turing"]["tokens_issued"] == 1
