"""A whole deliver_sm (or data_sm) PDU, as bytes or as a hex dump, to its fields and TLVs.

SMPP 3.4 section 4.6.1 (deliver_sm) and 4.7.1 (data_sm): a 16-octet header (command_length,
command_id 0x00000005 or 0x00000103, command_status, sequence_number), the mandatory fields in
order (C-octet strings end with a NUL), then optional TLVs (2-octet tag, 2-octet length,
value). Only the fields a receipt needs are named; other TLVs are kept by their hex tag.
"""

from __future__ import annotations

import re

from dlrkit.errors import InputError

PROVIDER = "smpp"
DELIVER_SM = 0x00000005
DATA_SM = 0x00000103
_TLV_NAMES = {
    0x001E: "receipted_message_id",
    0x0427: "message_state",
    0x0423: "network_error_code",
    0x0424: "message_payload",
}
_HEX_DUMP = re.compile(r"(?:0x)?[0-9A-Fa-f\s:]+", re.ASCII)


def pdu_bytes(data: bytes) -> bytes | None:
    """The PDU in `data` (raw octets, or a hex dump of them), None when it holds none."""
    if _is_pdu(data):
        return data
    text = data.strip()
    if len(text) >= 32 and _HEX_DUMP.fullmatch(text.decode("ascii", "replace")):
        digits = re.sub(rb"0x|[\s:]", b"", text)
        if len(digits) % 2 == 0:
            octets = bytes.fromhex(digits.decode("ascii"))
            if _is_pdu(octets):
                return octets
    return None


def _is_pdu(data: bytes) -> bool:
    if len(data) < 17:
        return False
    length = int.from_bytes(data[0:4], "big")
    command = int.from_bytes(data[4:8], "big")
    return length == len(data) and command in (DELIVER_SM, DATA_SM)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 16

    def octet(self, name: str) -> int:
        if self.at >= len(self.data):
            raise InputError("PDU ends too early", provider=PROVIDER, field=name)
        self.at += 1
        return self.data[self.at - 1]

    def cstring(self, name: str) -> str:
        end = self.data.find(b"\0", self.at)
        if end < 0:
            raise InputError("C-octet string without its NUL", provider=PROVIDER, field=name)
        value = self.data[self.at : end].decode("latin-1")
        self.at = end + 1
        return value

    def octets(self, count: int, name: str) -> bytes:
        if self.at + count > len(self.data):
            raise InputError("PDU ends too early", provider=PROVIDER, field=name)
        self.at += count
        return self.data[self.at - count : self.at]


def decode_pdu(data: bytes) -> dict[str, object]:
    """The named fields of a deliver_sm / data_sm PDU (see the module docstring)."""
    r = _Reader(data)
    command = int.from_bytes(data[4:8], "big")
    fields: dict[str, object] = {
        "command_id": command,
        "sequence_number": int.from_bytes(data[12:16], "big"),
        "service_type": r.cstring("service_type"),
    }
    r.octets(2, "source_addr_ton")  # and source_addr_npi
    fields["source_addr"] = r.cstring("source_addr")
    r.octets(2, "dest_addr_ton")  # and dest_addr_npi
    fields["destination_addr"] = r.cstring("destination_addr")
    fields["esm_class"] = r.octet("esm_class")
    if command == DELIVER_SM:
        r.octets(2, "protocol_id")  # and priority_flag
        r.cstring("schedule_delivery_time")
        r.cstring("validity_period")
        fields["registered_delivery"] = r.octet("registered_delivery")
        r.octet("replace_if_present_flag")
        fields["data_coding"] = r.octet("data_coding")
        r.octet("sm_default_msg_id")
        length = r.octet("sm_length")
        fields["short_message"] = r.octets(length, "short_message")
    else:
        fields["registered_delivery"] = r.octet("registered_delivery")
        fields["data_coding"] = r.octet("data_coding")
    while r.at < len(data):
        tag = int.from_bytes(r.octets(2, "tlv"), "big")
        size = int.from_bytes(r.octets(2, "tlv"), "big")
        value = r.octets(size, f"tlv 0x{tag:04X}")
        name = _TLV_NAMES.get(tag, f"tlv_0x{tag:04X}")
        if name == "receipted_message_id":
            fields[name] = value.rstrip(b"\0").decode("latin-1")
        elif name == "message_state" and size == 1:
            fields[name] = value[0]
        else:
            fields[name] = value
    return fields
