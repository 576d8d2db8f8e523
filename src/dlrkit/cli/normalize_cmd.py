"""`dlrkit normalize`: files (or stdin) of native reports in, outcomes out, in constant memory.

Line files are read a block (1 MiB) at a time. With JSON Lines or Parquet output, each block's
lines first go through the Infobip SMS fast lane (`dlrkit.fastlane`), which encodes the whole
block in one call; the lines it declines (other providers, odd reports, malformed lines) go
through the general path (`normalize`) one by one, in place, so the output keeps the input's
order and every skip is reported with its line number.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from typing import IO

from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.cli.files import check_output
from dlrkit.cli.render import error, print_table
from dlrkit.errors import DlrkitError, InputError
from dlrkit.normalizer import normalize
from dlrkit.rules import Rules
from dlrkit.sinks import JsonlSink, ParquetSink, Sink, open_sink

MAX_SHOWN_ERRORS = 20
MAX_TRACKED_UNKNOWN = 10_000
WHOLE_FILE_SUFFIXES = (".json", ".xml")


BLOCK = 1 << 20


class Stats:
    def __init__(self) -> None:
        self.payloads = 0
        self.outcomes = 0
        self.malformed = 0
        self.states: Counter[str] = Counter()
        self.reasons: Counter[tuple[str, str]] = Counter()
        self.unknown: Counter[str] = Counter()

    def count(self, state: str, reason: str, unknown: tuple[str, ...]) -> None:
        self.outcomes += 1
        self.states[state] += 1
        self.reasons[(state, reason)] += 1
        for u in unknown:
            if u in self.unknown or len(self.unknown) < MAX_TRACKED_UNKNOWN:
                self.unknown[u] += 1

    def count_many(self, state: str, reason: str, unknown: tuple[str, ...], n: int) -> None:
        """`count` n times (the fast lane's tally of one decision)."""
        self.outcomes += n
        self.states[state] += n
        self.reasons[(state, reason)] += n
        for u in unknown:
            if u in self.unknown or len(self.unknown) < MAX_TRACKED_UNKNOWN:
                self.unknown[u] += n


def _payloads(path: str, stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, payload): a whole .json file is one payload; otherwise one per line."""
    if path.endswith(WHOLE_FILE_SUFFIXES):
        yield 1, stream.read()
        return
    for number, lines in _blocks(stream):
        for i, line in enumerate(lines, number):
            if line.strip():
                yield i, line


def _blocks(stream: IO[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) a block at a time; lines lose their "\\r\\n"."""
    number = 1
    partial: list[bytes] = []  # the start of a line longer than what was read so far
    while block := stream.read(BLOCK):
        lines = block.split(b"\n")
        if len(lines) == 1:  # no line ends in this block
            partial.append(block)
            continue
        if partial:
            partial.append(lines[0])
            lines[0] = b"".join(partial)
            partial = []
        last = lines.pop()  # the start of the next block's first line
        if last:
            partial.append(last)
        if b"\r" in block or b"\r" in lines[0]:
            lines = [line.rstrip(b"\r") for line in lines]
        yield number, lines
        number += len(lines)
    if partial:
        yield number, [b"".join(partial).rstrip(b"\r")]


def _progress(total: int | None) -> object | None:
    if not sys.stderr.isatty() or os.environ.get("NO_COLOR") is not None:
        return None
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    bar.start()
    bar.add_task("normalizing", total=total)
    return bar


def cmd_normalize(args: argparse.Namespace) -> int:
    fmt = args.to or _format_from(args.output) or "jsonl"
    check_output(args.output)
    rules = Rules.load(args.rules) if args.rules else None
    classifier = Classifier(Catalog.default(), rules)
    out_stream = None
    if fmt != "parquet":
        out_stream = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    sink = open_sink(fmt, out_stream, args.output)
    stats = Stats()
    lane = None
    fast_sink = sink if isinstance(sink, JsonlSink | ParquetSink) else None
    if fast_sink is not None and args.provider in (None, "infobip") and not args.no_fast_lane:
        from dlrkit.classify import now_iso
        from dlrkit.fastlane import InfobipSmsLane

        lane = InfobipSmsLane(classifier, now_iso(), detect=args.provider is None)
        lane.want_own = isinstance(sink, ParquetSink)  # values, not JSON, for Parquet columns
    files = args.files or ["-"]
    sizes = [os.path.getsize(f) for f in files if f != "-" and os.path.isfile(f)]
    bar = _progress(sum(sizes) if len(sizes) == len(files) else None)
    try:
        for path in files:
            stream = sys.stdin.buffer if path == "-" else _open(path)
            where = "stdin" if path == "-" else path
            whole = path.endswith(WHOLE_FILE_SUFFIXES)  # one payload, even if blank
            with stream:
                if lane is None or args.content_type is not None:
                    batches: Iterator[tuple[int, list[bytes]]] = (
                        (n, [p]) for n, p in _payloads(path, stream)
                    )
                elif whole:
                    batches = iter([(1, [stream.read()])])
                else:
                    batches = _blocks(stream)
                for first, payloads in batches:
                    if bar is not None:
                        bar.advance(0, sum(len(p) + 1 for p in payloads))  # type: ignore[attr-defined]
                    kinds: Sequence[Hashable] = []  # the lane's kind of each outcome it encoded
                    if lane is not None and args.content_type is None:
                        assert fast_sink is not None
                        encoded = lane.encode_lines(payloads)
                        kinds = lane.seen
                        if lane.declined == 0:  # the usual block: written and counted at once
                            for state, reason, unknown, n in lane.counted():
                                stats.count_many(state, reason, unknown, n)
                            stats.payloads += len(payloads)
                            fast_sink.write_encoded(encoded, kinds, lane.owns)  # type: ignore[arg-type]
                            continue
                    else:
                        encoded = [None] * len(payloads)
                    used = 0  # kinds used so far
                    if lane is not None:
                        lane.tally.clear()  # counted line by line below
                    for number, (payload, done) in enumerate(
                        zip(payloads, encoded, strict=True), first
                    ):
                        if done is not None:  # the lane's: write and count it in place
                            assert fast_sink is not None
                            assert lane is not None
                            stats.payloads += 1
                            n = done.count(b"\n")
                            owns = lane.owns[used : used + n] if lane.owns is not None else None
                            fast_sink.write_encoded([done], kinds[used : used + n], owns)
                            for kind in kinds[used : used + n]:
                                stats.count(*lane.describe(kind))
                            used += n
                        elif (whole or payload.strip()) and not _general(
                            payload, number, where, args, classifier, sink, stats
                        ):
                            return 2
    finally:
        if bar is not None:
            bar.stop()  # type: ignore[attr-defined]
        sink.close()
        if out_stream is not None and args.output:
            out_stream.close()
    _summary(stats)
    return 1 if stats.malformed else 0


def _general(
    payload: bytes,
    number: int,
    where: str,
    args: argparse.Namespace,
    classifier: Classifier,
    sink: Sink,
    stats: Stats,
) -> bool:
    """One payload through the general path; False to stop (--strict and it is malformed)."""
    stats.payloads += 1
    try:
        outcomes = normalize(
            payload, args.provider, classifier=classifier, content_type=args.content_type
        )
    except DlrkitError as exc:
        stats.malformed += 1
        if args.strict:
            error(f"{where}:{number}: {exc} (stopped: --strict)")
            return False
        if stats.malformed <= MAX_SHOWN_ERRORS:
            error(f"{where}:{number}: skipped: {exc}")
        return True
    for o in outcomes:
        sink.write(o)
        stats.count(o.state.value, o.reason.value, o.unknown_codes)
    return True


def _open(path: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(exc.strerror or "cannot open", field=path) from exc


_PLAIN_SUFFIXES = ("", ".json", ".txt", ".out")  # JSON Lines by default, without a word


def _format_from(path: str | None) -> str | None:
    """The format an output file's name asks for; an InputError for one it cannot mean."""
    if not path:
        return None
    for suffix, fmt in (
        (".parquet", "parquet"),
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
    ):
        if path.endswith(suffix):
            return fmt
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in _PLAIN_SUFFIXES:
        raise InputError(
            f"no output format is called {suffix!r}: name the file .jsonl, .csv or .parquet, "
            "or say --to jsonl|csv|parquet",
            field="--output",
        )
    return None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(stats: Stats) -> None:
    """Counts and tables on stderr; ties in the order they first appeared in the input."""
    err = sys.stderr
    err.write(
        f"{_count(stats.payloads, 'payload')}, {_count(stats.outcomes, 'outcome')}, "
        f"{stats.malformed} skipped as malformed\n"
    )
    if stats.reasons:
        rows = [
            [s, r, str(n)] for (s, r), n in sorted(stats.reasons.items(), key=lambda kv: -kv[1])
        ]
        print_table(
            ["state", "reason", "outcomes"], rows, stream=err, title="Outcomes by state and reason"
        )
    if stats.unknown:
        rows = [[u, str(n)] for u, n in stats.unknown.most_common(20)]
        print_table(["unknown code", "seen"], rows, stream=err, title="Codes not in the catalog")
