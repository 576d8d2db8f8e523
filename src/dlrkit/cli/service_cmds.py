"""`dlrkit serve` (uvicorn, programmatically) and `dlrkit keys create|list|revoke`.

Options become DLRKIT_* settings over the process environment, so that `--workers N` (where
uvicorn imports the app in each worker process) and a single process see the same settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from dlrkit.cli.net import check_listening
from dlrkit.errors import InputError
from dlrkit.service.settings import Settings
from dlrkit.store import Store, open_store

T = TypeVar("T")
EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


# option attribute, its --option, the DLRKIT_* variable it sets
_OPTIONS = (
    ("data_dir", "--data-dir", "DLRKIT_DATA_DIR"),
    ("db", "--db", "DLRKIT_DB_URL"),
    ("accounts", "--accounts", "DLRKIT_ACCOUNTS_FILE"),
    ("public_url", "--public-url", "DLRKIT_PUBLIC_URL"),
    ("broker", "--broker", "DLRKIT_BROKER_URL"),
    ("policy", "--policy", "DLRKIT_POLICY_FILE"),
    ("store_writer", "--store-writer", "DLRKIT_STORE_WRITER"),
    ("max_body", "--max-body", "DLRKIT_MAX_BODY"),
)


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """The DLRKIT_* variables the command-line options set."""
    out: dict[str, str] = {}
    for attr, _, var in _OPTIONS:
        value = getattr(args, attr, None)
        if value or (attr == "max_body" and value is not None):
            out[var] = str(value)
    if getattr(args, "insecure_webhooks", False):
        out["DLRKIT_INSECURE_WEBHOOKS"] = "1"
    return out


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings of the environment and the options; a bad value given as an option is an
    `InputError` naming the option (`--accounts: cannot read ...`), not the variable it sets."""
    overrides = _overrides(args)
    try:
        return Settings.from_env({**os.environ, **overrides})
    except InputError as exc:
        field = exc.field or ""
        for _, option, var in _OPTIONS:
            if var in overrides and (field == var or field.startswith(var + ".")):
                raise InputError(exc.problem, field=option + field[len(var) :]) from None
        raise


def _sqlite_file(url: str) -> Path | None:
    """The database file of a sqlite:/// URL (None for other databases or no file)."""
    if not url.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(url).database
    except ArgumentError:
        return None  # opening the store names the problem
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def require_database(args: argparse.Namespace, settings: Settings) -> None:
    """A command that only reads (or changes what exists) must not create an empty database
    where a mistyped --data-dir points: an `InputError` naming the missing file."""
    path = _sqlite_file(settings.db_url)
    if path is None or path.exists():
        return
    if getattr(args, "db", None):
        option = "--db"
    elif getattr(args, "data_dir", None):
        option = "--data-dir"
    elif os.environ.get("DLRKIT_DB_URL"):
        option = "DLRKIT_DB_URL"
    elif os.environ.get("DLRKIT_DATA_DIR"):
        option = "DLRKIT_DATA_DIR"
    else:
        option = "--data-dir"  # the default, ./data
    raise InputError(
        f"no database at {path} (is the directory right? `dlrkit serve`, `dlrkit keys create` "
        "and `dlrkit suppressions add` create one)",
        field=option,
    )


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


@contextlib.contextmanager
def _naming_the_database(args: argparse.Namespace) -> Iterator[None]:
    """An error about the database URL names where it came from: --db, or DLRKIT_DB_URL."""
    try:
        yield
    except InputError as exc:
        if exc.field != "url":
            raise
        where = "--db" if getattr(args, "db", None) else "DLRKIT_DB_URL"
        raise InputError(exc.problem, field=where) from None


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
    settings = settings_from(args)  # bad settings fail here, clearly
    check_listening(args.host, args.port)
    with _naming_the_database(args):
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


def _with_store(
    args: argparse.Namespace, action: Callable[[Store], Awaitable[T]], *, create: bool = False
) -> T:
    """Run `action` on the store of --data-dir/--db; unless `create`, a SQLite database that
    does not exist yet is an error (see `require_database`), not a new empty one."""
    settings = settings_from(args)
    with _naming_the_database(args):
        if not create:
            require_database(args, settings)
        store = open_store(settings.db_url)

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
    key, secret = _with_store(args, lambda store: store.create_key(name), create=True)
    if args.quiet:
        sys.stdout.write(secret + "\n")
    elif args.json:
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
