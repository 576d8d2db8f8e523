"""SMSPartner adapter: delivery reports, status answers and API error answers in, `Report`s out.

Formats, from SMSPartner's documentation (docpartner.dev, "API > SMS Partner"):

* status answers, JSON: "Single Status" (GET /v1/message-status: success, code, number,
  messageId, stopSms, date "YYYY-MM-DD HH:MM:SS", statut, cost, countryCode, currency); "Bulk
  Status" (/v1/multi-status: StatutResponse_List of {success, code, phoneNumber, messageId,
  status, date as Unix seconds, stopSms, isSpam}, where an entry with success false carries a
  status-retrieval error, e.g. code 4 "Number not found"); "Status by Message"
  (/v1/bulk-status: message_id at the top, entries without messageId); "Status by Tag"
  (/v1/bulk-status-by-tag: entries name no message; each is keyed by its phone number unless
  message_id= is given).
  Status words: Delivered, Not delivered, Waiting (and ko, per "Error Codes > Status List").
* delivery reports posted to the `urlDlr` given at sending ("Single Send"): form or query
  parameters, or JSON, read with the same names as a status entry, plus the aliases msgId,
  message_id, phone_number, statut, statusDate. The page shows no example of its own.
* the cancellation answer ("Cancel Scheduled SMS": {"success": true, "code": 200, "message"}),
  when the caller says so (`endpoint="cancel_sms"`, `message_id=`): the message will not be
  sent, read as SMPP's DELETED.
* the send answer, JSON: {"success": true, "code": 200, "message_id", "nb_sms", "cost",
  "currency", "scheduledDeliveryDate"}: the message was accepted (read as the ACCEPTD word);
  message_id may come as a number written in exponent form (2.264102e+06).
* Voice Partner's status webhook for text-to-speech calls (`_smspartner_voice`).
* the replies webhook's STOP ("Gestion des webhooks": {"type": "stop", "phone_number", "text",
  "message_id"}): the number opted out of the message's sender; other replies are no reports.
* error answers, JSON: {"success": false, "code": 10, "message": "Invalid API key"}, and for
  code 9 a list of {"elementId", "message"} under "error" (or "errors", both are documented).
  Codes per endpoint: "Error Codes" (seed 003).

Codes, in the catalog's terms: a status word is kind "status", channel "status_list"; an SMPP
word (DELIVRD, UNDELIV, ...) is kind "dlr_status", channel "sms"; an error answer is kind
"api_error" with the endpoint's channel (`endpoint=`; when not given, a word code is a voice
message one, the only endpoint whose codes are words, and a number a send_sms one), and a failed entry
of a status answer is an api_error of "status_retrieval". Words are kept as sent (the catalog
matches them case-insensitively). Dates without an offset are read as French time
(Europe/Paris, SMSPartner's own); Unix times as UTC. stopSms and isSpam stay in `raw`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from dlrkit.adapters import _lenient as f
from dlrkit.adapters._smspartner_voice import is_voice_status, voice_codes
from dlrkit.adapters.base import decode_body
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Report

__all__ = ["ENDPOINTS", "PROVIDER", "detect", "parse", "parse_doc"]

PROVIDER = "smspartner"
ENDPOINTS = (
    "send_sms",
    "cancel_sms",
    "status_retrieval",
    "number_verification",
    "location",
    "subaccount",
    "voice_message",
    "mail",
)
_ENDPOINT_CHANNEL = {"voice_message": Channel.VOICE, "mail": Channel.EMAIL}
_LIST_KEYS = ("StatutResponse_List", "StatusResponse_List", "StatutResponse", "StatusResponse")
_ID_KEYS = ("messageId", "msgId", "message_id", "messageID")
_PHONE_KEYS = ("phoneNumber", "number", "phone_number")
_STATUS_KEYS = ("status", "statut")
_DATE_KEYS = ("date", "statusDate")
_COUNT_KEYS = ("nb_sms", "nbSms", "nbSMS")  # the single answer, a bulk entry, the bulk answer
_BULK_SENT_KEY = "SMSResponse_List"
_SMPP_WORD = re.compile(r"[A-Z]{7}")  # SMPP 3.4 receipt stat words are 7 letters
_FOREIGN_KEYS = ("MessageUUID", "CallUUID", "results", "requestError")  # Plivo, Infobip


def detect(doc: object) -> bool:
    """An SMSPartner status answer, error answer or delivery report."""
    if isinstance(doc, list):
        return bool(doc) and all(isinstance(item, Mapping) and detect(item) for item in doc)
    if not isinstance(doc, Mapping) or any(key in doc for key in _FOREIGN_KEYS):
        return False
    if any(key in doc for key in _LIST_KEYS) or is_voice_status(doc) or _is_stop(doc):
        return True
    if isinstance(doc.get("success"), bool) and "code" in doc:
        return True
    return all(any(key in doc for key in keys) for keys in (_ID_KEYS, _PHONE_KEYS, _STATUS_KEYS))


def parse(
    body: bytes,
    content_type: str | None = None,
    *,
    endpoint: str | None = None,
    message_id: str | None = None,
) -> list[Report]:
    """Reports from one body (form, query string or JSON), in the order given.

    `endpoint` is the catalog channel of the request an error answer replies to; `message_id`
    names the message when the body names none (an error answer is "request" by default;
    Status by Tag entries need it).
    """
    return parse_doc(
        decode_body(body, content_type, PROVIDER), endpoint=endpoint, message_id=message_id
    )


def parse_doc(
    doc: object, *, endpoint: str | None = None, message_id: str | None = None
) -> list[Report]:
    """Reports from an already decoded body (a mapping, or a list of them)."""
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise InputError(f"unknown endpoint {endpoint!r}", provider=PROVIDER, field="endpoint")
    if isinstance(doc, list):
        if not doc:
            raise InputError("empty array: no report in it", provider=PROVIDER)
        return [
            r for i, item in enumerate(doc) for r in _one(item, f"[{i}].", endpoint, message_id)
        ]
    return _one(doc, "", endpoint, message_id)


def _mapping(doc: object, path: str) -> Mapping[str, object]:
    if not isinstance(doc, Mapping):
        raise InputError(
            f"expected an object, got {type(doc).__name__}",
            provider=PROVIDER,
            field=path.rstrip(".") or None,
        )
    return doc


def _one(doc: object, path: str, endpoint: str | None, message_id: str | None) -> list[Report]:
    doc = _mapping(doc, path)
    list_key = next((key for key in _LIST_KEYS if key in doc), None)
    if list_key is not None:
        items = doc[list_key]
        if not isinstance(items, list):
            raise InputError("expected a list", provider=PROVIDER, field=path + list_key)
        default_id = _id(doc, path) or message_id
        return [_entry(item, f"{path}{list_key}[{i}].", default_id) for i, item in enumerate(items)]
    if doc.get("success") is False or (
        "code" in doc and f.present(doc, *_STATUS_KEYS) is None and "success" not in doc
    ):
        # An error answer is about the request; like Infobip's, it is "request" unless named.
        return [_error_report(doc, path, endpoint, message_id or "request")]
    if is_voice_status(doc) and _id(doc, path) is None:
        return [_voice_report(doc, path)]
    if _is_stop(doc):
        return [_stop_report(doc, path)]
    if doc.get("success") is True and f.present(doc, *_STATUS_KEYS) is None:
        if isinstance(doc.get(_BULK_SENT_KEY), list) and doc[_BULK_SENT_KEY]:
            return _bulk_send_answer(doc, path, endpoint, message_id)
        if endpoint == "cancel_sms":
            return [_cancel_answer(doc, path, message_id)]
        if _id(doc, path) is None and f.present(doc, "cost", *_COUNT_KEYS) is None:
            # A send answer always names its message, parts and cost; this one is another
            # endpoint's success (a cancellation: {"success": true, "code": 200, "message"}).
            raise InputError(
                "a success answer that is no send answer; for a cancellation pass"
                " endpoint='cancel_sms' and message_id=",
                provider=PROVIDER,
                field=path + "message_id",
            )
        return [_send_answer(doc, path, endpoint, message_id)]
    source = "smspartner.status" if "success" in doc else "smspartner.dlr"
    return [_status_report(doc, path, source, message_id)]


def _voice_report(doc: Mapping[str, object], path: str) -> Report:
    """A Voice Partner status webhook (`_smspartner_voice`), under its campaignId."""
    return Report(
        provider=PROVIDER,
        message_id=f.required(doc, "campaignId", PROVIDER, path),
        channel=Channel.VOICE,
        codes=voice_codes(doc, path),
        recipient=f.text(doc, "phoneNumber", PROVIDER, path),
        sent_at=_time(doc, "sendAt", path) if f.present(doc, "sendAt") else None,
        done_at=_time(doc, "doneAt", path) if f.present(doc, "doneAt") else None,
        source="smspartner.voice_status",
        raw=dict(doc),
    )


def _is_stop(doc: Mapping[str, object]) -> bool:
    """The replies webhook's STOP: {"type": "stop", "phone_number", "text", "message_id"}."""
    kind = doc.get("type")
    return isinstance(kind, str) and kind.strip().lower() == "stop" and "phone_number" in doc


