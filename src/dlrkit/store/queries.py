"""Outcome queries: `OutcomeFilter` as SQL conditions, and the opaque paging cursor.

Pages are ordered by (received_at, provider, message_id), a unique key with an index of its
own, and a cursor is that key of the last row sent, as URL-safe base64 of a JSON array. Paging
continues strictly after it, so pages neither repeat nor skip rows that stay put. (A message
whose first-seen time moves earlier, because an older report arrives late, may move to a page
already read: paging is a consistent walk, not a snapshot.)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

import msgspec
import sqlalchemy as sa

from dlrkit.errors import InputError
from dlrkit.outcome import Channel
from dlrkit.store.base import OutcomeFilter
from dlrkit.store.schema import UtcDateTime, iso_exact, outcomes, parse_time
from dlrkit.store.validate import text_problem
from dlrkit.vocab import Reason, State

CursorKey = tuple[dt.datetime, str, str]

_VOCABULARY: dict[str, tuple[str, ...]] = {
    "state": tuple(State),
    "reason": tuple(Reason),
    "channel": tuple(Channel),
}
_decode_key = msgspec.json.Decoder(tuple[str, str, str]).decode


def filter_clauses(flt: OutcomeFilter) -> list[sa.ColumnElement[bool]]:
    """The SQL conditions for every given field of `flt` (unknown vocabulary: InputError)."""
    where: list[sa.ColumnElement[bool]] = []
    if flt.since is not None:
        where.append(outcomes.c.received_at >= parse_time(flt.since, "since"))
    if flt.until is not None:
        where.append(outcomes.c.received_at < parse_time(flt.until, "until"))
    for name in ("provider", "channel", "state", "reason", "country", "recipient"):
        value = getattr(flt, name)
        if value is None:
            continue
        allowed = _VOCABULARY.get(name)
        if allowed is not None and value not in allowed:
            raise InputError(f"unknown value {value!r}; one of: {', '.join(allowed)}", field=name)
        problem = text_problem(value, 255) if isinstance(value, str) else "must be a string"
        if problem is not None:
            raise InputError(problem, field=name)
        where.append(outcomes.c[name] == value)
    return where


def encode_cursor(received_at: dt.datetime, provider: str, message_id: str) -> str:
    raw = msgspec.json.encode([iso_exact(received_at), provider, message_id])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> CursorKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        received_at, provider, message_id = _decode_key(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InputError("not a cursor this store gave out", field="cursor") from None
    return parse_time(received_at, "cursor"), provider, message_id


def page_after(key: CursorKey) -> sa.ColumnElement[bool]:
    """Rows strictly after `key` in page order."""
    received_at, provider, message_id = key
    return sa.tuple_(
        outcomes.c.received_at, outcomes.c.provider, outcomes.c.message_id
    ) > sa.tuple_(
        sa.bindparam(None, received_at, type_=UtcDateTime()),
        sa.bindparam(None, provider, type_=sa.String()),
        sa.bindparam(None, message_id, type_=sa.String()),
    )
