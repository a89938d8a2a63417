"""Small display pieces for the notebooks: source files, links, JSON, expected errors.

Every function prints or displays text that is the same on every run (nbval compares
it), and masks secrets with :func:`helpers.transcript.mask`::

    show_source("sfdx/force-app/main/default/classes/createAccountRecord.cls")
    link("https://127.0.0.1:8702/lightning/o/Account/list", "ORG B's Accounts")
    with expect_error():
        client.exchange_code(grant)        # prints "TokenRequestError: ..." instead of a traceback
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import SalesforceOAuthError
from ..transcript import mask_json

REPO_ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {".cls": "java", ".py": "python", ".xml": "xml", ".json": "json", ".cfg": "ini"}


def show_source(path: str, start: str | None = None, end: str | None = None) -> None:
    """Display a repository file (or the part from the line containing ``start`` to the line
    containing ``end``) with syntax highlighting, read from the file so it never drifts."""
    from IPython.display import Markdown, display

    file = REPO_ROOT / path
    lines = file.read_text(encoding="utf-8").splitlines()
    first = next((i for i, line in enumerate(lines) if start in line), 0) if start else 0
    last = next((i for i, line in enumerate(lines) if i >= first and end in line),
                len(lines) - 1) if end else len(lines) - 1
    body = "\n".join(lines[first:last + 1])
    lang = LANGUAGES.get(file.suffix, "")
    where = f"lines {first + 1}–{last + 1} of " if (start or end) else ""
    display(Markdown(f"{where}[`{path}`](../{path})\n\n```{lang}\n{body}\n```"))


def link(url: str, text: str) -> None:
    """A link that opens in a new tab in JupyterLab (and plain text for other readers)."""
    from IPython.display import Markdown, display

    display(Markdown(f"[{text}]({url}) — `{url}`"))


def show_json(data: Any) -> None:
    """Pretty-print a JSON value with secret fields masked."""
    print(json.dumps(mask_json(data), indent=2, ensure_ascii=False))


@contextmanager
def expect_error(*kinds: type[BaseException]) -> Iterator[None]:
    """Run a block that should fail; print the explained error instead of a traceback.

    Catches the tutorial's :class:`~helpers.errors.SalesforceOAuthError` family and any
    ``kinds`` given. Prints ``(no error)`` when the block succeeds.
    """
    try:
        yield
    except (SalesforceOAuthError, *kinds) as exc:
        print(f"{type(exc).__name__}: {exc}")
    else:
        print("(no error)")
