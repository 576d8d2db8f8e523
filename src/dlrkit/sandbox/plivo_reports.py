"""Plivo's words for each fate, and its callbacks: a call's hangup and a message's status.

Calls end with a hangup cause from Plivo's "Hangup causes" table (seed 004; name from the
catalog), the CallStatus and the older telephony cause name Plivo sends beside it. Messages end
with a Status word and an ErrorCode from Plivo's messaging "Error Codes" page; those SMS codes
are not in dlrkit's catalog (it has Plivo's voice table only), so their meanings are noted here.
Field names are those of the fixtures dlrkit's Plivo adapter is tested with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from dlrkit.catalog import Catalog
from dlrkit.sandbox.fates import Fate


class Hangup(NamedTuple):
    code: int
    call_status: str  # completed, busy, no-answer, failed, canceled
    cause: str  # the older HangupCause name (a Q.850 / SIP-style cause)
    source: str  # HangupSource


CALLS: dict[Fate, Hangup] = {
    Fate.DELIVERED: Hangup(4000, "completed", "NORMAL_CLEARING", "Callee"),
    Fate.ABSENT_SUBSCRIBER: Hangup(2010, "failed", "SUBSCRIBER_ABSENT", "Carrier"),
    Fate.UNKNOWN_SUBSCRIBER: Hangup(3050, "failed", "UNALLOCATED_NUMBER", "Carrier"),
    Fate.EXPIRED: Hangup(
        3000, "no-answer", "NO_ANSWER", "Carrier"
    ),  # calls have no validity period
    Fate.BUSY: Hangup(3010, "busy", "USER_BUSY", "Carrier"),
    Fate.NO_ANSWER: Hangup(3000, "no-answer", "NO_ANSWER", "Carrier"),
    Fate.DECLINED: Hangup(3110, "failed", "CALL_REJECTED", "Carrier"),
    Fate.BARRED: Hangup(3040, "failed", "CALL_REJECTED", "Carrier"),
}
RING_TIMEOUT = Hangup(6010, "no-answer", "NO_ANSWER", "Plivo")
OUT_OF_CREDITS = Hangup(1010, "failed", "NORMAL_CLEARING", "Plivo")
DIAL_LIMIT = Hangup(1020, "failed", "NORMAL_CLEARING", "Plivo")
COUNTRY_BARRED = Hangup(2030, "failed", "CALL_REJECTED", "Plivo")
INVALID_DESTINATION = Hangup(2000, "failed", "INVALID_NUMBER_FORMAT", "Plivo")

# Messaging error codes (Plivo "Error Codes"): 30 spam detected, 70 destination permanently
# unavailable, 80 destination temporarily unavailable, 100 prohibited by carrier, 420 message
# expired, 900 insufficient credit.
MESSAGES: dict[Fate, tuple[str, str]] = {
    Fate.DELIVERED: ("delivered", ""),
    Fate.ABSENT_SUBSCRIBER: ("undelivered", "80"),
    Fate.UNKNOWN_SUBSCRIBER: ("undelivered", "70"),
    Fate.EXPIRED: ("undelivered", "420"),
    Fate.BUSY: ("undelivered", "80"),
    Fate.NO_ANSWER: ("undelivered", "80"),
    Fate.DECLINED: ("undelivered", "100"),
    Fate.BARRED: ("undelivered", "100"),
}
INSUFFICIENT_CREDIT = ("failed", "900")


def plivo_time(ts: float, micro: bool = False) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f" if micro else "%Y-%m-%d %H:%M:%S")


def hangup_form(
    catalog: Catalog,
    hangup: Hangup,
    *,
    call_uuid: str,
    sender: str,
    to: str,
    start: float,
    answered: float | None,
    end: float,
    rate: float,
) -> dict[str, str]:
    """The form fields of a call's hangup callback (console time zone UTC: SessionStart = StartTime)."""
    entries = catalog.lookup("plivo", hangup.code, kind="hangup_cause")
    name = entries[0].name if entries and entries[0].name else ""
    duration = round(end - answered) if answered is not None else 0
    billed = -(-duration // 60) * 60
    return {
        "ALegRequestUUID": call_uuid,
        "ALegUUID": call_uuid,
        "AnswerTime": plivo_time(answered) if answered is not None else "",
        "BillDuration": str(billed),
        "BillRate": f"{rate:.5f}",
        "CallStatus": hangup.call_status,
        "CallUUID": call_uuid,
        "Direction": "outbound",
        "Duration": str(duration),
        "EndTime": plivo_time(end),
        "Event": "Hangup",
        "From": sender,
        "HangupCause": hangup.cause,
        "HangupCauseCode": str(hangup.code),
        "HangupCauseName": name,
        "HangupSource": hangup.source,
        "RequestUUID": call_uuid,
        "SessionStart": plivo_time(start, micro=True),
        "StartTime": plivo_time(start),
        "To": to,
        "TotalCost": f"{billed / 60 * rate:.5f}",
    }


def message_form(
    *,
    message_uuid: str,
    sender: str,
    to: str,
    status: str,
    error: str,
    queued: float,
    sent: float | None,
    reported: float | None,
    units: int,
    rate: float,
    sequence: int,
) -> dict[str, str]:
    """The form fields of one message status callback (queued, sent, delivered, ...)."""
    charged = status not in ("queued", "failed")
    form = {
        "ErrorCode": error,
        "From": sender,
        "MessageTime": plivo_time(queued, micro=True),
        "MessageUUID": message_uuid,
        "ParentMessageUUID": message_uuid,
        "PartInfo": "",
        "PowerpackUUID": "",
        "QueuedTime": plivo_time(queued, micro=True),
        "Sequence": str(sequence),
        "Status": status,
        "To": to,
        "TotalAmount": f"{units * rate:.5f}" if charged else "0.00000",
        "TotalRate": f"{rate:.5f}" if charged else "0.00000",
        "Type": "sms",
        "Units": str(units),
    }
    if sent is not None:
        form["SentTime"] = plivo_time(sent, micro=True)
    if reported is not None:
        form["DeliveryReportTime"] = plivo_time(reported, micro=True)
    return form
