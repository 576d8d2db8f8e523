"""`normalize`: any provider's native payload in, one canonical outcome per message out.

    >>> from dlrkit import normalize
    >>> body = b'{"results":[{"messageId":"m1","to":"385981234567","status":{"id":5,"groupId":3,'
    ...        b'"groupName":"DELIVERED","name":"DELIVERED_TO_HANDSET"},"error":{"id":0,"groupId":0,'
    ...        b'"name":"NO_ERROR","permanent":false}}]}'
    >>> [(o.message_id, o.state, o.reason) for o in normalize(body)]
    [('m1', <State.DELIVERED: 'delivered'>, <Reason.NONE: 'none'>)]

The provider is detected from the payload's shape when not given; an unknown or ambiguous shape
is an `InputError` that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

import msgspec

from dlrkit import adapters
from dlrkit.adapters.base import not_utf8
from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.errors import InputError
from dlrkit.fold import merge
from dlrkit.outcome import Outcome, Report
from dlrkit.rules import Rules

Payload = bytes | str | Mapping[str, Any] | list[Any]


def _to_bytes(payload: Payload) -> tuple[bytes, str | None]:
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload), None
    if isinstance(payload, str):
        return payload.encode("utf-8"), None
    if isinstance(payload, Mapping | list):
        try:
            return msgspec.json.encode(payload), "application/json"
        except (TypeError, OverflowError, msgspec.EncodeError) as exc:
            raise InputError(f"payload is not JSON-serialisable: {exc}", field="payload") from exc
    raise InputError(
        f"payload must be bytes, str, a dict or a list, not {type(payload).__name__}",
        field="payload",
    )


def _sniff(body: bytes, content_type: str | None) -> object:
    """The payload decoded just enough for adapters' `detect`: JSON, form fields, text or,
    when it is not UTF-8, the bytes themselves."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    stripped = body.strip()
    if ctype == "application/json" or stripped[:1] in (b"{", b"["):
        try:
            return msgspec.json.decode(stripped)
        except UnicodeDecodeError:  # JSON whose strings are not UTF-8: no adapter could read it
            raise not_utf8(stripped, None) from None
        except (msgspec.DecodeError, RecursionError):
            if ctype == "application/json":
                raise InputError("not valid JSON", field="payload") from None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # binary: only an adapter that reads octets (a raw SMPP PDU) may claim it
    if ctype == "application/x-www-form-urlencoded" or (
        "=" in text and "&" in text and ":" not in text.split("&")[0]
    ):
        from urllib.parse import parse_qsl

        return dict(parse_qsl(text.strip(), keep_blank_values=True))
    return text


def detect(payload: Payload, content_type: str | None = None) -> str:
    """The provider whose adapter recognises this payload's shape."""
    body, ctype = _to_bytes(payload)
    doc = _sniff(body, content_type or ctype)
    claims = [name for name in adapters.ADAPTERS if adapters.get(name).detect(doc)]
    if not claims and isinstance(doc, str) and doc.strip()[:1] in ("{", "["):
        try:  # it looks like JSON, no adapter read it as text: say what is wrong with the JSON
            msgspec.json.decode(doc.strip())
        except (msgspec.DecodeError, RecursionError) as exc:
            raise InputError(f"not valid JSON: {exc}", field="payload") from None
    if not claims:
        raise InputError(
            "unrecognised payload shape: no adapter ("
            + ", ".join(adapters.ADAPTERS)
            + ") claims it; "
            "say whose it is (provider= in Python, --provider on the command line)",
            field="payload",
        )
    if len(claims) > 1:
        raise InputError(
            f"ambiguous payload shape: {', '.join(claims)} all claim it; say whose it is "
            "(provider= in Python, --provider on the command line)",
            field="payload",
        )
    return claims[0]


def parse_reports(
    payload: Payload, provider: str | None = None, content_type: str | None = None
) -> list[Report]:
    """The typed reports in a payload (no classification)."""
    body, ctype = _to_bytes(payload)
    name = provider or detect(body, content_type or ctype)
    module: ModuleType = adapters.get(name)
    reports: list[Report] = module.parse(body, content_type or ctype)
    return reports


def normalize(
    payload: Payload,
    provider: str | None = None,
    *,
    content_type: str | None = None,
    catalog: Catalog | None = None,
    rules: Rules | None = None,
    received_at: str | None = None,
    classifier: Classifier | None = None,
) -> list[Outcome]:
    """One outcome per message in the payload (a multipart message's parts fold into one).

    Pass a `Classifier` to reuse its memory across many payloads (the CLI does).
    """
    clf = classifier or Classifier(catalog or Catalog.default(), rules)
    reports = parse_reports(payload, provider, content_type)
    if len(reports) == 1:
        return [clf.classify(reports[0], received_at=received_at)]
    return fold_per_recipient(clf.classify(r, received_at=received_at) for r in reports)


def fold_per_recipient(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """`fold`, keeping apart the recipients of one message id.

    Some providers give one id to a send to several numbers (SMSPartner's message_id; its
    Status by Message answer lists each number's status under it): those are several messages,
    one per recipient, and must not fold into one. The parts and repeats of one message share
    the recipient; a report that names none joins the first outcome of its id.
    """
    merged: dict[tuple[str, str, str | None], Outcome] = {}
    first: dict[tuple[str, str], tuple[str, str, str | None]] = {}
    for o in outcomes:
        key = (o.provider, o.message_id, o.recipient_raw)
        earlier = first.get(key[:2])
        if key not in merged and earlier is not None and None in (earlier[2], key[2]):
            key = earlier
        first.setdefault(key[:2], key)
        merged[key] = merge(merged[key], o) if key in merged else o
    return list(merged.values())
