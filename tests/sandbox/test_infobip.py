"""The Infobip imitation: send answers, documented rules with their statuses, signed reports."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest

from dlrkit.normalizer import normalize
from dlrkit.sandbox.fates import Fate
from tests.sandbox.conftest import INFOBIP_AUTH, Receiver, SandboxFactory

pytestmark = pytest.mark.anyio


def sms(*to: str, text: str = "Your code is 1234", **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"from": "Shop", "destinations": [{"to": t} for t in to], "text": text, **extra}
        ]
    }


async def test_accepted_then_reported_signed_and_parsed_by_dlrkit(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url) as sb:
        r = await sb.http.post(
            "/sms/2/text/advanced",
            headers=INFOBIP_AUTH,
            json=sms("33612349900", callbackData="order=7"),
        )
        assert r.status_code == 200
        [entry] = r.json()["messages"]
        assert entry["status"]["id"] == 26
        assert entry["status"]["name"] == "PENDING_ACCEPTED"
        assert (entry["to"], entry["smsCount"]) == ("33612349900", 1)
        [call] = await receiver.wait_for(1)
    assert call.path == "/webhooks/infobip"
    expected = hmac.new(b"sandbox-infobip-secret", call.body, hashlib.sha256).hexdigest()
    assert call.headers["x-signature"] == expected
    [result] = json.loads(call.body)["results"]
    assert result["messageId"] == entry["messageId"]
    assert result["callbackData"] == "order=7"
    assert (result["status"]["name"], result["error"]["name"]) == (
        "DELIVERED_TO_HANDSET",
        "NO_ERROR",
    )
    [outcome] = normalize(call.body, "infobip")
    assert (outcome.state.value, outcome.reason.value, outcome.final) == ("delivered", "none", True)


@pytest.mark.parametrize(
    ("suffix", "status", "error", "state", "reason"),
    [
        ("9901", 9, 27, "undelivered", "recipient_unreachable"),
        ("9902", 4, 1, "undelivered", "recipient_invalid"),
        ("9903", 15, 4101, "expired", "expired"),
        ("9904", 9, 31, "undelivered", "recipient_busy"),
        ("9907", 4, 13, "undelivered", "recipient_blocked"),
    ],
)
async def test_magic_numbers_order_sms_fates(
    sandbox_factory: SandboxFactory,
    receiver: Receiver,
    suffix: str,
    status: int,
    error: int,
    state: str,
    reason: str,
) -> None:
    async with sandbox_factory(receiver.url, {"delays": {"default": 2, "expired": 5}}) as sb:
        await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("3361234" + suffix)
        )
        [call] = await receiver.wait_for(1)
    [result] = json.loads(call.body)["results"]
    assert (result["status"]["id"], result["error"]["id"]) == (status, error)
    [outcome] = normalize(call.body, "infobip")
    assert (outcome.state.value, outcome.reason.value) == (state, reason)


@pytest.mark.parametrize(
    ("to", "status", "name"),
    [
        ("999123", 8, "REJECTED_PREFIX_MISSING"),  # no country calling code 999
        ("4179302", 52, "REJECTED_DESTINATION"),  # Switzerland, too short
        ("447700900123", 52, "REJECTED_DESTINATION"),  # a UK drama range, not allocated
    ],
)
async def test_prefix_and_length_checks(
    sandbox_factory: SandboxFactory, receiver: Receiver, to: str, status: int, name: str
) -> None:
    async with sandbox_factory(receiver.url) as sb:
        r = await sb.http.post("/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms(to))
        assert r.json()["messages"][0]["status"]["id"] == status
        assert r.json()["messages"][0]["status"]["name"] == name
        [call] = await receiver.wait_for(1)  # rejected messages are reported too
    assert json.loads(call.body)["results"][0]["status"]["id"] == status
    assert sb.messages()[0]["status"] == "rejected"


async def test_sender_registration(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory() as sb:
        sb.sandbox.store.update({"infobip": {"registered_senders": ["Shop"]}})
        ok = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900")
        )
        body = sms("33612349900")
        body["messages"][0]["from"] = "Unknown"
        refused = await sb.http.post("/sms/2/text/advanced", headers=INFOBIP_AUTH, json=body)
    assert ok.json()["messages"][0]["status"]["id"] == 26
    assert refused.json()["messages"][0]["status"]["name"] == "REJECTED_SOURCE"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("x" * 153 * 25, 26),  # 25 parts: the limit
        ("x" * (153 * 25 + 1), 25),  # 26 parts
        ("é" * 2001, 25),  # 14 GSM-7 parts, but 4002 bytes of UTF-8
    ],
)
async def test_25_parts_or_4000_bytes(
    sandbox_factory: SandboxFactory, text: str, status: int
) -> None:
    async with sandbox_factory() as sb:
        r = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900", text=text)
        )
    assert r.json()["messages"][0]["status"]["id"] == status


async def test_flooding_filter_20_different_6_identical_per_hour(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url, speed=1.0) as sb:
        statuses = []
        for _ in range(7):
            r = await sb.http.post(
                "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900", text="same")
            )
            statuses.append(r.json()["messages"][0]["status"]["id"])
        assert statuses == [26] * 6 + [20]
        for i in range(14):
            r = await sb.http.post(
                "/sms/2/text/advanced",
                headers=INFOBIP_AUTH,
                json=sms("33612349900", text=f"text {i}"),
            )
            statuses.append(r.json()["messages"][0]["status"]["id"])
        assert statuses[7:] == [26] * 14  # 6 + 14 = 20 accepted in the hour
        r = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900", text="one more")
        )
        assert r.json()["messages"][0]["status"]["name"] == "REJECTED_FLOODING_FILTER"
        other = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349901", text="same")
        )
        assert other.json()["messages"][0]["status"]["id"] == 26  # per destination
        errors = [m["codes"]["error"] for m in sb.messages() if m["codes"]["status"] == 20]
        assert errors == [4104, 4103]
        sb.sandbox.clock.set(sb.sandbox.clock.now() + timedelta(hours=1, seconds=1))
        r = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900", text="same")
        )
        assert r.json()["messages"][0]["status"]["id"] == 26  # an hour later the window is free


async def test_flooding_report_names_the_error(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url) as sb:
        sb.sandbox.store.update({"infobip": {"flood_identical": 1}})
        for _ in range(2):
            await sb.http.post(
                "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900", text="same")
            )
        await receiver.wait_for(2)
    flooded = [json.loads(c.body)["results"][0] for c in receiver.calls if b"FLOODING" in c.body]
    assert [(r["status"]["id"], r["error"]["id"], r["error"]["name"]) for r in flooded] == [
        (20, 4104, "EC_DESTINATION_TXT_FLOODING")
    ]
    [outcome] = normalize(json.dumps({"results": flooded}).encode(), "infobip")
    assert (outcome.state.value, outcome.reason.value) == ("rejected", "rate_limited")


async def test_credits(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory() as sb:
        sb.sandbox.store.update({"infobip": {"credits": 0.015, "sms_price": 0.01}})
        first = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900")
        )
        second = await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900")
        )
        assert sb.sandbox.store.state.infobip.credits == pytest.approx(0.005)
    assert first.json()["messages"][0]["status"]["id"] == 26
    assert second.json()["messages"][0]["status"]["name"] == "REJECTED_NOT_ENOUGH_CREDITS"


async def test_validity_period_expires_late_reports(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    scenario = {"delays": {"delivered": 120}}  # the report would come after 2 minutes
    async with sandbox_factory(receiver.url, scenario, speed=600) as sb:
        await sb.http.post(
            "/sms/2/text/advanced", headers=INFOBIP_AUTH, json=sms("33612349900", validityPeriod=1)
        )
        [call] = await receiver.wait_for(1)
        [message] = sb.messages()
    result = json.loads(call.body)["results"][0]
    assert (result["status"]["name"], result["error"]["name"]) == (
        "EXPIRED_EXPIRED",
        "EC_VALIDITYEXPIRED",
    )
    assert message["fate"] == Fate.EXPIRED
    assert message["callbacks"][0]["due"] - message["accepted_at"] == pytest.approx(60)


async def test_default_validity_is_48_hours(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory("http://127.0.0.1:9") as sb:  # never due within the test
        await sb.http.post(
            "/sms/2/text/advanced",
            headers=INFOBIP_AUTH,
            json=sms("33612349903", validityPeriod=10_000),
        )
        [message] = sb.messages()
    assert message["codes"] == {"status": 15, "error": 4101}
    assert message["callbacks"][0]["due"] - message["accepted_at"] == pytest.approx(48 * 3600)


async def test_whole_request_errors_in_infobip_format(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory() as sb:
        r = await sb.http.post("/sms/2/text/advanced", json=sms("33612349900"))
        assert r.status_code == 401
        assert r.json() == {
            "requestError": {
                "serviceException": {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}
            }
        }
        r = await sb.http.post(
            "/sms/2/text/advanced",
            headers=INFOBIP_AUTH,
            json={"messages": [{"destinations": [{"to": ""}], "text": "x"}]},
        )
        assert r.status_code == 400
        assert r.json()["requestError"]["serviceException"]["validationErrors"] == {
            "messages[0].destinations[0].to": ["must not be blank"]
        }
        r = await sb.http.post("/sms/2/text/advanced", headers=INFOBIP_AUTH, content=b"{not json")
        assert r.status_code == 400
        assert "body" in r.json()["requestError"]["serviceException"]["validationErrors"]
        r = await sb.http.post(
            "/sms/3/messages",
            headers=INFOBIP_AUTH,
            json={"messages": [{"destinations": [{"to": "33612349900"}], "content": {}}]},
        )
        assert r.status_code == 400
        assert r.json()["errorCode"] == "E400"
        assert r.json()["violations"] == [
            {"property": "messages[0].content.text", "violation": "must not be blank"}
        ]


async def test_v3_send_and_report(sandbox_factory: SandboxFactory, receiver: Receiver) -> None:
    body = {
        "messages": [
            {
                "sender": "Shop",
                "destinations": [{"to": "33612349901"}],
                "content": {"text": "x" * 200},
                "options": {"validityPeriod": {"amount": 2, "timeUnit": "HOURS"}},
            }
        ]
    }
    async with sandbox_factory(receiver.url) as sb:
        r = await sb.http.post("/sms/3/messages", headers=INFOBIP_AUTH, json=body)
        [entry] = r.json()["messages"]
        assert entry["destination"] == "33612349901"
        assert entry["details"] == {"messageCount": 2}
        [call] = await receiver.wait_for(1)
    result = json.loads(call.body)["results"][0]
    assert (result["sender"], result["messageCount"], result["error"]["id"]) == ("Shop", 2, 27)
    [outcome] = normalize(call.body, "infobip")
    assert (outcome.state.value, outcome.segments) == ("undelivered", 2)


def voice(to: str, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {
                "from": "41793026700",
                "destinations": [{"to": to}],
                "text": "Your appointment is at ten",
                "language": "en",
                **extra,
            }
        ]
    }


@pytest.mark.parametrize(
    ("suffix", "extra", "status", "error", "reason"),
    [
        ("9900", {}, 5, 10000, "none"),
        ("9904", {}, 97, 10201, "recipient_busy"),
        ("9905", {}, 9, 10200, "recipient_no_answer"),
        ("9906", {}, 9, 10203, "recipient_declined"),
        ("9900", {"ringTimeout": 5}, 9, 10200, "recipient_no_answer"),  # rings 8 s, timeout 5 s
    ],
)
async def test_voice_reports(
    sandbox_factory: SandboxFactory,
    receiver: Receiver,
    suffix: str,
    extra: dict[str, Any],
    status: int,
    error: int,
    reason: str,
) -> None:
    scenario = {"delays": {"default": 3, "delivered": 20, "answer": 8}}
    async with sandbox_factory(receiver.url, scenario) as sb:
        r = await sb.http.post(
            "/tts/3/advanced", headers=INFOBIP_AUTH, json=voice("3361234" + suffix, **extra)
        )
        assert r.json()["messages"][0]["status"]["id"] == 26
        [call] = await receiver.wait_for(1)
    result = json.loads(call.body)["results"][0]
    assert (result["status"]["id"], result["error"]["id"]) == (status, error)
    assert result["voiceCall"]["feature"] == "Text-to-Speech"
    [outcome] = normalize(call.body, "infobip")
    assert (outcome.channel.value, outcome.reason.value) == ("voice", reason)
    if status == 5:
        assert result["voiceCall"]["duration"] == 20


@pytest.mark.parametrize(
    ("extra", "status", "name"),
    [
        ({"text": "  "}, 55, "REJECTED_MESSAGE_IS_EMPTY"),
        ({"ringTimeout": 2}, 60, "REJECTED_INVALID_RING_TIMEOUT"),
        ({"ringTimeout": 61}, 60, "REJECTED_INVALID_RING_TIMEOUT"),
        ({"notifyUrl": "ftp://x"}, 56, "REJECTED_INVALID_NOTIFY_URL"),
        ({"notifyContentType": "text/plain"}, 57, "REJECTED_INVALID_NOTIFY_CONTENT_TYPE"),
    ],
)
async def test_voice_parameter_rules(
    sandbox_factory: SandboxFactory, extra: dict[str, Any], status: int, name: str
) -> None:
    async with sandbox_factory() as sb:
        r = await sb.http.post(
            "/tts/3/advanced", headers=INFOBIP_AUTH, json=voice("33612349900", **extra)
        )
    assert (r.json()["messages"][0]["status"]["id"], r.json()["messages"][0]["status"]["name"]) == (
        status,
        name,
    )


async def test_voice_credits(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory() as sb:
        sb.sandbox.store.update({"infobip": {"credits": 0}})
        r = await sb.http.post("/tts/3/advanced", headers=INFOBIP_AUTH, json=voice("33612349900"))
    assert r.json()["messages"][0]["status"]["name"] == "REJECTED_NOT_ENOUGH_CREDITS"
