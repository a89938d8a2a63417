"""Which orgs the notebooks talk to, and the tutorial's app in ORG B.

* Local orgs (``SF_TARGET=local``, the default): the local stand-in is started if needed,
  and the app's Consumer Key and Secret are kept in the local data folder
  (``<LOCALORG_DATA>/tutorial-app.json``, file mode 0600, never in the repository).
* Real orgs (``SF_TARGET=salesforce``): everything comes from ``.env`` (see
  docs/real-orgs.md); nothing is written anywhere.
* The trainer's orgs in a workshop (``SF_TARGET=classroom``): like real orgs, everything
  comes from ``.env`` (the handout, see docs/workshops.md), and the learner logs in
  in their own browser; the room's CA file (``SF_CA_BUNDLE``) is the only trust anchor.

::

    target = load_target()
    target.describe()            # one line saying which orgs are in use
    app = register_app(target)   # local orgs: creates the app once, then reuses it
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import localorg

from ..errors import ConfigurationError
from ..oauth.trust import LOOPBACK_NAMES
from ..settings import Settings, load_settings
from ..transcript import mask
from .mode import is_scripted
from .remote import Remote, detect

APP_FILE = "tutorial-app.json"
APP_NAME = "Tutorial web server flow"
SEED_ENV = "LOCALORG_SEED"  # only for reproducible runs (make test, make notebooks)


@dataclass(frozen=True, repr=False)
class SavedApp:
    """Consumer Key and Secret of the tutorial's External Client App in a local ORG B."""

    client_id: str
    client_secret: str
    callback_url: str
    name: str = APP_NAME

    def __repr__(self) -> str:  # the secret never appears
        return (f"SavedApp(name={self.name!r}, client_id={mask(self.client_id)!r}, "
                f"client_secret='***', callback_url={self.callback_url!r})")


@dataclass(frozen=True, repr=False)
class Target:
    """The settings in use and, for the local target, the running local orgs."""

    settings: Settings
    orgs: localorg.LocalOrgInfo | None = None
    remote: Remote | None = None  # the kernel runs on a server (helpers/tutorial/remote.py)

    @property
    def is_local(self) -> bool:
        return self.settings.is_local

    @property
    def org_b_user(self) -> dict[str, str] | None:
        """The demo user of the local ORG B (None for real orgs)."""
        return self.orgs.user("B") if self.orgs else None

    def instance_url(self, org: str) -> str | None:
        """Base URL of a local org ("A" or "B"); None for real orgs (known after login)."""
        return self.orgs.instance_url(org) if self.orgs else None

    def browser_url(self, url: str) -> str:
        """``url`` as the learner's browser opens it (through jupyter-server-proxy when the
        kernel is remote and ``url`` is a local org's loopback address)."""
        return self.remote.browser_url(url) if self.remote and self.orgs else url

    def describe(self) -> str:
        if self.settings.is_classroom:
            origins = self.settings.local_origins()
            text = (f"Target: the ROOM's orgs (SF_TARGET=classroom), trusted through "
                    f"{self.settings.ca_bundle}. Login host {origins[0]}, ORG A {origins[1]}, "
                    f"ORG B {origins[2]}.")
        elif self.orgs:
            text = (f"Target: the LOCAL orgs (SF_TARGET=local). Login host {self.orgs.login_url}, "
                    f"ORG A {self.orgs.instance_url('A')}, ORG B {self.orgs.instance_url('B')}.")
        else:
            text = (f"Target: REAL Salesforce orgs (SF_TARGET=salesforce). ORG B logs in at "
                    f"{self.settings.login_url}.")
        if self.remote:
            text += (f"\nThis is a {self.remote.describe()}; callback URL "
                     f"{self.settings.callback_url}.")
        return text

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


def _app_path(settings: Settings) -> Path:
    return settings.localorg_data / APP_FILE


