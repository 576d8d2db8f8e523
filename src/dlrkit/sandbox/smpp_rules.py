"""The checks the sandbox SMSC applies to a submit_sm before it decides the message's fate.

Each broken rule is a `PduError` carrying the command_status SMPP v3.4 (Issue 1.2) names for it:

====================================================  ===================  ==================
rule                                                  command_status       where documented
====================================================  ===================  ==================
source/dest TON above 6                               ESME_RINVSRCTON/     5.2.5
                                                      ESME_RINVDSTTON
destination not 1 to 20 digits (optional '+')         ESME_RINVDSTADR      5.2.8 (21 octets)
international destination over 15 digits              ESME_RINVDSTADR      ITU-T E.164 §6
alphanumeric sender over 11 characters                ESME_RINVSRCADR      3GPP TS 23.040
                                                                           9.1.2.5
numeric sender not 1 to 20 digits                     ESME_RINVSRCADR      5.2.8
registered_delivery receipt type 3 (reserved)         ESME_RINVREGDLVFLG   5.2.17
priority_flag above 3                                 ESME_RINVPRTFLG      5.2.14
validity_period not an SMPP time                      ESME_RINVEXPIRY      5.2.16, 7.1.1
schedule_delivery_time not an SMPP time               ESME_RINVSCHED       5.2.15, 7.1.1
short_message and message_payload both set            ESME_RINVMSGLEN      5.3.2.32
====================================================  ===================  ==================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import smpp34

from dlrkit.sandbox.smpp_pdu import TLV_MESSAGE_PAYLOAD, PduError, seconds_until

_DIGITS = re.compile(r"\+?[0-9]{1,20}", re.ASCII)
TON_INTERNATIONAL, TON_ALPHANUMERIC, TON_MAX = 1, 5, 6
ALPHANUMERIC_MAX = 11
E164_MAX = 15
UDHI = 0x40


@dataclass(frozen=True, slots=True)
class Checked:
    """What the checks learned about a valid submit_sm."""

    validity: float | None  # seconds until the validity period ends; None: the SMSC default
    wait: float  # seconds until the scheduled delivery time (0: now)
    text: bytes  # the message octets, without a user data header


def check_submit(sm: smpp34.SubmitSm, now: datetime) -> Checked:
    """Apply the rules of the table above; `now` is the sandbox clock's time."""
    check_addresses(sm)
    if sm.registered_delivery & 0x03 == 0x03:
        raise PduError("ESME_RINVREGDLVFLG", "registered_delivery receipt type 3 is reserved")
    if sm.priority_flag > 3:
        raise PduError("ESME_RINVPRTFLG", f"priority_flag {sm.priority_flag} is above 3")
    validity = seconds_until(sm.validity_period, now, "validity_period", "ESME_RINVEXPIRY")
    wait = seconds_until(sm.schedule_delivery_time, now, "schedule_delivery_time", "ESME_RINVSCHED")
    payload = next((t.value for t in sm.tlvs if t.tag == TLV_MESSAGE_PAYLOAD), None)
    if payload is not None and sm.short_message:
        raise PduError("ESME_RINVMSGLEN", "short_message and message_payload are both set")
    data = payload if payload is not None else sm.short_message
    if sm.esm_class & UDHI and data:  # skip the user data header: UDHL, then UDHL octets
        data = data[data[0] + 1 :]
    return Checked(validity=validity, wait=max(0.0, wait or 0.0), text=data)


def check_addresses(sm: smpp34.SubmitSm) -> None:
    """TON ranges and the shape of source_addr and destination_addr."""
    if sm.source_addr_ton > TON_MAX:
        raise PduError("ESME_RINVSRCTON", f"source_addr_ton {sm.source_addr_ton} is above 6")
    if sm.dest_addr_ton > TON_MAX:
        raise PduError("ESME_RINVDSTTON", f"dest_addr_ton {sm.dest_addr_ton} is above 6")
    dest = sm.destination_addr
    if not _DIGITS.fullmatch(dest):
        raise PduError("ESME_RINVDSTADR", f"destination_addr {dest!r} is not 1 to 20 digits")
    if sm.dest_addr_ton == TON_INTERNATIONAL and len(dest.lstrip("+")) > E164_MAX:
        raise PduError("ESME_RINVDSTADR", f"destination_addr {dest!r}: E.164 allows 15 digits")
    src = sm.source_addr
    if sm.source_addr_ton == TON_ALPHANUMERIC:
        if len(src) > ALPHANUMERIC_MAX:
            raise PduError(
                "ESME_RINVSRCADR", f"alphanumeric source_addr {src!r} is over 11 characters"
            )
    elif src and not _DIGITS.fullmatch(src):
        raise PduError("ESME_RINVSRCADR", f"source_addr {src!r} is not 1 to 20 digits")
