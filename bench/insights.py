"""Benchmark: insight queries on 10 million stored outcomes, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/insights.py [--outcomes 10000000] [--days 90] [--repeat 40]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--dir DIR] [--keep] [--reuse]

Generates `--outcomes` outcomes over `--days` days straight into `outcomes` and the rollups
(bench/insights_data.py: bulk inserts, COPY on PostgreSQL, rollups computed by the code ingest
uses), plus 100,000 suppressions, on a SQLite file and in a PostgreSQL schema; then asks each
insight query (through `SqlStore`, as the service does) `--repeat` times over varying periods
ending in the last two days of the data, and prints p50/p95 latency next to a plain
`SELECT count(*) FROM outcomes` on the same table. Goal: every query under 200 ms at p95.
`--keep` keeps the data (SQLite file in `--dir`, PostgreSQL schema `dlrkit_bench_insights`),
`--reuse` measures kept data without generating it again.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dlrkit.store import InsightFilter, SuppressionFilter, default_url, rollups
from dlrkit.store.engine import engine_for
from dlrkit.store.schema import metadata, outcomes
from dlrkit.store.sql import SqlStore
from insights_data import COUNTRIES, Day, days

SCHEMA = "dlrkit_bench_insights"
START = dt.date(2025, 1, 1)
SUPPRESSIONS = 100_000
Query = Callable[[SqlStore, "Window"], Awaitable[Any]]


def _text(value: Any) -> Any:
    """A rollup key value as the bulk loaders take it (times as the store's UTC text)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.000000") if isinstance(value, dt.datetime) else value


def _rows(cells: Iterable[tuple[tuple[Any, ...], int]]) -> list[tuple[Any, ...]]:
    return [(*map(_text, key), n) for key, n in cells if n]


def _split(day: Day, weeks: rollups.Delta) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """The day's hourly and daily cells, per table; its weekly ones are added to `weeks`
    (a week's cells are complete only once its last day is generated)."""
    for table, cells in day.delta.items():
        weeks[table].update({key: n for key, n in cells.items() if key[0] == "week"})
        yield table.name, _rows((key, n) for key, n in cells.items() if key[0] != "week")


def _suppressions(rng: random.Random) -> list[tuple[Any, ...]]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for n in range(SUPPRESSIONS):
        permanent = n % 3 != 0
        expires = None if permanent else _text(now + dt.timedelta(days=rng.uniform(-3, 7)))
        rows.append(
            (f"+33{600000000 + n}", "recipient_invalid" if permanent else "recipient_unreachable",
             permanent, _text(now - dt.timedelta(minutes=n)), expires, "auto", "infobip",
             f"s{n}", None, None)
        )  # fmt: skip
    return rows


class Loader:
    """Bulk writes to one database: drop outcomes' indexes, load, build them again."""

    def __init__(self, kind: str, target: str):
        self.kind = kind
        self.indexes = [
            str(sa.schema.CreateIndex(i).compile(dialect=self.dialect())) for i in outcomes.indexes
        ]
        if kind == "sqlite":
            self.db: Any = sqlite3.connect(target, isolation_level=None)
            for pragma in (
                "journal_mode=OFF",
                "synchronous=OFF",
                "cache_size=-1000000",
                "threads=2",
            ):
                self.db.execute(f"PRAGMA {pragma}")
        else:
            self.db = psycopg.connect(target, autocommit=True)
            self.db.execute("SET TIME ZONE 'UTC'")
            self.db.execute("SET maintenance_work_mem = '1GB'")
        for index in outcomes.indexes:
            self.db.execute(f"DROP INDEX {index.name}")

    def dialect(self) -> Any:
        return sqlite.dialect() if self.kind == "sqlite" else postgresql.dialect()

    def rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.kind == "sqlite":
            marks = ",".join("?" * len(rows[0]))
            self.db.execute("BEGIN")
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            self.db.execute("COMMIT")
            return
        columns = ",".join(f'"{c.name}"' for c in metadata.tables[table].c)
        with self.db.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        for ddl in self.indexes:
            self.db.execute(ddl)
        if self.kind == "sqlite":
            self.db.execute("PRAGMA journal_mode=WAL")
        else:
            self.db.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
        self.db.close()


def generate(targets: dict[str, str], total: int, count: int) -> float:
    started = time.perf_counter()
    loaders = [Loader(kind, target) for kind, target in targets.items()]
    unknown: dict[str, list[Any]] = {}
    weeks = rollups.new_delta()
    for n, day in enumerate(days(total, START, count)):
        cells = list(_split(day, weeks))
        for loader in loaders:
            loader.rows("outcomes", day.outcomes)
            for table, rows in cells:
                loader.rows(table, rows)
        at = dt.datetime.combine(START + dt.timedelta(days=n), dt.time())
        for code, seen in day.unknown.items():
            unknown.setdefault(code, [0, at, at])[0] += seen
            unknown[code][2] = at + dt.timedelta(hours=23)
        if (n + 1) % 10 == 0 or n + 1 == count:
            print(
                f"  {n + 1}/{count} days stored, {time.perf_counter() - started:.0f} s", flush=True
            )
    codes = [(c, _text(f), _text(la), k, "bench") for c, (k, f, la) in sorted(unknown.items())]
    suppressed = _suppressions(random.Random(2))
    for loader in loaders:
        for table, week_cells in weeks.items():
            loader.rows(table.name, _rows(week_cells.items()))
        loader.rows("unknown_codes", codes)
        loader.rows("suppressions", suppressed)
        loader.finish()
    return time.perf_counter() - started


class Window:
    """Periods of a given length ending at a random time in the last two days of the data."""

    def __init__(self, end: dt.datetime, seed: int):
        self.end, self.rng = end, random.Random(seed)

    def __call__(self, hours: int, **filters: str) -> InsightFilter:
        until = self.end - dt.timedelta(minutes=self.rng.randrange(48 * 60))
        since = until - dt.timedelta(hours=hours)
        return InsightFilter(since=since.isoformat(), until=until.isoformat(), **filters)


QUERIES: list[tuple[str, Query]] = [
    ("delivery rate, 24 h by hour", lambda s, r: s.delivery_rate(r(24))),
    ("delivery rate, 7 d by hour", lambda s, r: s.delivery_rate(r(168))),
    ("delivery rate, 7 d by hour, 1 provider + FR", lambda s, r: s.delivery_rate(r(168, provider="infobip", country="FR"))),
    ("delivery rate, 30 d by day", lambda s, r: s.delivery_rate(r(720), bucket="day")),
    ("delivery rate, 90 d by day", lambda s, r: s.delivery_rate(r(24 * 90), bucket="day")),
    ("failures by reason, 24 h", lambda s, r: s.failures_by("reason", r(24))),
    ("failures by reason, 7 d", lambda s, r: s.failures_by("reason", r(168))),
    ("failures by code, 30 d", lambda s, r: s.failures_by("code", r(720))),
    ("failures by operator, 30 d", lambda s, r: s.failures_by("operator", r(720))),
    ("failures by country, 30 d, 1 channel", lambda s, r: s.failures_by("country", r(720, channel="sms"))),
    ("failures by provider, 90 d", lambda s, r: s.failures_by("provider", r(24 * 90))),
    ("failures by code, 90 d", lambda s, r: s.failures_by("code", r(24 * 90))),
    ("failures by operator, 90 d, 1 provider", lambda s, r: s.failures_by("operator", r(24 * 90, provider="plivo"))),
    ("latency histogram, 7 d", lambda s, r: s.latency(r(168))),
    ("latency histogram, 30 d, 1 country", lambda s, r: s.latency(r(720, country=r.rng.choice(COUNTRIES)[0]))),
    ("latency histogram, 90 d", lambda s, r: s.latency(r(24 * 90))),
    ("unknown codes", lambda s, r: s.unknown_codes()),
    ("suppression check", lambda s, r: s.check_suppression(f"+33{600000000 + r.rng.randrange(2 * SUPPRESSIONS)}")),
    ("suppression list, active, page 1", lambda s, r: s.list_suppressions(SuppressionFilter(active_only=True), limit=50)),
]  # fmt: skip


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples) * 1000, cuts[18] * 1000


