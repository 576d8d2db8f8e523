"""Argument parsers of `dlrkit suppressions list|add|remove|check|export` and `dlrkit report`
(argparse only: imported at CLI start; the handlers in `suppressions_cmds` and `report_cmd`
only when these commands run)."""

from __future__ import annotations

from typing import Any

from dlrkit.cli.service_parser import _store_options

REASONS = (
    "none",
    "answered_by_machine",
    "cancelled",
    "recipient_unreachable",
    "recipient_no_answer",
    "recipient_busy",
    "recipient_declined",
    "recipient_invalid",
    "recipient_blocked",
    "recipient_opted_out",
    "content_rejected",
    "sender_rejected",
    "account_problem",
    "request_invalid",
    "rate_limited",
    "network_error",
    "provider_error",
    "expired",
    "unknown",
)  # dlrkit.vocab.Reason, spelled out so that the CLI starts without importing it


def add_decide_commands(sub: Any, handlers: Any) -> None:
    """Add `suppressions` and `report` to the CLI's subparsers."""
    sup = sub.add_parser(
        "suppressions",
        help="list, add, remove, check or export suppressed recipients",
        description="The suppression list: recipients not to be written to, suppressed "
        "automatically at ingest (invalid, opted out, blocked, repeatedly unreachable) or by hand.",
    )
    ssub = sup.add_subparsers(dest="suppressions_command", metavar="ACTION", required=True)

    p = ssub.add_parser("list", help="list suppressions, newest first")
    p.add_argument("--reason", choices=REASONS, metavar="REASON", help="only this reason")
    p.add_argument("--source", choices=["auto", "manual"], help="only automatic or manual ones")
    p.add_argument("--active", action="store_true", help="only those in force now")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    _store_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handlers.cmd_suppressions_list)

    p = ssub.add_parser(
        "add",
        help="suppress a recipient by hand",
        description="Suppress a recipient (replacing any suppression it had): permanent unless "
        "--until is given.",
    )
    p.add_argument("recipient", help="a phone number (E.164 or as reported) or an address")
    p.add_argument(
        "--reason",
        choices=REASONS,
        metavar="REASON",
        default="recipient_opted_out",
        help="why (default recipient_opted_out)",
    )
    p.add_argument(
        "--until", metavar="WHEN", help="lapse then: a date (end of that day) or ISO time"
    )
    p.add_argument("--note", help="a note kept with it")
    _store_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handlers.cmd_suppressions_add)

    p = ssub.add_parser("remove", help="lift a recipient's suppression (exit 1 if none)")
    p.add_argument("recipient", help="the phone number (E.164 or as reported) or address")
    _store_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handlers.cmd_suppressions_remove)

    p = ssub.add_parser(
        "check",
        help="is a recipient suppressed? (exit 0 yes, 1 no)",
        description="Exit status 0 when the recipient is suppressed now, 1 when it may be written "
        "to, like grep: `dlrkit suppressions check +33612345678 || send ...`.",
    )
    p.add_argument("recipient", help="the phone number (E.164 or as reported) or address")
    _store_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handlers.cmd_suppressions_check)

    p = ssub.add_parser("export", help="every suppression, lapsed ones included, by recipient")
    p.add_argument(
        "--format",
        "-f",
        choices=["csv", "jsonl"],
        help="default: the one --output's name ends with (.csv, .jsonl), else csv",
    )
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    _store_options(p)
    p.set_defaults(func=handlers.cmd_suppressions_export)

    p = sub.add_parser(
        "report",
        help="write a delivery report (HTML or PDF) of a period",
        description="A self-contained report of the period's delivery and failures, with charts: "
        "one HTML file readable offline, or a PDF (printed by headless Chromium). Dates are UTC; "
        "a bare date in --to includes that whole day.",
    )
    p.add_argument(
        "--from", dest="since", required=True, metavar="WHEN", help="start: 2024-06-01 or ISO time"
    )
    p.add_argument(
        "--to",
        dest="until",
        required=True,
        metavar="WHEN",
        help="end: 2024-06-30 (inclusive) or ISO time (exclusive)",
    )
    p.add_argument("--output", "-o", required=True, help="report.html or report.pdf")
    p.add_argument(
        "--provider", choices=["infobip", "smspartner", "plivo", "smpp"], help="only this provider"
    )
    p.add_argument("--channel", help="only this channel (sms, voice, ...)")
    p.add_argument("--country", help="only this country (ISO 3166 alpha-2)")
    p.add_argument("--title", default="", help="the report's title")
    _store_options(p)
    p.set_defaults(func=handlers.cmd_report)
