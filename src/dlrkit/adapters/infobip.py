"""Infobip adapter: Infobip's reports, send answers and error answers in, `Report`s out.

Reads (shapes from Infobip's API reference, infobip.com/docs/api, and its OpenAPI clients);
- delivery reports `{"results": [...]}`: "Receive outbound SMS message report" (v1/v2 `smsCount`,
  `mccMnc`, `callbackData`, `entityId`), the v3 SMS report (`sender`, `messageCount`, `platform`,
  `campaignReferenceId`), the same shape pulled from `/sms/{1,3}/reports` and logs;
- voice reports: "Receive Voice Delivery Reports" (the deprecated flat one with `startTime`,
  `answerTime`, `duration`, `pricePerSecond`) and the current one with `voiceCall {...}`;
  status reason BUSY (status 97) and legacy 5xxx / new 10xxx error ids ("Voice error codes update");
- chat reports (WhatsApp, Viber, RCS, Messenger, LINE, Apple, Zalo; `channel`), the Messages API
  report (`event`, `channel`, `destination`), email (`sendingIp`, ...) and push reports;
- Calls API events CALL_FINISHED / CALL_FAILED (`properties.callLog.errorCode {id, name}`);
- email tracking notifications (`notificationType`, `recipient`, `sendDateTime` in Unix
  milliseconds): an open or a click shows the email was delivered;
- the send answer `{"bulkId", "messages": [{"messageId", "status", "to"|"destination", ...}]}`;
- error answers `{"requestError": {"serviceException"|"policyException": {...}}}` and the v3
  `{"errorCode", "description", "violations", "resources"}`.
Adapters never classify: codes are copied into `NativeCode`s in the catalog's terms.
"""

from __future__ import annotations

from collections.abc import Mapping

from dlrkit.adapters import infobip_shapes as shp
from dlrkit.adapters.base import decode_body, field
from dlrkit.adapters.infobip_codes import (
    codes_of,
    error_catalog_channel,
    named_channel,
    report_channel,
)
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Report

PROVIDER = "infobip"
CALL_EVENTS = frozenset(("CALL_FINISHED", "CALL_FAILED"))
# The newer error answers' `errorCode` is "E" + the HTTP status; those the catalog knows under
# the older answers' serviceException word are read as that word (E400 is a BAD_REQUEST).
V3_ERROR_WORDS = {"E400": "BAD_REQUEST", "E401": "UNAUTHORIZED", "E429": "TOO_MANY_REQUESTS"}


def detect(doc: object) -> bool:
    """True for Infobip reports, send answers, error answers and final Calls API events."""
    if not isinstance(doc, dict):
        return False
    results = doc.get("results")
    if isinstance(results, list):
        return bool(results) and all(_is_result(item) for item in results)
    messages = doc.get("messages")
    if isinstance(messages, list) and messages and all(_is_sent(m) for m in messages):
        return "bulkId" in doc or all(_infobip_status(m.get("status")) for m in messages)
    if isinstance(doc.get("requestError"), dict):
        error = doc["requestError"]
        return isinstance(error.get("serviceException") or error.get("policyException"), dict)
    if isinstance(doc.get("errorCode"), str) and "description" in doc:
        return isinstance(doc.get("violations"), list) or isinstance(doc.get("resources"), list)
    if isinstance(doc.get("type"), str) and doc["type"] in CALL_EVENTS:
        return "callId" in doc or isinstance(doc.get("properties"), dict)
    if isinstance(doc.get("notificationType"), str):
        return "messageId" in doc and ("recipient" in doc or "sendDateTime" in doc)
    return "messageId" in doc and (
        _infobip_status(doc.get("status")) or _infobip_status(doc.get("error"))
    )


def parse(
    body: bytes, content_type: str | None = None, *, channel: Channel | str | None = None
) -> list[Report]:
    """Reports from one Infobip body (JSON); InputError for anything else.

    `channel` names the traffic when the caller knows it: Infobip's per-channel reports
    (WhatsApp, Viber, RCS, MMS) have the SMS report's shape and name no channel, so only the
    subscription they were posted to tells them apart (see `channel_hint`).
    """
    hint = channel_hint(channel)
    try:
        doc = decode_body(body, content_type, PROVIDER)
    except RecursionError as exc:  # msgspec's answer to very deep nesting
        raise InputError("JSON nested too deeply", provider=PROVIDER) from exc
    return parse_doc(doc, channel=hint)


def channel_hint(name: Channel | str | None) -> Channel | None:
    """A caller's channel as a `Channel`: one of ours ("chat") or an Infobip channel name
    ("WHATSAPP", "viber", "RCS", "MMS"...); InputError for a name neither knows."""
    if name is None or isinstance(name, Channel):
        return name
    word = name.strip()
    if word.lower() in {c.value for c in Channel}:
        return Channel(word.lower())
    named = named_channel(word)
    if named is None:
        ours = ", ".join(c.value for c in Channel)
        raise InputError(
            f"unknown channel {name!r}: one of {ours}, or an Infobip channel name"
            " (WHATSAPP, VIBER_BM, RCS, MESSENGER, TELEGRAM...: chat apps are stored as chat)",
            provider=PROVIDER,
            field="channel",
        )
    return named


