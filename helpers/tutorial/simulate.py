"""What only a local org allows: making time pass and forging a callback, to show errors.

These are simulations and say so. Time moves through the local orgs' admin API
(:func:`localorg.expire_access_token`), never by waiting::

    expire_access_token(target, token)       # the next API call gets 401 INVALID_SESSION_ID
    forged = with_params(callback_url, state="attacker-chosen")
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import localorg

from ..errors import ConfigurationError
from ..oauth.tokens import Token
from .target import Target


def expire_access_token(target: Target, token: Token) -> None:
    """Local orgs: make ``token``'s access token expire now (as if 2 hours had passed)."""
    if not target.is_local:
        raise ConfigurationError("only a local org lets the notebook change a token's expiry")
    if not localorg.expire_access_token(token.access_token,
                                        data_dir=target.settings.localorg_data):
        raise ConfigurationError("ORG B does not know this access token")


def with_params(url: str, **params: str) -> str:
    """``url`` with some query parameters replaced (to forge a callback on purpose)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))
