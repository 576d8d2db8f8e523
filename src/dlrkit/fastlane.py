"""The fast lane: Infobip SMS delivery reports straight to JSON Lines, without intermediate objects.

Files of Infobip SMS reports are the bulk of what `dlrkit normalize` reads. This lane handles the
plain SMS report shape (the keys of "Receive outbound SMS message report", nothing that could make
the report voice, email, chat or push) with strictly typed msgspec decoding, and writes each
outcome's JSON from pre-encoded pieces: the decision for each distinct (status, error) pair is
computed once by the *real* adapter and classifier, and the recipient's country and operator
once per numbering block. Anything else (another shape, an unexpected type, an odd timestamp, a
repeated message id in one payload) returns None and goes through the general path, so the lane
can only ever be faster, never different: tests compare both on every fixture.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from dlrkit.adapters import infobip
from dlrkit.adapters.infobip_shapes import iso_time
from dlrkit.classify import Classifier
from dlrkit.recipients import parse_recipient


class _Status(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: int | None = None
    groupId: int | None = None
    groupName: str | None = None
    name: str | None = None
    description: str | None = None
    action: str | None = None


class _Error(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: int | None = None
    groupId: int | None = None
    groupName: str | None = None
    name: str | None = None
    description: str | None = None
    permanent: bool | None = None


class _Price(msgspec.Struct, forbid_unknown_fields=True):
    pricePerMessage: float | None = None
    currency: str | None = None


class _Result(msgspec.Struct, forbid_unknown_fields=True):
    messageId: str
    to: str | None = None
    bulkId: str | None = None
    sentAt: str | None = None
    doneAt: str | None = None
    smsCount: int | None = None
    messageCount: int | None = None
    mccMnc: str | None = None
    callbackData: str | None = None
    entityId: str | None = None
    applicationId: str | None = None
    price: _Price | None = None
    status: _Status | None = None
    error: _Error | None = None


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    results: list[msgspec.Raw]


_envelope = msgspec.json.Decoder(_Envelope)
_result = msgspec.json.Decoder(_Result)
_enc = msgspec.json.Encoder()
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+")


def _str(value: str | None) -> bytes:
    if value is None:
        return b"null"
    if _SAFE.issuperset(value):
        return b'"' + value.encode() + b'"'
    return _enc.encode(value)


_MINUTES: dict[str, bool] = {}


def _valid_minute(prefix: str) -> bool:
    """Whether "YYYY-MM-DDTHH:MM" is a real minute (cached: reports share minutes)."""
    ok = _MINUTES.get(prefix)
    if ok is None:
        try:
            datetime.fromisoformat(prefix)
            ok = prefix[4] == "-" and prefix[7] == "-" and prefix[13] == ":"
        except ValueError:
            ok = False
        if len(_MINUTES) > 100_000:
            _MINUTES.clear()
        _MINUTES[prefix] = ok
    return ok


_INFOBIP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:[0-5]\d\.\d{3}\+0000")


def _time(value: str | None) -> bytes:
    """Infobip's usual "2026-11-24T10:00:10.123+0000" in UTC, as the adapter writes it."""
    if not value:
        return b"null"
    if _INFOBIP_TIME.fullmatch(value) and _valid_minute(value[:16]):
        if value.endswith(".000+0000"):
            return b'"' + value[:19].encode() + b'Z"'
        return b'"' + value[:23].encode() + b'Z"'
    return _str(iso_time(value))


class _Decision(NamedTuple):
    head: bytes  # the encoded fields from "provider" to "unknown_codes"
    source: bytes
    state: str
    reason: str
    unknown: tuple[str, ...]


