"""Infobip's words for each fate, and its delivery reports, rendered from the catalog.

Status and error objects (`groupId`, `groupName`, `id`, `name`, `description`, `permanent`) are
built from dlrkit's catalog (seed 001), so a report names codes exactly as the reference does.
Reports follow "Receive outbound SMS message report" (v2: `to`, `smsCount`; v3: `sender`,
`messageCount`) and "Receive Voice Delivery Reports" (`voiceCall {...}`), the shapes dlrkit's
Infobip adapter reads.
"""

from __future__ import annotations

from typing import Any

from dlrkit.catalog import Catalog
from dlrkit.sandbox.fates import Fate
from dlrkit.sandbox.runtime import iso

# fate -> (status id, error id). SMS errors are MAP errors (general channel); voice errors are
# the codes of the 2024 voice migration (BUSY is status 97 with error 10201).
SMS: dict[Fate, tuple[int, int]] = {
    Fate.DELIVERED: (5, 0),  # DELIVERED_TO_HANDSET, NO_ERROR
    Fate.ABSENT_SUBSCRIBER: (9, 27),  # UNDELIVERABLE_NOT_DELIVERED, EC_ABSENT_SUBSCRIBER
    Fate.UNKNOWN_SUBSCRIBER: (4, 1),  # UNDELIVERABLE_REJECTED_OPERATOR, EC_UNKNOWN_SUBSCRIBER
    Fate.EXPIRED: (15, 4101),  # EXPIRED_EXPIRED, EC_VALIDITYEXPIRED
    Fate.BUSY: (9, 31),  # EC_SUBSCRIBER_BUSY_FOR_MT_SMS
    Fate.NO_ANSWER: (9, 6),  # EC_ABSENT_SUBSCRIBER_SM: the handset did not answer the page
    Fate.DECLINED: (4, 13),  # EC_CALL_BARRED
    Fate.BARRED: (4, 13),
}
VOICE: dict[Fate, tuple[int, int]] = {
    Fate.DELIVERED: (5, 10000),  # NORMAL_HANGUP
    Fate.ABSENT_SUBSCRIBER: (9, 10204),  # TEMPORARILY_UNAVAILABLE
    Fate.UNKNOWN_SUBSCRIBER: (9, 10303),  # DESTINATION_NOT_FOUND
    Fate.EXPIRED: (15, 0),  # EXPIRED_EXPIRED: not called within the validity period
    Fate.BUSY: (97, 10201),  # BUSY
    Fate.NO_ANSWER: (9, 10200),  # NO_ANSWER
    Fate.DECLINED: (9, 10203),  # REJECTED
    Fate.BARRED: (9, 10300),  # FORBIDDEN
}
PENDING_ACCEPTED = 26
EXPIRED_STATUS, VALIDITY_EXPIRED = 15, 4101
NO_ANSWER = 10200


def status(catalog: Catalog, code: int, channel: str = "sms") -> dict[str, Any]:
    """Infobip's status object for a status id (voice ids first for voice messages)."""
    channels = ("voice", "general") if channel == "voice" else ("general",)
    for ch in channels:
        for entry in catalog.lookup("infobip", code, kind="status", channel=ch):
            return {
                "groupId": entry.group_id,
                "groupName": entry.group_name,
                "id": code,
                "name": entry.name,
                "description": entry.description,
            }
    raise LookupError(f"infobip status {code} is not in the catalog")


def error(catalog: Catalog, code: int, channel: str = "sms") -> dict[str, Any]:
    """Infobip's error object; ids absent from the catalog keep id and name only."""
    channels = ("voice", "general") if channel == "voice" and code >= 5000 else ("general",)
    for ch in channels:
        for entry in catalog.lookup("infobip", code, kind="error", channel=ch):
            obj: dict[str, Any] = {"id": code, "name": entry.name, "description": entry.description}
            if entry.group_id is not None:
                obj = {"groupId": entry.group_id, "groupName": entry.group_name, **obj}
            obj["permanent"] = bool(entry.permanent)
            return obj
    raise LookupError(f"infobip error {code} is not in the catalog")


def sms_report(
    catalog: Catalog,
    *,
    bulk_id: str,
    message_id: str,
    to: str,
    sender: str | None,
    sent_at: float,
    done_at: float,
    parts: int,
    price: float,
    codes: tuple[int, int],
    callback_data: str | None,
    version: int,
) -> dict[str, Any]:
    """One result of an SMS delivery report, v2 (`to`, `smsCount`) or v3 (`sender`, `messageCount`)."""
    report: dict[str, Any] = {
        "bulkId": bulk_id,
        "messageId": message_id,
        "to": to,
        "sentAt": iso(sent_at),
        "doneAt": iso(done_at),
        "price": {"pricePerMessage": round(price, 6), "currency": "EUR"},
        "status": status(catalog, codes[0]),
        "error": error(catalog, codes[1]),
    }
    if version == 3:
        report["sender"] = sender
        report["messageCount"] = parts
    else:
        report["from"] = sender
        report["smsCount"] = parts
    if callback_data is not None:
        report["callbackData"] = callback_data
    return report


def voice_report(
    catalog: Catalog,
    *,
    bulk_id: str,
    message_id: str,
    to: str,
    sender: str | None,
    sent_at: float,
    start: float,
    answered: float | None,
    end: float,
    price_per_second: float,
    codes: tuple[int, int],
    callback_data: str | None,
) -> dict[str, Any]:
    """One result of a voice delivery report with its `voiceCall` block."""
    duration = round(end - answered) if answered is not None else 0
    report: dict[str, Any] = {
        "bulkId": bulk_id,
        "messageId": message_id,
        "from": sender,
        "to": to,
        "sentAt": iso(sent_at),
        "voiceCall": {
            "feature": "Text-to-Speech",
            "startTime": iso(start),
            "answerTime": iso(answered) if answered is not None else None,
            "endTime": iso(end),
            "duration": duration,
            "chargedDuration": -(-duration // 60) * 60,  # billed per started minute
            "dtmfCodes": None,
        },
        "price": {"pricePerSecond": round(price_per_second, 6), "currency": "EUR"},
        "status": status(catalog, codes[0], "voice"),
        "error": error(catalog, codes[1], "voice"),
    }
    if callback_data is not None:
        report["callbackData"] = callback_data
    return report
