"""Fates: what happens to a message after the sandbox accepts it, and the magic numbers.

A fate is provider-neutral ("the subscriber's phone is off"); each provider imitation renders it
in its own words (an Infobip status and error id, an SMSPartner receipt word, a Plivo hangup
cause). Fates are chosen per message, in this order:

1. a magic number: the recipient's last four digits pick the fate (table `MAGIC_SUFFIXES`,
   mirrored in docs/sandbox.md), whatever the scenario says;
2. otherwise the scenario's mix (`dlrkit.sandbox.scenario`), drawn deterministically from its seed;
3. without a scenario every message is delivered.

    >>> magic_fate("+33612349904")
    <Fate.BUSY: 'busy'>
    >>> magic_fate("+33612345678") is None
    True
"""

from __future__ import annotations

from enum import StrEnum


class Fate(StrEnum):
    """What the imitated network does with a message or call."""

    DELIVERED = "delivered"  # SMS delivered to the handset; call answered and ended normally
    ABSENT_SUBSCRIBER = "absent_subscriber"  # phone off or out of coverage
    UNKNOWN_SUBSCRIBER = "unknown_subscriber"  # number not allocated to anyone
    EXPIRED = "expired"  # still undelivered when the validity period ends
    BUSY = "busy"  # the line is busy (SMS: subscriber busy for MT SMS)
    NO_ANSWER = "no_answer"  # rings, nobody answers (SMS: treated as absent subscriber)
    DECLINED = "declined"  # the callee rejects the call (SMS: barred by the operator)
    BARRED = "barred"  # the operator bars the recipient (call barred, DND)


# The recipient's last four digits -> fate. "99" then a digit keeps these apart from ordinary
# numbers while staying valid numbers of every numbering plan (phonenumbers checks still pass).
MAGIC_SUFFIXES: dict[str, Fate] = {
    "9900": Fate.DELIVERED,
    "9901": Fate.ABSENT_SUBSCRIBER,
    "9902": Fate.UNKNOWN_SUBSCRIBER,
    "9903": Fate.EXPIRED,
    "9904": Fate.BUSY,
    "9905": Fate.NO_ANSWER,
    "9906": Fate.DECLINED,
    "9907": Fate.BARRED,
}


def magic_fate(recipient: str) -> Fate | None:
    """The fate a magic number orders, or None for an ordinary number."""
    digits = "".join(ch for ch in recipient if ch.isdigit())
    return MAGIC_SUFFIXES.get(digits[-4:]) if len(digits) >= 4 else None


def parse_fate(name: str, field: str) -> Fate:
    """A fate by name, or ValueError naming the field and the known fates."""
    try:
        return Fate(name.strip().lower())
    except ValueError:
        known = ", ".join(f.value for f in Fate)
        raise ValueError(f"{field}: unknown fate {name!r}; known: {known}") from None
