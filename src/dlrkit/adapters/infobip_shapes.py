"""Infobip payload shapes and the small rules the Infobip adapter applies to them.

Typed msgspec Structs for the parts of Infobip's JSON the adapter reads (unknown fields are
ignored here and kept verbatim in `Report.raw`), plus: which kind of traffic a report is about,
which catalog channel a status or error id lives in, and time normalization.

Field names follow Infobip's API reference (infobip.com/docs/api) and its generated OpenAPI
clients (infobip-api-python-client: SmsDeliveryReport, CallsReport, CallsVoiceData, CallsPrice,
EmailWebhookDeliveryReport, MessagesApiDeliveryResult, SmsResponseDetails, ApiRequestErrorDetails,
ApiError, CallLog, CallsErrorCodeInfo).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from dlrkit.errors import InputError
from dlrkit.outcome import Channel

PROVIDER = "infobip"

Scalar = str | int | None


class _Shape(msgspec.Struct, kw_only=True, rename="camel"):
    """Base: camelCase wire names, unknown fields ignored."""


class Price(_Shape):
    price_per_message: float | None = None
    price_per_second: float | None = None
    currency: str | None = None


class Status(_Shape):
    id: Scalar = None
    group_id: Scalar = None
    group_name: str | None = None
    name: str | None = None


class Error(Status):
    permanent: bool | None = None


class VoiceCall(_Shape):
    start_time: str | None = None
    answer_time: str | None = None
    end_time: str | None = None
    charged_duration: float | None = None


class Result(_Shape):
    """One delivery report (SMS v1-v3, voice, chat, email, push, Messages API) or sent message."""

    message_id: Scalar = None
    to: Scalar = None
    destination: Scalar = None
    from_: Scalar = msgspec.field(default=None, name="from")
    sender: Scalar = None
    sent_at: str | None = None
    done_at: str | None = None
    end_time: str | None = None
    sms_count: int | None = None
    message_count: int | None = None
    channel: str | None = None
    price: Price | None = None
    status: Status | None = None
    error: Error | None = None
    voice_call: VoiceCall | None = None


class Details(_Shape):
    message_count: int | None = None


class SentMessage(Result):
    """One entry of a send API answer (v2 `to`/`smsCount`, v3 `destination`/`details`)."""

    details: Details | None = None


class ErrorCodeInfo(_Shape):
    id: Scalar = None
    name: str | None = None


class CallEndpoint(_Shape):
    phone_number: str | None = None
    username: str | None = None
    identity: str | None = None


class CallLog(_Shape):
    call_id: Scalar = None
    from_: Scalar = msgspec.field(default=None, name="from")
    to: Scalar = None
    state: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    endpoint: CallEndpoint | None = None
    error_code: ErrorCodeInfo | None = None


class CallProperties(_Shape):
    call_log: CallLog | None = None
    call: CallLog | None = None
    error_code: ErrorCodeInfo | None = None


class CallsEvent(_Shape):
    type: str | None = None
    call_id: Scalar = None
    timestamp: str | None = None
    properties: CallProperties | None = None


class ExceptionDetails(_Shape):
    message_id: Scalar = None
    text: str | None = None


class RequestError(_Shape):
    service_exception: ExceptionDetails | None = None
    policy_exception: ExceptionDetails | None = None


class ApiErrorBody(_Shape):
    """Both error answers: `{"requestError": ...}` (v1/v2 APIs) and `{"errorCode": ...}` (v3)."""

    request_error: RequestError | None = None
    error_code: Scalar = None
    description: str | None = None


S = TypeVar("S", bound=_Shape)


def convert(obj: object, shape: type[S], where: str) -> S:
    """A decoded JSON object as a Struct; a type mismatch is an InputError naming the field."""
    try:
        return msgspec.convert(obj, shape, strict=False)
    except msgspec.ValidationError as exc:
        problem, _, at = str(exc).partition(" - at `")
        path = at.rstrip("`").removeprefix("$").lstrip(".")
        name = f"{where}.{path}" if where and path else (where or path or None)
        raise InputError(problem, provider=PROVIDER, field=name) from exc


def text(value: Scalar) -> str | None:
    """An id or address as a string; empty strings count as absent."""
    if value is None or value == "":
        return None
    return str(value)


def code(value: Scalar) -> int | str | None:
    """A status or error id: an int when it is one (also "27"), else the word as given."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.lstrip("-").isdigit():
            return int(stripped)
        return stripped or None
    return None


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def iso_time(value: str | None) -> str | None:
    """Infobip's `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (or any ISO 8601) as UTC ISO 8601 with a `Z`.

    A time without an offset is taken as UTC; one that cannot be read is dropped (it stays in
    `raw`), since a bad timestamp should not cost the whole batch of reports.
    """
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