def parse_doc(
    doc: object, *, channel: Channel | None = None, message_id: str | None = None
) -> list[Report]:
    """Reports from a decoded body.

    `channel` names the traffic when the caller knows it (a per-channel webhook); otherwise it is
    read from the report. `message_id` labels an error answer (default "request").
    """
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object", provider=PROVIDER)
    if "results" in doc:
        results = doc["results"]
        if not isinstance(results, list):
            raise InputError("expected a list", provider=PROVIDER, field="results")
        return [_report(item, f"results[{i}]", channel) for i, item in enumerate(results)]
    if "messages" in doc:
        return _send_answer(doc, channel)
    if "requestError" in doc or "errorCode" in doc:
        return [_api_error(doc, message_id)]
    if "type" in doc and ("callId" in doc or "properties" in doc):
        return [_call_event(doc)]
    if "notificationType" in doc and "messageId" in doc:
        return [_tracking_event(doc, channel)]
    if "messageId" in doc and ("status" in doc or "error" in doc):
        return [_report(doc, "", channel)]
    raise InputError("not an Infobip report, send answer or error answer", provider=PROVIDER)


def _is_result(item: object) -> bool:
    if not isinstance(item, dict) or "messageId" not in item:
        return False
    if isinstance(item.get("seenAt"), str):  # a seen report
        return True
    return isinstance(item.get("status"), dict) or isinstance(item.get("error"), dict)


def _is_sent(item: object) -> bool:
    return isinstance(item, dict) and "messageId" in item and isinstance(item.get("status"), dict)


def _infobip_status(obj: object) -> bool:
    return isinstance(obj, dict) and ("groupId" in obj or "groupName" in obj)


def _raw(item: object, where: str) -> dict[str, object]:
    if not isinstance(item, dict):
        raise InputError("expected an object", provider=PROVIDER, field=where or None)
    return {str(k): v for k, v in item.items()}


def _message_id(raw: Mapping[str, object], where: str) -> str:
    value = field(raw, "messageId", PROVIDER, path=f"{where}." if where else "")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InputError("expected a string", provider=PROVIDER, field=_at(where, "messageId"))
    return str(value)


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _report(item: object, where: str, hint: Channel | None) -> Report:
    raw = _raw(item, where)
    result = shp.convert(raw, shp.Result, where)
    message_id = _message_id(raw, where)
    if result.status is None and result.error is None:
        if result.seen_at:
            return _seen_report(raw, result, message_id, hint)
        raise InputError("neither status nor error", provider=PROVIDER, field=where or None)
    channel = hint or report_channel(raw, result)
    price, currency = shp.charge(result)
    ended = result.done_at or result.end_time
    if ended is None and result.voice_call is not None:
        ended = result.voice_call.end_time
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=channel,
        codes=codes_of(result, channel),
        recipient=shp.text(result.to) or shp.text(result.destination),
        sender=shp.text(result.from_) or shp.text(result.sender),
        sent_at=shp.iso_time(result.sent_at),
        done_at=shp.iso_time(ended),
        price=price,
        currency=currency,
        segments=_first(result.sms_count, result.message_count, result.mms_count),
        source="infobip.report" if channel is Channel.OTHER else f"infobip.{channel}_report",
        raw=raw,
    )


# What a seen report says without a status: the message reached the handset and was read.
_SEEN = NativeCode(
    kind="status",
    channel="general",
    code=5,
    name="DELIVERED_TO_HANDSET",
    group_id=3,
    group_name="DELIVERED",
)


def _seen_report(
    raw: dict[str, object], result: shp.Result, message_id: str, hint: Channel | None
) -> Report:
    """A seen (read) report: WhatsApp, Viber and other chat apps, or the Messages API's SEEN.

    It carries no status; a message that was seen was delivered, so it reads as Infobip's
    DELIVERED_TO_HANDSET, done when it was seen. Only chat apps send these reports, so a
    report that names no channel is a chat one.
    """
    named = named_channel(result.channel)
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=hint or named or Channel.CHAT,
        codes=(_SEEN,),
        recipient=shp.text(result.to) or shp.text(result.destination),
        sender=shp.text(result.from_) or shp.text(result.sender),
        sent_at=shp.iso_time(result.sent_at),
        done_at=shp.iso_time(result.seen_at),
        source="infobip.seen_report",
        raw=raw,
    )


def _first(*counts: int | None) -> int | None:
    return next((count for count in counts if count is not None), None)


