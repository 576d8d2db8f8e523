"""The fast lane: Infobip SMS delivery reports straight to outcome JSON, a block of lines a call.

Files of Infobip SMS reports are the bulk of what `dlrkit normalize` reads, and the general path
(decode to dicts, adapter, classifier, `Outcome`, encode) costs ~50 us a report. This lane gives
*byte for byte* the general path's output for the reports it accepts, and declines (None) the
rest, which then go through the general path: it can only ever be faster, never different
(tests/test_fastlane.py compares both on generated lines with every oddity we could think of).

Two loops do the same work on a block of lines: a compiled one, `dlrkit._lane` (src/dlrkit/_lane.c,
built at install where a C compiler is found), for the usual line, and the Python one below
(`_line`), which is the reference, and which the compiled loop calls for every other line. The
compiled loop reads a line by itself only when it is one report written exactly as msgspec
writes it (printable ASCII, no escape or space, Infobip's keys in their order, integers as
msgspec writes them): then the typed decode and the canonical check of step 5 below are known to
succeed, and a single scan of the bytes finds the same values. It shares every memo with the
Python loop and asks its methods on each miss, so the decisions are made in one place; the
parity tests run both loops. About 0.6 us a line against ~3 us for the Python loop.

How a line is handled (`InfobipSmsLane._line`, the usual case inline: each function call would
cost a tenth of a report):

1. One typed msgspec decode of the whole line into a Struct that holds exactly the keys of
   Infobip's "SMS delivery report" (`forbid_unknown_fields`): a voice, e-mail, chat or push key,
   a sender (`from`), a wrong type or a malformed line fails here and is declined. `status`,
   `error` and `price` stay raw bytes (`msgspec.Raw`): they are memo keys, decoded once each.
2. The memo of *rows*: reports with the same status, error, price and segment counts share
   every field from "provider" to "unknown_codes" and from "received_at" to "source". The real
   adapter and classifier compute them once per (status, error); they are kept encoded.
3. The recipient: its country and operator depend only on its leading digits and length
   (`dlrkit.recipients.deciding_digits`), so numbers written as digits are looked up by their
   *head*, all but their last five digits, which carries the length and (for nearly every
   number) the deciding digits; other numbers ask `dlrkit.recipients` one by one.
4. Timestamps: Infobip's "2026-11-24T10:00:10.123+0000" is its second (a memo of real seconds)
   and its fraction and offset (a table of the 1,000 ways of writing them); anything else goes
   through the general path's `iso_time`.
5. `raw` (the report as received) must be what the general path writes: the report decoded to
   a dict and encoded again. When the line is already in that form - compact, no escapes,
   canonical numbers, no repeated key, keys in the Structs' order, which is Infobip's order -
   re-encoding the typed line gives the line back (one C call and a comparison), and the report's
   bytes are copied as they are. Otherwise (a pretty-printed payload, an escape, another key
   order...) the report is re-encoded the general path's way: still in the lane, still exact.
6. A report is then one `bytes.join` of those pieces. The summary counts rows, tallied per
   block with a `Counter` (C code), not report by report.

A line whose payload holds several reports goes through the same steps per report (`_one`); one
that repeats a message id (the general path folds those) is declined. `encode` (one payload, for
whole `.json` files) is a block of one. Every memo is emptied when it reaches `_MAX_MEMO` entries,
so memory stays bounded on any input.

Where the Python loop's time goes (warm, per report, 2-core shared machine, see
docs/benchmarks.md): decoding 0.65 us; the row memo 0.35 (three `bytes()` of the raw parts, a
tuple, a dict look-up); the recipient 0.4; two timestamps 0.5; the canonical check 0.3; the join
0.3; the loop, attribute reads and checks the rest, about 3 us in all.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET, UnsetType

from dlrkit.adapters import infobip
from dlrkit.adapters.infobip_shapes import Int64, iso_time
from dlrkit.classify import Classifier
from dlrkit.errors import DlrkitError
from dlrkit.recipients import REGION_BLOCK, deciding_digits, parse_recipient

try:  # the compiled loop (src/dlrkit/_lane.c), built at install where a C compiler is found
    from dlrkit import _lane as _native
except ImportError:  # pragma: no cover - depends on the install
    _native = None  # type: ignore[assignment]
if os.environ.get("DLRKIT_NATIVE") == "0":  # the pure-Python lane, to compare or to rule out
    _native = None  # type: ignore[assignment]

# Fields are in the order Infobip writes them, so that re-encoding a compact payload gives it back.


class _Status(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    groupId: Int64 | UnsetType | None = UNSET
    groupName: str | UnsetType | None = UNSET
    id: Int64 | UnsetType | None = UNSET
    name: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    action: str | UnsetType | None = UNSET


class _Error(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    groupId: Int64 | UnsetType | None = UNSET
    groupName: str | UnsetType | None = UNSET
    id: Int64 | UnsetType | None = UNSET
    name: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    permanent: bool | UnsetType | None = UNSET


class _Price(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    pricePerMessage: float | UnsetType | None = UNSET
    currency: str | UnsetType | None = UNSET


_ABSENT = msgspec.Raw(b"")


class _Result(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    bulkId: str | UnsetType | None = UNSET
    messageId: str | UnsetType = UNSET
    to: str | UnsetType | None = UNSET
    sentAt: str | UnsetType | None = UNSET
    doneAt: str | UnsetType | None = UNSET
    smsCount: Int64 | UnsetType | None = UNSET
    messageCount: Int64 | UnsetType | None = UNSET
    mccMnc: str | UnsetType | None = UNSET
    callbackData: str | UnsetType | None = UNSET
    price: msgspec.Raw = _ABSENT  # kept as they are: see _Row
    status: msgspec.Raw = _ABSENT
    error: msgspec.Raw = _ABSENT
    entityId: str | UnsetType | None = UNSET
    applicationId: str | UnsetType | None = UNSET


class _Envelope(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    results: list[_Result]


class _RawEnvelope(msgspec.Struct, gc=False):
    results: list[msgspec.Raw]


_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_decode_raw_envelope = msgspec.json.Decoder(_RawEnvelope).decode
_decode_status = msgspec.json.Decoder(_Status | None).decode
_decode_error = msgspec.json.Decoder(_Error | None).decode
_decode_price = msgspec.json.Decoder(_Price | None).decode
_decode_any = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_NULL = b"null"
_RAW_KEY = b'","recipient_raw":"'
_MISSING: Any = object()
_MAX_MEMO = 1 << 17  # entries per memo before it is emptied (bounded memory on any input)


def _str(value: str | UnsetType | None) -> bytes:
    """A JSON string as msgspec writes it, or null (for None and absent alike)."""
    if value is None or value is UNSET:
        return _NULL
    assert isinstance(value, str)
    return _encode(value)


def _time_slow(value: str) -> bytes:
    """Any timestamp the general path's way (`iso_time`)."""
    return _str(iso_time(value))


