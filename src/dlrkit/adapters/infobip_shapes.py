"""Infobip payload shapes: typed msgspec Structs for the parts of Infobip's JSON the adapter reads.

Unknown fields are ignored here and kept verbatim in `Report.raw`. Also the leniencies Infobip's
payloads need: ids as numbers or strings, empty strings for absent values, times with `+0000`.

Field names follow Infobip's API reference (infobip.com/docs/api) and its generated OpenAPI
clients (infobip-api-python-client: SmsDeliveryReport, CallsReport, CallsVoiceData, CallsPrice,
EmailWebhookDeliveryReport, MessagesApiDeliveryResult, SmsResponseDetails, ApiRequestErrorDetails,
ApiError, CallLog, CallsErrorCodeInfo).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import msgspec

from dlrkit.errors import InputError

PROVIDER = "infobip"

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Scalar = str | Int64 | None


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
    seen_at: str | None = None
    end_time: str | None = None
    sms_count: Int64 | None = None
    message_count: Int64 | None = None
    mms_count: Int64 | None = None
    channel: str | None = None
    price: Price | None = None
    status: Status | None = None
    error: Error | None = None
    voice_call: VoiceCall | None = None


class Details(_Shape):
    message_count: Int64 | None = None


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


class TrackingEvent(_Shape):
    """An email tracking notification (the `trackingUrl` callback): opens, clicks and the like."""

    notification_type: str | None = None
    message_id: Scalar = None
    recipient: str | None = None
    send_date_time: Int64 | None = None


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
_INTEGER = re.compile(r"-?[0-9]{1,30}")


def convert(obj: object, shape: type[S], where: str) -> S:
    """A decoded JSON object as a Struct; a type mismatch is an InputError naming the field."""
    try:
        return msgspec.convert(obj, shape, strict=False)
    except msgspec.ValidationError as exc:
        problem, _, at = str(exc).partition(" - at `")
        if at.startswith("key`"):
            problem = f"{problem} (as a key)"
        path = at.rpartition("$")[2].rstrip("`").lstrip(".")
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
        if _INTEGER.fullmatch(stripped):
            return int(stripped)
        return stripped or None
    return None


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def charge(result: Result) -> tuple[float | None, str | None]:
    """Price per message; for voice, price per second x charged seconds when both are given.

    Infobip writes the currency "UNKNOWN" when it has none (email reports): no currency then.
    """
    price = result.price
    if price is None:
        return None, None
    amount = finite(price.price_per_message)
    charged = result.voice_call.charged_duration if result.voice_call else None
    if amount is None and price.price_per_second is not None and charged is not None:
        amount = finite(price.price_per_second * charged)
    currency = price.currency or None
    if currency is not None and currency.strip().upper() == "UNKNOWN":
        currency = None
    return amount, currency if amount is not None else None


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


def epoch_millis(value: int) -> str | None:
    """Milliseconds since 1970 (email tracking's sendDateTime) as UTC ISO 8601; None if absurd."""
    try:
        moment = datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
