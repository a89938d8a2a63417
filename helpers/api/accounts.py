"""Accounts: read ORG A, post them to ORG B's Apex REST services (the post's way and better).

::

    account = latest_account(sf_a)                # the post's SOQL, ORG A's newest Account
    post_accounts_to_apex(sf_b, [account])        # POST /services/apexrest/createAccountRecord
    result = upsert_accounts_via_apex(sf_b, [{**account, "Source_Id__c": account["Id"]}])
    result.created, result.updated, result.failures

Payloads are checked before anything is sent (A-36): unknown fields, a missing or blank
Name, values that are not text, text longer than the field, NaN/Infinity → a
:class:`ValidationError` and zero requests. SOQL is built from an allow-list of field
names, and user text is escaped inside string literals.

``createAccountRecord`` creates records, so it is never retried automatically: a retry
after a lost answer could create every Account twice. Its class catches every exception
and answers 200 ``"Failure"``: the status alone proves nothing, the body is checked.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError
from simple_salesforce.format import quote_soql_value

from ..errors import ApiError, SalesforceOAuthError, explain_apex

__all__ = ["ACCOUNT_FIELDS", "ApexFailure", "RecordResult", "UpsertResult", "ValidationError",
           "account_payload", "all_accounts", "latest_account", "post_accounts_to_apex",
           "soql_quote", "upsert_accounts_via_apex", "validate_accounts"]

# Fields the services accept, with Salesforce's lengths (Name 255, picklists 255,
# Description is a 32,000-character long text area; Source_Id__c is Text(255)).
ACCOUNT_FIELDS: dict[str, int] = {"Name": 255, "Description": 32000, "Type": 255,
                                  "Industry": 255}
SOURCE_ID = "Source_Id__c"
SOURCE_ID_LENGTH = 255
MAX_UPSERT = 200
MAX_DML_ROWS = 10_000  # Apex: DML rows per transaction; createAccountRecord inserts in one
# Fields that may be SELECTed from ORG A (allow-list: never a name typed by a user, A-36).
QUERYABLE = ("Id", "Name", "Description", "Type", "Industry", "CreatedDate",
             "LastModifiedDate")
POST_FIELDS = ("Id", "Name", "Description", "Type", "Industry")  # the post's SELECT list
CREATE_SERVICE = "createAccountRecord"
UPSERT_SERVICE = "accounts/upsert"


class ValidationError(SalesforceOAuthError, ValueError):
    """Payloads were refused before sending (A-36); ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more"
                                            if len(problems) > 10 else "")
        super().__init__(f"nothing was sent: {shown}")


class ApexFailure(ApiError):
    """An Apex REST service answered but did not do the work (``"Failure"``, 4xx, 5xx)."""


def soql_quote(text: str) -> str:
    """A SOQL string literal for user text (A-36): simple-salesforce's ``quote_soql_value``,
    which escapes every sequence of Salesforce's "Quoted String Escape Sequences" (SOQL and
    SOSL Reference): backslash, both quotes, newline, return, tab, backspace, form feed.

    >>> soql_quote("x' OR Name != '")
    "'x\\\\' OR Name != \\\\''"
    """
    return quote_soql_value(str(text))


def _select(fields: Iterable[str]) -> str:
    chosen = list(dict.fromkeys(fields))
    unknown = [f for f in chosen if f not in QUERYABLE]
    if unknown or not chosen:
        raise ValidationError([f"field {f!r} cannot be queried here; choose from "
                               f"{', '.join(QUERYABLE)}" for f in unknown or ["(none)"]])
    return ", ".join(chosen)


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes"}


def latest_account(sf_a: Salesforce) -> dict[str, Any] | None:
    """ORG A's newest Account, with the post's query; None when ORG A has no Account.

    ``SELECT Id, Name, Description, Type, Industry FROM Account ORDER BY CreatedDate DESC
    LIMIT 1``

    >>> latest_account(sf_a)["Name"]                                     # doctest: +SKIP
    'United Oil & Gas Corp.'
    """
    # Field names come from the allow-list; there is no user text.
    soql = f"SELECT {_select(POST_FIELDS)} FROM Account ORDER BY CreatedDate DESC LIMIT 1"  # noqa: S608
    records = sf_a.query(soql)["records"]
    return _plain(records[0]) if records else None


