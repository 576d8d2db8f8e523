"""The sandbox's own account state: credentials, credits, STOP and allow lists, limits.

One account per imitated provider, kept in `state.json` in the state directory (or in memory
without one), changed through the admin endpoints (`PATCH /_sandbox/state`, `POST
/_sandbox/reset`) and by sends (credits go down). The defaults are documented in docs/sandbox.md
so that `dlrkit serve` can be configured to accept the sandbox's signed callbacks.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dlrkit.errors import InputError

STATE_FILE = "state.json"


class _Account(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class InfobipWebhookAuth(_Account):
    """How the sandbox proves itself on Infobip callbacks (as dlrkit serve's infobip account)."""

    kind: Literal["basic", "hmac", "bearer", "none"] = "hmac"
    username: str = "sandbox"
    password: str = "sandbox-infobip-password"
    secret: str = "sandbox-infobip-secret"
    header: str = "X-Signature"
    token: str = "sandbox-infobip-bearer"


class InfobipAccount(_Account):
    api_key: str = "sandbox-infobip-key"
    credits: float = Field(default=100.0, ge=0)  # EUR
    sms_price: float = Field(default=0.01, ge=0)  # per SMS part
    voice_price: float = Field(default=0.02, ge=0)  # per started minute
    registered_senders: list[str] = []  # empty: any sender accepted; else REJECTED_SOURCE (11)
    flood_distinct: int = Field(
        default=20, ge=1
    )  # messages per destination per hour (status 20 / 4103)
    flood_identical: int = Field(
        default=6, ge=1
    )  # identical messages per destination per hour (4104)
    webhook: InfobipWebhookAuth = InfobipWebhookAuth()


class SmspartnerAccount(_Account):
    api_key: str = "sandbox-smspartner-key"
    credits: float = Field(default=100.0, ge=0)  # EUR
    sms_price: float = Field(default=0.045, ge=0)  # per SMS part (premium range)
    low_cost_price: float = Field(default=0.035, ge=0)  # per SMS part (low-cost range)
    stop_list: list[str] = []  # numbers that answered STOP (code 14)
    ip_allowlist: list[str] = []  # empty: any IP; else code 96 for others
    marketing: bool = False  # a marketing account: every send is commercial
    rate_limit: int = Field(default=2000, ge=1)  # requests per minute per IP (seed 003: HTTP 429)
    holiday_subdiv: str | None = (
        None  # holidays' French subdivision, e.g. "57" (Moselle), "6AE" (Alsace)
    )
    dlr_token: str = "sandbox-smspartner-token"  # added as ?token= to default callback URLs


class PlivoAccount(_Account):
    auth_id: str = "MASANDBOX00000000000"
    auth_token: str = "sandbox-plivo-auth-token"
    credits: float = Field(default=100.0, ge=0)  # USD
    call_price: float = Field(default=0.01, ge=0)  # per started minute
    message_price: float = Field(default=0.005, ge=0)  # per SMS part
    allowed_countries: list[str] = []  # ISO codes; empty: every country (else hangup 2030)
    max_concurrent_calls: int = Field(default=10, ge=1)  # simultaneous dial limit (hangup 1020)


class SandboxState(_Account):
    infobip: InfobipAccount = InfobipAccount()
    smspartner: SmspartnerAccount = SmspartnerAccount()
    plivo: PlivoAccount = PlivoAccount()


class StateStore:
    """The state in memory, saved atomically to `state_dir/state.json` after each change."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self.path = state_dir / STATE_FILE if state_dir else None
        self.state = self._load()

    def _load(self) -> SandboxState:
        if self.path is None or not self.path.exists():
            return SandboxState()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return SandboxState.model_validate(data)
        except (OSError, ValueError) as exc:
            problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise InputError(f"{self.path}: {problem}", field="state") from None

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = self.state.model_dump_json(indent=2)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, self.path)

    def update(self, changes: Mapping[str, Any]) -> SandboxState:
        """Merge `changes` ({"smspartner": {"credits": 0}}) in; InputError names a bad field."""
        merged = _merge(self.state.model_dump(), changes)
        try:
            self.state = SandboxState.model_validate(merged)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"])
            raise InputError(first["msg"], field=name) from None
        self.save()
        return self.state

    def reset(self) -> SandboxState:
        self.state = SandboxState()
        self.save()
        return self.state

    def charge(
        self, account: InfobipAccount | SmspartnerAccount | PlivoAccount, amount: float
    ) -> bool:
        """Take `amount` from the account's credits; False (nothing taken) if they do not cover it."""
        if amount > account.credits + 1e-9:
            return False
        account.credits = round(account.credits - amount, 6)
        self.save()
        return True


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
