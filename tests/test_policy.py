"""Retry advice, failover hints and suppression decisions."""

from __future__ import annotations

import pytest

from dlrkit import Catalog, InputError
from dlrkit.classify import classify
from dlrkit.outcome import Channel, NativeCode, Outcome, Report
from dlrkit.policy import PolicyConfig, advise, suppression
from dlrkit.vocab import Reason, Retry


def outcome(
    provider: str, *codes: NativeCode, channel: Channel = Channel.SMS, to: str = "33612345678"
) -> Outcome:
    rep = Report(provider=provider, message_id="m", channel=channel, codes=codes, recipient=to)
    return classify(rep, Catalog.default(), received_at="2026-01-01T00:00:00Z")


def ib(status: int, error: int, channel: str = "general") -> tuple[NativeCode, NativeCode]:
    return (
        NativeCode(kind="status", channel="general", code=status),
        NativeCode(kind="error", channel=channel, code=error),
    )


ABSENT = outcome("infobip", *ib(9, 27))
UNKNOWN_SUBSCRIBER = outcome("infobip", *ib(9, 1))
BUSY_CALL = outcome(
    "plivo", NativeCode(kind="hangup_cause", channel="voice", code=3010), channel=Channel.VOICE
)
NO_CREDIT = outcome(
    "plivo", NativeCode(kind="hangup_cause", channel="voice", code=1010), channel=Channel.VOICE
)
PENDING = outcome("infobip", *ib(7, 0))


def test_later_uses_the_catalog_delay_then_stops_at_the_cap(catalog: Catalog) -> None:
    a = advise(ABSENT, catalog, attempt=1)
    assert (a.action, a.delay, a.attempts_left) == (Retry.LATER, ABSENT.retry_after, 3)
    capped = advise(ABSENT, catalog, PolicyConfig(max_attempts=2), attempt=2)
    assert (capped.action, capped.attempts_left, capped.decided_by) == (
        Retry.NEVER,
        0,
        "policy:max_attempts",
    )


def test_after_fix_says_what_to_fix(catalog: Catalog) -> None:
    a = advise(NO_CREDIT, catalog)
    assert a.action == Retry.AFTER_FIX
    (entry,) = catalog.lookup("plivo", 1010)
    assert a.fix == entry.action


def test_never_for_invalid_recipients_and_suppress(catalog: Catalog) -> None:
    a = advise(UNKNOWN_SUBSCRIBER, catalog)
    assert (a.action, a.suppress) == (Retry.NEVER, True)


def test_voice_not_answered_suggests_sms(catalog: Catalog) -> None:
    a = advise(BUSY_CALL, catalog, PolicyConfig(providers=("plivo", "infobip")))
    assert [(f.kind, f.to) for f in a.failover] == [("channel", "sms")]


def test_provider_error_suggests_another_provider(catalog: Catalog) -> None:
    o = outcome(
        "plivo", NativeCode(kind="hangup_cause", channel="voice", code=5010), channel=Channel.VOICE
    )
    assert o.reason == Reason.PROVIDER_ERROR
    a = advise(o, catalog, PolicyConfig(providers=("plivo", "infobip")))
    assert ("provider", "infobip") in [(f.kind, f.to) for f in a.failover]


def test_not_final_waits(catalog: Catalog) -> None:
    assert advise(PENDING, catalog).action == Retry.NEVER
    assert advise(PENDING, catalog).decided_by == "policy:not-final"


def test_soft_suppression_needs_a_streak() -> None:
    cfg = PolicyConfig()
    assert suppression(ABSENT, [], cfg) is None
    assert suppression(ABSENT, [Reason.RECIPIENT_UNREACHABLE], cfg) is None
    s = suppression(ABSENT, [Reason.RECIPIENT_UNREACHABLE, Reason.RECIPIENT_UNREACHABLE], cfg)
    assert s is not None
    assert (s.permanent, s.days) == (False, 7)
    assert suppression(ABSENT, [Reason.NONE, Reason.RECIPIENT_UNREACHABLE], cfg) is None


def test_opt_out_is_permanent() -> None:
    o = outcome("infobip", NativeCode(kind="status", channel="general", code=10))
    assert o.reason == Reason.RECIPIENT_OPTED_OUT
    s = suppression(o, [], PolicyConfig())
    assert s is not None
    assert s.permanent


def test_config_errors_name_the_field() -> None:
    cfg = PolicyConfig.from_dict(
        {"max_attempts": 2, "suppress": {"recipient_busy": {"after": 2, "days": 1}}}
    )
    assert cfg.max_attempts == 2
    with pytest.raises(InputError) as err:
        PolicyConfig.from_dict({"max_attempts": "many"})
    assert err.value.field == "policy.max_attempts"
    with pytest.raises(InputError):
        PolicyConfig.from_dict({"suppress": {"sadness": "permanent"}})
