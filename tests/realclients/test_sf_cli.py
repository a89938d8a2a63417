"""The Salesforce CLI (``sf``, @salesforce/cli 2.150) against ORG B, for real.

``sf org login web`` with the app's Consumer Key (``--client-id``; the secret goes in on
stdin, where the CLI prompts for it), its local callback server on port 1717
(``http://localhost:1717/OauthRedirect``, the app's callback) and jsforce's PKCE; the
"browser" the CLI opens is ``$BROWSER`` (xdg-open's fallback), a script that hands the URL
to this test, which completes the pages with ``localorg.ScriptedBrowser`` and delivers the
callback to the CLI. After the login the CLI reads ``sobjects/User/<id>`` (Username); then
``org display``, ``org list`` (its edition comes from ``FROM Organization``),
``data create record``, ``data query`` (which asks ``query?columns=true``),
``org list limits`` and ``api request rest`` on the Apex REST service.

The login, the query and ``org display`` are the commands notebook 09 gives the learner,
read from its markdown (only the login host and the Consumer Key are filled in), so the
notebook's commands are the ones that are known to work. Port 1717 is fixed by the CLI, so
everything runs in ONE test (never two logins at once).
Sources: Salesforce CLI Command Reference (https://developer.salesforce.com/docs/atlas.en-us.sfdx_cli_reference.meta/sfdx_cli_reference/),
"Authorize an Org Using the Web Server Flow" (Salesforce DX Developer Guide).
Checklist: B-18 (PKCE), A-28 (secrets stay out of output).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import threading
import uuid
from pathlib import Path

import requests
from simple_salesforce import format_soql

import localorg
from tests.conftest import REPO
from tests.realclients.conftest import SF_RUN

CALLBACK = "http://localhost:1717/OauthRedirect"  # the sf CLI's fixed callback
TIMEOUT = 120


NOTEBOOK_09 = REPO / "notebooks" / "09-going-further.ipynb"


def _notebook_sf_commands(consumer_key: str) -> dict[str, list[str]]:
    """The ``sf`` commands of notebook 09's shell block, by their first two words, with the
    learner's Consumer Key where the notebook says ``<Consumer Key>``."""
    cells = json.loads(NOTEBOOK_09.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    block = next(b for b in re.findall(r"```bash\n(.*?)```", markdown, flags=re.S)
                 if "sf org login web" in b)
    assert "<Consumer Key>" in block
    commands = [shlex.split(line.replace("<Consumer Key>", consumer_key), comments=True)
                for line in block.splitlines() if line.startswith("sf ")]
    return {" ".join(words[1:3]): words[1:] for words in commands}


def _browser_script(folder: Path) -> tuple[Path, Path]:
    """A BROWSER program that writes the URL it is asked to open into a FIFO."""
    fifo = folder / "url.fifo"
    os.mkfifo(fifo)
    script = folder / "browser.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" > '{fifo}'\n")
    script.chmod(0o700)
    return script, fifo


def test_sf_cli_login_web_then_display_query_create_limits_apex(real_orgs, node_tools,
                                                                 tmp_path):
    orgs = real_orgs
    # The CLI asks for scopes "refresh_token api web" (@salesforce/core WebOAuthServer).
    app = orgs.create_app(name="sf CLI", callback_urls=[CALLBACK],
                          scopes="api refresh_token web")
    home = tmp_path / "home"
    home.mkdir()
    browser, fifo = _browser_script(tmp_path)
    env = node_tools.env(orgs.ca_bundle, HOME=str(home), BROWSER=str(browser),
                         SF_USE_GENERIC_UNIX_KEYCHAIN="true", SF_DISABLE_TELEMETRY="true",
                         SF_AUTOUPDATE_DISABLE="true", SF_SKIP_NEW_VERSION_CHECK="true")
    env.pop("SF_CONTAINER_MODE", None)
    base = [str(node_tools.node), str(SF_RUN)]

    def sf(*args: str) -> dict:
        run = subprocess.run(base + list(args) + ["--json"], env=env, capture_output=True,
                             text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        body = json.loads(run.stdout)
        assert run.returncode == 0 and body["status"] == 0, (args, body, run.stderr[-1500:])
        return body["result"]

    # --- sf org login web ---------------------------------------------------------------
    taught = _notebook_sf_commands(app.client_id)
    assert set(taught) == {"org login", "data query", "org display"}, taught
    login_args = taught["org login"]
    # The notebook shows the default ports; this test's orgs run on free ones.
    assert login_args[login_args.index("--instance-url") + 1] == "http://127.0.0.1:8700"
    login_args[login_args.index("--instance-url") + 1] = orgs.login_url
    alias = login_args[login_args.index("--alias") + 1]
    login = subprocess.Popen(base + login_args + ["--json"],
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        login.stdin.write(app.client_secret + "\n")  # the CLI's secret prompt
        login.stdin.flush()
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
        reader.start()
        while reader.is_alive() and login.poll() is None:
            reader.join(0.05)  # the URL arrives, or the CLI ended without opening a browser
        if not got:
            with open(fifo, "w"):  # release the reader thread
                pass
            out, err = login.communicate(timeout=TIMEOUT)
            raise AssertionError(f"sf opened no browser: {out[-1500:]} {err[-1500:]}")
        url = got[0].strip()
        assert url.startswith(f"{orgs.login_url}/services/oauth2/authorize?")
        assert "code_challenge=" in url
        user = orgs.user("B")
        callback = localorg.ScriptedBrowser(ca_bundle=orgs.ca_bundle).authorize(
            url, user["username"], user["password"])
        assert callback.startswith(CALLBACK + "?code="), callback[:120]
        with requests.Session() as s:
            s.trust_env = False
            delivered = s.get(callback, timeout=TIMEOUT)
        assert delivered.status_code == 200
        out, err = login.communicate(timeout=TIMEOUT)
    finally:
        if login.poll() is None:
            login.kill()
            login.communicate()
    body = json.loads(out[out.index("{"):])
    assert login.returncode == 0, (body, err[-1500:])
    result = body["result"]
    assert result["username"] == user["username"]  # read from sobjects/User/<id>
    assert result["orgId"] == orgs.info["orgs"]["B"]["org_id"]
    assert result["instanceUrl"] == orgs.instance_url("B")
    assert app.client_secret not in out + err

    # --- what a developer does next ----------------------------------------------------
    shown = sf(*taught["org display"])
    assert (shown["username"], shown["connectedStatus"]) == (user["username"], "Connected")
    # Filled from SELECT ... FROM Organization (@salesforce/core determineOrg).
    listed = sf("org", "list")["nonScratchOrgs"]
    assert [(o["username"], o["name"], o["orgEdition"], o["isSandbox"]) for o in listed] == \
        [(user["username"], orgs.info["orgs"]["B"]["name"], "Developer Edition", False)]

    name = f"sf-cli-{uuid.uuid4().hex[:8]}"
    created = sf("data", "create", "record", "--target-org", alias, "--sobject", "Account",
                 "--values", f"Name='{name}' Industry=Energy")
    assert created["success"] is True and created["id"].startswith("001")

    # Notebook 09's query, as printed there: the newest Accounts, this one first.
    newest = sf(*taught["data query"])["records"]
    assert newest[0]["Id"] == created["id"] and newest[0]["Name"] == name, newest

    # The table's header comes from query?columns=true (plugin-data retrieveColumns), asked
    # after every non-empty result; the JSON output would not show it.
    table = subprocess.run(base + ["data", "query", "--target-org", alias, "--query",
                                   format_soql("SELECT Id, Name, Industry FROM Account "
                                               "WHERE Name = {}", name)],
                           env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert table.returncode == 0, table.stderr[-1500:]
    header, row = (line for line in table.stdout.splitlines() if "Energy" in line or
                   "INDUSTRY" in line)
    # Borders or not depends on the terminal and on CI=true; the column names must be there.
    assert [cell for cell in header.split() if cell.strip("│|─-")] == ["ID", "NAME", "INDUSTRY"]
    assert created["id"] in row and name in row
    assert "Total number of records retrieved: 1." in table.stdout

    limits = {item["name"]: item for item in sf("org", "list", "limits", "--target-org", alias)}
    assert limits["DailyApiRequests"]["max"] == 15000
    assert 0 < limits["DailyApiRequests"]["remaining"] < 15000

    before = localorg.stored_records("B", data_dir=orgs.data_dir)
    apex = subprocess.run(base + ["api", "request", "rest",
                                  "/services/apexrest/createAccountRecord", "--method", "POST",
                                  "--target-org", alias, "--body",
                                  json.dumps([{"Name": f"{name} apex", "Industry": "Energy"}])],
                          env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert apex.returncode == 0, apex.stderr[-1500:]
    assert apex.stdout.strip().endswith('"Success"')
    assert localorg.stored_records("B", data_dir=orgs.data_dir) == before + 1
