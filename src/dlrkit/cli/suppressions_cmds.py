"""`dlrkit suppressions list|add|remove|check|export`: the suppression list of the store named
by --data-dir/--db (as `dlrkit keys`). Exit codes: 0 done (for `check`: suppressed), 1 not
found (for `check`: not suppressed), 2 bad input."""

from __future__ import annotations

import argparse
import csv
import sys
from contextlib import nullcontext
from typing import IO, Any

import msgspec

from dlrkit.cli.files import check_output, format_for
from dlrkit.cli.service_cmds import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    _print_json,
    _with_store,
    require_database,
    settings_from,
)
from dlrkit.errors import InputError
from dlrkit.store import Store, SuppressionEntry, SuppressionFilter

FIELDS = tuple(SuppressionEntry.__struct_fields__)


def _plain(entry: SuppressionEntry) -> dict[str, Any]:
    return {f: getattr(entry, f) for f in FIELDS}


def _describe(e: SuppressionEntry) -> str:
    until = "permanently" if e.permanent else f"until {e.expires_at}"
    lapsed = "" if e.active else " (lapsed)"
    cause = f", caused by {e.provider} message {e.message_id}" if e.message_id else ""
    note = f", note: {e.note}" if e.note else ""
    return (
        f"{e.recipient}: {e.reason} {until}{lapsed}, {e.source} since {e.created_at}{cause}{note}"
    )


def cmd_suppressions_list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        sys.stderr.write("dlrkit: --limit must be at least 1\n")
        return 2
    flt = SuppressionFilter(reason=args.reason, source=args.source, active_only=args.active)

    async def collect(store: Store) -> list[SuppressionEntry]:
        found: list[SuppressionEntry] = []
        cursor = None
        while len(found) < args.limit:
            page = await store.list_suppressions(
                flt, limit=min(1000, args.limit - len(found)), cursor=cursor
            )
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        return found

    entries = _with_store(args, collect)
    if args.json:
        _print_json([_plain(e) for e in entries])
        return EXIT_OK
    from dlrkit.cli.render import print_table

    rows = [
        [
            e.recipient,
            e.reason,
            "permanent" if e.permanent else str(e.expires_at),
            "yes" if e.active else "lapsed",
            e.source,
            e.created_at,
            f"{e.provider}:{e.message_id}" if e.message_id else (e.note or ""),
        ]
        for e in entries
    ]
    print_table(["recipient", "reason", "until", "active", "source", "since", "cause"], rows)
    return EXIT_OK


def cmd_suppressions_add(args: argparse.Namespace) -> int:
    expires = None
    if args.until:
        import datetime as dt

        from dlrkit.insights.period import iso, parse_bound

        until = parse_bound(args.until, "--until", end=True)
        if until <= dt.datetime.now(dt.UTC):
            raise InputError(
                f"must be in the future ({iso(until)} has passed); omit it to suppress for good",
                field="--until",
            )
        expires = iso(until)
    entry = _with_store(
        args,
        lambda store: store.add_suppression(
            args.recipient, args.reason, expires_at=expires, note=args.note
        ),
        create=True,
    )
    if args.json:
        _print_json(_plain(entry))
    else:
        sys.stdout.write(f"suppressed {_describe(entry)}\n")
    return EXIT_OK


def cmd_suppressions_remove(args: argparse.Namespace) -> int:
    removed = _with_store(args, lambda store: store.remove_suppression(args.recipient))
    if args.json:
        _print_json({"recipient": args.recipient, "removed": removed})
    elif removed:
        sys.stdout.write(f"lifted the suppression of {args.recipient}\n")
    else:
        sys.stderr.write(f"dlrkit: {args.recipient} is not on the suppression list\n")
    return EXIT_OK if removed else EXIT_NOT_FOUND


def cmd_suppressions_check(args: argparse.Namespace) -> int:
    entry = _with_store(args, lambda store: store.check_suppression(args.recipient))
    if args.json:
        _print_json(
            {
                "recipient": args.recipient,
                "suppressed": entry is not None,
                "suppression": _plain(entry) if entry else None,
            }
        )
    elif entry is not None:
        sys.stdout.write(f"suppressed: {_describe(entry)}\n")
    else:
        sys.stdout.write(f"not suppressed: {args.recipient}\n")
    return EXIT_OK if entry is not None else EXIT_NOT_FOUND


def _write_export(store: Store, out: IO[str], fmt: str) -> Any:
    async def run() -> int:
        count = 0
        writer = csv.DictWriter(out, FIELDS, lineterminator="\n") if fmt == "csv" else None
        if writer is not None:
            writer.writeheader()
        async for entry in store.export_suppressions():
            if writer is not None:
                writer.writerow(_plain(entry))
            else:
                out.write(msgspec.json.encode(entry).decode("utf-8") + "\n")
            count += 1
        return count

    return run()


def open_output(path: str | None) -> IO[str] | nullcontext[IO[str]]:
    """The file to write (a context manager), or standard output; InputError if unwritable."""
    if not path:
        return nullcontext(sys.stdout)
    try:
        return open(path, "w", encoding="utf-8", newline="")  # the caller closes it
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", field="--output") from None


def cmd_suppressions_export(args: argparse.Namespace) -> int:
    check_output(args.output)
    fmt = format_for(args.output, args.format, ("csv", "jsonl"), "csv")
    require_database(args, settings_from(args))  # before the output file is created
    with open_output(args.output) as out:
        count = _with_store(args, lambda store: _write_export(store, out, fmt))
    sys.stderr.write(f"exported {count} suppression{'s' if count != 1 else ''}\n")
    return EXIT_OK
