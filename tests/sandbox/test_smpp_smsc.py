"""The sandbox SMSC against real SMPP clients on loopback ports.

Clients: smpp34's asyncio client (bind, submit_sm, deliver_sm receipts), smpplib (binds and
the session state machine; smpp34's client does not report why a bind was refused) and, when
Debian's kannel package is installed, Kannel's bearerbox and smsbox as an independent ESME.
Receipts are read back through dlrkit's own SMPP adapter and classifier, and forwarded to a
real `dlrkit serve` app over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import smpp34
import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.exceptions  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.smpp_outcomes import status_code
from dlrkit.sandbox.smpp_receipts import Forwarder
from dlrkit.sandbox.smpp_serve import SmscServer, main, parse_account
from dlrkit.sandbox.smpp_smsc import Account, Smsc
from tests.service.conftest import free_port

pytestmark = pytest.mark.anyio

FAST = 1_000_000.0  # sandbox clock speed: a 48-hour validity lasts 0.17 real seconds
ACCOUNTS = (
    Account("esme1", "secret"),
    Account("limited", "pw", max_tps=2),
    Account("single", "pw", max_binds=1),
)
RECEIPT_RE = re.compile(
    r"id:(?P<id>[0-9A-F]{16}) sub:001 dlvrd:(?P<dlvrd>00[01])"
    r" submit date:(?P<submit>\d{10}) done date:(?P<done>\d{10})"
    r" stat:(?P<stat>[A-Z]{7}) err:(?P<err>\d{3}) text:(?P<text>.*)"
)
TLV_RECEIPTED_ID, TLV_NETWORK_ERROR, TLV_STATE = 0x001E, 0x0423, 0x0427


@asynccontextmanager
async def smsc_running(**options: Any) -> AsyncIterator[SmscServer]:
    options.setdefault("clock", Clock(speed=FAST))
    async with SmscServer(Smsc(ACCOUNTS, **options)) as server:
        yield server


@asynccontextmanager
async def esme(
    server: SmscServer, system_id: str = "esme1", password: str = "secret", bind: str = "TRX"
) -> AsyncIterator[smpp34.Smsc]:
    client = smpp34.Client("127.0.0.1", server.port, system_id, password, bind_type=bind)
    try:
        session = await asyncio.wait_for(client.connect(), 5)
        yield session
        await session.unbind()
    finally:
        await client.stop()


async def submit(session: smpp34.Smsc, destination: str, **fields: Any) -> smpp34.SubmitSmResp:
    fields.setdefault("source_addr", "ACME")
    fields.setdefault("source_addr_ton", 5)
    fields.setdefault("registered_delivery", 1)
    text = fields.pop("text", b"Your parcel arrives today")
    return await asyncio.wait_for(session.submit_sm(destination, text, **fields), 5)


async def receipt(session: smpp34.Smsc, timeout: float = 5) -> smpp34.DeliverSmEvent:
    event = await asyncio.wait_for(session.next(), timeout)
    assert isinstance(event, smpp34.DeliverSmEvent)
    return event


def tlvs(event: smpp34.DeliverSmEvent) -> dict[int, bytes]:
    return {t.tag: t.value for t in event.tlvs}


def as_fields(event: smpp34.DeliverSmEvent) -> dict[str, object]:
    """The deliver_sm in the JSON form dlrkit's SMPP adapter reads."""
    found = tlvs(event)
    doc: dict[str, object] = {
        "source_addr": event.source_addr,
        "destination_addr": event.destination_addr,
        "esm_class": event.esm_class,
        "short_message": event.short_message.decode("ascii"),
        "receipted_message_id": found[TLV_RECEIPTED_ID].rstrip(b"\0").decode("ascii"),
        "message_state": found[TLV_STATE][0],
    }
    if TLV_NETWORK_ERROR in found:
        doc["network_error_code"] = found[TLV_NETWORK_ERROR].hex()
    return doc


def outcome_of(payload: bytes | dict[str, object]) -> tuple[str, str]:
    from dlrkit.normalizer import normalize  # late: see tests/service/conftest.py _late_imports

    body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
    [outcome] = normalize(body, "smpp")
    return outcome.state.value, outcome.reason.value


