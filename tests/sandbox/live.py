"""Real processes for the end-to-end tests: `dlrkit sandbox` next to `dlrkit serve`, each on a free
loopback port, the service configured with the secrets the sandbox signs with by default."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.service.conftest import LiveServer, dlrkit, free_port, live_process, live_server

# What `dlrkit serve` needs to accept the sandbox's default callbacks (docs/sandbox.md).
SERVE_ENV = {
    "DLRKIT_PLIVO_AUTH_TOKEN": "sandbox-plivo-auth-token",
    "DLRKIT_INFOBIP_HMAC_SECRET": "sandbox-infobip-secret",
    "DLRKIT_SMSPARTNER_TOKEN": "sandbox-smspartner-token",
}


@contextmanager
def live_sandbox(*args: str) -> Iterator[LiveServer]:
    """`dlrkit sandbox` on a free loopback port, stopped (SIGTERM) on exit."""
    port = free_port()
    with live_process(
        "sandbox", "--port", str(port), *args, port=port, health="/_sandbox/health", env={}
    ) as server:
        yield server


@contextmanager
def service_and_sandbox(
    tmp_path: Path, *sandbox_args: str
) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    """Both processes and an API key of the service: (service, sandbox, key)."""
    data = tmp_path / "service"
    made = dlrkit("keys", "create", "e2e", "--data-dir", str(data), "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["secret"]
    with live_server(data, env=SERVE_ENV) as service:
        args = (
            "--callback-base",
            service.url,
            "--state-dir",
            str(tmp_path / "sandbox"),
            *sandbox_args,
        )
        with live_sandbox(*args) as sandbox:
            yield service, sandbox, key
    assert "Traceback" not in service.output, service.output
    assert "Traceback" not in sandbox.output, sandbox.output


def settle(sandbox: LiveServer, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Wait until every callback of the sandbox was delivered (or given up); its ledger."""
    deadline = time.monotonic() + timeout
    while True:
        health = httpx.get(sandbox.url + "/_sandbox/health", timeout=5).json()
        if health["pending"] == 0 and "pending" not in health["callbacks"]:
            return list(httpx.get(sandbox.url + "/_sandbox/messages", timeout=10).json())
        if time.monotonic() > deadline:
            raise AssertionError(f"callbacks still pending after {timeout} s: {health}")
        time.sleep(0.1)


def stored_outcomes(service: LiveServer, key: str, provider: str) -> dict[str, dict[str, Any]]:
    """Every outcome the service stored for `provider`, by message id."""
    out: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"provider": provider, "limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(
            service.url + "/outcomes",
            params=params,
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert page.status_code == 200, page.text
        for item in page.json()["items"]:
            out[item["message_id"]] = item
        cursor = page.json()["next_cursor"]
        if not cursor:
            return out
