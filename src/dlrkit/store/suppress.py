"""The suppression list: recipients suppressed automatically at ingest, and the list's SQL.

One row per recipient (E.164 for phone numbers, else the address as reported): suppressing
again updates it. A suppression is *active* while it is permanent or its `expires_at` is to
come; an expired one stays listed (inactive) until it is renewed or removed.

At ingest (`auto`, inside the transaction that merges reports into outcomes), every message
whose outcome became final, or changed reason while final, goes to `dlrkit.policy.suppression`
with the reasons of its recipient's other final outcomes, newest first (read from `outcomes`,
which already holds this batch's merges, so a streak inside one batch counts too). When the
policy suppresses, the row is upserted with source 'auto', the report that caused it, and for a
soft rule an expiry `days` ahead. An automatic suppression never replaces a permanent one (the
first cause and any note stay); it renews a soft or expired one. `add` (by hand) replaces
whatever was there. On PostgreSQL, two writers merging failures of one recipient at the same
instant may each miss the other's outcome when counting a soft streak; the next failure counts
both.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dlrkit.errors import InputError
from dlrkit.fold import rank
from dlrkit.outcome import Outcome
from dlrkit.policy import PolicyConfig, SoftSuppression, suppression
from dlrkit.recipients import parse_recipient
from dlrkit.store.base import Incoming, SuppressionEntry, SuppressionFilter
from dlrkit.store.schema import UtcDateTime, iso, iso_exact, outcomes, parse_time, suppressions
from dlrkit.store.validate import text_problem
from dlrkit.vocab import Reason

MessageKey = tuple[str, str]
SOURCES = ("auto", "manual")
_decode_key = msgspec.json.Decoder(tuple[str, str]).decode


def normalize(recipient: object) -> str:
    """The recipient as the store keeps it: E.164 when it is a phone number, else as given."""
    text = recipient.strip() if isinstance(recipient, str) else ""
    if not text:
        raise InputError("must be a non-empty string", field="recipient")
    problem = text_problem(text, 255)
    if problem is not None:
        raise InputError(problem, field="recipient")
    return parse_recipient(text).e164 or text


def entry(row: Any, now: dt.datetime) -> SuppressionEntry:
    expires = row.expires_at
    return SuppressionEntry(
        recipient=row.recipient,
        reason=row.reason,
        permanent=row.permanent,
        created_at=iso(row.created_at),
        expires_at=iso(expires) if expires is not None else None,
        source=row.source,
        active=row.permanent or (expires is not None and expires > now),
        provider=row.provider,
        message_id=row.message_id,
        report_key=row.report_key,
        note=row.note,
    )


def active(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(suppressions.c.permanent, suppressions.c.expires_at > now)


def _recent_reasons(connection: sa.Connection, o: Outcome, depth: int) -> list[Reason]:
    """Reasons of the recipient's other final outcomes, newest first (at most `depth`)."""
    query = (
        sa.select(outcomes.c.provider, outcomes.c.message_id, outcomes.c.reason)
        .where(outcomes.c.recipient == o.recipient, outcomes.c.final)
        .order_by(
            outcomes.c.received_at.desc(), outcomes.c.provider.desc(), outcomes.c.message_id.desc()
        )
        .limit(depth + 1)
    )
    rows = connection.execute(query).all()
    mine = (o.provider, o.message_id)
    return [Reason(r.reason) for r in rows if (r.provider, r.message_id) != mine][:depth]


def auto(
    connection: sa.Connection,
    changes: Iterable[tuple[Outcome | None, Outcome]],
    arrived: Mapping[MessageKey, Sequence[Incoming]],
    config: PolicyConfig,
    now: dt.datetime,
) -> None:
    """Suppress the recipients that this transaction's changed outcomes call for."""
    candidates = sorted(
        (
            after
            for before, after in changes
            if after.final
            and after.recipient
            and after.reason in config.suppress
            and (before is None or not before.final or before.reason != after.reason)
        ),
        key=lambda o: (o.received_at or "", o.provider, o.message_id),
    )
    if not candidates:
        return
    streak = max(  # the longest run of failures a soft rule waits for
        (r.after for r in config.suppress.values() if isinstance(r, SoftSuppression)), default=1
    )
    decided: dict[str, dict[str, Any]] = {}
    for o in candidates:
        soft = isinstance(config.suppress[o.reason], SoftSuppression)
        recent = _recent_reasons(connection, o, streak - 1) if soft and streak > 1 else []
        found = suppression(o, recent, config)
        if found is None or o.recipient is None:
            continue
        cause = next(
            (
                i.report_key
                for i in arrived.get((o.provider, o.message_id), ())
                if rank(i.outcome) == rank(o)
            ),
            None,
        )
        row = {
            "recipient": o.recipient,
            "reason": found.reason.value,
            "permanent": found.permanent,
            "created_at": now,
            "expires_at": None if found.days is None else now + dt.timedelta(days=found.days),
            "source": "auto",
            "provider": o.provider,
            "message_id": o.message_id,
            "report_key": cause,
            "note": None,
        }
        before = decided.get(o.recipient)
        if before is None or not before["permanent"]:  # as in the table: the first permanent stays
            decided[o.recipient] = row
    if decided:
        upsert = _replace(connection.dialect.name, keep_permanent=True)
        connection.execute(upsert, [decided[r] for r in sorted(decided)])