def saved_app(settings: Settings) -> SavedApp | None:
    """The app saved for these local orgs, or None."""
    try:
        data = json.loads(_app_path(settings).read_text())
        return SavedApp(data["client_id"], data["client_secret"], data["callback_url"],
                        data.get("name", APP_NAME))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_private_json(path: Path, record: dict) -> Path:
    """Write ``record`` as JSON, mode 0600 from creation (and if the file was wider before):
    the app's secret here, the learner's kept grant or session in :mod:`.handover`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(record, out)
    if os.name != "nt":
        os.chmod(path, 0o600)
    return path


def _save(settings: Settings, app: SavedApp) -> None:
    write_private_json(_app_path(settings), {
        "name": app.name, "client_id": app.client_id, "client_secret": app.client_secret,
        "callback_url": app.callback_url})


def _with_app(settings: Settings, app: SavedApp | None) -> Settings:
    if app is None or app.callback_url != settings.callback_url:
        # A key from .env belongs to a real org; the local orgs use their own app only.
        return replace(settings, client_id=None, client_secret=None)
    return replace(settings, client_id=app.client_id, client_secret=app.client_secret)


def load_target(force_local: bool = False) -> Target:
    """Read the settings; for the local target, start the local orgs if they are not running.

    ``force_local`` uses the local orgs whatever ``SF_TARGET`` says.
    """
    environ = {**os.environ, "SF_TARGET": "local", "SF_LOGIN_URL": ""} if force_local else None
    settings = load_settings(environ=environ)
    if not settings.is_local:
        if is_scripted() and settings.is_classroom:
            raise ConfigurationError("TUTORIAL_BROWSER=scripted does not work in the classroom: "
                                     "the room refuses the demo users from other machines, so "
                                     "unset it and log in in your browser with the username and "
                                     "password from your handout")
        if is_scripted():
            raise ConfigurationError("TUTORIAL_BROWSER=scripted only works with the local orgs "
                                     "(their demo user logs in); unset it for real orgs")
        return Target(settings, remote=detect())
    orgs = localorg.ensure_running(settings.localorg_data, settings.localorg_port_base,
                                   seed=os.environ.get(SEED_ENV) or None)
    remote = detect()
    loopback = urlsplit(settings.callback_url)
    if remote and loopback.scheme == "http" and loopback.hostname in LOOPBACK_NAMES:
        # The browser cannot reach localhost:<port> here; through the proxy it can, when the
        # server's public address is known (else the paste fallback does the job). The local
        # app is created with this URL; real orgs keep exactly what .env says.
        proxied = remote.callback_url(loopback.port or 80, loopback.path or "/")
        settings = replace(settings, callback_url=proxied or settings.callback_url)
    return Target(_with_app(settings, saved_app(settings)), orgs, remote)


def register_app(target: Target) -> tuple[Target, SavedApp]:
    """Local orgs: create the tutorial's External Client App in ORG B once and save its key
    and secret (0600) in the data folder. Returns the updated target and the app."""
    _require_local(target, "register the app from the notebook")
    settings = target.settings
    app = saved_app(settings)
    if app is None or app.callback_url != settings.callback_url:
        new = localorg.create_app(APP_NAME, [settings.callback_url], org="B",
                                  scopes=" ".join(settings.scopes),
                                  data_dir=settings.localorg_data)
        app = SavedApp(new.client_id, new.client_secret, settings.callback_url)
        _save(settings, app)
    return replace(target, settings=_with_app(settings, app)), app


def save_app_credentials(target: Target, client_id: str, client_secret: str) -> tuple[Target,
                                                                                       SavedApp]:
    """Local orgs: keep the key and secret of an app you created on the Setup page.

    Checks them against ORG B first, so a copy-paste slip is caught here, not at login.
    """
    _require_local(target, "save app credentials")
    client_id, client_secret = (client_id or "").strip(), (client_secret or "").strip()
    settings = target.settings
    try:
        name = localorg.check_app_credentials(client_id, client_secret, settings.callback_url,
                                              org="B", data_dir=settings.localorg_data)
    except localorg.AppCredentialsError as exc:
        raise ConfigurationError(str(exc)) from None
    app = SavedApp(client_id, client_secret, settings.callback_url, name)
    _save(settings, app)
    return replace(target, settings=_with_app(settings, app)), app


def _require_local(target: Target, what: str) -> None:
    if not target.is_local:
        raise ConfigurationError(f"only the local orgs let the notebook {what}; for real orgs "
                                 "follow docs/real-orgs.md and put the key and secret in .env")
