"""The REST side of the tutorial: simple-salesforce clients, Accounts, the ORG A → ORG B sync.

* :mod:`.client` - :func:`connect` (ORG B, from the web server flow), :func:`connect_org_a`
* :mod:`.accounts` - read ORG A, post to ``createAccountRecord`` / ``accounts/upsert``
* :mod:`.sync` - idempotent batched sync with a :class:`SyncReport`

::

    sf_a, sf_b = connect_org_a(settings), connect(api, settings)
    post_accounts_to_apex(sf_b, [account_payload(latest_account(sf_a))])   # the post
    sync_accounts(sf_a, sf_b)                                              # the better way
"""

from __future__ import annotations

from .accounts import (
    ApexFailure,
    RecordResult,
    UpsertResult,
    ValidationError,
    account_payload,
    all_accounts,
    latest_account,
    post_accounts_to_apex,
    soql_quote,
    upsert_accounts_via_apex,
    validate_accounts,
)
from .client import API_VERSION, ApiSession, OrgClient, connect, connect_org_a
from .sync import RetryPolicy, SyncAborted, SyncReport, sync_accounts, sync_one_by_one

__all__ = ["API_VERSION", "ApexFailure", "ApiSession", "OrgClient", "RecordResult",
           "RetryPolicy", "SyncAborted", "SyncReport", "UpsertResult", "ValidationError",
           "account_payload", "all_accounts", "connect", "connect_org_a", "latest_account",
           "post_accounts_to_apex", "soql_quote", "sync_accounts", "sync_one_by_one",
           "upsert_accounts_via_apex", "validate_accounts"]
