"""Sync ORG A's Accounts into ORG B idempotently: upsert on ``Source_Id__c`` (= ORG A's Id).

::

    report = sync_accounts(sf_a, sf_b)         # batches of 200, progress bar, retries
    report                                     # created / updated / failed, calls, time
    sync_accounts(sf_a, sf_b).created          # a rerun creates nothing (A-35) -> 0

Each batch is one ``PATCH composite/sobjects/Account/Source_Id__c`` (sObject Collections
upsert, ``allOrNone: false``; REST API Developer Guide, sObject Collections): one API
call for up to 200 records, each record created or updated by its ORG A Id, so rerunning
updates instead of duplicating.
:func:`sync_one_by_one` is the post's one-call-per-record pattern, for comparison.

Retries (A-34), exactly:

* 429, 500, 502, 503, 504, and a connection error or timeout: retried, at most
  ``max_attempts`` sends per batch. The wait is ``Retry-After`` when the org sends one,
  else 1 s, 2 s, 4 s ...; a ``Retry-After`` above ``max_wait`` (say a day) is not waited
  for: the sync stops at once with a clear error. Safe because an upsert is idempotent:
  sending the same batch twice leaves the same records (a create would not be retried).
* 403 ``REQUEST_LIMIT_EXCEEDED``: never retried - the org's rolling 24-hour API
  allocation is used up, and retrying only burns what is left of it. The sync stops.
* 401: refreshed once by the client's ``AuthorizedSession`` (A-21); other 4xx: not retried.

Why this is written here rather than taken from urllib3's ``Retry`` or tenacity: urllib3
(2.x) sleeps for any ``Retry-After`` however long, with no way to give up early, and
would make the retries invisible to the :class:`SyncReport` that the notebook prints;
tenacity would need the same custom wait and stop functions that :class:`RetryPolicy`
is, for one loop of a dozen lines, plus a dependency a learner must install.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from tqdm.auto import tqdm

from ..errors import ApiError
from .accounts import (
    SOURCE_ID,
    RecordResult,
    ValidationError,
    account_payload,
    all_accounts,
    validate_accounts,
)
from .client import OrgClient

__all__ = ["RetryPolicy", "SyncAborted", "SyncReport", "sync_accounts", "sync_one_by_one"]

BATCH_SIZE = 200  # sObject Collections' limit per call
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failed upsert call (A-34)."""

    max_attempts: int = 4          # sends per call, the first one included
    max_wait: float = 30.0         # seconds: a longer Retry-After means "give up now"
    backoff: float = 1.0           # first wait without Retry-After; doubles each time
    sleep: Callable[[float], None] = time.sleep

    def wait_for(self, attempt: int, retry_after: str | None) -> float | None:
        """Seconds to wait before send number ``attempt + 1``, or None to give up.

        >>> RetryPolicy().wait_for(1, None), RetryPolicy().wait_for(1, "86400")
        (1.0, None)
        """
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            try:
                seconds = max(0.0, float(retry_after.strip()))
            except ValueError:  # an HTTP date: not worth parsing, wait the backoff
                seconds = self.backoff * 2 ** (attempt - 1)
            return seconds if seconds <= self.max_wait else None
        return min(self.backoff * 2 ** (attempt - 1), self.max_wait)


class SyncAborted(ApiError):
    """The sync stopped before the end; ``report`` holds what was done until then."""

    def __init__(self, status: int, error_code: str, message: str, report: SyncReport) -> None:
        self.report = report
        super().__init__(status, error_code, f"{message}. Done so far: {report.summary()}")


