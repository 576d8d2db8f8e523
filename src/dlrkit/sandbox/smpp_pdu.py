"""SMPP 3.4 PDU framing for the sandbox SMSC: headers, binds and the small fixed-layout PDUs.

The message PDUs that carry addresses, text and TLVs (submit_sm in, deliver_sm out) are decoded
and encoded by the `smpp34` library's codec. Its asyncio *server* cannot refuse a bind (every
bind_* is accepted before Python sees it), so the session layer is ours, and with it the PDUs
smpp34's Python codec leaves as raw bytes: the 16-octet header (SMPP v3.4 Issue 1.2, section
3.2), bind_transmitter/receiver/transceiver and their responses (4.1), and the header-only
PDUs (unbind, enquire_link, generic_nack). A response to a failed request carries no body
(4.1.2, 4.4.2).
"""

from __future__ import annotations

import asyncio
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import IntEnum

import smpp34

from dlrkit.sandbox.smpp_outcomes import status_code

HEADER = struct.Struct(">IIII")
HEADER_LEN = HEADER.size
MAX_PDU_LEN = 64 * 1024  # far above any legal 3.4 PDU; guards against a garbage length
RESP = 0x80000000
INTERFACE_VERSION = 0x34
# optional parameter tags (section 5.3.2)
TLV_SC_INTERFACE_VERSION = 0x0210
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427
_STATUS_RE = re.compile(r"\(0x([0-9A-Fa-f]{8})\)")
_TIME_RE = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d)(\d\d)([+R-])", re.ASCII)


class Command(IntEnum):
    """command_id values of SMPP 3.4 (section 5.1.2.1)."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_TRANSMITTER = 0x00000002
    QUERY_SM = 0x00000003
    SUBMIT_SM = 0x00000004
    DELIVER_SM = 0x00000005
    UNBIND = 0x00000006
    REPLACE_SM = 0x00000007
    CANCEL_SM = 0x00000008
    BIND_TRANSCEIVER = 0x00000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    SUBMIT_MULTI = 0x00000021
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103


BINDS = frozenset({Command.BIND_RECEIVER, Command.BIND_TRANSMITTER, Command.BIND_TRANSCEIVER})


class PduError(Exception):
    """A PDU the SMSC cannot accept; `status` is the command_status to answer with."""

    def __init__(self, status: str, problem: str) -> None:
        super().__init__(f"{status}: {problem}")
        self.status = status  # a command_status name, e.g. "ESME_RINVCMDLEN"
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Pdu:
    """One PDU off the wire: the header fields and the whole PDU's bytes."""

    command_id: int
    status: int
    sequence: int
    data: bytes

    @property
    def body(self) -> bytes:
        return self.data[HEADER_LEN:]


@dataclass(frozen=True, slots=True)
class BindRequest:
    """The body of bind_transmitter / bind_receiver / bind_transceiver (section 4.1.1)."""

    system_id: str
    password: str
    system_type: str
    interface_version: int
    addr_ton: int
    addr_npi: int
    address_range: str


async def read_pdu(reader: asyncio.StreamReader) -> Pdu | None:
    """The next PDU, or None at a clean end of stream.

    A command_length below 16 or above `MAX_PDU_LEN` is a `PduError` (ESME_RINVCMDLEN): the
    stream cannot be framed any further after it.
    """
    try:
        head = await reader.readexactly(HEADER_LEN)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise PduError("ESME_RINVCMDLEN", "stream ended inside a PDU header") from exc
        return None
    length, command_id, status, sequence = HEADER.unpack(head)
    if not HEADER_LEN <= length <= MAX_PDU_LEN:
        raise PduError("ESME_RINVCMDLEN", f"command_length {length} is out of range")
    try:
        body = await reader.readexactly(length - HEADER_LEN)
    except asyncio.IncompleteReadError as exc:
        raise PduError("ESME_RINVCMDLEN", "stream ended inside a PDU body") from exc
    return Pdu(command_id, status, sequence, head + body)


