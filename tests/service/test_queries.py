"""Query routes: API keys, message histories, filtered and paged outcomes, code look-ups,
health and the locally served API documentation."""

from __future__ import annotations

import re

import pytest

from tests.service.conftest import Service

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/outcomes", "/messages/msg-0001-delivered"])
async def test_queries_require_a_valid_api_key(svc: Service, path: str) -> None:
    await svc.load_samples()
    r = await svc.client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "API key required" in r.json()["error"]
    assert (await svc.client.get(path, headers={"X-API-Key": "dlrk_not-a-key"})).status_code == 401
    assert (await svc.client.get(path, headers={"Authorization": "Basic dTpw"})).status_code == 401
    key = await svc.api_key()
    assert (
        await svc.client.get(path, headers={"Authorization": f"Bearer {key}"})
    ).status_code == 200
    assert (await svc.client.get(path, headers={"X-API-Key": key})).status_code == 200
    listed = await svc.store.list_keys()
    assert await svc.store.revoke_key(listed[0].id)
    r = await svc.client.get(path, headers={"X-API-Key": key})
    assert r.status_code == 401
    assert r.json()["error"] == "unknown or revoked API key"


async def test_message_outcome_and_history(svc: Service) -> None:
    await svc.load_samples()
    key = {"X-API-Key": await svc.api_key()}
    r = await svc.client.get("/messages/msg-0002-absent", headers=key)
    assert r.status_code == 200
    body = r.json()
    assert body["outcome"]["message_id"] == "msg-0002-absent"
    assert body["outcome"]["provider"] == "infobip"
    assert body["outcome"]["state"] == "undelivered"
    assert body["outcome"]["reason"] == "recipient_unreachable"
    assert [h["state"] for h in body["history"]] == ["undelivered"]
    assert body["history"][0]["outcome"]["raw"]["messageId"] == "msg-0002-absent"
    r = await svc.client.get("/messages/msg-0002-absent", params={"provider": "smpp"}, headers=key)
    assert r.status_code == 404
    assert r.json()["field"] == "message_id"
    r = await svc.client.get(
        "/messages/msg-0002-absent", params={"provider": "twilio"}, headers=key
    )
    assert r.status_code == 422
    assert r.json()["field"] == "provider"


async def test_outcome_filters(svc: Service) -> None:
    await svc.load_samples()
    key = {"X-API-Key": await svc.api_key()}

    async def ids(**params: str) -> list[str]:
        r = await svc.client.get("/outcomes", params=params, headers=key)
        assert r.status_code == 200, r.text
        return sorted(o["message_id"] for o in r.json()["items"])

    assert len(await ids()) == 6
    assert await ids(provider="infobip", state="delivered") == ["msg-0001-delivered"]
    assert len(await ids(provider="smpp")) == 3
    assert len(await ids(country="fr")) == 3
    assert await ids(country="DE") == []
    assert await ids(recipient="+33612345678") == ["msg-0001-delivered"]
    assert await ids(recipient="33612345678") == [
        "msg-0001-delivered"
    ]  # normalized like stored ones
    assert await ids(recipient="06 12 34 56 78", country="FR") == ["msg-0001-delivered"]
    national = await svc.client.get("/outcomes", params={"recipient": "0612345678"}, headers=key)
    assert national.status_code == 422
    assert national.json()["field"] == "recipient"
    assert "country=" in national.json()["error"]
    # the Infobip absent subscriber, and the SMPP receipt that expired with err:027 (MAP: absent)
    assert await ids(reason="recipient_unreachable") == ["1000000003", "msg-0002-absent"]
    assert await ids(channel="voice") == []
    assert len(await ids(since="2000-01-01T00:00:00Z")) == 6
    assert await ids(until="2000-01-01T00:00:00+02:00") == []


async def test_cursor_paging_visits_every_outcome_once(svc: Service) -> None:
    await svc.load_samples()
    key = {"Authorization": f"Bearer {await svc.api_key()}"}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "4"} | ({"cursor": cursor} if cursor else {})
        r = await svc.client.get("/outcomes", params=params, headers=key)
        assert r.status_code == 200
        page = r.json()
        assert len(page["items"]) <= 4
        seen += [f"{o['provider']}:{o['message_id']}" for o in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert len(seen) == len(set(seen)) == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "lost"}, "state"),
        ({"reason": "bad_luck"}, "reason"),
        ({"channel": "fax"}, "channel"),
        ({"provider": "twilio"}, "provider"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-13-01"}, "until"),
        ({"since": "2024-06-02T00:00:00Z", "until": "2024-06-01T00:00:00Z"}, "until"),
        ({"country": "FRA"}, "country"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"recipient": ""}, "recipient"),
    ],
)
async def test_bad_filters_are_422_naming_the_parameter(
    svc: Service, params: dict[str, str], field: str
) -> None:
    key = {"X-API-Key": await svc.api_key()}
    r = await svc.client.get("/outcomes", params=params, headers=key)
    assert r.status_code == 422
    assert r.json()["field"] == field
    assert r.json()["error"]


