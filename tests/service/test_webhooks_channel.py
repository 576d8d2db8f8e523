"""POST /webhooks/infobip?channel=...: Infobip's WhatsApp, Viber, RCS and MMS reports have the
SMS report's shape and name no channel, so the subscription's URL says which traffic it reports
on. The payload is the one infobip-api-php-client publishes in
Test/Api/WhatsApp/WhatsappWebhookTest.php (testReceiveWhatsappDeliveryReports)."""

from __future__ import annotations

import pytest

from dlrkit.store.base import OutcomeFilter
from tests.service.conftest import Service

pytestmark = pytest.mark.anyio

WHATSAPP_DLR = b"""{"results": [{"bulkId": "", "price": {"pricePerMessage": 0.21, "currency": "BRL"},
"status": {"id": 5, "groupId": 3, "groupName": "DELIVERED", "name": "DELIVERED_TO_HANDSET",
"description": "Message delivered to handset"}, "error": {"id": 0, "name": "NO_ERROR",
"description": "No Error", "groupId": 0, "groupName": "OK", "permanent": false},
"messageId": "fb469d73-d362-463f-b30f-1e959b53badc", "doneAt": "2019-04-09T16:01:56.494-03:00",
"messageCount": 1, "sentAt": "2019-04-09T16:00:58.647-03:00", "to": "41793026731"}]}"""
MESSAGE_ID = "fb469d73-d362-463f-b30f-1e959b53badc"
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer ib-bearer-1"}


@pytest.mark.parametrize(
    ("query", "channel"),
    [("?channel=whatsapp", "chat"), ("?channel=WHATSAPP", "chat"), ("", "sms")],
    ids=["ours", "infobip-name", "none"],
)
async def test_the_subscription_url_names_the_channel(
    svc: Service, query: str, channel: str
) -> None:
    r = await svc.client.post("/webhooks/infobip" + query, content=WHATSAPP_DLR, headers=HEADERS)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 1, "duplicates": 0}
    stored = await svc.store.message(MESSAGE_ID, "infobip")
    assert stored is not None
    assert stored.outcome.channel.value == channel
    assert stored.outcome.state.value == "delivered"
    assert stored.outcome.price == 0.21


async def test_an_unknown_channel_is_refused_and_nothing_stored(svc: Service) -> None:
    r = await svc.client.post(
        "/webhooks/infobip?channel=fax", content=WHATSAPP_DLR, headers=HEADERS
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "channel"
    assert (await svc.store.outcomes(OutcomeFilter())).items == ()


async def test_the_channel_is_checked_only_once_the_caller_is_verified(svc: Service) -> None:
    r = await svc.client.post(
        "/webhooks/infobip?channel=whatsapp",
        content=WHATSAPP_DLR,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 401
    assert (await svc.store.outcomes(OutcomeFilter())).items == ()
