"""Checks on a batch before it is queued for writing: what the database would refuse, said clearly.

A report the columns cannot hold (a message id past 255 characters, a NUL character, which
PostgreSQL text refuses) is an `InputError` naming the item and field, raised before anything
is written, instead of a failed transaction. A report without `received_at` is stamped with the
time it reached the store.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from dlrkit.errors import InputError
from dlrkit.store.base import Incoming
from dlrkit.store.schema import iso, now, parse_time

# (field, longest allowed, required)
_LIMITS = (
    ("provider", 64, True),
    ("message_id", 255, True),
    ("recipient", 255, False),
    ("country", 2, False),
    ("operator", 255, False),
)


def _check_text(value: object, field: str, longest: int, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        raise InputError("must be a non-empty string", field=field)
    if len(value) > longest:
        raise InputError(f"longer than {longest} characters", field=field)
    if "\x00" in value:
        raise InputError("contains a NUL character", field=field)


def check_batch(batch: Sequence[Incoming]) -> list[Incoming]:
    """The batch ready to store, or InputError naming the first bad item and field."""
    stamp: str | None = None
    ready: list[Incoming] = []
    for i, item in enumerate(batch):
        where = f"batch[{i}]"
        if not isinstance(item, Incoming):
            raise InputError(f"must be an Incoming, not {type(item).__name__}", field=where)
        key = item.report_key
        if not isinstance(key, str) or not 1 <= len(key) <= 64 or not (key.isascii() and key.isprintable()):
            raise InputError("must be 1 to 64 printable ASCII characters", field=f"{where}.report_key")
        o = item.outcome
        for name, longest, required in _LIMITS:
            _check_text(getattr(o, name), f"{where}.outcome.{name}", longest, required)
        if o.received_at is None:
            stamp = stamp or iso(now())
            item = msgspec.structs.replace(item, outcome=msgspec.structs.replace(o, received_at=stamp))
        else:
            parse_time(o.received_at, f"{where}.outcome.received_at")
        ready.append(item)
    return ready
