"""Plivo voice callbacks: a call's hangup callback and a <Dial> element's DialHangup event.

Hangup callbacks (a call's `hangup_url`, from the Make a Call API or an Application) carry
CallUUID, From, To, Direction, CallStatus, HangupCauseCode and HangupCauseName (the hangup cause
table), HangupSource, the older HangupCause (a telephony cause name such as NORMAL_CLEARING),
Duration, BillDuration, BillRate, TotalCost, StartTime, AnswerTime, EndTime and SessionStart.

StartTime, AnswerTime and EndTime are written "YYYY-MM-DD HH:MM:SS" without an offset, in the
time zone set in the account's console ("The Call object"); SessionStart is UTC. When both
StartTime and SessionStart are there, the console's offset is their difference rounded to 15
minutes; without SessionStart the times are read as UTC. An explicit offset always wins.

DialHangup events (a <Dial>'s `callbackUrl`, DialAction=hangup) describe the B leg:
DialBLegUUID, DialBLegFrom, DialBLegTo, DialBLegStatus, DialBLegHangupCauseCode,
DialBLegHangupCauseName, DialBLegHangupSource, DialBLegDuration, DialBLegBillDuration and, in
older callbacks, only the cause name DialBLegHangupCause. The <Dial>'s `action` request sums the
attempt up with DialStatus (completed, busy, failed, timeout, no-answer), DialHangupCause (a
cause name), DialALegUUID and DialBLegUUID, which is blank when no B leg answered: the attempt
is then reported under the A leg. Cause names resolve through `_cause_names`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import msgspec

from dlrkit.adapters import _lenient as f
from dlrkit.adapters._cause_names import cause_name_code
from dlrkit.outcome import Channel, NativeCode, Report

PROVIDER = "plivo"
_MAX_OFFSET_MINUTES = 14 * 60


def _naive_or_none(doc: Mapping[str, object], name: str, path: str) -> datetime | None:
    raw = f.text(doc, name, PROVIDER, path)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None  # reported when the field itself is read


def console_zone(doc: Mapping[str, object], path: str = "") -> tzinfo:
    """The offset of the account's console time zone, from StartTime against SessionStart."""
    start = _naive_or_none(doc, "StartTime", path)
    session = _naive_or_none(doc, "SessionStart", path)
    if start is None or session is None or start.tzinfo or session.tzinfo:
        return UTC
    minutes = round((start - session).total_seconds() / 900) * 15
    if abs(minutes) > _MAX_OFFSET_MINUTES:
        return UTC
    return timezone(timedelta(minutes=minutes))


def _time(doc: Mapping[str, object], name: str, zone: tzinfo, path: str) -> str | None:
    raw = f.text(doc, name, PROVIDER, path)
    if raw is None:
        return None
    moment = f.timestamp(raw, zone, PROVIDER, path + name)
    return f.iso(moment, PROVIDER, path + name)


def _cause(
    doc: Mapping[str, object], path: str, code_key: str, name_key: str, *legacy_keys: str
) -> tuple[NativeCode, ...]:
    """The numeric cause (with its name), else the first telephony cause name given."""
    code = f.integer(doc, code_key, PROVIDER, path)
    name = f.text(doc, name_key, PROVIDER, path)
    if code is not None:
        return (NativeCode(kind="hangup_cause", channel="voice", code=code, name=name),)
    for key in legacy_keys:
        legacy = f.text(doc, key, PROVIDER, path)
        if legacy is not None:
            # Older callbacks carry only the telephony cause name (NORMAL_CLEARING, USER_BUSY...).
            return (cause_name_code(legacy),)
    return ()


def _priced(doc: Mapping[str, object], name: str, path: str) -> tuple[float | None, str | None]:
    price = f.number(doc, name, PROVIDER, path)
    return price, ("USD" if price is not None else None)  # Plivo bills in US dollars


