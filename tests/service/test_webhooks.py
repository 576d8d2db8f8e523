"""POST /webhooks/{provider}: each provider's native reports with its proof of authenticity,
and every way a webhook is refused (nothing stored, counted in metrics)."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from dlrkit.store.base import OutcomeFilter
from tests.service import signing
from tests.service.conftest import ACCOUNT_ENV, Service, fixture_bytes

pytestmark = pytest.mark.anyio

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEXT = "text/plain"
BASE = "https://dlr.example.com"


def _plivo(path: str, body: bytes, nonce: str = "81723512") -> dict[str, str]:
    token = ACCOUNT_ENV["DLRKIT_PLIVO_AUTH_TOKEN"]
    return {
        "X-Plivo-Signature-V3": signing.plivo_v3(token, BASE + path, nonce, body),
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


def _plivo_json(path: str, body: bytes, nonce: str = "n-1") -> dict[str, str]:
    # JSON bodies: the decoded object's fields are the params (flat strings here)
    import json
    from urllib.parse import urlencode

    return _plivo(path, urlencode(json.loads(body)).encode(), nonce)


# (id, path, fixture, content type, credentials(path, body) -> headers, reports accepted, a message id)
HAPPY: list[tuple[str, str, str, str, Callable[[str, bytes], dict[str, str]], int, str]] = [
    (
        "infobip-basic",
        "/webhooks/infobip",
        "infobip/sms_report_v2.json",
        JSON,
        lambda p, b: {
            "Authorization": signing.basic("ib-user", ACCOUNT_ENV["DLRKIT_INFOBIP_PASSWORD"])
        },
        3,
        "msg-0001-delivered",
    ),
    (
        "infobip-bearer",
        "/webhooks/infobip",
        "infobip/voice_report.json",
        JSON,
        lambda p, b: {"Authorization": "Bearer ib-bearer-2"},
        3,
        "call-busy-97",
    ),
    (
        "infobip-hmac-hex",
        "/webhooks/infobip",
        "infobip/sms_report_v3.json",
        JSON,
        lambda p, b: {"X-Signature": signing.hmac_hex("ib-hmac-secret", b)},
        3,
        "919812345678-dlt",
    ),
    (
        "infobip-hmac-b64-prefixed",
        "/webhooks/infobip",
        "infobip/whatsapp_report.json",
        JSON,
        lambda p, b: {"X-Signature": "sha256=" + signing.hmac_b64("ib-hmac-secret", b)},
        2,
        "wa-5511999990002",
    ),
    (
        "plivo-form",
        "/webhooks/plivo",
        "plivo/message_delivered.form",
        FORM,
        _plivo,
        1,
        "9b1c0d2e-3f4a-11f0-8a5b-0242ac110002",
    ),
    (
        "plivo-form-query",
        "/webhooks/plivo?acct=main&z=1",
        "plivo/call_hangup_busy.form",
        FORM,
        _plivo,
        1,
        "c3a9e7d2-61f4-4b0e-8a52-0e9d4f6b2a10",
    ),
    (
        "plivo-json",
        "/webhooks/plivo",
        "plivo/message_failed.json",
        JSON,
        _plivo_json,
        1,
        "e5f6a7b8-4200-11f0-8c3d-0242ac110005",
    ),
    (
        "smspartner-query-token",
        "/webhooks/smspartner?token=smsp-url-token",
        "smspartner/dlr_delivered.form",
        FORM,
        lambda p, b: {},
        1,
        "48216",
    ),
    (
        "smspartner-path-token",
        "/webhooks/smspartner/smsp-url-token",
        "smspartner/dlr_undeliv.json",
        JSON,
        lambda p, b: {},
        1,
        "48217",
    ),
    (
        "smpp-text",
        "/webhooks/smpp",
        "smpp/batch.txt",
        TEXT,
        lambda p, b: {"X-DLR-Token": "smpp-shared-token"},
        3,
        "1000000002",
    ),
    (
        "smpp-json",
        "/webhooks/smpp",
        "smpp/short_message_only.json",
        JSON,
        lambda p, b: {"x-dlr-token": "smpp-shared-token"},
        1,
        "2233445566",
    ),
]


@pytest.mark.parametrize(
    ("path", "fixture", "ctype", "creds", "count", "message"),
    [h[1:] for h in HAPPY],
    ids=[h[0] for h in HAPPY],
)
async def test_each_provider_happy_path(
    svc: Service,
    path: str,
    fixture: str,
    ctype: str,
    creds: Callable[[str, bytes], dict[str, str]],
    count: int,
    message: str,
) -> None:
    body = fixture_bytes(fixture)
    r = await svc.client.post(
        path, content=body, headers={"Content-Type": ctype, **creds(path, body)}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": count, "duplicates": 0}
    provider = path.split("/")[2].split("?", maxsplit=1)[0]
    page = await svc.store.outcomes(OutcomeFilter(provider=provider))
    assert len(page.items) >= 1
    if message:
        stored = await svc.store.message(message, provider)
        assert stored is not None
        assert stored.outcome.provider == provider
    assert (
        await svc.metric("dlrkit_webhook_reports_total", provider=provider, result="accepted")
        == count
    )


async def test_plivo_signature_over_https_url_and_several_signatures(svc: Service) -> None:
    body = fixture_bytes("plivo/message_undelivered.form")
    headers = _plivo("/webhooks/plivo", body)
    headers["X-Plivo-Signature-V3"] = (
        "bm90IGl0, " + headers["X-Plivo-Signature-V3"]
    )  # rotated token
    r = await svc.client.post(
        "/webhooks/plivo", content=body, headers={"Content-Type": FORM, **headers}
    )
    assert r.status_code == 200, r.text


async def _nothing_stored(svc: Service) -> None:
    assert (await svc.store.outcomes(OutcomeFilter())).items == ()


REFUSED: list[tuple[str, str, str, str, dict[str, str], int]] = [
    ("plivo-missing", "/webhooks/plivo", "plivo/message_delivered.form", FORM, {}, 401),
    (
        "plivo-nonce-only",
        "/webhooks/plivo",
        "plivo/message_delivered.form",
        FORM,
        {"X-Plivo-Signature-V3-Nonce": "1"},
        401,
    ),
    (
        "plivo-wrong",
        "/webhooks/plivo",
        "plivo/message_delivered.form",
        FORM,
        {"X-Plivo-Signature-V3": "AAAA", "X-Plivo-Signature-V3-Nonce": "1"},
        403,
    ),
    ("infobip-missing", "/webhooks/infobip", "infobip/sms_report_v2.json", JSON, {}, 401),
    (
        "infobip-wrong-password",
        "/webhooks/infobip",
        "infobip/sms_report_v2.json",
        JSON,
        {"Authorization": signing.basic("ib-user", "guess")},
        403,
    ),
    (
        "infobip-garbled-basic",
        "/webhooks/infobip",
        "infobip/sms_report_v2.json",
        JSON,
        {"Authorization": "Basic %%%"},
        403,
    ),
    (
        "infobip-wrong-bearer",
        "/webhooks/infobip",
        "infobip/sms_report_v2.json",
        JSON,
        {"Authorization": "Bearer ib-bearer-3"},
        403,
    ),
    (
        "infobip-wrong-hmac",
        "/webhooks/infobip",
        "infobip/sms_report_v2.json",
        JSON,
        {"X-Signature": signing.hmac_hex("other-secret", b"{}")},
        403,
    ),
    ("smspartner-missing", "/webhooks/smspartner", "smspartner/dlr_delivered.form", FORM, {}, 401),
    (
        "smspartner-wrong",
        "/webhooks/smspartner?token=smsp-url-tokeN",
        "smspartner/dlr_delivered.form",
        FORM,
        {},
        403,
    ),
    (
        "smspartner-wrong-path",
        "/webhooks/smspartner/nope",
        "smspartner/dlr_delivered.form",
        FORM,
        {},
        403,
    ),
    ("smpp-missing", "/webhooks/smpp", "smpp/batch.txt", TEXT, {}, 401),
    (
        "smpp-wrong",
        "/webhooks/smpp",
        "smpp/batch.txt",
        TEXT,
        {"X-DLR-Token": "smpp-shared-token " + "x"},
        403,
    ),
]


@pytest.mark.parametrize(
    ("path", "fixture", "ctype", "headers", "status"),
    [r[1:] for r in REFUSED],
    ids=[r[0] for r in REFUSED],
)
async def test_wrong_or_missing_credentials_are_refused_and_nothing_is_stored(
    svc: Service, path: str, fixture: str, ctype: str, headers: dict[str, str], status: int
) -> None:
    r = await svc.client.post(
        path, content=fixture_bytes(fixture), headers={"Content-Type": ctype, **headers}
    )
    assert r.status_code == status
    assert r.json()["error"]
    await _nothing_stored(svc)
    provider = path.split("/")[2].split("?", maxsplit=1)[0]
    assert (
        await svc.metric("dlrkit_webhook_rejections_total", provider=provider, reason="auth") == 1
    )


async def test_refusals_are_logged_with_their_reason_and_the_url_a_signature_covered(
    svc: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer reaches only the provider: the operator learns from the log why webhooks are
    refused, for a Plivo signature against which URL (a proxy in front changes it), and a flood
    of them gives one line per reason now and then, not one per request."""
    body = fixture_bytes("plivo/message_delivered.form")
    headers = {"Content-Type": FORM, **_plivo("/webhooks/plivo?other=1", body)}
    with caplog.at_level("WARNING", logger="dlrkit.service"):
        for _ in range(3):
            r = await svc.client.post("/webhooks/plivo", content=body, headers=headers)
            assert r.status_code == 403
        r = await svc.client.post(
            "/webhooks/infobip", content=b"{", headers={"Content-Type": JSON, "Authorization": ""}
        )
    lines = [rec.getMessage() for rec in caplog.records if "refused a" in rec.getMessage()]
    assert len(lines) == 2, lines  # the three Plivo ones share a line; Infobip's has its own
    assert lines[0].startswith("refused a plivo webhook: 403, X-Plivo-Signature-V3")
    assert "(checked against https://dlr.example.com/webhooks/plivo; see --public-url)" in lines[0]
    assert lines[1].startswith("refused a infobip webhook: 401")


