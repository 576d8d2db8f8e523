"""The `dlrkit` command line: a thin layer over the library.

Dispatch uses argparse (standard library) so `dlrkit explain` starts in a few tens of
milliseconds; rich is imported only when printing to a terminal. Exit codes: 0 success,
1 not found (unknown code, nothing matched), 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from typing import Any

from dlrkit.catalog.registry import NAMESPACES

KINDS = ("status", "error", "hangup_cause", "api_error", "dlr_status")
CHANNELS = sorted({c for ns in NAMESPACES.values() for c in ns.channels})


def _filters(p: argparse.ArgumentParser, provider: bool = True) -> None:
    if provider:
        p.add_argument(
            "--provider", "-p", choices=list(NAMESPACES), help="only this provider or standard"
        )
    p.add_argument("--kind", "-k", choices=KINDS, help="only this kind of code")
    p.add_argument("--channel", "-c", choices=CHANNELS, metavar="CHANNEL", help="only this channel")


class _Lazy:
    """A command handler imported only when its command runs."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(self.module), self.name)(args))


class _Handlers:
    def __getattr__(self, name: str) -> _Lazy:
        module = (
            "dlrkit.cli.normalize_cmd" if name == "cmd_normalize" else "dlrkit.cli.catalog_cmds"
        )
        if name.startswith(("cmd_serve", "cmd_keys_")):
            module = "dlrkit.cli.service_cmds"
        if name.startswith("cmd_sandbox"):
            module = "dlrkit.cli.sandbox_cmds"
        if name.startswith("cmd_suppressions_"):
            module = "dlrkit.cli.suppressions_cmds"
        if name == "cmd_report":
            module = "dlrkit.cli.report_cmd"
        if name == "cmd_worker":
            module = "dlrkit.cli.worker_cmd"
        return _Lazy(module, name)


CATALOG_COMMANDS = frozenset({"explain", "translate", "codes"})


@functools.cache
def _width() -> int:
    """The help's width, as argparse reckons it (terminal columns less 2), without the import of
    shutil (and with it bz2 and lzma) that argparse makes for every parser it builds."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(columns - 2, 20)


class _Formatter(argparse.HelpFormatter):
    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ):
        super().__init__(prog, indent_increment, max_help_position, width or _width())


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help formatter knows the width (subcommands' parsers too)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """As argparse's, but a command's own parser (one with no subcommands) refuses the
        arguments it does not know itself, so that the error shows that command's usage
        (`dlrkit report: error: unrecognized arguments: --json`), not the top-level one."""
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; given a catalog command about to run, only that command is built
    (which keeps `dlrkit explain` quick), otherwise every command (for --help and errors)."""
    cc = _Handlers()

    def wanted(name: str) -> bool:
        return command not in CATALOG_COMMANDS or command == name

    parser = _Parser(
        prog="dlrkit",
        description="Explain provider codes and turn delivery reports into actionable outcomes.",
    )
    parser.add_argument("--version", action="version", version="dlrkit 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    if wanted("explain"):
        _add_explain(sub, cc)
    if wanted("translate"):
        _add_translate(sub, cc)
    if wanted("codes"):
        _add_codes(sub, cc)
    if command in CATALOG_COMMANDS:
        return parser
    _add_normalize(sub, cc)

    from dlrkit.cli.service_parser import add_service_commands

    add_service_commands(sub, cc)
    from dlrkit.cli.sandbox_cmds import add_sandbox_command

    add_sandbox_command(sub, cc)
    from dlrkit.cli.decide_parser import add_decide_commands

    add_decide_commands(sub, cc)
    return parser


def _add_explain(sub: Any, cc: _Handlers) -> None:
    p = sub.add_parser(
        "explain",
        help="explain a code of a provider or standard",
        description="Explain a status, error or hangup code: meaning, what to do, the standard under "
        "it, equivalents at other providers, migrations and conflicts between sources. "
        "Examples: dlrkit explain infobip 27; dlrkit explain sip 486; "
        "dlrkit explain smpp ESME_RINVDSTADR",
    )
    p.add_argument(
        "provider", choices=list(NAMESPACES), metavar="PROVIDER", help=", ".join(NAMESPACES)
    )
    p.add_argument("code", metavar="CODE_OR_NAME", help="a code (27, 0x0B, DELIVRD) or a name")
    _filters(p, provider=False)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cc.cmd_explain)


