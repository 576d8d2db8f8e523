"""Plivo adapter: voice hangup callbacks and message status callbacks in, `Report`s out.

Plivo calls the user's URLs with form data for POST (its default) and with query parameters for
GET; both arrive here as a form body. A JSON object with the same names (or an array of them),
as relays and queues often store callbacks, is read too. Formats, from Plivo's documentation:

* hangup callbacks of a call: "XML request" (voice/xml/request), "Application"
  (account/api/application), "Make a call" (voice/api/call/make-a-call), "The Call object"
  (voice/api/call/the-call-object) and "Hangup causes" (voice/troubleshooting/hangup-causes);
  see `_plivo_voice` for the fields and the time zone rule;
* DialHangup events and action requests of the <Dial> element (voice/xml/dial);
* message status callbacks: "Message Status Callbacks"
  (messaging/api/message/message-status-callbacks) with MessageUUID, To, From, Type (sms, mms,
  whatsapp), Status (queued, sent, failed, delivered, undelivered, read; older pages also name
  rejected), ErrorCode (only for failed or undelivered; "000" means none, per "The Message
  object"), Units, TotalRate, TotalAmount, MCC, MNC, ParentMessageUUID and PartInfo ("reserved
  for future use"), Sequence, MessageTime, QueuedTime, SentTime, DeliveryReportTime
  ("YYYY-mm-dd HH:MM:SS.SSSSSS", no offset given: read as UTC), PowerpackUUID. Error codes:
  "Error Codes" (messaging/troubleshooting/error-codes).

Codes, in the catalog's terms: a hangup cause is kind "hangup_cause", channel "voice" (the code
is HangupCauseCode, or the older HangupCause name when no code is sent); a message's Status is
kind "status" and its ErrorCode kind "error", both channel "sms" (MMS and WhatsApp share them).
CallStatus, HangupSource, durations and the like stay in `raw`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC

import msgspec

from dlrkit.adapters import _lenient as f
from dlrkit.adapters._plivo_api import api_kind, as_call_callback, as_message_callback
from dlrkit.adapters._plivo_voice import call_report, dial_report, is_dial_event
from dlrkit.adapters.base import decode_body
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Report

__all__ = ["PROVIDER", "detect", "parse", "parse_doc"]

PROVIDER = "plivo"

_TYPES = {"sms": Channel.SMS, "mms": Channel.MMS, "whatsapp": Channel.CHAT}
_PART_RE = re.compile(r"\s*([0-9]{1,4})\s*(?:of|/)\s*([0-9]{1,4})\s*", re.IGNORECASE)
_HANGUP_KEYS = ("HangupCauseCode", "HangupCauseName", "HangupCause")


def detect(doc: object) -> bool:
    """A Plivo callback: CallUUID with a hangup cause, a DialHangup event, MessageUUID + Status."""
    if isinstance(doc, list):
        return bool(doc) and all(isinstance(item, Mapping) and detect(item) for item in doc)
    if not isinstance(doc, Mapping):
        return False
    if api_kind(doc) is not None:
        return True
    if "CallUUID" in doc and any(key in doc for key in _HANGUP_KEYS):
        return True
    dial_leg = "DialBLegUUID" in doc or "DialALegUUID" in doc
    if dial_leg and ("DialAction" in doc or "DialStatus" in doc):
        return True
    return "MessageUUID" in doc and "Status" in doc


def parse(body: bytes, content_type: str | None = None) -> list[Report]:
    """Reports from one callback body (form or JSON), in the order given."""
    return parse_doc(decode_body(body, content_type, PROVIDER))


def parse_doc(doc: object) -> list[Report]:
    """Reports from an already decoded callback or API answer (a mapping, or a list of them)."""
    if isinstance(doc, list):
        if not doc:
            raise InputError("empty array: no callback in it", provider=PROVIDER)
        return [_one(item, f"[{i}].") for i, item in enumerate(doc)]
    if isinstance(doc, Mapping):
        kind = api_kind(doc)
        if kind == "list":
            objects = doc["objects"]
            assert isinstance(objects, list)
            return [_one(item, f"objects[{i}].") for i, item in enumerate(objects)]
        if kind == "send":
            return _send_answer(doc)
        if kind == "error":
            return [_api_error(doc)]
    return [_one(doc, "")]


def _api_error(doc: Mapping[str, object]) -> Report:
    """An API error answer: about the request (message id "request"), its error kept as sent.

    Plivo answers errors with text ("not found"), or a number with a message (Lookup): the
    text, else the number, is the code; the catalog may not know it, it is never dropped.
    """
    text = f.text(doc, "error", PROVIDER, "") if isinstance(doc.get("error"), str) else None
    number = f.integer(doc, "error_code", PROVIDER, "") if "error_code" in doc else None
    message = f.text(doc, "message", PROVIDER, "")
    code: int | str | None = text.strip() if text and text.strip() else number
    if code is None:
        raise InputError("missing", provider=PROVIDER, field="error")
    native = NativeCode(
        kind="api_error", channel="api", code=code, name=message if code == number else None
    )
    return Report(
        provider=PROVIDER,
        message_id="request",
        channel=Channel.OTHER,
        codes=(native,),
        source="plivo.api_error",
        raw=dict(doc),
    )


def _send_answer(doc: Mapping[str, object]) -> list[Report]:
    """The send API's answer: every message it names is queued."""
    uuids = doc["message_uuid"]
    assert isinstance(uuids, list)
    reports = []
    for i, uuid in enumerate(uuids):
        if not isinstance(uuid, str) or not uuid.strip():
            raise InputError("expected an id", provider=PROVIDER, field=f"message_uuid[{i}]")
        reports.append(
            Report(
                provider=PROVIDER,
                message_id=uuid.strip(),
                channel=Channel.SMS,
                codes=(NativeCode(kind="status", channel="sms", code="queued"),),
                source="plivo.send_response",
                raw=dict(doc),
            )
        )
    return reports


