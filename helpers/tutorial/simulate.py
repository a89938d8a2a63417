"""What only a local org allows: making time pass and forging a callback, to show errors.

These are simulations and say so. Time moves by editing the stored ``expires_at`` of a
token in the local org's database (the same way the test-suite does), never by waiting::

    expire_access_token(target, token)       # the next API call gets 401 INVALID_SESSION_ID
    forged = with_params(callback_url, state="attacker-chosen")
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigurationError
from ..localorg.store import sha256
from ..oauth.tokens import Token
from .target import Target, local_store


def expire_access_token(target: Target, token: Token) -> None:
    """Local orgs: make ``token``'s access token expire now (as if 2 hours had passed)."""
    if not target.is_local:
        raise ConfigurationError("only a local org lets the notebook change a token's expiry")
    with local_store(target.settings).tx() as db:
        changed = db.execute("UPDATE oauth_tokens SET expires_at=? WHERE token_hash=? AND "
                             "kind='access'", (time.time() - 1, sha256(token.access_token)))
        if changed.rowcount != 1:
            raise ConfigurationError("ORG B does not know this access token")


def with_params(url: str, **params: str) -> str:
    """``url`` with some query parameters replaced (to forge a callback on purpose)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))
