"""Infobip's documented checks of one destination, in the order the platform applies them.

Each check answers with the documented status (seed 001, "general status codes"), the same id
the send answer and the delivery report carry:

| rule                                                        | status                          | error |
|-------------------------------------------------------------|---------------------------------|-------|
| unknown country prefix (phonenumbers)                       | 8 REJECTED_PREFIX_MISSING       | 0     |
| a length or prefix no operator of that country uses         | 52 REJECTED_DESTINATION         | 0     |
| sender not registered on an account that requires it       | 11 REJECTED_SOURCE              | 0     |
| more than 25 parts or 4000 bytes of text                    | 25 REJECTED_MESSAGE_TOO_LONG    | 0     |
| 20 messages to one number in the last hour                  | 20 REJECTED_FLOODING_FILTER     | 4103  |
| 6 identical messages to one number in the last hour         | 20 REJECTED_FLOODING_FILTER     | 4104  |
| credits do not cover the message                            | 12 REJECTED_NOT_ENOUGH_CREDITS  | 0     |

The flooding limits and the registered senders are the account's (`dlrkit.sandbox.state`);
only accepted messages count towards the flooding window.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from dlrkit.sandbox.state import InfobipAccount
from dlrkit.sandbox.texts import NumberCheck, check_number, sms_parts

MAX_PARTS = 25
MAX_BYTES = 4000
FLOOD_WINDOW = 3600.0  # one hour, simulated seconds


class Verdict(NamedTuple):
    status: int  # 26 PENDING_ACCEPTED when every check passed
    error: int = 0
    e164: str | None = None


class FloodWindow:
    """Messages accepted per destination over the last hour: (simulated time, text)."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[tuple[float, str]]] = {}

    def check(self, destination: str, text: str, now: float, account: InfobipAccount) -> int:
        """0 if one more message may go, else the error id (4103 too many, 4104 too many identical)."""
        sent = self._sent.get(destination)
        if not sent:
            return 0
        while sent and sent[0][0] <= now - FLOOD_WINDOW:
            sent.popleft()
        if sum(1 for _, t in sent if t == text) >= account.flood_identical:
            return 4104
        if len(sent) >= account.flood_distinct:
            return 4103
        return 0

    def record(self, destination: str, text: str, now: float) -> None:
        self._sent.setdefault(destination, deque()).append((now, text))


def check_destination(to: str) -> Verdict:
    """Prefix and length checks with phonenumbers."""
    number = check_number(to)
    if number.check is NumberCheck.UNKNOWN_PREFIX:
        return Verdict(8)
    if number.check is NumberCheck.INVALID:
        return Verdict(52)
    return Verdict(26, 0, number.e164)


def check_sms(
    account: InfobipAccount,
    flood: FloodWindow,
    *,
    to: str,
    sender: str | None,
    text: str,
    now: float,
) -> Verdict:
    """Every check of one SMS to one destination, before credits."""
    verdict = check_destination(to)
    if verdict.status != 26:
        return verdict
    if account.registered_senders and (sender or "") not in account.registered_senders:
        return Verdict(11)
    if sms_parts(text).parts > MAX_PARTS or len(text.encode("utf-8")) > MAX_BYTES:
        return Verdict(25)
    flooded = flood.check(to, text, now, account)
    if flooded:
        return Verdict(20, flooded)
    return verdict


class Voice(NamedTuple):
    """Checks of a voice message's parameters (voice status codes, seed 001)."""

    status: int
    field: str | None = None


RING_TIMEOUT = (5, 60)  # seconds; the sandbox's accepted range (default 45)
NOTIFY_TYPES = ("application/json", "application/xml")


def check_voice(
    text: str | None,
    audio_url: str | None,
    ring_timeout: object,
    notify_url: object,
    notify_type: object,
    url_ok: bool,
) -> Voice:
    """55 empty message, 60 ring timeout, 56 notify URL, 57 notify content type; 26 when fine."""
    if not (text or "").strip() and not audio_url:
        return Voice(55, "text")
    if ring_timeout is not None and (
        isinstance(ring_timeout, bool)
        or not isinstance(ring_timeout, int)
        or not RING_TIMEOUT[0] <= ring_timeout <= RING_TIMEOUT[1]
    ):
        return Voice(60, "ringTimeout")
    if notify_url is not None and not url_ok:
        return Voice(56, "notifyUrl")
    if notify_type is not None and notify_type not in NOTIFY_TYPES:
        return Voice(57, "notifyContentType")
    return Voice(26)
