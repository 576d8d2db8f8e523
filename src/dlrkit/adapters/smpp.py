"""SMPP 3.4 delivery receipts (deliver_sm with the esm_class receipt bit) to `Report`s.

Reads, as documented in the SMPP v3.4 specification (Issue 1.2: Appendix B, and section 5.3.2
for the TLVs receipted_message_id 0x001E, network_error_code 0x0423, message_state 0x0427) and
by SMSC operators' pages (8x8 "SMPP - Delivery receipts", Vonage "How to read a Nexmo SMPP
delivery receipt", OpenMarket "Receive a delivery receipt", Melrose Labs "Delivery receipts"):

- the receipt text of short_message, Appendix B format, read leniently (`_smpp_receipt`);
- a JSON object of deliver_sm fields and TLVs; its short_message, if any, is read as a receipt
  text and merged, the TLVs winning;
- a JSON object `{"short_message": "..."}`, a JSON string, or a JSON array of any of these.

A receipt travels back from the handset: its source_addr is the original recipient and its
destination_addr the original sender. `ReceiptProfile` (`_smpp_profile`) holds per-connection
settings: a custom regex, what `err:` values mean, the receipt dates' zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from dlrkit.adapters import _smpp_jasmin as jasmin
from dlrkit.adapters._smpp_jasmin import is_jasmin_dlr
from dlrkit.adapters._smpp_pdu import decode_pdu, pdu_bytes
from dlrkit.adapters._smpp_profile import (
    DEFAULT_PROFILE,
    ErrRef,
    ReceiptProfile,
    load_profiles,
    parse_ref,
)
from dlrkit.adapters._smpp_receipt import (
    decode_text,
    id_views,
    looks_like_receipt,
    read_receipt,
    receipt_time,
    unhex_text,
)
from dlrkit.adapters._smpp_tlv import (
    flatten,
    get_field,
    message_state,
    network_codes,
    plain,
    text_value,
)
from dlrkit.adapters.base import decode_body, is_utf8, not_utf8
from dlrkit.errors import InputError
from dlrkit.outcome import Channel, NativeCode, Report

__all__ = ["PROVIDER", "ErrRef", "ReceiptProfile", "detect", "load_profiles", "parse"]
__all__ += ["parse_doc", "parse_fields", "parse_ref", "parse_text"]

PROVIDER = "smpp"
_FORM = "application/x-www-form-urlencoded"
_FORM_RE = re.compile(r"[\w.%+-]+=[^&\s]*(?:&[\w.%+-]+=[^&\s]*)*", re.ASCII)


def detect(doc: object) -> bool:
    """A receipt text (bytes or str), a dict of deliver_sm fields that is a receipt, a PDU, or
    a JSON array of receipts."""
    if isinstance(doc, list):
        if not 0 < len(doc) <= 10_000:
            return False
        return all(isinstance(item, str | Mapping) and detect(item) for item in doc)
    if isinstance(doc, bytes | bytearray):
        if pdu_bytes(bytes(doc)) is not None:
            return True
        doc = decode_text(bytes(doc[:4096]))
    if isinstance(doc, str):
        return looks_like_receipt(doc) or pdu_bytes(doc.encode("utf-8")) is not None
    if not isinstance(doc, Mapping):
        return False
    if is_jasmin_dlr(doc):
        return True
    fields = flatten(doc)
    if get_field(fields, "receipted_message_id") not in (None, ""):
        return True
    sm = get_field(fields, "short_message")
    if isinstance(sm, str) and "stat:" in unhex_text(sm).lower():
        return True
    return sm is None and embedded_receipt(doc) is not None


def embedded_receipt(doc: Mapping[str, object]) -> str | None:
    """The receipt text a gateway's callback forwards under a name of the user's choosing.

    Kannel's dlr-url, for one, is a URL template: `?ref=...&answer=%A` puts the SMSC's receipt
    text in whatever parameter the user named. The first value that reads as a receipt
    (starting "id:" and holding a "stat:") is taken.
    """
    for value in doc.values():
        if isinstance(value, str):
            text = value.strip()
            if text[:3].lower() == "id:" and "stat:" in text.lower():
                return text
    return None


def parse(
    body: bytes, content_type: str | None = None, profile: ReceiptProfile | None = None
) -> list[Report]:
    """Receipt text (one per line allowed), JSON fields/TLVs, or a JSON array of them."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise InputError("body must be bytes", provider=PROVIDER)
    data = bytes(body)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not data.strip():
        raise InputError("empty body", provider=PROVIDER)
    pdu = pdu_bytes(data)
    if pdu is not None:
        report = parse_fields(decode_pdu(pdu), profile)
        return [msgspec.structs.replace(report, source="smpp.pdu")]
    looks_json = data.lstrip()[:1] in (b"{", b"[", b'"')
    head = decode_text(data[:4096])
    if ctype == _FORM or (not ctype and not looks_json and _looks_form(head)):
        return parse_doc(decode_body(data, _FORM, PROVIDER), profile)
    if ctype.endswith("json") or (ctype in ("", "text/plain") and looks_json):
        try:
            doc = msgspec.json.decode(data)
        except UnicodeDecodeError as exc:  # a bad byte inside a JSON string
            raise not_utf8(data, PROVIDER) from exc
        except msgspec.DecodeError as exc:
            if not looks_json and looks_like_receipt(head):  # a receipt text labelled JSON
                return parse(data, "text/plain", profile)
            if not is_utf8(data):
                raise not_utf8(data, PROVIDER) from exc
            raise InputError(f"not valid JSON ({exc})", provider=PROVIDER) from exc
        except RecursionError as exc:  # msgspec's answer to very deep nesting
            raise InputError("JSON nested too deeply", provider=PROVIDER) from exc
        return parse_doc(doc, profile)
    text = decode_text(data)
    chunks = split_payload(text)
    if len(chunks) == 1 and isinstance(chunks[0], str):
        return [parse_text(text.strip(), profile)]
    out: list[Report] = []
    for i, chunk in enumerate(chunks):
        if isinstance(chunk, str):
            out.append(parse_text(chunk, profile, path=f"[{i}]."))
        else:
            out.extend(parse_doc(chunk, profile))
    return out


