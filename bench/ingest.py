"""Benchmark: `dlrkit serve` taking signed webhooks over loopback from wrk, against its no-op ceiling.

    .venv/bin/python bench/ingest.py [--duration 10] [--connections 64] [--workers 1]
        [--store-writer process|thread] [--provider infobip] [--reports-per-webhook 1]
        [--broker nats://127.0.0.1:4222] [--no-route-alone]

Starts the real server (`python -m dlrkit serve`, SQLite in a temporary directory, every commit
fsynced; or, with --broker, a stateless ingest node on a JetStream stream of its own) and drives
it with wrk (Debian's `wrk`, a C load generator) through `bench/ingest.lua`. wrk's Lua cannot
compute HMACs, so the requests are made beforehand: the sandbox renders each report
(`dlrkit.sandbox.traffic.report`) and signs it as the provider does
(`dlrkit.sandbox.signing.callback_headers`); every report is distinct, so each one is really
verified, parsed, classified and written. Then, in the same run and on the same server:

1. the no-op endpoint (`POST /healthz/noop`: the same requests, read and answered, no work):
   the ceiling of this HTTP stack on this machine;
2. the webhooks: webhooks/s, reports/s, p50/p99 latency;
3. the reports kept (store or stream), which must be at least those answered 2xx (requests in
   flight when wrk stops are kept but not counted);
4. the server's CPU time per request (of both runs), which other load on a shared machine
   inflates far less than it does the wall-clock figures, and wrk's;
5. the CPU time other processes took on the machine during each run (its busy time less the
   server's, wrk's and this script's): a run beside other work (several CPU-seconds) is not
   comparable with a run on a quiet machine;
6. unless `--no-route-alone` (or with `--broker`): the same webhooks to the same app, on the same
   port, with storage taken out (`bench/ingest_front.py`'s sink, which acknowledges every report
   at once and keeps none): what the route itself allows. Not a strict bound on the ratio above:
   answering each request at once costs the event loop more than answering a committed group
   together, so a run with storage can come close to it, or pass it.

Goal on a 2-core machine: over 5,000 reports/s durable, p99 under 50 ms, at least half the
no-op ceiling. Prints a table and one JSON line (`--json`: the JSON line only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from dlrkit.catalog import Catalog
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.signing import callback_headers
from dlrkit.sandbox.state import SandboxState
from dlrkit.sandbox.traffic import report, webhook_url
from dlrkit.store import default_url

LUA = Path(__file__).with_name("ingest.lua")
SECRETS = {  # the sandbox's default credentials (docs/sandbox.md)
    "DLRKIT_PLIVO_AUTH_TOKEN": "sandbox-plivo-auth-token",
    "DLRKIT_INFOBIP_HMAC_SECRET": "sandbox-infobip-secret",
    "DLRKIT_SMSPARTNER_TOKEN": "sandbox-smspartner-token",
}
NOOP = "/healthz/noop"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def bodies(provider: str, count: int, per_webhook: int, first: int) -> list[tuple[bytes, str]]:
    """`count` webhook bodies of `per_webhook` distinct reports each, numbered from `first`."""
    catalog, scenario = Catalog.default(), Scenario()
    out = []
    for n in range(count):
        numbers = range(first + n * per_webhook, first + (n + 1) * per_webhook)
        made = [report(provider, "sms", i, scenario, catalog) for i in numbers]
        if per_webhook == 1:
            out.append(made[0])
        else:  # Infobip posts several results in one callback
            results = [r for body, _ in made for r in json.loads(body)["results"]]
            out.append((json.dumps({"results": results}).encode(), made[0][1]))
    return out


def write_requests(
    path: Path, base: str, provider: str, payloads: list[tuple[bytes, str]], target: str | None
) -> None:
    """Complete signed HTTP requests, each preceded by its length (see bench/ingest.lua)."""
    state = SandboxState()
    url = webhook_url(base, provider, state)
    parts = urlsplit(url)
    path_query = parts.path + (f"?{parts.query}" if parts.query else "")
    with path.open("wb") as f:
        for body, ctype in payloads:
            headers = callback_headers(provider, state, url, body, ctype)
            lines = [f"POST {target or path_query} HTTP/1.1", f"Host: {parts.netloc}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
            f.write(b"%d\n" % len(raw) + raw)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far: the server's cost, which
    other load on the machine does not inflate the way it inflates wall-clock figures."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:  # ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        pids += [int(c) for c in children]
    return total / tick


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy so far, all cores (steal included: CPU the
    hypervisor gave to others), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str, requests: Path, args: argparse.Namespace, seconds: int, server: int
) -> dict[str, Any]:
    cpu = cpu_seconds(server)
    busy, own = machine_busy_seconds(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    command += ["-d", f"{seconds}s", "--timeout", "10s", "-s", str(LUA), url, "--", str(requests)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, the one child reaped meanwhile
    wrk_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    server_cpu = cpu_seconds(server) - cpu
    load = machine_busy_seconds() - busy - server_cpu - wrk_cpu - (time.process_time() - own)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            seconds_run = result["duration_us"] / 1e6
            errors = sum(result[k] for k in result if k.endswith(("_errors", "timeouts")))
            result["ok"] = result["requests"] - result["status_errors"]
            result["errors"] = errors
            result["per_second"] = result["ok"] / seconds_run
            result["cpu_us"] = server_cpu / max(result["requests"], 1) * 1e6
            result["wrk_cpu_us"] = wrk_cpu / max(result["requests"], 1) * 1e6
            result["other_cpu_s"] = max(load, 0.0)
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def start_server(data: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "dlrkit", "serve", "--port", str(port)]
    command += ["--data-dir", str(data), "--workers", str(args.workers), "--log-level", "warning"]
    if args.broker:
        command += ["--broker", args.broker]
    else:
        command += ["--store-writer", args.store_writer]
    server = subprocess.Popen(command, env={**os.environ, **SECRETS}, stderr=subprocess.PIPE)
    wait_healthy(server, f"http://127.0.0.1:{port}", "dlrkit serve")
    return server


def wait_healthy(server: subprocess.Popen[bytes], base: str, what: str) -> None:
    """Return once `server` answers GET /healthz; RuntimeError (the server killed) if it exits
    or has not answered within 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            said = server.stderr.read().decode() if server.stderr else ""
            raise RuntimeError(f"{what} exited: {said}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{what} did not answer /healthz within 60 s")


