"""Fixtures of the sandbox tests: the sandbox app spoken to over ASGI (its delivery worker
running), and a real receiver on a loopback port that records the callbacks and can fail on
demand."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dlrkit.sandbox import create_app
from dlrkit.sandbox.runtime import Sandbox, SandboxSettings
from dlrkit.sandbox.scenario import Scenario
from tests.service.conftest import free_port

INFOBIP_AUTH = {"Authorization": "App sandbox-infobip-key"}
PLIVO_ID = "MASANDBOX00000000000"
PLIVO_AUTH = ("MASANDBOX00000000000", "sandbox-plivo-auth-token")
SMSP_KEY = "sandbox-smspartner-key"


@dataclass
class Received:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP server recording every POST; `fail_first` answers 503 that many times."""

    url: str
    calls: list[Received] = field(default_factory=list)
    fail_first: int = 0
    answer: int = 200

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} callbacks, got {len(self.calls)}")
            await asyncio.sleep(0.02)
        return self.calls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    rec = Receiver(f"http://127.0.0.1:{port}")

    async def record(request: Request) -> Response:
        rec.calls.append(
            Received(
                request.url.path, request.url.query, dict(request.headers), await request.body()
            )
        )
        if rec.fail_first > 0:
            rec.fail_first -= 1
            return JSONResponse({"error": "try later"}, 503)
        return JSONResponse({"ok": True}, rec.answer)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("receiver did not start")
        time.sleep(0.01)
    yield rec
    server.should_exit = True
    thread.join(timeout=10)


class Client:
    """The sandbox app, its run-time context and an httpx client speaking ASGI to it."""

    def __init__(self, app: Any, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http

    @property
    def sandbox(self) -> Sandbox:
        sandbox: Sandbox = self.app.state.sandbox
        return sandbox

    async def settle(self, timeout: float = 10.0) -> None:
        assert await self.sandbox.deliverer.drain(timeout), "callbacks still pending"

    def messages(self, provider: str | None = None) -> list[dict[str, Any]]:
        return [m.to_dict() for m in self.sandbox.ledger.select(provider)]


SandboxFactory = Callable[..., Any]


@pytest.fixture
def sandbox_factory() -> SandboxFactory:
    """`async with sandbox_factory(callback_base=..., scenario=..., speed=...) as sb:`."""

    @asynccontextmanager
    async def make(
        callback_base: str | None = None,
        scenario: Scenario | dict[str, Any] | None = None,
        speed: float = 1000.0,
        start: datetime | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Client]:
        if isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        settings = SandboxSettings(
            scenario=scenario or Scenario.from_dict({"delays": {"delivered": 1, "default": 2}}),
            callback_base=callback_base,
            speed=speed,
            start=start,
            retry_backoff=kwargs.pop("retry_backoff", 1.0),
            **kwargs,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5555))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://sandbox.test"
            ) as http:
                yield Client(app, http)

    return make