def _stop_report(doc: Mapping[str, object], path: str) -> Report:
    """A STOP reply to a message: its number opted out (so the message reached it).

    Read as the word "stop" (kind status, channel sms), kept even where the catalog has no
    entry for it; the reply's text is its name.
    """
    message_id = _id(doc, path)
    if message_id is None:
        raise InputError("missing", provider=PROVIDER, field=path + "message_id")
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=Channel.SMS,
        codes=(
            NativeCode(
                kind="status", channel="sms", code="stop", name=f.text(doc, "text", PROVIDER, path)
            ),
        ),
        recipient=f.text(doc, "phone_number", PROVIDER, path),
        source="smspartner.stop",
        raw=dict(doc),
    )


# A cancelled message is what SMPP calls DELETED (message state 4): it will not be delivered.
_CANCELLED = NativeCode(kind="dlr_status", channel="receipt", code="DELETED", namespace="smpp")


def _cancel_answer(doc: Mapping[str, object], path: str, default_id: str | None) -> Report:
    """The answer to "Cancel Scheduled SMS": the message will not be sent (SMPP's DELETED)."""
    message_id = _id(doc, path) or default_id
    if message_id is None:
        raise InputError(
            "a cancellation answer names no message: pass message_id=",
            provider=PROVIDER,
            field=path + "message_id",
        )
    name = doc.get("message")
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=Channel.SMS,
        codes=(
            msgspec.structs.replace(_CANCELLED, name=name.strip() or None)
            if isinstance(name, str)
            else _CANCELLED,
        ),
        source="smspartner.cancel_response",
        raw=dict(doc),
    )


