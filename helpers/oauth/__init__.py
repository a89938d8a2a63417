"""The client side of the Salesforce OAuth 2.0 web server flow, one concern per module.

* :mod:`.pkce` - code verifier and S256 challenge
* :mod:`.authorize` - :class:`AuthorizationFlow`: state, PKCE and the authorization URL
* :mod:`.callback` - :class:`CallbackListener` and :func:`parse_callback_url`
* :mod:`.tokens` - :class:`OAuthClient`, :class:`Token`, :class:`AuthorizedSession`
* :mod:`.trust` - :class:`TrustPolicy`: which hosts may receive a token

The whole flow::

    settings = load_settings()
    flow = AuthorizationFlow.from_settings(settings)
    grant = receive_callback(flow)               # or parse_callback_url(flow, pasted)
    client = OAuthClient.from_settings(settings)
    api = AuthorizedSession(client, client.exchange_code(grant))
"""

from __future__ import annotations

from .authorize import AuthorizationFlow, AuthorizationGrant
from .callback import CallbackListener, parse_callback_url, receive_callback
from .pkce import new_code_verifier, s256_challenge
from .tokens import AuthorizedSession, OAuthClient, Token, verify_signature
from .trust import TrustPolicy

__all__ = ["AuthorizationFlow", "AuthorizationGrant", "AuthorizedSession", "CallbackListener",
           "OAuthClient", "Token", "TrustPolicy", "new_code_verifier", "parse_callback_url",
           "receive_callback", "s256_challenge", "verify_signature"]