# Keys only a call's callbacks carry: a payload with none of them and no MessageUUID is neither
_CALL_KEY = re.compile(r"^(Call|Hangup|Answer|Bill|Ring)|^(Direction|Duration|StartTime|EndTime)$")


def _one(doc: object, path: str) -> Report:
    if not isinstance(doc, Mapping):
        raise InputError(
            f"expected a callback object, got {type(doc).__name__}",
            provider=PROVIDER,
            field=path.rstrip(".") or None,
        )
    kind = api_kind(doc)
    if kind == "message":
        report = _message_report(as_message_callback(doc), path)
        return msgspec.structs.replace(report, source="plivo.message_object", raw=dict(doc))
    if kind == "call":
        report = call_report(as_call_callback(doc), path)
        return msgspec.structs.replace(report, source="plivo.call_object", raw=dict(doc))
    if "MessageUUID" in doc or ("Status" in doc and "CallUUID" not in doc):
        return _message_report(doc, path)
    if is_dial_event(doc):
        return dial_report(doc, path)
    if "CallUUID" not in doc and not any(_CALL_KEY.match(str(key)) for key in doc):
        raise InputError(
            "neither MessageUUID (a message callback) nor CallUUID (a call callback)",
            provider=PROVIDER,
            field=path + "MessageUUID",
        )
    return call_report(doc, path)


def _message_report(doc: Mapping[str, object], path: str) -> Report:
    message_uuid = f.required(doc, "MessageUUID", PROVIDER, path)
    status = f.required(doc, "Status", PROVIDER, path)
    codes = [NativeCode(kind="status", channel="sms", code=status)]
    error = _error_code(doc, path)
    if error is not None:
        codes.append(NativeCode(kind="error", channel="sms", code=error))
    kind = f.text(doc, "Type", PROVIDER, path)
    price = f.number(doc, "TotalAmount", PROVIDER, path)
    part, parts = _part_info(doc, path)
    return Report(
        provider=PROVIDER,
        message_id=message_uuid,
        channel=_TYPES.get(kind.lower(), Channel.OTHER) if kind else Channel.SMS,
        codes=tuple(codes),
        recipient=f.text(doc, "To", PROVIDER, path),
        sender=f.text(doc, "From", PROVIDER, path),
        sent_at=_utc(doc, path, "SentTime", "QueuedTime", "MessageTime"),
        done_at=_utc(doc, path, "DeliveryReportTime"),
        price=price,
        currency="USD" if price is not None else None,  # Plivo bills in US dollars
        segments=f.integer(doc, "Units", PROVIDER, path),
        parent_id=f.text(doc, "ParentMessageUUID", PROVIDER, path),
        part=part,
        parts=parts,
        source="plivo.message_status",
        raw=dict(doc),
    )


def _error_code(doc: Mapping[str, object], path: str) -> int | str | None:
    """ErrorCode as an int; None when blank or all zeros ("000": no error)."""
    raw = f.text(doc, "ErrorCode", PROVIDER, path)
    if raw is None or raw.strip("0") == "":
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else raw


def _part_info(doc: Mapping[str, object], path: str) -> tuple[int | None, int | None]:
    """PartInfo "1 of 2" as (1, 2); Plivo reserves the field, so other text is left in raw."""
    raw = f.text(doc, "PartInfo", PROVIDER, path)
    match = _PART_RE.fullmatch(raw) if raw else None
    if match is None:
        return None, None
    return int(match[1]), int(match[2])


def _utc(doc: Mapping[str, object], path: str, *names: str) -> str | None:
    """The first present time among `names`, as ISO 8601 UTC."""
    name = f.present(doc, *names)
    if name is None:
        return None
    raw = f.required(doc, name, PROVIDER, path)
    moment = f.timestamp(raw, UTC, PROVIDER, path + name)
    return f.iso(moment, PROVIDER, path + name)
