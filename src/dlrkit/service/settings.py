"""The service's settings, read from an environment mapping passed in (never at import time).

    >>> s = Settings.from_env({"DLRKIT_DATA_DIR": "/tmp/d", "DLRKIT_SMPP_TOKEN": "t0ken"})
    >>> s.db_url, [(a.provider, a.auth) for a in s.accounts]
    ('sqlite:////tmp/d/dlrkit.db', [('smpp', 'token')])
    >>> Settings.from_env({}).db_url == default_url("data")  # SQLite in ./data, as an absolute path
    True

Provider accounts (who may post webhooks, and how they prove it) come from a TOML file named by
`DLRKIT_ACCOUNTS_FILE` and/or from one-account-per-provider shortcuts (`DLRKIT_PLIVO_AUTH_TOKEN`,
...); the retry and suppression policy (`dlrkit.policy.PolicyConfig`) from the `[policy]` table
of `DLRKIT_POLICY_FILE`, `DLRKIT_POLICY_MAX_ATTEMPTS` and `DLRKIT_POLICY_BACKOFF` overriding it;
docs/service.md lists them all. A bad value is an `InputError` naming the variable, or the file
and the field.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dlrkit.errors import InputError
from dlrkit.policy import PolicyConfig
from dlrkit.store import default_url

ProviderName = Literal["infobip", "smspartner", "plivo", "smpp"]
AuthKind = Literal["plivo_v3", "basic", "hmac", "bearer", "token"]

# Which proofs each provider can offer; the first is the default when `auth` is not given.
AUTH_KINDS: dict[str, tuple[str, ...]] = {
    "plivo": ("plivo_v3",),
    "infobip": ("basic", "hmac", "bearer"),
    "smspartner": ("token",),
    "smpp": ("token",),
}
DEFAULT_MAX_BODY = 1 << 20
DEFAULT_TOKEN_HEADER = "X-DLR-Token"
DEFAULT_HMAC_HEADER = "X-Signature"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# Policy settings that a variable may set, overriding the policy file's.
POLICY_VARS = {"max_attempts": "DLRKIT_POLICY_MAX_ATTEMPTS", "backoff": "DLRKIT_POLICY_BACKOFF"}


class Account(BaseModel):
    """One provider account allowed to post webhooks, with the proof it must bring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: ProviderName
    name: str = "default"
    auth: AuthKind  # defaults per provider (AUTH_KINDS)
    auth_token: str | None = Field(
        default=None, repr=False
    )  # plivo_v3: the (sub)account auth token
    username: str | None = None  # basic
    password: str | None = Field(default=None, repr=False)  # basic
    secret: str | None = Field(default=None, repr=False)  # hmac
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"  # hmac
    header: str | None = None  # hmac: signature header; token (smpp): token header
    tokens: tuple[str, ...] = Field(
        default=(), repr=False
    )  # bearer and token: any of these is accepted

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("provider") not in AUTH_KINDS:
            return data
        data = dict(data)
        auth = data.setdefault("auth", AUTH_KINDS[data["provider"]][0])
        if data.get("header") is None and auth == "hmac":
            data["header"] = DEFAULT_HMAC_HEADER
        if data.get("header") is None and auth == "token" and data["provider"] == "smpp":
            data["header"] = DEFAULT_TOKEN_HEADER
        return data

    @model_validator(mode="after")
    def _complete(self) -> Account:
        allowed = AUTH_KINDS[self.provider]
        if self.auth not in allowed:
            raise ValueError(
                f"auth {self.auth!r} is not offered by {self.provider}; use one of {', '.join(allowed)}"
            )
        need = {
            "plivo_v3": ("auth_token",),
            "basic": ("username", "password"),
            "hmac": ("secret",),
            "bearer": ("tokens",),
            "token": ("tokens",),
        }[self.auth]
        missing = [f for f in need if not getattr(self, f)]
        if missing:
            raise ValueError(f"{self.provider} {self.auth} needs {' and '.join(missing)}")
        return self


