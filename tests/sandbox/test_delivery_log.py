"""The delivery worker says in its log when the receiver refuses or cannot be reached."""

from __future__ import annotations

import logging

import httpx
import pytest

from dlrkit.sandbox.clock import Clock
from dlrkit.sandbox.delivery import Deliverer
from dlrkit.sandbox.ledger import Callback

URL = "http://127.0.0.1:8000/webhooks/infobip"


def _callback() -> Callback:
    return Callback("m1", "infobip", "final", URL, b"{}", "application/json", due=0.0)


async def _deliver(handler: httpx.MockTransport, attempts: int = 3) -> Callback:
    deliverer = Deliverer(Clock(speed=100_000), lambda cb: {}, attempts=attempts, backoff=1.0)
    callback = _callback()
    async with httpx.AsyncClient(transport=handler) as client:
        deliverer._client = client
        await deliverer._deliver(callback)
    return callback


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "dlrkit.sandbox" and r.levelno == logging.WARNING
    ]


@pytest.mark.anyio
async def test_a_refused_callback_is_logged_with_the_status_and_the_problem(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": "signature does not match", "field": "X-Sig"})

    caplog.set_level(logging.WARNING, "dlrkit.sandbox")
    callback = await _deliver(httpx.MockTransport(refuse))
    assert callback.outcome == "failed"
    [line] = _warnings(caplog)  # a 403 is final: one attempt, one line
    assert URL in line
    assert "HTTP 403" in line
    assert "X-Sig: signature does not match" in line
    assert "not retried" in line


@pytest.mark.anyio
async def test_every_failed_attempt_and_the_giving_up_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="down for maintenance")

    caplog.set_level(logging.WARNING, "dlrkit.sandbox")
    callback = await _deliver(httpx.MockTransport(fail), attempts=3)
    assert callback.outcome == "failed"
    lines = _warnings(caplog)
    assert len(lines) == 4
    for n, line in enumerate(lines[:3], 1):
        assert f"{URL}, attempt {n}: HTTP 503 (down for maintenance)" in line
    assert lines[3].startswith(f"gave up on a infobip callback to {URL} after 3 attempts")


@pytest.mark.anyio
async def test_an_unreachable_receiver_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    caplog.set_level(logging.WARNING, "dlrkit.sandbox")
    callback = await _deliver(httpx.MockTransport(unreachable), attempts=2)
    assert callback.outcome == "failed"
    lines = _warnings(caplog)
    assert len(lines) == 3
    assert "attempt 1: ConnectError: connection refused" in lines[0]
    assert lines[2].startswith(f"gave up on a infobip callback to {URL} after 2 attempts")
    assert "ConnectError" in lines[2]


@pytest.mark.anyio
async def test_a_delivered_callback_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "dlrkit.sandbox")
    callback = await _deliver(httpx.MockTransport(lambda request: httpx.Response(200)))
    assert callback.outcome == "delivered"
    assert _warnings(caplog) == []
