"""classify: an expectation table, a reviewed snapshot of every catalog code, and properties."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlrkit import Catalog
from dlrkit.classify import classify
from dlrkit.fold import fold, merge
from dlrkit.outcome import Channel, NativeCode, Report
from dlrkit.rules import Rules
from dlrkit.vocab import Reason, Retry, State

from .strategies import CATALOG, PROVIDERS, catalog_codes, reports, unknown_codes

NOW = "2026-01-01T00:00:00.000Z"


def status(code: int, name: str, group: int, channel: str = "general") -> NativeCode:
    return NativeCode(kind="status", channel=channel, code=code, name=name, group_id=group)


def error(
    code: int, name: str | None = None, channel: str = "general", group: int | None = None
) -> NativeCode:
    return NativeCode(kind="error", channel=channel, code=code, name=name, group_id=group)


def report(
    provider: str, *codes: NativeCode, channel: Channel = Channel.SMS, mid: str = "m1"
) -> Report:
    return Report(provider=provider, message_id=mid, channel=channel, codes=codes)


CASES = {
    "infobip delivered, error 0": (
        report("infobip", status(5, "DELIVERED_TO_HANDSET", 3), error(0, "NO_ERROR")),
        ("delivered", "none", "never", "catalog:infobip:status:general:5"),
    ),
    "infobip undeliverable, absent subscriber": (
        report(
            "infobip",
            status(9, "UNDELIVERABLE_NOT_DELIVERED", 2),
            error(27, "EC_ABSENT_SUBSCRIBER"),
        ),
        ("undelivered", "recipient_unreachable", "later", "catalog:infobip:error:general:27"),
    ),
    "infobip pending": (
        report("infobip", status(7, "PENDING_ENROUTE", 1), error(0, "NO_ERROR")),
        ("pending", "none", "never", "catalog:infobip:status:general:7"),
    ),
    "infobip DND": (
        report("infobip", status(10, "REJECTED_DND", 5), error(0)),
        ("rejected", "recipient_opted_out", "never", "catalog:infobip:status:general:10"),
    ),
    "infobip 2053 second name": (
        report(
            "infobip",
            status(4, "UNDELIVERABLE_REJECTED_OPERATOR", 2),
            error(2053, "EC_SOURCE_ADDRESS_BLACKLISTED"),
        ),
        ("undelivered", "sender_rejected", "after_fix", "catalog:infobip:error:general:2053"),
    ),
    "infobip voice legacy busy": (
        report(
            "infobip",
            status(9, "UNDELIVERABLE_NOT_DELIVERED", 2),
            error(5002, channel="voice"),
            channel=Channel.VOICE,
        ),
        ("undelivered", "recipient_busy", "later", "catalog:infobip:error:voice:5002"),
    ),
    "infobip voice new busy with status reason": (
        report(
            "infobip",
            status(97, "BUSY", 2, "voice"),
            error(10201, "BUSY", "voice"),
            channel=Channel.VOICE,
        ),
        ("undelivered", "recipient_busy", "later", "catalog:infobip:error:voice:10201"),
    ),
    "plivo busy": (
        report(
            "plivo",
            NativeCode(kind="hangup_cause", channel="voice", code=3010),
            channel=Channel.VOICE,
        ),
        ("undelivered", "recipient_busy", "later", "catalog:plivo:hangup_cause:voice:3010"),
    ),
    "plivo normal hangup": (
        report(
            "plivo",
            NativeCode(kind="hangup_cause", channel="voice", code=4000),
            channel=Channel.VOICE,
        ),
        ("delivered", "none", "never", "catalog:plivo:hangup_cause:voice:4000"),
    ),
    "smpp receipt delivered": (
        report("smpp", NativeCode(kind="dlr_status", channel="receipt", code="DELIVRD")),
        ("delivered", "none", "never", "catalog:smpp:dlr_status:receipt:DELIVRD"),
    ),
    "smpp GSM network error is a MAP error": (
        report(
            "smpp",
            NativeCode(kind="dlr_status", channel="receipt", code="UNDELIV"),
            error(1, channel="error"),
        ),
        ("undelivered", "recipient_invalid", "never", "catalog:map:error:error:1"),
    ),
    "smspartner status word": (
        report(
            "smspartner", NativeCode(kind="status", channel="status_list", code="not delivered")
        ),
        ("undelivered", None, None, "catalog:smspartner:status:status_list:not delivered"),
    ),
    "smspartner api error STOP list": (
        report("smspartner", NativeCode(kind="api_error", channel="send_sms", code=14)),
        (None, "recipient_opted_out", "never", "catalog:smspartner:api_error:send_sms:14"),
    ),
    "unknown codes only": (
        report("infobip", status(999, "NEW_STATUS", 9), error(99999)),
        ("unknown", "unknown", "never", "unknown"),
    ),
    "unknown status, known error": (
        report("infobip", status(999, "NEW_STATUS", 9), error(1, "EC_UNKNOWN_SUBSCRIBER")),
        (None, "recipient_invalid", "never", "catalog:infobip:error:general:1"),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_expectations(case: str) -> None:
    rep, (state, reason, retry, decided_by) = CASES[case]
    o = classify(rep, CATALOG, received_at=NOW)
    assert o.decided_by == decided_by
    if state is not None:
        assert o.state == state
    if reason is not None:
        assert o.reason == reason
    if retry is not None:
        assert o.retry == retry
    assert o.final == o.state.final
    assert len(o.codes) == len(rep.codes)


def test_unknown_codes_are_kept_and_listed() -> None:
    o = classify(
        report("infobip", status(999, "NEW_STATUS", 9), error(99999)), CATALOG, received_at=NOW
    )
    assert o.unknown_codes == ("infobip:status:general:999", "infobip:error:general:99999")
    assert [c.known for c in o.codes] == [False, False]
    assert o.codes[0].name == "NEW_STATUS"


def test_rules_override_and_record_the_rule() -> None:
    rules = Rules.from_dict(
        {
            "rule": [
                {
                    "provider": "infobip",
                    "code": 27,
                    "retry": "later",
                    "retry_after": 7200,
                    "party": "carrier",
                }
            ]
        },
        "my.toml",
    )
    rep = report(
        "infobip", status(9, "UNDELIVERABLE_NOT_DELIVERED", 2), error(27, "EC_ABSENT_SUBSCRIBER")
    )
    o = classify(rep, CATALOG, rules, received_at=NOW)
    assert (o.reason, o.retry, o.retry_after, o.party) == (
        "recipient_unreachable",
        "later",
        7200,
        "carrier",
    )
    assert o.decided_by == "rules:my.toml#1"
    other = classify(
        report("plivo", NativeCode(kind="hangup_cause", channel="voice", code=3010)), CATALOG, rules
    )
    assert other.decided_by.startswith("catalog:")


def test_rule_pattern_matches_names() -> None:
    rules = Rules.from_dict(
        {"rule": [{"pattern": "(?i)absent", "reason": "recipient_invalid", "retry": "never"}]}
    )
    o = classify(
        report("infobip", error(27, "EC_ABSENT_SUBSCRIBER")), CATALOG, rules, received_at=NOW
    )
    assert (o.reason, o.retry, o.decided_by) == ("recipient_invalid", "never", "rules:rules#1")


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"code": 1}, "rules#1"),
        ({"reason": "sad"}, "rules#1.reason"),
        ({"retry": "sometimes"}, "rules#1.retry"),
        ({"party": "me", "code": 1}, "rules#1.party"),
        ({"retry_after": -5}, "rules#1.retry_after"),
        ({"pattern": "(", "retry": "now"}, "rules#1.pattern"),
        ({"colour": "red", "retry": "now"}, "rules#1"),
        ({"provider": "infobp", "retry": "now"}, "rules#1.provider"),  # would never match
        ({"kind": "colour", "retry": "now"}, "rules#1.kind"),
    ],
)
def test_bad_rules_name_the_field(rule: dict[str, object], field: str) -> None:
    from dlrkit import InputError

    with pytest.raises(InputError) as err:
        Rules.from_dict({"rule": [rule]})
    assert err.value.field == field


# --- the snapshot: every code the adapters can report, classified ----------------------------

SNAPSHOT = Path(__file__).parent / "snapshots" / "classify.txt"


def _snapshot_lines() -> list[str]:
    lines = []
    for e in CATALOG.entries:
        if e.provider not in PROVIDERS:
            continue
        code = NativeCode(
            kind=e.kind.value, channel=e.channel, code=e.code, name=e.name, group_id=e.group_id
        )
        o = classify(report(e.provider, code), CATALOG, received_at=NOW)
        after = f" after {o.retry_after}s" if o.retry_after else ""
        lines.append(
            f"{e.provider:10} {e.kind.value:12} {e.channel:19} {e.code!s:>13} -> "
            f"{o.state.value:11} {o.reason.value:21} {o.retry.value}{after} / {o.party.value}"
        )
    return lines


def test_snapshot_of_every_catalog_code() -> None:
    """Review changes to this file as a diff: it is how the catalog's advice changes."""
    lines = "\n".join(_snapshot_lines()) + "\n"
    if os.environ.get("DLRKIT_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(lines)
    assert SNAPSHOT.read_text() == lines, "run with DLRKIT_UPDATE_SNAPSHOTS=1 and review the diff"


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=300)
@given(reports(catalog_codes() | unknown_codes))
def test_classify_is_total_and_deterministic(rep: Report) -> None:
    a = classify(rep, CATALOG, received_at=NOW)
    b = classify(rep, CATALOG, received_at=NOW)
    assert a == b
    assert a.final == a.state.final
    assert len(a.codes) == len(rep.codes)
    assert len(a.unknown_codes) == sum(not c.known for c in a.codes)
    if a.retry_after is not None:
        assert a.retry == Retry.LATER


