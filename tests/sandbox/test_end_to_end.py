"""End to end: `dlrkit sandbox` posts signed reports to `dlrkit serve` (both real processes on
loopback ports); the outcomes the service stores are the ones each scenario ordered.

The expectations are written per provider: what each provider's reports can say about a fate
(SMSPartner's receipt words, for instance, carry no reason).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlrkit.sandbox.fates import magic_fate
from dlrkit.sandbox.texts import NumberCheck, check_number
from tests.sandbox.conftest import INFOBIP_AUTH, PLIVO_AUTH, PLIVO_ID, SMSP_KEY
from tests.sandbox.live import service_and_sandbox, settle, stored_outcomes
from tests.service.conftest import LiveServer

SCENARIO = """
name = "e2e"
seed = 2024
[mix]
delivered = 50
absent_subscriber = 15
unknown_subscriber = 10
expired = 10
busy = 15
[delays]
delivered = [1, 6]
default = [1, 6]
expired = 8
answer = [1, 3]
duplicate = [0.5, 3]
[reports]
duplicates = 0.3
out_of_order = 0.5
"""

# (provider, channel) -> fate -> the (state, reason) the service must store.
EXPECTED: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("infobip", "sms"): {
        "delivered": ("delivered", "none"),
        "absent_subscriber": ("undelivered", "recipient_unreachable"),
        "unknown_subscriber": ("undelivered", "recipient_invalid"),
        "expired": ("expired", "expired"),
        "busy": ("undelivered", "recipient_busy"),
    },
    ("infobip", "voice"): {
        "delivered": ("delivered", "none"),
        "absent_subscriber": ("undelivered", "recipient_unreachable"),
        "unknown_subscriber": ("undelivered", "recipient_invalid"),
        "expired": ("expired", "expired"),
        "busy": ("undelivered", "recipient_busy"),
    },
    ("smspartner", "sms"): {  # receipt words only: DELIVRD, UNDELIV, REJECTD, EXPIRED
        "delivered": ("delivered", "none"),
        "absent_subscriber": ("undelivered", "unknown"),
        "unknown_subscriber": ("rejected", "unknown"),
        "expired": ("expired", "expired"),
        "busy": ("undelivered", "unknown"),
    },
    ("plivo", "voice"): {
        "delivered": ("delivered", "none"),
        "absent_subscriber": ("undelivered", "recipient_unreachable"),
        "unknown_subscriber": ("undelivered", "recipient_invalid"),
        "expired": ("undelivered", "recipient_no_answer"),  # calls have no validity period
        "busy": ("undelivered", "recipient_busy"),
    },
    ("plivo", "sms"): {  # Status word + messaging ErrorCode
        "delivered": ("delivered", "none"),
        "absent_subscriber": ("undelivered", "recipient_unreachable"),  # 80
        "unknown_subscriber": ("undelivered", "recipient_invalid"),  # 70
        "expired": ("undelivered", "expired"),  # 420: Plivo reports it "undelivered"
        "busy": ("undelivered", "recipient_unreachable"),  # 80: SMS has no busy
    },
}
# Refused at send time (no fate): (provider, channel) -> native code -> (state, reason).
REFUSED: dict[tuple[str, str], dict[int, tuple[str, str]]] = {
    ("infobip", "sms"): {8: ("rejected", "recipient_invalid")},  # REJECTED_PREFIX_MISSING
    ("plivo", "voice"): {1020: ("rejected", "rate_limited")},  # simultaneous dial limit reached
}


def numbers(count: int, start: int) -> list[str]:
    """Valid French mobile numbers that are not magic numbers (the scenario decides their fate)."""
    out = []
    n = start
    while len(out) < count:
        candidate = f"336{12000000 + n * 7919:08d}"[:11]
        n += 1
        if magic_fate(candidate) is None and check_number(candidate).check is NumberCheck.VALID:
            out.append(candidate)
    return out


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    tmp = tmp_path_factory.mktemp("e2e")
    scenario = tmp / "e2e.toml"
    scenario.write_text(SCENARIO)
    with service_and_sandbox(tmp, "--scenario", str(scenario), "--speed", "20") as running:
        yield running


def compare(
    service: LiveServer,
    sandbox: LiveServer,
    key: str,
    provider: str,
    channel: str,
    ids: dict[str, str],
) -> Counter[str]:
    """Assert each stored outcome is what the scenario ordered; the fates met, counted."""
    ledger = {
        m["id"]: m for m in settle(sandbox) if m["provider"] == provider and m["channel"] == channel
    }
    stored = stored_outcomes(service, key, provider)
    fates: Counter[str] = Counter()
    for ledger_id, stored_id in ids.items():
        message = ledger[ledger_id]
        assert all(cb["outcome"] == "delivered" for cb in message["callbacks"]), message[
            "callbacks"
        ]
        outcome = stored[stored_id]
        fate = message["fate"]
        if fate is None:
            fate = "refused"
            code = next(iter(message["codes"].values()))
            want = REFUSED[(provider, channel)][code]
        else:
            want = EXPECTED[(provider, channel)][fate]
        got = (outcome["state"], outcome["reason"])
        assert got == want, (
            f"{provider} {channel} {stored_id} ordered {fate}: stored {got}, expected {want}"
        )
        assert outcome["final"] is True
        fates[fate] += 1
    return fates


def test_infobip_sms_and_voice(stack: tuple[LiveServer, LiveServer, str]) -> None:
    service, sandbox, key = stack
    to = numbers(40, 0)
    body = {
        "messages": [
            {
                "from": "Shop",
                "destinations": [{"to": t} for t in to],
                "text": "Your parcel is on its way",
            }
        ]
    }
    sent = httpx.post(
        sandbox.url + "/sms/2/text/advanced", json=body, headers=INFOBIP_AUTH, timeout=10
    ).json()
    ids = {m["messageId"]: m["messageId"] for m in sent["messages"]}
    fates = compare(service, sandbox, key, "infobip", "sms", ids)
    assert len(fates) == 5
    assert sum(fates.values()) == 40

    body = {"messages": [{"destinations": [{"to": "999123"}], "text": "x"}]}
    rejected = httpx.post(
        sandbox.url + "/sms/2/text/advanced", json=body, headers=INFOBIP_AUTH, timeout=10
    ).json()
    [entry] = rejected["messages"]
    assert compare(
        service, sandbox, key, "infobip", "sms", {entry["messageId"]: entry["messageId"]}
    ) == {"refused": 1}

    calls = {
        "messages": [
            {
                "from": "41793026700",
                "destinations": [{"to": t} for t in numbers(15, 100)],
                "text": "Reminder: your appointment is tomorrow",
            }
        ]
    }
    sent = httpx.post(
        sandbox.url + "/tts/3/advanced", json=calls, headers=INFOBIP_AUTH, timeout=10
    ).json()
    fates = compare(
        service,
        sandbox,
        key,
        "infobip",
        "voice",
        {m["messageId"]: m["messageId"] for m in sent["messages"]},
    )
    assert sum(fates.values()) == 15


def test_smspartner(stack: tuple[LiveServer, LiveServer, str]) -> None:
    service, sandbox, key = stack
    ids = {}
    for number in numbers(30, 200):  # one number per send: the service keys outcomes by message id
        r = httpx.post(
            sandbox.url + "/v1/send",
            json={"apiKey": SMSP_KEY, "phoneNumbers": "+" + number, "message": "Bonjour"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        message_id = r.json()["message_id"]
        ids[f"{message_id}/+{number}"] = str(message_id)
    fates = compare(service, sandbox, key, "smspartner", "sms", ids)
    assert sum(fates.values()) == 30
    assert len(fates) >= 4


def test_plivo_calls(stack: tuple[LiveServer, LiveServer, str]) -> None:
    service, sandbox, key = stack
    to = numbers(20, 300)
    r = httpx.post(
        f"{sandbox.url}/v1/Account/{PLIVO_ID}/Call/",
        auth=PLIVO_AUTH,
        timeout=10,
        json={"from": "14155550100", "to": "<".join(to), "answer_url": "https://example.com/a.xml"},
    )
    assert r.status_code == 201
    fates = compare(
        service, sandbox, key, "plivo", "voice", {u: u for u in r.json()["request_uuid"]}
    )
    assert fates["refused"] == 10  # the default limit: 10 simultaneous calls (hangup cause 1020)
    assert sum(fates.values()) == 20
    assert len(fates) >= 4


def test_plivo_messages_in_disorder_and_duplicated(
    stack: tuple[LiveServer, LiveServer, str],
) -> None:
    service, sandbox, key = stack
    r = httpx.post(
        f"{sandbox.url}/v1/Account/{PLIVO_ID}/Message/",
        auth=PLIVO_AUTH,
        timeout=10,
        json={"src": "14155550100", "dst": "<".join(numbers(25, 400)), "text": "Your code is 0042"},
    )
    assert r.status_code == 202
    uuids = r.json()["message_uuid"]
    fates = compare(service, sandbox, key, "plivo", "sms", {u: u for u in uuids})
    assert sum(fates.values()) == 25
    assert len(fates) >= 4
    ledger = [m for m in settle(sandbox) if m["id"] in uuids]
    kinds = Counter(cb["kind"] for m in ledger for cb in m["callbacks"])
    assert kinds["duplicate"] > 0
    assert kinds["intermediate"] == 50
    late = [m for m in ledger if _sent_after_final(m)]
    assert late, "the scenario asks for out-of-order reports: some 'sent' must come after the final"


def _sent_after_final(message: dict[str, Any]) -> bool:
    due = {
        cb["body"].split("Status=")[1].split("&")[0]: cb["due"]
        for cb in message["callbacks"]
        if cb["kind"] != "duplicate"
    }
    return due["sent"] > max(v for k, v in due.items() if k not in ("queued", "sent"))


def test_fire_as_a_traffic_source(
    tmp_path: Path, stack: tuple[LiveServer, LiveServer, str]
) -> None:
    service, _, key = stack
    before = len(stored_outcomes(service, key, "infobip"))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlrkit",
            "sandbox",
            "--fire",
            "200",
            "--rate",
            "400",
            "--provider",
            "infobip",
            "--callback-base",
            service.url,
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    stats: dict[str, Any] = json.loads(run.stdout)
    assert (stats["sent"], stats["accepted"], stats["refused"], stats["errors"]) == (200, 200, 0, 0)
    assert stats["statuses"] == {"200": 200}
    assert len(stored_outcomes(service, key, "infobip")) == before + 200
