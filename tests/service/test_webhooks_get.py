"""GET /webhooks/{provider}: callbacks a provider is told to send with GET, the report in the
query string (Plivo's `method=GET`: "passed as query parameters if it's GET", Message Status
Callbacks, plivo.com/docs/messaging/api/message/message-status-callbacks; the same for a call's
hangup_method), verified as strictly as the POST ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from dlrkit.store.base import OutcomeFilter
from tests.service import signing
from tests.service.conftest import ACCOUNT_ENV, Service

pytestmark = pytest.mark.anyio

BASE = "https://dlr.example.com"

# A message status callback with the attributes that page lists (values ours).
PLIVO_STATUS = {
    "MessageUUID": "5e1f7a10-9c2b-11ee-a1c5-0242ac110004",
    "To": "14155550123",
    "From": "14155550100",
    "Type": "sms",
    "Status": "undelivered",
    "ErrorCode": "30",
    "Units": "1",
    "TotalRate": "0.0050",
    "TotalAmount": "0.0050",
    "MCC": "310",
    "MNC": "260",
    "Sequence": "3",
    "MessageTime": "2025-03-29 14:30:00.120000",
    "QueuedTime": "2025-03-29 14:30:00.200000",
    "SentTime": "2025-03-29 14:30:01.000000",
    "DeliveryReportTime": "2025-03-29 14:30:09.000000",
    "PowerpackUUID": "",
}


def _signed(path: str, nonce: str = "40412") -> dict[str, str]:
    token = ACCOUNT_ENV["DLRKIT_PLIVO_AUTH_TOKEN"]
    return {
        "X-Plivo-Signature-V3": signing.plivo_v3(token, BASE + path, nonce),
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


async def _nothing_stored(svc: Service) -> None:
    assert (await svc.store.outcomes(OutcomeFilter())).items == ()


async def test_plivo_status_callback_sent_with_get_is_read_from_the_query(svc: Service) -> None:
    path = "/webhooks/plivo?" + urlencode(PLIVO_STATUS)
    r = await svc.client.get(path, headers=_signed(path))
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 1, "duplicates": 0}
    stored = await svc.store.message(PLIVO_STATUS["MessageUUID"], "plivo")
    assert stored is not None
    outcome = stored.outcome
    assert (outcome.state.value, outcome.final) == ("undelivered", True)
    assert outcome.recipient == "+14155550123"
    assert outcome.done_at == "2025-03-29T14:30:09Z"
    assert [(c.kind, c.code) for c in outcome.codes] == [("status", "undelivered"), ("error", 30)]


async def test_plivo_get_hangup_callback_with_a_query_of_our_own(svc: Service) -> None:
    hangup = {
        "acct": "main",  # the callback URL's own parameter, signed with the rest
        "CallUUID": "0d6c3a6e-1e39-4b55-9a61-93a1c8a0e7f2",
        "CallStatus": "busy",
        "Direction": "outbound",
        "HangupCause": "USER_BUSY",
        "HangupCauseCode": "3010",
        "HangupCauseName": "Busy Line",
        "HangupSource": "Carrier",
        "Duration": "0",
        "BillDuration": "0",
    }
    path = "/webhooks/plivo?" + urlencode(hangup)
    r = await svc.client.get(path, headers=_signed(path))
    assert r.status_code == 200, r.text
    stored = await svc.store.message(hangup["CallUUID"], "plivo")
    assert stored is not None
    assert stored.outcome.reason.value == "recipient_busy"


@pytest.mark.parametrize("tamper", ["signature", "query", "missing"])
async def test_plivo_get_is_verified_as_strictly_as_post(svc: Service, tamper: str) -> None:
    path = "/webhooks/plivo?" + urlencode(PLIVO_STATUS)
    headers = _signed(path)
    if tamper == "signature":
        headers["X-Plivo-Signature-V3"] = signing.plivo_v3("not-the-token", BASE + path, "40412")
    elif tamper == "query":  # signed for one status, sent with another
        path = path.replace("Status=undelivered", "Status=delivered")
    else:
        headers = {}
    r = await svc.client.get(path, headers=headers)
    assert r.status_code == (401 if tamper == "missing" else 403), r.text
    await _nothing_stored(svc)


async def test_smspartner_get_dlr_keeps_the_token_out_of_the_report(svc: Service) -> None:
    dlr = {"msgId": "48301", "phoneNumber": "+33677777777", "status": "delivered"}
    token = ACCOUNT_ENV["DLRKIT_SMSPARTNER_TOKEN"]
    r = await svc.client.get("/webhooks/smspartner?" + urlencode({"token": token, **dlr}))
    assert r.status_code == 200, r.text
    stored = await svc.store.message("48301", "smspartner")
    assert stored is not None
    assert stored.outcome.state.value == "delivered"
    assert stored.outcome.raw == dlr  # the secret is not kept with the report


async def test_smspartner_get_with_the_token_in_the_path(svc: Service) -> None:
    token = ACCOUNT_ENV["DLRKIT_SMSPARTNER_TOKEN"]
    query = urlencode({"msgId": "48302", "phoneNumber": "+33677777778", "status": "ko"})
    r = await svc.client.get(f"/webhooks/smspartner/{token}?{query}")
    assert r.status_code == 200, r.text
    assert await svc.store.message("48302", "smspartner") is not None


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("smsp-url-tokeN", 403)])
async def test_smspartner_get_without_the_right_token_is_refused(
    svc: Service, token: str | None, status: int
) -> None:
    query = {"msgId": "48303", "phoneNumber": "+33677777777", "status": "delivered"}
    if token is not None:
        query["token"] = token
    r = await svc.client.get("/webhooks/smspartner?" + urlencode(query))
    assert r.status_code == status, r.text
    await _nothing_stored(svc)


async def test_get_query_larger_than_the_body_limit_is_refused(
    service_factory: Callable[..., Any],
) -> None:
    async with service_factory({**ACCOUNT_ENV, "DLRKIT_MAX_BODY": "600"}) as svc:
        path = "/webhooks/plivo?" + urlencode({**PLIVO_STATUS, "pad": "x" * 600})
        r = await svc.client.get(path, headers=_signed(path))
        assert r.status_code == 413, r.text
        await _nothing_stored(svc)
        path = "/webhooks/plivo?" + urlencode(PLIVO_STATUS)  # within the limit: accepted
        assert (await svc.client.get(path, headers=_signed(path))).status_code == 200


@pytest.mark.parametrize("provider", ["infobip", "smpp"])
async def test_providers_that_only_post_do_not_answer_get(svc: Service, provider: str) -> None:
    r = await svc.client.get(f"/webhooks/{provider}?messageId=1&status=5")
    assert r.status_code == 405
    await _nothing_stored(svc)


async def test_the_description_documents_the_get_webhooks(svc: Service) -> None:
    paths = (await svc.client.get("/openapi.json")).json()["paths"]
    for path in ("/webhooks/plivo", "/webhooks/smspartner", "/webhooks/smspartner/{token}"):
        assert "415" not in paths[path]["get"]["responses"]
        assert "requestBody" not in paths[path]["get"]
    assert "get" not in paths["/webhooks/infobip"]
    assert "get" not in paths["/webhooks/smpp"]


async def test_an_encoded_separator_in_a_signed_query_is_refused(svc: Service) -> None:
    """Plivo signs the decoded pairs joined by & and =, so "ErrorCode=30%26From%3D1..." signs
    as "ErrorCode=30&From=1...": the same signature over another report. Refused, unstored."""
    honest = {k: v for k, v in PLIVO_STATUS.items() if k not in ("ErrorCode", "From")}
    signed_path = "/webhooks/plivo?" + urlencode({**honest, "ErrorCode": "30", "From": "1415"})
    smuggled = {**honest, "ErrorCode": "30&From=1415"}
    path = "/webhooks/plivo?" + urlencode(smuggled)
    r = await svc.client.get(path, headers=_signed(signed_path))
    assert r.status_code == 403, r.text
    assert r.json()["field"] == "query"
    await _nothing_stored(svc)


async def test_head_stores_nothing(svc: Service) -> None:
    """Starlette answers HEAD wherever GET is served; no provider calls back with it."""
    r = await svc.client.request(
        "HEAD",
        "/webhooks/smspartner?token=" + ACCOUNT_ENV["DLRKIT_SMSPARTNER_TOKEN"].split(",")[0],
        content=b"msgId=1&phoneNumber=0612345678&status=delivered",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    await _nothing_stored(svc)


async def test_the_refusal_log_shows_a_query_by_its_names_only(
    svc: Service, caplog: pytest.LogCaptureFixture
) -> None:
    path = "/webhooks/plivo?" + urlencode({**PLIVO_STATUS, "key": "s3cr3t"})
    with caplog.at_level("WARNING", logger="dlrkit.service"):
        r = await svc.client.get(path, headers=_signed(path + "x"))
    assert r.status_code == 403
    (line,) = [rec.getMessage() for rec in caplog.records if "refused a" in rec.getMessage()]
    assert "checked against https://dlr.example.com/webhooks/plivo?DeliveryReportTime&" in line
    assert "s3cr3t" not in line
    assert PLIVO_STATUS["To"] not in line
