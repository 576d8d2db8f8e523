"""`dlrkit serve` (uvicorn, programmatically) and `dlrkit keys create|list|revoke`.

Options become DLRKIT_* settings over the process environment, so that `--workers N` (where
uvicorn imports the app in each worker process) and a single process see the same settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from dlrkit.service.settings import Settings
from dlrkit.store import Store, open_store

T = TypeVar("T")
EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """The DLRKIT_* variables the command-line options set."""
    out: dict[str, str] = {}
    for attr, var in (
        ("data_dir", "DLRKIT_DATA_DIR"),
        ("db", "DLRKIT_DB_URL"),
        ("accounts", "DLRKIT_ACCOUNTS_FILE"),
        ("public_url", "DLRKIT_PUBLIC_URL"),
        ("broker", "DLRKIT_BROKER_URL"),
        ("policy", "DLRKIT_POLICY_FILE"),
        ("store_writer", "DLRKIT_STORE_WRITER"),
    ):
        value = getattr(args, attr, None)
        if value:
            out[var] = str(value)
    if getattr(args, "max_body", None) is not None:
        out["DLRKIT_MAX_BODY"] = str(args.max_body)
    if getattr(args, "insecure_webhooks", False):
        out["DLRKIT_INSECURE_WEBHOOKS"] = "1"
    return out


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env({**os.environ, **_overrides(args)})


def _warn(settings: Settings) -> None:
    if settings.insecure_webhooks:
        bar = "!" * 78
        sys.stderr.write(
            f"{bar}\n!! WARNING: --insecure-webhooks: webhooks of providers without a configured\n"
            "!! account are accepted WITHOUT ANY VERIFICATION. Anyone who can reach this port\n"
            f"!! can write delivery reports. Development only: never expose this server.\n{bar}\n"
        )
    elif not settings.accounts:
        sys.stderr.write(
            "dlrkit: no provider account is configured: every webhook will be refused (403). "
            "See docs/service.md (--accounts FILE or DLRKIT_* variables).\n"
        )


async def _preflight(settings: Settings) -> None:
    """Open the store once before serving: a bad URL or an unreachable database is a clear
    error here, and migrations run once, not in every worker at the same time."""
    from dlrkit.service.app import open_sink

    store = open_store(settings.db_url)
    sink = open_sink(settings, store)  # a bad broker URL fails here too
    await store.open()
    await store.close()
    if settings.broker_url:  # reach the broker once: a clear error now, not in every worker
        await sink.open()
        await sink.close()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dlrkit.service.app import create_app

    if args.workers < 1:
        sys.stderr.write("dlrkit: --workers must be at least 1\n")
        return EXIT_USAGE
    overrides = _overrides(args)
    settings = Settings.from_env({**os.environ, **overrides})  # bad settings fail here, clearly
    asyncio.run(_preflight(settings))
    _warn(settings)
    options = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": args.access_log,
        "server_header": False,
    }
    if args.workers > 1:
        os.environ.update(overrides)  # each worker process builds the app from the environment
        uvicorn.run(
            "dlrkit.service.app:app_from_environ", factory=True, workers=args.workers, **options
        )
    else:
        uvicorn.run(create_app(settings), **options)
    return EXIT_OK


def _with_store(args: argparse.Namespace, action: Callable[[Store], Awaitable[T]]) -> T:
    store = open_store(settings_from(args).db_url)

    async def run() -> T:
        await store.open()
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def cmd_keys_create(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name:
        sys.stderr.write("dlrkit: the key needs a name\n")
        return EXIT_USAGE
    key, secret = _with_store(args, lambda store: store.create_key(name))
    if args.json:
        _print_json(
            {
                "id": key.id,
                "name": key.name,
                "prefix": key.prefix,
                "created_at": key.created_at,
                "secret": secret,
            }
        )
    else:
        sys.stdout.write(
            f"created API key {key.id} ({key.name})\n\n    {secret}\n\n"
            "Store it now: it is shown only this once. Send it as 'Authorization: Bearer <key>' "
            "or 'X-API-Key: <key>'.\n"
        )
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = _with_store(args, lambda store: store.list_keys())
    if args.json:
        _print_json(
            [
                {
                    "id": k.id,
                    "name": k.name,
                    "prefix": k.prefix,
                    "created_at": k.created_at,
                    "revoked_at": k.revoked_at,
                }
                for k in keys
            ]
        )
        return EXIT_OK
    from dlrkit.cli.render import print_table

    rows = [[k.id, k.prefix + "...", k.created_at, k.revoked_at or "active", k.name] for k in keys]
    print_table(["id", "prefix", "created", "revoked", "name"], rows)
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    revoked = _with_store(args, lambda store: store.revoke_key(args.id))
    if args.json:
        _print_json({"id": args.id, "revoked": revoked})
    elif revoked:
        sys.stdout.write(f"revoked API key {args.id}\n")
    else:
        sys.stderr.write(f"dlrkit: no active API key with id {args.id!r}\n")
    return EXIT_OK if revoked else EXIT_NOT_FOUND
