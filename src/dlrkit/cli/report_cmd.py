"""`dlrkit report --from ... --to ... -o report.html|report.pdf`: the delivery report of a period
from the store named by --data-dir/--db (see `dlrkit.insights.report`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlrkit.cli.service_cmds import EXIT_OK, _with_store
from dlrkit.errors import InputError
from dlrkit.insights.period import parse_bound, resolve
from dlrkit.outcome import Channel


def cmd_report(args: argparse.Namespace) -> int:
    from dlrkit.insights import report

    out = Path(args.output)
    kind = out.suffix.lower()
    if kind not in (".html", ".htm", ".pdf"):
        raise InputError("must end in .html or .pdf", field="--output")
    if not out.parent.is_dir():
        raise InputError(f"no directory {str(out.parent)!r}", field="--output")
    if args.channel and args.channel not in tuple(Channel):
        raise InputError(f"one of {', '.join(Channel)}", field="--channel")
    country = args.country.strip().upper() if args.country else None
    if country is not None and not (len(country) == 2 and country.isalpha() and country.isascii()):
        raise InputError("a two-letter ISO 3166 code", field="--country")
    period = resolve(
        parse_bound(args.since, "--from"),
        parse_bound(args.until, "--to", end=True),
        names=("--from", "--to"),
    )
    data = _with_store(
        args,
        lambda store: report.gather(
            store, period, provider=args.provider, channel=args.channel, country=country
        ),
    )
    html = report.render_html(data, title=args.title)
    if kind == ".pdf":
        report.write_pdf(html, out)
    else:
        out.write_text(html, encoding="utf-8")
    summary = data.rate.summary
    sys.stderr.write(
        f"wrote {out} ({out.stat().st_size:,} bytes): {period.label}, "
        f"{summary.total:,} messages, {summary.delivered:,} delivered\n"
    )
    return EXIT_OK