def _send_answer(
    doc: Mapping[str, object],
    path: str,
    endpoint: str | None,
    default_id: str | None,
    *,
    recipient: str | None = None,
    currency: str | None = None,
) -> Report:
    """A successful send answer: SMSPartner took the message (ACCEPTD), nothing more yet."""
    message_id = _id(doc, path) or default_id
    if message_id is None:
        raise InputError("missing", provider=PROVIDER, field=path + "message_id")
    price = f.number(doc, "cost", PROVIDER, path)
    if price is not None and currency is None:
        currency = f.text(doc, "currency", PROVIDER, path)
    count_key = f.present(doc, *_COUNT_KEYS)
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=_ENDPOINT_CHANNEL.get(endpoint or "send_sms", Channel.SMS),
        codes=(NativeCode(kind="dlr_status", channel="sms", code="ACCEPTD"),),
        recipient=recipient,
        price=price,
        currency=currency if price is not None else None,
        segments=f.integer(doc, count_key, PROVIDER, path) if count_key else None,
        source="smspartner.send_response",
        raw=dict(doc),
    )


def _bulk_send_answer(
    doc: Mapping[str, object], path: str, endpoint: str | None, default_id: str | None
) -> list[Report]:
    """A bulk send answer: one message id, one entry per number in SMSResponse_List.

    Each entry is that number's own answer (its parts and cost): accepted, or, when its
    success is false, the send error it got.
    """
    items = doc[_BULK_SENT_KEY]
    assert isinstance(items, list)
    message_id = _id(doc, path) or default_id
    if message_id is None:
        raise InputError("missing", provider=PROVIDER, field=path + "message_id")
    currency = f.text(doc, "currency", PROVIDER, path)
    reports = []
    for i, item in enumerate(items):
        where = f"{path}{_BULK_SENT_KEY}[{i}]."
        entry = _mapping(item, where)
        phone_key = f.present(entry, *_PHONE_KEYS)
        phone = f.text(entry, phone_key, PROVIDER, where) if phone_key else None
        if entry.get("success") is False:
            reports.append(_error_report(entry, where, endpoint or "send_sms", message_id))
            continue
        reports.append(
            _send_answer(entry, where, endpoint, message_id, recipient=phone, currency=currency)
        )
    return reports


