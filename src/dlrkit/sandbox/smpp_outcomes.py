"""How the sandbox SMSC renders the sandbox's fates in SMPP terms, and its own magic numbers.

The fate of a message (delivered, absent subscriber, ...) and its delays come from the shared
`dlrkit.sandbox.fates` magic numbers and `dlrkit.sandbox.scenario` mixes, exactly as for the
HTTP imitations. This module only says what each fate looks like in an SMPP 3.4 delivery
receipt: the Appendix B `stat:` word, the message_state TLV (section 5.2.28) and, for failures,
the MAP error (3GPP TS 29.002 section 17.6.6) sent as `err:` and as a GSM network_error_code
(5.3.2.31). Every name is resolved through the catalog, so the numbers on the wire are the
catalog's.

An SMSC can also refuse a message at submission, in submit_sm_resp (section 5.1.3). Those
refusals are SMPP's own, so they get magic numbers of their own, in the same last-four-digits
scheme as the shared ones (`SUBMIT_MAGIC`):

    ======  ==================  ====================================================
    suffix  command_status      meaning
    ======  ==================  ====================================================
    9980    ESME_RTHROTTLED     the account's submission rate is exceeded
    9981    ESME_RMSGQFUL       the SMSC's queue for the destination is full
    9982    ESME_RSYSERR        the SMSC failed internally
    9983    ESME_RINVDSTADR     the destination cannot be routed
    9984    ESME_RSUBMITFAIL    the submission failed without a more precise reason
    ======  ==================  ====================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from dlrkit.catalog import Catalog
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.scenario import Decision, Scenario

PROVIDER = "smpp"
DEFAULT_VALIDITY = 48 * 3600.0  # simulated seconds a message may wait when it names no validity

#: fate -> (receipt stat word, MAP error name or None)
FATE_RECEIPTS: Mapping[Fate, tuple[str, str | None]] = {
    Fate.DELIVERED: ("DELIVRD", None),
    Fate.ABSENT_SUBSCRIBER: ("UNDELIV", "absentSubscriber"),
    Fate.UNKNOWN_SUBSCRIBER: ("UNDELIV", "unknownSubscriber"),
    Fate.EXPIRED: ("EXPIRED", None),
    Fate.BUSY: ("UNDELIV", "subscriberBusyForMT-SMS"),
    Fate.NO_ANSWER: ("UNDELIV", "absentSubscriber"),  # an SMS has no ringing: nobody there
    Fate.DECLINED: ("UNDELIV", "callBarred"),  # an SMS cannot be declined: barred
    Fate.BARRED: ("UNDELIV", "callBarred"),
}

#: last four digits of the destination -> the command_status submit_sm_resp answers with
SUBMIT_MAGIC: Mapping[str, str] = {
    "9980": "ESME_RTHROTTLED",
    "9981": "ESME_RMSGQFUL",
    "9982": "ESME_RSYSERR",
    "9983": "ESME_RINVDSTADR",
    "9984": "ESME_RSUBMITFAIL",
}


@dataclass(frozen=True, slots=True)
class ReceiptCodes:
    """What a final receipt carries for one fate."""

    stat: str  # Appendix B stat word
    message_state: int  # message_state TLV
    err: int  # MAP error; 0 when the message did not fail


@dataclass(frozen=True, slots=True)
class Plan:
    """What the SMSC does with one submit_sm: refuse it, or accept it and report later."""

    status: str  # command_status name of the submit_sm_resp
    decision: Decision | None = None  # None when refused


def submit_magic(destination: str) -> str | None:
    """The command_status a magic destination orders at submission, or None."""
    digits = "".join(ch for ch in destination if ch.isdigit())
    return SUBMIT_MAGIC.get(digits[-4:]) if len(digits) >= 4 else None


def plan(scenario: Scenario, destination: str, n: int) -> Plan:
    """The plan for the n-th message (0-based) to `destination`: magic refusal, else the fate."""
    refusal = submit_magic(destination)
    if refusal is not None:
        return Plan(refusal)
    return Plan("ESME_ROK", scenario.decide(PROVIDER, destination, n))


@cache
def receipt_codes(fate: Fate) -> ReceiptCodes:
    """The stat word, message_state and MAP error of a fate, numbers from the catalog."""
    stat, map_error = FATE_RECEIPTS[fate]
    return ReceiptCodes(stat, message_state(stat), map_error_code(map_error) if map_error else 0)


@cache
def message_state(stat: str) -> int:
    """The message_state value of an Appendix B stat word (DELIVRD -> DELIVERED -> 2)."""
    catalog = Catalog.default()
    word = catalog.lookup(PROVIDER, stat, kind="dlr_status", channel="receipt")
    states = word and catalog.by_name(PROVIDER, word[0].name or "", "status", "message_state")
    if not states:
        raise LookupError(f"receipt stat {stat} has no message_state in the catalog")
    return int(states[0].code)


@cache
def map_error_code(name: str) -> int:
    """A MAP error's number by its ASN.1 name ("absentSubscriber" -> 27)."""
    found = Catalog.default().by_name("map", name, kind="error")
    if not found:
        raise LookupError(f"MAP error {name} is not in the catalog")
    return int(found[0].code)


@cache
def status_code(name: str) -> int:
    """The command_status value of a name such as "ESME_RINVPASWD", from the catalog."""
    found = Catalog.default().by_name(PROVIDER, name, kind="api_error", channel="command_status")
    if not found:
        raise LookupError(f"command_status {name} is not in the catalog")
    return int(found[0].code)