@dataclass
class SyncReport:
    """What a sync did. Displays as a table in Jupyter."""

    method: str
    total: int = 0
    created: int = 0
    updated: int = 0
    failures: list[RecordResult] = field(default_factory=list)
    api_calls: int = 0            # every HTTP call to ORG A and ORG B, retries included
    write_calls: int = 0          # calls that wrote to ORG B
    retries: int = 0
    elapsed: float = 0.0          # seconds
    api_usage_b: tuple[int, int] | None = None   # ORG B's Sforce-Limit-Info at the end

    @property
    def failed(self) -> int:
        return len(self.failures)

    def summary(self) -> str:
        usage = (f", ORG B api-usage={self.api_usage_b[0]}/{self.api_usage_b[1]}"
                 if self.api_usage_b else "")
        return (f"{self.total} accounts: created {self.created}, updated {self.updated}, "
                f"failed {self.failed}; {self.api_calls} API calls ({self.write_calls} "
                f"writes, {self.retries} retries) in {self.elapsed:.2f} s{usage}")

    def __str__(self) -> str:
        lines = [f"{self.method}: {self.summary()}"]
        lines += [f"  {r.source_id}: {'; '.join(r.errors)}" for r in self.failures[:20]]
        if self.failed > 20:
            lines.append(f"  ... and {self.failed - 20} more failures")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        usage = f"{self.api_usage_b[0]} / {self.api_usage_b[1]}" if self.api_usage_b else "-"
        rows = [("accounts in ORG A", self.total), ("created in ORG B", self.created),
                ("updated in ORG B", self.updated), ("failed", self.failed),
                ("API calls (writes)", f"{self.api_calls} ({self.write_calls})"),
                ("retries", self.retries), ("elapsed", f"{self.elapsed:.2f} s"),
                ("ORG B API usage (24 h)", usage)]
        body = "".join(f"<tr><td>{k}</td><td><b>{html.escape(str(v))}</b></td></tr>"
                       for k, v in rows)
        fails = "".join(f"<tr><td><code>{html.escape(str(r.source_id))}</code></td><td>"
                        f"{html.escape('; '.join(r.errors))}</td></tr>"
                        for r in self.failures[:50])
        more = f"<p>... and {self.failed - 50} more</p>" if self.failed > 50 else ""
        failed = (f"<table><tr><th>ORG A Id</th><th>why it failed</th></tr>{fails}</table>"
                  f"{more}") if fails else ""
        return (f"<table><caption>{html.escape(self.method)}</caption>{body}</table>"
                f"{failed}")


def _send_with_retries(sf: OrgClient, method: str, path: str, body: Any,
                       retry: RetryPolicy, report: SyncReport) -> requests.Response:
    """One idempotent write, retried per :class:`RetryPolicy`; returns a non-retryable answer.

    ``sf.restful`` is not used: its exceptions drop the headers, and Retry-After is needed.
    """
    url = sf.base_url + path
    attempt = 0
    while True:
        attempt += 1
        report.write_calls += 1
        try:
            response = sf.session.request(method, url, headers=sf.headers, json=body)
        except (requests.ConnectionError, requests.Timeout) as exc:
            # The org may have saved the batch before the connection broke: resending an
            # upsert is harmless (same records, updated instead of created).
            wait = retry.wait_for(attempt, None)
            if wait is None:
                raise SyncAborted(0, "NO_RESPONSE", f"{type(exc).__name__} after {attempt} "
                             f"attempts calling {sf.instance_url}", report) from None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            retry_after = response.headers.get("Retry-After")
            wait = retry.wait_for(attempt, retry_after)
            if wait is None:
                err = ApiError.from_response(response)
                why = (f"Retry-After is {retry_after} s, more than the {retry.max_wait:.0f} s "
                       "this sync waits" if retry_after and attempt < retry.max_attempts
                       else f"still failing after {attempt} attempts")
                raise SyncAborted(response.status_code, err.error_code,
                             f"ORG B answered HTTP {response.status_code} {err.error_code} "
                             f"({why}); try again later", report)
        report.retries += 1
        retry.sleep(wait)


def _check_limit(response: requests.Response, report: SyncReport) -> None:
    """403 REQUEST_LIMIT_EXCEEDED stops the sync without a retry; other errors raise too."""
    if response.status_code == 200:
        return
    err = ApiError.from_response(response)
    if response.status_code == 403 and err.error_code == "REQUEST_LIMIT_EXCEEDED":
        raise SyncAborted(403, err.error_code, (
            f"ORG B's daily API allocation is used up ({err.message}). Not retried: every "
            "retry would fail the same way until the rolling 24-hour usage drops. Check "
            "Setup > Company Information > API Requests, Last 24 Hours"), report)
    hint = ""
    if response.status_code in (400, 404) and (SOURCE_ID in err.message
                                               or err.error_code == "NOT_FOUND"):
        hint = (f" - is the external id field Account.{SOURCE_ID} deployed in ORG B? "
                "(sfdx/force-app/main/default/objects/Account/fields)")
    raise SyncAborted(response.status_code, err.error_code, f"ORG B refused the upsert: "
                 f"HTTP {response.status_code} {err.error_code}: {err.message}{hint}", report)


@contextmanager
def _measured(report: SyncReport, sf_a: OrgClient, sf_b: OrgClient) -> Iterator[None]:
    """Fill the report's API calls, ORG B usage and elapsed time, also when the sync aborts."""
    start, calls_a, calls_b = time.perf_counter(), sf_a.api.calls, sf_b.api.calls
    try:
        yield
    finally:
        report.api_calls = (sf_a.api.calls - calls_a) + (sf_b.api.calls - calls_b)
        report.api_usage_b = sf_b.api.api_usage
        report.elapsed = time.perf_counter() - start


