"""`dlrkit explain`, `dlrkit translate` and `dlrkit codes list|search|export`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dlrkit.catalog import Catalog, Entry
from dlrkit.cli.files import check_output, format_for
from dlrkit.cli.render import Card, error, print_cards, print_table
from dlrkit.errors import UnknownCodeError
from dlrkit.explainer import Explanation, explain, record

STANDARD_LABELS = {"sip": "SIP", "q850": "Q.850", "map": "MAP", "sccp": "SCCP", "smpp": "SMPP"}
EXIT_OK = 0
EXIT_NOT_FOUND = 1


def _short(e: Entry) -> str:
    label = f"{e.provider} {e.kind.value} {e.code}"
    return f"{label} {e.name}" if e.name else label


def _json_out(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _card(x: Explanation, cat: Catalog) -> Card:
    e = x.entry
    card = Card(_short(e) + f"  [{e.channel}]")
    if x.resolved_from:
        card.add("asked", x.resolved_from)
    if e.group_id is not None or e.group_name:
        card.add("group", " ".join(str(p) for p in (e.group_id, e.group_name) if p is not None))
    if e.permanent is not None:
        card.add("permanent", "yes" if e.permanent else "no")
    card.add("meaning", e.description)
    card.add("do", e.action)
    outcome = f"reason {e.reason.value}, retry {e.retry.value}"
    if e.retry_after:
        outcome += f" (after {e.retry_after} s)"
    outcome += f", party {e.party.value}"
    if e.state is not None:
        outcome = f"state {e.state.value}, " + outcome
    card.add("outcome", outcome)
    for std in x.standards:
        label = STANDARD_LABELS.get(std.provider, std.provider.upper())
        card.add("standard", f"{label} {std.code} {std.name or ''} ({std.extra.get('spec', '')})")
    if e.standard is not None and e.standard.via == "numbering":
        card.add("derived", f"from the numbering: {e.standard.spec}")
    if e.migration:
        card.add("migration", _migration_text(x))
    if x.status_reason:
        card.add("status reason", ", ".join(_short(s) for s in x.status_reason))
    for c in e.conflicts:
        values = ", ".join(f"{src}: {v}" for src, v in c.values.items())
        card.add("CONFLICT", f"{c.field} differs between sources ({values}). {c.note}".strip())
    if e.quirk:
        card.add("quirk", e.quirk)
    if x.equivalents:
        card.add("equivalents", "\n".join(_short(q) for q in x.equivalents))
    if x.above:
        card.add("used by", "\n".join(_short(q) for q in x.above))
    if e.extra:
        card.add("details", "\n".join(f"{k}: {v}" for k, v in e.extra.items()))
    card.add("sources", ", ".join(f"{s.id} {s.title}" for s in cat.sources_of(e)))
    return card


def _migration_text(x: Explanation) -> str:
    e = x.entry
    role = e.migration
    if role == "migrated":
        return "legacy code, replaced on 2024-10-09 by " + ", ".join(
            _short(n) for n in x.replaced_by
        )
    if role == "no_target":
        return "legacy code, listed as migrated on 2024-10-09 but the migration names no new code"
    if role == "retired":
        return "legacy code, retired on 2024-10-09 with no replacement"
    if role == "unmentioned":
        return "legacy 5xxx code that the 2024-10-09 migration does not mention"
    if role == "target":
        return "new code (2024-10-09), replaces " + ", ".join(_short(n) for n in x.replaces)
    return "new code introduced on 2024-10-09 with no legacy predecessor"


def _not_found(exc: UnknownCodeError, *, as_json: bool = False) -> int:
    """Say a code is unknown (with the closest known ones): on stderr, and with --json also as
    a JSON object on stdout, so that a program reading it gets an answer, not empty input."""
    if as_json:
        _json_out(
            {
                "error": str(exc),
                "suggestions": [
                    {"provider": provider, "code": code, "name": name}
                    for provider, code, name in exc.suggestions
                ],
            }
        )
    error(str(exc))
    if exc.suggestions:
        sys.stderr.write("closest known codes:\n")
        for provider, code, name in exc.suggestions:
            sys.stderr.write(f"  {provider} {code} {name}".rstrip() + "\n")
    return EXIT_NOT_FOUND


def cmd_explain(args: argparse.Namespace) -> int:
    cat = Catalog.default()
    try:
        found = explain(args.provider, args.code, kind=args.kind, channel=args.channel, catalog=cat)
    except UnknownCodeError as exc:
        return _not_found(exc, as_json=args.json)
    if args.json:
        _json_out([x.to_dict(cat) for x in found])
    else:
        if len(found) > 1:
            sys.stdout.write(f"{len(found)} entries share this code:\n")
            sys.stdout.flush()
        print_cards([_card(x, cat) for x in found])
    return EXIT_OK


def cmd_translate(args: argparse.Namespace) -> int:
    cat = Catalog.default()
    try:
        found = cat.find(args.provider, args.code, "error", "voice")
    except UnknownCodeError as exc:
        elsewhere = cat.lookup(args.provider, args.code) or cat.by_name(args.provider, args.code)
        what = (
            f" (it is {', '.join(_short(e) for e in elsewhere)}: "
            f"dlrkit explain {args.provider} {args.code})"
            if elsewhere
            else ""
        )
        return _not_found(
            UnknownCodeError(
                "translate handles Infobip voice error codes, legacy 5xxx and new 10xxx: "
                f"{args.code!r} is not one{what}",
                exc.suggestions,
            ),
            as_json=args.json,
        )
    results = []
    for e in found:
        if not e.migration:
            error(f"{_short(e)} is not part of a code migration")
            return EXIT_NOT_FOUND
        results.append((e, cat.translate_entry(e)))
    if args.json:
        _json_out(
            [
                {
                    "provider": e.provider,
                    "code": e.code,
                    "name": e.name,
                    "migration": e.migration,
                    "direction": "new_to_legacy" if e.replaces is not None else "legacy_to_new",
                    "codes": [
                        {"code": t.code, "name": t.name, "group_id": t.group_id} for t in targets
                    ],
                }
                for e, targets in results
            ]
        )
        return EXIT_OK
    for e, targets in results:
        title = f"{_short(e)}: {e.migration}"
        if targets:
            arrow = "was" if e.replaces is not None else "now"
            print_table(
                ["code", "name", "group", "reason"],
                [
                    [
                        str(t.code),
                        t.name or "",
                        str(t.group_id if t.group_id is not None else ""),
                        t.reason.value,
                    ]
                    for t in targets
                ],
                title=f"{title} ({arrow}):",
            )
        else:
            sys.stdout.write(
                title
                + ": "
                + _migration_text(
                    Explanation(
                        entry=e,
                        standards=(),
                        equivalents=(),
                        replaced_by=(),
                        replaces=(),
                        status_reason=(),
                        above=(),
                    )
                )
                + "\n"
            )
    return EXIT_OK


def _filtered(args: argparse.Namespace, cat: Catalog) -> list[Entry]:
    for name in ("provider",):
        value = getattr(args, name, None)
        if value is not None and value not in {e.provider for e in cat.entries}:
            raise UnknownCodeError(f"unknown provider {value!r}")
    return cat.select(args.provider, args.kind, args.channel)


def cmd_codes_list(args: argparse.Namespace) -> int:
    cat = Catalog.default()
    try:
        entries = _filtered(args, cat)
    except UnknownCodeError as exc:
        return _not_found(exc)
    return _print_entries(entries, args, cat)


def _print_entries(entries: list[Entry], args: argparse.Namespace, cat: Catalog) -> int:
    if args.json:
        _json_out([record(e, cat) for e in entries])
        return EXIT_OK
    print_table(
        ["provider", "kind", "channel", "code", "name", "reason", "retry"],
        [
            [
                e.provider,
                e.kind.value,
                e.channel,
                str(e.code),
                e.name or "",
                e.reason.value,
                e.retry.value,
            ]
            for e in entries
        ],
    )
    return EXIT_OK


def cmd_codes_search(args: argparse.Namespace) -> int:
    cat = Catalog.default()
    found = cat.search(args.query, args.provider, args.kind, args.channel, limit=args.limit)
    if not found:
        error(f"nothing matches {args.query!r}")
        return EXIT_NOT_FOUND
    return _print_entries(found, args, cat)


def cmd_codes_export(args: argparse.Namespace) -> int:
    cat = Catalog.default()
    try:
        entries = _filtered(args, cat)
    except UnknownCodeError as exc:
        return _not_found(exc)
    records = [record(e, cat) for e in entries]
    fmt = format_for(args.output, args.format, ("json", "csv"), "json")
    check_output(args.output)
    out = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    try:
        if fmt == "json":
            import json

            out.write(json.dumps(records, indent=1, ensure_ascii=False).encode() + b"\n")
        else:
            out.write(_csv_bytes(records))
    finally:
        if args.output:
            out.close()
    return EXIT_OK


def _csv_bytes(records: list[dict[str, Any]]) -> bytes:
    import csv
    import io
    import json

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = list(records[0]) if records else []
    writer.writerow(keys)
    for r in records:
        row = []
        for k in keys:
            v = r[k]
            if v is None:
                row.append("")
            elif isinstance(v, bool):
                row.append("true" if v else "false")
            elif isinstance(v, list) and all(isinstance(x, int | str) for x in v):
                row.append(";".join(str(x) for x in v))
            elif isinstance(v, list | dict):
                row.append(json.dumps(v, ensure_ascii=False) if v else "")
            else:
                row.append(str(v))
        writer.writerow(row)
    return buf.getvalue().encode()
