"""Benchmark: how fast one `dlrkit worker` moves reports from JetStream into PostgreSQL.

    .venv/bin/python bench/worker.py [--reports 20000] [--batch 256]
        [--nats nats://127.0.0.1:4222] [--pg postgresql://postgres@127.0.0.1:5432/test]

Publishes `--reports` distinct, realistic reports (the sandbox's Infobip SMS reports, classified
as an ingest node classifies them) to a stream of its own, then runs the real `dlrkit worker`
process on a fresh PostgreSQL schema and times it from its first commit until the stream is
empty (every report committed and acknowledged). Prints reports/s and the worker's CPU per
report, then the same with two workers sharing the consumer. The
stream and the schema are removed afterwards. Figures feed docs/scaling.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import nats
import sqlalchemy as sa

from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream
from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.traffic import report
from dlrkit.service.ingest import incoming_from_payload
from dlrkit.store.engine import engine_for


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def publish(broker: str, count: int) -> None:
    catalog, scenario = Catalog.default(), Scenario()
    classifier = Classifier(catalog)
    js = JetStream(BrokerConfig.from_url(broker))
    await js.open()
    try:
        for first in range(0, count, 500):
            items = []
            for i in range(first, min(first + 500, count)):
                body, ctype = report("infobip", "sms", i, scenario, catalog)
                items += incoming_from_payload(
                    body, "infobip", ctype, catalog, classifier=classifier
                )
            await js.publish(items)
    finally:
        await js.close()


async def remove(js: JetStream) -> None:
    nc = await nats.connect(js.config.servers[0])
    try:
        for name in (js.config.stream, js.config.dead_stream):
            await nc.jsm().delete_stream(name)
    finally:
        await nc.close()


def run(args: argparse.Namespace, workers: int) -> dict[str, float]:
    name = f"BENCH_{secrets.token_hex(4)}"
    broker = f"{args.nats}?stream={name}"
    schema = f"dlrkit_bench_{secrets.token_hex(4)}"
    admin = engine_for(args.pg, pool_size=1)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = f"{args.pg}?options={quote(f'-csearch_path={schema}')}"
    runner = asyncio.Runner()
    watcher = JetStream(BrokerConfig.from_url(broker), consumer=False)
    try:
        runner.run(publish(broker, args.reports))
        runner.run(watcher.open())
        command = [sys.executable, "-m", "dlrkit", "worker", "--broker", broker, "--db", db]
        command += ["--batch", str(args.batch), "--log-level", "warning"]
        procs = [subprocess.Popen(command, stdout=subprocess.PIPE) for _ in range(workers)]
        started = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            remaining = runner.run(watcher.backlog())
            if started is None and remaining < args.reports:
                started, cpu0 = time.perf_counter(), sum(cpu_seconds(p.pid) for p in procs)
                done_at_start = args.reports - remaining
            if remaining == 0:
                break
            time.sleep(0.01)
        assert started is not None
        seconds = time.perf_counter() - started
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        for p in procs:
            p.send_signal(signal.SIGTERM)
        stats = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
        assert sum(s["stored"] for s in stats) == args.reports, stats
        moved = args.reports - done_at_start
        return {"reports_per_s": moved / seconds, "cpu_us_per_report": cpu / moved * 1e6}
    finally:
        runner.run(remove(watcher))
        runner.run(watcher.close())
        runner.close()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = {}
    for workers in (1, 2):
        print(f"{workers} worker(s), {args.reports:,} reports ...", file=sys.stderr)
        results[workers] = run(args, workers)
        print(
            f"{workers} worker(s), batch {args.batch}: "
            f"{results[workers]['reports_per_s']:,.0f} reports/s, "
            f"{results[workers]['cpu_us_per_report']:.0f} µs of worker CPU per report"
        )
    print(json.dumps({"batch": args.batch, **{f"workers_{k}": v for k, v in results.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
