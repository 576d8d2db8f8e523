"""Beyond one machine: stateless ingest nodes hand reports to a broker, workers store them.

    dlrkit serve  --broker nats://127.0.0.1:4222 --db postgresql://...   # N ingest nodes
    dlrkit worker --broker nats://127.0.0.1:4222 --db postgresql://...   # M workers

Modules: `config` (`BrokerConfig`, everything read from the broker URL), `base` (the port:
`Broker`, `Envelope`, `BrokerError`, the message encoding), `jetstream` (the port on NATS
JetStream; the only module importing nats), `sink` (`BrokerSink`, the ingest service's `Sink`
in broker mode), `worker` (`Worker`: consume, store, acknowledge after commit, dead letters).
docs/scaling.md describes the topology.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from dlrkit.broker.base import Broker, BrokerError, Envelope
    from dlrkit.broker.config import BrokerConfig
    from dlrkit.broker.jetstream import JetStream
    from dlrkit.broker.sink import BrokerSink
    from dlrkit.broker.worker import Worker, WorkerStats

__all__ = [
    "Broker",
    "BrokerConfig",
    "BrokerError",
    "BrokerSink",
    "Envelope",
    "JetStream",
    "Worker",
    "WorkerStats",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "Broker": "dlrkit.broker.base",
        "BrokerError": "dlrkit.broker.base",
        "Envelope": "dlrkit.broker.base",
        "BrokerConfig": "dlrkit.broker.config",
        "JetStream": "dlrkit.broker.jetstream",
        "BrokerSink": "dlrkit.broker.sink",
        "Worker": "dlrkit.broker.worker",
        "WorkerStats": "dlrkit.broker.worker",
    },
)