# --- bind, submit, receipt ------------------------------------------------------------------


async def test_transceiver_gets_an_appendix_b_receipt_with_tlvs() -> None:
    async with smsc_running() as server, esme(server) as session:
        resp = await submit(session, "33612349900", text=b"Votre colis arrive aujourd'hui")
        assert resp.command_status == 0
        assert resp.message_id is not None
        assert re.fullmatch(r"[0-9A-F]{16}", resp.message_id)
        event = await receipt(session)
    assert (event.source_addr, event.destination_addr) == ("33612349900", "ACME")
    assert (event.source_addr_ton, event.dest_addr_ton) == (1, 5)  # the submit's, swapped
    assert event.esm_class == 0x04
    m = RECEIPT_RE.fullmatch(event.short_message.decode("ascii"))
    assert m is not None, event.short_message
    assert (m["id"], m["dlvrd"], m["stat"], m["err"]) == (resp.message_id, "001", "DELIVRD", "000")
    assert m["text"] == "Votre colis arrive a"  # the first 20 characters
    assert m["submit"] <= m["done"]
    assert tlvs(event) == {TLV_RECEIPTED_ID: resp.message_id.encode() + b"\0", TLV_STATE: b"\x02"}
    assert outcome_of(event.short_message) == ("delivered", "none")
    assert outcome_of(as_fields(event)) == ("delivered", "none")


# suffix -> fate's receipt: stat, MAP error, message_state, outcome through dlrkit's adapter
MAGIC_RECEIPTS = {
    "9900": ("DELIVRD", 0, 2, "delivered", "none"),
    "9901": ("UNDELIV", 27, 5, "undelivered", "recipient_unreachable"),
    "9902": ("UNDELIV", 1, 5, "undelivered", "recipient_invalid"),
    "9903": ("EXPIRED", 0, 3, "expired", "expired"),
    "9904": ("UNDELIV", 31, 5, "undelivered", "recipient_busy"),
    "9905": ("UNDELIV", 27, 5, "undelivered", "recipient_unreachable"),
    "9906": ("UNDELIV", 13, 5, "undelivered", "recipient_blocked"),
    "9907": ("UNDELIV", 13, 5, "undelivered", "recipient_blocked"),
}


@pytest.mark.parametrize(("suffix", "expected"), MAGIC_RECEIPTS.items(), ids=MAGIC_RECEIPTS)
async def test_magic_numbers_order_the_receipt(suffix: str, expected: tuple[Any, ...]) -> None:
    stat, err, state, outcome_state, reason = expected
    async with smsc_running() as server, esme(server) as session:
        resp = await submit(session, "4420794" + suffix)
        event = await receipt(session)
        [message] = server.smsc.ledger.select("smpp")
    m = RECEIPT_RE.fullmatch(event.short_message.decode("ascii"))
    assert m is not None
    assert (m["id"], m["stat"], int(m["err"])) == (resp.message_id, stat, err)
    found = tlvs(event)
    assert found[TLV_STATE] == bytes([state])
    assert found.get(TLV_NETWORK_ERROR) == (struct.pack(">BH", 3, err) if err else None)
    assert outcome_of(as_fields(event)) == (outcome_state, reason)
    assert message.codes == {"stat": stat, "message_state": state, "err": err}
    assert (message.magic, message.status) == (True, "reported")


SUBMIT_MAGIC = {
    "9980": "ESME_RTHROTTLED",
    "9981": "ESME_RMSGQFUL",
    "9982": "ESME_RSYSERR",
    "9983": "ESME_RINVDSTADR",
    "9984": "ESME_RSUBMITFAIL",
}


@pytest.mark.parametrize(("suffix", "name"), SUBMIT_MAGIC.items(), ids=SUBMIT_MAGIC.values())
async def test_magic_numbers_refuse_at_submission(suffix: str, name: str, catalog: Any) -> None:
    [entry] = catalog.by_name("smpp", name, kind="api_error", channel="command_status")
    async with smsc_running() as server, esme(server) as session:
        resp = await submit(session, "3361234" + suffix)
        assert server.smsc.ledger.select("smpp") == []
    assert (resp.command_status, resp.message_id) == (entry.code, None)