# --- channels ---------------------------------------------------------------------------------

_NAMED_CHANNELS: dict[str, Channel] = {
    "SMS": Channel.SMS,
    "MMS": Channel.MMS,
    "VOICE": Channel.VOICE,
    "EMAIL": Channel.EMAIL,
    "PUSH": Channel.PUSH,
    "MOBILE_PUSH": Channel.PUSH,
    "MOBILE_APP_MESSAGING": Channel.PUSH,
}
# Messages API channel names (WHATSAPP, VIBER_BM, RCS, MESSENGER, LINE_ON, APPLE_MB, ...) and the
# older OMNI / Zalo report values (VIBER, FACEBOOK, LINE, ZALO_NOTIFICATION_SERVICE, ...).
_CHAT_PREFIXES = (
    "WHATSAPP",
    "VIBER",
    "RCS",
    "MESSENGER",
    "FACEBOOK",
    "LINE",
    "APPLE",
    "INSTAGRAM",
    "TELEGRAM",
    "KAKAO",
    "ZALO",
)
_VOICE_KEYS = frozenset(
    ("voiceCall", "answerTime", "startTime", "endTime", "fileDuration", "dtmfCodes", "duration")
)
_EMAIL_KEYS = frozenset(("sendingIp", "browserLink", "attemptCount", "timeToFirstAttempt"))
VOICE_STATUS_IDS = frozenset((*range(53, 65), 97))
PUSH_STATUS_IDS = frozenset((65, 66))
_CATALOG_CHANNEL = {
    Channel.VOICE: "voice",
    Channel.EMAIL: "email",
    Channel.CHAT: "chat",
    Channel.PUSH: "push",
}


def named_channel(name: str | None) -> Channel | None:
    """The traffic kind of an Infobip `channel` value, None when it names none we know."""
    if not name:
        return None
    upper = name.strip().upper()
    if upper in _NAMED_CHANNELS:
        return _NAMED_CHANNELS[upper]
    if upper.startswith(_CHAT_PREFIXES):
        return Channel.CHAT
    return None


def error_range_channel(error_id: int | str | None) -> Channel | None:
    """The traffic kind an error id's numbering range belongs to (general ids say nothing)."""
    if not isinstance(error_id, int):
        return None
    if 5000 <= error_id <= 5999 or 10000 <= error_id <= 10999:
        return Channel.VOICE
    if 6000 <= error_id <= 6999:
        return Channel.EMAIL
    if 7000 <= error_id <= 7999:
        return Channel.CHAT
    if 8000 <= error_id <= 8999:
        return Channel.PUSH
    return None


def report_channel(raw: Mapping[str, object], result: Result) -> Channel:
    """What traffic a report is about: its `channel`, else its voice/email fields, else its codes."""
    named = named_channel(result.channel)
    if named is not None:
        return named
    price = result.price
    if not _VOICE_KEYS.isdisjoint(raw) or (
        price is not None and price.price_per_second is not None
    ):
        return Channel.VOICE
    recipient = text(result.to) or text(result.destination) or ""
    if not _EMAIL_KEYS.isdisjoint(raw) or "@" in recipient:
        return Channel.EMAIL
    by_error = error_range_channel(code(result.error.id) if result.error else None)
    if by_error is not None:
        return by_error
    status_id = code(result.status.id) if result.status else None
    if status_id in VOICE_STATUS_IDS:
        return Channel.VOICE
    if status_id in PUSH_STATUS_IDS:
        return Channel.PUSH
    return Channel.OTHER if result.channel else Channel.SMS


def error_catalog_channel(error_id: int | str, channel: Channel) -> str:
    """The catalog channel of an error id: its numbering range, else the report's traffic kind.

    The ranges are disjoint, so an id inside the report channel's own range lands there; ids
    0-4111 are general (4106-4111 the India DLT ones), which is also where NO_ERROR (0) lives
    for reports of every channel.
    """
    if isinstance(error_id, int):
        if 4106 <= error_id <= 4111:
            return "dlt"
        if 0 <= error_id <= 4111:
            return "general"
        by_range = error_range_channel(error_id)
        if by_range is not None:
            return _CATALOG_CHANNEL[by_range]
    return _CATALOG_CHANNEL.get(channel, "general")


def status_catalog_channel(status_id: int | str) -> str:
    """Status ids 53-64 and 97 are voice statuses, 65-66 push ones, the rest general."""
    if status_id in VOICE_STATUS_IDS:
        return "voice"
    if status_id in PUSH_STATUS_IDS:
        return "push"
    return "general"
