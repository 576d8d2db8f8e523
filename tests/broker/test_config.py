"""The broker URL: every setting read from it, every mistake named."""

from __future__ import annotations

import pytest

from dlrkit.broker.config import BrokerConfig
from dlrkit.errors import InputError


def test_defaults() -> None:
    c = BrokerConfig.from_url("nats://127.0.0.1:4222")
    assert c.servers == ("nats://127.0.0.1:4222",)
    assert (c.stream, c.consumer, c.replicas, c.dedup, c.ack_wait) == (
        "DLRKIT",
        "workers",
        1,
        120.0,
        30.0,
    )
    assert c.reports_subjects == "DLRKIT.reports.>"
    assert c.subject("infobip") == "DLRKIT.reports.infobip"
    assert (c.dead_stream, c.dead_subjects, c.dead_subject("plivo")) == (
        "DLRKIT_DEAD",
        "DLRKIT.dead.>",
        "DLRKIT.dead.plivo",
    )


def test_every_parameter_and_a_cluster() -> None:
    c = BrokerConfig.from_url(
        "nats://a:4222, tls://b:4223?stream=DLR-eu_1&consumer=w1&replicas=3&dedup=600&ack_wait=45.5"
    )
    assert c.servers == ("nats://a:4222", "tls://b:4223")
    assert (c.stream, c.consumer, c.replicas, c.dedup, c.ack_wait) == (
        "DLR-eu_1",
        "w1",
        3,
        600,
        45.5,
    )


def test_credentials_are_hidden_in_messages() -> None:
    c = BrokerConfig.from_url("nats://dlr:s3cret@nats.internal:4222")
    assert c.servers == ("nats://dlr:s3cret@nats.internal:4222",)  # nats-py reads them there
    assert c.display() == "nats://dlr:***@nats.internal:4222"


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("", "broker_url", "empty"),
        ("amqp://rabbit:5672", "broker_url", "unsupported broker"),
        ("127.0.0.1:4222", "broker_url", "unsupported broker"),
        ("nats://:4222", "broker_url", "not a NATS server address"),
        ("nats://host:99999", "broker_url", "not a NATS server address"),
        ("nats://host:4222/path", "broker_url", "not a NATS server address"),
        ("nats://host?strem=x", "broker_url.strem", "unknown parameter 'strem'"),
        ("nats://host?stream=a.b", "broker_url.stream", "letters, digits"),
        ("nats://host?consumer=", "broker_url.consumer", "letters, digits"),
        ("nats://host?replicas=2.5", "broker_url.replicas", "whole number from 1 to 5"),
        ("nats://host?replicas=9", "broker_url.replicas", "whole number from 1 to 5"),
        ("nats://host?dedup=soon", "broker_url.dedup", "number of seconds"),
        ("nats://host?ack_wait=0", "broker_url.ack_wait", "from 1 to 3600"),
    ],
)
def test_mistakes_are_named(url: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        BrokerConfig.from_url(url)
    assert caught.value.field == field
    assert words in caught.value.problem