def all_accounts(sf_a: Salesforce, fields: Iterable[str] = POST_FIELDS, *,
                 name: str | None = None) -> Iterator[dict[str, Any]]:
    """Every Account of ORG A (all pages, via ``query_all_iter``), oldest first.

    ``fields`` must come from :data:`QUERYABLE`; ``name`` (user text) filters on the exact
    Name and is escaped, so ``"x' OR Name != '"`` matches nothing instead of everything.

    >>> [a["Name"] for a in all_accounts(sf_a)][:2]                      # doctest: +SKIP
    ['Edge Communications', 'Burlington Textiles Corp of America']
    """
    where = f" WHERE Name = {soql_quote(name)}" if name is not None else ""
    soql = f"SELECT {_select(fields)} FROM Account{where} ORDER BY CreatedDate, Id"  # noqa: S608
    for record in sf_a.query_all_iter(soql):
        yield _plain(record)


def account_payload(account: Mapping[str, Any], *, with_source_id: bool = False
                    ) -> dict[str, Any]:
    """The fields the services take from an ORG A record (``Id`` becomes ``Source_Id__c``).

    >>> account_payload({"Id": "001A", "Name": "Acme", "Phone": "1"}, with_source_id=True)
    {'Name': 'Acme', 'Source_Id__c': '001A'}
    """
    out = {k: account[k] for k in ACCOUNT_FIELDS if k in account}
    if with_source_id:
        out[SOURCE_ID] = account.get(SOURCE_ID) or account.get("Id")
    return out


