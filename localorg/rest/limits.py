"""``GET limits/``: the org's daily API allocation and a few other limits (REST API
Developer Guide, Limits resource)."""

from __future__ import annotations

from .auth import usage
from .calls import current, dispatch
from .errors import json_response

DATA_STORAGE_MB = 5          # Developer Edition
RECORD_KB = 2                # Salesforce counts most records as 2 KB of data storage


def limits():
    return dispatch({"GET": _limits})


def _limits():
    call = current()
    used = usage(call.store, call.org["id"])
    limit = int(call.org["api_limit"])
    records = call.store.one("SELECT count(*) AS n FROM records WHERE org_id=?",
                             (call.org["id"],))["n"]
    storage_left = max(0, DATA_STORAGE_MB - (records * RECORD_KB) // 1024)
    return json_response({
        "DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)},
        "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DataStorageMB": {"Max": DATA_STORAGE_MB, "Remaining": storage_left},
        "FileStorageMB": {"Max": 20, "Remaining": 20},
    })
