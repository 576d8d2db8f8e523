"""Benchmark: durable reports per second through `Store.ingest`, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/store.py [--reports 30000] [--callers 64] [--batch 1]
                                         [--pg postgresql://postgres@127.0.0.1:5432/test]

Many concurrent callers (asyncio tasks, like the webhook handlers of a busy server) each send
small batches and wait until they are committed; every report is new (3 reports per message:
accepted, pending, delivered), so each one is really written and merged. SQLite runs with
`synchronous=FULL` (every commit fsynced); PostgreSQL with its defaults (fsync on commit). It
also runs the same load with one caller, where group commit cannot help, to show what it buys.
Goal on a 2-core machine: over 5,000 reports/s durable with SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from dlrkit.outcome import Channel, Outcome
from dlrkit.store import Incoming, default_url
from dlrkit.store.engine import engine_for
from dlrkit.store.sql import SqlStore
from dlrkit.vocab import Party, Reason, Retry, State

STEPS = (State.ACCEPTED, State.PENDING, State.DELIVERED)


def reports(count: int, run_id: str) -> list[Incoming]:
    items = []
    for n in range(count):
        state = STEPS[n % 3]
        message_id = f"{run_id}-{n // 3}"
        at = f"2025-03-01T08:{(n // 600) % 60:02d}:{(n // 10) % 60:02d}.{n % 1000:03d}Z"
        outcome = Outcome(
            message_id=message_id,
            provider="infobip",
            channel=Channel.SMS,
            state=state,
            final=state.final,
            reason=Reason.NONE,
            retry=Retry.NEVER,
            party=Party.UNKNOWN,
            recipient=f"+3361{n // 3:07d}",
            country="FR",
            done_at=at if state.final else None,
            received_at=at,
            raw={"messageId": message_id, "status": state.value, "n": n},
        )
        key = hashlib.sha256(f"{message_id}:{n}".encode()).hexdigest()
        items.append(Incoming(report_key=key, outcome=outcome))
    return items


async def measure(url: str, items: list[Incoming], callers: int, batch: int) -> tuple[float, float]:
    """(reports per second, p99 wait of one ingest call in ms)."""
    store = SqlStore(url)
    await store.open()
    batches = iter([items[i : i + batch] for i in range(0, len(items), batch)])
    waits: list[float] = []

    async def caller() -> None:
        for chunk in batches:
            t = time.perf_counter()
            await store.ingest(chunk)
            waits.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    elapsed = time.perf_counter() - start
    await store.close()
    p99 = statistics.quantiles(waits, n=100)[98] * 1000 if len(waits) > 1 else waits[0] * 1000
    return len(items) / elapsed, p99


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=30_000)
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--batch", type=int, default=1, help="reports per ingest call")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    schema = f"dlrkit_bench_{secrets.token_hex(4)}"
    admin = engine_for(args.pg, pool_size=1)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    pg_url = f"{args.pg}{'&' if '?' in args.pg else '?'}options={quote(f'-csearch_path={schema}')}"
    single = max(args.reports // 10, 300)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, url in (("SQLite", default_url(Path(tmp))), ("PostgreSQL", pg_url)):
                many = asyncio.run(
                    measure(url, reports(args.reports, f"{name}-many"), args.callers, args.batch)
                )
                one = asyncio.run(measure(url, reports(single, f"{name}-one"), 1, args.batch))
                rows.append((name, many, one))
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    print(
        f"{args.reports} new reports, {args.callers} concurrent callers, {args.batch} report(s) per ingest call"
    )
    print(
        f"{'store':<12}{'reports/s':>12}{'p99 ms':>10}{'1 caller/s':>13}{'group commit gain':>20}"
    )
    for name, (rate, p99), (rate_one, _) in rows:
        print(f"{name:<12}{rate:>12,.0f}{p99:>10.1f}{rate_one:>13,.0f}{rate / rate_one:>19.1f}x")
    sqlite_rate, pg_rate = rows[0][1][0], rows[1][1][0]
    print(
        f"SQLite / PostgreSQL: {sqlite_rate / pg_rate:.2f}; SQLite goal > 5,000/s: {'met' if sqlite_rate > 5000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
