"""Apex REST answers only the status codes Apex allows, here and in the classes of sfdx/.

Source: Apex Reference Guide, RestResponse Class (``statusCode``): the valid codes are 200, 201,
202, 204, 206, 300, 301, 302, 304, 400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 414, 415,
417, 500 and 503; any other value makes the platform answer 500 "Invalid status code for HTTP
response: NNN"
(https://developer.salesforce.com/docs/atlas.en-us.apexref.meta/apexref/apex_methods_system_restresponse.htm).
The 500 body is the one observed on Salesforce Stack Exchange, question 298136.
"""

from __future__ import annotations

import re
from pathlib import Path

import flask
import pytest

from localorg.rest.apexrest import APEX_STATUS_CODES, _allowed_status
from localorg.rest.errors import json_response

SFDX = Path(__file__).resolve().parents[2] / "sfdx"
DOCUMENTED = {200, 201, 202, 204, 206, 300, 301, 302, 304, 400, 401, 403, 404, 405, 406, 409,
              410, 412, 413, 414, 415, 417, 500, 503}


def test_the_allowed_list_is_the_documented_one():
    assert APEX_STATUS_CODES == DOCUMENTED


@pytest.mark.parametrize("status", [207, 418, 422, 429, 502, 550])
def test_a_status_apex_does_not_allow_becomes_500(status):
    """Whatever a stand-in service answers, a status a real org would refuse becomes its 500,
    so a 207-style bug shows up on the local orgs too."""
    with flask.Flask(__name__).app_context():
        resp = _allowed_status(json_response({"results": []}, status))
    assert resp.status_code == 500
    assert resp.get_json() == [{"errorCode": "INTERNAL_SERVER_ERROR",
                                "message": f"Invalid status code for HTTP response: {status}"}]


@pytest.mark.parametrize("status", sorted(DOCUMENTED))
def test_an_allowed_status_passes_unchanged(status):
    with flask.Flask(__name__).app_context():
        resp = _allowed_status(json_response({"ok": True}, status))
    assert resp.status_code == status and resp.get_json() == {"ok": True}


_STATUS_ASSIGNMENT = re.compile(r"\bstatus(?:code)?\s*=(?!=)(?P<rhs>[^;]*)", re.I)
_RESPOND = re.compile(r"\brespond\s*\(\s*(?P<rhs>\d{3})\b")


def _statuses_set_in(apex: str) -> set[int]:
    """Integer literals assigned to a ``status``/``statusCode`` (ternaries too) or passed as
    the status of ``respond(...)``, comments excluded."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", apex, flags=re.S)
    found = set()
    for pattern in (_STATUS_ASSIGNMENT, _RESPOND):
        for match in pattern.finditer(code):
            found |= {int(n) for n in re.findall(r"(?<![\w.])(\d{3})(?![\w.])", match["rhs"])}
    return found


def test_the_scan_finds_what_a_class_sets():
    assert _statuses_set_in("Integer status = 207;\nres.statusCode = 201;") == {207, 201}
    assert _statuses_set_in("Integer status = failed == n ? 400 : 200; respond(206, b);") == \
        {400, 200, 206}
    assert _statuses_set_in("// res.statusCode = 207;\nif (status == 207) {}") == set()


def test_no_apex_class_in_sfdx_sets_a_status_apex_refuses():
    classes = sorted(SFDX.rglob("*.cls"))
    assert classes, "no Apex classes found under sfdx/"
    bad = {path.relative_to(SFDX).as_posix(): sorted(codes - DOCUMENTED)
           for path in classes
           if (codes := _statuses_set_in(path.read_text(encoding="utf-8"))) - DOCUMENTED}
    assert bad == {}, f"Apex REST would answer these with 500 Invalid status code: {bad}"