REFUSED_FIELDS = [
    ("destination_not_digits", "3361234abcd", {}, "ESME_RINVDSTADR"),
    ("destination_over_e164", "3361234567890123", {}, "ESME_RINVDSTADR"),
    ("alphanumeric_sender_over_11", "33612349900", {"source_addr": "ACME-PARCELS"}, "ESME_RINVSRCADR"),
    ("numeric_sender_not_digits", "33612349900", {"source_addr": "12AB", "source_addr_ton": 1}, "ESME_RINVSRCADR"),
    ("source_ton_7", "33612349900", {"source_addr_ton": 7}, "ESME_RINVSRCTON"),
    ("dest_ton_7", "33612349900", {"dest_addr_ton": 7}, "ESME_RINVDSTTON"),
    ("receipt_type_3", "33612349900", {"registered_delivery": 3}, "ESME_RINVREGDLVFLG"),
    ("priority_4", "33612349900", {"priority_flag": 4}, "ESME_RINVPRTFLG"),
    ("validity_not_smpp_time", "33612349900", {"validity_period": "tomorrow"}, "ESME_RINVEXPIRY"),
    ("schedule_not_smpp_time", "33612349900", {"schedule_delivery_time": "2501011200"}, "ESME_RINVSCHED"),
    ("text_and_payload", "33612349900",
     {"tlvs": [smpp34.Tlv(0x0424, b"long text")]}, "ESME_RINVMSGLEN"),
]  # fmt: skip


@pytest.mark.parametrize(("destination", "fields", "name"), [r[1:] for r in REFUSED_FIELDS],
                         ids=[r[0] for r in REFUSED_FIELDS])  # fmt: skip
async def test_each_field_rule_has_its_command_status(
    destination: str, fields: dict[str, Any], name: str, catalog: Any
) -> None:
    [entry] = catalog.by_name("smpp", name, kind="api_error", channel="command_status")
    async with smsc_running() as server, esme(server) as session:
        resp = await submit(session, destination, **fields)
        ok = await submit(session, "33612349900")  # the session survives a refusal
    assert (resp.command_status, resp.message_id) == (entry.code, None)
    assert ok.is_success


async def test_message_payload_alone_is_accepted_and_quoted() -> None:
    async with smsc_running() as server, esme(server) as session:
        resp = await submit(
            session, "33612349900", text=b"", tlvs=[smpp34.Tlv(0x0424, b"Payload text here, long")]
        )
        event = await receipt(session)
    assert resp.is_success
    assert event.short_message.decode().endswith("text:Payload text here, l")


async def test_rate_above_max_tps_is_throttled() -> None:
    async with smsc_running() as server, esme(server, "limited", "pw") as session:
        statuses = [
            (await submit(session, "33612349900", registered_delivery=0)).command_status
            for _ in range(3)
        ]
        await asyncio.sleep(1.05)  # the one-second window slides on
        after = await submit(session, "33612349900", registered_delivery=0)
    assert statuses == [0, 0, status_code("ESME_RTHROTTLED")] == [0, 0, 0x58]
    assert after.is_success


# --- receipts: who gets them, when, how many --------------------------------------------------


async def test_receipts_wait_for_a_receiver_bind_and_keep_their_order() -> None:
    async with smsc_running() as server:
        async with esme(server, bind="TX") as tx:
            ids = [(await submit(tx, f"4420794990{i}")).message_id for i in (0, 2)]
        while server.smsc.outboxes.pending("esme1") < 2:  # both final, nobody to tell yet
            await asyncio.sleep(0.01)
        async with esme(server, bind="RX") as rx:
            got = [as_fields(await receipt(rx)) for _ in ids]
        assert server.smsc.outboxes.pending("esme1") == 0
    assert [g["receipted_message_id"] for g in got] == ids


