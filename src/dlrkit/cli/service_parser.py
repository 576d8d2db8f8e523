"""Argument parsers of `dlrkit serve`, `dlrkit worker` and `dlrkit keys create|list|revoke`
(argparse only: this module is imported at CLI start, the handlers in `service_cmds` and
`worker_cmd` only when these commands run)."""

from __future__ import annotations

import argparse
from typing import Any


def port_number(text: str) -> int:
    """An argparse type: a TCP port to listen on, 1 to 65535. Port 0 (any free port) is refused
    because the banner, the logs and the URLs handed out would all name port 0."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, not {port}")
    return port


def _store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default ./data, or DLRKIT_DATA_DIR)"
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="database URL: sqlite:///FILE or postgresql://... (default: SQLite in the data directory)",
    )


def _policy_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="TOML file with a [policy] table: retries, attempts, automatic suppressions "
        "(DLRKIT_POLICY_FILE; default: the built-in policy, see docs/service.md)",
    )


def add_service_commands(sub: Any, handlers: Any) -> None:
    """Add `serve`, `worker` and `keys` to the CLI's subparsers; `handlers` resolves handler
    names lazily."""
    p = sub.add_parser(
        "serve",
        help="run the ingest service: webhooks in, outcomes out, queries, metrics",
        description="Serve, on one port: the providers' webhooks (POST /webhooks/{provider}); "
        "outcome queries (/outcomes, /messages/{id}); retry advice (/messages/{id}/advice); the "
        "suppression list (/suppressions, /suppressions/check); insights (/insights/delivery-"
        "rate, /insights/failures, /insights/latency, /insights/unknown-codes); code look-ups "
        "(/codes/...); the dashboard for people (/dashboard, log in with an API key from `dlrkit "
        "keys create`); /healthz, /metrics and the OpenAPI description at /docs. Outcome, "
        "suppression and insight queries need an API key. Provider accounts come from --accounts (a TOML file) or DLRKIT_* "
        "variables; see docs/service.md and docs/dashboard.md.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=port_number, default=8000, help="port to listen on (default 8000)"
    )
    _store_options(p)
    p.add_argument(
        "--accounts", metavar="FILE", help="TOML file of provider accounts (DLRKIT_ACCOUNTS_FILE)"
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="this service's URL as providers call it, when behind a proxy (Plivo signs it; "
        "DLRKIT_PUBLIC_URL)",
    )
    p.add_argument(
        "--max-body",
        type=int,
        metavar="BYTES",
        help="largest webhook body (DLRKIT_MAX_BODY; default 1 MiB)",
    )
    p.add_argument(
        "--broker",
        metavar="URL",
        help="hand reports to a broker (nats://...) instead of the store (DLRKIT_BROKER_URL)",
    )
    _policy_option(p)
    p.add_argument(
        "--insecure-webhooks",
        action="store_true",
        help="DEVELOPMENT ONLY: accept webhooks from providers with no configured account, unverified",
    )
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument(
        "--store-writer",
        choices=["process", "thread"],
        help="with SQLite, commit in a writer process of its own (default: HTTP on one core, "
        "SQLite on another) or in a thread of the serving process (DLRKIT_STORE_WRITER)",
    )
    p.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        default="info",
        help="default info",
    )
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=handlers.cmd_serve)

    p = sub.add_parser(
        "worker",
        help="store the reports ingest nodes handed to the broker (with serve --broker)",
        description="Consume the reports that `dlrkit serve --broker URL` nodes publish, write "
        "them to the store in batches (idempotently: a repeat changes nothing) and acknowledge "
        "each only once committed. Run as many as the load needs, on the same broker URL and "
        "database; see docs/scaling.md. Stops cleanly on SIGTERM or Ctrl-C.",
    )
    p.add_argument(
        "--broker",
        metavar="URL",
        help="nats://host:port[?stream=...] as given to serve --broker (DLRKIT_BROKER_URL)",
    )
    _store_options(p)
    _policy_option(p)
    p.add_argument(
        "--batch", type=int, default=256, help="reports per fetch and transaction (default 256)"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=2,
        metavar="N",
        help="batches being stored at once (default 2, as many as PostgreSQL writer threads)",
    )
    p.add_argument(
        "--max-deliveries",
        type=int,
        default=5,
        metavar="N",
        help="dead-letter a report that failed N deliveries (default 5)",
    )
    p.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        default="info",
        help="default info",
    )
    p.set_defaults(func=handlers.cmd_worker)

    keys = sub.add_parser("keys", help="create, list or revoke API keys of the query endpoints")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    p = ksub.add_parser(
        "create",
        help="create a key (its secret is printed once)",
        description="Create an API key (and the database, if there is none yet). The secret is "
        "printed once and only its hash is stored. With --quiet only the secret is printed, for "
        "a script: export KEY=$(dlrkit keys create ci --quiet).",
    )
    p.add_argument("name", help="what the key is for, e.g. 'support dashboard'")
    _store_options(p)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "--json", action="store_true", help="print JSON (id, name, prefix, created_at, secret)"
    )
    shown.add_argument(
        "--quiet", "-q", action="store_true", help="print only the secret, on one line"
    )
    p.set_defaults(func=handlers.cmd_keys_create)
    p = ksub.add_parser("list", help="list keys (never their secrets)")
    _store_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handlers.cmd_keys_list)
    p = ksub.add_parser("revoke", help="revoke a key by id")
    p.add_argument("id", help="the key's id, as `dlrkit keys list` shows it")
    _store_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=handlers.cmd_keys_revoke)
