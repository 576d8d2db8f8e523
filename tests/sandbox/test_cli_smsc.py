"""The SMSC through the real CLI: `dlrkit sandbox --smpp-port N` in a child process, an ESME
(smpplib) that binds, submits and receives the delivery receipt; the receipt also posted over
HTTP with --smpp-forward-url; the SMSC sharing the sandbox's ledger; bad SMPP options."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import smpplib.client  # type: ignore[import-untyped]
import smpplib.consts  # type: ignore[import-untyped]
import smpplib.exceptions  # type: ignore[import-untyped]

from dlrkit.normalizer import normalize
from dlrkit.sandbox.smpp_outcomes import status_code
from tests.sandbox.conftest import Receiver
from tests.sandbox.live import live_sandbox
from tests.service.conftest import dlrkit, free_port


class Esme:
    """A transceiver ESME (smpplib) that records submit_sm_resp and deliver_sm PDUs."""

    def __init__(self, port: int, system_id: str, password: str) -> None:
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=5, allow_unknown_opt_params=True
        )
        self.sent: list[Any] = []
        self.received: list[Any] = []
        self.client.set_message_sent_handler(lambda pdu, **_: self.sent.append(pdu))
        self.client.set_message_received_handler(lambda pdu, **_: self.received.append(pdu))
        self.client.connect()
        try:
            self.client.bind_transceiver(system_id=system_id, password=password)
        except BaseException:
            self.client.disconnect()
            raise

    def submit(self, destination: str, text: bytes, registered_delivery: int = 1) -> str:
        self.client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="ACME",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr=destination,
            short_message=text,
            registered_delivery=registered_delivery,
        )
        while not self.sent:
            self.client.read_once()
        message_id: bytes | str = self.sent.pop(0).message_id
        return message_id.decode() if isinstance(message_id, bytes) else message_id

    def receipt(self, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while not self.received:
            assert time.monotonic() < deadline, "no receipt"
            self.client.read_once()  # a socket timeout sends an enquire_link and goes on
        return self.received.pop(0)

    def close(self) -> None:
        self.client.unbind()
        self.client.disconnect()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_sandbox_runs_the_smsc_an_esme_binds_submits_and_gets_the_receipt(
    receiver: Receiver,
) -> None:
    smpp_port = free_port()
    args = (
        *("--smpp-port", str(smpp_port), "--smpp-account", "esme1:secret"),
        *("--smpp-forward-url", receiver.url + "/webhooks/smpp"),
        *("--smpp-forward-token", "t0ken", "--speed", "100"),
    )
    with live_sandbox(*args) as server:
        esme = Esme(smpp_port, "esme1", "secret")
        try:
            absent = esme.submit("33612349901", b"Your parcel")  # magic: absent subscriber
            receipt = esme.receipt()
            delivered = esme.submit("33612345678", b"Hello")  # ordinary: delivered
            second = esme.receipt()
        finally:
            esme.close()
        ledger = httpx.get(server.url + "/_sandbox/messages?provider=smpp", timeout=5).json()
        deadline = time.monotonic() + 10
        while len(receiver.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    assert "SMPP 3.4 SMSC on 127.0.0.1:" in server.output
    assert f"binds; also posted to {receiver.url}/webhooks/smpp\n" in server.output
    assert "Traceback" not in server.output

    text = _text(receipt.short_message)
    assert text.startswith(f"id:{absent} sub:001 dlvrd:000 ")
    assert "stat:UNDELIV err:027 text:Your parcel" in text
    assert receipt.esm_class == 0x04  # SMSC delivery receipt
    assert _text(receipt.receipted_message_id).rstrip("\0") == absent
    [outcome] = normalize(text.encode(), "smpp")
    assert (outcome.state.value, outcome.reason.value) == ("undelivered", "recipient_unreachable")
    assert f"id:{delivered} " in _text(second.short_message)
    assert "stat:DELIVRD err:000" in _text(second.short_message)

    # the SMSC writes into the sandbox's ledger, like the HTTP imitations
    fates = {m["id"]: m["fate"] for m in ledger}
    assert fates == {absent: "absent_subscriber", delivered: "delivered"}

    # and posts each receipt, as an SMPP-to-HTTP gateway would
    assert [c.path for c in receiver.calls] == ["/webhooks/smpp", "/webhooks/smpp"]
    assert {c.headers["x-dlr-token"] for c in receiver.calls} == {"t0ken"}
    posted = {json.loads(c.body)["receipted_message_id"] for c in receiver.calls}
    assert posted == {absent, delivered}


def _bind_status(port: int, system_id: str, password: str) -> int:
    try:
        Esme(port, system_id, password).close()
        return 0
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])


def test_default_account_and_refused_binds() -> None:
    smpp_port = free_port()
    with live_sandbox("--smpp-port", str(smpp_port)) as server:
        assert _bind_status(smpp_port, "dlrkit", "sandbox") == 0
        assert _bind_status(smpp_port, "dlrkit", "wrong") == status_code("ESME_RINVPASWD")
        assert _bind_status(smpp_port, "nobody", "sandbox") == status_code("ESME_RINVSYSID")
    assert f"127.0.0.1:{smpp_port} (bind as dlrkit:sandbox" in server.output
    assert (
        "receipts: deliver_sm to receiver/transceiver binds "
        "(--smpp-forward-url also posts them over HTTP)\n"
    ) in server.output


def test_without_smpp_port_there_is_no_smsc() -> None:
    with live_sandbox() as server:
        pass
    assert "SMPP" not in server.output


def test_bad_smpp_options_are_clear_errors() -> None:
    help_text = dlrkit("sandbox", "--help").stdout
    for option in ("--smpp-port", "--smpp-account", "--smpp-forward-url"):
        assert option in help_text
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = dlrkit("sandbox", "--port", str(free_port()), "--smpp-port", str(port))
    assert busy.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port} (--smpp-port)" in busy.stderr
    for args, message in (
        (("--smpp-port", "70000"), "argument --smpp-port"),
        (("--smpp-port", "0", "--smpp-account", "no-password"), "--smpp-account"),
        (("--smpp-port", "0", "--smpp-account", "esme:password-too-long"), "--smpp-account"),
    ):
        run = dlrkit("sandbox", "--port", str(free_port()), *args)
        assert run.returncode == 2, args
        assert message in run.stderr, (args, run.stderr)
        assert "Traceback" not in run.stderr
