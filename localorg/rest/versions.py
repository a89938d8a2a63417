"""API versions: ``GET /services/data/`` and the resources of one version.

Salesforce still serves every version from 31.0 (Summer '14) on, and simple-salesforce
1.12.10 calls v59.0 unless told otherwise, so the local orgs accept 31.0 to 67.0
(Summer '26) and list them all, oldest first, like ``/services/data/`` does (REST API
Developer Guide, Versions).
"""

from __future__ import annotations

import re

OLDEST, NEWEST = 31, 67
_VERSION_RE = re.compile(r"^v(\d{2})\.0$")
_SEASONS = ("Winter", "Spring", "Summer")


def release_label(major: int) -> str:
    """The release of an API version: three releases a year, +1.0 each.

    >>> release_label(66)
    "Spring '26"
    """
    if major == OLDEST:
        return "Summer '14"
    step = major - 32  # 32.0 was Winter '15
    return f"{_SEASONS[step % 3]} '{15 + step // 3:02d}"


def all_versions() -> list[dict]:
    return [{"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(OLDEST, NEWEST + 1)]


def resolve(segment: str) -> str | None:
    """``v66.0`` (or ``latest``) to the canonical ``vNN.0``; None for an unknown version."""
    if segment == "latest":  # the alias of the newest version (REST API Versions page)
        return f"v{NEWEST}.0"
    m = _VERSION_RE.match(segment)
    if m and OLDEST <= int(m.group(1)) <= NEWEST:
        return segment
    return None


def resources(version: str) -> dict:
    """``GET /services/data/vXX.X/``: the resources this stand-in serves."""
    base = f"/services/data/{version}"
    return {name: f"{base}/{name}" for name in
            ("sobjects", "query", "queryAll", "composite", "limits")}
