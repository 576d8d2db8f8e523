"""The sandbox SMSC's command-line options, defined once for its two commands.

    python -m dlrkit.sandbox.smpp_serve --port 2775 --account esme1:secret ...
    dlrkit sandbox --smpp-port 2775 --smpp-account esme1:secret ...

`dlrkit sandbox` names every option `--smpp-...` (next to its HTTP options) and runs no SMSC
unless `--smpp-port` is given. Only argparse is imported here: the CLI builds its parsers at
start-up, before it knows which command runs. `smpp_serve.options_from_args` reads the parsed
options (the destinations are the same under both spellings).
"""

from __future__ import annotations

import argparse

DEFAULT_PORT = 2775  # the port IANA registers for SMPP
DEFAULT_ACCOUNT = "dlrkit:sandbox"  # smpp_smsc.DEFAULT_ACCOUNT, as system_id:password


def port(text: str) -> int:
    """An argparse type: 0 (a free port, which the SMSC reports) to 65535."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, not {number}")
    return number


def add_arguments(parser: argparse.ArgumentParser, *, sandbox: bool = False) -> None:
    """The SMSC's options; `sandbox=True` spells them as `dlrkit sandbox` does."""
    group = parser.add_argument_group("SMPP SMSC" + (" (with --smpp-port)" if sandbox else ""))

    def name(plain: str, prefixed: str) -> str:
        return prefixed if sandbox else plain

    if sandbox:
        port_help = (
            "also run the SMPP 3.4 SMSC imitation on this port (0 picks a free one; "
            f"{DEFAULT_PORT} is SMPP's); sends receipts by deliver_sm, see docs/sandbox.md"
        )
    else:
        port_help = f"SMPP port (default {DEFAULT_PORT}; 0 picks a free one)"
    group.add_argument(
        name("--port", "--smpp-port"),
        dest="smpp_port",
        metavar="PORT",
        type=port,
        default=None if sandbox else DEFAULT_PORT,
        help=port_help,
    )
    group.add_argument(
        name("--account", "--smpp-account"),
        dest="smpp_accounts",
        action="append",
        metavar="ID:PASSWORD[:TPS[:BINDS]]",
        help=f"an ESME account, repeatable (default {DEFAULT_ACCOUNT}, no limits)",
    )
    group.add_argument(
        name("--smsc-system-id", "--smpp-system-id"),
        dest="smsc_system_id",
        default="DLRKIT",
        metavar="ID",
        help="system_id the SMSC answers binds with (default DLRKIT)",
    )
    group.add_argument(
        name("--forward-url", "--smpp-forward-url"),
        dest="forward_url",
        metavar="URL",
        help="also POST each receipt here (e.g. http://127.0.0.1:8000/webhooks/smpp)",
    )
    group.add_argument(
        name("--forward-token", "--smpp-forward-token"),
        dest="forward_token",
        metavar="TOKEN",
        help="token for the forward header (default: $DLRKIT_SMPP_TOKEN)",
    )
    group.add_argument(
        name("--forward-header", "--smpp-forward-header"),
        dest="forward_header",
        default="X-DLR-Token",
        metavar="NAME",
        help="header carrying the token (default X-DLR-Token)",
    )
    group.add_argument(
        name("--forward-form", "--smpp-forward-form"),
        dest="forward_form",
        choices=("text", "json"),
        default="json",
        help="receipt text only, or deliver_sm fields and TLVs as JSON (default json)",
    )