@given(unknown_codes)
def test_unknown_code_alone_gives_unknown(code: NativeCode) -> None:
    o = classify(report("infobip", code), CATALOG, received_at=NOW)
    assert (o.state, o.reason) == (State.UNKNOWN, Reason.UNKNOWN)
    assert o.unknown_codes


# The migration document names these old/new pairs as the same failure, but our advice differs
# on purpose: 5407 is a SIP 407 challenge between operators, 10302 the caller's own credentials.
ADVICE_DIFFERS = {(5407, 10302)}


def test_legacy_codes_and_their_single_replacement_classify_alike(catalog: Catalog) -> None:
    checked = 0
    for legacy, new in catalog.migration.migrated.items():
        if len(new) != 1 or (legacy, new[0]) in ADVICE_DIFFERS:
            continue
        old_o = classify(
            report("infobip", error(legacy, channel="voice"), channel=Channel.VOICE), catalog
        )
        new_o = classify(
            report("infobip", error(new[0], channel="voice"), channel=Channel.VOICE), catalog
        )
        assert (old_o.state, old_o.reason, old_o.retry, old_o.party) == (
            new_o.state,
            new_o.reason,
            new_o.retry,
            new_o.party,
        ), (legacy, new[0])
        checked += 1
    assert checked >= 14


