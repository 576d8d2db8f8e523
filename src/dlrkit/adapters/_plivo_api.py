"""Plivo's REST API answers about messages and calls, read like the callbacks they mirror.

Besides callbacks, Plivo's API answers what became of a message or a call: the Message object
(GET Message/{uuid}: message_uuid, message_state, error_code, message_type, from_number,
to_number, units, total_rate, total_amount, message_time, message_sent_time,
message_updated_time), the Call object (GET Call/{uuid}: call_uuid, call_direction,
from_number, to_number, initiation_time, answer_time, end_time, total_amount and, in newer
answers, hangup_cause_code, hangup_cause_name, hangup_source), the live Call object of a
call still under way (GET Call/{uuid}?status=live: call_uuid, call_status, direction, from,
to, session_start, request_uuid), lists of them under "objects"
(with "meta"), and the send answer {"api_id", "message": "message(s) queued", "message_uuid":
[...]}, and error answers: {"api_id", "error": "not found"} ("API response", messaging/api/
response) or, from the Lookup API, {"api_id", "error_code": 404, "message": "..."}. Field
names from Plivo's API reference ("The Message object", "The Call object") and
its SDKs' test fixtures. Times carry their offset ("2017-05-22 17:49:30+05:30").

Each object is renamed to the callback's field names, so one reading serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

MESSAGE_FIELDS = {
    "message_uuid": "MessageUUID",
    "message_state": "Status",
    "error_code": "ErrorCode",
    "message_type": "Type",
    "from_number": "From",
    "to_number": "To",
    "units": "Units",
    "total_rate": "TotalRate",
    "total_amount": "TotalAmount",
    "message_time": "MessageTime",
    "message_sent_time": "SentTime",
}
CALL_FIELDS = {
    "call_uuid": "CallUUID",
    "call_direction": "Direction",
    "call_state": "CallStatus",
    "call_status": "CallStatus",  # plivo-java's fixture ("ANSWER"); call_state elsewhere
    "from_number": "From",
    "to_number": "To",
    "initiation_time": "StartTime",
    "answer_time": "AnswerTime",
    "end_time": "EndTime",
    "total_amount": "TotalCost",
    "bill_duration": "BillDuration",
    "call_duration": "Duration",
    "hangup_cause_code": "HangupCauseCode",
    "hangup_cause_name": "HangupCauseName",
    "hangup_source": "HangupSource",
    # the live Call object names these as its callbacks do, in lower case
    "direction": "Direction",
    "from": "From",
    "to": "To",
    "session_start": "SessionStart",
}
# States after which a message's last update is when it ended.
_FINAL_STATES = frozenset(("delivered", "undelivered", "failed", "read", "rejected"))

Kind = Literal["message", "call", "send", "list", "error"]


def api_kind(doc: Mapping[str, object]) -> Kind | None:
    """Which API answer a JSON object is, None for anything else (a callback)."""
    if isinstance(doc.get("message_uuid"), list) and "api_id" in doc:
        return "send"
    about_nothing = "message_uuid" not in doc and "call_uuid" not in doc
    if "api_id" in doc and about_nothing and _is_error(doc):
        return "error"
    if isinstance(doc.get("objects"), list) and isinstance(doc.get("meta"), Mapping):
        return "list"
    if "message_uuid" in doc and "message_state" in doc:
        return "message"
    if "call_uuid" in doc and ("call_direction" in doc or "hangup_cause_code" in doc):
        return "call"
    if "call_uuid" in doc and "call_status" in doc and "api_id" in doc:  # a live call
        return "call"
    return None


def _is_error(doc: Mapping[str, object]) -> bool:
    """{"error": "..."}, or the Lookup API's {"error_code": 404, "message": "..."}."""
    if isinstance(doc.get("error"), str):
        return True
    return "error_code" in doc and isinstance(doc.get("message"), str)


def as_message_callback(doc: Mapping[str, object]) -> dict[str, object]:
    """A Message object under the message status callback's names."""
    out = _renamed(doc, MESSAGE_FIELDS)
    state = doc.get("message_state")
    updated = doc.get("message_updated_time")
    if isinstance(state, str) and state.lower() in _FINAL_STATES and updated is not None:
        out["DeliveryReportTime"] = updated
    return out


def as_call_callback(doc: Mapping[str, object]) -> dict[str, object]:
    """A Call object under the hangup callback's names."""
    return _renamed(doc, CALL_FIELDS)


def _renamed(doc: Mapping[str, object], names: Mapping[str, str]) -> dict[str, object]:
    return {names[key]: value for key, value in doc.items() if key in names and value is not None}
