"""What every adapter is: wire format in, typed `Report`s out, nothing else.

An adapter module (`dlrkit.adapters.<provider>`, named as in the catalog's registry) exposes:

    PROVIDER: str                      # "infobip"
    def detect(doc: object) -> bool    # does this decoded payload look like ours?
    def parse(body: bytes, content_type: str | None = None) -> list[Report]

`parse` accepts the provider's native body (JSON, form-encoded, text as the provider sends it).
Malformed input raises `InputError(problem, provider=..., field=...)`, never another exception.
Adapters never classify: they copy codes as reported into `NativeCode`s, in catalog terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol
from urllib.parse import parse_qsl

import msgspec

from dlrkit.errors import InputError
from dlrkit.outcome import Report


class Adapter(Protocol):
    PROVIDER: str

    def detect(self, doc: object) -> bool: ...

    def parse(self, body: bytes, content_type: str | None = None) -> list[Report]: ...


def decode_body(body: bytes, content_type: str | None, provider: str) -> object:
    """JSON or form-encoded body to Python objects; a clear InputError otherwise."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise InputError("body must be bytes", provider=provider)
    ctype = (content_type or "").split(";")[0].strip().lower()
    data = bytes(body)
    if ctype == "application/x-www-form-urlencoded" or (not ctype and _looks_form(data)):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(data, provider) from exc
        return dict(parse_qsl(text, keep_blank_values=True))
    if not data.strip():
        raise InputError("empty body", provider=provider)
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        if not is_utf8(data):
            raise not_utf8(data, provider) from exc
        raise InputError(f"not valid JSON ({exc})", provider=provider) from exc
    except UnicodeDecodeError as exc:  # msgspec decodes strings lazily: a bad byte inside one
        raise not_utf8(data, provider) from exc


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def not_utf8(data: bytes, provider: str | None) -> InputError:
    """The InputError for a body that is not valid UTF-8, naming the first bad byte's offset."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        return InputError(
            f"body is not valid UTF-8 (byte 0x{bad} at offset {exc.start})", provider=provider
        )
    return InputError("body is not valid UTF-8", provider=provider)


def _looks_form(data: bytes) -> bool:
    head = data.lstrip()[:1]
    return bool(data) and head not in (b"{", b"[") and b"=" in data[:200]


def field(doc: Mapping[str, object], name: str, provider: str, *, path: str = "") -> object:
    """A required field, or InputError naming it."""
    if name not in doc or doc[name] is None or doc[name] == "":
        raise InputError("missing", provider=provider, field=f"{path}{name}")
    return doc[name]


def as_int(value: object, provider: str, name: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"expected an integer, got {value!r}", provider=provider, field=name)
    if isinstance(value, int):
        return value
    if (
        isinstance(value, str)
        and value.strip().lstrip("-").isascii()
        and value.strip().lstrip("-").isdigit()
        and len(value) < 20
    ):
        return int(value.strip())
    raise InputError(f"expected an integer, got {value!r}", provider=provider, field=name)
