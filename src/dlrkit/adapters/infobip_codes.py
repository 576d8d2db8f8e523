"""Infobip codes in the catalog's terms: which traffic a report is about, where its ids live.

The catalog files each numbering range under a channel (source 001, "Response Status and Error
Codes"): errors 0-4111 general (4106-4111 India DLT), 5xxx legacy voice and 10xxx new voice
("Voice error codes update", effective 2024-10-09), 6xxx email, 7xxx chat, 8xxx push; statuses
53-64 and 97 (status reason BUSY) are voice statuses, 65-66 push ones, the rest general.
"""

from __future__ import annotations

from collections.abc import Mapping

from dlrkit.adapters.infobip_shapes import Result, Status, code, text
from dlrkit.outcome import Channel, NativeCode

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
    if "mmsCount" in raw:  # MMS reports count MMS, not SMS, messages
        return Channel.MMS
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


def codes_of(result: Result, channel: Channel) -> tuple[NativeCode, ...]:
    """The status and error of one report or sent message as NativeCodes (absent ones skipped)."""
    found: list[NativeCode] = []
    status, error = result.status, result.error
    status_id = code(status.id) if status else None
    if status is not None and (status_id is not None or status.name):
        key = status_id if status_id is not None else str(status.name)
        found.append(_native("status", status_catalog_channel(key), key, status))
    error_id = code(error.id) if error else None
    if error is not None and (error_id is not None or error.name):
        key = error_id if error_id is not None else str(error.name)
        where = error_catalog_channel(key, channel)
        found.append(_native("error", where, key, error, error.permanent))
    return tuple(found)


def _native(
    kind: str, channel: str, key: int | str, obj: Status, permanent: bool | None = None
) -> NativeCode:
    group = code(obj.group_id)
    return NativeCode(
        kind=kind,
        channel=channel,
        code=key,
        name=obj.name or None,
        group_id=group if isinstance(group, int) else None,
        group_name=obj.group_name or None,
        permanent=permanent,
    )
