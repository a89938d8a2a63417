"""The ORG A → ORG B sync: idempotent batched upserts, reports, retries, limits."""

from __future__ import annotations

import math

import pytest

from helpers.api import RetryPolicy, SyncAborted, sync_accounts, sync_one_by_one

UPSERT_PATH = "/services/data/v67.0/composite/sobjects/Account/Source_Id__c"


def add_org_a_accounts(sf_a, count: int, prefix: str = "Sync test") -> None:
    for first in range(0, count, 200):
        records = [{"attributes": {"type": "Account"}, "Name": f"{prefix} {first + i}",
                    "Industry": "Retail"} for i in range(min(200, count - first))]
        saved = sf_a.restful("composite/sobjects", method="POST",
                             json={"allOrNone": True, "records": records})
        assert all(r["success"] for r in saved)


def org_a_ids(sf_a) -> set[str]:
    return {r["Id"] for r in sf_a.query_all_iter("SELECT Id FROM Account")}


def org_b_source_ids(sf_b) -> list[str]:
    return [r["Source_Id__c"] for r in sf_b.query_all_iter(
        "SELECT Source_Id__c FROM Account WHERE Source_Id__c != null")]


def test_a35_sync_twice_creates_each_account_once(fresh_clients):
    c = fresh_clients
    add_org_a_accounts(c.sf_a, 450)
    n = len(org_a_ids(c.sf_a))
    assert n == 455

    first = sync_accounts(c.sf_a, c.sf_b, progress=False)
    assert (first.total, first.created, first.updated, first.failed) == (n, n, 0, 0)
    assert first.write_calls == math.ceil(n / 200) == 3
    assert first.api_calls == 1 + 3  # one query page of ORG A + three upserts
    assert first.api_usage_b == (c.usage("B"), 15000)

    again = sync_accounts(c.sf_a, c.sf_b, progress=False)
    assert (again.created, again.updated, again.failed) == (0, n, 0)
    sources = org_b_source_ids(c.sf_b)
    assert len(sources) == len(set(sources)) == n          # no duplicates
    assert set(sources) == org_a_ids(c.sf_a)
    assert c.stored_accounts("B") == n


def test_sync_reports_a_failed_record_with_its_reason(fresh_clients):
    c = fresh_clients
    victim = sorted(org_a_ids(c.sf_a))[0]
    for name in ("Imported once", "Imported twice"):  # someone loaded it twice by hand
        c.sf_b.Account.create({"Name": name, "Source_Id__c": victim})
    report = sync_accounts(c.sf_a, c.sf_b, progress=False)
    assert (report.created, report.failed) == (4, 1)
    failure = report.failures[0]
    assert failure.source_id == victim
    assert "DUPLICATE_EXTERNAL_ID" in failure.errors[0] and victim in str(report)
    assert victim in report._repr_html_()


def test_sync_one_by_one_uses_one_call_per_record_and_is_idempotent(fresh_clients):
    c = fresh_clients
    first = sync_one_by_one(c.sf_a, c.sf_b, progress=False)
    assert (first.created, first.updated, first.failed, first.write_calls) == (5, 0, 0, 5)
    again = sync_one_by_one(c.sf_a, c.sf_b, progress=False)
    assert (again.created, again.updated) == (0, 5)
    batched = sync_accounts(c.sf_a, c.sf_b, progress=False)
    assert (batched.updated, batched.write_calls) == (5, 1)
    assert len(org_b_source_ids(c.sf_b)) == 5


def test_progress_bar_shows_only_when_wanted(clients, capsys):
    sync_accounts(clients.sf_a, clients.sf_b, progress=False)
    assert "ORG A → ORG B" not in capsys.readouterr().err
    sync_accounts(clients.sf_a, clients.sf_b, progress=True)
    assert "ORG A → ORG B" in capsys.readouterr().err


def test_a34_request_limit_exceeded_is_not_retried(clients):
    waits: list[float] = []
    clients.set_usage("B", 15000)
    try:
        with pytest.raises(SyncAborted) as caught:
            sync_accounts(clients.sf_a, clients.sf_b, progress=False,
                          retry=RetryPolicy(sleep=waits.append))
    finally:
        clients.set_usage("B", 0)
    err = caught.value
    assert err.status == 403 and err.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert "Not retried" in str(err)
    assert err.report.write_calls == 1 and err.report.retries == 0 and waits == []


def test_a34_server_errors_are_retried_then_succeed(clients):
    waits: list[float] = []
    clients.fault("B", UPSERT_PATH, 503, remaining=2)
    try:
        report = sync_accounts(clients.sf_a, clients.sf_b, progress=False,
                               retry=RetryPolicy(sleep=waits.append))
    finally:
        clients.clear_faults()
    assert report.failed == 0 and report.retries == 2 and report.write_calls == 3
    assert waits == [1.0, 2.0]  # exponential backoff without Retry-After