def _prepare(sf_a: OrgClient, report: SyncReport,
             accounts: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """ORG A's accounts as upsert payloads; ones that fail validation are reported, not sent."""
    source = all_accounts(sf_a) if accounts is None else accounts
    candidates = [account_payload(account, with_source_id=True) for account in source]
    try:
        validate_accounts(candidates, source_id=True)  # one pass when all are fine
        payloads = candidates
    except ValidationError:
        payloads = []
        for i, payload in enumerate(candidates):  # find the bad ones, send the rest
            try:
                validate_accounts([payload], source_id=True)
            except ValidationError as exc:
                report.failures.append(RecordResult(
                    i, payload.get(SOURCE_ID), None, False, False,
                    tuple(f"not sent: {p.removeprefix('accounts[0]').lstrip(':. ')}"
                          for p in exc.problems)))
                continue
            payloads.append(payload)
    report.total = len(candidates)
    return payloads


def _tally(report: SyncReport, results: Iterable[RecordResult]) -> None:
    for result in results:
        if not result.success:
            report.failures.append(result)
        elif result.created:
            report.created += 1
        else:
            report.updated += 1


def sync_accounts(sf_a: OrgClient, sf_b: OrgClient, *, batch_size: int = BATCH_SIZE,
                  progress: bool = True, retry: RetryPolicy | None = None,
                  accounts: Iterable[Mapping[str, Any]] | None = None) -> SyncReport:
    """Upsert every ORG A Account into ORG B by ``Source_Id__c``, 200 per API call.

    ``accounts`` replaces the read of ORG A (records with ``Id`` and the Account fields).
    Raises :class:`SyncAborted` (with the partial ``report``) when ORG B's API allocation
    is used up or an error persists beyond the retries.

    >>> sync_accounts(sf_a, sf_b, progress=False).summary()              # doctest: +SKIP
    '5 accounts: created 5, updated 0, failed 0; 2 API calls (1 writes, 0 retries) ...'
    """
    if not 1 <= batch_size <= BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {BATCH_SIZE}")
    retry = retry or RetryPolicy()
    report = SyncReport("sync_accounts (batched upsert)")
    path = f"composite/sobjects/Account/{SOURCE_ID}"
    with _measured(report, sf_a, sf_b):
        payloads = _prepare(sf_a, report, accounts)
        with tqdm(total=len(payloads), disable=not progress, desc="ORG A → ORG B",
                  unit="account") as bar:
            for first in range(0, len(payloads), batch_size):
                batch = payloads[first:first + batch_size]
                records = [{"attributes": {"type": "Account"}, **p} for p in batch]
                response = _send_with_retries(sf_b, "PATCH", path,
                                              {"allOrNone": False, "records": records},
                                              retry, report)
                _check_limit(response, report)
                saves = response.json()
                _tally(report, (RecordResult.from_json(first + i, item, batch[i][SOURCE_ID])
                                for i, item in enumerate(saves)))
                bar.update(len(batch))
    return report


def sync_one_by_one(sf_a: OrgClient, sf_b: OrgClient, *, progress: bool = True,
                    retry: RetryPolicy | None = None,
                    accounts: Iterable[Mapping[str, Any]] | None = None) -> SyncReport:
    """The post's pattern - one API call per record - kept idempotent for a fair comparison.

    Each record is one ``PATCH sobjects/Account/Source_Id__c/<ORG A Id>`` (201 created,
    200/204 updated), with the same validation, retries and report as
    :func:`sync_accounts`, but N write calls instead of ⌈N/200⌉.

    >>> sync_one_by_one(sf_a, sf_b, progress=False).write_calls          # doctest: +SKIP
    5
    """
    from urllib.parse import quote

    retry = retry or RetryPolicy()
    report = SyncReport("sync_one_by_one (one call per record)")
    with _measured(report, sf_a, sf_b):
        payloads = _prepare(sf_a, report, accounts)
        for i, payload in enumerate(tqdm(payloads, disable=not progress,
                                         desc="ORG A → ORG B", unit="account")):
            fields = {k: v for k, v in payload.items() if k != SOURCE_ID}
            key = quote(str(payload[SOURCE_ID]), safe="")
            response = _send_with_retries(sf_b, "PATCH",
                                          f"sobjects/Account/{SOURCE_ID}/{key}", fields,
                                          retry, report)
            if response.status_code in (200, 201, 204):
                _tally(report, [RecordResult(i, payload[SOURCE_ID], None,
                                             response.status_code == 201, True)])
                continue
            if response.status_code == 403:
                _check_limit(response, report)
            err = ApiError.from_response(response)
            _tally(report, [RecordResult(i, payload[SOURCE_ID], None, False, False,
                                         (f"{err.error_code}: {err.message}",))])
    return report