def validate_accounts(accounts: Iterable[Mapping[str, Any]], *,
                      source_id: bool = False) -> list[dict[str, Any]]:
    """Check payloads before sending; returns plain dicts, or raises :class:`ValidationError`.

    >>> validate_accounts([{"Name": "Acme", "Type": "Prospect"}])
    [{'Name': 'Acme', 'Type': 'Prospect'}]
    >>> validate_accounts([{"Nme": "typo"}])
    Traceback (most recent call last):
    ...
    helpers.api.accounts.ValidationError: nothing was sent: accounts[0]: unknown field 'Nme' ...
    """
    if isinstance(accounts, (Mapping, str)):
        raise ValidationError(["pass a list of accounts, e.g. [account], not one account"])
    allowed = {**ACCOUNT_FIELDS, **({SOURCE_ID: SOURCE_ID_LENGTH} if source_id else {})}
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    items = list(accounts)
    if not items:
        problems.append("no accounts given")
    for i, account in enumerate(items):
        where = f"accounts[{i}]"
        if not isinstance(account, Mapping):
            problems.append(f"{where} is a {type(account).__name__}, not a dict of fields")
            continue
        for key, value in account.items():
            if key not in allowed:
                problems.append(f"{where}: unknown field {key!r} (allowed: "
                                f"{', '.join(allowed)}; use account_payload() to pick them)")
            elif value is not None and not isinstance(value, str):
                kind = "NaN/Infinity" if isinstance(value, float) and not math.isfinite(value) \
                    else type(value).__name__
                problems.append(f"{where}.{key}: {kind} is not text")
            elif value is not None and len(value) > allowed[key]:
                problems.append(f"{where}.{key}: {len(value)} characters, the field holds "
                                f"{allowed[key]}")
        if not str(account.get("Name") or "").strip():
            problems.append(f"{where}: Name is missing or blank (Account Name is required)")
        if source_id and not str(account.get(SOURCE_ID) or "").strip():
            problems.append(f"{where}: {SOURCE_ID} is missing (ORG A's Account Id; it is "
                            "what makes a rerun update instead of duplicate)")
        out.append(dict(account))
    if not problems:
        try:  # the last guard: exactly what will be sent must be strict JSON
            json.dumps(out, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.append(f"not valid JSON: {exc}")
    if problems:
        raise ValidationError(problems)
    return out


def _apex_error(exc: SalesforceError, service: str) -> ApexFailure:
    """A simple-salesforce exception of an Apex REST call, explained."""
    content = exc.content
    first = content[0] if isinstance(content, list) and content and \
        isinstance(content[0], dict) else {}
    code = str(first.get("errorCode") or "UNKNOWN")
    message = str(first.get("message") or content)[:500]
    if "Invalid status code for HTTP response" in message:
        why = (f"{service} set an HTTP status that Apex REST does not allow, so Salesforce "
               "answered 500 instead (an old AccountUpsertService answered 207 for a partial "
               "success). Its records may or may not have been saved: look in ORG B, then "
               "deploy the current classes from sfdx/")
    elif code == "APEX_ERROR" and explain_apex(message):
        why = f"{service} threw {message.split(':', 1)[0]}: {explain_apex(message)}"
    elif code == "JSON_PARSER_ERROR":
        why = f"{service} could not read the JSON body: send a JSON array of objects"
    elif code == "APEX_ERROR":
        why = f"{service} threw an unhandled exception; its debug log in ORG B shows where"
    elif exc.status >= 500 or exc.status == 429:
        why = (f"{service} failed or is busy; it may or may not have saved the records. Not "
               "retried, because a second POST of a create could save them twice: look in "
               "ORG B before posting again")
    elif code == "NOT_FOUND":
        why = (f"ORG B has no Apex REST service at /services/apexrest/{service}: deploy the "
               "classes in sfdx/ to ORG B")
    else:
        why = f"{service} refused the request"
    return ApexFailure(exc.status, code, f"{message} - {why}")


def post_accounts_to_apex(sf_b: Salesforce, accounts: Iterable[Mapping[str, Any]], *,
                          validate: bool = True) -> int:
    """The post's way: POST the accounts as a JSON array to ``createAccountRecord``.

    Returns how many Accounts ORG B created (all of them: the service inserts all or
    none). Raises :class:`ValidationError` (nothing sent) or :class:`ApexFailure`. Never
    retried: the service is not idempotent. ``validate=False`` skips the local checks, only
    to watch what the service itself does with a bad record (the notebook's error gallery).

    >>> post_accounts_to_apex(sf_b, [account_payload(latest_account(sf_a))])  # doctest: +SKIP
    1
    """
    payload = validate_accounts(accounts) if validate else [dict(a) for a in accounts]
    if validate and len(payload) > MAX_DML_ROWS:
        raise ValidationError([f"{len(payload)} accounts: createAccountRecord inserts them in "
                               f"one transaction and Apex allows {MAX_DML_ROWS:,} DML rows; "
                               "send smaller batches (or use sync_accounts())"])
    try:
        answer = sf_b.apexecute(CREATE_SERVICE, method="POST", data=payload)
    except SalesforceError as exc:
        raise _apex_error(exc, CREATE_SERVICE) from None
    if answer == "Success":
        return len(payload)
    if answer == "Failure":
        raise ApexFailure(200, "APEX_RETURNED_FAILURE", (
            "createAccountRecord answered HTTP 200 with \"Failure\": its insert threw an "
            "exception, which the class catches and hides, so nothing was created. Usual "
            "causes: a required field is missing (Name), a value is too long, or a validation "
            "rule or trigger in ORG B refused the record. To see the real error, open ORG B's "
            "debug log for the integration user, or use upsert_accounts_via_apex(), which "
            "reports each record's error"))
    raise ApexFailure(200, "UNEXPECTED_ANSWER", f"createAccountRecord answered {answer!r} "
                      "instead of \"Success\" or \"Failure\": check the class deployed in ORG B")


@dataclass(frozen=True)
class RecordResult:
    """The outcome of one record: created or updated in ORG B, or why it failed."""

    index: int
    source_id: str | None
    id: str | None
    created: bool
    success: bool
    errors: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, index: int, item: Mapping[str, Any], source_id: str | None
                  ) -> RecordResult:
        """From a SaveResult (``statusCode``) or an upsert-service result."""
        errors = tuple(
            f"{e.get('statusCode') or e.get('errorCode') or 'ERROR'}: {e.get('message', '')}"
            + (f" (fields: {', '.join(e['fields'])})" if e.get("fields") else "")
            for e in item.get("errors") or [] if isinstance(e, Mapping))
        return cls(index, item.get("sourceId", source_id), item.get("id"),
                   bool(item.get("created")), bool(item.get("success")), errors)


