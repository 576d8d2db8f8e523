"""Everything a store holds, read straight from its tables, without the wall-clock fields (when
a report happened to arrive), so that two stores fed the same reports can be compared."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import sqlalchemy as sa

from dlrkit.store.engine import engine_for
from dlrkit.store.schema import metadata, outcomes, reports, suppressions, unknown_codes

# Set when a report arrives (or from the arrival times), not by the reports themselves.
WALL_CLOCK = {"received_at", "updated_at", "created_at", "expires_at", "first_seen", "last_seen"}


def _without_clock(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row._mapping.items() if k not in WALL_CLOCK}
    if "outcome" in out:  # the outcome's JSON carries received_at too
        out["outcome"] = {k: v for k, v in json.loads(out["outcome"]).items() if k != "received_at"}
    return out


def snapshot(url: str) -> dict[str, Any]:
    """Per table: its rows by key (clock fields left out); every rollup table summed over its
    time buckets (a bucket is the hour, day... a report happened to arrive in)."""
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as c:
            state: dict[str, Any] = {
                "outcomes": {
                    (r.provider, r.message_id): _without_clock(r)
                    for r in c.execute(sa.select(outcomes))
                },
                "reports": {r.report_key: _without_clock(r) for r in c.execute(sa.select(reports))},
                "suppressions": {
                    r.recipient: _without_clock(r) for r in c.execute(sa.select(suppressions))
                },
                # which report was "the earliest" with an unknown code depends on arrival times
                "unknown_codes": {r.code: r.count for r in c.execute(sa.select(unknown_codes))},
            }
            for name, table in metadata.tables.items():
                if not name.startswith("rollup_"):
                    continue
                sums: Counter[tuple[Any, ...]] = Counter()
                keys = [col for col in table.c if col.name not in ("bucket", "count")]
                for row in c.execute(sa.select(*keys, table.c["count"])):
                    sums[tuple(row[:-1])] += row[-1]
                state[name] = {k: v for k, v in sums.items() if v}
            return state
    finally:
        engine.dispose()
