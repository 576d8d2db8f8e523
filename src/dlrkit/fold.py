"""Folding: several reports about one message become one outcome.

A multipart message reports once per part (sharing a parent id); providers repeat reports and
deliver them out of order. Folding is a pure merge, `merge(earlier, later)`, with three rules:
a final outcome never moves back to a non-final one; among parts, a failed part makes the whole
message failed; a non-final outcome only advances (accepted -> pending).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from dlrkit.outcome import Outcome
from dlrkit.vocab import State

_PROGRESS = {State.UNKNOWN: 0, State.ACCEPTED: 1, State.PENDING: 2}


def merge(current: Outcome, new: Outcome) -> Outcome:
    """The outcome after `new` arrives for a message whose outcome so far is `current`."""
    count = current.reports + new.reports
    if current.final and not new.final:
        return msgspec.structs.replace(current, reports=count)
    if not current.final and new.final:
        return msgspec.structs.replace(new, reports=count)
    if not current.final:  # both pending: only move forward
        keep_new = _PROGRESS.get(new.state, 0) >= _PROGRESS.get(current.state, 0)
        return msgspec.structs.replace(new if keep_new else current, reports=count)
    # both final: a failure outranks a delivery (one failed part fails the message); otherwise the
    # first final outcome stands, so a repeated or late report changes nothing
    if current.state == State.DELIVERED and new.state != State.DELIVERED:
        return msgspec.structs.replace(new, reports=count)
    return msgspec.structs.replace(current, reports=count)


def fold(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """One outcome per (provider, message id), in order of first appearance."""
    merged: dict[tuple[str, str], Outcome] = {}
    for o in outcomes:
        key = (o.provider, o.message_id)
        merged[key] = merge(merged[key], o) if key in merged else o
    return list(merged.values())
