"""Real processes for the reliability tests: `dlrkit serve` and `dlrkit worker`, started and
killed by pid; and senders posting webhooks to them over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.reliability.traffic import SECRETS, Hook
from tests.service.conftest import free_port


def start(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """`python -m dlrkit ARGS`, its output to `log` (read it when something goes wrong)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "dlrkit", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **SECRETS},
        )


def serve(
    data_dir: Path, *args: str, port: int | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """`dlrkit serve` on a loopback port, once /healthz answers 200."""
    port = port or free_port()
    log = data_dir.parent / f"serve-{data_dir.name}.log"
    process = start(
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
        *args,
        log=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dlrkit serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return url, process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"dlrkit serve did not answer within 60 s:\n{log.read_text()}")


@dataclass
class Sent:
    """What senders saw: the hooks answered 2xx, and how many got other answers or none."""

    acknowledged: list[Hook] = field(default_factory=list)
    refused: int = 0
    failed: int = 0  # no answer: connection refused or cut

    @property
    def attempted(self) -> int:
        return len(self.acknowledged) + self.refused + self.failed


def stripes(traffic: Sequence[Hook], senders: int) -> list[Sequence[Hook]]:
    """`traffic` dealt to `senders` senders, in turn."""
    return [traffic[n::senders] for n in range(senders)]


def send(url: str, lanes: Sequence[Sequence[Hook]], sent: Sent | None = None) -> Sent:
    """Post every lane's hooks, the lanes concurrently (one thread and keep-alive connection
    each), each lane's in order; a lane stops at its first request without an answer (the
    server is gone). httpx's sync client: its async one costs milliseconds per request here."""
    sent = sent or Sent()
    lock = threading.Lock()

    def sender(share: Sequence[Hook]) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for hook in share:
                try:
                    answer = client.post(hook.path, content=hook.body, headers=hook.headers(url))
                except httpx.TransportError:
                    with lock:
                        sent.failed += 1
                    return
                with lock:
                    if answer.is_success:
                        sent.acknowledged.append(hook)
                    else:
                        sent.refused += 1

    threads = [threading.Thread(target=sender, args=(lane,), daemon=True) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent
