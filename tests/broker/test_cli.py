"""`dlrkit worker` (and `dlrkit serve --broker`) as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream
from dlrkit.store import default_url
from tests.broker.conftest import StreamUrl
from tests.broker.items import incoming, stored_count
from tests.service.conftest import dlrkit


def test_usage_errors_are_named() -> None:
    done = dlrkit("worker", env={"DLRKIT_BROKER_URL": ""})
    assert (done.returncode, done.stderr) == (
        2,
        "dlrkit: worker needs --broker URL (or DLRKIT_BROKER_URL)\n",
    )
    done = dlrkit("worker", "--broker", "nats://127.0.0.1:4222?replicas=0")
    assert done.returncode == 2
    assert done.stderr.startswith("dlrkit: broker_url.replicas: replicas must be a whole number")
    done = dlrkit("worker", "--broker", "nats://127.0.0.1:4222", "--batch", "0")
    assert done.returncode == 2
    assert "--batch must be from 1 to 10000" in done.stderr
    done = dlrkit(
        "worker", "--broker", "nats://127.0.0.1:4222", env={"DLRKIT_POLICY_BACKOFF": "1h"}
    )
    assert done.returncode == 2
    assert done.stderr.startswith("dlrkit: DLRKIT_POLICY_BACKOFF: expected whole seconds")


def test_serve_refuses_a_broker_it_cannot_reach(tmp_path: Path) -> None:
    done = dlrkit(
        "serve", "--data-dir", str(tmp_path), "--broker", "nats://127.0.0.1:1", "--port", "1"
    )
    assert done.returncode == 2
    assert "cannot reach the broker at nats://127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr


def test_worker_consumes_until_sigterm(tmp_path: Path, stream_url: StreamUrl) -> None:
    url = stream_url()
    items = incoming(50, "plivo")

    async def publish() -> None:
        broker = JetStream(BrokerConfig.from_url(url))
        await broker.open()
        try:
            await broker.publish(items)
        finally:
            await broker.close()

    asyncio.run(publish())
    command = [sys.executable, "-m", "dlrkit", "worker", "--broker", url, "--batch", "16"]
    worker = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 30
        while stored_count(default_url(tmp_path)) < 50 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert json.loads(out) == {
        "stored": 50,
        "duplicates": 0,
        "retried": 0,
        "dead_lettered": 0,
        "batches": json.loads(out)["batches"],
    }
    assert json.loads(out)["batches"] >= 4
    assert stored_count(default_url(tmp_path)) == 50
    assert "consuming stream" in err
