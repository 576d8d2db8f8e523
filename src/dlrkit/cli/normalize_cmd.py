"""`dlrkit normalize`: files (or stdin) of native reports in, outcomes out, in constant memory."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterator
from typing import IO

from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.cli.render import error, print_table
from dlrkit.errors import DlrkitError, InputError
from dlrkit.normalizer import normalize
from dlrkit.rules import Rules
from dlrkit.sinks import JsonlSink, ParquetSink, open_sink

MAX_SHOWN_ERRORS = 20
MAX_TRACKED_UNKNOWN = 10_000
WHOLE_FILE_SUFFIXES = (".json", ".xml")


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


def _payloads(path: str, stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, payload): a whole .json file is one payload; otherwise one per line."""
    if path.endswith(WHOLE_FILE_SUFFIXES):
        yield 1, stream.read()
        return
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line.rstrip(b"\r\n")


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
    files = args.files or ["-"]
    sizes = [os.path.getsize(f) for f in files if f != "-" and os.path.isfile(f)]
    bar = _progress(sum(sizes) if len(sizes) == len(files) else None)
    try:
        for path in files:
            stream = sys.stdin.buffer if path == "-" else _open(path)
            with stream:
                for number, payload in _payloads(path, stream):
                    stats.payloads += 1
                    if bar is not None:
                        bar.advance(0, len(payload) + 1)  # type: ignore[attr-defined]
                    if lane is not None and fast_sink is not None and args.content_type is None:
                        encoded = lane.encode(payload)
                        if encoded is not None:
                            fast_sink.write_encoded(encoded)
                            for d in lane.seen:
                                stats.count(d.state, d.reason, d.unknown)
                            continue
                    try:
                        outcomes = normalize(
                            payload,
                            args.provider,
                            classifier=classifier,
                            content_type=args.content_type,
                        )
                    except DlrkitError as exc:
                        stats.malformed += 1
                        where = f"{'stdin' if path == '-' else path}:{number}"
                        if args.strict:
                            error(f"{where}: {exc} (stopped: --strict)")
                            return 2
                        if stats.malformed <= MAX_SHOWN_ERRORS:
                            error(f"{where}: skipped: {exc}")
                        continue
                    for o in outcomes:
                        sink.write(o)
                        stats.count(o.state.value, o.reason.value, o.unknown_codes)
    finally:
        if bar is not None:
            bar.stop()  # type: ignore[attr-defined]
        sink.close()
        if out_stream is not None and args.output:
            out_stream.close()
    _summary(stats)
    return 1 if stats.malformed else 0


def _open(path: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(exc.strerror or "cannot open", field=path) from exc


def _format_from(path: str | None) -> str | None:
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
    return None


def _summary(stats: Stats) -> None:
    err = sys.stderr
    err.write(
        f"{stats.payloads} payloads, {stats.outcomes} outcomes, {stats.malformed} skipped as malformed\n"
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
