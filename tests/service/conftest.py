"""Fixtures of the service tests: an app on a real SQLite store in a temporary directory,
an httpx client speaking ASGI to it, and helpers to sign webhooks as providers do."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dlrkit.service.settings import Settings
from dlrkit.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"

# Accounts of the default test app, one per way of proving authenticity.
ACCOUNT_ENV = {
    "DLRKIT_PLIVO_AUTH_TOKEN": "plivo-auth-token-0123456789",
    "DLRKIT_INFOBIP_USERNAME": "ib-user",
    "DLRKIT_INFOBIP_PASSWORD": "ib-pass word:with colon",
    "DLRKIT_INFOBIP_BEARER_TOKENS": "ib-bearer-1, ib-bearer-2",
    "DLRKIT_INFOBIP_HMAC_SECRET": "ib-hmac-secret",
    "DLRKIT_SMSPARTNER_TOKEN": "smsp-url-token",
    "DLRKIT_SMPP_TOKEN": "smpp-shared-token",
}


class Service:
    """A running app (lifespan entered) and a client for it."""

    def __init__(self, app: Any, client: httpx.AsyncClient):
        self.app = app
        self.client = client

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    async def api_key(self, name: str = "tests") -> str:
        _, secret = await self.store.create_key(name)
        return secret

    async def load_samples(self) -> None:
        """Post the Infobip SMS fixture (3 messages to France: delivered; absent subscriber;
        unknown subscriber) and three SMPP receipts (delivered; undelivered err 034; expired)."""
        r = await self.client.post(
            "/webhooks/infobip",
            content=fixture_bytes("infobip/sms_report_v2.json"),
            headers={"Content-Type": "application/json", "Authorization": "Bearer ib-bearer-1"},
        )
        assert r.json()["accepted"] == 3
        r = await self.client.post(
            "/webhooks/smpp",
            content=fixture_bytes("smpp/batch.txt"),
            headers={"Content-Type": "text/plain", "X-DLR-Token": "smpp-shared-token"},
        )
        assert r.json()["accepted"] == 3

    async def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of /metrics (parsed with prometheus-client's own parser)."""
        text = (await self.client.get("/metrics")).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return float(sample.value)
        raise AssertionError(f"no sample {name}{labels}")


# _late_imports: importing the submodules dlrkit.explainer and dlrkit.normalizer replaces the
# package attributes dlrkit.explainer/dlrkit.normalizer (the lazily exported functions) with the
# modules, so test modules collected later that do `from dlrkit import explain` would get a
# module. The app is therefore imported inside fixtures, never while tests are collected.

ServiceFactory = Callable[..., Any]


@pytest.fixture
def service_factory(tmp_path: Path) -> Callable[..., Any]:
    """`async with service_factory(env) as svc:` an app on a fresh SQLite store."""
    counter = iter(range(1000))

    @asynccontextmanager
    async def make(
        env: dict[str, str] | None = None, store: Callable[[Settings], Store] | None = None
    ) -> AsyncIterator[Service]:
        """`store`, if given, makes the app's store from its settings."""
        data = tmp_path / f"svc{next(counter)}"
        from dlrkit.service.app import create_app  # imported late: see _late_imports below

        settings = Settings.from_env(
            {"DLRKIT_DATA_DIR": str(data), **(env if env is not None else ACCOUNT_ENV)}
        )
        app = create_app(settings, store=store(settings) if store else None)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="https://dlr.example.com"
            ) as client:
                yield Service(app, client)

    return make


@pytest.fixture
async def svc(service_factory: Callable[..., Any]) -> AsyncIterator[Service]:
    async with service_factory() as s:
        yield s


def fixture_bytes(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


Poster = Callable[..., Awaitable[httpx.Response]]


# --- the real server process ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dlrkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a child process (`python -m dlrkit ...`)."""
    return subprocess.run(
        [sys.executable, "-m", "dlrkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen[str]):
        self.url = url
        self.process = process
        self.output = ""  # what it printed, once stopped


@contextmanager
def live_process(*args: str, port: int, health: str, env: dict[str, str]) -> Iterator[LiveServer]:
    """`python -m dlrkit ARGS` listening on loopback `port`, once GET `health` answers 200;
    stopped (SIGTERM) on exit, its output then in `.output`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dlrkit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process)
    name = f"dlrkit {args[0]}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"{name} exited early: {output}")
            try:
                if httpx.get(server.url + health, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not answer {health} within 30 s")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            server.output = process.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            server.output = process.communicate()[0]


@contextmanager
def live_server(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """`dlrkit serve` on a free loopback port, stopped (SIGTERM) on exit."""
    port = free_port()
    with live_process(
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *args,
        port=port,
        health="/healthz",
        env=env or {},
    ) as server:
        yield server
