"""What every host shares: sessions and CSRF, pages, the proxy prefix, the request limits.

The app factory that composes the hosts is :mod:`localorg.app`.
"""

from __future__ import annotations

import logging

from . import proxy, sessions

MAX_BODY_BYTES = 4 * 1024 * 1024  # larger bodies get 413 before they are read (B-28)

log = logging.getLogger("localorg")

__all__ = ["MAX_BODY_BYTES", "log", "proxy", "sessions"]
