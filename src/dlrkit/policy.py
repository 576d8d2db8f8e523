"""Policy: what to do next with a message, and whether to stop writing to its recipient.

Pure functions of (outcome, catalog, policy settings, attempt history): no I/O. The store
applies `suppression()` at ingest; the service and `dlrkit` expose `advise()`.

    [policy]                          # in the service's policy file (DLRKIT_POLICY_FILE)
    max_attempts = 4                  # total tries of one message, first send included
    backoff = [300, 1800, 7200]       # delays of "later" retries when the catalog gives none
    providers = ["infobip", "plivo"]  # configured providers, for provider failover hints
    [policy.failover]                 # channel failover hints: not answered by voice -> SMS
    voice = ["sms"]
    [policy.suppress]                 # reasons that suppress the recipient, and for how long
    recipient_invalid = "permanent"
    recipient_opted_out = "permanent"
    recipient_blocked = "permanent"
    recipient_unreachable = { after = 3, days = 7 }   # soft: 3 in a row, lifted after 7 days
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, TypeVar

import msgspec

from dlrkit.catalog import Catalog
from dlrkit.errors import InputError
from dlrkit.outcome import Outcome
from dlrkit.vocab import Reason, Retry

NO_ANSWER_REASONS = frozenset(
    {Reason.RECIPIENT_NO_ANSWER, Reason.RECIPIENT_BUSY, Reason.RECIPIENT_DECLINED}
)


AtLeastOne = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[int, msgspec.Meta(ge=0)]


class SoftSuppression(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    after: AtLeastOne  # consecutive outcomes with this reason before suppressing
    days: AtLeastOne  # how long the suppression lasts


class PolicyConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The policy's settings (see above). `from_dict` checks them: unknown keys, at least one
    attempt and one backoff delay, soft suppressions after at least one outcome for a day or more."""

    max_attempts: AtLeastOne = 4
    backoff: Annotated[tuple[Seconds, ...], msgspec.Meta(min_length=1)] = (300, 1800, 7200)
    providers: tuple[str, ...] = ()
    failover: dict[str, tuple[str, ...]] = msgspec.field(
        default_factory=lambda: {"voice": ("sms",)}
    )
    suppress: dict[Reason, Literal["permanent"] | SoftSuppression] = msgspec.field(
        default_factory=lambda: {
            Reason.RECIPIENT_INVALID: "permanent",
            Reason.RECIPIENT_OPTED_OUT: "permanent",
            Reason.RECIPIENT_BLOCKED: "permanent",
            Reason.RECIPIENT_UNREACHABLE: SoftSuppression(after=3, days=7),
        }
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PolicyConfig:
        """Read and check a `[policy]` table (TOML's types, or strings of numbers); an error names
        the field, e.g. `policy.suppress.recipient_unreachable.after`."""
        suppress = data.get("suppress")
        if isinstance(suppress, Mapping):  # rule by rule, so that an error names the reason
            data = {**data, "suppress": {r: _rule(r, rule) for r, rule in suppress.items()}}
        return _convert(data, cls, "policy")


T = TypeVar("T")


def _rule(reason: object, rule: object) -> Literal["permanent"] | SoftSuppression:
    field = f"policy.suppress.{reason}"
    try:
        Reason(str(reason))
    except ValueError:
        allowed = ", ".join(r.value for r in Reason)
        raise InputError(f"{reason!r} is not one of: {allowed}", field=field) from None
    if rule == "permanent":
        return "permanent"
    if not isinstance(rule, Mapping):
        raise InputError(
            f'expected "permanent" or {{after = N, days = N}}, got {rule!r}', field=field
        )
    return _convert(rule, SoftSuppression, field)


def _convert(data: object, type_: type[T], field: str) -> T:
    """`msgspec.convert`, its error an `InputError` naming the field (`field` and the path)."""
    try:
        return msgspec.convert(data, type_, strict=False)
    except msgspec.ValidationError as exc:
        problem, _, path = str(exc).partition(" - at `$")
        raise InputError(problem, field=field + path.rstrip("`")) from exc


class Failover(msgspec.Struct, frozen=True):
    kind: Literal["channel", "provider"]
    to: str
    why: str


class Advice(msgspec.Struct, frozen=True, kw_only=True):
    """What to do next with one message."""

    action: Retry  # never | now | later | after_fix
    delay: int | None = None  # seconds before the next try, for "later"
    attempts_left: int  # tries the policy still allows (0: stop)
    fix: str | None = None  # for after_fix: what to change, in the catalog's words
    failover: tuple[Failover, ...] = ()
    suppress: bool = False  # the recipient should be suppressed (see `suppression`)
    decided_by: str


class Suppression(msgspec.Struct, frozen=True):
    reason: Reason
    permanent: bool
    days: int | None  # None when permanent


def suppression(
    outcome: Outcome, recent_reasons: Sequence[Reason], config: PolicyConfig
) -> Suppression | None:
    """Whether this outcome suppresses its recipient.

    `recent_reasons` are the reasons of the recipient's previous final outcomes, newest first
    (the store passes them), so soft rules can count consecutive failures.
    """
    if not outcome.final or outcome.recipient is None:
        return None
    rule = config.suppress.get(outcome.reason)
    if rule is None:
        return None
    if rule == "permanent":
        return Suppression(outcome.reason, True, None)
    assert isinstance(rule, SoftSuppression)
    streak = 1
    for r in recent_reasons:
        if r != outcome.reason:
            break
        streak += 1
    return Suppression(outcome.reason, False, rule.days) if streak >= rule.after else None


def advise(
    outcome: Outcome,
    catalog: Catalog,
    config: PolicyConfig | None = None,
    *,
    attempt: int = 1,
    recent_reasons: Sequence[Reason] = (),
) -> Advice:
    """Retry advice for the message of `outcome`, its `attempt`-th try (1 = first send)."""
    cfg = config or PolicyConfig()
    left = max(cfg.max_attempts - attempt, 0)
    failover = _failover(outcome, cfg)
    suppress = suppression(outcome, recent_reasons, cfg) is not None
    base = f"policy:{outcome.decided_by}"
    if not outcome.final:
        return Advice(
            action=Retry.NEVER, attempts_left=left, decided_by="policy:not-final", fix=None
        )
    retry = outcome.retry
    if suppress:
        return Advice(
            action=Retry.NEVER, attempts_left=0, failover=failover, suppress=True, decided_by=base
        )
    if retry in (Retry.NOW, Retry.LATER) and left == 0:
        return Advice(
            action=Retry.NEVER, attempts_left=0, failover=failover, decided_by="policy:max_attempts"
        )
    if retry == Retry.LATER:
        delay = outcome.retry_after or cfg.backoff[min(attempt - 1, len(cfg.backoff) - 1)]
        return Advice(
            action=retry, delay=delay, attempts_left=left, failover=failover, decided_by=base
        )
    if retry == Retry.AFTER_FIX:
        return Advice(
            action=retry,
            attempts_left=left,
            fix=_fix(outcome, catalog),
            failover=failover,
            decided_by=base,
        )
    return Advice(
        action=retry,
        attempts_left=left if retry == Retry.NOW else 0,
        failover=failover,
        decided_by=base,
    )


def _fix(outcome: Outcome, catalog: Catalog) -> str | None:
    """The catalog's advice for the deciding code."""
    if not outcome.decided_by.startswith("catalog:"):
        return None
    provider, kind, channel, code = outcome.decided_by.removeprefix("catalog:").split(":", 3)
    found = catalog.lookup(provider, code, kind, channel)
    return found[0].action if found else None


def _failover(outcome: Outcome, cfg: PolicyConfig) -> tuple[Failover, ...]:
    hints: list[Failover] = []
    if outcome.state == "delivered":
        return ()
    if outcome.reason in NO_ANSWER_REASONS:
        for ch in cfg.failover.get(outcome.channel.value, ()):
            hints.append(
                Failover(
                    "channel", ch, f"{outcome.channel.value} ended with {outcome.reason.value}"
                )
            )
    if outcome.reason in (Reason.PROVIDER_ERROR, Reason.NETWORK_ERROR):
        for other in cfg.providers:
            if other != outcome.provider:
                hints.append(
                    Failover("provider", other, f"{outcome.reason.value} at {outcome.provider}")
                )
    return tuple(hints)
