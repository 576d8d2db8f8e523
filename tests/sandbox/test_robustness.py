"""Junk sent to every imitated endpoint: always the provider's own error answer, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.conftest import (
    INFOBIP_AUTH,
    PLIVO_AUTH,
    PLIVO_ID,
    SMSP_KEY,
    Client,
    SandboxFactory,
)

pytestmark = pytest.mark.anyio

ENDPOINTS = [
    ("/sms/2/text/advanced", INFOBIP_AUTH, None),
    ("/sms/3/messages", INFOBIP_AUTH, None),
    ("/tts/3/advanced", INFOBIP_AUTH, None),
    ("/v1/send", {}, None),
    ("/v1/message-cancel", {}, None),
    (f"/v1/Account/{PLIVO_ID}/Call/", {}, PLIVO_AUTH),
    (f"/v1/Account/{PLIVO_ID}/Message/", {}, PLIVO_AUTH),
]
JUNK = [
    b"",
    b"null",
    b"[]",
    b"\xff\xfe\x00",
    b'{"messages": 5}',
    b'{"messages": [5]}',
    b'{"messages": [{"destinations": [{"to": 5}], "text": ["x"]}]}',
    b'{"messages": [{"destinations": [{"to": "33612349900"}], "text": "x", "validityPeriod": "soon", "ringTimeout": [1]}]}',
    b'{"messages": [{"destinations": [{"to": "33612349900"}], "content": 5, "options": {"validityPeriod": 7}}]}',
    json.dumps({"apiKey": SMSP_KEY, "phoneNumbers": ["+33612349900"], "message": 5}).encode(),
    json.dumps(
        {
            "apiKey": SMSP_KEY,
            "phoneNumbers": "+33612349900",
            "message": "x",
            "scheduledDeliveryDate": 5,
            "time": [],
            "minute": {},
        }
    ).encode(),
    json.dumps({"apiKey": SMSP_KEY, "messageId": [1]}).encode(),
    json.dumps({"from": 1, "to": 2, "answer_url": 3, "ring_timeout": True}).encode(),
    json.dumps({"src": None, "dst": ["x"], "text": 1, "type": 5}).encode(),
    b'{"a": 1e999999}',
]


async def _post(
    sb: Client, path: str, headers: dict[str, str], auth: tuple[str, str] | None, body: bytes
) -> httpx.Response:
    """POST `body` to `path` as JSON: any answer but a server error."""
    r = await sb.http.post(
        path, content=body, headers={"Content-Type": "application/json", **headers}, auth=auth
    )
    assert r.status_code < 500, (path, body, r.text)
    return r


@pytest.mark.parametrize(("path", "headers", "auth"), ENDPOINTS)
async def test_junk_gets_an_error_answer(
    sandbox_factory: SandboxFactory,
    path: str,
    headers: dict[str, str],
    auth: tuple[str, str] | None,
) -> None:
    async with sandbox_factory() as sb:
        for body in JUNK:
            r = await _post(sb, path, headers, auth, body)
            assert isinstance(r.json(), dict)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "messages",
                        "destinations",
                        "to",
                        "text",
                        "from",
                        "phoneNumbers",
                        "message",
                        "src",
                        "dst",
                        "answer_url",
                        "apiKey",
                    ]
                ),
                kids,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
async def test_any_json_gets_an_answer(sandbox_factory: SandboxFactory, doc: object) -> None:
    body = json.dumps(doc).encode()
    async with sandbox_factory() as sb:
        for path, headers, auth in ENDPOINTS:
            await _post(sb, path, headers, auth, body)