@pytest.mark.parametrize(
    ("registered", "suffix", "stats"),
    [
        (0x00, "9901", []),
        (0x02, "9900", []),
        (0x02, "9902", ["UNDELIV"]),
        (0x11, "9900", ["ENROUTE", "DELIVRD"]),
    ],
    ids=["none", "failure_only_delivered", "failure_only_failed", "intermediate"],
)
async def test_registered_delivery_decides_which_receipts(
    registered: int, suffix: str, stats: list[str]
) -> None:
    async with smsc_running() as server, esme(server) as session:
        await submit(session, "3361234" + suffix, registered_delivery=registered)
        got = [await receipt(session) for _ in stats]
        [message] = server.smsc.ledger.select("smpp")
        while message.status != "reported":
            await asyncio.sleep(0.01)
        with pytest.raises(TimeoutError):
            await receipt(session, timeout=0.2)  # and nothing more
    assert [re.search(r"stat:(\w+)", e.short_message.decode())[1] for e in got] == stats  # type: ignore[index]
    if stats[:1] == ["ENROUTE"]:
        assert (got[0].esm_class, tlvs(got[0])[TLV_STATE]) == (0x20, b"\x01")
        assert outcome_of(as_fields(got[0]))[0] == "pending"


async def test_validity_shorter_than_the_delay_expires_the_message() -> None:
    scenario = Scenario.from_dict({"delays": {"delivered": [120, 120]}})
    start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    clock = Clock(speed=1000, start=start)
    async with smsc_running(scenario=scenario, clock=clock) as server, esme(server) as session:
        await submit(session, "33612345678", validity_period="000000000100000R")  # 60 s
        event = await receipt(session)
    m = RECEIPT_RE.fullmatch(event.short_message.decode())
    assert m is not None
    assert (m["stat"], m["submit"], m["done"]) == ("EXPIRED", "2503030900", "2503030901")


async def test_ordinary_numbers_follow_the_shared_scenario_mix() -> None:
    scenario = Scenario.from_dict(
        {"seed": 11, "mix": {"delivered": 50, "unknown_subscriber": 30, "busy": 20}}
    )
    numbers = [f"336123456{i:02d}" for i in range(24)]
    async with smsc_running(scenario=scenario) as server, esme(server) as session:
        ids = {(await submit(session, n)).message_id: n for n in numbers}
        got = [as_fields(await receipt(session)) for _ in numbers]
    expected = {
        "delivered": ("DELIVRD", "delivered"),
        "unknown_subscriber": ("UNDELIV", "undelivered"),
        "busy": ("UNDELIV", "undelivered"),
    }
    for doc in got:
        number = ids[str(doc["receipted_message_id"])]
        fate = scenario.decide("smpp", number, 0).fate
        assert str(doc["short_message"]).split("stat:")[1][:7] == expected[fate.value][0]
        assert outcome_of(doc)[0] == expected[fate.value][1]
    assert len({outcome_of(doc) for doc in got}) == 3  # the mix really mixes


async def test_duplicates_resend_the_same_final_receipt() -> None:
    scenario = Scenario.from_dict({"reports": {"duplicates": 1.0}})
    async with smsc_running(scenario=scenario) as server, esme(server) as session:
        await submit(session, "33612349900")
        first, second = await receipt(session), await receipt(session)
    assert first.short_message == second.short_message


# --- binds and the session state machine (smpplib as the client) ----------------------------


def _bind(port: int, system_id: str, password: str, how: str = "bind_transceiver") -> int:
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    client.connect()
    try:
        getattr(client, how)(system_id=system_id, password=password)
        client.unbind()
        return 0
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        client.disconnect()


BIND_CASES = {
    "transmitter": ("esme1", "secret", "bind_transmitter", "ESME_ROK"),
    "receiver": ("esme1", "secret", "bind_receiver", "ESME_ROK"),
    "wrong_password": ("esme1", "wrong", "bind_transceiver", "ESME_RINVPASWD"),
    "empty_password": ("esme1", "", "bind_transmitter", "ESME_RINVPASWD"),
    "password_over_8": ("esme1", "longer-than-8", "bind_transceiver", "ESME_RINVPASWD"),
    "unknown_system_id": ("nobody", "secret", "bind_transceiver", "ESME_RINVSYSID"),
}


