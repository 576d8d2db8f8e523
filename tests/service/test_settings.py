"""Settings from an environment mapping, an accounts file and a policy file; bad values name the
variable, or the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlrkit.errors import InputError
from dlrkit.policy import PolicyConfig, SoftSuppression
from dlrkit.service.settings import Settings
from dlrkit.vocab import Reason


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
            "DLRKIT_PLIVO_AUTH_TOKEN": "plivo-secret",
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
    assert "plivo-secret" not in repr(s)  # secrets stay out of logs


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
        ({"DLRKIT_POLICY_FILE": "/nonexistent/policy.toml"}, "DLRKIT_POLICY_FILE", "cannot read"),
        ({"DLRKIT_POLICY_MAX_ATTEMPTS": "many"}, "DLRKIT_POLICY_MAX_ATTEMPTS", "integer"),
        ({"DLRKIT_POLICY_MAX_ATTEMPTS": "0"}, "DLRKIT_POLICY_MAX_ATTEMPTS", ">= 1"),
        ({"DLRKIT_POLICY_BACKOFF": "5m"}, "DLRKIT_POLICY_BACKOFF", "whole seconds"),
        ({"DLRKIT_POLICY_BACKOFF": "60,-1"}, "DLRKIT_POLICY_BACKOFF", ">= 0"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        Settings.from_env(env)
    assert info.value.field == field
    assert words in info.value.problem


POLICY_TOML = """
[policy]
max_attempts = 6
backoff = [60, 600]
providers = ["infobip", "plivo"]

[policy.suppress]
recipient_invalid = "permanent"
recipient_unreachable = { after = 5, days = 30 }
"""


def test_policy_file_and_variables(tmp_path: Path) -> None:
    assert Settings.from_env({}).policy == PolicyConfig()
    f = tmp_path / "policy.toml"
    f.write_text(POLICY_TOML)
    s = Settings.from_env({"DLRKIT_POLICY_FILE": str(f)})
    assert (s.policy.max_attempts, s.policy.backoff, s.policy.providers) == (
        6,
        (60, 600),
        ("infobip", "plivo"),
    )
    assert s.policy.suppress == {  # the file's table replaces the default one
        Reason.RECIPIENT_INVALID: "permanent",
        Reason.RECIPIENT_UNREACHABLE: SoftSuppression(after=5, days=30),
    }
    assert s.policy.failover == PolicyConfig().failover  # not in the file: the default
    over = Settings.from_env(
        {
            "DLRKIT_POLICY_FILE": str(f),
            "DLRKIT_POLICY_MAX_ATTEMPTS": " 2 ",
            "DLRKIT_POLICY_BACKOFF": "30, 90,",
        }
    )
    assert (over.policy.max_attempts, over.policy.backoff) == (2, (30, 90))
    assert over.policy.suppress == s.policy.suppress


# (variable, file, the field named (after "<file>: " when inside the file), words of the problem)
BAD_FILES = [
    ("DLRKIT_ACCOUNTS_FILE", *case)
    for case in [
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
    ]
] + [
    ("DLRKIT_POLICY_FILE", *case)
    for case in [
        ("[policy]\nmax_attempts = 0\n", "policy.max_attempts", ">= 1"),
        ("[policy]\nmax_attemps = 2\n", "policy", "unknown field `max_attemps`"),
        ("[policy]\nbackoff = []\n", "policy.backoff", "length >= 1"),
        ('[policy]\nbackoff = [60, "soon"]\n', "policy.backoff[1]", "Expected `int`"),
        (
            "[policy.suppress]\nrecipient_unreachable = { after = 0, days = 7 }\n",
            "policy.suppress.recipient_unreachable.after",
            ">= 1",
        ),
        (
            '[policy.suppress]\nrecipient_unreachable = "forever"\n',
            "policy.suppress.recipient_unreachable",
            '"permanent" or',
        ),
        ('[policy.suppress]\nsadness = "permanent"\n', "policy.suppress.sadness", "not one of"),
        ("max_attempts = 2\n", "DLRKIT_POLICY_FILE", "only a [policy] table"),
        ("[policy\n", "DLRKIT_POLICY_FILE", "not valid TOML"),
    ]
]


@pytest.mark.parametrize(("var", "toml", "field", "words"), BAD_FILES)
def test_bad_files_name_the_field(
    tmp_path: Path, var: str, toml: str, field: str, words: str
) -> None:
    f = tmp_path / "settings.toml"
    f.write_text(toml)
    with pytest.raises(InputError) as info:
        Settings.from_env({var: str(f)})
    assert info.value.field in (field, f"{f}: {field}")
    assert words in info.value.problem


def test_the_documented_policy_is_the_default(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "service.md").read_text()
    section = doc.split("## Policy", 1)[1]
    f = tmp_path / "policy.toml"
    f.write_text(section.split("```toml\n", 1)[1].split("```", 1)[0])
    assert Settings.from_env({"DLRKIT_POLICY_FILE": str(f)}).policy == PolicyConfig()
