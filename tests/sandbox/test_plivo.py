"""The Plivo imitation: calls and their hangup causes, messages and their status callbacks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from dlrkit.normalizer import normalize
from dlrkit.service.auth import plivo_v3_signature
from tests.sandbox.conftest import PLIVO_AUTH, PLIVO_ID, Receiver, SandboxFactory
from tests.service import signing

pytestmark = pytest.mark.anyio
CALL = f"/v1/Account/{PLIVO_ID}/Call/"
MESSAGE = f"/v1/Account/{PLIVO_ID}/Message/"
FORM = "application/x-www-form-urlencoded"


def call(to: str, **extra: Any) -> dict[str, Any]:
    return {
        "from": "14155550100",
        "to": to,
        "answer_url": "https://example.com/answer.xml",
        **extra,
    }


def fields(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}


async def test_call_fired_then_hangup_signed_v3(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url, {"delays": {"delivered": 30, "answer": 4}}) as sb:
        r = await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900"))
        assert r.status_code == 201
        assert r.json()["message"] == "call fired"
        [hangup] = await receiver.wait_for(1)
    url = receiver.url + "/webhooks/plivo"
    nonce = hangup.headers["x-plivo-signature-v3-nonce"]
    given = hangup.headers["x-plivo-signature-v3"]
    assert given == signing.plivo_v3("sandbox-plivo-auth-token", url, nonce, hangup.body)
    params = parse_qs(hangup.body.decode(), keep_blank_values=True)
    assert given == plivo_v3_signature("sandbox-plivo-auth-token", url, nonce, params)
    form = fields(hangup.body)
    assert form["CallUUID"] == r.json()["request_uuid"]
    assert (form["HangupCauseCode"], form["HangupCauseName"], form["CallStatus"]) == (
        "4000",
        "Normal Hangup",
        "completed",
    )
    assert (form["Duration"], form["BillDuration"]) == ("30", "60")
    [outcome] = normalize(hangup.body, "plivo", content_type=FORM)
    assert (outcome.state.value, outcome.reason.value) == ("delivered", "none")


@pytest.mark.parametrize(
    ("to", "extra", "cause", "reason"),
    [
        ("33612349904", {}, 3010, "recipient_busy"),
        ("33612349905", {}, 3000, "recipient_no_answer"),  # rings 60 s, the carrier gives up
        ("33612349905", {"ring_timeout": 30}, 6010, "recipient_no_answer"),  # our timeout first
        ("33612349900", {"ring_timeout": 5}, 6010, "recipient_no_answer"),  # would answer after 8 s
        ("33612349902", {}, 3050, "recipient_invalid"),
        ("33612349906", {}, 3110, "recipient_declined"),
        ("4179302", {}, 2000, "recipient_invalid"),
    ],
)
async def test_hangup_causes(
    sandbox_factory: SandboxFactory,
    receiver: Receiver,
    to: str,
    extra: dict[str, Any],
    cause: int,
    reason: str,
) -> None:
    async with sandbox_factory(receiver.url, {"delays": {"default": 2, "answer": 8}}) as sb:
        await sb.http.post(CALL, auth=PLIVO_AUTH, data=call(to, **extra))
        [hangup] = await receiver.wait_for(1)
    assert fields(hangup.body)["HangupCauseCode"] == str(cause)
    [outcome] = normalize(hangup.body, "plivo", content_type=FORM)
    assert outcome.reason.value == reason


async def test_credits_country_permissions_and_dial_limit(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url, {"delays": {"delivered": 3600}}, speed=10) as sb:
        store = sb.sandbox.store
        store.update({"plivo": {"allowed_countries": ["FR"]}})
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("14155559900"))  # US: not allowed
        store.update({"plivo": {"allowed_countries": [], "max_concurrent_calls": 1}})
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900"))  # an hour-long call
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900"))  # a second at once
        store.update({"plivo": {"credits": 0}})
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900<33612349901"))
        calls = await receiver.wait_for(4)
    causes = sorted(fields(c.body)["HangupCauseCode"] for c in calls)
    assert causes == ["1010", "1010", "1020", "2030"]
    reasons = {
        fields(c.body)["HangupCauseCode"]: normalize(c.body, "plivo", content_type=FORM)[
            0
        ].reason.value
        for c in calls
    }
    assert reasons == {"1010": "account_problem", "1020": "rate_limited", "2030": "account_problem"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"to": "33612349900", "answer_url": "https://e.com/a"},
            400,
            "from is a required parameter",
        ),
        (call("33612349900", answer_url=""), 400, "answer_url is a required parameter"),
        (call("33612349900", answer_url="nope"), 400, "answer_url must be a valid http(s) URL"),
        (
            call("33612349900", ring_timeout="soon"),
            400,
            "ring_timeout must be an integer number of seconds from 1 to 300",
        ),
    ],
)
async def test_call_request_errors(
    sandbox_factory: SandboxFactory, body: dict[str, Any], status: int, error: str
) -> None:
    async with sandbox_factory() as sb:
        r = await sb.http.post(CALL, auth=PLIVO_AUTH, json=body)
    assert (r.status_code, r.json()["error"]) == (status, error)
    assert set(r.json()) == {"api_id", "error"}


async def test_authentication(sandbox_factory: SandboxFactory) -> None:
    async with sandbox_factory() as sb:
        wrong = await sb.http.post(CALL, auth=(PLIVO_ID, "nope"), json=call("33612349900"))
        none = await sb.http.post(CALL, json=call("33612349900"))
        other = await sb.http.post(
            "/v1/Account/MAOTHER/Call/", auth=PLIVO_AUTH, json=call("33612349900")
        )
    assert [r.status_code for r in (wrong, none, other)] == [401, 401, 401]
    assert "MAOTHER" in other.json()["error"]


async def test_message_status_callbacks_in_order(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    async with sandbox_factory(receiver.url, {"delays": {"delivered": 5}}, speed=10) as sb:
        r = await sb.http.post(
            MESSAGE,
            auth=PLIVO_AUTH,
            json={"src": "14155550100", "dst": "33612349900<12", "text": "hi"},
        )
        assert r.status_code == 202
        assert r.json()["invalid_number"] == ["12"]
        calls = await receiver.wait_for(3)
    assert [fields(c.body)["Status"] for c in calls] == ["queued", "sent", "delivered"]
    assert {fields(c.body)["MessageUUID"] for c in calls} == set(r.json()["message_uuid"])
    outcomes = [normalize(c.body, "plivo", content_type=FORM)[0] for c in calls]
    assert outcomes[-1].segments == 1


async def test_disorder_duplicates_and_credit(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    scenario = {
        "delays": {"default": 5, "duplicate": 2},
        "reports": {"out_of_order": 1.0, "duplicates": 1.0},
    }
    async with sandbox_factory(receiver.url, scenario) as sb:
        await sb.http.post(
            MESSAGE,
            auth=PLIVO_AUTH,
            json={"src": "14155550100", "dst": "33612349901", "text": "hi"},
        )
        calls = await receiver.wait_for(4)
        [message] = sb.messages("plivo")
        sb.sandbox.store.update({"plivo": {"credits": 0}})
        await sb.http.post(
            MESSAGE,
            auth=PLIVO_AUTH,
            json={"src": "14155550100", "dst": "33612349900", "text": "hi"},
        )
        calls = await receiver.wait_for(5)
    by_due = sorted(message["callbacks"], key=lambda cb: cb["due"])
    words = [(cb["kind"], fields(cb["body"].encode())["Status"]) for cb in by_due]
    assert words == [
        ("intermediate", "queued"),
        ("final", "undelivered"),
        ("intermediate", "sent"),  # after the final report: out of order
        ("duplicate", "undelivered"),
    ]
    received = sorted((fields(c.body)["Status"], fields(c.body)["ErrorCode"]) for c in calls[:4])
    assert received == [("queued", ""), ("sent", ""), ("undelivered", "80"), ("undelivered", "80")]
    last = fields(calls[4].body)
    assert (last["Status"], last["ErrorCode"]) == ("failed", "900")


async def test_retries_until_the_receiver_accepts(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    async with sandbox_factory(receiver.url) as sb:
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900"))
        await receiver.wait_for(3)
        await sb.settle()
        [message] = sb.messages("plivo")
    attempts = message["callbacks"][0]["attempts"]
    assert [a["status"] for a in attempts] == [503, 503, 200]
    assert message["callbacks"][0]["outcome"] == "delivered"
    nonces = {c.headers["x-plivo-signature-v3-nonce"] for c in receiver.calls}
    assert len(nonces) == 3  # signed afresh for every attempt


async def test_refusals_are_not_retried(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    receiver.answer = 403
    async with sandbox_factory(receiver.url) as sb:
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900"))
        await sb.settle()
        [message] = sb.messages("plivo")
    assert [a["status"] for a in message["callbacks"][0]["attempts"]] == [403]
    assert message["callbacks"][0]["outcome"] == "failed"


async def test_unreachable_receiver_is_given_up_after_the_attempts(
    sandbox_factory: SandboxFactory,
) -> None:
    async with sandbox_factory("http://127.0.0.1:9", retry_attempts=3) as sb:
        await sb.http.post(CALL, auth=PLIVO_AUTH, json=call("33612349900"))
        await sb.settle()
        [message] = sb.messages("plivo")
    attempts = message["callbacks"][0]["attempts"]
    assert len(attempts) == 3
    assert all(a["status"] is None for a in attempts)
    assert message["callbacks"][0]["outcome"] == "failed"