def test_equivalents_agree_on_reason(catalog: Catalog) -> None:
    for e in catalog.entries:
        for q in catalog.equivalents(e):
            if q in catalog.same_numbering(e) or q in catalog.status_reason_partners(e):
                continue
            assert q.reason == e.reason, (e.label if hasattr(e, "label") else e.ref, q.ref)


# --- folding ---------------------------------------------------------------------------------


def _o(state: str, mid: str = "m1", reason: str = "none") -> object:
    from dlrkit.outcome import Outcome
    from dlrkit.vocab import Party

    st_ = State(state)
    return Outcome(
        message_id=mid,
        provider="infobip",
        channel=Channel.SMS,
        state=st_,
        final=st_.final,
        reason=Reason(reason),
        retry=Retry.NEVER,
        party=Party.UNKNOWN,
    )


def test_final_never_moves_back() -> None:
    assert merge(_o("delivered"), _o("pending")).state == "delivered"  # type: ignore[arg-type]
    assert merge(_o("pending"), _o("accepted")).state == "pending"  # type: ignore[arg-type]
    assert merge(_o("accepted"), _o("undelivered")).state == "undelivered"  # type: ignore[arg-type]


def test_a_failed_part_fails_the_message() -> None:
    folded = fold(
        [_o("delivered"), _o("undelivered", reason="recipient_unreachable"), _o("delivered")]
    )  # type: ignore[list-item]
    assert len(folded) == 1
    assert (folded[0].state, folded[0].reports) == ("undelivered", 3)


@given(st.permutations(["accepted", "pending", "delivered", "pending", "delivered"]))
def test_order_does_not_matter_for_the_final_state(order: list[str]) -> None:
    assert fold([_o(s) for s in order])[0].state == "delivered"  # type: ignore[misc]
