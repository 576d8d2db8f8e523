"""Jasmin SMS gateway's HTTP delivery receipts: an SMPP receipt forwarded as form fields.

Jasmin (jookies/jasmin, "Receiving DLR", ja-http API) calls the `dlr-url` given at sending with
GET or POST parameters: for a level 1 receipt `id` (Jasmin's message UUID), `message_status`
(the SMSC's submit_sm_resp command status, ESME_ROK or an ESME_R* error) and `level`; for level
2 or 3 also `id_smsc` (the SMSC's message id), `subdate` and `donedate` (YYMMDDhhmm), `sub`,
`dlvrd`, `err` and `text`, the fields of the SMSC's receipt text, whose stat word then comes in
`message_status`.
"""

from __future__ import annotations

from collections.abc import Mapping

from dlrkit.adapters._smpp_profile import ReceiptProfile
from dlrkit.adapters._smpp_receipt import receipt_time
from dlrkit.adapters._smpp_tlv import text_value
from dlrkit.errors import InputError
from dlrkit.outcome import NativeCode

PROVIDER = "smpp"
_RECEIPT_FIELDS = {"subdate": "submit_date", "donedate": "done_date", "sub": "sub"}
_RECEIPT_FIELDS |= {"dlvrd": "dlvrd", "err": "err", "text": "text"}


def is_jasmin_dlr(doc: Mapping[object, object]) -> bool:
    return "id" in doc and "message_status" in doc and "level" in doc


def receipt_fields(doc: Mapping[str, object], path: str) -> dict[str, str]:
    """The receipt fields Jasmin forwards, under the receipt text's names."""
    fields = {
        name: text_value(doc.get(key), f"{path}{key}")
        for key, name in _RECEIPT_FIELDS.items()
        if doc.get(key) is not None
    }
    return {name: value for name, value in fields.items() if value}


def command_status(status: str) -> NativeCode | None:
    """A level 1 message_status, an ESME_* command status; None for a receipt's stat word."""
    word = status.strip().upper()
    if not word.startswith("ESME_"):
        return None
    from dlrkit.catalog import Catalog  # the SMPP constant's value, as the catalog has it

    found = Catalog.default().by_name("smpp", word, "api_error", "command_status")
    code: int | str = found[0].code if found else word
    return NativeCode(kind="api_error", channel="command_status", code=code, name=word)


def times(fields: Mapping[str, str], profile: ReceiptProfile) -> tuple[str | None, str | None]:
    return (
        receipt_time(fields.get("submit_date", ""), profile.tz),
        receipt_time(fields.get("done_date", ""), profile.tz),
    )


def required_id(doc: Mapping[str, object], path: str) -> str:
    message_id = text_value(doc.get("id"), f"{path}id")
    if not message_id:
        raise InputError("missing", provider=PROVIDER, field=f"{path}id")
    return message_id
