"""Outcome writers for files: JSON Lines, CSV and Parquet, with one stable column set.

Each writer takes outcomes one at a time and holds at most one batch in memory, so normalizing
a file of any size runs in constant memory.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import threading
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
    """JSON Lines, written behind: when the output is a file descriptor, a thread of its own
    hands the encoded blocks to the kernel (`os.writev`, which releases the GIL), so copying a
    block into the page cache (0.5-2 us a 1.3 KB outcome on this ext4 volume, more than the fast
    lane takes to encode it) runs beside the encoding of the next one. At most `QUEUED` blocks wait, so memory stays bounded;
    an error in the thread (a full disk, a closed pipe) is raised by the next write or `close`,
    and nothing written before it is lost. Without a descriptor (in-memory streams), the stream
    is written in place."""

    QUEUED = 4  # blocks waiting for the writer thread
    FLUSH = 1 << 20  # bytes gathered from `write` before they are handed over

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self._buf = bytearray()
        self._behind: _WriteBehind | None = None
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (tests, in-memory streams)
            return
        stream.flush()  # what the stream holds goes first; from here on the fd is written
        self._behind = _WriteBehind(fd)

    def write(self, outcome: Outcome) -> None:
        _encoder.encode_into(outcome, self._buf, -1)
        self._buf += b"\n"
        if len(self._buf) > self.FLUSH:
            self._hand_over()

    def write_encoded(
        self,
        pieces: list[bytes],
        kinds: Sequence[Hashable],
        owns: Sequence[tuple[Any, ...] | None] | None = None,
    ) -> None:
        """Already-encoded outcome lines (the fast lane's, see `ParquetSink.write_encoded`;
        `kinds` and `owns` are for Parquet). A block of them goes to the file with
        `os.writev`, without copying it into one buffer."""
        if len(pieces) < 64 or self._behind is None:
            self._buf += b"".join(pieces)
            if len(self._buf) > self.FLUSH:
                self._hand_over()
            return
        if self._buf:
            self._hand_over()
        self._behind.put(pieces)

    def _hand_over(self) -> None:
        if self._behind is None:
            self._stream.write(self._buf)
            self._buf.clear()
        else:
            self._behind.put([bytes(self._buf)])
            self._buf.clear()

    def close(self) -> None:
        if self._behind is None:
            self._stream.write(self._buf)
            self._buf.clear()
            self._stream.flush()
            return
        if self._buf:
            self._hand_over()
        self._behind.close()


class _WriteBehind:
    """A thread writing lists of bytes to a file descriptor in order (see `JsonlSink`)."""

    def __init__(self, fd: int):
        self._fd = fd
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(JsonlSink.QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dlrkit-write-behind", daemon=True)
        self._thread.start()

    def put(self, pieces: list[bytes]) -> None:
        self._raise()
        self._queue.put(pieces)

    def close(self) -> None:
        """Wait until everything handed over is written; raise the writer's error if any."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while (pieces := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking blocks so the encoder never waits on a dead writer
            try:
                self._write(pieces)
            except BaseException as exc:  # raised to the encoder by its next call
                self._error = exc

    def _write(self, pieces: list[bytes]) -> None:
        for start in range(0, len(pieces), 512):  # IOV_MAX is 1024 on Linux
            part = pieces[start : start + 512]
            written = os.writev(self._fd, part)
            total = sum(map(len, part))
            if written < total:  # a short write (a pipe, a signal): the rest byte for byte
                rest = memoryview(b"".join(part))[written:]
                while rest:
                    rest = rest[os.write(self._fd, rest) :]


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


class _Row(msgspec.Struct, gc=False):
    """An encoded outcome read back for Parquet, its fields in `COLUMNS` order: nested fields
    stay raw JSON text."""

    message_id: str
    provider: str
    channel: str
    state: str
    final: bool
    reason: str
    retry: str
    retry_after: int | None
    party: str
    decided_by: str
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
    codes: msgspec.Raw
    unknown_codes: list[str]
    raw: msgspec.Raw


class _Own(msgspec.Struct, gc=False):
    """The fields of an encoded outcome that are its own, not its kind's (see `ParquetSink`)."""

    message_id: str
    recipient: str | None
    recipient_raw: str | None
    country: str | None
    operator: str | None
    sender: str | None
    sent_at: str | None
    done_at: str | None
    raw: msgspec.Raw  # last: ParquetSink keeps it as bytes (see write_encoded)


assert _Row.__struct_fields__ == COLUMNS
_OWN = _Own.__struct_fields__
_KIND = tuple(c for c in COLUMNS if c not in _OWN)
_row_decoder = msgspec.json.Decoder(_Row)
_own_decoder = msgspec.json.Decoder(_Own)