@pytest.mark.parametrize(
    ("system_id", "password", "how", "name"), BIND_CASES.values(), ids=BIND_CASES
)
async def test_bind_checks_system_id_and_password(
    system_id: str, password: str, how: str, name: str
) -> None:
    async with smsc_running() as server:
        status = await asyncio.to_thread(_bind, server.port, system_id, password, how)
    assert status == status_code(name)
    assert smpplib.consts.DESCRIPTIONS[status] == {
        "ESME_ROK": "No Error", "ESME_RINVPASWD": "Invalid Password", "ESME_RINVSYSID": "Invalid System ID"
    }[name]  # fmt: skip


def _session_script(port: int) -> dict[str, int]:
    """One connection walked through the SMPP 3.4 state machine, out of order on purpose.

    PDUs are built by smpplib's codec and written directly: its client refuses to send a
    command in the wrong state, which is the point here.
    """
    seen: dict[str, int] = {}
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    client.connect()

    def ask(command: str, **fields: Any) -> int:
        client._socket.sendall(smpplib.smpp.make_pdu(command, client=client, **fields).generate())
        return int(client.read_pdu().status)

    sm = {"source_addr": "ACME", "destination_addr": "33612349900", "short_message": b"x"}
    try:
        seen["submit_before_bind"] = ask("submit_sm", **sm)
        seen["enquire_link_open"] = ask("enquire_link")
        seen["bind_receiver"] = ask("bind_receiver", system_id="esme1", password="secret")
        seen["bind_again"] = ask("bind_transceiver", system_id="esme1", password="secret")
        seen["submit_on_receiver"] = ask("submit_sm", **sm)
        seen["query_sm"] = ask("query_sm", message_id="AB", source_addr="ACME")
        seen["enquire_link_bound"] = ask("enquire_link")
        seen["unbind"] = ask("unbind")
        seen["closed_after_unbind"] = int(client._socket.recv(1) == b"")
    finally:
        client.disconnect()
    return seen


async def test_session_state_machine() -> None:
    async with smsc_running() as server:
        seen = await asyncio.to_thread(_session_script, server.port)
    assert seen == {
        "submit_before_bind": status_code("ESME_RINVBNDSTS"),
        "enquire_link_open": 0,
        "bind_receiver": 0,
        "bind_again": status_code("ESME_RALYBND"),
        "submit_on_receiver": status_code("ESME_RINVBNDSTS"),
        "query_sm": status_code("ESME_RINVCMDID"),
        "enquire_link_bound": 0,
        "unbind": 0,
        "closed_after_unbind": 1,
    }


async def test_sessions_beyond_max_binds_fail() -> None:
    async with smsc_running() as server, esme(server, "single", "pw"):
        status = await asyncio.to_thread(_bind, server.port, "single", "pw")
    assert status == status_code("ESME_RBINDFAIL")


async def test_unframeable_and_unknown_pdus_get_generic_nack() -> None:
    async with smsc_running() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(struct.pack(">IIII", 16, 0x00000999, 0, 7))  # unknown command_id
        nack = struct.unpack(">IIII", await reader.readexactly(16))
        writer.write(struct.pack(">IIII", 16, 0x00000102, 0, 9))  # alert_notification: no resp PDU
        alert = struct.unpack(">IIII", await reader.readexactly(16))
        writer.write(struct.pack(">IIII", 8, 0x15, 0, 8))  # command_length below the header
        bad = struct.unpack(">IIII", await reader.readexactly(16))
        closed = await asyncio.wait_for(reader.read(1), 5)
        writer.close()
    assert nack == (16, 0x80000000, status_code("ESME_RINVCMDID"), 7)
    assert alert == (16, 0x80000000, status_code("ESME_RINVCMDID"), 9)
    assert bad == (16, 0x80000000, status_code("ESME_RINVCMDLEN"), 0)
    assert closed == b""


