"""Benchmark: the ingest service's own ceiling, every webhook verified, parsed and classified but
acknowledged without being stored, against the no-op endpoint.

    .venv/bin/python bench/ingest_front.py [--duration 8] [--connections 64] [--delay 0]

`bench/ingest.py` measures the real service; this one answers a narrower question: how fast
can the HTTP stack plus the webhook route's own work (content type, size, signature, parsing,
classification, the store's checks, metrics) go when storage costs nothing? The server is the
real app (`create_app`) with one substitution made here, in the benchmark: its sink
acknowledges every report at once (after `--delay` seconds, to imitate a store's latency), so
no report is kept. Requests are the same signed Infobip reports as bench/ingest.py's, driven by
wrk through bench/ingest.lua. Prints webhooks/s against the no-op endpoint's req/s, their
ratio, and the server's CPU per request: roughly what the route allows `bench/ingest.py`'s
"half the no-op ceiling" goal (not a strict bound: answering each request at once costs the
event loop more than answering a committed group together).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest import NOOP, SECRETS, bodies, free_port, wait_healthy, write_requests
from ingest import wrk as run_wrk


class InstantSink:
    """A sink that says every report is new and durable, after `delay` seconds."""

    def __init__(self, delay: float):
        self.delay = delay

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def check(self) -> None:
        pass

    async def persist(self, items: Sequence[Any]) -> list[bool]:
        if self.delay:
            await asyncio.sleep(self.delay)
        return [False] * len(items)


def serve(port: int, data: str, delay: float) -> None:
    import uvicorn

    from dlrkit.service.app import create_app
    from dlrkit.service.settings import Settings

    settings = Settings.from_env({**os.environ, "DLRKIT_DATA_DIR": data})
    app = create_app(settings, sink=InstantSink(delay))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", server_header=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--delay", type=float, default=0.0, help="the sink's latency, seconds")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.delay)
        return 0

    with tempfile.TemporaryDirectory(prefix="dlrkit-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        payloads = bodies("infobip", args.duration * 15000 + 2000, 1, 0)
        hooks, noop = work / "hooks.req", work / "noop.req"
        write_requests(hooks, base, "infobip", payloads, None)
        write_requests(noop, base, "infobip", payloads[:50_000], NOOP)
        command = [sys.executable, __file__, "--serve", str(port), str(work / "data")]
        command += ["--delay", str(args.delay)]
        server = subprocess.Popen(command, env={**os.environ, **SECRETS})
        try:
            wait_healthy(server, base, "the server")
            run_wrk(base, noop, args, 2, server.pid)  # warm up
            run_wrk(base, hooks, args, 2, server.pid)
            ceiling = run_wrk(base, noop, args, args.duration, server.pid)
            front = run_wrk(base, hooks, args, args.duration, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "sink_delay_ms": args.delay * 1000,
        "connections": args.connections,
        "webhooks_per_s": round(front["per_second"], 1),
        "p50_ms": front["p50_us"] / 1000,
        "p99_ms": front["p99_us"] / 1000,
        "noop_per_s": round(ceiling["per_second"], 1),
        "ratio": round(front["per_second"] / ceiling["per_second"], 3),
        "server_cpu_us_per_webhook": round(front["cpu_us"]),
        "server_cpu_us_per_noop": round(ceiling["cpu_us"]),
        "refused_or_failed": front["status_errors"] + front["errors"],
    }
    print(
        f"webhooks/s, acknowledged at once (+{result['sink_delay_ms']:.0f} ms)  "
        f"{result['webhooks_per_s']:,.0f}  (p50 {result['p50_ms']:.1f}, p99 {result['p99_ms']:.1f} ms)"
    )
    print(f"no-op endpoint req/s                         {result['noop_per_s']:,.0f}")
    print(f"webhooks / no-op                             {result['ratio']:.2f}")
    print(
        "server CPU per webhook / no-op               "
        f"{result['server_cpu_us_per_webhook']} / {result['server_cpu_us_per_noop']} µs"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
