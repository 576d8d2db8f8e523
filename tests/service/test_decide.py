"""Decision and insight routes: retry advice of stored messages, the suppression list over HTTP,
and the insight JSON endpoints (answers, filters, 422s naming the parameter)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from dlrkit.service.settings import Settings
from dlrkit.store import Store, open_store
from tests.service.conftest import ACCOUNT_ENV, Service, ServiceFactory

pytestmark = pytest.mark.anyio


async def _load(svc: Service) -> dict[str, str]:
    """The sample reports (`Service.load_samples`); the API key header."""
    await svc.load_samples()
    return {"X-API-Key": await svc.api_key()}


async def test_advice_follows_the_policy_and_the_suppression_list(svc: Service) -> None:
    key = await _load(svc)
    r = await svc.client.get("/messages/msg-0002-absent/advice", headers=key)
    assert r.status_code == 200
    assert r.json() == {
        "message_id": "msg-0002-absent",
        "provider": "infobip",
        "state": "undelivered",
        "final": True,
        "reason": "recipient_unreachable",
        "action": "later",
        "delay": 1800,  # the catalog's retry_after for Infobip error 27
        "attempts_left": 3,
        "fix": None,
        "failover": [],
        "suppress": False,
        "decided_by": "policy:catalog:infobip:error:general:27",
        "suppression": None,
    }
    last = await svc.client.get("/messages/msg-0002-absent/advice?attempt=4", headers=key)
    assert (last.json()["action"], last.json()["decided_by"]) == ("never", "policy:max_attempts")

    invalid = (await svc.client.get("/messages/msg-0003-unknown-sub/advice", headers=key)).json()
    assert (invalid["action"], invalid["suppress"], invalid["attempts_left"]) == ("never", True, 0)
    assert invalid["suppression"]["recipient"] == "+33700000001"
    assert invalid["suppression"]["source"] == "auto"
    assert invalid["decided_by"] == "suppression:recipient_invalid"

    delivered = (await svc.client.get("/messages/msg-0001-delivered/advice", headers=key)).json()
    assert (delivered["action"], delivered["suppress"]) == ("never", False)
    added = await svc.client.post(
        "/suppressions",
        json={"recipient": "33612345678", "reason": "recipient_opted_out", "note": "STOP by SMS"},
        headers=key,
    )
    assert added.status_code == 201
    after = (await svc.client.get("/messages/msg-0001-delivered/advice", headers=key)).json()
    assert (after["suppress"], after["decided_by"]) == (True, "suppression:recipient_opted_out")


async def test_advice_refusals(svc: Service) -> None:
    key = await _load(svc)
    assert (await svc.client.get("/messages/msg-0001-delivered/advice")).status_code == 401
    missing = await svc.client.get("/messages/nope/advice", headers=key)
    assert (missing.status_code, missing.json()["field"]) == (404, "message_id")
    bad = await svc.client.get("/messages/msg-0001-delivered/advice?attempt=0", headers=key)
    assert (bad.status_code, bad.json()["field"]) == (422, "attempt")


async def test_suppression_list_over_http(svc: Service) -> None:
    key = await _load(svc)
    listed = (await svc.client.get("/suppressions", headers=key)).json()
    [auto] = listed["items"]
    assert (auto["recipient"], auto["reason"], auto["source"]) == (
        "+33700000001",
        "recipient_invalid",
        "auto",
    )
    assert (auto["provider"], auto["message_id"]) == ("infobip", "msg-0003-unknown-sub")

    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    r = await svc.client.post(
        "/suppressions",
        json={"recipient": "+33 6 11 22 33 44", "reason": "recipient_blocked", "expires_at": until},
        headers=key,
    )
    assert r.status_code == 201
    entry = r.json()
    assert (entry["recipient"], entry["permanent"], entry["active"]) == (
        "+33611223344",
        False,
        True,
    )
    check = await svc.client.get(
        "/suppressions/check", params={"recipient": "33611223344"}, headers=key
    )
    assert check.json()["suppressed"] is True
    assert check.json()["suppression"]["reason"] == "recipient_blocked"
    manual = (await svc.client.get("/suppressions?source=manual", headers=key)).json()["items"]
    assert [e["recipient"] for e in manual] == ["+33611223344"]

    gone = await svc.client.delete(
        "/suppressions", params={"recipient": "+33611223344"}, headers=key
    )
    assert gone.json() == {"recipient": "+33611223344", "removed": True}
    again = await svc.client.delete(
        "/suppressions", params={"recipient": "+33611223344"}, headers=key
    )
    assert (again.status_code, again.json()["field"]) == (404, "recipient")
    check = await svc.client.get("/suppressions/check?recipient=%2B33611223344", headers=key)
    assert check.json() == {"recipient": "+33611223344", "suppressed": False, "suppression": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipient": "+33611223344", "reason": "bored"}, "reason"),
        ({"reason": "recipient_invalid"}, "recipient"),
        ({"recipient": "", "reason": "recipient_invalid"}, "recipient"),
        ({"recipient": "a\u0000b", "reason": "recipient_invalid"}, "recipient"),
        (
            {
                "recipient": "+33611223344",
                "reason": "recipient_invalid",
                "expires_at": "2001-01-01T00:00:00Z",
            },
            "expires_at",
        ),
        ({"recipient": "+33611223344", "reason": "recipient_invalid", "colour": "red"}, "colour"),
    ],
    ids=["reason", "no-recipient", "empty-recipient", "nul", "expired", "extra-field"],
)
async def test_bad_suppressions_are_422_naming_the_field(
    svc: Service, body: dict[str, str], field: str
) -> None:
    key = {"X-API-Key": await svc.api_key()}
    r = await svc.client.post("/suppressions", json=body, headers=key)
    assert (r.status_code, r.json()["field"]) == (422, field), r.json()
    assert not (await svc.client.get("/suppressions", headers=key)).json()["items"]


async def test_insights_answer_from_what_was_ingested(svc: Service) -> None:
    key = await _load(svc)
    now = dt.datetime.now(dt.UTC)
    period = {
        "since": (now - dt.timedelta(hours=2)).isoformat(),
        "until": (now + dt.timedelta(hours=1)).isoformat(),
    }
    rate = (await svc.client.get("/insights/delivery-rate", params=period, headers=key)).json()
    assert rate["bucket"] == "hour"
    s = rate["summary"]
    assert (s["total"], s["delivered"], s["undelivered"], s["expired"]) == (6, 2, 3, 1)
    assert s["rate"] == pytest.approx(2 / 6)
    assert sum(p["total"] for p in rate["points"]) == 6
    daily = await svc.client.get(
        "/insights/delivery-rate", params={**period, "bucket": "day"}, headers=key
    )
    assert daily.json()["bucket"] == "day"

    reasons = (
        await svc.client.get("/insights/failures", params={**period, "by": "reason"}, headers=key)
    ).json()
    assert reasons["failed"] == 4
    # the SMPP receipts' err: read as MAP errors: 034 systemFailure, 027 absentSubscriber
    assert {i["value"]: i["failed"] for i in reasons["items"]} == {
        "recipient_unreachable": 2,
        "recipient_invalid": 1,
        "network_error": 1,
    }
    france = await svc.client.get(
        "/insights/failures", params={**period, "by": "provider", "country": "fr"}, headers=key
    )
    assert [(i["value"], i["failed"]) for i in france.json()["items"]] == [("infobip", 2)]
    smpp = await svc.client.get(
        "/insights/failures", params={**period, "by": "reason", "provider": "smpp"}, headers=key
    )
    assert smpp.json()["failed"] == 2

    latency = (await svc.client.get("/insights/latency", params=period, headers=key)).json()
    assert latency["total"] == 6
    assert [b["count"] for b in latency["bins"]] == [0, 1, 1, 0, 1, 2, 0, 1]

    unknown = (await svc.client.get("/insights/unknown-codes", headers=key)).json()
    assert isinstance(unknown["items"], list)

    default = (await svc.client.get("/insights/delivery-rate", headers=key)).json()
    assert default["summary"]["total"] == 6  # the default period: the last 7 days


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/insights/failures?by=colour", "by"),
        ("/insights/failures", "by"),
        ("/insights/delivery-rate?since=yesterday", "since"),
        ("/insights/delivery-rate?since=2024-06-02T00:00:00Z&until=2024-06-01T00:00:00Z", "until"),
        ("/insights/delivery-rate?since=0001-01-01T00:00:00Z", "since"),
        ("/insights/latency?country=FRA", "country"),
        ("/insights/latency?channel=pigeon", "channel"),
        ("/insights/latency?provider=acme", "provider"),
        ("/insights/delivery-rate?bucket=week", "bucket"),
        ("/insights/delivery-rate?since=2000-01-01T00:00:00Z&bucket=hour", "until"),
        ("/insights/unknown-codes?limit=0", "limit"),
    ],
)
async def test_bad_insight_parameters_are_422_naming_them(
    svc: Service, path: str, field: str
) -> None:
    key = {"X-API-Key": await svc.api_key()}
    r = await svc.client.get(path, headers=key)
    assert (r.status_code, r.json()["field"]) == (422, field), r.json()


async def test_insights_need_a_key(svc: Service) -> None:
    for path in (
        "/insights/delivery-rate",
        "/insights/failures?by=reason",
        "/insights/latency",
        "/insights/unknown-codes",
        "/suppressions",
        "/suppressions/check?recipient=1",
    ):
        assert (await svc.client.get(path)).status_code == 401, path


async def test_openapi_describes_the_new_routes(svc: Service) -> None:
    doc = (await svc.client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    for path, method in [
        ("/messages/{message_id}/advice", "get"),
        ("/suppressions", "get"),
        ("/suppressions", "post"),
        ("/suppressions", "delete"),
        ("/suppressions/check", "get"),
        ("/insights/delivery-rate", "get"),
        ("/insights/failures", "get"),
        ("/insights/latency", "get"),
        ("/insights/unknown-codes", "get"),
    ]:
        operation = doc["paths"][path][method]
        for answer in operation["responses"].values():
            for content in answer.get("content", {}).values():
                ref = content["schema"].get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[1] in schemas, (path, ref)
    assert not any(p.startswith("/dashboard") for p in doc["paths"])


POLICY_TOML = """
[policy]
max_attempts = 2

[policy.suppress]  # invalid recipients no longer suppressed, unreachable ones at the first time
recipient_unreachable = { after = 1, days = 2 }
"""


@pytest.fixture
def policy_env(tmp_path: Path) -> dict[str, str]:
    f = tmp_path / "policy.toml"
    f.write_text(POLICY_TOML)
    return {**ACCOUNT_ENV, "DLRKIT_POLICY_FILE": str(f)}


async def test_the_settings_policy_decides(
    service_factory: ServiceFactory, policy_env: dict[str, str]
) -> None:
    async with service_factory(policy_env) as svc:
        key = await _load(svc)
        expired = (await svc.client.get("/messages/1000000003/advice", headers=key)).json()
        assert (expired["action"], expired["attempts_left"]) == ("later", 1)  # default: 3
        again = (await svc.client.get("/messages/1000000003/advice?attempt=2", headers=key)).json()
        assert (again["action"], again["decided_by"]) == ("never", "policy:max_attempts")


@pytest.mark.parametrize(
    "store",
    [
        pytest.param(lambda s: open_store(s.db_url, policy=s.policy), id="store-given"),
        pytest.param(None, id="store-of-the-app"),
    ],
)
async def test_the_settings_policy_suppresses(
    service_factory: ServiceFactory,
    policy_env: dict[str, str],
    store: Callable[[Settings], Store] | None,
) -> None:
    async with service_factory(policy_env, store) as svc:
        key = await _load(svc)
        absent = (await svc.client.get("/messages/msg-0002-absent/advice", headers=key)).json()
        assert (absent["action"], absent["decided_by"]) == (
            "never",
            "suppression:recipient_unreachable",
        )
        entry = absent["suppression"]
        assert (entry["source"], entry["permanent"]) == ("auto", False)
        expires = dt.datetime.fromisoformat(entry["expires_at"]) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(days=1) < expires <= dt.timedelta(days=2)
        invalid = (
            await svc.client.get("/messages/msg-0003-unknown-sub/advice", headers=key)
        ).json()
        assert (invalid["suppress"], invalid["suppression"]) == (False, None)
