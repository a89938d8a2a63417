"""The transcript shows what went over the wire: JSON request bodies in full (secrets masked),
JSON string answers with their quotes (issue 11: notebook 08's Apex REST call showed
"(body)=143 bytes" and Success without quotes).

Over a real socket (``canned``): the transcript records real ``requests`` exchanges.
"""

from __future__ import annotations

from helpers.http import make_session
from helpers.transcript import Transcript


def post_json(canned, body, answer):
    transcript = Transcript()
    canned.reply(200, answer)
    session = make_session(transcript=transcript, timeout=(2, 2))
    session.post(f"{canned.url}/services/apexrest/createAccountRecord", json=body,
                 headers={"Authorization": "Bearer 00DEXAMPLE0000001!AQAAsecretsecretsecret"})
    return transcript


def test_json_request_body_is_pretty_printed_with_secrets_masked_A28(canned):
    accounts = [{"Name": "Acme", "Industry": "Energy"},
                {"Name": "Globex", "password": "hunter2-hunter2-hunter2-x"}]
    text = str(post_json(canned, accounts, "Success"))
    assert '"Name": "Acme"' in text and '"Industry": "Energy"' in text
    assert "bytes of application/json" not in text
    assert "hunter2-hunter2-hunter2-x" not in text  # a secret field stays masked
    assert "AQAAsecretsecretsecret" not in text
    html = post_json(canned, accounts, "Success")._repr_html_()
    assert "&quot;Name&quot;: &quot;Acme&quot;" in html


def test_a_json_string_answer_keeps_its_quotes(canned):
    # Salesforce Apex REST serialises a String return value as a JSON string: "Success".
    # (Apex Developer Guide, "Exposing Apex Classes as REST Web Services": the return value
    # is serialised into JSON.) The quotes tell it from a text/plain body.
    text = str(post_json(canned, [{"Name": "Acme"}], "Success"))
    assert text.rstrip().endswith('"Success"')


def test_a_non_json_answer_is_still_summarised(canned):
    transcript = Transcript()
    canned.reply(200, b"<html>secret page</html>", {"Content-Type": "text/html"})
    make_session(transcript=transcript, timeout=(2, 2)).get(f"{canned.url}/page")
    text = str(transcript)
    assert "(24 bytes of text/html)" in text
    assert '"(24 bytes' not in text
