"""Give every notebook its slide metadata and trainer notes (RISE), in place.

The notebooks present as slides with jupyterlab-rise (Alt+R, or the "Render as slides"
button): no second copy of the content. This script sets ``metadata.slideshow.slide_type``
on every cell and keeps one trainer-notes cell (``slide_type: notes``, shown only in the
speaker view, collapsed in the notebook) after the title and after each ``##`` section
heading, with its timing in the Carpentries style. ``tools/trainer_guide.py`` then writes
them into docs/trainer-guide.md. Outputs and code are never touched; rerunning it is harmless::

    .venv/bin/python tools/slides.py            # then: pytest notebooks tests/test_slides.py

Rules: the title cell and cells that open with a ``##`` heading start a slide, other
prose (``###`` included) a subslide (short slides fit a projector), code cells are
fragments. The minutes per section add up to the notebook's "Time to learn" and the
README's table (tests/test_slides.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MARK = "🎤 Trainer notes"

# notebook -> (teaching minutes, exercise minutes, {heading (or "title"): (minutes, note)})
NOTES: dict[str, tuple[int, int, dict[str, tuple[int, str]]]] = {
    "00-overview": (8, 2, {
        "title": (1, "Welcome. Say what the learners will have at the end: a token from ORG B "
                     "and an Account posted into it. Point at the time per notebook."),
        "The two orgs": (2, "ORG A is the client, ORG B the authorization and resource server. "
                            "Ask: which org holds the password? (ORG B only.)"),
        "The whole flow": (3, "Walk the diagram once, numbers in order. Stress the two "
                              "channels: front channel (browser) for the code, back channel "
                              "(notebook to ORG B) for the token."),
        "Which orgs are in use": (3, "Exercise (2 min): everyone runs the two cells and reads "
                                     "out the target line. On a hub the line also says "
                                     "'remote kernel' and the callback URL."),
        "The steps, one notebook each": (1, "Show the map; 02 is an aside that can be skipped "
                                            "when short of time."),
    }),
    "01-create-the-app": (10, 5, {
        "title": (1, "The app is the notebook's identity in ORG B: key, secret, callback."),
        "External Client Apps replace connected apps": (4, "Why ECAs since Spring '26; go "
                                                           "through the settings table row by "
                                                           "row, PKCE and the secret first."),
        "On the local orgs, way 1: use ORG B's Setup page": (5, "Exercise (5 min): create the "
                                                                "app on the Setup page. Remote "
                                                                "kernels cannot open that "
                                                                "page: use way 2 there."),
        "On the local orgs, way 2: let the notebook register it": (3, "The same app, made by "
                                                                      "code; the secret file "
                                                                      "is 0600."),
        "On real orgs": (1, "Point to docs/real-orgs.md and the 2-10 minute propagation delay."),
        "Summary": (1, "Key, secret, callback: the three things the next notebooks use."),
    }),
    "02-apex-rest-service": (14, 6, {
        "title": (1, "An aside: the API the token is for. Skippable when short of time."),
        "Set up": (2, "catch_up(7) does steps 1-7 silently; promise they will be explained."),
        "The post's class, complete": (3, "Read the class aloud; ask what happens on a bad "
                                          "record before running anything."),
        "Try it: one Account": (2, "Exercise: run it; 'Success' with 200."),
        "Weakness 1: a failure still answers HTTP 200": (3, "200 'Failure': status codes "
                                                            "alone prove nothing."),
        "Weakness 3: a retry creates duplicates": (3, "Exercise: run the retry twice, count "
                                                      "the duplicates."),
        "The improved service: `AccountUpsertService`": (4, "Upsert on Source_Id__c, per-record "
                                                            "results, 200 or 400, never 207."),
        "Deploying both to a real ORG B": (1, "sf project deploy start; tests included."),
        "Summary": (1, "Three weaknesses, one fix each."),
    }),
    "03-request-authorization-code": (19, 11, {
        "title": (1, "The flow starts in the browser with one URL."),
        "By hand: `state`, the PKCE pair and the URL": (5, "Type the two cells with them: "
                                                           "three random values, then the URL "
                                                           "from a dict."),
        "The same with the helper": (6, "Go through the components; ask which part is "
                                        "secret (none: the URL is public)."),
        "Why `state`: a forged callback": (5, "Exercise: run the attack, then the refusal. "
                                              "Login CSRF in one sentence."),
        "Why PKCE: a stolen code": (4, "A stolen code is useless without the verifier."),
        "How the challenge is computed": (3, "Exercise: compute the RFC 7636 example by hand."),
        "Exercise: ask for the consent page again": (5, "Exercise: add prompt=consent; the "
                                                        "check cell says right or not yet."),
        "Summary": (1, "state against forged callbacks, PKCE against stolen codes."),
    }),
    "04-authenticate-and-grant": (9, 11, {
        "title": (1, "ORG B, not the notebook, sees the password."),
        "The login page": (3, "Show the demo user; on real orgs, your own login page."),
        "The consent page": (6, "Exercise (5 min): everyone logs in and clicks Allow. On a "
                                "hub without a known address the browser ends on 'can't "
                                "connect': paste that address into the box (notebook 05)."),
        "What Deny does": (4, "Exercise: click Deny; the error still carries state."),
        "Exercise: what comes back after Deny": (5, "Exercise: read error= in the Deny "
                                                    "callback."),
        "Summary": (1, "Consent is remembered per user and app."),
    }),
    "05-receive-the-callback": (12, 10, {
        "title": (1, "Who receives the redirect: a listener, or the learner's clipboard."),
        "The loopback listener": (4, "Like sf org login web on 1717. Behind JupyterHub the "
                                     "same listener is reached through the Jupyter server's "
                                     "proxy (/proxy/<port>/OauthRedirect)."),
        "The paste fallback": (4, "Exercise: paste the address bar. It works everywhere: "
                                  "laptop, hub, Binder, Codespaces."),
        "By hand: parse the address and compare `state`": (3, "Three lines of the standard "
                                                              "library; constant time."),
        "The same with the helper": (2, "Single use, checked before anything else."),
        "URL-decoding the code": (2, "%3D%3D is ==; decode once, exactly once."),
        "Exercise: decode a callback by hand": (5, "Exercise: decode a made-up callback with "
                                                   "parse_qs."),
        "Summary": (1, "Listener when local or proxied, paste when not."),
    }),
    "06-request-access-token": (10, 10, {
        "title": (1, "Back channel: notebook to ORG B, no browser."),
        "By hand: the token POST": (8, "Read the transcript field by field with the table. "
                                       "The secret and verifier appear masked."),
        "The same with the helper: a code is single use": (5, "The helper's exchange of the "
                                                              "same code fails: single use."),
        "Exercise: a wrong verifier": (5, "Exercise: a wrong verifier gives invalid_grant."),
        "Summary": (1, "One code, one token, fifteen minutes at most."),
    }),
    "07-receive-access-token": (12, 10, {
        "title": (1, "Every field of the answer has a job."),
        "The fields": (4, "No expires_in (inactivity timeout); instance_url decides where to "
                          "call."),
        "By hand: the signature": (5, "hmac + hashlib + base64, then tamper one character."),
        "The same with the helper": (2, "verify_signature is those lines."),
        "The identity URL": (4, "The id URL is an API; the kernel calls it directly."),
        "Exercise: recompute a signature": (5, "Exercise: recompute the fixture's signature."),
        "Summary": (1, "Validate before use: signature and hosts."),
    }),
    "08-post-accounts": (10, 10, {
        "title": (1, "The point of the whole flow."),
        "Two clients, one per org": (3, "sf_a reads ORG A, sf_b writes ORG B."),
        "ORG A's newest Account": (2, "The post's query."),
        "By hand: post it to ORG B": (3, "One POST with json= and the bearer token; "
                                         "\"Success\" with its quotes."),
        "Check ORG B": (3, "SOQL in ORG B. The Accounts page needs direct access to the local "
                           "instance host; on a hub, trust the SOQL result."),
        "What the post did differently": (2, "Named Credentials next (09)."),
        "Exercise: post two Accounts and count them": (5, "Exercise: post two Accounts by "
                                                          "hand, count them with SOQL."),
        "Summary": (1, "Token plus instance_url is all ORG A needs."),
    }),
    "09-going-further": (24, 10, {
        "title": (1, "From 'works once' to 'works for months'."),
        "Refresh the access token": (4, "Rotation off by default; the refresh is automatic."),
        "Revoke a grant": (3, "Revoking the refresh token ends its access tokens."),
        "An idempotent, batched sync": (6, "Exercise: run the sync twice; nothing doubles."),
        "Error gallery": (10, "Exercise (5 min): pick two errors, read the explanation, say "
                              "the fix aloud."),
        "The same from the Salesforce CLI": (4, "sf org login web with your own key; "
                                                "sfdx/org-a is the post's Apex way."),
        "Inside Salesforce: Named Credentials and an Auth. Provider": (5, "The same flow by "
                                                                         "configuration."),
        "Summary": (1, "Questions; point to docs/workshops.md for running it again."),
    }),
}


def _headings(cell) -> list[str]:
    """The ``##`` headings of a markdown cell, in order."""
    if cell.cell_type != "markdown":
        return []
    return [line[3:].strip() for line in cell.source.splitlines() if line.startswith("## ")]


