"""Settings of the tutorial, read from the environment and the repository's ``.env`` file.

::

    from helpers.settings import load_settings
    settings = load_settings()          # reads <repo>/.env, then the environment
    settings.login_url, settings.client_id, settings.scopes
    settings                            # repr shows client_secret='***'

Targets (``SF_TARGET``): ``local`` (this machine's local orgs, the default), ``salesforce``
(real orgs) and ``classroom`` (a trainer's shared local orgs, ``serve --expose``: HTTPS on
``SF_LOGIN_URL``'s host, ports base, base+1 = ORG A, base+2 = ORG B, trusted through the
room's CA file ``SF_CA_BUNDLE`` only).

Precedence: a variable already set in the environment wins over the same variable in
``.env`` (python-dotenv's default, ``override=False``). ``.env`` is read from one explicit
path (never searched for in parent folders) and ``os.environ`` is not modified.
Every variable is documented in ``.env.example``. A missing or malformed value raises one
:class:`~helpers.errors.ConfigurationError` naming the variable and the fix; values of
secret variables are never echoed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from .errors import ConfigurationError, UntrustedInstanceError
from .oauth.trust import LOOPBACK_NAMES, TrustPolicy, is_loopback_literal, origin

REPO_ROOT = Path(__file__).resolve().parents[1]
# In a source checkout (`make` installs it editable) .env and the local orgs' data live in the
# checkout; an installed copy (`pip install .`) reads ./.env and uses ~/.localorg.
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file()
DEFAULT_ENV_FILE = REPO_ROOT / ".env" if IN_CHECKOUT else Path(".env")
TARGETS = ("local", "salesforce", "classroom")
CA_BUNDLE_ENV = "SF_CA_BUNDLE"  # classroom only: the room's localorg-ca.pem
DEFAULT_CALLBACK_URL = "http://localhost:1717/OauthRedirect"  # the Salesforce CLI's habit
DEFAULT_SCOPES = "api refresh_token"
DEFAULT_SALESFORCE_LOGIN_URL = "https://login.salesforce.com"
# Where SF_TARGET=local finds the local orgs: the two environment variables the server reads,
# with the same defaults. They are the whole contract between two packages that import
# nothing from each other (the client must run without the server's dependencies);
# tests/client/test_settings.py checks that both sides agree.
LOCALORG_DATA_ENV, LOCALORG_PORT_BASE_ENV = "LOCALORG_DATA", "LOCALORG_PORT_BASE"
LOCALORG_DEFAULT_DATA_DIR = (REPO_ROOT if IN_CHECKOUT else Path.home()) / ".localorg"
LOCALORG_DEFAULT_PORT_BASE = 8700
_FIX = "set it in .env (copy .env.example) or in the environment"
_SCOPE = re.compile(r"^[A-Za-z0-9_:.\-]+$")


def _mask(value: str | None) -> str:
    return "None" if value is None else "'***'"


@dataclass(frozen=True, repr=False)
class Settings:
    """Validated settings; build with :func:`load_settings`."""

    target: str
    login_url: str
    client_id: str | None
    client_secret: str | None
    callback_url: str
    scopes: tuple[str, ...]
    org_a_instance_url: str | None
    org_a_access_token: str | None
    localorg_data: Path
    localorg_port_base: int
    classroom_ca: Path | None = None  # SF_CA_BUNDLE, classroom target only
    org_a_client_id: str | None = None  # classroom: the learner's ORG A app (handout)
    org_a_client_secret: str | None = None
    org_a_username: str | None = None  # classroom: the learner's ORG A user (login_hint)

    def __repr__(self) -> str:  # secrets never shown
        return (f"Settings(target={self.target!r}, login_url={self.login_url!r}, "
                f"client_id={self.client_id!r}, client_secret={_mask(self.client_secret)}, "
                f"callback_url={self.callback_url!r}, scopes={' '.join(self.scopes)!r}, "
                f"org_a_instance_url={self.org_a_instance_url!r}, "
                f"org_a_access_token={_mask(self.org_a_access_token)}"
                + (f", ca_bundle={self.ca_bundle!r}, org_a_client_id={self.org_a_client_id!r}"
                   f", org_a_client_secret={_mask(self.org_a_client_secret)}"
                   f", org_a_username={self.org_a_username!r}"
                   if self.is_classroom else "") + ")")

    __str__ = __repr__

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    @property
    def is_classroom(self) -> bool:
        return self.target == "classroom"

    @property
    def ca_bundle(self) -> str | None:
        """The CA to trust: the local CA (local), the room's CA file (classroom), or None
        for the public CAs (certifi, real orgs)."""
        if self.is_classroom:
            return str(self.classroom_ca)
        return str(self.localorg_data / "tls" / "ca.pem") if self.is_local else None

    def local_origins(self) -> tuple[str, ...]:
        """Origins of the login host, ORG A and ORG B (local or classroom; empty for real orgs)."""
        if self.is_classroom:
            return _classroom_origins(self.login_url)
        return _local_origins(self.localorg_port_base) if self.is_local else ()

    def trust_policy(self) -> TrustPolicy:
        """Where tokens may be sent: the local or room's orgs only, or Salesforce hosts only."""
        origins = self.local_origins()
        return TrustPolicy.local(origins) if origins else TrustPolicy()

    def require(self, *names: str) -> None:
        """Raise ConfigurationError unless every named setting (e.g. "client_id") is set."""
        for name in names:
            if not getattr(self, name):
                raise ConfigurationError(f"SF_{name.upper()} is not set: {_FIX}"
                                         + _WHERE.get(name, ""))


