"""How the learner's browser is played: by a person (interactive) or by a script (scripted).

The mode is chosen explicitly with the environment variable ``TUTORIAL_BROWSER``:

* ``interactive`` (the default): the notebook shows a link to open in your browser, a
  loopback listener catches the redirect, and a paste box is the fallback.
* ``scripted``: a demo user (:class:`localorg.ScriptedBrowser`) logs in
  through the local orgs' real login and consent pages. ``make test`` and
  ``make notebooks`` set it; trainers use it for dry runs. Only the local orgs have a
  demo user, so scripted mode needs ``SF_TARGET=local``.

::

    TUTORIAL_BROWSER=scripted jupyter lab     # a dry run without typing a password
"""

from __future__ import annotations

import os

from ..errors import ConfigurationError

BROWSER_ENV = "TUTORIAL_BROWSER"
MODES = ("interactive", "scripted")


def browser_mode() -> str:
    """``"interactive"`` or ``"scripted"``, from ``$TUTORIAL_BROWSER`` (default interactive).

    >>> browser_mode() in MODES
    True
    """
    mode = (os.environ.get(BROWSER_ENV) or "interactive").strip().lower()
    if mode not in MODES:
        raise ConfigurationError(f"{BROWSER_ENV}={mode!r} is not valid: use 'interactive' "
                                 "(you log in yourself, the default) or 'scripted' (a demo user "
                                 "logs in on the local orgs)")
    return mode


def is_scripted() -> bool:
    """True when a script, not a person, plays the browser (CI, dry runs)."""
    return browser_mode() == "scripted"
