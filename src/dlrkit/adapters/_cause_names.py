"""Telephony hangup cause *names* (NORMAL_CLEARING, USER_BUSY, ...) to catalog codes.

Plivo's older callbacks (HangupCause, DialHangupCause, DialBLegHangupCause) name the cause the
way its FreeSWITCH-based platform does instead of giving a numeric HangupCauseCode. Most of
those names are spellings of ITU-T Q.850 cause values (FreeSWITCH "Hangup Cause Code Table":
NORMAL_CLEARING is cause 16, USER_BUSY 17, NO_ANSWER 19, ...), so they resolve to the catalog's
q850 namespace. A few names have no Q.850 value and stand for a SIP answer (ORIGINATOR_CANCEL:
the INVITE was cancelled, 487) or for a row of Plivo's own hangup cause table
(ALLOTTED_TIMEOUT: the call's time limit, "Scheduled Hangup"; MEDIA_TIMEOUT; LOSE_RACE;
USER_NOT_REGISTERED). A name not listed here is kept as reported (an unknown code).
"""

from __future__ import annotations

from dlrkit.outcome import NativeCode

#: cause name -> Q.850 cause value
Q850_BY_NAME: dict[str, int] = {
    "UNALLOCATED_NUMBER": 1,
    "NO_ROUTE_TRANSIT_NET": 2,
    "NO_ROUTE_DESTINATION": 3,
    "CHANNEL_UNACCEPTABLE": 6,
    "CALL_AWARDED_DELIVERED": 7,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21,
    "NUMBER_CHANGED": 22,
    "REDIRECTION_TO_NEW_DESTINATION": 23,
    "EXCHANGE_ROUTING_ERROR": 25,
    "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28,
    "FACILITY_REJECTED": 29,
    "RESPONSE_TO_STATUS_ENQUIRY": 30,
    "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34,
    "NETWORK_OUT_OF_ORDER": 38,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42,
    "ACCESS_INFO_DISCARDED": 43,
    "REQUESTED_CHAN_UNAVAIL": 44,
    "FACILITY_NOT_SUBSCRIBED": 50,
    "BEARERCAPABILITY_NOTAUTH": 57,
    "BEARERCAPABILITY_NOTAVAIL": 58,
    "SERVICE_UNAVAILABLE": 63,
    "BEARERCAPABILITY_NOTIMPL": 65,
    "CHAN_NOT_IMPLEMENTED": 66,
    "FACILITY_NOT_IMPLEMENTED": 69,
    "SERVICE_NOT_IMPLEMENTED": 79,
    "INVALID_CALL_REFERENCE": 81,
    "INCOMPATIBLE_DESTINATION": 88,
    "INVALID_MSG_UNSPECIFIED": 95,
    "MANDATORY_IE_MISSING": 96,
    "MESSAGE_TYPE_NONEXIST": 97,
    "WRONG_MESSAGE": 98,
    "IE_NONEXIST": 99,
    "INVALID_IE_CONTENTS": 100,
    "WRONG_CALL_STATE": 101,
    "RECOVERY_ON_TIMER_EXPIRE": 102,
    "MANDATORY_IE_LENGTH_ERROR": 103,
    "PROTOCOL_ERROR": 111,
    "INTERWORKING": 127,
}
#: cause names without a Q.850 value -> Plivo hangup cause code
PLIVO_BY_NAME: dict[str, int] = {
    "ALLOTTED_TIMEOUT": 6000,  # the call's time limit was reached: Scheduled Hangup
    "MEDIA_TIMEOUT": 6020,
    "LOSE_RACE": 9000,  # another leg of a parallel dial answered first: Lost Race
    "USER_NOT_REGISTERED": 2020,  # SIP endpoint not registered
}
#: cause names without a Q.850 value -> SIP response
SIP_BY_NAME: dict[str, int] = {
    "ORIGINATOR_CANCEL": 487,  # the caller's side cancelled the INVITE before an answer
}


def cause_name_code(name: str) -> NativeCode:
    """The catalog code a hangup cause name stands for, or the name itself when unknown.

    Names are matched case-insensitively, with spaces or dashes read as underscores.
    """
    key = name.strip().upper().replace(" ", "_").replace("-", "_")
    if key in Q850_BY_NAME:
        return NativeCode(
            kind="hangup_cause",
            channel="cause",
            code=Q850_BY_NAME[key],
            name=name,
            namespace="q850",
        )
    if key in SIP_BY_NAME:
        return NativeCode(
            kind="status", channel="response", code=SIP_BY_NAME[key], name=name, namespace="sip"
        )
    if key in PLIVO_BY_NAME:
        return NativeCode(kind="hangup_cause", channel="voice", code=PLIVO_BY_NAME[key], name=name)
    return NativeCode(kind="hangup_cause", channel="voice", code=name)
