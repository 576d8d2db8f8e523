"""Exactly once in effect: 10,000 reports delivered three times each, in shuffled order, by
concurrent senders to the real service (`dlrkit serve` on PostgreSQL), leave the very same
stored state as the same reports delivered once, each message's in order."""

from __future__ import annotations

import random
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.reliability.processes import send, serve, stripes
from tests.reliability.state import snapshot
from tests.reliability.traffic import Hook, hooks

REPORTS = 10_000
SENDERS = 16


def deliver(db: str, data_dir: Path, lanes: Sequence[Sequence[Hook]]) -> None:
    """Every lane's hooks to a fresh `dlrkit serve` on the store at `db`, all answered 200."""
    url, server = serve(data_dir, "--db", db)
    try:
        sent = send(url, lanes)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert (sent.refused, sent.failed) == (0, 0)
    assert len(sent.acknowledged) == sum(len(lane) for lane in lanes)


def test_three_shuffled_deliveries_store_what_one_ordered_delivery_does(
    pg_schema: Callable[[], str], tmp_path: Path
) -> None:
    traffic = hooks(REPORTS)
    by_message: dict[str, list[Hook]] = {}
    for hook in traffic:
        by_message.setdefault(hook.message_id, []).append(hook)
    ordered: list[list[Hook]] = [[] for _ in range(SENDERS)]
    for n, message in enumerate(by_message.values()):  # a message's reports in order, one lane
        ordered[n % SENDERS].extend(message)
    repeated = traffic * 3
    random.Random(11).shuffle(repeated)

    once, thrice = pg_schema(), pg_schema()
    deliver(once, tmp_path / "once", ordered)
    deliver(thrice, tmp_path / "thrice", stripes(repeated, SENDERS))

    expected, got = snapshot(once), snapshot(thrice)
    assert len(expected["reports"]) == REPORTS
    assert len(expected["outcomes"]) == len(by_message)
    assert expected["suppressions"]  # the traffic does exercise them (absent, unknown, ...)
    for table in expected:  # table by table, so that a difference names its table
        assert got[table] == expected[table], table
    histories = {m: len(h) for m, h in by_message.items()}
    assert {m: o["reports"] for (_, m), o in got["outcomes"].items()} == histories