def _text(value: object) -> str:
    """JSON text (msgspec.Raw) or unknown codes (a list) as the string the column holds."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(value)
    assert isinstance(value, msgspec.Raw)
    return bytes(value).decode()


class ParquetSink:
    """Parquet through pyarrow's streaming writer, in bounded memory whatever the input size.

    Each outcome is split into its own fields (message id, recipient, times, raw...) and its
    kind's: the fast lane says which outcomes share everything else (decision, price, source...),
    and a kind's values are converted once. Rows are gathered as tuples and turned into Arrow
    arrays every `CHUNK` rows (their Python objects are freed while still in the CPU's caches);
    the kind columns are one `take` from the table of kinds. A row group is written every
    `ROW_GROUP` rows.
    """

    CHUNK = 2048
    ROW_GROUP = 32768
    MAX_KINDS = 1 << 14  # general-path outcomes are each a kind: then the table starts over

    def __init__(self, path: str):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        string, f64, i64, b = pa.string(), pa.float64(), pa.int64(), pa.bool_()
        types = {"final": b, "retry_after": i64, "price": f64, "segments": i64, "reports": i64}
        self._schema = pa.schema([(c, types.get(c, string)) for c in COLUMNS])
        # Dictionary encoding only where values repeat: trying it on ids and raw text costs time.
        repeating = [*_KIND, "country", "operator"]
        self._writer = pq.ParquetWriter(
            path, self._schema, compression="zstd", use_dictionary=repeating
        )
        self._own: list[tuple[Any, ...]] = []  # per row, the _OWN fields
        self._kind_of: list[int] = []  # per row, its kind's index in self._kinds
        self._kinds: list[tuple[Any, ...]] = []  # the _KIND fields of each kind
        self._known: dict[Hashable, int] = {}  # the index of each fast-lane kind
        self._kind_table: Any = None  # self._kinds as an Arrow table, once converted
        self._chunks: list[Any] = []  # record batches of the row group being gathered
        self._gathered = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dlrkit-parquet")
        self._pending: Future[None] | None = None  # the row group being written

    def write(self, outcome: Outcome) -> None:
        values = row(outcome)
        self._own.append(tuple(values[c] for c in _OWN))
        self._kind_of.append(self._new_kind(tuple(values[c] for c in _KIND)))
        if len(self._own) >= self.CHUNK:
            self._convert()

    def write_encoded(
        self,
        pieces: list[bytes],
        kinds: Sequence[Hashable],
        owns: Sequence[tuple[Any, ...] | None] | None = None,
    ) -> None:
        """Outcome JSON lines (the fast lane's; a piece may hold several), and the kind of each
        outcome, in order. Stored with the same columns as `write`. `owns` may give outcomes'
        own fields (`_Own` as a tuple, the compiled lane's), else they are read from the line."""
        own, kind_of, known = self._own, self._kind_of, self._known
        decode, astuple = _own_decoder.decode, msgspec.structs.astuple
        lines: Any = pieces
        if len(kinds) != len(pieces):
            lines = b"".join(pieces).splitlines()
        for line, given in zip(lines, owns or [None] * len(lines), strict=True):
            if given is None:  # read from the line, raw as bytes as the compiled lane gives it
                values = astuple(decode(line))
                given = (*values[:-1], bytes(values[-1]))  # noqa: PLW2901
            own.append(given)
        for line, kind in zip(lines, kinds, strict=True):
            index = known.get(kind)
            if index is None:
                r = astuple(_row_decoder.decode(line))
                index = known[kind] = self._new_kind(tuple(r[COLUMNS.index(c)] for c in _KIND))
            kind_of.append(index)
        if len(own) >= self.CHUNK:
            self._convert()

    def _new_kind(self, values: tuple[Any, ...]) -> int:
        self._kinds.append(values)
        self._kind_table = None
        return len(self._kinds) - 1

    def _convert(self) -> None:
        """The gathered rows as a record batch; a row group once there are enough."""
        pa = self._pa
        if self._own:
            if self._kind_table is None:
                kinds = list(zip(*self._kinds, strict=True))
                self._kind_table = pa.RecordBatch.from_arrays(
                    [
                        pa.array([_text(v) for v in col] if c in _TEXT else col, type=_type)
                        for c, col, _type in (
                            (c, kinds[i], self._schema.field(c).type) for i, c in enumerate(_KIND)
                        )
                    ],
                    names=list(_KIND),
                )
            kind_columns = self._kind_table.take(pa.array(self._kind_of, type=pa.int32()))
            own = list(zip(*self._own, strict=True))
            arrays = {c: pa.array(own[i], type=pa.string()) for i, c in enumerate(_OWN[:-1])}
            arrays["raw"] = pa.array(own[-1], type=pa.string())  # JSON text, as str or bytes
            batch = [arrays[c] if c in arrays else kind_columns.column(c) for c in COLUMNS]
            self._chunks.append(pa.RecordBatch.from_arrays(batch, schema=self._schema))
            self._gathered += len(self._own)
            self._own.clear()
            self._kind_of.clear()
            if len(self._kinds) > self.MAX_KINDS:
                self._kinds.clear()
                self._known.clear()
                self._kind_table = None
        if self._gathered >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        """Hand the gathered row group to the writer thread: encoding and compressing it (Arrow
        releases the GIL there) overlaps the next rows' conversion. One group waits at most, so
        memory stays bounded; the thread's error is raised here or by `close`."""
        if self._chunks:
            table = self._pa.Table.from_batches(self._chunks)
            self._chunks = []
            self._gathered = 0
            if self._pending is not None:
                self._pending.result()
            self._pending = self._pool.submit(self._writer.write_table, table)

    def close(self) -> None:
        try:
            self._convert()
            self._flush()
            if self._pending is not None:
                self._pending.result()
        finally:
            self._pool.shutdown()
            self._writer.close()


_TEXT = frozenset((*_JSON_COLUMNS, "unknown_codes"))


def open_sink(fmt: str, stream: IO[bytes] | None, path: str | None) -> Sink:
    if fmt == "parquet":
        if path is None:
            from dlrkit.errors import InputError

            raise InputError("Parquet output needs a file: pass -o FILE.parquet", field="--output")
        return ParquetSink(path)
    assert stream is not None
    return JsonlSink(stream) if fmt == "jsonl" else CsvSink(stream)
