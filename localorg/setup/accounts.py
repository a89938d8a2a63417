"""The org's Accounts as Salesforce's list view and record page show them (read-only).

Routes (instance hosts only)::

    GET /lightning/o/Account/list?page=N      newest first, PAGE_SIZE per page
    GET /lightning/r/Account/<id>/view        one record, every stored field

The ``records`` table belongs to ``rest.records``; these are this module's own read-only
queries on it, so the Setup pages never change what the REST API stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, g, request

from ..rest.records import ID_RE
from ..store import Store
from ..web.pages import error_page, render
from .access import requires_org_user

PAGE_SIZE = 200


@dataclass(frozen=True)
class AccountRow:
    id: str
    fields: dict[str, Any]
    created_date: str
    last_modified_date: str
    created_by_id: str | None


def _row(r: Any) -> AccountRow:
    return AccountRow(r["id"], json.loads(r["fields"]), r["created_date"],
                      r["last_modified_date"], r["created_by_id"])


def count_accounts(store: Store, org_id: str) -> int:
    row = store.one("SELECT count(*) AS n FROM records WHERE org_id=? AND sobject='Account'"
                    " AND is_deleted=0", (org_id,))
    return row["n"] if row else 0


def list_accounts(store: Store, org_id: str, page: int = 1) -> list[AccountRow]:
    """One page of an org's non-deleted Accounts, newest first (``seq`` breaks ties)."""
    rows = store.query(
        "SELECT id, fields, created_date, last_modified_date, created_by_id FROM records"
        " WHERE org_id=? AND sobject='Account' AND is_deleted=0"
        " ORDER BY created_date DESC, seq DESC LIMIT ? OFFSET ?",
        (org_id, PAGE_SIZE, (page - 1) * PAGE_SIZE))
    return [_row(r) for r in rows]


def get_account(store: Store, org_id: str, record_id: str) -> AccountRow | None:
    """A non-deleted Account of the org by its 15- or 18-character id (case-sensitive)."""
    if not ID_RE.match(record_id):
        return None
    row = store.one(
        "SELECT id, fields, created_date, last_modified_date, created_by_id FROM records"
        " WHERE org_id=? AND sobject='Account' AND is_deleted=0 AND substr(id, 1, 15)=?",
        (org_id, record_id[:15]))
    return _row(row) if row else None


def register(bp: Blueprint) -> None:
    """Add the Account list view and record page to a Setup blueprint."""

    @bp.get("/lightning/o/Account/list")
    @requires_org_user
    def account_list():
        store = current_app.config["LOCALORG"].store
        total = count_accounts(store, g.setup_org["id"])
        pages = max(1, -(-total // PAGE_SIZE))
        page = request.args.get("page", "1")
        # str.isdigit() is also true for "²" and other non-ASCII digits that int() refuses.
        if not (page.isascii() and page.isdigit()):
            return error_page("Bad page number", "The page number must be a whole number, "
                              f"from 1 to {pages}.", status=400)
        if len(page) > 9 or not 1 <= int(page) <= pages:
            return error_page("No such page", f"The Accounts list has pages 1 to {pages}.",
                              status=404)
        page_no = int(page)
        rows = list_accounts(store, g.setup_org["id"], page_no)
        return render("setup_accounts.html", title="Accounts", user=g.setup_user,
                      accounts=rows, total=total, page=page_no, pages=pages,
                      first=(page_no - 1) * PAGE_SIZE + 1 if rows else 0,
                      last=(page_no - 1) * PAGE_SIZE + len(rows),
                      show_source_id=g.setup_org["key"] == "B")

    @bp.get("/lightning/r/Account/<record_id>/view")
    @requires_org_user
    def account_view(record_id: str):
        store = current_app.config["LOCALORG"].store
        account = get_account(store, g.setup_org["id"], record_id)
        if account is None:
            return error_page("Record not found",
                              "This Account does not exist in this org, or it was deleted.",
                              status=404)
        creator = store.user(account.created_by_id) if account.created_by_id else None
        return render("setup_account.html", title=str(account.fields.get("Name") or "Account"),
                      user=g.setup_user, account=account,
                      created_by=creator["username"] if creator else None)
