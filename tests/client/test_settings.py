"""Settings from the environment and .env (security.md A-28, A-31)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from helpers.errors import ConfigurationError
from helpers.settings import REPO_ROOT, load_settings


def test_defaults_for_the_local_orgs():
    s = load_settings(None, {})
    assert s.target == "local" and s.is_local
    assert s.login_url == "http://127.0.0.1:8700"
    assert s.callback_url == "http://localhost:1717/OauthRedirect"
    assert s.scopes == ("api", "refresh_token")
    assert s.ca_bundle == str(REPO_ROOT / ".localorg" / "tls" / "ca.pem")
    assert s.local_origins() == ("http://127.0.0.1:8700", "https://127.0.0.1:8701",
                                 "https://127.0.0.1:8702")


def test_local_login_host_may_be_an_org_host_that_follows_the_port_base():
    s = load_settings(None, {"LOCALORG_PORT_BASE": "30000", "SF_LOGIN_URL": "https://127.0.0.1:30002"})
    assert s.login_url == "https://127.0.0.1:30002"
    assert s.local_origins() == ("http://127.0.0.1:30000", "https://127.0.0.1:30001",
                                 "https://127.0.0.1:30002")


def test_real_org_defaults_and_my_domain():
    s = load_settings(None, {"SF_TARGET": "salesforce"})
    assert s.login_url == "https://login.salesforce.com" and s.ca_bundle is None
    assert s.local_origins() == ()
    s = load_settings(None, {"SF_TARGET": "salesforce",
                             "SF_LOGIN_URL": "https://acme--dev.sandbox.my.salesforce.com/"})
    assert s.login_url == "https://acme--dev.sandbox.my.salesforce.com"


def test_environment_wins_over_dotenv_and_path_is_explicit_A31(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("SF_CLIENT_ID=from_dotenv\nSF_SCOPES=api\n")
    s = load_settings(env_file, {"SF_CLIENT_ID": "from_environment"})
    assert s.client_id == "from_environment"  # documented winner: the environment
    assert s.scopes == ("api",)  # .env still fills what the environment lacks
    nested = tmp_path / "sub"
    nested.mkdir()
    # No search in parent folders: a missing explicit file means "no .env".
    assert load_settings(nested / ".env", {}).client_id is None


@pytest.mark.parametrize("env, variable", [
    ({"SF_TARGET": "prod"}, "SF_TARGET"),
    ({"SF_TARGET": "salesforce", "SF_LOGIN_URL": "http://login.salesforce.com"}, "SF_LOGIN_URL"),
    ({"SF_TARGET": "salesforce", "SF_LOGIN_URL": "https://login.salesforce.com.evil.example"},
     "SF_LOGIN_URL"),
    ({"SF_TARGET": "salesforce", "SF_LOGIN_URL": "https://login.salesforce.com/services"},
     "SF_LOGIN_URL"),
    ({"SF_LOGIN_URL": "http://localhost:8700"}, "SF_LOGIN_URL"),
    ({"SF_LOGIN_URL": "http://127.0.0.1:9999"}, "SF_LOGIN_URL"),
    ({"SF_CALLBACK_URL": "http://example.com/cb"}, "SF_CALLBACK_URL"),
    ({"SF_CALLBACK_URL": "http://localhost:1717/cb#frag"}, "SF_CALLBACK_URL"),
    ({"SF_SCOPES": "api;drop"}, "SF_SCOPES"),
    ({"LOCALORG_PORT_BASE": "eighty"}, "LOCALORG_PORT_BASE"),
    ({"SF_CLIENT_ID": "3MVG9 key with spaces"}, "SF_CLIENT_ID"),
    ({"SF_TARGET": "salesforce", "SF_ORG_A_INSTANCE_URL": "http://orga.my.salesforce.com"},
     "SF_ORG_A_INSTANCE_URL"),
])
def test_malformed_setting_names_the_variable(env, variable):
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(None, env)


def test_missing_required_setting_names_variable_and_never_echoes_secrets_A31():
    s = load_settings(None, {"SF_CLIENT_SECRET": "SENTINEL_CS_123456789012345"})
    with pytest.raises(ConfigurationError, match="SF_CLIENT_ID") as info:
        s.require("client_id", "client_secret")
    assert "SENTINEL_CS" not in str(info.value)


def test_repr_masks_secrets_A28():
    s = load_settings(None, {"SF_CLIENT_ID": "3MVG9visible", "SF_CLIENT_SECRET": "SENTINEL_CS_X",
                             "SF_ORG_A_ACCESS_TOKEN": "SENTINEL_AT_X"})
    for text in (repr(s), str(s)):
        assert "SENTINEL" not in text and "'***'" in text and "3MVG9visible" in text


def test_env_example_documents_every_variable_and_parses_A31():
    example = (REPO_ROOT / ".env.example").read_text()
    source = (REPO_ROOT / "helpers" / "settings.py").read_text()
    read = set(re.findall(r'get\("((?:SF|LOCALORG)_[A-Z_]+)"', source)) | \
        {"LOCALORG_DATA", "LOCALORG_PORT_BASE"}
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    assert read <= documented
    assert load_settings(REPO_ROOT / ".env.example", {}).target == "local"


def test_dotenv_is_ignored_by_git_A31():
    out = subprocess.run(["git", "check-ignore", ".env"], cwd=REPO_ROOT, capture_output=True,
                         text=True)
    assert out.stdout.strip() == ".env"


def test_local_org_defaults_match_the_server_config():
    import localorg as config
    from helpers import settings

    assert settings.LOCALORG_DATA_ENV == config.DATA_ENV
    assert settings.LOCALORG_PORT_BASE_ENV == config.PORT_BASE_ENV
    assert settings.LOCALORG_DEFAULT_DATA_DIR == config.DEFAULT_DATA_DIR
    assert settings.LOCALORG_DEFAULT_PORT_BASE == config.DEFAULT_PORT_BASE
    ports = config.ports(30000)
    assert settings._local_origins(30000) == (f"http://127.0.0.1:{ports['login']}",
                                              f"https://127.0.0.1:{ports['A']}",
                                              f"https://127.0.0.1:{ports['B']}")


def test_client_helpers_import_without_the_local_org_server():
    import subprocess
    import sys
    code = ("import sys, helpers.settings, helpers.oauth, helpers.http, helpers.transcript; "
            "print('flask' in sys.modules or 'cheroot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"