def _entry(item: object, path: str, default_id: str | None) -> Report:
    item = _mapping(item, path)
    if default_id is None and _id(item, path) is None:
        # A Status by Tag entry names no message: within the tag, its phone number is its key.
        phone_key = f.present(item, *_PHONE_KEYS)
        default_id = f.text(item, phone_key, PROVIDER, path) if phone_key else None
    if item.get("success") is False:
        return _error_report(item, path, "status_retrieval", default_id)
    return _status_report(item, path, "smspartner.status", default_id)


def _id(doc: Mapping[str, object], path: str) -> str | None:
    key = f.present(doc, *_ID_KEYS)
    return f.text(doc, key, PROVIDER, path) if key else None


def _status_report(
    doc: Mapping[str, object], path: str, source: str, default_id: str | None
) -> Report:
    message_id = _id(doc, path) or default_id
    if message_id is None:  # named as this kind of payload names it
        name = "messageId" if source == "smspartner.status" else "msgId"
        raise InputError("missing", provider=PROVIDER, field=path + name)
    status_key = f.present(doc, *_STATUS_KEYS) or "status"
    word = f.required(doc, status_key, PROVIDER, path)
    if _SMPP_WORD.fullmatch(word):
        code = NativeCode(kind="dlr_status", channel="sms", code=word)
    else:
        code = NativeCode(kind="status", channel="status_list", code=word)
    phone_key = f.present(doc, *_PHONE_KEYS)
    date_key = f.present(doc, *_DATE_KEYS)
    price = f.number(doc, "cost", PROVIDER, path)
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=Channel.SMS,
        codes=(code,),
        recipient=f.text(doc, phone_key, PROVIDER, path) if phone_key else None,
        done_at=_time(doc, date_key, path) if date_key else None,
        price=price,
        currency=f.text(doc, "currency", PROVIDER, path) if price is not None else None,
        source=source,
        raw=dict(doc),
    )


def _error_report(
    doc: Mapping[str, object], path: str, endpoint: str | None, default_id: str | None
) -> Report:
    raw_code = f.required(doc, "code", PROVIDER, path)
    code: int | str = raw_code  # a word for voice messages, a number elsewhere
    if raw_code.isascii() and raw_code.isdigit():
        if len(raw_code) > 18:
            raise InputError("code too large", provider=PROVIDER, field=path + "code")
        code = int(raw_code)
    if endpoint is None:
        endpoint = "voice_message" if isinstance(code, str) else "send_sms"
    message_id = _id(doc, path) or default_id
    if message_id is None:
        raise InputError(
            "an error answer names no message: pass message_id=",
            provider=PROVIDER,
            field=path + "messageId",
        )
    phone_key = f.present(doc, *_PHONE_KEYS)
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=_ENDPOINT_CHANNEL.get(endpoint, Channel.SMS),
        codes=(
            NativeCode(kind="api_error", channel=endpoint, code=code, name=_message(doc, path)),
        ),
        recipient=f.text(doc, phone_key, PROVIDER, path) if phone_key else None,
        source="smspartner.api_error",
        raw=dict(doc),
    )


def _message(doc: Mapping[str, object], path: str) -> str | None:
    """The answer's message; for code 9, the constraint messages joined."""
    for key in ("message", "status", "error", "errors"):
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list):
            parts = [
                item["message"].strip()
                for item in value
                if isinstance(item, Mapping) and isinstance(item.get("message"), str)
            ]
            if any(parts):
                return "; ".join(part for part in parts if part)
    return None


def _paris() -> tzinfo:
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError as exc:  # no time zone database: install tzdata
        raise InputError("no time zone data for Europe/Paris", provider=PROVIDER) from exc


def _time(doc: Mapping[str, object], name: str, path: str) -> str | None:
    raw = f.text(doc, name, PROVIDER, path)
    if raw is None:
        return None
    if raw.isascii() and raw.isdigit():
        return f.iso(f.epoch(raw, PROVIDER, path + name), PROVIDER, path + name)
    return f.iso(f.timestamp(raw, _paris(), PROVIDER, path + name), PROVIDER, path + name)