def _add_translate(sub: Any, cc: _Handlers) -> None:
    p = sub.add_parser(
        "translate",
        help="legacy Infobip voice code to new codes, and back",
        description="Translate Infobip voice error codes across the 2024-10-09 migration: "
        "a legacy 5xxx code to its 10xxx codes (dlrkit translate infobip 5004), or a "
        "10xxx code to the legacy codes it replaces (dlrkit translate infobip 10400).",
    )
    p.add_argument("provider", choices=["infobip"], metavar="PROVIDER", help="infobip")
    p.add_argument("code", metavar="CODE", help="a 5xxx or 10xxx voice error code, or its name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cc.cmd_translate)


def _add_codes(sub: Any, cc: _Handlers) -> None:
    codes = sub.add_parser("codes", help="list, search or export the catalog")
    csub = codes.add_subparsers(dest="codes_command", metavar="ACTION", required=True)
    p = csub.add_parser("list", help="list codes", description="List catalog entries.")
    _filters(p)
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cc.cmd_codes_list)
    p = csub.add_parser(
        "search",
        help="full-text search",
        description="Search codes, names, groups, descriptions and advice. Every word must match.",
    )
    p.add_argument("query", help="words to look for, e.g. 'absent subscriber'")
    _filters(p)
    p.add_argument("--limit", type=int, default=20, help="at most this many results (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cc.cmd_codes_search)
    p = csub.add_parser(
        "export",
        help="export the catalog as JSON or CSV",
        description="Export one record per documented row with the stable keys of the catalog "
        "vocabulary (provider, kind, channel, code, name, group_id, ... sources).",
    )
    _filters(p)
    p.add_argument(
        "--format",
        "-f",
        choices=["json", "csv"],
        help="default: the one --output's name ends with (.csv, .json), else json",
    )
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.set_defaults(func=cc.cmd_codes_export)


def _add_normalize(sub: Any, cc: _Handlers) -> None:
    p = sub.add_parser(
        "normalize",
        help="turn files of native reports into canonical outcomes",
        description="Normalize delivery reports, callbacks and error answers of any provider into "
        "one outcome per message. Each input line is one payload (a webhook body, a form body, an "
        "SMPP receipt); a .json file is one payload. Reads standard input when no file is given. "
        "Writes JSON Lines to standard output unless --to/-o say otherwise; prints a summary "
        "(outcomes by state and reason, codes not in the catalog) on standard error. A malformed "
        "payload is reported with its line number and skipped (exit code 1 at the end), or stops "
        "the run with --strict (exit code 2).",
    )
    p.add_argument(
        "files", nargs="*", metavar="FILE", help="input files ('-' or none: standard input)"
    )
    p.add_argument(
        "--provider",
        "-p",
        choices=["infobip", "smspartner", "plivo", "smpp"],
        help="whose reports these are (default: detected from each payload's shape)",
    )
    p.add_argument(
        "--to",
        "-t",
        choices=["jsonl", "csv", "parquet"],
        help="output format (default: from the -o suffix, else jsonl)",
    )
    p.add_argument("--output", "-o", help="output file (required for parquet)")
    p.add_argument(
        "--rules",
        "-r",
        metavar="FILE",
        help="a TOML file of [[rule]] tables overriding reason/retry/party (see docs/rules.md)",
    )
    p.add_argument(
        "--content-type",
        help="content type of every payload (e.g. application/x-www-form-urlencoded)",
    )
    p.add_argument("--strict", action="store_true", help="stop at the first malformed payload")
    p.add_argument(
        "--no-fast-lane",
        action="store_true",
        help="send Infobip SMS reports through the general path too (same output, slower)",
    )
    p.set_defaults(func=cc.cmd_normalize)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    from dlrkit.errors import DlrkitError

    try:
        return int(args.func(args))
    except DlrkitError as exc:
        from dlrkit.cli.render import error

        error(str(exc))
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
