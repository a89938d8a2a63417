"""Keep the raw JSON answers of the token endpoint in kernel memory, for inspection.

The transcript masks secrets for display; checking the ``signature`` by hand needs the
exact ``id``, ``issued_at`` and ``signature`` strings, so this keeps the last answers
(in memory only, never printed whole)::

    answers = keep_token_answers(client)
    token = client.exchange_code(grant)
    raw = answers[-1]            # dict: id, issued_at, signature, ...
"""

from __future__ import annotations

from typing import Any

import requests

from ..oauth.tokens import TOKEN_PATH, OAuthClient


def keep_token_answers(client: OAuthClient, keep: int = 5) -> list[dict[str, Any]]:
    """Attach a hook to ``client``'s session; returns the list it appends token answers to."""
    answers: list[dict[str, Any]] = []

    def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        if response.request.url and response.request.url.endswith(TOKEN_PATH) \
                and response.status_code == 200:
            try:
                answers.append(response.json())
            except ValueError:
                return
            del answers[:-keep]

    client.session.hooks["response"].append(hook)
    return answers