_SECONDS = frozenset(f"{n:02d}" for n in range(60))


def _second(head: str, minutes: dict[str, bytes | None]) -> bytes | None:
    """'"YYYY-MM-DDTHH:MM:SS' (opening quote included) if `head` is a real second written
    exactly so, else None; the minute is checked once (`minutes` keeps the answers)."""
    minute = head[:16]
    if minute not in minutes:
        if len(minutes) >= _MAX_MEMO:
            minutes.clear()
        minutes[minute] = _minute(minute)
    start = minutes[minute]
    if start is None or head[16:17] != ":" or head[17:] not in _SECONDS:
        return None
    return start + head[16:].encode()


def _minute(text: str) -> bytes | None:
    """'"YYYY-MM-DDTHH:MM' if `text` is a real minute written exactly so, else None."""
    if (
        len(text) != 16
        or not text.isascii()
        or text[4] != "-"
        or text[7] != "-"
        or text[10] != "T"
        or text[13] != ":"
        or not (text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16]).isdigit()
    ):
        return None
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return None
    return b'"' + text.encode()


# Infobip's fraction and offset, ".123+0000", as the general path writes them: UTC with
# milliseconds, or without when they are zero (`iso_time`).
_FRACTIONS: dict[str, bytes] = {
    f".{ms:03d}+0000": (f".{ms:03d}Z".encode() if ms else b"Z") + b'"' for ms in range(1000)
}


class _Decision(NamedTuple):
    head: bytes  # '","provider":...,"unknown_codes":[...]': from message_id's end to the recipient
    tail: bytes  # ',"reports":1,"source":"...","raw":'
    state: str
    reason: str
    unknown: tuple[str, ...]


