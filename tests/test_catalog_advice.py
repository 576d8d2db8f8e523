"""The catalog's advice is consistent: codes it declares equivalent advise alike, and every
after_fix code says what to fix."""

from __future__ import annotations

import pytest

from dlrkit import Catalog
from dlrkit.catalog import Entry
from dlrkit.outcome import Channel, Outcome
from dlrkit.policy import advise
from dlrkit.vocab import Retry, State

CAT = Catalog.default()


def ref(e: Entry) -> str:
    return f"{e.provider}:{e.kind.value}:{e.channel}:{e.code}"


_LEGACY_5487 = (
    "Infobip's legacy 5487 (SIP 487) stood for both a cancelled and a refused call: it migrated to"
    " 10202 CANCELED and 10203 REJECTED, so its advice is a refusal's (try much later), not a"
    " cancellation's"
)
_LEGACY_5487_REJECTED = (
    "Infobip's legacy 5487 migrated to both 10202 CANCELED and 10203 REJECTED (000), so it cannot"
    " carry both targets' reasons: it keeps the cancellation its SIP 487 names (party unknown, as"
    " either side may have ended the call), with a refusal's wait before any new attempt"
)
_LEGACY_5407 = (
    "000 maps 5407 to 10302 UNAUTHENTICATED but the sources describe them apart: 5407 as"
    " authentication a proxy demands on the operator's end (001; 000 says to contact Support: a"
    " trunk matter for Infobip), 10302 as the caller's own credentials or rights falling short"
    " (000: the sender fixes them); each code is advised from its own description"
)
_SIP_485 = (
    "SIP 485 Ambiguous: the address matched several users and the caller must make it precise"
    " (after_fix); RFC 3398 maps it to Q.850 cause 1, whose provider codes say the number does"
    " not exist (never)"
)
_PLIVO_5020 = (
    "Plivo's 5020 is a failure of Plivo's own routing (hangup source Plivo: retry later); Q.850"
    " cause 3 is the network saying it has no route to that destination, which takes a routing"
    " change by the carrier"
)
#: pairs of equivalent codes whose advice legitimately differs, and why
DIFFER: dict[frozenset[str], str] = {
    frozenset(("infobip:error:voice:5487", "infobip:error:voice:10202")): _LEGACY_5487,
    frozenset(("infobip:error:voice:5487", "infobip:error:voice:10203")): _LEGACY_5487_REJECTED,
    frozenset(("infobip:error:voice:5407", "infobip:error:voice:10302")): _LEGACY_5407,
    frozenset(("infobip:error:voice:5487", "plivo:hangup_cause:voice:1000")): _LEGACY_5487,
    frozenset(("infobip:error:voice:5487", "sip:status:response:487")): _LEGACY_5487,
    frozenset(("sip:status:response:485", "infobip:error:voice:10303")): _SIP_485,
    frozenset(("sip:status:response:485", "infobip:error:voice:5404")): _SIP_485,
    frozenset(("sip:status:response:485", "plivo:hangup_cause:voice:3050")): _SIP_485,
    frozenset(("sip:status:response:485", "plivo:hangup_cause:voice:3120")): _SIP_485,
    frozenset(("q850:hangup_cause:cause:3", "plivo:hangup_cause:voice:5020")): _PLIVO_5020,
}


def advice(e: Entry) -> tuple[str, str, str]:
    return (e.reason.value, e.retry.value, e.party.value)


def equivalent_pairs() -> dict[frozenset[str], tuple[Entry, Entry]]:
    """`equivalents`, plus every old/new pair of the voice migration: `equivalents` keeps only
    the pairs sharing a reason, and a documented pair must not escape this check by differing."""
    pairs: dict[frozenset[str], tuple[Entry, Entry]] = {}
    for e in CAT.entries:
        for other in [*CAT.equivalents(e), *CAT.translate_entry(e)]:
            key = frozenset((ref(e), ref(other)))
            if len(key) == 2:  # Infobip 4102 sits in two groups: same ref, two entries
                pairs.setdefault(key, (e, other))
    return pairs


PAIRS = equivalent_pairs()


def test_equivalent_codes_advise_alike() -> None:
    disagree = {
        key: f"{ref(a)} {advice(a)} vs {ref(b)} {advice(b)}"
        for key, (a, b) in PAIRS.items()
        if advice(a) != advice(b) and key not in DIFFER
    }
    assert not disagree, "\n".join(sorted(disagree.values()))
    assert len(PAIRS) > 300  # the relations are there to check


@pytest.mark.parametrize("label", sorted(" / ".join(sorted(k)) for k in DIFFER))
def test_listed_differences_are_still_real(label: str) -> None:
    key = frozenset(label.split(" / "))
    assert key in PAIRS, "no longer equivalent: drop it from DIFFER"
    a, b = PAIRS[key]
    assert advice(a) != advice(b), "they agree now: drop it from DIFFER"
    assert len(DIFFER[key]) > 40


def test_smpp_undeliverable_and_its_readings_agree() -> None:
    """SMPP 3.4 appendix B: UNDELIV says the message is undeliverable, not why; the cause is in
    the error code, and every provider's reading of the state says the same."""
    (undeliv,) = CAT.lookup("smpp", "UNDELIV", "dlr_status", "receipt")
    readings = CAT.equivalents(undeliv)
    assert {ref(e) for e in readings} >= {
        "infobip:status:general:9",
        "smspartner:dlr_status:sms:UNDELIV",
    }
    assert {advice(e) for e in [undeliv, *readings]} == {("unknown", "never", "unknown")}


AFTER_FIX = [e for e in CAT.entries if e.retry == Retry.AFTER_FIX]


@pytest.mark.parametrize("entry", AFTER_FIX, ids=[f"{ref(e)}:{e.name}" for e in AFTER_FIX])
def test_every_after_fix_code_says_what_to_fix(entry: Entry) -> None:
    assert len(entry.action.strip()) > 10
    outcome = Outcome(
        message_id="m",
        provider=entry.provider,
        channel=Channel.SMS,
        state=entry.state or State.REJECTED,
        final=True,
        reason=entry.reason,
        retry=entry.retry,
        party=entry.party,
        decided_by="catalog:" + ref(entry),
    )
    fix = advise(outcome, CAT).fix
    assert fix
    assert fix.strip()


def test_smspartner_declined_gets_a_fix() -> None:
    """The sandbox's SMSPartner 'declined' fate (number ending 9906) is reported REJECTD."""
    from dlrkit import normalize
    from dlrkit.sandbox.fates import Fate
    from dlrkit.sandbox.smspartner import WORDS

    body = (
        f"messageId=5551&phoneNumber=%2B33612349906&status={WORDS[Fate.DECLINED]}"
        "&date=2025-03-29+14%3A30%3A15&cost=0.045&currency=EUR"
    ).encode()
    (o,) = normalize(body, provider="smspartner")
    assert (o.state, o.retry) == (State.REJECTED, Retry.AFTER_FIX)
    fix = advise(o, CAT).fix
    assert fix
    assert "fix" in fix
