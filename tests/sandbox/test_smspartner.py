"""The SMSPartner imitation: each documented rule broken once, with its code; status, cancel, DLRs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest

from dlrkit.normalizer import normalize
from tests.sandbox.conftest import SMSP_KEY, Receiver, SandboxFactory

pytestmark = pytest.mark.anyio
PARIS = ZoneInfo("Europe/Paris")
# A Thursday morning in January 2025, French time: marketing hours, not a holiday.
THURSDAY = datetime(2025, 1, 2, 10, 0, tzinfo=PARIS)


def send(**fields: Any) -> dict[str, Any]:
    return {"apiKey": SMSP_KEY, "phoneNumbers": "+33612349900", "message": "Bonjour", **fields}


async def code_of(sb: Any, body: Any, path: str = "/v1/send") -> tuple[int, Any]:
    r = await sb.http.post(path, json=body)
    return r.status_code, r.json().get("code")


async def test_send_then_dlr_with_the_url_token(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url, start=THURSDAY) as sb:
        r = await sb.http.post("/v1/send", json=send(phoneNumbers="0612349900,+33612349903"))
        assert r.status_code == 200
        assert r.json() == {
            "success": True,
            "code": 200,
            "message_id": 1,
            "nb_sms": 1,
            "cost": 0.09,
            "currency": "EUR",
        }
        calls = await receiver.wait_for(1)
    assert calls[0].path == "/webhooks/smspartner"
    assert parse_qs(calls[0].query) == {"token": ["sandbox-smspartner-token"]}
    form = parse_qs(calls[0].body.decode())
    assert form["messageId"] == ["1"]
    assert form["phoneNumber"] == ["+33612349900"]
    assert form["status"] == ["DELIVRD"]
    assert form["date"][0].startswith(
        "2025-01-02 10:0"
    )  # French time, a few simulated seconds later
    [outcome] = normalize(
        calls[0].body, "smspartner", content_type="application/x-www-form-urlencoded"
    )
    assert (outcome.message_id, outcome.state.value) == ("1", "delivered")
    assert outcome.done_at is not None
    assert outcome.done_at.startswith("2025-01-02T09:0")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phoneNumbers": "+33612349900", "message": "x"}, 1),
        (send(apiKey="wrong"), 10),
        (send(phoneNumbers=""), 2),
        (send(message=" "), 43),
        (send(phoneNumbers=",".join(f"+336123{i:05d}" for i in range(501))), 50),
        (send(phoneNumbers=" , ,"), 55),
        (send(message="x" * (153 * 10 + 1)), 52),
        (send(gamme=2, message="x" * 161), 42),
        (send(gamme=2, message="x" * 159 + ":br:"), 42),  # the line break counts as two
        (send(scheduledDeliveryDate="03/01/2025", time=10, minute=7), 48),
        (send(scheduledDeliveryDate="03/01/2025", time=10, minute=60), 48),
        (send(scheduledDeliveryDate="03/01/2025", time=10, minute="ab"), 47),
        (send(scheduledDeliveryDate="03/01/2025", minute=5), 46),
        (send(time=10, minute=5), 45),
        (send(scheduledDeliveryDate="31/02/2025", time=10, minute=5), 49),
        (send(scheduledDeliveryDate="01/01/2025", time=10, minute=5), 49),  # in the past
    ],
)
async def test_send_rules(sandbox_factory: SandboxFactory, body: dict[str, Any], code: int) -> None:
    async with sandbox_factory(start=THURSDAY) as sb:
        status, got = await code_of(sb, body)
        assert (status, got) == (400, code)
        assert sb.messages() == []


async def test_refusals_name_the_catalog_message(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(start=THURSDAY) as sb:
        r = await sb.http.post("/v1/send", json=send(phoneNumbers=",".join(["+33612349900"] * 501)))
        bad = await sb.http.post(
            "/v1/send", content=b"{oops", headers={"Content-Type": "application/json"}
        )
    assert r.json() == {
        "success": False,
        "code": 50,
        "message": "The number of allowed numbers is a maximum of 500 (501 given)",
    }
    assert bad.json()["code"] == 90
    assert "malformed" in bad.json()["message"]


async def test_constraint_violations_list_each_field(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(start=THURSDAY) as sb:
        r = await sb.http.post(
            "/v1/send", json=send(phoneNumbers="+33612349900,922264", sender="A very long sender")
        )
    assert r.status_code == 400
    assert r.json() == {
        "success": False,
        "code": 9,
        "errors": [
            {
                "elementId": "children[sender].data",
                "message": "The sender must have 3 to 11 characters, without special characters",
            },
            {
                "elementId": "children[phoneNumbers].data",
                "message": "This phone number is not valid (922264)",
            },
        ],
    }


async def test_ten_parts_and_form_bodies_are_fine(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(start=THURSDAY) as sb:
        r = await sb.http.post("/v1/send", data=send(message="x" * 153 * 10))
    assert r.json()["nb_sms"] == 10


@pytest.mark.parametrize(
    ("when", "subdiv", "code"),
    [
        ("03/01/2025 22:00", None, 22),  # 22:00 is closed
        ("03/01/2025 07:55", None, 22),
        ("03/01/2025 08:00", None, None),
        ("03/01/2025 21:55", None, None),
        ("05/01/2025 10:00", None, 23),  # a Sunday
        ("14/07/2025 10:00", None, 23),  # Bastille Day
        ("18/04/2025 10:00", None, None),  # Good Friday: a working day in most of France...
        ("18/04/2025 10:00", "57", 23),  # ...a public holiday in Moselle
        ("26/12/2025 10:00", "6AE", 23),  # St Stephen's Day in Alsace
    ],
)
async def test_marketing_hours_sundays_and_holidays(
    sandbox_factory: SandboxFactory, when: str, subdiv: str | None, code: int | None
) -> None:
    day, hm = when.split()
    hour, minute = hm.split(":")
    async with sandbox_factory(start=THURSDAY) as sb:
        sb.sandbox.store.update({"smspartner": {"holiday_subdiv": subdiv}})
        r = await sb.http.post(
            "/v1/send",
            json=send(isStopSms=1, scheduledDeliveryDate=day, time=int(hour), minute=int(minute)),
        )
        plain = await sb.http.post(
            "/v1/send", json=send(scheduledDeliveryDate=day, time=int(hour), minute=int(minute))
        )
    assert r.json()["code"] == (code or 200)
    assert plain.json()["code"] == 200  # not commercial: no restriction


async def test_marketing_account_holds_immediate_sends_until_8(
    sandbox_factory: SandboxFactory,
) -> None:
    late = datetime(2025, 1, 3, 23, 0, tzinfo=PARIS)  # a Friday night: Saturday 08:00 is next
    async with sandbox_factory("http://127.0.0.1:9", start=late) as sb:
        sb.sandbox.store.update({"smspartner": {"marketing": True}})
        r = await sb.http.post("/v1/send", json=send())
        [message] = sb.messages()
    assert r.json()["code"] == 200
    assert message["extra"]["held"] is True
    starts = datetime.fromtimestamp(message["extra"]["starts"], PARIS)
    assert starts == datetime(2025, 1, 4, 8, 0, tzinfo=PARIS)


async def test_stop_list_credits_allowlist(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(start=THURSDAY) as sb:
        sb.sandbox.store.update({"smspartner": {"stop_list": ["+33612349901"]}})
        r = await sb.http.post("/v1/send", json=send(phoneNumbers="+33612349900,0612349901"))
        assert r.json() == {
            "success": False,
            "code": 14,
            "message": "The number is in the STOP SMS list (+33612349901)",
        }
        sb.sandbox.store.update({"smspartner": {"credits": 0.05, "stop_list": []}})
        assert (await code_of(sb, send()))[1] == 200
        assert (await code_of(sb, send()))[1] == 11
        assert sb.sandbox.store.state.smspartner.credits == pytest.approx(0.005)
        sb.sandbox.store.update({"smspartner": {"ip_allowlist": ["192.0.2.10"]}})
        r = await sb.http.post("/v1/send", json=send())
    assert r.json() == {
        "success": False,
        "code": 96,
        "message": "The IP is not authorized (127.0.0.1)",
    }


async def test_sandbox_parameter_sends_nothing_and_charges_nothing(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url, start=THURSDAY) as sb:
        r = await sb.http.post("/v1/send", json=send(sandbox=1))
        await sb.settle()
        assert sb.sandbox.store.state.smspartner.credits == 100.0
    assert r.json()["cost"] == 0.0
    assert receiver.calls == []


async def test_rate_limit_per_ip(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(start=THURSDAY, speed=1.0) as sb:
        sb.sandbox.store.update({"smspartner": {"rate_limit": 3}})
        codes = [(await sb.http.post("/v1/send", json=send())).status_code for _ in range(4)]
        r = await sb.http.post("/v1/send", json=send())
    assert codes == [200, 200, 200, 429]
    assert r.json()["code"] == 429
    assert "3 requests / minute / IP" in r.json()["message"]
    assert r.headers["retry-after"] == "60"


async def test_message_status(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory(
        start=THURSDAY, speed=1.0, scenario={"delays": {"delivered": 30}}
    ) as sb:
        await sb.http.post("/v1/send", json=send())
        query = {"apiKey": SMSP_KEY, "messageId": "1", "phoneNumber": "0612349900"}
        waiting = (await sb.http.get("/v1/message-status", params=query)).json()
        sb.sandbox.clock.set(THURSDAY.replace(minute=5))
        done = (await sb.http.get("/v1/message-status", params=query)).json()
        errors = [
            (await sb.http.get("/v1/message-status", params={**query, **change})).json()["code"]
            for change in (
                {"phoneNumber": ""},
                {"messageId": ""},
                {"messageId": "77"},
                {"apiKey": "x"},
            )
        ]
    assert waiting["statut"] == "Waiting"
    assert done == {
        "success": True,
        "code": 200,
        "number": "0612349900",
        "messageId": "1",
        "stopSms": False,
        "date": "2025-01-02 10:00:30",
        "statut": "Delivered",
        "cost": 0.045,
        "countryCode": "FR",
        "currency": "EUR",
    }
    assert errors == [2, 3, 4, 10]
    [report] = normalize(
        str(done).replace("'", '"').replace("False", "false").replace("True", "true").encode(),
        "smspartner",
    )
    assert report.state.value == "delivered"


async def test_cancel_scheduled_send(sandbox_factory: SandboxFactory, receiver: Receiver) -> None:
    async with sandbox_factory(receiver.url, start=THURSDAY, speed=1.0) as sb:
        await sb.http.post(
            "/v1/send", json=send(scheduledDeliveryDate="02/01/2025", time=12, minute=0)
        )
        await sb.http.post(
            "/v1/send", json=send(scheduledDeliveryDate="02/01/2025", time=10, minute=5)
        )
        await sb.http.post("/v1/send", json=send())
        credits = sb.sandbox.store.state.smspartner.credits
        cancel = "/v1/message-cancel"
        ok = await sb.http.get(cancel, params={"apiKey": SMSP_KEY, "messageId": 1})
        again = await sb.http.get(cancel, params={"apiKey": SMSP_KEY, "messageId": 1})
        too_late = await sb.http.post(cancel, json={"apiKey": SMSP_KEY, "messageId": 2})
        sent = await sb.http.get(cancel, params={"apiKey": SMSP_KEY, "messageId": 3})
        missing = await sb.http.get(cancel, params={"apiKey": SMSP_KEY})
        unknown = await sb.http.get(cancel, params={"apiKey": SMSP_KEY, "messageId": 99})
        assert sb.sandbox.store.state.smspartner.credits == pytest.approx(credits + 0.045)
        [first] = [m for m in sb.messages() if m["extra"]["message_id"] == 1]
    assert ok.json() == {"success": True, "code": 200, "message": "L'envoi du SMS a été annulé."}
    assert [r.json()["code"] for r in (again, too_late, sent, missing, unknown)] == [5, 6, 7, 3, 4]
    assert first["status"] == "cancelled"
    assert first["callbacks"][0]["outcome"] == "cancelled"
