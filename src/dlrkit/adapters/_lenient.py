"""Lenient readers for the scalar fields of form-encoded or JSON callbacks (Plivo, SMSPartner).

Forms give every value as text; JSON gives text, numbers, booleans or nested junk. These readers
accept what providers really send (ids as text or integers, numbers as text, a blank value for an
absent one) and raise `InputError` naming the field for anything else. Times come out as ISO 8601
in UTC with a "Z", so that stored times sort as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from dlrkit.errors import InputError

_INT_RE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)
_NUM_RE = re.compile(
    r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?"
)
_MAX_ID_BITS = 256  # an id or number written with more than ~77 digits is junk, not data


def present(doc: Mapping[str, object], *names: str) -> str | None:
    """The first of `names` that `doc` holds with a non-blank value."""
    for name in names:
        value = doc.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return name
    return None


def text(doc: Mapping[str, object], name: str, provider: str, path: str = "") -> str | None:
    """A text field (ids and numbers may arrive as JSON integers); None when absent or blank."""
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > _MAX_ID_BITS:
            raise InputError("integer too large", provider=provider, field=path + name)
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # an id some JSON encoders write as 5.180233e+06
    raise InputError(
        f"expected text, got {type(value).__name__}", provider=provider, field=path + name
    )


def required(doc: Mapping[str, object], name: str, provider: str, path: str = "") -> str:
    """A text field that must be there (an id): InputError naming it otherwise."""
    value = text(doc, name, provider, path)
    if value is None:
        raise InputError("missing", provider=provider, field=path + name)
    return value


def integer(doc: Mapping[str, object], name: str, provider: str, path: str = "") -> int | None:
    """An integer field, as a JSON number or as text; None when absent or blank."""
    value = doc.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() <= 63:
            return value
    elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    raise InputError(
        f"expected an integer, got {value!r:.40}", provider=provider, field=path + name
    )


def number(doc: Mapping[str, object], name: str, provider: str, path: str = "") -> float | None:
    """A finite decimal number (a price), as a JSON number or as text; None when absent."""
    value = doc.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    result: float | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() <= _MAX_ID_BITS:
            result = float(value)
    elif isinstance(value, float):
        result = value
    elif isinstance(value, str) and _NUM_RE.fullmatch(value.strip()):
        result = float(value.strip())
    if result is None or not math.isfinite(result):
        raise InputError(
            f"expected a number, got {value!r:.40}", provider=provider, field=path + name
        )
    return result


def timestamp(raw: str, naive_zone: tzinfo, provider: str, field: str) -> datetime:
    """An ISO-like date and time ("2024-09-26 14:05:18[.ffffff][+05:30]"), aware.

    A time written without an offset is read in `naive_zone`.
    """
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise InputError(
            f"not a date and time: {raw!r:.40}", provider=provider, field=field
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_zone)
    return moment


def epoch(raw: str, provider: str, field: str) -> datetime:
    """Seconds (or, with 12 to 13 digits, milliseconds) since 1970 as text, in UTC."""
    digits = raw.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > 13:
        raise InputError(f"not a Unix time: {raw!r:.40}", provider=provider, field=field)
    seconds = int(digits) / 1000 if len(digits) >= 12 else int(digits)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError) as exc:
        raise InputError(
            f"Unix time out of range: {raw!r:.40}", provider=provider, field=field
        ) from exc


def iso(moment: datetime, provider: str, field: str) -> str:
    """ISO 8601 in UTC, "Z" suffix, microseconds only when there are some."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # e.g. year 1 with a positive offset
        raise InputError(f"time out of range: {moment}", provider=provider, field=field) from exc
    return utc.isoformat().replace("+00:00", "Z")