class InfobipSmsLane:
    """Encode a line holding an Infobip SMS report payload as outcome JSON lines, or say no."""

    def __init__(self, classifier: Classifier, received_at: str, *, detect: bool = True):
        self.classifier = classifier
        self.detect = detect  # the provider was not given: accept only what detection would
        self.received = b'"received_at":' + _str(received_at)
        self._decisions: dict[tuple[Any, ...], _Decision | None] = {}
        self.seen: list[_Decision] = []  # the decision of each outcome of the last encode()
        self._tails: dict[tuple[str | None, str | None], bytes] = {}

    def encode(self, line: bytes) -> bytes | None:
        try:
            raws = _envelope.decode(line).results
            results = [_result.decode(r) for r in raws]
        except (msgspec.DecodeError, RecursionError):
            return None
        if not results or (len(results) > 1 and len({r.messageId for r in results}) < len(results)):
            return None
        out = []
        self.seen = []
        for raw, r in zip(raws, results, strict=True):
            text = bytes(raw)
            if b"\n" in text or b"\r" in text:  # a pretty-printed payload: one line per outcome
                text = msgspec.json.format(text, indent=0)
            piece = self._one(text, r)
            if piece is None:
                return None
            out.append(piece)
        return b"".join(out)

    def _one(self, raw: bytes, r: _Result) -> bytes | None:
        if (
            not r.messageId
            or (r.to is not None and "@" in r.to)
            or (r.status is None and r.error is None)
        ):
            return None
        s, e = r.status, r.error
        key = (
            None if s is None else (s.id, s.groupId, s.groupName, s.name),
            None if e is None else (e.id, e.groupId, e.groupName, e.name, e.permanent),
        )
        if key in self._decisions:
            decision = self._decisions[key]
        else:
            decision = self._decisions[key] = self._decide(s, e)
        if decision is None:
            return None
        self.seen.append(decision)
        head, source = decision.head, decision.source
        sent, done = _time(r.sentAt), _time(r.doneAt)
        price = r.price.pricePerMessage if r.price is not None else None
        if price is not None and not math.isfinite(price):
            price = None
        currency = r.price.currency if price is not None and r.price is not None else None
        segments = r.smsCount if r.smsCount is not None else r.messageCount
        return b"".join(
            (
                b'{"message_id":',
                _str(r.messageId),
                head,
                self._recipient(r.to or None),
                b',"sender":null,"sent_at":',
                sent,
                b',"done_at":',
                done,
                b",",
                self.received,
                b',"price":',
                b"null" if price is None else _enc.encode(price),
                b',"currency":',
                _str(currency or None),
                b',"segments":',
                b"null" if segments is None else str(segments).encode(),
                b',"reports":1,"source":',
                source,
                b',"raw":',
                raw,
                b"}\n",
            )
        )

    def _decide(self, s: _Status | None, e: _Error | None) -> _Decision | None:
        """The decision-dependent middle of the record, from the real adapter and classifier."""
        result: dict[str, Any] = {"messageId": "x"}
        if s is not None:
            result["status"] = msgspec.to_builtins(s)
        if e is not None:
            result["error"] = msgspec.to_builtins(e)
        doc = {"results": [result]}
        if self.detect and not infobip.detect(doc):
            return None
        (report,) = infobip.parse_doc(doc)
        o = self.classifier.classify(report, received_at="")
        if o.channel != "sms" or report.sender is not None:
            return None
        middle = {
            "provider": o.provider,
            "channel": o.channel,
            "state": o.state,
            "final": o.final,
            "reason": o.reason,
            "retry": o.retry,
            "party": o.party,
            "retry_after": o.retry_after,
            "decided_by": o.decided_by,
            "codes": o.codes,
            "unknown_codes": o.unknown_codes,
        }
        return _Decision(
            b"," + _enc.encode(middle)[1:-1],
            _str(o.source),
            o.state.value,
            o.reason.value,
            o.unknown_codes,
        )

    def _recipient(self, to: str | None) -> bytes:
        if to is None:
            return b',"recipient":null,"recipient_raw":null,"country":null,"operator":null'
        rec = parse_recipient(to)
        tail = self._tails.get((rec.country, rec.operator))
        if tail is None:
            tail = b',"country":' + _str(rec.country) + b',"operator":' + _str(rec.operator)
            self._tails[(rec.country, rec.operator)] = tail
        raw = _str(to)
        return (
            b',"recipient":'
            + (_str(rec.e164) if rec.e164 else raw)
            + b',"recipient_raw":'
            + raw
            + tail
        )
