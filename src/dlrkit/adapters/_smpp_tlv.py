"""The fields and receipt TLVs of a deliver_sm given as plain values (JSON or Python).

Field names as SMPP spells them, with the camelCase and long spellings libraries use
(`ALIASES`); TLVs may sit at top level or in a nested "tlvs" / "optional_parameters" object.

SMPP v3.4 (Issue 1.2) section 5.3.2: message_state (0x0427, one octet, values of section
5.2.28) and network_error_code (0x0423, three octets: network type, then a two-octet error
code). SMPP 5.0 (section 4.8.4.42) adds network types 4-8 and message states 0 and 9.
Accepted spellings: message_state as an int, numeric string or state name (long or receipt
short form); network_error_code as hex "030001" / "0x030001" / "03 00 01", three octets
(bytes or a list of ints), an int 0x030001, or {"type": 3, "code": 1}.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from dlrkit.errors import InputError
from dlrkit.outcome import NativeCode

PROVIDER = "smpp"

#: message_state values (SMPP 3.4 section 5.2.28; 0 and 9 from SMPP 5.0), by long and short name
MESSAGE_STATES: dict[str, int] = {
    "SCHEDULED": 0, "SCHEDLD": 0, "ENROUTE": 1, "DELIVERED": 2, "DELIVRD": 2, "EXPIRED": 3,
    "DELETED": 4, "UNDELIVERABLE": 5, "UNDELIV": 5, "ACCEPTED": 6, "ACCEPTD": 6, "UNKNOWN": 7,
    "REJECTED": 8, "REJECTD": 8, "SKIPPED": 9,
}  # fmt: skip
#: network_error_code network types (1-3 in SMPP 3.4; 4-8 defined by SMPP 5.0)
NETWORK_TYPES: dict[int, str] = {
    1: "ANSI-136", 2: "IS-95", 3: "GSM", 4: "ANSI-136 cause", 5: "IS-95 cause",
    6: "ANSI-41", 7: "SMPP", 8: "message center",
}  # fmt: skip
GSM = 3
ALIASES: dict[str, tuple[str, ...]] = {
    "receipted_message_id": ("receipted_message_id", "receiptedMessageId"),
    "message_state": ("message_state", "messageState"),
    "network_error_code": ("network_error_code", "networkErrorCode"),
    "source_addr": ("source_addr", "sourceAddr", "source_address"),
    "destination_addr": ("destination_addr", "dest_addr", "destAddr", "destination_address"),
    "short_message": ("short_message", "shortMessage", "message_payload", "messagePayload"),
}
NESTED = ("tlvs", "optional_parameters")
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}", re.ASCII)
_BASE64_3 = re.compile(r"[A-Za-z0-9+/]{4}", re.ASCII)
_HEX = re.compile(r"[0-9A-Fa-f]+", re.ASCII)


def message_state(value: object, where: str) -> int:
    """message_state as its number: an int 0-255, a numeric string, or a state name."""
    if isinstance(value, str):
        word = value.strip().upper()
        if word in MESSAGE_STATES:
            return MESSAGE_STATES[word]
    return _small_int(value, 0xFF, where)


def network_codes(value: object, raw: dict[str, object], where: str) -> list[NativeCode]:
    """network_error_code: 1 octet network type + 2 octets error code (SMPP 3.4 5.3.2.31)."""
    if isinstance(value, Mapping):
        ntype = _small_int(value.get("type", value.get("network_type")), 0xFF, f"{where}.type")
        ncode = _small_int(value.get("code", value.get("error_code")), 0xFFFF, f"{where}.code")
    else:
        octets = _octets(value, where)
        ntype, ncode = octets[0], octets[1] << 8 | octets[2]
    raw["network_error"] = {
        "type": ntype,
        "type_name": NETWORK_TYPES.get(ntype, "reserved"),
        "code": ncode,
    }
    if ncode == 0:
        return []
    channel = "error" if ntype == GSM else f"network_type_{ntype}"
    return [NativeCode(kind="error", channel=channel, code=ncode)]


def _octets(value: object, where: str) -> bytes:
    if isinstance(value, bytes | bytearray) and len(value) == 3:
        return bytes(value)
    if isinstance(value, list | tuple) and len(value) == 3:
        return bytes(_small_int(v, 0xFF, where) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 24:
        return value.to_bytes(3, "big")
    if isinstance(value, str):
        s = re.sub(r"[\s:]", "", value)
        s = s[2:] if s[:2].lower() == "0x" else s
        if _HEX6.fullmatch(s):
            return bytes.fromhex(s)
        if _BASE64_3.fullmatch(s) and not _HEX.fullmatch(s):  # Go's []byte: "AwAB" = 030001
            return base64.b64decode(s)
    raise InputError(
        f"expected 3 octets (e.g. '030001' or {{type, code}}), got {value!r:.60}",
        provider=PROVIDER,
        field=where,
    )


def _small_int(value: object, top: int, where: str) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        s = value.strip()
        if re.fullmatch(r"[0-9]{1,8}", s, re.ASCII):
            number = int(s)
        elif re.fullmatch(r"0[xX][0-9A-Fa-f]{1,8}", s, re.ASCII):
            number = int(s, 16)
    if number is None or not 0 <= number <= top:
        raise InputError(
            f"expected an integer 0-{top}, got {value!r:.60}", provider=PROVIDER, field=where
        )
    return number


def text_value(value: object, where: str) -> str:
    """An id or address: a string, or an integer written out; '' when absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**40:
        return str(value)
    raise InputError(
        f"expected a string, got {type(value).__name__}", provider=PROVIDER, field=where
    )


def flatten(doc: Mapping[Any, object]) -> dict[Any, object]:
    """The top-level fields with those of a nested TLV object (top level wins)."""
    fields = dict(doc)
    for key in NESTED:
        nested = doc.get(key)
        if isinstance(nested, Mapping):
            for name, value in nested.items():
                fields.setdefault(name, value)
    return fields


def get_field(fields: Mapping[Any, object], name: str) -> object:
    """A field under any of its spellings, unwrapped (`unwrap`); None when absent or null."""
    for alias in ALIASES[name]:
        if fields.get(alias) is not None:
            return unwrap(fields[alias])
    return None


def _octet(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255


def unwrap(value: object) -> object:
    """The value inside the wrappers JSON-encoded PDUs use.

    Node.js's smpp library (node-smpp) decodes short_message and message_payload to
    {"message": text} (with "udh" when there is one) and keeps octet TLVs such as
    network_error_code as Buffers, which JSON writes {"type": "Buffer", "data": [3, 0, 1]}.
    """
    if isinstance(value, Mapping):
        data = value.get("data")
        if value.get("type") == "Buffer" and isinstance(data, list) and all(map(_octet, data)):
            return bytes(data)
        message = value.get("message")
        if isinstance(message, str) and set(value) <= {"message", "udh"}:
            return message
    return value


def plain(value: object) -> object:
    """Bytes (from a PDU decoded in Python) as hex, so raw stays JSON-serializable."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {
            str(k): (bytes(v).hex() if isinstance(v, bytes | bytearray) else v)
            for k, v in value.items()
        }
    return value
