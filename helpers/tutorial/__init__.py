"""The notebook-facing layer of the tutorial: what each notebook cell calls.

* :func:`catch_up` - everything earlier notebooks produced, so any notebook runs on its own
* :func:`load_target`, :func:`register_app`, :func:`save_app_credentials` - local or real orgs,
  and the tutorial's app in ORG B
* :class:`Login` - the login step: link + loopback listener + paste box (interactive), or
  the demo user on the real login and consent pages (scripted)
* :func:`browser_mode` - ``TUTORIAL_BROWSER=interactive`` (default) or ``scripted``
* :func:`show_source`, :func:`link`, :func:`show_json`, :func:`expect_error` - display
* :class:`AppForm` - Password fields for a key and secret made on the local Setup page
* :func:`keep_token_answers` - the raw token answers, for checking the signature by hand
* :func:`expire_access_token`, :func:`with_params` - local-org simulations for the error gallery
* :func:`connect_org_a`, :func:`org_a_session` - ORG A's client; on the local orgs its demo user
  logs in for you

::

    from helpers import tutorial
    progress = tutorial.catch_up(6)
    progress.token
"""

from __future__ import annotations

from .appform import AppForm
from .catchup import Progress, catch_up
from .handover import forget_saved_session
from .login import Login, LoginPending
from .mode import BROWSER_ENV, browser_mode, is_scripted
from .org_a import connect_org_a, org_a_session
from .show import expect_error, link, show_json, show_source
from .simulate import expire_access_token, with_params
from .target import SavedApp, Target, load_target, register_app, save_app_credentials
from .wire import keep_token_answers

__all__ = ["AppForm", "BROWSER_ENV", "Login", "LoginPending", "Progress", "SavedApp", "Target",
           "browser_mode", "catch_up", "connect_org_a", "expect_error", "expire_access_token",
           "forget_saved_session", "is_scripted",
           "keep_token_answers", "link", "load_target", "org_a_session", "register_app",
           "save_app_credentials", "show_json", "show_source", "with_params"]
