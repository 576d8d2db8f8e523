"""Checks on a batch before it is queued for writing: what the database would refuse, said clearly.

A report the columns cannot hold (a message id past 255 characters, a NUL character, which
PostgreSQL text refuses, text that is not valid Unicode) is an `InputError` naming the item and
field, raised before anything is written, instead of a failed transaction. A report without
`received_at` is stamped with the time it reached the store. `storable` answers the same
question for look-up values (a message id nobody could have stored is simply not found).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from dlrkit.errors import InputError
from dlrkit.store.base import Incoming
from dlrkit.store.schema import iso, now, parse_time

_encode = msgspec.json.Encoder().encode
# (field, longest allowed, required)
_LIMITS = (
    ("provider", 64, True),
    ("message_id", 255, True),
    ("recipient", 255, False),
    ("country", 2, False),
    ("operator", 255, False),
)


def text_problem(value: str, longest: int) -> str | None:
    """Why the database could not store `value` in a column this long, or None."""
    if len(value) > longest:
        return f"longer than {longest} characters"
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text"
    return None


def storable(value: object, longest: int = 255) -> bool:
    return isinstance(value, str) and text_problem(value, longest) is None


def _check_text(value: object, field: str, longest: int, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        raise InputError("must be a non-empty string", field=field)
    problem = text_problem(value, longest)
    if problem is not None:
        raise InputError(problem, field=field)


class Checked(tuple[Incoming, ...]):
    """A batch as `check_batch` returns it: checking it again returns it as it is (the webhook
    route checks a batch before handing it to the store, which would otherwise check it twice).
    Only `check_batch` makes one; its items are frozen, so it stays as checked."""

    __slots__ = ()


def check_batch(batch: Sequence[Incoming]) -> Checked:
    """The batch ready to store, or InputError naming the first bad item and field."""
    if type(batch) is Checked:
        return batch
    stamp: str | None = None
    ready: list[Incoming] = []
    for i, item in enumerate(batch):
        where = f"batch[{i}]"
        if not isinstance(item, Incoming):
            raise InputError(f"must be an Incoming, not {type(item).__name__}", field=where)
        key = item.report_key
        if (
            not isinstance(key, str)
            or not 1 <= len(key) <= 64
            or not (key.isascii() and key.isprintable())
        ):
            raise InputError(
                "must be 1 to 64 printable ASCII characters", field=f"{where}.report_key"
            )
        o = item.outcome
        for name, longest, required in _LIMITS:
            _check_text(getattr(o, name), f"{where}.outcome.{name}", longest, required)
        if not 1 <= o.reports < 2**31:
            raise InputError("must be between 1 and 2**31 - 1", field=f"{where}.outcome.reports")
        if o.received_at is None:
            stamp = stamp or iso(now())
            o = msgspec.structs.replace(o, received_at=stamp)
            ready.append(msgspec.structs.replace(item, outcome=o))
            continue
        parse_time(o.received_at, f"{where}.outcome.received_at")
        ready.append(item)
    try:
        _encode([item.outcome for item in ready])
    except (msgspec.EncodeError, UnicodeEncodeError, TypeError, OverflowError) as exc:
        raise InputError(f"cannot be stored as JSON: {exc}", field="batch") from None
    return Checked(ready)