async def measure(url: str, repeat: int, end: dt.datetime) -> dict[str, tuple[float, float]]:
    store = SqlStore(url)
    await store.open()
    rng = Window(end, seed=3)
    found: dict[str, tuple[float, float]] = {}
    try:
        for name, query in QUERIES:
            await query(store, rng)  # warm-up
            samples = []
            for _ in range(repeat):
                t = time.perf_counter()
                await query(store, rng)
                samples.append(time.perf_counter() - t)
            found[name] = percentiles(samples)
    finally:
        await store.close()
    engine = engine_for(url, pool_size=1)
    samples = []
    with engine.connect() as connection:
        total = connection.execute(sa.text("SELECT count(*) FROM outcomes")).scalar()
        for _ in range(max(3, repeat // 8)):
            t = time.perf_counter()
            connection.execute(sa.text("SELECT count(*) FROM outcomes")).scalar()
            samples.append(time.perf_counter() - t)
    engine.dispose()
    found[f"SELECT count(*) FROM outcomes ({total:,} rows)"] = percentiles(samples)
    return found


@contextmanager
def databases(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """URLs of the SQLite file and the PostgreSQL schema (created, and dropped unless --keep)."""
    folder = Path(args.dir or tempfile.mkdtemp(prefix="dlrkit-bench-"))
    admin = engine_for(args.pg, pool_size=1)
    if not args.reuse:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        (folder / "dlrkit.db").unlink(missing_ok=True)
    pg = f"{args.pg}{'&' if '?' in args.pg else '?'}options={quote(f'-csearch_path={SCHEMA}')}"
    try:
        yield {"SQLite": default_url(folder), "PostgreSQL": pg}
    finally:
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            for name in ("dlrkit.db", "dlrkit.db-wal", "dlrkit.db-shm"):
                (folder / name).unlink(missing_ok=True)
            if not args.dir:
                folder.rmdir()
        else:
            print(f"kept: SQLite file {folder / 'dlrkit.db'}, PostgreSQL schema {SCHEMA}")
        admin.dispose()


def main(args: argparse.Namespace) -> None:
    end = dt.datetime.combine(START, dt.time(), dt.UTC) + dt.timedelta(days=args.days)
    with databases(args) as urls:
        if not args.reuse:
            for url in urls.values():  # the schema, by the store's own migrations
                store = SqlStore(url)
                asyncio.run(store.open())
                asyncio.run(store.close())
            targets = {
                "sqlite": urls["SQLite"].removeprefix("sqlite:///"),
                "postgresql": urls["PostgreSQL"],  # a libpq URI too
            }
            print(
                f"generating {args.outcomes:,} outcomes over {args.days} days into both databases"
            )
            seconds = generate(targets, args.outcomes, args.days)
            print(f"generated and indexed in {seconds / 60:.1f} min")
        results = {name: asyncio.run(measure(url, args.repeat, end)) for name, url in urls.items()}
    names = list(results["SQLite"])
    print(f"\n{'query':<52}{'SQLite p50 / p95 ms':>22}{'PostgreSQL p50 / p95 ms':>26}")
    for name in names:
        cells = [f"{results[db][name][0]:8.1f} / {results[db][name][1]:7.1f}" for db in results]
        print(f"{name:<52}{cells[0]:>22}{cells[1]:>26}")
    for db, found in results.items():
        worst = max(p95 for name, (_, p95) in found.items() if not name.startswith("SELECT"))
        count = next(p50 for name, (p50, _) in found.items() if name.startswith("SELECT"))
        verdict = "met" if worst < 200 else "NOT met"
        print(
            f"{db}: slowest insight p95 {worst:.1f} ms (goal < 200 ms: {verdict}); "
            f"plain count p50 {count:.0f} ms = {count / worst:.1f} x the slowest insight's p95"
        )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outcomes", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=40, help="timed runs of each query")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--dir", help="where the SQLite file goes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--reuse", action="store_true", help="measure data kept by --keep")
    args = parser.parse_args()
    if args.reuse and not args.dir:
        parser.error("--reuse needs the --dir the data was kept in")
    return args


if __name__ == "__main__":
    main(arguments())