async def test_a_malformed_submit_sm_gets_smpp34s_status_and_the_session_goes_on() -> None:
    codec = smpplib.client.Client("127.0.0.1", 0, allow_unknown_opt_params=True)  # never connects
    bind = smpplib.smpp.make_pdu(
        "bind_transceiver", client=codec, system_id="esme1", password="secret"
    )
    good = smpp34.SubmitSm("ACME", "33612349900", b"hi", source_addr_ton=5, sequence_number=3)
    bad = bytearray(smpp34.SubmitSm("ACME", "33612349900", b"hello", sequence_number=2).encode())
    bad[-6] = 200  # sm_length far beyond the octets that follow
    async with smsc_running() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(bind.generate() + bytes(bad) + good.encode())
        answers = []
        for _ in range(3):
            length, command, status, sequence = struct.unpack(">IIII", await reader.readexactly(16))
            await reader.readexactly(length - 16)
            answers.append((command, status, sequence))
        writer.close()
    assert answers == [
        (0x80000009, 0, bind.sequence),
        (0x80000004, status_code("ESME_RINVPARLEN"), 2),
        (0x80000004, 0, 3),
    ]


@pytest.mark.parametrize(
    ("error", "name"),
    [
        ("ESME_RINVPARLEN (0x000000C2)", "ESME_RINVPARLEN"),
        ("ESME_RNOTINCATALOG (0x00000999)", "ESME_RSYSERR"),
        ("bind timed out", "ESME_RSYSERR"),
    ],
)
def test_codec_errors_map_to_catalog_statuses(error: str, name: str) -> None:
    from dlrkit.sandbox.smpp_pdu import _status_name

    assert _status_name(error) == name


async def test_stopping_the_smsc_unbinds_its_esmes() -> None:
    server = await SmscServer(Smsc(ACCOUNTS, clock=Clock(speed=FAST))).start()
    client = smpp34.Client("127.0.0.1", server.port, "esme1", "secret", bind_type="TRX")
    try:
        session = await client.connect()
        await server.stop()
        assert isinstance(await asyncio.wait_for(session.next(), 5), smpp34.Disconnected)
    finally:
        await client.stop()


# --- receipts forwarded to dlrkit's ingest service --------------------------------------------