def _slide_type(cell, index: int) -> str:
    if cell.metadata.get("jupyter", {}).get("source_hidden"):
        return "skip"  # an exercise's collapsed solution: not a slide
    if index == 0:
        return "slide"
    if cell.cell_type == "code":
        return "fragment"
    first = next((line for line in cell.source.splitlines() if line.strip() not in ("", "---")),
                 "")
    return "slide" if first.startswith("## ") else "subslide"


def _notes_cell(key: str, text: str, minutes: int, teaching: int | None = None,
                exercises: int | None = None) -> nbformat.NotebookNode:
    head = f"{MARK} (collapsed; the slideshow's speaker view shows it)\n"
    if teaching is not None:
        head += (f"Teaching: {teaching} min, Exercises: {exercises} min "
                 f"(this notebook: {teaching + exercises} min)\n")
    # A raw cell: JupyterLab expands a collapsed *markdown* cell when Shift+Enter runs it, so
    # a learner stepping through would open every note; a collapsed raw cell stays closed.
    cell = nbformat.v4.new_raw_cell(f"{head}Section: {minutes} min. {text}")
    cell.id = "notes-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")[:50]  # stable
    cell.metadata["slideshow"] = {"slide_type": "notes"}
    # Collapsed: out of the learner's reading path (issue 11); the speaker view still has it.
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def apply(path: Path) -> None:
    teaching, exercises, notes = NOTES[path.stem]
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") != "notes"]
    out, used = [], set()
    for index, cell in enumerate(cells):
        cell.metadata["slideshow"] = {"slide_type": _slide_type(cell, index)}
        out.append(cell)
        key = "title" if index == 0 else next((h for h in _headings(cell) if h in notes), None)
        if key in notes:
            minutes, text = notes[key]
            if key == "title":
                out.append(_notes_cell(key, text, minutes, teaching, exercises))
            else:
                out.append(_notes_cell(key, text, minutes))
            used.add(key)
    missing = set(notes) - used
    if missing:
        raise SystemExit(f"{path.name}: no section heading {sorted(missing)}")
    nb.cells = out
    nb.metadata["rise"] = {"scroll": True}  # long cells scroll instead of overflowing
    nbformat.write(nb, path)


def main() -> int:
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        apply(path)
        print(f"{path.name}: slide metadata and trainer notes set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