def _send_answer(doc: dict[str, object], hint: Channel | None) -> list[Report]:
    messages = doc["messages"]
    if not isinstance(messages, list):
        raise InputError("expected a list", provider=PROVIDER, field="messages")
    reports = []
    for i, item in enumerate(messages):
        where = f"messages[{i}]"
        raw = _raw(item, where)
        sent = shp.convert(raw, shp.SentMessage, where)
        message_id = _message_id(raw, where)
        count = sent.sms_count if sent.sms_count is not None else sent.message_count
        if count is None and sent.details is not None:
            count = sent.details.message_count
        recipient = shp.text(sent.to) or shp.text(sent.destination) or ""
        # The answer does not say which API was called; an address with "@" is an email one.
        channel = (
            hint
            or named_channel(sent.channel)
            or (Channel.EMAIL if "@" in recipient else Channel.SMS)
        )
        reports.append(
            Report(
                provider=PROVIDER,
                message_id=message_id,
                channel=channel,
                codes=codes_of(sent, channel),
                recipient=shp.text(sent.to) or shp.text(sent.destination),
                segments=count,
                source="infobip.send_response",
                raw=raw,
            )
        )
    return reports


def _api_error(doc: dict[str, object], message_id: str | None) -> Report:
    raw = _raw(doc, "")
    body = shp.convert(raw, shp.ApiErrorBody, "")
    word: int | str | None
    if body.request_error is not None:
        request_error = body.request_error
        key = "serviceException" if request_error.service_exception else "policyException"
        exc = request_error.service_exception or request_error.policy_exception
        if exc is None:
            raise InputError("missing", provider=PROVIDER, field="requestError.serviceException")
        word, name, where = shp.code(exc.message_id), exc.text, f"requestError.{key}.messageId"
    else:
        word, name, where = shp.code(body.error_code), body.description, "errorCode"
        word = V3_ERROR_WORDS.get(word, word) if isinstance(word, str) else word
    if word is None:
        raise InputError("missing", provider=PROVIDER, field=where)
    native = NativeCode(kind="api_error", channel="general", code=word, name=name or None)
    return Report(
        provider=PROVIDER,
        message_id=message_id or "request",
        channel=Channel.OTHER,
        codes=(native,),
        source="infobip.api_error",
        raw=raw,
    )


def _call_event(doc: dict[str, object]) -> Report:
    raw = _raw(doc, "")
    event = shp.convert(raw, shp.CallsEvent, "")
    if event.type not in CALL_EVENTS:
        raise InputError(f"not a final call event: {event.type!r}", provider=PROVIDER, field="type")
    props = event.properties or shp.CallProperties()
    log = props.call_log or props.call or shp.CallLog()
    call_id = shp.text(event.call_id) or shp.text(log.call_id)
    if call_id is None:
        raise InputError("missing", provider=PROVIDER, field="callId")
    error = props.error_code or log.error_code
    codes: tuple[NativeCode, ...] = ()
    error_id = shp.code(error.id) if error else None
    if error is not None and error_id is not None:
        channel = error_catalog_channel(error_id, Channel.VOICE)
        codes = (NativeCode(kind="error", channel=channel, code=error_id, name=error.name or None),)
    endpoint = log.endpoint or shp.CallEndpoint()
    recipient = shp.text(log.to) or endpoint.phone_number or endpoint.username or endpoint.identity
    return Report(
        provider=PROVIDER,
        message_id=call_id,
        channel=Channel.VOICE,
        codes=codes,
        recipient=recipient or None,
        sender=shp.text(log.from_),
        sent_at=shp.iso_time(log.start_time),
        done_at=shp.iso_time(log.end_time or event.timestamp),
        source="infobip.calls_event",
        raw=raw,
    )


# Tracking notifications that show the recipient had the email: it was opened or a link clicked.
_ENGAGED = frozenset(("OPENED", "CLICKED"))


def _tracking_event(doc: dict[str, object], hint: Channel | None) -> Report:
    """An email tracking notification (`trackingUrl`): OPENED, CLICKED and the other events.

    An open or a click means the email reached the mailbox, read like a seen report
    (DELIVERED_TO_HANDSET). Other events (unsubscribes, complaints, late bounces) are kept as
    the notification type they name, a status the catalog may not know, never dropped.
    sendDateTime is when the email was sent; the event's own time is not given.
    """
    raw = _raw(doc, "")
    event = shp.convert(raw, shp.TrackingEvent, "")
    message_id = _message_id(raw, "")
    kind = (event.notification_type or "").strip()
    if not kind:
        raise InputError("missing", provider=PROVIDER, field="notificationType")
    if kind.upper() in _ENGAGED:
        native = _SEEN
    else:
        native = NativeCode(kind="status", channel="email", code=kind)
    sent = event.send_date_time
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=hint or Channel.EMAIL,
        codes=(native,),
        recipient=event.recipient or None,
        sent_at=shp.epoch_millis(sent) if sent is not None else None,
        source="infobip.email_tracking",
        raw=raw,
    )