def encode(command_id: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    """A whole PDU: header (with its command_length) and body."""
    return HEADER.pack(HEADER_LEN + len(body), command_id, status, sequence) + body


def c_string(value: str) -> bytes:
    """A C-Octet String: ASCII and a terminating NUL."""
    return value.encode("ascii", "replace") + b"\0"


def _take_c_string(body: bytes, pos: int, field: str, max_len: int, status: str) -> tuple[str, int]:
    end = body.find(b"\0", pos)
    if end < 0:
        raise PduError(status, f"{field} is not NUL-terminated")
    if end - pos + 1 > max_len:
        raise PduError(status, f"{field} is longer than {max_len - 1} characters")
    return body[pos:end].decode("ascii", "replace"), end + 1


def parse_bind(body: bytes) -> BindRequest:
    """Decode a bind body; a field that breaks its length is named in the `PduError`."""
    system_id, pos = _take_c_string(body, 0, "system_id", 16, "ESME_RINVSYSID")
    password, pos = _take_c_string(body, pos, "password", 9, "ESME_RINVPASWD")
    system_type, pos = _take_c_string(body, pos, "system_type", 13, "ESME_RINVSYSTYP")
    if len(body) < pos + 3:
        raise PduError("ESME_RINVCMDLEN", "bind ends before interface_version/addr_ton/addr_npi")
    version, ton, npi = body[pos], body[pos + 1], body[pos + 2]
    address_range, _ = _take_c_string(body, pos + 3, "address_range", 41, "ESME_RINVCMDLEN")
    return BindRequest(system_id, password, system_type, version, ton, npi, address_range)


def bind_resp_body(system_id: str, esme_version: int) -> bytes:
    """system_id, plus sc_interface_version when the ESME speaks 3.4 or later (5.3.2.25)."""
    body = c_string(system_id)
    if esme_version >= INTERFACE_VERSION:
        body += struct.pack(">HHB", TLV_SC_INTERFACE_VERSION, 1, INTERFACE_VERSION)
    return body


def decode_submit(pdu: Pdu) -> smpp34.SubmitSm:
    """A submit_sm through smpp34's codec; a malformed one is a `PduError` with its status."""
    try:
        decoded = smpp34.decode(pdu.data)
    except smpp34.SmppError as exc:
        raise PduError(_status_name(str(exc)), f"malformed submit_sm: {exc}") from exc
    if not isinstance(decoded, smpp34.SubmitSm):  # pragma: no cover - decode keys on command_id
        raise PduError("ESME_RINVCMDID", "not a submit_sm")
    return decoded


def _status_name(message: str) -> str:
    """smpp34 errors read "ESME_RINVPARLEN (0x000000C2)": keep the name if the catalog has it."""
    name = message.split(" ", 1)[0]
    if name.startswith("ESME_R") and _STATUS_RE.search(message):
        try:
            status_code(name)
        except LookupError:
            return "ESME_RSYSERR"
        return name
    return "ESME_RSYSERR"


def seconds_until(value: str, now: datetime, field: str, status: str) -> float | None:
    """Seconds from `now` to an SMPP time (section 7.1.1); None when the field is empty.

    Absolute "YYMMDDhhmmsstnn+" / "-" (nn: quarter hours from UTC) or relative
    "YYMMDDhhmmss000R" (a year counted as 365 days, a month as 30). Anything else is a
    `PduError` with `status` (ESME_RINVEXPIRY for validity_period, ESME_RINVSCHED for
    schedule_delivery_time).
    """
    if not value:
        return None
    m = _TIME_RE.fullmatch(value)
    if m is None:
        raise PduError(status, f"{field} {value!r} is not an SMPP time (YYMMDDhhmmsstnnp)")
    yy, mo, dd, hh, mi, ss = (int(g) for g in m.groups()[:6])
    if m[9] == "R":
        return float(((yy * 365 + mo * 30 + dd) * 24 + hh) * 3600 + mi * 60 + ss)
    offset = timedelta(minutes=15 * int(m[8])) * (-1 if m[9] == "-" else 1)
    try:
        zone = timezone(offset)
        when = datetime(2000 + yy, mo, dd, hh, mi, ss, int(m[7]) * 100_000, zone)
    except ValueError as exc:
        raise PduError(status, f"{field} {value!r}: {exc}") from exc
    return (when - now).total_seconds()