_WHERE = {
    "client_id": " (the app's Consumer Key; for the local orgs: localorg.create_app())",
    "client_secret": " (the app's Consumer Secret, shown once when the app is created)",
    "org_a_instance_url": " (instanceUrl of `sf org display --target-org <ORG A alias>`)",
    "org_a_access_token": " (accessToken of `sf org display --target-org <ORG A alias>`)",
    "org_a_client_id": " (classroom: the org_a_client_id column of your handout)",
    "org_a_client_secret": " (classroom: the org_a_client_secret column of your handout)",
    "org_a_username": " (classroom: the org_a_username column of your handout)",
}


def load_settings(env_file: str | os.PathLike[str] | None = DEFAULT_ENV_FILE,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings.

    ``env_file=None`` ignores ``.env``; ``environ`` replaces ``os.environ`` (tests).

    >>> load_settings(None, {"SF_TARGET": "local"}).callback_url
    'http://localhost:1717/OauthRedirect'
    """
    values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if environ is None else environ)  # environment wins
    env = {k: (v.strip() if isinstance(v, str) else None) for k, v in values.items()}

    def get(name: str, default: str | None = None) -> str | None:
        return env.get(name) or default

    target = (get("SF_TARGET", "local") or "").lower()
    if target not in TARGETS:
        raise ConfigurationError(f"SF_TARGET={target!r} is not valid: use 'local' (the local "
                                 "orgs, the default), 'salesforce' (real orgs) or 'classroom' "
                                 "(the trainer's orgs in a workshop)")
    port_base = _port_base(get(LOCALORG_PORT_BASE_ENV))
    data = get(LOCALORG_DATA_ENV)
    data_dir = Path(data).expanduser().resolve() if data else LOCALORG_DEFAULT_DATA_DIR
    default_login = {"local": f"http://127.0.0.1:{port_base}",
                     "salesforce": DEFAULT_SALESFORCE_LOGIN_URL}.get(target, "")
    login_url = _login_url(get("SF_LOGIN_URL", default_login) or "", target, port_base)
    classroom_ca = _classroom_ca(get(CA_BUNDLE_ENV), login_url) if target == "classroom" else None
    client_id = get("SF_CLIENT_ID")
    if client_id and not re.fullmatch(r"[\x21-\x7e]+", client_id):
        raise ConfigurationError("SF_CLIENT_ID contains spaces or unusual characters: copy "
                                 "the Consumer Key again, without quotes or line breaks")
    org_a = get("SF_ORG_A_INSTANCE_URL")
    if target == "classroom":
        org_a = _classroom_org_a(org_a, login_url)
    elif org_a:
        org_a = org_a.rstrip("/")
        if target == "salesforce":
            try:
                TrustPolicy().check(org_a, "SF_ORG_A_INSTANCE_URL")
            except UntrustedInstanceError as exc:
                raise ConfigurationError(f"{exc}: use the instanceUrl that `sf org display` "
                                         "prints") from None
    return Settings(
        target=target, login_url=login_url, client_id=client_id,
        client_secret=get("SF_CLIENT_SECRET"),
        callback_url=_callback_url(get("SF_CALLBACK_URL", DEFAULT_CALLBACK_URL) or ""),
        scopes=_scopes(get("SF_SCOPES", DEFAULT_SCOPES) or ""),
        org_a_instance_url=org_a, org_a_access_token=get("SF_ORG_A_ACCESS_TOKEN"),
        localorg_data=data_dir, localorg_port_base=port_base, classroom_ca=classroom_ca,
        org_a_client_id=get("SF_ORG_A_CLIENT_ID") if target == "classroom" else None,
        org_a_client_secret=get("SF_ORG_A_CLIENT_SECRET") if target == "classroom" else None,
        org_a_username=_org_a_username(get("SF_ORG_A_USERNAME")) if target == "classroom"
        else None,
    )


def _local_origins(port_base: int) -> tuple[str, ...]:
    # login host, ORG A, ORG B on consecutive ports (localorg/config.ports)
    return (f"http://127.0.0.1:{port_base}", f"https://127.0.0.1:{port_base + 1}",
            f"https://127.0.0.1:{port_base + 2}")


def _classroom_origins(login_url: str) -> tuple[str, ...]:
    # the trainer's `serve --expose`: TLS on every host, same consecutive ports as locally
    parts = urlsplit(login_url)
    host, port = parts.hostname or "", parts.port or 443
    host = f"[{host}]" if ":" in host else host
    return tuple(f"https://{host}:{port + i}" for i in range(3))


def _classroom_org_a(raw: str | None, login_url: str) -> str:
    # ORG A is the room's base+1 origin; a value in .env may only repeat it.
    expected = _classroom_origins(login_url)[1]
    try:
        same = not raw or origin(raw.rstrip("/")) == origin(expected)
    except UntrustedInstanceError:  # a malformed port
        same = False
    if not same:
        raise ConfigurationError(f"SF_ORG_A_INSTANCE_URL={raw!r}: in the classroom ORG A is "
                                 f"{expected} (SF_LOGIN_URL's port + 1); leave it empty")
    return expected


def _org_a_username(raw: str | None) -> str | None:
    # Salesforce usernames are in the form of an email address; anything else is a paste
    # of the wrong column (the password) or with quotes or spaces.
    if raw and not re.fullmatch(r"[^\s@\"']+@[^\s@\"']+", raw):
        raise ConfigurationError("SF_ORG_A_USERNAME does not look like a username "
                                 "(name@domain): copy the org_a_username column of your "
                                 "handout, without quotes or spaces")
    return raw


def _classroom_ca(raw: str | None, login_url: str) -> Path:
    where = (f"download it from {login_url}/localorg-ca.pem, check that its SHA-256 "
             "fingerprint is the one the trainer shows, and set SF_CA_BUNDLE to its path")
    if not raw:
        raise ConfigurationError(f"{CA_BUNDLE_ENV} is not set: with SF_TARGET=classroom the "
                                 f"room's CA file is required; {where}")
    path = (DEFAULT_ENV_FILE.parent / Path(raw).expanduser()).resolve()  # relative: to .env
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{CA_BUNDLE_ENV}={raw!r} cannot be read "
                                 f"({exc.strerror or exc}); {where}") from None
    from cryptography import x509  # imported here: only the classroom target needs it

    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigurationError(f"{CA_BUNDLE_ENV}={raw!r} is not a PEM certificate file "
                                 f"(-----BEGIN CERTIFICATE-----); {where}") from None
    return path


def _port_base(raw: str | None) -> int:
    if not raw:
        return LOCALORG_DEFAULT_PORT_BASE
    if not raw.isdigit() or not 1024 <= int(raw) <= 65533:
        raise ConfigurationError(f"LOCALORG_PORT_BASE={raw!r} must be a number between 1024 "
                                 "and 65533 (the local orgs use it and the next two ports)")
    return int(raw)


def _login_url(raw: str, target: str, port_base: int) -> str:
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if target == "classroom" and not url:
        raise ConfigurationError("SF_LOGIN_URL is not set: with SF_TARGET=classroom it is the "
                                 "trainer's login host, e.g. https://trainer-laptop:8700")
    if parts.username is not None or "@" in parts.netloc:
        raise ConfigurationError(f"SF_LOGIN_URL={raw!r} must not contain user@")
    if parts.path or parts.query or parts.fragment or not parts.hostname:
        raise ConfigurationError(f"SF_LOGIN_URL={raw!r} must be a bare origin such as "
                                 "https://login.salesforce.com, https://test.salesforce.com or "
                                 "https://<MyDomain>.my.salesforce.com (no path)")
    if target == "local":
        allowed = _local_origins(port_base)
        if not is_loopback_literal(parts.hostname) or origin(url) not in allowed:
            raise ConfigurationError(
                f"SF_LOGIN_URL={raw!r}: with SF_TARGET=local it must be one of the local "
                f"orgs' hosts {', '.join(allowed)} (they follow LOCALORG_PORT_BASE); "
                "leave it empty for the login host")
        return url
    if target == "classroom":
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme != "https" or port is None or not 1 <= port <= 65533:
            raise ConfigurationError(
                f"SF_LOGIN_URL={raw!r}: with SF_TARGET=classroom it must be https://<host>:"
                "<port>, exactly the login host the trainer shows (the room's orgs use https "
                "and that port plus the next two)")
        return url
    try:
        TrustPolicy().check(url, "SF_LOGIN_URL")
    except UntrustedInstanceError as exc:
        raise ConfigurationError(f"{exc}: use https://login.salesforce.com, "
                                 "https://test.salesforce.com or your My Domain URL") from None
    return url


def _callback_url(raw: str) -> str:
    parts = urlsplit(raw)
    loopback = parts.hostname in LOOPBACK_NAMES
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment
            or parts.username or parts.password or (parts.scheme == "http" and not loopback)):
        raise ConfigurationError(
            f"SF_CALLBACK_URL={raw!r} must be an https URL or http://localhost:<port>/<path> "
            f"(no #fragment, no user@), exactly as on the app's Callback URL; default "
            f"{DEFAULT_CALLBACK_URL}")
    return raw


def _scopes(raw: str) -> tuple[str, ...]:
    items = raw.replace(",", " ").split()
    bad = [s for s in items if not _SCOPE.match(s)]
    if not items or bad:
        raise ConfigurationError(f"SF_SCOPES={raw!r} must be space-separated scope names, "
                                 f"e.g. '{DEFAULT_SCOPES}'")
    return tuple(dict.fromkeys(items))