@functools.cache
def _replace(dialect: str, *, keep_permanent: bool) -> Any:
    """INSERT .. ON CONFLICT (recipient) DO UPDATE every column [unless the row is permanent]."""
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(suppressions)
    return upsert.on_conflict_do_update(
        index_elements=["recipient"],
        set_={c.name: upsert.excluded[c.name] for c in suppressions.c if c.name != "recipient"},
        where=sa.not_(suppressions.c.permanent) if keep_permanent else None,
    )


def add(
    connection: sa.Connection,
    recipient: str,
    reason: str,
    expires_at: str | None,
    note: str | None,
    now: dt.datetime,
) -> SuppressionEntry:
    """Suppress `recipient` by hand, replacing any suppression it had."""
    key = normalize(recipient)
    if reason not in tuple(Reason):
        raise InputError(f"unknown reason {reason!r}; one of: {', '.join(Reason)}", field="reason")
    until = None
    if expires_at is not None:
        until = parse_time(expires_at, "expires_at")
        if until <= now:
            raise InputError("must be in the future", field="expires_at")
    if note is not None and (not isinstance(note, str) or text_problem(note, 1000)):
        raise InputError("must be text of at most 1000 characters", field="note")
    row = {
        "recipient": key,
        "reason": reason,
        "permanent": until is None,
        "created_at": now,
        "expires_at": until,
        "source": "manual",
        "provider": None,
        "message_id": None,
        "report_key": None,
        "note": note,
    }
    connection.execute(_replace(connection.dialect.name, keep_permanent=False), row)
    added = check_row(connection, key, now, any_state=True)
    assert added is not None, "the row was just written"
    return added


def check_row(
    connection: sa.Connection, key: str, now: dt.datetime, *, any_state: bool = False
) -> SuppressionEntry | None:
    query = sa.select(suppressions).where(suppressions.c.recipient == key)
    if not any_state:
        query = query.where(active(now))
    row = connection.execute(query).first()
    return entry(row, now) if row is not None else None


def remove(connection: sa.Connection, key: str) -> bool:
    deleted = connection.execute(sa.delete(suppressions).where(suppressions.c.recipient == key))
    return deleted.rowcount == 1


def encode_cursor(created_at: dt.datetime, recipient: str) -> str:
    raw = msgspec.json.encode([iso_exact(created_at), recipient])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, recipient = _decode_key(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InputError("not a cursor this store gave out", field="cursor") from None
    return parse_time(created_at, "cursor"), recipient


def list_query(
    flt: SuppressionFilter, limit: int, cursor: str | None, now: dt.datetime
) -> sa.Select[Any]:
    """Suppressions matching `flt`, newest first, after `cursor`, `limit + 1` of them."""
    if not 1 <= limit <= 1000:
        raise InputError(f"must be between 1 and 1000, not {limit}", field="limit")
    where: list[sa.ColumnElement[bool]] = []
    if flt.reason is not None:
        if flt.reason not in tuple(Reason):
            raise InputError(
                f"unknown reason {flt.reason!r}; one of: {', '.join(Reason)}", field="reason"
            )
        where.append(suppressions.c.reason == flt.reason)
    if flt.source is not None:
        if flt.source not in SOURCES:
            raise InputError(f"unknown source {flt.source!r}; one of: auto, manual", field="source")
        where.append(suppressions.c.source == flt.source)
    if flt.active_only:
        where.append(active(now))
    if cursor is not None:
        created_at, recipient = _decode_cursor(cursor)
        where.append(
            sa.tuple_(suppressions.c.created_at, suppressions.c.recipient)
            < sa.tuple_(
                sa.bindparam(None, created_at, type_=UtcDateTime()),
                sa.bindparam(None, recipient, type_=sa.String()),
            )
        )
    return (
        sa.select(suppressions)
        .where(*where)
        .order_by(suppressions.c.created_at.desc(), suppressions.c.recipient.desc())
        .limit(limit + 1)
    )


def export_chunk(
    connection: sa.Connection, after: str | None, size: int, now: dt.datetime
) -> list[SuppressionEntry]:
    """The next `size` suppressions by recipient, after recipient `after`."""
    query = sa.select(suppressions).order_by(suppressions.c.recipient).limit(size)
    if after is not None:
        query = query.where(suppressions.c.recipient > after)
    return [entry(row, now) for row in connection.execute(query)]
