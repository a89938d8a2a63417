"""The client side of the Salesforce OAuth 2.0 web server flow: what a learner lifts.

Nothing here imports the local stand-in orgs (``localorg``) or any server code, so these
modules work the same against the local orgs and real Salesforce orgs. Each step of the
flow (the notebooks' numbers) and the module that does it:

====  ===============================================  =========================================
 NB   step                                             module
====  ===============================================  =========================================
 01   the app's Consumer Key and Secret, the callback  :mod:`helpers.settings` (``.env``)
 03   request an authorization code (state, PKCE)      :mod:`helpers.oauth.pkce`,
                                                       :mod:`helpers.oauth.authorize`
 04   the user logs in and allows access               (the browser; nothing to code)
 05   receive the callback, compare ``state``          :mod:`helpers.oauth.callback`
 06   request the access token (the code + verifier)   :mod:`helpers.oauth.tokens`
 07   receive it: check ``signature``, ``instance_url``  :mod:`helpers.oauth.tokens`,
                                                       :mod:`helpers.oauth.trust`
 08   POST the Accounts to ORG B's Apex REST service   :mod:`helpers.api.accounts`,
                                                       :mod:`helpers.api.client`
 09   refresh, revoke, sync many Accounts              :mod:`helpers.oauth.tokens`,
                                                       :mod:`helpers.api.sync`
====  ===============================================  =========================================

Under every step: :mod:`helpers.http` (HTTPS sessions that verify TLS and time out),
:mod:`helpers.errors` (exceptions that say what happened and what to do) and
:mod:`helpers.transcript` (the raw HTTP exchanges, secrets masked).

:mod:`helpers.tutorial` is the notebook glue (targets, login widgets, catch-up); it is
the one part that may use ``localorg``'s top-level API.

The whole flow in a script::

    from helpers.settings import load_settings
    from helpers.oauth import AuthorizationFlow, OAuthClient, AuthorizedSession, receive_callback
    from helpers.api import connect, post_accounts_to_apex

    settings = load_settings()
    flow = AuthorizationFlow.from_settings(settings)
    grant = receive_callback(flow)      # opens the browser, waits on the loopback callback
    client = OAuthClient.from_settings(settings)
    api = AuthorizedSession(client, client.exchange_code(grant))
    post_accounts_to_apex(connect(api, settings), [{"Name": "Edge Communications"}])
"""