def test_a_quiet_reason_logs_again_with_the_count_it_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from dlrkit.service.webhooks import Refusals

    refusals = Refusals(every=0.05)
    with caplog.at_level("WARNING", logger="dlrkit.service"):
        for _ in range(4):
            refusals.note("smspartner", "auth", 403, "token does not match")
        time.sleep(0.06)
        refusals.note("smspartner", "auth", 403, "token does not match")
    lines = [rec.getMessage() for rec in caplog.records]
    assert lines == [
        "refused a smspartner webhook: 403, token does not match",
        "refused a smspartner webhook: 403, token does not match"
        " (and 3 more for this reason since the last such line)",
    ]


async def test_a_tampered_body_fails_the_signature(svc: Service) -> None:
    body = fixture_bytes("plivo/message_delivered.form")
    headers = _plivo("/webhooks/plivo", body)
    tampered = body.replace(b"Status=delivered", b"Status=failed")
    r = await svc.client.post(
        "/webhooks/plivo", content=tampered, headers={"Content-Type": FORM, **headers}
    )
    assert r.status_code == 403
    assert "X-Plivo-Signature-V3" in r.json()["error"]
    signed_elsewhere = _plivo("/webhooks/plivo?other=1", body)  # the URL is part of what is signed
    r = await svc.client.post(
        "/webhooks/plivo", content=body, headers={"Content-Type": FORM, **signed_elsewhere}
    )
    assert r.status_code == 403
    await _nothing_stored(svc)


