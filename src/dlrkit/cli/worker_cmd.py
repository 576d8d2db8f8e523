"""`dlrkit worker`: consume the broker's reports into the store (the other half of `serve --broker`).

    dlrkit worker --broker nats://127.0.0.1:4222 --db postgresql://dlrkit@db/dlrkit --batch 256

Runs until SIGTERM or Ctrl-C, then finishes the batch in hand (stored and acknowledged) and
prints what it did as one JSON line on standard output. Exit codes: 0 stopped cleanly, 2 bad
usage or the broker or store unreachable at start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream
from dlrkit.broker.worker import Worker, WorkerStats
from dlrkit.cli.service_cmds import settings_from
from dlrkit.policy import PolicyConfig
from dlrkit.store import open_store

log = logging.getLogger("dlrkit.worker")
EXIT_OK = 0
EXIT_USAGE = 2
MAX_BATCH = 10_000


async def consume(
    config: BrokerConfig, db_url: str, args: argparse.Namespace, policy: PolicyConfig | None = None
) -> WorkerStats:
    """Open the store (suppressing by `policy`) and the broker, run a `Worker` until a stop
    signal, close both."""
    store = open_store(db_url, policy=policy)
    await store.open()
    broker = JetStream(config)
    try:
        await broker.open()
        worker = Worker(
            broker,
            store,
            batch=args.batch,
            max_deliveries=args.max_deliveries,
            concurrency=args.concurrency,
            hold_every=max(config.ack_wait / 3, 0.5),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info(
            "consuming stream %s (consumer %s) at %s, batches of %d",
            config.stream,
            config.consumer,
            config.display(),
            args.batch,
        )
        return await worker.run(stop)
    finally:
        await broker.close()
        await store.close()


def cmd_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(  # others' chatter (migrations, nats) only from warnings up
        level=max(logging.WARNING, logging.getLevelName(args.log_level.upper())),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("dlrkit").setLevel(args.log_level.upper())
    settings = settings_from(args)
    if not settings.broker_url:
        sys.stderr.write("dlrkit: worker needs --broker URL (or DLRKIT_BROKER_URL)\n")
        return EXIT_USAGE
    if not 1 <= args.batch <= MAX_BATCH or args.max_deliveries < 1 or args.concurrency < 1:
        sys.stderr.write(
            f"dlrkit: --batch must be from 1 to {MAX_BATCH}, --max-deliveries and "
            "--concurrency at least 1\n"
        )
        return EXIT_USAGE
    config = BrokerConfig.from_url(settings.broker_url)  # InputError: exit 2, field named
    stats = asyncio.run(consume(config, settings.db_url, args, settings.policy))
    sys.stdout.write(json.dumps(stats.as_dict()) + "\n")
    return EXIT_OK