class _Row(NamedTuple):
    """What reports sharing status, error, price and segment counts have in common."""

    head: bytes  # _Decision.head
    canonical: bool  # status, error and price are written as msgspec writes them
    middle: bytes  # ',"received_at":...,"price":...,"currency":...,"segments":...' + _Decision.tail
    decision: _Decision


class InfobipSmsLane:
    """Encode lines holding Infobip SMS report payloads as outcome JSON lines, or say no."""

    def __init__(
        self, classifier: Classifier, received_at: str, *, detect: bool = True, native: bool = True
    ):
        self.classifier = classifier
        self.detect = detect  # the provider was not given: accept only what detection would
        self._received = b',"received_at":' + _str(received_at)
        self._decisions: dict[tuple[Any, Any], _Decision | None] = {}
        self._blocks: dict[tuple[str, int], tuple[bytes, bytes] | int] = {}
        self._heads: dict[str, tuple[bytes, bytes] | None] = {}
        self._seconds: dict[str, bytes] = {}
        self._minutes: dict[str, bytes | None] = {}
        self._rows: dict[tuple[Any, ...], _Row | None] = {}
        self._scanned: dict[bytes, _Row | None] = {}  # `dlrkit._lane`'s memo of rows
        # The compiled loop, unless asked for the Python one (`native=False`) or not built.
        self.native = _native.encode_lines if native and _native is not None else None
        # Parquet output asks the compiled loop for each outcome's own fields as values too
        # (`sinks._Own`, in order); `owns` has them after each call, None where the outcome's
        # line must be read instead (or is None: read every line).
        self.want_own = False
        self.owns: list[tuple[Any, ...] | None] | None = None
        self._tails: dict[bytes, tuple[Any, Any]] = {}  # see `_tail`
        self.tally: Counter[_Row] = Counter()  # how many outcomes of each kind were encoded
        self.declined = 0  # lines the last `encode_lines` declined
        # The kind of each outcome the last `encode_lines` encoded, in order: outcomes of one
        # kind share every field but message_id, recipient, recipient_raw, country, operator,
        # sender, sent_at, done_at and raw (Parquet output keeps the rest once per kind).
        self.seen: Sequence[Hashable] = []

    # -- the batch -------------------------------------------------------------------------

    def encode_lines(self, lines: list[bytes]) -> list[bytes | None]:
        """Per line, its outcome lines (the general path's bytes) or None: not for this lane.

        A byte that is not UTF-8 where msgspec keeps bytes raw (status, error, price) or skips a
        field only shows when those are decoded: then the block goes line by line and the lines
        with such a byte are declined (the general path names the byte)."""
        try:
            return self._encode_lines(lines)
        except UnicodeDecodeError:
            out: list[bytes | None] = []
            seen: list[Hashable] = []
            declined = 0
            for line in lines:
                try:
                    part = self._encode_lines([line])
                except UnicodeDecodeError:
                    out.append(None)
                    declined += 1
                    continue
                out += part
                seen += self.seen
                declined += self.declined
            self.seen, self.declined = seen, declined
            return out

    def _encode_lines(self, lines: list[bytes]) -> list[bytes | None]:
        """`encode_lines` for lines whose every byte is where UTF-8 is checked or unread: by the
        compiled loop (`dlrkit._lane`) when it was built, else line by line in Python."""
        seen: list[_Row] = []
        owns: list[tuple[Any, ...] | None] | None = None
        if self.native is not None:
            owns = [] if self.want_own else None
            out, declined = self.native(lines, self, seen, owns)
        else:
            line_of = self._line
            out = [line_of(line, seen) for line in lines]
            declined = out.count(None)
        self.tally.update(seen)
        self.declined = declined
        self.seen = seen
        self.owns = owns
        return out

    def _line(self, line: bytes, seen: list[_Row]) -> bytes | None:
        """One line's outcome lines, or None; the kind of each outcome is appended to `seen`.

        The usual line (one report) is handled here, memo look-ups inline; whatever misses a
        memo or is unusual calls a method; `_one` does the same steps for payloads of several
        reports. `dlrkit._lane` does exactly this in C for lines written as msgspec writes them,
        and calls this for the others."""
        try:
            envelope = _decode_envelope(line)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            return None  # the general path says what is wrong with it
        results = envelope.results
        if len(results) != 1:
            return self._several(line, envelope, seen)
        r = results[0]
        key = (bytes(r.status), bytes(r.error), bytes(r.price), r.smsCount, r.messageCount)
        row = self._rows.get(key, _MISSING)
        if row is _MISSING:
            row = self._row(key)
        mid, to = r.messageId, r.to
        if row is None or not isinstance(mid, str) or not mid:
            return None
        # The recipient: an all-digits number from the memo of its head, else `_recipient`.
        found = None
        if isinstance(to, str) and (number := to.encode()).isdigit():  # ASCII digits only
            found = self._heads.get(to[:-5]) or self._head(to)
            if found is not None:
                recipient, middle, tail = found[0], _RAW_KEY, found[1]
        if found is None:
            if isinstance(to, str) and "@" in to:
                return None  # an e-mail report
            recipient, number, middle, tail = self._recipient(to), b"", b"", b""
        # The times: their second and their fraction from memos, else `_time` (also for None
        # and absent: slicing them is a TypeError).
        seconds, fractions = self._seconds, _FRACTIONS
        sent, done = r.sentAt, r.doneAt
        try:
            sent_s, sent_f = seconds[sent[:19]], fractions[sent[19:]]  # type: ignore[index]
        except (KeyError, TypeError):
            sent_s, sent_f = self._time(sent), b""
        try:
            done_s, done_f = seconds[done[:19]], fractions[done[19:]]  # type: ignore[index]
        except (KeyError, TypeError):
            done_s, done_f = self._time(done), b""
        # When the line is `{"results":[<the report, canonical>]}`, `raw` is its middle.
        raw = line[12:-2] if row.canonical and _encode(envelope) == line else self._raw(line)
        seen.append(row)
        return b"".join(
            (
                b'{"message_id":',
                _encode(mid),
                row.head,
                recipient,
                number,
                middle,
                number,
                tail,
                b',"sender":null,"sent_at":',
                sent_s,
                sent_f,
                b',"done_at":',
                done_s,
                done_f,
                row.middle,
                raw,
                b"}\n",
            )
        )

    def _tail(self, tail: bytes) -> tuple[Any, Any]:
        """(country, operator) in a number's record tail, `","country":...,"operator":...`."""
        values = _decode_any(b'{"recipient":"' + tail + b"}")
        if len(self._tails) >= _MAX_MEMO:
            self._tails.clear()
        pair = self._tails[tail] = (values["country"], values["operator"])
        return pair

    @staticmethod
    def _recipient_values(piece: bytes) -> tuple[Any, Any, Any, Any]:
        """(recipient, recipient_raw, country, operator) in `_recipient`'s record piece."""
        values = _decode_any(b"{" + piece[1:] + b"}")
        return values["recipient"], values["recipient_raw"], values["country"], values["operator"]

    @staticmethod
    def _value(piece: bytes) -> Any:
        """The value of a piece of the record (`_time`'s)."""
        return _decode_any(piece)

    @staticmethod
    def _raw(line: bytes) -> bytes:
        """The line's one report as the general path writes `raw`: decoded and encoded again."""
        return _encode(_decode_any(_decode_raw_envelope(line).results[0]))

    def _row_of(
        self,
        status: bytes,
        error: bytes,
        price: bytes,
        sms_count: int | UnsetType | None,
        message_count: int | UnsetType | None,
    ) -> _Row | None:
        """The row for these raw parts (b"" when absent), for `dlrkit._lane`: its bytes were only
        scanned, so a malformed part is found here, and declines the line as msgspec would."""
        key = (status, error, price, sms_count, message_count)
        row = self._rows.get(key, _MISSING)
        if row is not _MISSING:
            return row  # type: ignore[no-any-return]
        try:
            for part in key[:3]:
                if part:
                    _decode_any(part)
        except msgspec.DecodeError:
            return None
        return self._row(key)

    def counted(self) -> list[tuple[str, str, tuple[str, ...], int]]:
        """(state, reason, unknown codes, outcomes) since the last call, for the summary, kinds in
        the order they first appeared."""
        counts = [(*self.describe(kind), n) for kind, n in self.tally.items()]
        self.tally.clear()
        return counts

    @staticmethod
    def describe(kind: Hashable) -> tuple[str, str, tuple[str, ...]]:
        """(state, reason, unknown codes) of the outcomes of a kind (see `seen`)."""
        assert isinstance(kind, _Row)
        d = kind.decision
        return d.state, d.reason, d.unknown

    def encode(self, payload: bytes) -> bytes | None:
        """One payload (a line, or a whole `.json` file)."""
        return self.encode_lines([payload])[0]

    def _several(self, line: bytes, envelope: _Envelope, seen: list[_Row]) -> bytes | None:
        """A payload with several reports (or none): all accepted, or the payload declined."""
        results = envelope.results
        if not results or len({r.messageId for r in results}) < len(results):
            return None  # nothing to report, or reports the general path folds into one outcome
        if _encode(envelope) == line:
            raws = [_encode(r) for r in results]
        else:
            raws = [_encode(_decode_any(raw)) for raw in _decode_raw_envelope(line).results]
        done = [self._one(r, raw) for r, raw in zip(results, raws, strict=True)]
        if any(d is None for d in done):
            return None
        seen.extend(d[1] for d in done if d is not None)
        return b"".join(d[0] for d in done if d is not None)

    def _one(self, r: _Result, raw: bytes) -> tuple[bytes, _Row] | None:
        """One report's outcome line, given its `raw` as the general path writes it: the steps
        of `encode_lines`, one method each."""
        key = (bytes(r.status), bytes(r.error), bytes(r.price), r.smsCount, r.messageCount)
        row = self._rows[key] if key in self._rows else self._row(key)
        mid, to = r.messageId, r.to
        if row is None or not isinstance(mid, str) or not mid:
            return None
        if isinstance(to, str) and "@" in to:
            return None
        if not row.canonical:  # status, error or price as msgspec would not write them
            raw = _encode(_decode_any(raw))
        line = b"".join(
            (
                b'{"message_id":',
                _encode(mid),
                row.head,
                self._recipient(to),
                b',"sender":null,"sent_at":',
                self._time(r.sentAt),
                b',"done_at":',
                self._time(r.doneAt),
                row.middle,
                raw,
                b"}\n",
            )
        )
        return line, row

    # -- memos -------------------------------------------------------------------------------

    def _row(self, key: tuple[Any, ...]) -> _Row | None:
        """The memo row for (status, error, price, smsCount, messageCount), the first three as
        raw bytes (b"" when absent): None when the lane declines such reports (a wrong type in
        them, not an SMS report, the adapter refuses it...)."""
        status, error, price, sms_count, message_count = key
        row = None
        try:
            s = _decode_status(status) if status else UNSET
            e = _decode_error(error) if error else UNSET
            p = _decode_price(price) if price else UNSET
        except msgspec.ValidationError:
            s = e = p = _MISSING
        pair = (s, e)
        if s is not _MISSING:
            d = self._decisions[pair] if pair in self._decisions else self._decision(pair)
            if d is not None:
                n = sms_count if sms_count is not None and sms_count is not UNSET else message_count
                segments = str(n).encode() if isinstance(n, int) else _NULL
                money = self._price(p)
                middle = self._received + money + b',"segments":' + segments + d.tail
                canonical = all(not b or _encode(_decode_any(b)) == b for b in key[:3])
                row = _Row(d.head, canonical, middle, d)
        if len(self._rows) >= _MAX_MEMO:
            self._rows.clear()
        self._rows[key] = row
        return row

    def _decision(self, key: tuple[Any, Any]) -> _Decision | None:
        if len(self._decisions) >= _MAX_MEMO:
            self._decisions.clear()
        d = self._decisions[key] = self._decide(*key)
        return d

    def _decide(
        self, s: _Status | UnsetType | None, e: _Error | UnsetType | None
    ) -> _Decision | None:
        """The decision-dependent middle of the record, from the real adapter and classifier."""
        result: dict[str, Any] = {"messageId": "x"}
        if s is not UNSET:
            result["status"] = msgspec.to_builtins(s)
        if e is not UNSET:
            result["error"] = msgspec.to_builtins(e)
        doc = {"results": [result]}
        if s in (None, UNSET) and e in (None, UNSET):
            return None  # neither status nor error: the general path says why
        if self.detect and not infobip.detect(doc):
            return None
        try:
            (report,) = infobip.parse_doc(doc)
            o = self.classifier.classify(report, received_at="")
        except DlrkitError:
            return None  # the general path says why
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
            b"," + _encode(middle)[1:-1],
            b',"reports":1,"source":' + _str(o.source) + b',"raw":',
            o.state.value,
            o.reason.value,
            o.unknown_codes,
        )

    @staticmethod
    def _price(p: _Price | UnsetType | None) -> bytes:
        """',"price":...,"currency":...' for a price object (as `infobip_shapes.charge`)."""
        amount = p.pricePerMessage if isinstance(p, _Price) else None
        if amount is UNSET or (isinstance(amount, float) and not math.isfinite(amount)):
            amount = None
        currency = p.currency if isinstance(p, _Price) and amount is not None else None
        if isinstance(currency, str) and currency.strip().upper() == "UNKNOWN":
            currency = None  # Infobip's word for none, as `infobip_shapes.charge` reads it
        return (
            b',"price":'
            + (_NULL if amount is None else _encode(amount))
            + b',"currency":'
            + _str(currency or None)
        )

    def _time(self, value: str | UnsetType | None) -> bytes:
        """A timestamp as the general path writes it; Infobip's usual form from two memos (only
        real seconds are kept)."""
        if not isinstance(value, str) or not value:
            return _NULL
        head = value[:19]
        second = self._seconds.get(head)
        if second is None:
            second = _second(head, self._minutes)
            if second is not None:
                if len(self._seconds) >= _MAX_MEMO:
                    self._seconds.clear()
                self._seconds[head] = second
        fraction = _FRACTIONS.get(value[19:])
        if second is None or fraction is None:
            return _time_slow(value)
        return second + fraction

    def _recipient(self, to: str | UnsetType | None) -> bytes:
        """',"recipient":...,"recipient_raw":...,"country":...,"operator":...'."""
        if not isinstance(to, str) or not to:
            return b',"recipient":null,"recipient_raw":null,"country":null,"operator":null'
        found = self._number(to) if to.isdigit() and to.isascii() else None
        if found is not None:
            number = to.encode()
            return found[0] + number + b'","recipient_raw":"' + number + found[1]
        rec = parse_recipient(to)
        raw = _encode(to)
        return (
            b',"recipient":'
            + (_str(rec.e164) if rec.e164 else raw)
            + b',"recipient_raw":'
            + raw
            + b',"country":'
            + _str(rec.country)
            + b',"operator":'
            + _str(rec.operator)
        )

    def _head(self, to: str) -> tuple[bytes, bytes] | None:
        """`_number`, kept by the number's head: all but its last five digits, which give its
        length and, for most numbers, at least the digits deciding its answer (else None is kept,
        and each such number asks `_number`)."""
        found = self._number(to)
        head = to[:-5]
        if head not in self._heads:
            if len(self._heads) >= _MAX_MEMO:
                self._heads.clear()
            decided = found is not None and deciding_digits(to) <= len(head)
            self._heads[head] = found if decided else None
        return found

    def _number(self, to: str) -> tuple[bytes, bytes] | None:
        """For an all-digits `to`: the pieces around the number in the record, from the memo of
        its block (see `_block`), or None when such a number is asked by itself."""
        if not 7 <= len(to) <= 15 or to[:2] == "00":
            return None
        found = self._blocks.get((to[:REGION_BLOCK], len(to)))
        if found is None:
            found = self._block(to, REGION_BLOCK)
        if isinstance(found, int):  # the block needs more digits: look again with them
            found = self._blocks.get((to[:found], len(to))) or self._block(to, found)
        return found if isinstance(found, tuple) else None

    def _block(self, to: str, known: int) -> tuple[bytes, bytes] | int:
        """For the numbers of `to`'s length sharing its first `known` digits: the pieces around
        the number in the record, or how many digits decide instead."""
        need = deciding_digits(to)
        found: tuple[bytes, bytes] | int = need
        if need <= known:
            rec = parse_recipient(to)
            found = (
                b',"recipient":"+' if rec.e164 else b',"recipient":"',
                b'","country":' + _str(rec.country) + b',"operator":' + _str(rec.operator),
            )
        if len(self._blocks) >= _MAX_MEMO:
            self._blocks.clear()
        self._blocks[(to[:known], len(to))] = found
        return found