@pytest.fixture
async def bare(service_factory: Callable[..., Any]) -> AsyncIterator[Service]:
    async with service_factory({}) as s:
        yield s


async def test_a_provider_without_account_is_refused_unless_insecure(
    bare: Service, service_factory: Callable[..., Any]
) -> None:
    body = fixture_bytes("smspartner/dlr_delivered.form")
    r = await bare.client.post("/webhooks/smspartner", content=body, headers={"Content-Type": FORM})
    assert r.status_code == 403
    assert "no smspartner account is configured" in r.json()["error"]
    await _nothing_stored(bare)
    async with service_factory({"DLRKIT_INSECURE_WEBHOOKS": "true"}) as insecure:
        r = await insecure.client.post(
            "/webhooks/smspartner", content=body, headers={"Content-Type": FORM}
        )
        assert r.json() == {"accepted": 1, "duplicates": 0}


async def test_duplicates_change_nothing(svc: Service) -> None:
    body = fixture_bytes("infobip/sms_report_v2.json")
    headers = {"Content-Type": JSON, "Authorization": "Bearer ib-bearer-1"}
    first = await svc.client.post("/webhooks/infobip", content=body, headers=headers)
    assert first.json() == {"accepted": 3, "duplicates": 0}
    before = await svc.store.message("msg-0002-absent", "infobip")
    for _ in range(2):
        again = await svc.client.post("/webhooks/infobip", content=body, headers=headers)
        assert again.status_code == 200
        assert again.json() == {"accepted": 0, "duplicates": 3}
    after = await svc.store.message("msg-0002-absent", "infobip")
    assert before is not None
    assert after is not None
    assert after.outcome == before.outcome
    assert len(after.history) == len(before.history) == 1
    assert (
        await svc.metric("dlrkit_webhook_reports_total", provider="infobip", result="duplicate")
        == 6
    )
    assert (
        await svc.metric("dlrkit_webhook_reports_total", provider="infobip", result="accepted") == 3
    )