def call_report(doc: Mapping[str, object], path: str = "") -> Report:
    """One call's hangup (or other status) callback."""
    call_uuid = f.required(doc, "CallUUID", PROVIDER, path)
    zone = console_zone(doc, path)
    price, currency = _priced(doc, "TotalCost", path)
    codes = _cause(doc, path, "HangupCauseCode", "HangupCauseName", "HangupCause")
    if not codes:
        codes = _status_or_answer(doc, path)
    return Report(
        provider=PROVIDER,
        message_id=call_uuid,
        channel=Channel.VOICE,
        codes=codes,
        recipient=f.text(doc, "To", PROVIDER, path),
        sender=f.text(doc, "From", PROVIDER, path),
        sent_at=_time(doc, "StartTime", zone, path),
        done_at=_time(doc, "EndTime", zone, path),
        price=price,
        currency=currency,
        source="plivo.call_hangup",
        raw=dict(doc),
    )


def dial_report(doc: Mapping[str, object], path: str = "") -> Report:
    """One <Dial> callback: a DialHangup event about the B leg, or the action URL's summary.

    A dial that never reached anybody has a blank DialBLegUUID; the attempt is then reported
    under the A leg's id (CallUUID, else DialALegUUID), with DialHangupCause, or failing that
    DialStatus, saying why.
    """
    b_leg = f.text(doc, "DialBLegUUID", PROVIDER, path)
    message_id = b_leg or f.text(doc, "CallUUID", PROVIDER, path)
    message_id = message_id or f.required(doc, "DialALegUUID", PROVIDER, path)
    # A callbackUrl event names the B leg's cause; an action URL request only DialHangupCause.
    codes = _cause(
        doc,
        path,
        "DialBLegHangupCauseCode",
        "DialBLegHangupCauseName",
        "DialBLegHangupCause",
        "DialHangupCause",
    )
    if not codes:
        codes = _dial_status(doc, path)
    price, currency = _priced(doc, "DialBLegTotalCost", path)
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=Channel.VOICE,
        codes=codes,
        recipient=f.text(doc, "DialBLegTo", PROVIDER, path),
        sender=f.text(doc, "DialBLegFrom", PROVIDER, path),
        price=price,
        currency=currency,
        source="plivo.dial_hangup" if b_leg else "plivo.dial_action",
        raw=dict(doc),
    )


# DialStatus words of an action request, as the cause names they amount to.
_DIAL_STATUS_CAUSES = {
    "completed": "NORMAL_CLEARING",
    "busy": "USER_BUSY",
    "no-answer": "NO_ANSWER",
    "timeout": "NO_ANSWER",  # the ring timeout ran out
    "cancel": "ORIGINATOR_CANCEL",
    "canceled": "ORIGINATOR_CANCEL",
    "cancelled": "ORIGINATOR_CANCEL",
}


def _dial_status(doc: Mapping[str, object], path: str) -> tuple[NativeCode, ...]:
    """An action request without any cause: its DialStatus, when it names one."""
    status = f.text(doc, "DialStatus", PROVIDER, path)
    cause = _DIAL_STATUS_CAUSES.get(status.lower()) if status else None
    if cause is None:
        return ()
    return (msgspec.structs.replace(cause_name_code(cause), name=status),)


def _status_or_answer(doc: Mapping[str, object], path: str) -> tuple[NativeCode, ...]:
    """A call that names no hangup cause: its CallStatus word, else whether it was answered.

    The Call object of older API answers (and the SDKs' fixtures) has no cause at all; an
    AnswerTime with an EndTime still says the call was answered, then ended: a normal clearing.
    Without either nothing is known (the outcome stays unknown).
    """
    status = f.text(doc, "CallStatus", PROVIDER, path)
    # The Call object's call_state is written NO_ANSWER where callbacks write no-answer.
    word = status.strip().lower().replace("_", "-") if status else None
    cause = _DIAL_STATUS_CAUSES.get(word) if word else None
    if cause is not None:
        return (msgspec.structs.replace(cause_name_code(cause), name=status),)
    answered = f.text(doc, "AnswerTime", PROVIDER, path)
    if answered and f.text(doc, "EndTime", PROVIDER, path):
        return (msgspec.structs.replace(cause_name_code("NORMAL_CLEARING"), name=None),)
    return ()


def is_dial_event(doc: Mapping[str, object]) -> bool:
    """A <Dial> callback (it may also carry the A leg's CallUUID): report on the B leg."""
    if doc.get("Event") == "DialHangup" or "DialAction" in doc or "DialStatus" in doc:
        return True
    return any(isinstance(key, str) and key.startswith("DialBLeg") for key in doc)
