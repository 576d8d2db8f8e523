"""SMPP 3.4 delivery receipts as the sandbox SMSC sends them, over SMPP and over HTTP.

A receipt is a deliver_sm with esm_class 0x04 (SMSC delivery receipt, SMPP 3.4 section
5.2.12) travelling back from the handset: source_addr is the original destination,
destination_addr the original sender. Its short_message is the Appendix B text::

    id:0A1B2C3D4E5F6071 sub:001 dlvrd:001 submit date:2503031000 done date:2503031000 stat:DELIVRD err:000 text:Hello

and, for ESMEs bound with interface_version 0x34, the TLVs receipted_message_id (0x001E),
message_state (0x0427) and, for a failure, network_error_code (0x0423: network type 3 = GSM,
then the MAP error in two octets). dlrkit's own SMPP adapter (`dlrkit.adapters.smpp`) reads
both forms; tests check that it does.

`Forwarder` also posts each receipt to dlrkit's ingest service (`POST /webhooks/smpp` with the
shared token header), as an SMPP-to-HTTP gateway would: the text alone (`text/plain`), or the
deliver_sm fields and TLVs as JSON, which keeps the MAP error for classification (the text's
`err:` is only a number whose meaning each SMSC chooses; the TLV says it is a GSM error).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec
import smpp34

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.delivery import Deliverer
from dlrkit.sandbox.ledger import Callback, CallbackKind
from dlrkit.sandbox.smpp_pdu import (
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
)

ESM_CLASS_RECEIPT = 0x04
ESM_CLASS_INTERMEDIATE = 0x20  # SMSC intermediate delivery notification (5.2.12)
NETWORK_GSM = 3
TEXT_CHARS = 20  # Appendix B: the first 20 characters of the message
ForwardForm = Literal["text", "json"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything one receipt says, independent of how it travels."""

    message_id: str
    recipient: str  # becomes source_addr
    recipient_ton: int
    recipient_npi: int
    sender: str  # becomes destination_addr
    sender_ton: int
    sender_npi: int
    stat: str
    message_state: int
    err: int
    submitted: datetime
    done: datetime
    text: str
    final: bool = True

    @property
    def short_message(self) -> str:
        """The Appendix B text."""
        dlvrd = 1 if self.stat == "DELIVRD" else 0
        return (
            f"id:{self.message_id} sub:001 dlvrd:{dlvrd:03d}"
            f" submit date:{self.submitted:%y%m%d%H%M} done date:{self.done:%y%m%d%H%M}"
            f" stat:{self.stat} err:{self.err:03d} text:{self.text[:TEXT_CHARS]}"
        )

    def tlvs(self) -> list[smpp34.Tlv]:
        out = [
            smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, self.message_id.encode("ascii") + b"\0"),
            smpp34.Tlv(TLV_MESSAGE_STATE, bytes([self.message_state])),
        ]
        if self.err:
            out.append(
                smpp34.Tlv(TLV_NETWORK_ERROR_CODE, struct.pack(">BH", NETWORK_GSM, self.err))
            )
        return out

    def pdu(self, sequence: int, *, with_tlvs: bool = True) -> bytes:
        """The deliver_sm, encoded by smpp34's codec."""
        esm_class = ESM_CLASS_RECEIPT if self.final else ESM_CLASS_INTERMEDIATE
        deliver = smpp34.DeliverSm(
            self.recipient,
            self.sender,
            self.short_message.encode("ascii", "replace"),
            source_addr_ton=self.recipient_ton,
            source_addr_npi=self.recipient_npi,
            dest_addr_ton=self.sender_ton,
            dest_addr_npi=self.sender_npi,
            esm_class=esm_class,
            tlvs=self.tlvs() if with_tlvs else [],
            sequence_number=sequence,
        )
        return deliver.encode()

    def as_fields(self) -> dict[str, object]:
        """The deliver_sm as the JSON form dlrkit's SMPP adapter reads."""
        fields: dict[str, object] = {
            "source_addr": self.recipient,
            "destination_addr": self.sender,
            "esm_class": ESM_CLASS_RECEIPT if self.final else ESM_CLASS_INTERMEDIATE,
            "short_message": self.short_message,
            "receipted_message_id": self.message_id,
            "message_state": self.message_state,
        }
        if self.err:
            fields["network_error_code"] = f"{NETWORK_GSM:02X}{self.err:04X}"
        return fields


def first_chars(short_message: bytes, data_coding: int) -> str:
    """The message's first characters for `text:`, kept to printable ASCII."""
    if data_coding == 0x08:  # UCS2
        text = short_message.decode("utf-16-be", "replace")
    else:  # SMSC default alphabet or Latin-1: ASCII letters read alike
        text = short_message.decode("latin-1")
    text = text[:TEXT_CHARS]
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)


class Forwarder:
    """Posts receipts to dlrkit's ingest service through the sandbox's delivery worker.

    The shared `Deliverer` brings the retries (exponential backoff on the sandbox clock while
    the receiver answers 5xx/408/429 or cannot be reached) and records every attempt on the
    `Callback`, which the SMSC also keeps in the ledger. `start` runs the worker in a task.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        clock: Clock,
        header: str = "X-DLR-Token",
        form: ForwardForm = "json",
        attempts: int = 8,
        backoff: float = 10.0,
    ) -> None:
        if form not in ("text", "json"):
            raise ValueError(f"form must be 'text' or 'json', not {form!r}")
        self.url, self.form, self.clock = url, form, clock
        self._headers = {header: token} if token else {}
        self.deliverer = Deliverer(clock, self._sign, attempts=attempts, backoff=backoff)
        self._task: asyncio.Task[None] | None = None

    def _sign(self, callback: Callback) -> dict[str, str]:
        return {
            "Content-Type": callback.content_type,
            "User-Agent": "dlrkit-sandbox/smpp",
            **self._headers,
        }

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.deliverer.run())

    def send(self, receipt: Receipt, kind: CallbackKind) -> Callback:
        """Schedule one receipt for posting now; the returned callback records its attempts."""
        if self.form == "json":
            body, ctype = msgspec.json.encode(receipt.as_fields()), "application/json"
        else:
            body, ctype = receipt.short_message.encode("ascii", "replace"), "text/plain"
        callback = Callback(
            receipt.message_id, "smpp", kind, self.url, body, ctype, self.clock.timestamp()
        )
        self.start()
        self.deliverer.schedule(callback)
        return callback

    async def aclose(self, timeout: float = 5.0) -> None:
        """Give queued receipts `timeout` real seconds to go out, then stop the worker."""
        if self._task is None:
            return
        await self.deliverer.drain(timeout)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
