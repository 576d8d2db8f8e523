"""Outcome writers for files: JSON Lines, CSV and Parquet, with one stable column set.

Each writer takes outcomes one at a time and holds at most one batch in memory, so normalizing
a file of any size runs in constant memory.
"""

from __future__ import annotations

import csv
import io
from typing import IO, Any, Protocol

import msgspec

from dlrkit.outcome import Outcome

# The stable column set of CSV and Parquet rows (JSON Lines carries the full nested record).
COLUMNS: tuple[str, ...] = (
    "message_id",
    "provider",
    "channel",
    "state",
    "final",
    "reason",
    "retry",
    "retry_after",
    "party",
    "decided_by",
    "recipient",
    "recipient_raw",
    "country",
    "operator",
    "sender",
    "sent_at",
    "done_at",
    "received_at",
    "price",
    "currency",
    "segments",
    "reports",
    "source",
    "codes",
    "unknown_codes",
    "raw",
)
_JSON_COLUMNS = ("codes", "raw")
_encoder = msgspec.json.Encoder()


def row(o: Outcome) -> dict[str, Any]:
    """An outcome as a flat row: nested fields as JSON text, unknown codes joined by spaces."""
    out: dict[str, Any] = {}
    for name in COLUMNS:
        value = getattr(o, name)
        if name in _JSON_COLUMNS:
            value = _encoder.encode(value).decode()
        elif name == "unknown_codes":
            value = " ".join(value)
        elif hasattr(value, "value"):
            value = value.value
        out[name] = value
    return out


class Sink(Protocol):
    def write(self, outcome: Outcome) -> None: ...

    def close(self) -> None: ...


class JsonlSink:
    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._buf = bytearray()

    def write(self, outcome: Outcome) -> None:
        _encoder.encode_into(outcome, self._buf, -1)
        self._buf += b"\n"
        if len(self._buf) > 1 << 20:
            self._stream.write(self._buf)
            self._buf.clear()

    def write_encoded(self, lines: bytes) -> None:
        """Already-encoded outcome lines (the fast lane's); a big block is written as it is."""
        if len(lines) > 1 << 16:
            if self._buf:
                self._stream.write(self._buf)
                self._buf.clear()
            self._stream.write(lines)
            return
        self._buf += lines
        if len(self._buf) > 1 << 20:
            self._stream.write(self._buf)
            self._buf.clear()

    def close(self) -> None:
        self._stream.write(self._buf)
        self._buf.clear()
        self._stream.flush()


class CsvSink:
    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._text = io.StringIO()
        self._writer = csv.DictWriter(self._text, fieldnames=COLUMNS, lineterminator="\n")
        self._writer.writeheader()

    def write(self, outcome: Outcome) -> None:
        self._writer.writerow(row(outcome))
        if self._text.tell() > 1 << 20:
            self._flush()

    def _flush(self) -> None:
        self._stream.write(self._text.getvalue().encode("utf-8"))
        self._text.seek(0)
        self._text.truncate()

    def close(self) -> None:
        self._flush()
        self._stream.flush()


class _Row(msgspec.Struct):
    """An encoded outcome read back for Parquet: nested fields stay raw JSON text."""

    message_id: str
    provider: str
    channel: str
    state: str
    final: bool
    reason: str
    retry: str
    party: str
    retry_after: int | None
    decided_by: str
    codes: msgspec.Raw
    unknown_codes: list[str]
    recipient: str | None
    recipient_raw: str | None
    country: str | None
    operator: str | None
    sender: str | None
    sent_at: str | None
    done_at: str | None
    received_at: str | None
    price: float | None
    currency: str | None
    segments: int | None
    reports: int
    source: str
    raw: msgspec.Raw


_row_decoder = msgspec.json.Decoder(_Row)


class ParquetSink:
    """Parquet through pyarrow's streaming writer: columns filled row by row, one row group per
    batch, so memory stays bounded whatever the input size."""

    BATCH = 16384

    def __init__(self, path: str):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        string, f64, i64, b = pa.string(), pa.float64(), pa.int64(), pa.bool_()
        types = {"final": b, "retry_after": i64, "price": f64, "segments": i64, "reports": i64}
        self._schema = pa.schema([(c, types.get(c, string)) for c in COLUMNS])
        self._writer = pq.ParquetWriter(path, self._schema, compression="zstd")
        self._cols: list[list[Any]] = [[] for _ in COLUMNS]

    def write(self, outcome: Outcome) -> None:
        for col, value in zip(self._cols, row(outcome).values(), strict=True):
            col.append(value)
        if len(self._cols[0]) >= self.BATCH:
            self._flush()

    def write_encoded(self, lines: bytes) -> None:
        """Outcome JSON lines (the fast lane's), stored with the same columns as `write`."""
        for line in lines.splitlines():
            r = _row_decoder.decode(line)
            values = (
                r.message_id, r.provider, r.channel, r.state, r.final, r.reason, r.retry,
                r.retry_after, r.party, r.decided_by, r.recipient, r.recipient_raw, r.country,
                r.operator, r.sender, r.sent_at, r.done_at, r.received_at, r.price, r.currency,
                r.segments, r.reports, r.source, bytes(r.codes).decode(), " ".join(r.unknown_codes),
                bytes(r.raw).decode(),
            )  # fmt: skip
            for col, value in zip(self._cols, values, strict=True):
                col.append(value)
        if len(self._cols[0]) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._cols[0]:
            arrays = [
                self._pa.array(col, type=f.type)
                for col, f in zip(self._cols, self._schema, strict=True)
            ]
            self._writer.write_table(self._pa.Table.from_arrays(arrays, schema=self._schema))
            for col in self._cols:
                col.clear()

    def close(self) -> None:
        self._flush()
        self._writer.close()


def open_sink(fmt: str, stream: IO[bytes] | None, path: str | None) -> Sink:
    if fmt == "parquet":
        if path is None:
            from dlrkit.errors import InputError

            raise InputError("Parquet output needs a file: pass -o FILE.parquet", field="--output")
        return ParquetSink(path)
    assert stream is not None
    return JsonlSink(stream) if fmt == "jsonl" else CsvSink(stream)
