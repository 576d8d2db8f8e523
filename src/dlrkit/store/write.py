"""The ingest transaction: store new reports, merge them into their messages' current outcomes.

`apply(connection, items)` runs inside a transaction the caller commits. It is correct with
many writers at once (PostgreSQL workers, several ingest processes), not only with SQLite's
single writer:

1. every distinct report is inserted with ON CONFLICT DO NOTHING; RETURNING says which were new
   (a report another transaction is inserting waits for that one to commit or roll back);
   a repeat is a report with the same key (hence provider and message id) as one stored;
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

The statements of steps 1-4 and the rollups run straight on the DB-API (`dbapi.py`): the rows
are tuples, each report's outcome is encoded to JSON once (a new message's first outcome is
its report's, the same text), and look-ups go by provider with `message_id IN (...)`, which
both databases answer from the primary key (a row-value IN is a full scan on SQLite).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from dlrkit.fold import merge
from dlrkit.outcome import Outcome
from dlrkit.policy import PolicyConfig
from dlrkit.store import rollups, suppress
from dlrkit.store.base import Incoming, Stored
from dlrkit.store.dbapi import Raw, Row, upsert
from dlrkit.store.schema import now, parse_time

MessageKey = tuple[str, str]  # (provider, message_id)
_CHUNK = 500  # message ids per look-up statement

encode = msgspec.json.Encoder().encode
decode_outcome = msgspec.json.Decoder(Outcome).decode

REPORT_COLUMNS = (
    "report_key",
    "provider",
    "message_id",
    "received_at",
    "state",
    "reason",
    "outcome",
)
OUTCOME_COLUMNS = (
    "provider",
    "message_id",
    "received_at",
    "updated_at",
    "channel",
    "state",
    "final",
    "reason",
    "retry",
    "party",
    "recipient",
    "country",
    "operator",
    "reports",
    "outcome",
)
REPORT_KEY = ("provider", "message_id", "report_key")
OUTCOME_KEY = ("message_id", "provider")

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


class _Rows:
    """Rows of one transaction, as the cursor takes them; each outcome encoded once."""

    def __init__(self, raw: Raw, stamp: dt.datetime):
        self.raw = raw
        self.stamp = raw.time(stamp)
        self._json: dict[int, str] = {}  # id(outcome) -> JSON, for outcomes alive meanwhile
        self._times: dict[str, Any] = {}

    def json(self, o: Outcome) -> str:
        found = self._json.get(id(o))
        if found is None:
            found = self._json[id(o)] = encode(o).decode()
        return found

    def received(self, o: Outcome) -> Any:
        text = o.received_at or ""
        found = self._times.get(text)
        if found is None:
            found = self._times[text] = self.raw.time(_first_seen(o)[0])
        return found

    def report(self, item: Incoming) -> Row:
        o = item.outcome
        received = self.received(o)
        return (
            item.report_key,
            o.provider,
            o.message_id,
            received,
            o.state.value,
            o.reason.value,
            self.json(o),
        )

    def outcome(self, o: Outcome) -> Row:
        return (
            o.provider,
            o.message_id,
            self.received(o),
            self.stamp,
            o.channel.value,
            o.state.value,
            o.final,
            o.reason.value,
            o.retry.value,
            o.party.value,
            o.recipient,
            o.country,
            o.operator,
            o.reports,
            self.json(o),
        )


def current_outcomes(
    connection: sa.Connection, keys: Sequence[MessageKey], *, lock: bool = False
) -> dict[MessageKey, Outcome]:
    """The stored outcomes of these messages (locked for update when `lock`), in key order.

    `keys` must be sorted (locks are taken in that order); they are looked up per provider,
    `_CHUNK` message ids at a time, which keeps every statement within the databases' limits on
    bound parameters and lets both answer from the primary key.
    """
    raw = Raw(connection)
    found: dict[MessageKey, Outcome] = {}
    # SQLite has no FOR UPDATE: its writer holds the database's write lock already
    suffix = " ORDER BY message_id" + (" FOR UPDATE" if lock and not raw.sqlite else "")
    by_provider: dict[str, list[str]] = {}
    for provider, message_id in keys:
        by_provider.setdefault(provider, []).append(message_id)
    for provider, ids in by_provider.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            text = (
                "SELECT provider, message_id, outcome FROM outcomes WHERE provider = ? "
                f"AND message_id IN ({', '.join('?' * len(chunk))}){suffix}"
            )
            for p, message_id, text_ in raw.rows(text, [provider, *chunk]):
                found[(p, message_id)] = decode_outcome(text_)
    return found


@functools.cache
def _write_back(columns: tuple[str, ...]) -> str:
    """The outcomes upsert setting `columns`."""
    return upsert("outcomes", OUTCOME_COLUMNS, OUTCOME_KEY, columns)


_NEW_REPORTS = f"ON CONFLICT ({', '.join(REPORT_KEY)}) DO NOTHING RETURNING report_key"
_NEW_OUTCOMES = f"ON CONFLICT ({', '.join(OUTCOME_KEY)}) DO NOTHING RETURNING provider, message_id"
DEFAULT_POLICY = PolicyConfig()


def apply(
    connection: sa.Connection, items: Sequence[Incoming], *, policy: PolicyConfig = DEFAULT_POLICY
) -> list[Stored]:
    """Store `items` in the connection's transaction; one `Stored` per item, in order."""
    first: dict[str, Incoming] = {}
    for item in items:
        first.setdefault(item.report_key, item)

    stamp = now()
    raw = Raw(connection)
    rows = _Rows(raw, stamp)
    keys = sorted(first)
    new_keys: set[str] = set()
    if keys:
        returned = raw.insert(
            "reports", REPORT_COLUMNS, [rows.report(first[k]) for k in keys], _NEW_REPORTS
        )
        new_keys = {key for (key,) in returned}

    arriving: dict[MessageKey, Outcome] = {}
    arrived: dict[MessageKey, list[Incoming]] = {}
    for key in sorted(new_keys):
        o = first[key].outcome
        mk = (o.provider, o.message_id)
        arriving[mk] = combine(arriving[mk], o) if mk in arriving else o
        arrived.setdefault(mk, []).append(first[key])

    messages = sorted(arriving)
    current: dict[MessageKey, Outcome] = {}
    if messages:
        created = raw.insert(
            "outcomes",
            OUTCOME_COLUMNS,
            [rows.outcome(arriving[mk]) for mk in messages],
            _NEW_OUTCOMES,
        )
        for provider, message_id in sorted(created):
            current[(provider, message_id)] = arriving[(provider, message_id)]
    changes: list[tuple[Outcome | None, Outcome]] = [(None, o) for o in current.values()]

    known = [mk for mk in messages if mk not in current]
    if known:
        progress: list[Row] = []
        changed: list[Row] = []
        for mk, before in current_outcomes(connection, known, lock=True).items():
            merged = current[mk] = combine(before, arriving[mk])
            changes.append((before, merged))
            row = rows.outcome(merged)
            if all(getattr(before, n) == getattr(merged, n) for n in _IDENTITY):
                progress.append(row)
            else:
                changed.append(row)
        raw.many(_write_back(_PROGRESS), progress)
        raw.many(_write_back(_PROGRESS + _IDENTITY), changed)

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
