"""The ingest transaction: store new reports, merge them into their messages' current outcomes.

`apply(connection, items)` runs inside a transaction the caller commits. It is correct with
many writers at once (PostgreSQL workers, several ingest processes), not only with SQLite's
single writer:

1. every distinct report is inserted with ON CONFLICT DO NOTHING; RETURNING says which were new
   (a report another transaction is inserting waits for that one to commit or roll back);
2. the new reports of each message are folded (`fold.merge`) in memory;
3. messages not stored yet are inserted with ON CONFLICT DO NOTHING;
4. the others are locked (SELECT ... FOR UPDATE), merged, and written back with one
   INSERT ... ON CONFLICT DO UPDATE for many rows (faster than one UPDATE per row).

Each step takes its locks in one global order (sorted report keys, then sorted message keys),
and no step waits for a lock a later step of another transaction could hold, so concurrent
writers never deadlock. merge is commutative and associative, so the result does not depend on
which transaction commits first. The outcome's `received_at` is the earliest of its reports'.

Then, in the same transaction, the consequences of each changed outcome (before -> after):
5. recipients the policy says to suppress are suppressed (`suppress.auto`);
6. unknown codes of the new reports are counted, and the rollups move each changed message's
   counts from its old outcome to its new one (`rollups`), hottest rows last, to hold their
   locks for the shortest time.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dlrkit.fold import merge
from dlrkit.outcome import Outcome
from dlrkit.policy import PolicyConfig
from dlrkit.store import rollups, suppress
from dlrkit.store.base import Incoming, Stored
from dlrkit.store.engine import dialect_insert
from dlrkit.store.schema import now, outcomes, parse_time, reports

MessageKey = tuple[str, str]  # (provider, message_id)
_CHUNK = 500  # messages per look-up statement

encode = msgspec.json.Encoder().encode
decode_outcome = msgspec.json.Decoder(Outcome).decode

# Columns an update sets: only those a report's progress changes, or these and the identity.
# (SQLite rewrites an index whenever an update sets one of its columns, same value or not.)
_PROGRESS = ("updated_at", "state", "final", "reason", "retry", "party", "reports", "outcome")
_IDENTITY = ("received_at", "channel", "recipient", "country", "operator")


def _first_seen(o: Outcome) -> tuple[dt.datetime, str]:
    text = o.received_at or ""
    return parse_time(text, "received_at"), text


def combine(current: Outcome, new: Outcome) -> Outcome:
    """`fold.merge`, keeping the earliest `received_at`: when the message was first seen."""
    merged = merge(current, new)
    first = min(_first_seen(current), _first_seen(new))[1]
    return (
        merged
        if merged.received_at == first
        else msgspec.structs.replace(merged, received_at=first)
    )


def report_row(item: Incoming) -> dict[str, Any]:
    o = item.outcome
    return {
        "report_key": item.report_key,
        "provider": o.provider,
        "message_id": o.message_id,
        "received_at": _first_seen(o)[0],
        "state": o.state.value,
        "reason": o.reason.value,
        "outcome": encode(o).decode(),
    }


def outcome_row(o: Outcome, updated_at: dt.datetime) -> dict[str, Any]:
    return {
        "provider": o.provider,
        "message_id": o.message_id,
        "received_at": _first_seen(o)[0],
        "updated_at": updated_at,
        "channel": o.channel.value,
        "state": o.state.value,
        "final": o.final,
        "reason": o.reason.value,
        "retry": o.retry.value,
        "party": o.party.value,
        "recipient": o.recipient,
        "country": o.country,
        "operator": o.operator,
        "reports": o.reports,
        "outcome": encode(o).decode(),
    }


def current_outcomes(
    connection: sa.Connection, keys: Sequence[MessageKey], *, lock: bool = False
) -> dict[MessageKey, Outcome]:
    """The stored outcomes of these messages (locked for update when `lock`), in key order.

    `keys` must be sorted (locks are taken in that order); they are looked up in chunks, which
    keeps every statement within the databases' limits on bound parameters.
    """
    found: dict[MessageKey, Outcome] = {}
    key = sa.tuple_(outcomes.c.provider, outcomes.c.message_id)
    for start in range(0, len(keys), _CHUNK):
        query = (
            sa.select(outcomes.c.provider, outcomes.c.message_id, outcomes.c.outcome)
            .where(key.in_(list(keys[start : start + _CHUNK])))
            .order_by(outcomes.c.provider, outcomes.c.message_id)
        )
        if lock:
            query = query.with_for_update()
        for provider, message_id, text in connection.execute(query):
            found[(provider, message_id)] = decode_outcome(text)
    return found


@functools.cache
def _write_back(dialect: str, columns: tuple[str, ...]) -> Any:
    """The outcomes upsert setting `columns`, built once (building `excluded` is costly)."""
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(outcomes)
    return upsert.on_conflict_do_update(
        index_elements=["provider", "message_id"], set_={n: upsert.excluded[n] for n in columns}
    )


DEFAULT_POLICY = PolicyConfig()


def apply(
    connection: sa.Connection, items: Sequence[Incoming], *, policy: PolicyConfig = DEFAULT_POLICY
) -> list[Stored]:
    """Store `items` in the connection's transaction; one `Stored` per item, in order."""
    first: dict[str, Incoming] = {}
    for item in items:
        first.setdefault(item.report_key, item)

    keys = sorted(first)
    new_keys: set[str] = set()
    if keys:
        insert = dialect_insert(connection, reports).on_conflict_do_nothing(
            index_elements=["report_key"]
        )
        result = connection.execute(
            insert.returning(reports.c.report_key), [report_row(first[k]) for k in keys]
        )
        new_keys = set(result.scalars())

    arriving: dict[MessageKey, Outcome] = {}
    arrived: dict[MessageKey, list[Incoming]] = {}
    for key in sorted(new_keys):
        o = first[key].outcome
        mk = (o.provider, o.message_id)
        arriving[mk] = combine(arriving[mk], o) if mk in arriving else o
        arrived.setdefault(mk, []).append(first[key])

    stamp = now()
    messages = sorted(arriving)
    current: dict[MessageKey, Outcome] = {}
    if messages:
        insert = dialect_insert(connection, outcomes).on_conflict_do_nothing(
            index_elements=["provider", "message_id"]
        )
        insert = insert.returning(outcomes.c.provider, outcomes.c.message_id)
        created = connection.execute(insert, [outcome_row(arriving[mk], stamp) for mk in messages])
        for provider, message_id in created:
            current[(provider, message_id)] = arriving[(provider, message_id)]
    changes: list[tuple[Outcome | None, Outcome]] = [(None, o) for o in current.values()]

    known = [mk for mk in messages if mk not in current]
    if known:
        progress: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for mk, before in current_outcomes(connection, known, lock=True).items():
            merged = current[mk] = combine(before, arriving[mk])
            changes.append((before, merged))
            row = outcome_row(merged, stamp)
            if all(getattr(before, n) == getattr(merged, n) for n in _IDENTITY):
                progress.append(row)
            else:
                changed.append(row)
        for columns, rows in ((_PROGRESS, progress), (_PROGRESS + _IDENTITY, changed)):
            if rows:
                connection.execute(_write_back(connection.dialect.name, columns), rows)

    if changes:
        suppress.auto(connection, changes, arrived, policy, stamp)
        rollups.count_unknown(connection, [first[k] for k in sorted(new_keys)])
        rollups.apply_changes(connection, changes)

    untouched = sorted({(i.outcome.provider, i.outcome.message_id) for i in items} - current.keys())
    current.update(current_outcomes(connection, untouched))

    stored: list[Stored] = []
    seen: set[str] = set()
    for item in items:
        key = item.report_key
        duplicate = key not in new_keys or key in seen
        seen.add(key)
        o = item.outcome
        stored.append(
            Stored(report_key=key, duplicate=duplicate, outcome=current[(o.provider, o.message_id)])
        )
    return stored
