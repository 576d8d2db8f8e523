"""Settings from an environment mapping and an accounts file; bad values name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlrkit.errors import InputError
from dlrkit.service.settings import Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.data_dir == Path("data")
    assert s.db_url == f"sqlite:///{Path('data').resolve() / 'dlrkit.db'}"
    assert s.max_body == 1 << 20
    assert not s.insecure_webhooks
    assert s.accounts == ()
    assert s.broker_url is None


def test_environment_shortcuts() -> None:
    s = Settings.from_env(
        {
            "DLRKIT_DATA_DIR": "/srv/dlr",
            "DLRKIT_DB_URL": "postgresql://u@db/dlr",
            "DLRKIT_MAX_BODY": "4096",
            "DLRKIT_INSECURE_WEBHOOKS": "yes",
            "DLRKIT_PLIVO_AUTH_TOKEN": "pt",
            "DLRKIT_INFOBIP_BEARER_TOKENS": "a, b,,",
            "DLRKIT_SMPP_TOKEN": "st",
            "DLRKIT_SMPP_TOKEN_HEADER": "X-Gateway-Key",
            "UNRELATED": "ignored",
        }
    )
    assert (s.db_url, s.max_body, s.insecure_webhooks) == ("postgresql://u@db/dlr", 4096, True)
    assert [(a.provider, a.auth) for a in s.accounts] == [
        ("plivo", "plivo_v3"),
        ("infobip", "bearer"),
        ("smpp", "token"),
    ]
    assert s.accounts_for("infobip")[0].tokens == ("a", "b")
    assert s.accounts_for("smpp")[0].header == "X-Gateway-Key"
    assert "pt" not in repr(s)  # secrets stay out of logs


def test_accounts_file(tmp_path: Path) -> None:
    f = tmp_path / "accounts.toml"
    f.write_text(
        """
[[accounts]]
provider = "plivo"
name = "sub-1"
auth_token = "t1"

[[accounts]]
provider = "infobip"
auth = "hmac"
secret = "s"
header = "X-Infobip-Signature"

[[accounts]]
provider = "smspartner"
tokens = ["one", "two"]
"""
    )
    s = Settings.from_env({"DLRKIT_ACCOUNTS_FILE": str(f), "DLRKIT_PLIVO_AUTH_TOKEN": "t2"})
    assert [(a.provider, a.name) for a in s.accounts] == [
        ("plivo", "sub-1"),
        ("infobip", "default"),
        ("smspartner", "default"),
        ("plivo", "default"),
    ]
    assert s.accounts_for("infobip")[0].header == "X-Infobip-Signature"


@pytest.mark.parametrize(
    ("env", "field", "words"),
    [
        ({"DLRKIT_MAX_BODY": "1MB"}, "DLRKIT_MAX_BODY", "integer"),
        ({"DLRKIT_MAX_BODY": "-1"}, "DLRKIT_MAX_BODY", "greater than 0"),
        ({"DLRKIT_INSECURE_WEBHOOKS": "maybe"}, "DLRKIT_INSECURE_WEBHOOKS", "true or false"),
        ({"DLRKIT_INFOBIP_PASSWORD": "p"}, "DLRKIT_INFOBIP_USERNAME", "needs username"),
        (
            {"DLRKIT_ACCOUNTS_FILE": "/nonexistent/accounts.toml"},
            "DLRKIT_ACCOUNTS_FILE",
            "cannot read",
        ),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        Settings.from_env(env)
    assert info.value.field == field
    assert words in info.value.problem


@pytest.mark.parametrize(
    ("toml", "field", "words"),
    [
        ('[[accounts]]\nprovider = "plivo"\n', "accounts[0]", "needs auth_token"),
        (
            '[[accounts]]\nprovider = "smspartner"\nauth = "hmac"\nsecret = "s"\n',
            "accounts[0]",
            "not offered by smspartner",
        ),
        ('[[accounts]]\nprovider = "twilio"\n', "accounts[0].provider", "infobip"),
        (
            '[[accounts]]\nprovider = "smpp"\ntokens = ["t"]\ncolour = "red"\n',
            "accounts[0].colour",
            "Extra",
        ),
        ("[[accounts]\n", "DLRKIT_ACCOUNTS_FILE", "not valid TOML"),
    ],
)
def test_bad_accounts_files_name_the_entry(
    tmp_path: Path, toml: str, field: str, words: str
) -> None:
    f = tmp_path / "a.toml"
    f.write_text(toml)
    with pytest.raises(InputError) as info:
        Settings.from_env({"DLRKIT_ACCOUNTS_FILE": str(f)})
    assert info.value.field is not None
    assert info.value.field.endswith(field)
    assert words in info.value.problem