async def test_oversized_bodies_get_413_without_being_read(
    service_factory: Callable[..., Any],
) -> None:
    env = {**ACCOUNT_ENV, "DLRKIT_MAX_BODY": "200"}
    async with service_factory(env) as svc:
        body = fixture_bytes("smpp/batch.txt")
        assert len(body) > 200
        headers = {"Content-Type": TEXT, "X-DLR-Token": "smpp-shared-token"}
        r = await svc.client.post("/webhooks/smpp", content=body, headers=headers)
        assert r.status_code == 413
        assert r.json() == {"error": "body larger than 200 bytes", "field": "body"}

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while streaming
            for _ in range(1000):
                yield b"x" * 100

        r = await svc.client.post("/webhooks/smpp", content=chunks(), headers=headers)
        assert r.status_code == 413
        assert (
            await svc.metric("dlrkit_webhook_rejections_total", provider="smpp", reason="size") == 2
        )
        await _nothing_stored(svc)


@pytest.mark.parametrize(
    ("path", "ctype", "accepted"),
    [
        ("/webhooks/infobip", "text/html", "application/json"),
        ("/webhooks/infobip", "", "application/json"),
        (
            "/webhooks/plivo",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded, application/json",
        ),
        ("/webhooks/smpp", "application/xml", "text/plain, application/json"),
    ],
)
async def test_unsupported_content_types_get_415_naming_the_accepted_ones(
    svc: Service, path: str, ctype: str, accepted: str
) -> None:
    r = await svc.client.post(
        path, content=b"<x/>", headers={"Content-Type": ctype} if ctype else {}
    )
    assert r.status_code == 415
    assert r.json()["field"] == "content-type"
    assert r.json()["error"].endswith("accept " + accepted)
    provider = path.rsplit("/", 1)[1]
    assert (
        await svc.metric("dlrkit_webhook_rejections_total", provider=provider, reason="type") == 1
    )


@pytest.mark.parametrize(
    ("path", "body", "ctype", "creds", "field"),
    [
        (
            "/webhooks/infobip",
            b'{"results":[{"to":"33612345678"}]}',
            JSON,
            {"Authorization": "Bearer ib-bearer-1"},
            "results[0].messageId",
        ),
        (
            "/webhooks/infobip",
            b"{not json",
            JSON,
            {"Authorization": "Bearer ib-bearer-1"},
            "payload",
        ),
        (
            "/webhooks/smspartner?token=smsp-url-token",
            b"msgId=1&phoneNumber=%2B33600000000",
            FORM,
            {},
            "status",
        ),
        ("/webhooks/smpp", b"hello there", TEXT, {"X-DLR-Token": "smpp-shared-token"}, "id"),
        ("/webhooks/smpp", b"\xff\xfe\x00", TEXT, {"X-DLR-Token": "smpp-shared-token"}, None),
    ],
)
async def test_malformed_payloads_get_422_naming_the_field(
    svc: Service, path: str, body: bytes, ctype: str, creds: dict[str, str], field: str | None
) -> None:
    r = await svc.client.post(path, content=body, headers={"Content-Type": ctype, **creds})
    assert r.status_code == 422
    answer = r.json()
    assert set(answer) == {"error", "field"}
    if field is not None:
        assert answer["field"] == field
    assert answer["field"]
    assert "Traceback" not in r.text
    await _nothing_stored(svc)
    provider = path.split("/")[2].split("?", maxsplit=1)[0]
    assert (
        await svc.metric("dlrkit_webhook_rejections_total", provider=provider, reason="malformed")
        == 1
    )


async def test_storage_failure_is_503_and_the_report_is_not_acknowledged(svc: Service) -> None:
    await svc.store.close()  # the database is gone: ingest fails
    body = fixture_bytes("smpp/batch.txt")
    r = await svc.client.post(
        "/webhooks/smpp",
        content=body,
        headers={"Content-Type": TEXT, "X-DLR-Token": "smpp-shared-token"},
    )
    assert r.status_code == 503
    assert r.json() == {"error": "storage unavailable", "field": None}
    assert r.headers["retry-after"] == "5"
    assert (
        await svc.metric("dlrkit_webhook_rejections_total", provider="smpp", reason="storage") == 1
    )
    assert (await svc.client.get("/healthz")).status_code == 503
    await svc.store.open()  # the fixture closes it again