async def test_codes_over_http_need_no_key(svc: Service) -> None:
    r = await svc.client.get("/codes/infobip/27")
    assert r.status_code == 200
    [entry] = r.json()["items"]
    assert (entry["name"], entry["reason"], entry["standard"]) == (
        "EC_ABSENT_SUBSCRIBER",
        "recipient_unreachable",
        "map:error:27",
    )
    r = await svc.client.get("/codes/sip/486")
    assert r.json()["items"][0]["reason"] == "recipient_busy"
    r = await svc.client.get("/codes/infobip/5004", params={"kind": "error", "channel": "voice"})
    assert [c["code"] for c in r.json()["items"][0]["relations"]["replaced_by"]] == [
        10400,
        10401,
        10402,
    ]
    r = await svc.client.get("/codes/plivo/9999")
    assert r.status_code == 404
    assert r.json()["field"] == "code"
    assert r.json()["suggestions"]
    r = await svc.client.get("/codes/twilio/1")
    assert r.status_code == 422
    assert r.json()["field"] == "provider"


async def test_code_search(svc: Service) -> None:
    r = await svc.client.get(
        "/codes/search", params={"q": "absent subscriber", "provider": "infobip", "limit": "3"}
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert 1 <= len(items) <= 3
    assert all(i["provider"] == "infobip" for i in items)
    assert any("ABSENT" in (i["name"] or "") for i in items)
    assert (await svc.client.get("/codes/search", params={"q": "zzzqqq"})).json() == {"items": []}
    r = await svc.client.get("/codes/search")
    assert (r.status_code, r.json()["field"]) == (422, "q")


async def test_healthz(svc: Service) -> None:
    r = await svc.client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_docs_are_served_without_any_cdn(svc: Service) -> None:
    page = (await svc.client.get("/docs")).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert all(a.startswith("/docs/static/") for a in assets)
    assert "cdn" not in page.lower()
    assert "http://" not in page
    assert "https://" not in page
    for asset in assets:
        r = await svc.client.get(asset)
        assert r.status_code == 200
        assert len(r.content) > 100
    spec = (await svc.client.get("/openapi.json")).json()
    assert {
        "/webhooks/infobip",
        "/webhooks/plivo",
        "/webhooks/smspartner",
        "/webhooks/smpp",
        "/outcomes",
    } <= set(spec["paths"])
    plivo = spec["paths"]["/webhooks/plivo"]["post"]
    assert set(plivo["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert {"200", "401", "403", "413", "415", "422", "503"} <= set(plivo["responses"])


async def test_an_id_known_at_two_providers_needs_the_provider(svc: Service) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"msgId=777&phoneNumber=%2B33677777777&status=delivered&date=2025-03-29+14%3A30%3A15"
    assert (
        await svc.client.post(
            "/webhooks/smspartner?token=smsp-url-token", content=body, headers=form
        )
    ).status_code == 200
    receipt = b"id:777 sub:001 dlvrd:000 submit date:2403151022 done date:2403151023 stat:UNDELIV err:001 text:x"
    smpp = {"Content-Type": "text/plain", "X-DLR-Token": "smpp-shared-token"}
    assert (
        await svc.client.post("/webhooks/smpp", content=receipt, headers=smpp)
    ).status_code == 200
    key = {"X-API-Key": await svc.api_key()}
    r = await svc.client.get("/messages/777", headers=key)
    assert r.status_code == 409
    assert r.json()["field"] == "provider"
    r = await svc.client.get("/messages/777", params={"provider": "smpp"}, headers=key)
    assert r.json()["outcome"]["state"] == "undelivered"


async def test_every_credential_presented_must_be_valid(svc: Service) -> None:
    key = await svc.api_key()
    r = await svc.client.get(
        "/outcomes", headers={"X-API-Key": key, "Authorization": "Bearer dlrk_forged"}
    )
    assert r.status_code == 401
    r = await svc.client.get(
        "/outcomes", headers={"X-API-Key": key, "Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 200


@pytest.mark.parametrize("code", ["¹", "²7", "0x", " ", "%00"])
async def test_odd_codes_never_fail(svc: Service, code: str) -> None:
    r = await svc.client.get(f"/codes/q850/{code}")
    assert r.status_code in (404, 422)
    assert r.json()["field"] == "code"


def test_parameter_vocabularies_match_the_registry() -> None:
    from typing import get_args

    from dlrkit.adapters import ADAPTERS
    from dlrkit.catalog.registry import NAMESPACES
    from dlrkit.service import queries

    assert get_args(queries.Provider) == ADAPTERS
    assert set(get_args(queries.Namespace)) == set(NAMESPACES)