class Settings(BaseModel):
    """Everything `create_app` needs. Build with `Settings.from_env(environ)` or directly."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    data_dir: Path = Path("data")
    db_url: str = ""  # default: SQLite file dlrkit.db in data_dir
    max_body: int = Field(DEFAULT_MAX_BODY, gt=0)
    insecure_webhooks: bool = False  # development only: accept webhooks of unconfigured providers
    public_url: str | None = None  # the service's URL as providers see it (Plivo signs it)
    broker_url: str | None = None  # nats://... : hand reports to a broker instead of the store
    # SQLite: commit in a writer process of its own ("process", the default: HTTP on one core,
    # SQLite on another) or in a thread of the serving process ("thread")
    store_writer: Literal["process", "thread"] = "process"
    rules_file: Path | None = None  # user rules overriding reason/retry/party (dlrkit.rules)
    accounts: tuple[Account, ...] = ()
    policy: PolicyConfig = Field(default_factory=PolicyConfig)  # retries, auto-suppressions

    @model_validator(mode="before")
    @classmethod
    def _default_db(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("db_url"):
            data = {**data, "db_url": default_url(data.get("data_dir") or "data")}
        return data

    def accounts_for(self, provider: str) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts if a.provider == provider)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from DLRKIT_* variables of `env` (tests pass a dict; the CLI os.environ)."""
        values: dict[str, object] = {}
        for key, var in (
            ("data_dir", "DLRKIT_DATA_DIR"),
            ("db_url", "DLRKIT_DB_URL"),
            ("public_url", "DLRKIT_PUBLIC_URL"),
            ("broker_url", "DLRKIT_BROKER_URL"),
            ("store_writer", "DLRKIT_STORE_WRITER"),
            ("rules_file", "DLRKIT_RULES_FILE"),
        ):
            if env.get(var):
                values[key] = env[var]
        if env.get("DLRKIT_MAX_BODY"):
            values["max_body"] = _int(env, "DLRKIT_MAX_BODY")
        values["insecure_webhooks"] = _bool(env, "DLRKIT_INSECURE_WEBHOOKS")
        accounts = (
            _accounts_file(env["DLRKIT_ACCOUNTS_FILE"]) if env.get("DLRKIT_ACCOUNTS_FILE") else []
        )
        accounts += _env_accounts(env)
        values["accounts"] = tuple(accounts)
        values["policy"] = _policy(env)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _input_error(exc, "DLRKIT_") from None


def _int(env: Mapping[str, str], var: str, unit: str = "bytes") -> int:
    try:
        return int(env[var].strip())
    except ValueError:
        raise InputError(
            f"expected an integer number of {unit}, got {env[var]!r}", field=var
        ) from None