class HttpRecorder:
    """A minimal HTTP server recording each request; the first `fail_first` get a 503."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []  # target, headers, body
        self.fail_first = fail_first
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def paths(self) -> list[str]:
        return [target for target, _, _ in self.requests]

    async def __aenter__(self) -> HttpRecorder:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((head[0].split(" ")[1], headers, body))
        failing = len(self.requests) <= self.fail_first
        writer.write(b"HTTP/1.0 503 Busy\r\n\r\n" if failing else b"HTTP/1.0 200 OK\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@asynccontextmanager
async def ingest_service(tmp_path: Path, token: str) -> AsyncIterator[tuple[str, Any]]:
    import uvicorn

    from dlrkit.service.app import create_app  # late: see tests/service/conftest.py
    from dlrkit.service.settings import Settings

    app = create_app(
        Settings.from_env({"DLRKIT_DATA_DIR": str(tmp_path), "DLRKIT_SMPP_TOKEN": token})
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, "127.0.0.1", port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize(
    ("form", "reasons"),
    [
        ("text", ["none", "recipient_unreachable", "expired"]),  # err: read as a MAP error
        ("json", ["none", "recipient_unreachable", "expired"]),
    ],
)
async def test_receipts_are_forwarded_to_the_ingest_service(
    tmp_path: Path, form: str, reasons: list[str]
) -> None:
    import httpx

    clock = Clock(speed=FAST)
    async with ingest_service(tmp_path, "t0ken") as (base, app):
        forwarder = Forwarder(f"{base}/webhooks/smpp", "t0ken", clock=clock, form=form)  # type: ignore[arg-type]
        async with (
            smsc_running(clock=clock, forwarder=forwarder) as server,
            esme(server) as session,
        ):
            ids = [(await submit(session, f"4420794990{i}")).message_id for i in (0, 1, 3)]
            for _ in ids:
                await receipt(session)
            assert await forwarder.deliverer.drain(5)
            messages = server.smsc.ledger.select("smpp")
        _, key = await app.state.store.create_key("tests")
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}
        ) as http:
            stored = [
                (await http.get(f"/messages/{i}", params={"provider": "smpp"})).json()["outcome"]
                for i in ids
            ]
    assert [(o["state"], o["reason"]) for o in stored] == list(
        zip(["delivered", "undelivered", "expired"], reasons, strict=True)
    )
    assert all(
        cb.outcome == "delivered" and cb.attempts[-1].status == 200
        for m in messages
        for cb in m.callbacks
    )


async def test_a_wrong_token_is_refused_and_not_retried(tmp_path: Path) -> None:
    clock = Clock(speed=FAST)
    async with ingest_service(tmp_path, "t0ken") as (base, _):
        forwarder = Forwarder(f"{base}/webhooks/smpp", "wrong", clock=clock)
        async with (
            smsc_running(clock=clock, forwarder=forwarder) as server,
            esme(server) as session,
        ):
            await submit(session, "33612349900")
            await receipt(session)
            assert await forwarder.deliverer.drain(5)
            [message] = server.smsc.ledger.select("smpp")
    [callback] = message.callbacks
    assert callback.outcome == "failed"
    assert [a.status for a in callback.attempts] == [403]


async def test_forwarding_retries_while_the_receiver_fails() -> None:
    clock = Clock(speed=FAST)
    async with HttpRecorder(fail_first=2) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/webhooks/smpp"
        forwarder = Forwarder(url, "t0ken", clock=clock, header="X-Relay-Token", form="text")
        async with (
            smsc_running(clock=clock, forwarder=forwarder) as server,
            esme(server) as session,
        ):
            await submit(session, "33612349901")
            sent = await receipt(session)
            assert await forwarder.deliverer.drain(5)
            [message] = server.smsc.ledger.select("smpp")
    assert [a.status for a in message.callbacks[0].attempts] == [503, 503, 200]
    target, headers, body = receiver.requests[-1]
    assert (target, headers["x-relay-token"], headers["content-type"]) == (
        "/webhooks/smpp",
        "t0ken",
        "text/plain",
    )
    assert body == sent.short_message


# --- running it: main() -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--account", "esme1"], "--account: expected system_id:password"),
        (["--account", "esme1:password-too-long"], "--account: password must be at most 8"),
        (["--account", "esme1:pw:fast"], "--account: max_tps must be a whole number, got 'fast'"),
        (["--scenario", "/nonexistent.toml"], "cannot read /nonexistent.toml"),
        (["--speed", "0"], "--speed: speed must be between"),
    ],
    ids=["no_password", "long_password", "tps_not_a_number", "missing_scenario", "speed_zero"],
)
def test_main_names_the_bad_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_parse_account() -> None:
    assert parse_account("esme1:secret:50:2") == Account("esme1", "secret", 50, 2)
    assert parse_account("esme1:secret") == Account("esme1", "secret")
    assert parse_account("esme1:secret::3") == Account("esme1", "secret", None, 3)


@contextmanager
def smsc_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    cmd = [sys.executable, "-m", "dlrkit.sandbox.smpp_serve", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


async def test_main_serves_until_interrupted() -> None:
    import signal

    with smsc_process("--account", "esme1:secret", "--speed", "100000") as (proc, port):
        for _ in range(200):
            try:
                client = smpp34.Client("127.0.0.1", port, "esme1", "secret", bind_type="TRX")
                session = await asyncio.wait_for(client.connect(), 2)
                break
            except (smpp34.SmppError, TimeoutError):
                await client.stop()
                await asyncio.sleep(0.05)
        else:
            proc.kill()
            raise AssertionError(f"the SMSC never accepted a bind: {proc.communicate()[1]}")
        try:
            resp = await submit(session, "33612349900")
            event = await receipt(session)
            await session.unbind()
        finally:
            await client.stop()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(5) == 0
    assert resp.is_success
    assert f"id:{resp.message_id} " in event.short_message.decode()


# --- Kannel (Debian's bearerbox + smsbox) as an independent ESME ------------------------------

KANNEL_CONF = """\
group = core
admin-port = {admin}
admin-password = sandbox
admin-interface = 127.0.0.1
smsbox-port = {smsbox}
box-allow-ip = 127.0.0.1
log-file = "{dir}/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sandbox
host = 127.0.0.1
port = {smsc}
receive-port = 0
transceiver-mode = true
smsc-username = esme1
smsc-password = secret
system-type = ""
source-addr-ton = 5
source-addr-npi = 0
interface-version = 34

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{dir}/smsbox.log"
log-level = 1

