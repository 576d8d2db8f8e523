"""The broker's settings, all read from its URL: where NATS is, and the names and limits of the
JetStream stream that carries reports between ingest nodes and workers.

    >>> c = BrokerConfig.from_url("nats://10.0.0.5:4222?stream=DLR&replicas=3")
    >>> c.servers, c.stream, c.subject("plivo"), c.dead_stream, c.replicas
    (('nats://10.0.0.5:4222',), 'DLR', 'DLR.reports.plivo', 'DLR_DEAD', 3)

Every ingest node and every worker of one deployment must be given the same URL: the stream,
its subjects and the durable consumer the workers share are named after it. Query parameters
(all optional):

| parameter | default | meaning |
| --- | --- | --- |
| `stream` | `DLRKIT` | the stream of reports (`<stream>.reports.<provider>`); dead letters go to `<stream>_DEAD` (`<stream>.dead.<provider>`) |
| `consumer` | `workers` | the durable pull consumer the workers share |
| `replicas` | `1` | JetStream replicas of both streams (3 in production, on a 3-node cluster) |
| `dedup` | `120` | seconds during which the broker drops a repeated report (same `Nats-Msg-Id`) |
| `ack_wait` | `30` | seconds a worker may hold a message before the broker delivers it again |

Several servers of a cluster: `nats://a:4222,nats://b:4222?stream=DLR`. Credentials go in the
URL as NATS reads them (`nats://user:password@host:4222`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from dlrkit.errors import InputError

FIELD = "broker_url"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SCHEMES = ("nats", "tls")
_PARAMETERS = ("stream", "consumer", "replicas", "dedup", "ack_wait")


@dataclass(frozen=True)
class BrokerConfig:
    servers: tuple[str, ...]
    stream: str = "DLRKIT"
    consumer: str = "workers"
    replicas: int = 1
    dedup: float = 120.0
    ack_wait: float = 30.0

    @property
    def reports_subjects(self) -> str:
        """The subjects of the reports stream (a wildcard over providers)."""
        return f"{self.stream}.reports.>"

    def subject(self, provider: str) -> str:
        """Where one provider's reports are published."""
        return f"{self.stream}.reports.{provider}"

    @property
    def dead_stream(self) -> str:
        return f"{self.stream}_DEAD"

    @property
    def dead_subjects(self) -> str:
        return f"{self.stream}.dead.>"

    def dead_subject(self, provider: str) -> str:
        return f"{self.stream}.dead.{provider}"

    def display(self) -> str:
        """The servers without credentials, for messages and logs."""
        return ",".join(_hide_password(s) for s in self.servers)

    @classmethod
    def from_url(cls, url: str) -> BrokerConfig:
        """Parse `nats://host:port[,nats://host2:port][?stream=...&...]`; an InputError names
        what is wrong."""
        if not isinstance(url, str) or not url.strip():
            raise InputError("the broker URL is empty; expected nats://host:port", field=FIELD)
        where, _, query = url.strip().partition("?")
        servers = tuple(s.strip() for s in where.split(",") if s.strip())
        if not servers:
            raise InputError(f"no server in the broker URL {url!r}", field=FIELD)
        for server in servers:
            parts = urlsplit(server)
            if parts.scheme not in _SCHEMES:
                raise InputError(
                    f"unsupported broker {server!r}: use nats://host:port (NATS JetStream)",
                    field=FIELD,
                )
            try:
                port_ok = parts.hostname is not None and (parts.port is None or parts.port > 0)
            except ValueError:
                port_ok = False
            if not port_ok or parts.path not in ("", "/"):
                raise InputError(f"not a NATS server address: {server!r}", field=FIELD)
        values: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key not in _PARAMETERS:
                raise InputError(
                    f"unknown parameter {key!r} in the broker URL; known: {', '.join(_PARAMETERS)}",
                    field=f"{FIELD}.{key}",
                )
            values[key] = value
        for key in ("stream", "consumer"):
            if key in values and not _NAME.match(values[key]):
                raise InputError(
                    f"{key} must be 1 to 64 letters, digits, '_' or '-', not {values[key]!r}",
                    field=f"{FIELD}.{key}",
                )
        return cls(
            servers=servers,
            stream=values.get("stream", cls.stream),
            consumer=values.get("consumer", cls.consumer),
            replicas=int(_number(values, "replicas", cls.replicas, 1, 5, whole=True)),
            dedup=_number(values, "dedup", cls.dedup, 1, 7 * 86400),
            ack_wait=_number(values, "ack_wait", cls.ack_wait, 1, 3600),
        )


def _number(
    values: dict[str, str], key: str, default: float, low: float, high: float, whole: bool = False
) -> float:
    if key not in values:
        return default
    text = values[key]
    try:
        number = int(text) if whole else float(text)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        kind = "a whole number" if whole else "a number of seconds"
        raise InputError(
            f"{key} must be {kind} from {low:g} to {high:g}, not {text!r}", field=f"{FIELD}.{key}"
        )
    return float(number)


def _hide_password(server: str) -> str:
    parts = urlsplit(server)
    if parts.password is None:
        return server
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