def test_a34_retry_after_is_honoured(clients):
    waits: list[float] = []
    clients.fault("B", UPSERT_PATH, 429, remaining=1, retry_after=2)
    try:
        report = sync_accounts(clients.sf_a, clients.sf_b, progress=False,
                               retry=RetryPolicy(sleep=waits.append))
    finally:
        clients.clear_faults()
    assert report.failed == 0 and report.retries == 1 and waits == [2.0]


def test_a34_persistent_errors_stop_after_max_attempts(clients):
    waits: list[float] = []
    clients.fault("B", UPSERT_PATH, 500, remaining=100)
    try:
        with pytest.raises(SyncAborted) as caught:
            sync_accounts(clients.sf_a, clients.sf_b, progress=False,
                          retry=RetryPolicy(max_attempts=4, sleep=waits.append))
    finally:
        clients.clear_faults()
    assert caught.value.status == 500 and caught.value.report.write_calls == 4
    assert len(waits) == 3 and sum(waits) <= 3 * 30
    assert "after 4 attempts" in str(caught.value)


def test_a34_a_day_long_retry_after_is_not_waited_for(clients):
    waits: list[float] = []
    clients.fault("B", UPSERT_PATH, 503, remaining=1, retry_after=86400)
    try:
        with pytest.raises(SyncAborted) as caught:
            sync_accounts(clients.sf_a, clients.sf_b, progress=False,
                          retry=RetryPolicy(sleep=waits.append))
    finally:
        clients.clear_faults()
    assert waits == [] and caught.value.report.write_calls == 1
    assert "Retry-After is 86400" in str(caught.value)


def test_a34_real_wait_of_retry_after_one_second(clients):
    """With the real clock: Retry-After: 1 makes the sync wait at least a second."""
    clients.fault("B", UPSERT_PATH, 503, remaining=1, retry_after=1)
    try:
        report = sync_accounts(clients.sf_a, clients.sf_b, progress=False)
    finally:
        clients.clear_faults()
    assert report.retries == 1 and report.elapsed >= 1.0


def test_a35_batch_saved_but_answer_lost_is_retried_without_duplicates(fresh_clients):
    """The org commits the batch, then answers 503: the retried upsert updates, no copies."""
    c = fresh_clients
    c.fault("B", UPSERT_PATH, 503, remaining=1, after_commit=True)
    report = sync_accounts(c.sf_a, c.sf_b, progress=False,
                           retry=RetryPolicy(sleep=lambda _s: None))
    assert report.retries == 1 and report.write_calls == 2 and report.failed == 0
    assert (report.created, report.updated) == (0, 5)  # the first answer was lost
    sources = org_b_source_ids(c.sf_b)
    assert len(sources) == len(set(sources)) == 5 and c.stored_accounts("B") == 5


def test_sync_into_an_org_without_the_external_id_field_says_what_to_deploy(clients):
    """ORG A has no Source_Id__c: upserting into it fails with a deploy hint, once."""
    with pytest.raises(SyncAborted) as caught:
        sync_accounts(clients.sf_a, clients.sf_a, progress=False,
                      accounts=[{"Id": "001000000000001AAA", "Name": "x"}])
    assert "Source_Id__c deployed" in str(caught.value)
    assert caught.value.report.write_calls == 1


def test_a36_invalid_records_are_reported_and_not_sent(clients):
    fine = {"Id": "001SYNCVALID00001AA", "Name": "Fine record"}
    nameless = {"Id": "001SYNCVALID00002AA", "Name": ""}
    too_long = {"Id": "001SYNCVALID00003AA", "Name": "Long", "Description": "d" * 32001}
    report = sync_accounts(clients.sf_a, clients.sf_b, progress=False,
                           accounts=[fine, nameless, too_long])
    assert (report.total, report.created + report.updated, report.failed) == (3, 1, 2)
    assert report.write_calls == 1
    reasons = {r.source_id: r.errors[0] for r in report.failures}
    assert reasons["001SYNCVALID00002AA"].startswith("not sent: Name is missing")
    assert reasons["001SYNCVALID00003AA"].startswith("not sent: Description: 32001 characters")

    calls = clients.sf_b.api.calls
    nothing = sync_accounts(clients.sf_a, clients.sf_b, progress=False, accounts=[nameless])
    assert (nothing.failed, nothing.write_calls, clients.sf_b.api.calls) == (1, 0, calls)
