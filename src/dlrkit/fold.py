"""Folding: several reports about one message become one outcome.

A multipart message reports once per part (sharing a parent id); providers repeat reports and
deliver them out of order. Folding keeps the *greatest* outcome under one total order, so the
result does not depend on arrival order (merge is commutative and associative):

1. a final outcome outranks any non-final one (a late "pending" never undoes "delivered");
2. among finals, a failure outranks a delivery (one failed part fails the whole message);
3. then the provider's own time (`done_at`), then progress (accepted < pending), and finally
   the report's content, so that even identical-looking reports order deterministically.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from dlrkit.outcome import Outcome
from dlrkit.vocab import State

_PROGRESS = {State.UNKNOWN: 0, State.ACCEPTED: 1, State.PENDING: 2}
_encode = msgspec.json.Encoder().encode


def rank(o: Outcome) -> tuple[bool, bool, str, int, bytes]:
    """The total order outcomes are merged by (greatest wins)."""
    failed = o.final and o.state != State.DELIVERED
    return (o.final, failed, o.done_at or "", _PROGRESS.get(o.state, 3), _encode(o.raw))


def merge(current: Outcome, new: Outcome) -> Outcome:
    """The outcome of a message after `new` arrives, whatever the order of arrival."""
    winner = new if rank(new) > rank(current) else current
    return msgspec.structs.replace(winner, reports=current.reports + new.reports)


def fold(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """One outcome per (provider, message id), in order of first appearance."""
    merged: dict[tuple[str, str], Outcome] = {}
    for o in outcomes:
        key = (o.provider, o.message_id)
        merged[key] = merge(merged[key], o) if key in merged else o
    return list(merged.values())