def split_payload(text: str) -> list[str | object]:
    """The receipts of a text payload, one per line: each line starting "id:" begins a
    receipt, a line that is a JSON object or array stands alone (decoded), and any other line
    continues the receipt before it (a `text:` holding a line break). So a receipt's `text:`
    never swallows the receipts that follow it."""
    chunks: list[str | object] = []
    current: list[str] = []

    def close() -> None:
        if current:
            chunks.append("\n".join(current))
            current.clear()

    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if line[:1] in ("{", "["):
            try:
                doc = msgspec.json.decode(line)
            except (msgspec.DecodeError, RecursionError):
                doc = None
            if isinstance(doc, Mapping | list):
                close()
                chunks.append(doc)
                continue
        if line[:3].lower() == "id:":
            close()
        current.append(line)
    close()
    return chunks or [text.strip()]


def parse_doc(doc: object, profile: ReceiptProfile | None = None) -> list[Report]:
    """A decoded payload: receipt text, dict of fields/TLVs, or a list of these."""
    if isinstance(doc, str):
        return [parse_text(doc, profile)]
    if isinstance(doc, Mapping):
        if is_jasmin_dlr(doc):
            return [parse_jasmin(doc, profile)]
        fields = flatten(doc)
        receipt = embedded_receipt(doc)
        no_fields = get_field(fields, "receipted_message_id") in (None, "")
        if receipt is not None and no_fields and get_field(fields, "short_message") is None:
            report = parse_text(receipt, profile)
            raw = {str(k): plain(v) for k, v in doc.items()} | report.raw
            return [msgspec.structs.replace(report, source="smpp.forwarded_receipt", raw=raw)]
        return [parse_fields(doc, profile)]
    if isinstance(doc, list):
        out: list[Report] = []
        for i, item in enumerate(doc):
            if isinstance(item, str):
                out.append(parse_text(item, profile, path=f"[{i}]."))
            elif isinstance(item, Mapping):
                out.append(parse_fields(item, profile, path=f"[{i}]."))
            else:
                raise InputError(
                    "expected an object or a receipt text", provider=PROVIDER, field=f"[{i}]"
                )
        return out
    raise InputError(
        "expected a JSON object, an array of them, or a receipt text", provider=PROVIDER
    )


def parse_text(text: str, profile: ReceiptProfile | None = None, *, path: str = "") -> Report:
    """One receipt text (the short_message of a receipt deliver_sm)."""
    if not isinstance(text, str):
        raise InputError("expected a receipt text", provider=PROVIDER, field=path or None)
    prof = profile or DEFAULT_PROFILE
    fields, extra, matched = read_receipt(text, prof)
    message_id = fields.get("id", "")
    if not message_id:
        raise InputError("missing", provider=PROVIDER, field=f"{path}id")
    raw: dict[str, object] = {"short_message": text, **fields}
    if extra:
        raw["extra"] = extra
    _note_profile(raw, profile, matched)
    codes = _stat_code(fields) + _err_code(fields, prof, raw)
    return _report(message_id, codes, fields, prof, raw, source="smpp.receipt")


def parse_jasmin(
    doc: Mapping[str, object], profile: ReceiptProfile | None = None, *, path: str = ""
) -> Report:
    """One Jasmin HTTP delivery receipt (`_smpp_jasmin`)."""
    prof = profile or DEFAULT_PROFILE
    message_id = jasmin.required_id(doc, path)
    status = text_value(doc.get("message_status"), f"{path}message_status")
    fields = jasmin.receipt_fields(doc, path)
    raw: dict[str, object] = {str(k): plain(v) for k, v in doc.items()}
    _note_profile(raw, profile, False)
    command = jasmin.command_status(status)
    codes = [command] if command is not None else _stat_code({"stat": status})
    codes += _err_code(fields, prof, raw)
    sent_at, done_at = jasmin.times(fields, prof)
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=Channel.SMS,
        codes=tuple(codes),
        sent_at=sent_at,
        done_at=done_at,
        source="smpp.jasmin_dlr",
        raw=raw,
    )