def stored_reports(data: Path, args: argparse.Namespace) -> int:
    """Reports kept: in the store, or with --broker in the broker's stream."""
    if args.broker:
        return asyncio.run(in_stream(args.broker))
    engine = sa.create_engine(default_url(data))
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM reports")).scalar_one()
    engine.dispose()
    return int(count)


async def remove_stream(broker: str) -> None:
    import nats

    from dlrkit.broker.config import BrokerConfig

    config = BrokerConfig.from_url(broker)
    nc = await nats.connect(config.servers[0])
    try:
        for name in (config.stream, config.dead_stream):
            await nc.jsm().delete_stream(name)
    finally:
        await nc.close()


async def in_stream(broker: str) -> int:
    from dlrkit.broker.config import BrokerConfig
    from dlrkit.broker.jetstream import JetStream

    js = JetStream(BrokerConfig.from_url(broker), consumer=False)
    await js.open()
    try:
        return await js.backlog()
    finally:
        await js.close()


def route_alone(
    base: str, port: int, work: Path, requests: tuple[Path, Path], args: argparse.Namespace
) -> dict[str, Any]:
    """The webhooks again, to the same app on the same port (so the signed requests still hold)
    with bench/ingest_front.py's sink: every report acknowledged at once, none kept."""
    front = Path(__file__).with_name("ingest_front.py")
    command = [sys.executable, str(front), "--serve", str(port), str(work / "alone")]
    server = subprocess.Popen(command, env={**os.environ, **SECRETS}, stderr=subprocess.PIPE)
    try:
        wait_healthy(server, base, "the route-alone server")
        wrk(base, requests[0], args, 2, server.pid)
        return wrk(base, requests[1], args, args.duration, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    expected = int(args.duration * args.max_rate)
    print(f"signing {expected + 4000:,} webhooks of {args.provider} ...", file=sys.stderr)
    warm, main = work / "warm.req", work / "main.req"
    write_requests(warm, base, args.provider, bodies(args.provider, 4000, 1, 10**8), None)
    payloads = bodies(args.provider, expected, args.reports_per_webhook, 0)
    write_requests(main, base, args.provider, payloads, None)
    noop = work / "noop.req"
    write_requests(noop, base, args.provider, payloads[: min(len(payloads), 50_000)], NOOP)

    server = start_server(work / "data", port, args)
    alone: dict[str, Any] | None = None
    try:
        print("warming up ...", file=sys.stderr)
        wrk(base, noop, args, 2, server.pid)
        wrk(base, warm, args, 2, server.pid)
        before = stored_reports(work / "data", args)
        print(f"no-op endpoint, {args.duration} s ...", file=sys.stderr)
        ceiling = wrk(base, noop, args, args.duration, server.pid)
        print(f"webhooks, {args.duration} s ...", file=sys.stderr)
        hooks = wrk(base, main, args, args.duration, server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    stored = stored_reports(work / "data", args) - before
    if not (args.no_route_alone or args.broker):
        print(f"the route alone (nothing stored), {args.duration} s ...", file=sys.stderr)
        alone = route_alone(base, port, work, (warm, main), args)
    return {
        "provider": args.provider,
        "workers": args.workers,
        "storage": "JetStream (--broker)" if args.broker else f"SQLite, {args.store_writer} writer",
        "connections": args.connections,
        "reports_per_webhook": args.reports_per_webhook,
        "webhooks_per_s": round(hooks["per_second"], 1),
        "reports_per_s": round(hooks["per_second"] * args.reports_per_webhook, 1),
        "p50_ms": hooks["p50_us"] / 1000,
        "p99_ms": hooks["p99_us"] / 1000,
        "noop_per_s": round(ceiling["per_second"], 1),
        "noop_p50_ms": ceiling["p50_us"] / 1000,
        "noop_p99_ms": ceiling["p99_us"] / 1000,
        "server_cpu_us_per_webhook": round(hooks["cpu_us"]),
        "server_cpu_us_per_noop": round(ceiling["cpu_us"]),
        "wrk_cpu_us_per_webhook": round(hooks["wrk_cpu_us"]),
        "other_cpu_s": round(hooks["other_cpu_s"], 1),
        "other_cpu_s_noop": round(ceiling["other_cpu_s"], 1),
        "ratio": round(hooks["per_second"] / ceiling["per_second"], 3),
        "route_alone_per_s": round(alone["per_second"], 1) if alone else None,
        "route_alone_ratio": round(alone["per_second"] / ceiling["per_second"], 3)
        if alone
        else None,
        "answered_2xx": hooks["ok"],
        "refused_or_failed": hooks["status_errors"] + hooks["errors"],
        "repeated_requests": hooks["wrapped"],
        "reports_stored": stored,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="dlrkit serve --workers")
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="serve --broker URL (e.g. nats://127.0.0.1:4222): a stateless ingest node, "
        "on a stream of its own that the bench removes afterwards",
    )
    parser.add_argument(
        "--store-writer",
        choices=["process", "thread"],
        default="process",
        help="serve --store-writer: SQLite commits in a process of its own (default) or a thread",
    )
    parser.add_argument("--provider", choices=["infobip", "plivo", "smspartner"], default="infobip")
    parser.add_argument("--reports-per-webhook", type=int, default=1, help="infobip only above 1")
    parser.add_argument(
        "--max-rate", type=float, default=15000, help="webhooks/s to prepare for (no repeats)"
    )
    parser.add_argument(
        "--no-route-alone",
        action="store_true",
        help="skip the last run: the route with storage taken out (bench/ingest_front.py's sink)",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON line only")
    args = parser.parse_args()
    if args.reports_per_webhook > 1 and args.provider != "infobip":
        parser.error("only Infobip posts several reports in one webhook")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    if args.broker:  # a stream of its own, removed afterwards
        args.broker += ("&" if "?" in args.broker else "?") + f"stream=BENCH_{os.getpid()}"
    try:
        with tempfile.TemporaryDirectory(prefix="dlrkit-bench-") as tmp:
            result = run(args, Path(tmp))
    finally:
        if args.broker:
            asyncio.run(remove_stream(args.broker))
    if not args.json:
        rows = [
            (f"webhooks/s ({result['storage']}, durable)", f"{result['webhooks_per_s']:,.0f}"),
            ("reports/s", f"{result['reports_per_s']:,.0f}"),
            ("p50 / p99 latency", f"{result['p50_ms']:.1f} / {result['p99_ms']:.1f} ms"),
            ("no-op endpoint req/s (ceiling)", f"{result['noop_per_s']:,.0f}"),
            ("no-op p50 / p99", f"{result['noop_p50_ms']:.1f} / {result['noop_p99_ms']:.1f} ms"),
            ("webhooks / no-op", f"{result['ratio']:.2f}"),
            *(
                [
                    (
                        "route alone, nothing stored: webhooks/s",
                        f"{result['route_alone_per_s']:,.0f}",
                    ),
                    (
                        "route alone / no-op",
                        f"{result['route_alone_ratio']:.2f}",
                    ),
                ]
                if result["route_alone_per_s"] is not None
                else []
            ),
            (
                "server CPU per webhook / no-op",
                f"{result['server_cpu_us_per_webhook']} / {result['server_cpu_us_per_noop']} µs",
            ),
            ("wrk's CPU per webhook", f"{result['wrk_cpu_us_per_webhook']} µs"),
            (
                "CPU of other processes (webhooks / no-op run)",
                f"{result['other_cpu_s']} / {result['other_cpu_s_noop']} s",
            ),
            ("answered 2xx / stored", f"{result['answered_2xx']:,} / {result['reports_stored']:,}"),
            ("refused or failed", f"{result['refused_or_failed']:,}"),
        ]
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