group = sendsms-user
username = tester
password = tester
"""


async def _until(check: Callable[[], bool], what: str, log: Path, timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise AssertionError(f"Kannel: {what} did not happen; bearerbox log ends:\n{tail}")


@pytest.mark.skipif(
    shutil.which("bearerbox") is None or shutil.which("smsbox") is None,
    reason="Debian package kannel is not installed",
)
async def test_kannel_submits_and_reads_the_receipts(tmp_path: Path) -> None:
    import httpx

    ports = {"admin": free_port(), "smsbox": free_port(), "sendsms": free_port()}
    async with HttpRecorder() as dlr, smsc_running() as server:
        conf = tmp_path / "kannel.conf"
        conf.write_text(KANNEL_CONF.format(dir=tmp_path, smsc=server.port, **ports))
        log = tmp_path / "bearerbox.log"
        boxes: list[subprocess.Popen[bytes]] = []
        try:
            boxes.append(
                subprocess.Popen(
                    ["bearerbox", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            await _until(
                lambda: any(s.system_id == "esme1" for s in server.smsc.sessions), "bind", log
            )
            boxes.append(
                subprocess.Popen(
                    ["smsbox", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            # Kannel's DLR types: 1 delivered, 2 failed; 0x20 is added for a stat:EXPIRED receipt
            numbers = {
                "33612349900": 1,
                "33612349901": 2,
                "33612349902": 2,
                "33612349903": 2 | 0x20,
            }
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['sendsms']}") as http:
                for number in numbers:
                    query = {
                        "username": "tester", "password": "tester", "from": "ACME", "to": number,
                        "text": "Hello from Kannel", "dlr-mask": "3",
                        "dlr-url": f"http://127.0.0.1:{dlr.port}/dlr?to={number}&type=%d&receipt=%A",
                    }  # fmt: skip
                    for _ in range(100):  # smsbox needs a moment to open its port
                        try:
                            answer = await http.get("/cgi-bin/sendsms", params=query)
                            break
                        except httpx.TransportError:
                            await asyncio.sleep(0.05)
                    assert answer.status_code == 202, answer.text
            await _until(lambda: len(dlr.paths) == len(numbers), "four DLR callbacks", log)
        finally:
            for box in reversed(boxes):  # bearerbox unbinds: keep the event loop free to answer
                box.terminate()
                try:
                    await asyncio.to_thread(box.wait, 10)
                except subprocess.TimeoutExpired:
                    box.kill()
                    box.wait()
        ledger_ids = {m.recipient: m.id for m in server.smsc.ledger.select("smpp")}
    from urllib.parse import parse_qs, urlsplit

    calls = {q["to"][0]: q for q in (parse_qs(urlsplit(p).query) for p in dlr.paths)}
    assert {n: int(calls[n]["type"][0]) for n in numbers} == numbers
    outcomes = {n: outcome_of(calls[n]["receipt"][0].encode()) for n in numbers}
    assert outcomes == {
        "33612349900": ("delivered", "none"),
        "33612349901": ("undelivered", "recipient_unreachable"),  # err:027 read as MAP 27
        "33612349902": ("undelivered", "recipient_invalid"),  # err:001 unknownSubscriber
        "33612349903": ("expired", "expired"),
    }
    assert all(calls[n]["receipt"][0].startswith(f"id:{ledger_ids[n]} ") for n in numbers)