def parse_fields(
    doc: Mapping[str, object], profile: ReceiptProfile | None = None, *, path: str = ""
) -> Report:
    """One deliver_sm as a dict of fields and TLVs, its short_message merged in."""
    prof = profile or DEFAULT_PROFILE
    fields = flatten(doc)
    raw: dict[str, object] = {str(k): plain(v) for k, v in doc.items()}
    text_fields: dict[str, str] = {}
    matched = False
    sm = get_field(fields, "short_message")
    if isinstance(sm, bytes | bytearray):
        sm = decode_text(bytes(sm))
    if sm is not None and not isinstance(sm, str):
        raise InputError("expected a string", provider=PROVIDER, field=f"{path}short_message")
    if sm:
        text_fields, extra, matched = read_receipt(unhex_text(sm), prof)
        raw["receipt"] = {**text_fields, **({"extra": extra} if extra else {})}
    _note_profile(raw, profile, matched)
    rid = get_field(fields, "receipted_message_id")
    message_id = text_value(rid, f"{path}receipted_message_id") or text_fields.get("id", "")
    if not message_id:
        raise InputError("missing", provider=PROVIDER, field=f"{path}receipted_message_id")
    codes: list[NativeCode] = []
    state = get_field(fields, "message_state")
    if state not in (None, ""):
        code = message_state(state, f"{path}message_state")
        codes.append(NativeCode(kind="status", channel="message_state", code=code))
    codes += _stat_code(text_fields)
    nec = get_field(fields, "network_error_code")
    network: list[NativeCode] = []
    if nec not in (None, ""):
        network = network_codes(nec, raw, f"{path}network_error_code")
    codes += network
    # err: repeating the network_error_code's number says nothing more (raw keeps it)
    codes += [
        c
        for c in _err_code(text_fields, prof, raw, standard=nec in (None, ""))
        if not any(c.code == n.code for n in network)
    ]
    recipient = text_value(get_field(fields, "source_addr"), f"{path}source_addr") or None
    sender = text_value(get_field(fields, "destination_addr"), f"{path}destination_addr") or None
    return _report(message_id, codes, text_fields, prof, raw, "smpp.deliver_sm", recipient, sender)


def _report(
    message_id: str,
    codes: list[NativeCode],
    fields: Mapping[str, str],
    prof: ReceiptProfile,
    raw: dict[str, object],
    source: str,
    recipient: str | None = None,
    sender: str | None = None,
) -> Report:
    raw.update(id_views(message_id))
    return Report(
        provider=PROVIDER,
        message_id=message_id,
        channel=Channel.SMS,
        codes=tuple(codes),
        recipient=recipient,
        sender=sender,
        sent_at=receipt_time(fields.get("submit_date", ""), prof.tz),
        done_at=receipt_time(fields.get("done_date", ""), prof.tz),
        source=source,
        raw=raw,
    )


# Some SMSCs write the message state's long name in `stat:` (the names of SMPP 3.4 section
# 5.2.28) instead of the receipt's seven-letter word; UNDELIVERED is a common misspelling.
_LONG_STATS = {
    "DELIVERED": "DELIVRD",
    "UNDELIVERABLE": "UNDELIV",
    "UNDELIVERED": "UNDELIV",
    "ACCEPTED": "ACCEPTD",
    "REJECTED": "REJECTD",
}


def _stat_code(fields: Mapping[str, str]) -> list[NativeCode]:
    stat = fields.get("stat", "").strip().upper()
    if not stat:
        return []
    if stat in _LONG_STATS:
        return [NativeCode(kind="dlr_status", channel="receipt", code=_LONG_STATS[stat], name=stat)]
    return [NativeCode(kind="dlr_status", channel="receipt", code=stat)]


def _err_code(
    fields: Mapping[str, str],
    prof: ReceiptProfile,
    raw: dict[str, object],
    *,
    standard: bool = True,
) -> list[NativeCode]:
    """The code of a receipt's `err:`: as the profile maps it, else (by default, when the
    receipt has no network_error_code to say better) read as a MAP error, else kept as an
    smpp code of the profile's `err_channel`."""
    err = fields.get("err", "").strip()
    if not err:
        return []
    ref, code = prof.resolve_err(err, standard=standard)
    if ref is not None:
        raw["err_ref"] = ref.ref
        if ref.by_default:
            raw["err_read_as"] = f"{prof.err_standard} (default: not in the profile's err_map)"
        return [
            NativeCode(kind=ref.kind, channel=ref.channel, code=ref.code, namespace=ref.provider)
        ]
    if code is None:
        return []
    return [NativeCode(kind="error", channel=prof.err_channel, code=code)]


def _looks_form(head: str) -> bool:
    return not looks_like_receipt(head) and bool(_FORM_RE.fullmatch(head.strip()))


def _note_profile(raw: dict[str, object], profile: ReceiptProfile | None, matched: bool) -> None:
    if profile is not None:
        raw["profile"] = profile.name
        if profile.regex is not None:
            raw["pattern_matched"] = matched