async def test_unknown_provider_is_404(svc: Service) -> None:
    r = await svc.client.post("/webhooks/twilio", content=b"{}", headers={"Content-Type": JSON})
    assert r.status_code == 404
    assert r.json()["field"] == "provider"
    assert "'twilio'" in r.json()["error"]
    assert "infobip" in r.json()["error"]


async def test_requests_are_counted_by_route_template_and_status(svc: Service) -> None:
    await svc.client.post(
        "/webhooks/smspartner/wrong", content=b"a=b", headers={"Content-Type": FORM}
    )
    await svc.client.get("/codes/infobip/27")
    assert (
        await svc.metric(
            "dlrkit_http_requests_total",
            method="POST",
            route="/webhooks/smspartner/{token}",
            status="403",
        )
        == 1
    )
    assert (
        await svc.metric(
            "dlrkit_http_requests_total",
            method="GET",
            route="/codes/{provider}/{code}",
            status="200",
        )
        == 1
    )


async def test_outcomes_by_state_are_counted(svc: Service) -> None:
    body = fixture_bytes("infobip/sms_report_v2.json")
    await svc.client.post(
        "/webhooks/infobip",
        content=body,
        headers={"Content-Type": JSON, "Authorization": "Bearer ib-bearer-1"},
    )
    assert await svc.metric("dlrkit_outcomes_total", provider="infobip", state="delivered") == 1
    assert await svc.metric("dlrkit_outcomes_total", provider="infobip", state="undelivered") == 2
    text = (await svc.client.get("/metrics")).text
    assert 'dlrkit_ingest_seconds_count{provider="infobip"} 1.0' in text


async def test_values_no_store_can_hold_are_422_before_anything_is_kept(svc: Service) -> None:
    body = b'{"results":[{"messageId":"ok-1","status":{"id":5}},{"messageId":"bad\\u0000id","status":{"id":5}}]}'
    r = await svc.client.post(
        "/webhooks/infobip",
        content=body,
        headers={"Content-Type": JSON, "Authorization": "Bearer ib-bearer-1"},
    )
    assert r.status_code == 422
    assert r.json() == {"error": "contains a NUL character", "field": "results[1].messageId"}
    await _nothing_stored(svc)


async def test_user_rules_decide_what_they_match(
    service_factory: Callable[..., Any], tmp_path: Any
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nprovider = "infobip"\ncode = 27\nkind = "error"\nretry = "never"\nparty = "carrier"\n'
    )
    async with service_factory({**ACCOUNT_ENV, "DLRKIT_RULES_FILE": str(rules)}) as svc:
        body = fixture_bytes("infobip/sms_report_v2.json")
        r = await svc.client.post(
            "/webhooks/infobip",
            content=body,
            headers={"Content-Type": JSON, "Authorization": "Bearer ib-bearer-1"},
        )
        assert r.status_code == 200
        stored = await svc.store.message("msg-0002-absent", "infobip")
        assert stored is not None
        assert (stored.outcome.retry, stored.outcome.party, stored.outcome.decided_by) == (
            "never",
            "carrier",
            "rules:rules.toml#1",
        )


async def test_a_value_no_store_can_hold_is_named_as_the_payload_names_it(svc: Service) -> None:
    long_id = "m" * 300
    body = json.dumps(
        {
            "results": [
                {"messageId": "ok", "status": {"id": 5}},
                {"messageId": long_id, "status": {"id": 5}},
            ]
        }
    ).encode()
    r = await svc.client.post(
        "/webhooks/infobip",
        content=body,
        headers={"Content-Type": JSON, "Authorization": "Bearer ib-bearer-1"},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "results[1].messageId"
    assert "255" in r.json()["error"]
    await _nothing_stored(svc)


async def test_a_running_app_keeps_its_start_up_objects_out_of_full_collections(
    service_factory: Callable[..., Any],
) -> None:
    """The catalog, the app and the modules are frozen (gc.freeze) while the app runs: a full
    collection then walks only what requests left behind (it paused the webhooks ~50 ms a time,
    their p99), and they are back in the collector's sight once the app stops."""
    assert gc.get_freeze_count() == 0
    async with service_factory():
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
