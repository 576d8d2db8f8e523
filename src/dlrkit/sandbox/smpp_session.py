"""One ESME connection to the sandbox SMSC: the SMPP 3.4 session state machine.

A session starts OPEN and binds once (section 2.3): as transmitter (may submit), receiver (gets
deliver_sm) or transceiver (both). The SMSC answers, as the specification says:

- a bind on a bound session: ESME_RALYBND; a submit_sm before binding or on a receiver
  session: ESME_RINVBNDSTS (section 2.3, table 2-1);
- enquire_link in any state: enquire_link_resp; unbind: unbind_resp, then the connection
  closes (4.2, 4.11);
- a request it knows but does not offer (query_sm, cancel_sm, replace_sm, submit_multi,
  data_sm, or a deliver_sm sent the wrong way): its response PDU with ESME_RINVCMDID; any
  other command_id, including those that have no response PDU (outbind, alert_notification):
  generic_nack with ESME_RINVCMDID; a command_length it cannot frame: generic_nack with
  ESME_RINVCMDLEN, then the connection closes, since the stream has lost its framing (3.3,
  4.3).

What a bind or a submit_sm means for the account is the SMSC's business (`smpp_smsc.Smsc`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import TYPE_CHECKING

from dlrkit.sandbox.smpp_outcomes import status_code
from dlrkit.sandbox.smpp_pdu import (
    BINDS,
    INTERFACE_VERSION,
    RESP,
    Command,
    Pdu,
    PduError,
    bind_resp_body,
    c_string,
    decode_submit,
    encode,
    parse_bind,
    read_pdu,
)

if TYPE_CHECKING:
    from dlrkit.sandbox.smpp_receipts import Receipt
    from dlrkit.sandbox.smpp_smsc import Smsc

log = logging.getLogger("dlrkit.sandbox.smpp")
RESPONSE_TIMEOUT = 10.0  # real seconds to wait for an ESME's deliver_sm_resp
# requests the SMSC understands but does not offer: answered by their own response PDU
_NOT_OFFERED = frozenset(
    {
        Command.QUERY_SM,
        Command.REPLACE_SM,
        Command.CANCEL_SM,
        Command.SUBMIT_MULTI,
        Command.DATA_SM,
        Command.DELIVER_SM,
    }
)


class Session:
    """Reads PDUs from one ESME, answers them, and sends it deliver_sm receipts."""

    def __init__(
        self, smsc: Smsc, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.smsc = smsc
        self.reader, self.writer = reader, writer
        self.bind: Command | None = None
        self.system_id = ""
        self.esme_version = INTERFACE_VERSION
        self._sequence = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[int]] = {}
        self._write_lock = asyncio.Lock()
        self.closed = asyncio.Event()

    @property
    def receives(self) -> bool:
        """Bound as receiver or transceiver: may be sent deliver_sm."""
        return (
            self.bind in (Command.BIND_RECEIVER, Command.BIND_TRANSCEIVER)
            and not self.closed.is_set()
        )

    @property
    def transmits(self) -> bool:
        return self.bind in (Command.BIND_TRANSMITTER, Command.BIND_TRANSCEIVER)

    async def run(self) -> None:
        """Serve the connection until the ESME unbinds or goes away."""
        try:
            while not self.closed.is_set():
                try:
                    pdu = await read_pdu(self.reader)
                except PduError as exc:
                    log.info("closing a session that sent an unframeable PDU: %s", exc)
                    await self._send(Command.GENERIC_NACK, exc.status, 0)
                    break
                if pdu is None:
                    break
                await self._handle(pdu)
        except (ConnectionError, OSError) as exc:
            log.info("session of %r lost: %s", self.system_id or "unbound ESME", exc)
        finally:
            await self._finish()

    async def _handle(self, pdu: Pdu) -> None:
        command = pdu.command_id
        if command & RESP:
            future = self._waiting.pop(pdu.sequence, None)
            if future is not None and not future.done():
                future.set_result(pdu.status)
            return
        if command in BINDS:
            await self._bind(pdu, Command(command))
        elif command == Command.ENQUIRE_LINK:
            await self._send(command | RESP, "ESME_ROK", pdu.sequence)
        elif command == Command.UNBIND:
            await self._unbind(pdu)
        elif command == Command.SUBMIT_SM:
            await self._submit(pdu)
        elif command in _NOT_OFFERED:
            await self._send(command | RESP, "ESME_RINVCMDID", pdu.sequence)
        else:
            await self._send(Command.GENERIC_NACK, "ESME_RINVCMDID", pdu.sequence)

    async def _bind(self, pdu: Pdu, command: Command) -> None:
        if self.bind is not None:
            await self._send(command | RESP, "ESME_RALYBND", pdu.sequence)
            return
        try:
            request = parse_bind(pdu.body)
            status = self.smsc.authorize(request)
        except PduError as exc:
            status = exc.status
        if status != "ESME_ROK":
            log.info("bind %s refused: %s", command.name.lower(), status)
            await self._send(command | RESP, status, pdu.sequence)
            return
        self.bind, self.system_id = command, request.system_id
        self.esme_version = request.interface_version
        body = bind_resp_body(self.smsc.system_id, self.esme_version)
        await self._send(command | RESP, "ESME_ROK", pdu.sequence, body)
        self.smsc.bound(self)

    async def _unbind(self, pdu: Pdu) -> None:
        if self.bind is None:
            await self._send(Command.UNBIND | RESP, "ESME_RINVBNDSTS", pdu.sequence)
            return
        await self._send(Command.UNBIND | RESP, "ESME_ROK", pdu.sequence)
        self.closed.set()

    async def _submit(self, pdu: Pdu) -> None:
        if not self.transmits:
            await self._send(Command.SUBMIT_SM | RESP, "ESME_RINVBNDSTS", pdu.sequence)
            return
        try:
            submit = decode_submit(pdu)
            status, message_id = self.smsc.submit(self, submit)
        except PduError as exc:
            log.info("submit_sm from %s refused: %s", self.system_id, exc)
            status, message_id = exc.status, ""
        body = c_string(message_id) if status == "ESME_ROK" else b""
        await self._send(Command.SUBMIT_SM | RESP, status, pdu.sequence, body)

    async def deliver(self, receipt: Receipt) -> bool:
        """Send one receipt; True once the ESME acknowledged it with ESME_ROK."""
        if not self.receives:
            return False
        sequence = next(self._sequence)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[sequence] = future
        data = receipt.pdu(sequence, with_tlvs=self.esme_version >= INTERFACE_VERSION)
        try:
            await self._write(data)
            status = await asyncio.wait_for(future, RESPONSE_TIMEOUT)
        except (TimeoutError, ConnectionError, OSError):
            return False
        finally:
            self._waiting.pop(sequence, None)
        return status == 0

    async def unbind(self) -> None:
        """The SMSC ends the session (shutting down): unbind, wait briefly for unbind_resp."""
        if self.closed.is_set():
            return
        if self.bind is not None:
            sequence = next(self._sequence)
            future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._waiting[sequence] = future
            with contextlib.suppress(TimeoutError, ConnectionError, OSError):
                await self._write(encode(Command.UNBIND, 0, sequence))
                await asyncio.wait_for(future, 2.0)
            self._waiting.pop(sequence, None)
        self.closed.set()
        self.writer.close()

    async def _send(self, command_id: int, status: str, sequence: int, body: bytes = b"") -> None:
        await self._write(encode(command_id, status_code(status), sequence, body))

    async def _write(self, data: bytes) -> None:
        async with self._write_lock:
            self.writer.write(data)
            await self.writer.drain()

    async def _finish(self) -> None:
        self.closed.set()
        for future in self._waiting.values():
            if not future.done():
                future.set_result(-1)  # no answer will come: not ESME_ROK
        self._waiting.clear()
        self.smsc.unbound(self)
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