@dataclass(frozen=True)
class UpsertResult:
    """What ``accounts/upsert`` did: per-record results and the counts."""

    results: tuple[RecordResult, ...]
    status: int
    created: int = 0
    updated: int = 0
    failed: int = 0
    failures: tuple[RecordResult, ...] = field(default=())

    def __str__(self) -> str:
        lines = [f"created {self.created}, updated {self.updated}, failed {self.failed} "
                 f"(HTTP {self.status})"]
        lines += [f"  [{r.index}] {r.source_id}: {'; '.join(r.errors)}" for r in self.failures]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{r.index}</td><td><code>{html.escape(str(r.source_id))}"
                       f"</code></td><td>{html.escape('; '.join(r.errors))}</td></tr>"
                       for r in self.failures)
        table = (f"<table><tr><th>#</th><th>Source_Id__c</th><th>error</th></tr>{rows}"
                 "</table>") if rows else ""
        return (f"<p>created <b>{self.created}</b>, updated <b>{self.updated}</b>, failed "
                f"<b>{self.failed}</b> (HTTP {self.status})</p>{table}")


def upsert_accounts_via_apex(sf_b: Salesforce, accounts: Iterable[Mapping[str, Any]], *,
                             all_or_none: bool = False) -> UpsertResult:
    """The improved service: upsert 1-200 Accounts by ``Source_Id__c`` with per-record results.

    Each account needs ``Source_Id__c`` (ORG A's Id) and ``Name``. HTTP 200 (at least one
    saved: check ``failed``/``failures``, some may have failed) and 400 with results (all
    failed, or ``all_or_none`` rolled back) return an :class:`UpsertResult`; a malformed
    request raises :class:`ApexFailure`. There is no 207: Apex REST does not allow it
    (Apex Reference Guide, RestResponse Class), so the results, not the status, say whether
    every record was saved.

    >>> upsert_accounts_via_apex(sf_b, [account_payload(a, with_source_id=True)
    ...                                 for a in all_accounts(sf_a)]).created  # doctest: +SKIP
    5
    """
    payload = validate_accounts(accounts, source_id=True)
    if len(payload) > MAX_UPSERT:
        raise ValidationError([f"{len(payload)} accounts: the service takes at most "
                               f"{MAX_UPSERT} per call (sync_accounts() batches any number)"])
    body = {"accounts": payload, "allOrNone": all_or_none}
    try:
        answer = sf_b.apexecute(UPSERT_SERVICE, method="POST", data=body)
        status = 200
    except SalesforceError as exc:
        if not (exc.status == 400 and isinstance(exc.content, Mapping)
                and "results" in exc.content):
            raise _apex_error(exc, UPSERT_SERVICE) from None
        answer, status = exc.content, 400  # every record failed: still per-record results
    if not isinstance(answer, Mapping) or not isinstance(answer.get("results"), list):
        raise ApexFailure(status, "UNEXPECTED_ANSWER", f"{UPSERT_SERVICE} answered without "
                          "results: check the AccountUpsertService class deployed in ORG B")
    results = tuple(RecordResult.from_json(i, item, payload[i].get(SOURCE_ID)
                                           if i < len(payload) else None)
                    for i, item in enumerate(answer["results"]))
    ok = [r for r in results if r.success]
    return UpsertResult(results, status, created=sum(r.created for r in ok),
                        updated=sum(not r.created for r in ok), failed=len(results) - len(ok),
                        failures=tuple(r for r in results if not r.success))
