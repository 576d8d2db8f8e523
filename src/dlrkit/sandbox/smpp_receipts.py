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
deliver_sm fields and TLVs as JSON, which keeps the MAP error for classification.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import httpx
import msgspec
import smpp34
import stamina

log = logging.getLogger("dlrkit.sandbox.smpp")

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
            smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, self.message_id.encode("ascii") + b"\0"),
            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([self.message_state])),
        ]
        if self.err:
            out.append(smpp34.Tlv(smpp34.TLV_NETWORK_ERROR_CODE, struct.pack(">BH", NETWORK_GSM, self.err)))
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


class _Retryable(Exception):
    """The ingest service answered in a way worth trying again (5xx, 408, 429)."""


class Forwarder:
    """Posts receipts to `url` in the background, retrying while the receiver fails."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        header: str = "X-DLR-Token",
        form: ForwardForm = "text",
        attempts: int = 6,
        timeout: float = 10.0,
    ) -> None:
        if form not in ("text", "json"):
            raise ValueError(f"form must be 'text' or 'json', not {form!r}")
        self.url, self.form, self.attempts = url, form, attempts
        headers = {header: token} if token else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout)
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.failed = 0

    def submit(self, receipt: Receipt) -> None:
        """Queue one receipt; returns at once."""
        task = asyncio.get_running_loop().create_task(self._post(receipt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, receipt: Receipt) -> None:
        if self.form == "json":
            body = msgspec.json.encode(receipt.as_fields())
            ctype = "application/json"
        else:
            body, ctype = receipt.short_message.encode("ascii", "replace"), "text/plain"
        try:
            async for attempt in stamina.retry_context(
                on=(_Retryable, httpx.TransportError), attempts=self.attempts, wait_max=30.0
            ):
                with attempt:
                    response = await self._client.post(self.url, content=body, headers={"content-type": ctype})
                    if response.status_code >= 500 or response.status_code in (408, 429):
                        raise _Retryable(f"HTTP {response.status_code}")
            if response.is_success:
                self.delivered += 1
                return
            log.warning("receipt %s refused by %s: HTTP %s %s", receipt.message_id, self.url,
                        response.status_code, response.text[:200])  # fmt: skip
        except (_Retryable, httpx.HTTPError) as exc:
            log.warning("receipt %s not forwarded to %s: %s", receipt.message_id, self.url, exc)
        self.failed += 1

    async def drain(self) -> None:
        """Wait until every queued receipt is posted or given up."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        await self._client.aclose()