def _bool(env: Mapping[str, str], var: str) -> bool:
    value = env.get(var, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(f"expected true or false, got {env[var]!r}", field=var)


def _tokens(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


def _env_accounts(env: Mapping[str, str]) -> list[Account]:
    """The shortcut variables: at most one account per provider and proof."""
    raw: list[tuple[str, dict[str, object]]] = []
    if env.get("DLRKIT_PLIVO_AUTH_TOKEN"):
        raw.append(
            (
                "DLRKIT_PLIVO_AUTH_TOKEN",
                {"provider": "plivo", "auth_token": env["DLRKIT_PLIVO_AUTH_TOKEN"]},
            )
        )
    if env.get("DLRKIT_INFOBIP_USERNAME") or env.get("DLRKIT_INFOBIP_PASSWORD"):
        raw.append(
            (
                "DLRKIT_INFOBIP_USERNAME",
                {
                    "provider": "infobip",
                    "name": "basic",
                    "auth": "basic",
                    "username": env.get("DLRKIT_INFOBIP_USERNAME"),
                    "password": env.get("DLRKIT_INFOBIP_PASSWORD"),
                },
            )
        )
    if env.get("DLRKIT_INFOBIP_HMAC_SECRET"):
        hmac: dict[str, object] = {
            "provider": "infobip",
            "name": "hmac",
            "auth": "hmac",
            "secret": env["DLRKIT_INFOBIP_HMAC_SECRET"],
        }
        if env.get("DLRKIT_INFOBIP_HMAC_HEADER"):
            hmac["header"] = env["DLRKIT_INFOBIP_HMAC_HEADER"]
        if env.get("DLRKIT_INFOBIP_HMAC_ALGORITHM"):
            hmac["algorithm"] = env["DLRKIT_INFOBIP_HMAC_ALGORITHM"].lower()
        raw.append(("DLRKIT_INFOBIP_HMAC_SECRET", hmac))
    if env.get("DLRKIT_INFOBIP_BEARER_TOKENS"):
        raw.append(
            (
                "DLRKIT_INFOBIP_BEARER_TOKENS",
                {
                    "provider": "infobip",
                    "name": "bearer",
                    "auth": "bearer",
                    "tokens": _tokens(env["DLRKIT_INFOBIP_BEARER_TOKENS"]),
                },
            )
        )
    if env.get("DLRKIT_SMSPARTNER_TOKEN"):
        raw.append(
            (
                "DLRKIT_SMSPARTNER_TOKEN",
                {"provider": "smspartner", "tokens": _tokens(env["DLRKIT_SMSPARTNER_TOKEN"])},
            )
        )
    if env.get("DLRKIT_SMPP_TOKEN"):
        smpp: dict[str, object] = {"provider": "smpp", "tokens": _tokens(env["DLRKIT_SMPP_TOKEN"])}
        if env.get("DLRKIT_SMPP_TOKEN_HEADER"):
            smpp["header"] = env["DLRKIT_SMPP_TOKEN_HEADER"]
        raw.append(("DLRKIT_SMPP_TOKEN", smpp))
    out = []
    for var, data in raw:
        try:
            out.append(Account.model_validate(data))
        except ValidationError as exc:
            raise _input_error(exc, var, whole=True) from None
    return out


def _toml_file(path: str, var: str, what: str) -> dict[str, Any]:
    try:
        with open(os.path.expanduser(path), "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror}", field=var) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})", field=var) from None


def _accounts_file(path: str) -> list[Account]:
    data = _toml_file(path, "DLRKIT_ACCOUNTS_FILE", "accounts file")
    rows = data.get("accounts", [])
    if not isinstance(rows, list) or set(data) - {"accounts"}:
        raise InputError(f"{path}: expected only [[accounts]] tables", field="accounts")
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(Account.model_validate(row))
        except ValidationError as exc:
            raise _input_error(exc, f"{path}: accounts[{i}]") from None
    return out


def _policy(env: Mapping[str, str]) -> PolicyConfig:
    """The policy file's `[policy]` table, the DLRKIT_POLICY_* variables over it."""
    path = env.get("DLRKIT_POLICY_FILE")
    data = _toml_file(path, "DLRKIT_POLICY_FILE", "policy file") if path else {}
    if set(data) - {"policy"} or not isinstance(data.get("policy", {}), dict):
        raise InputError(f"{path}: expected only a [policy] table", field="DLRKIT_POLICY_FILE")
    table: dict[str, object] = dict(data.get("policy", {}))
    given = {key: var for key, var in POLICY_VARS.items() if env.get(var, "").strip()}
    if "max_attempts" in given:
        table["max_attempts"] = _int(env, given["max_attempts"], "attempts")
    if "backoff" in given:
        table["backoff"] = _seconds(env, given["backoff"])
    try:
        return PolicyConfig.from_dict(table)
    except InputError as exc:  # name the variable, or the file and the field
        field = exc.field or "policy"
        top = field.removeprefix("policy.").split(".")[0].split("[")[0]
        raise InputError(exc.problem, field=given.get(top, f"{path}: {field}")) from None


def _seconds(env: Mapping[str, str], var: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in _tokens(env[var]))
    except ValueError:
        raise InputError(
            f"expected whole seconds, comma-separated (300,1800), got {env[var]!r}", field=var
        ) from None


def _input_error(exc: ValidationError, where: str, *, whole: bool = False) -> InputError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    if whole or not loc:
        name = where
    elif where == "DLRKIT_":
        name = "DLRKIT_" + loc.upper()
    else:
        name = f"{where}.{loc}"
    return InputError(first["msg"].removeprefix("Value error, "), field=name)
