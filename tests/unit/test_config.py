"""StreamsConfig: Kafka's warning for unknown keys, range checks at construction, defaults."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import ConfigError
from kstreams_nb.streams import KafkaStreams
from kstreams_nb.topology import Topology


def _warned(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "kstreams_nb.config" and r.levelno == logging.WARNING]


def test_an_unknown_key_is_logged_as_kafka_does(caplog: pytest.LogCaptureFixture) -> None:
    """AbstractConfig.logUnused: "The configuration '{}' was supplied but isn't a known config."."""
    with caplog.at_level(logging.WARNING):
        config = StreamsConfig({"application.id": "a", "comit.interval.ms": 10})
    assert _warned(caplog) == ["The configuration 'comit.interval.ms' was supplied but isn't a known config."]
    assert config["comit.interval.ms"] == 10  # kept, as Kafka passes originals on
    assert config["commit.interval.ms"] == 30_000


@pytest.mark.parametrize(
    "key",
    [
        "consumer.max.poll.records", "producer.linger.ms", "admin.retries", "main.consumer.fetch.min.bytes",
        "restore.consumer.client.id", "global.consumer.client.id", "topic.segment.bytes",
        "security.protocol", "sasl.mechanism", "sasl.username", "ssl.ca.location",
        "ssl.endpoint.identification.algorithm",
        "group.instance.id", "session.timeout.ms", "isolation.level", "acks", "linger.ms", "enable.idempotence",
        "partition.assignment.strategy", "member.metadata", "transactional.id", "request.timeout.ms",
        "statistics.interval.ms", "socket.keepalive.enable", "debug",
        "upgrade.from", "state.cleanup.delay.ms", "cache.max.bytes.buffering", "rocksdb.config.setter",
        "__emit.interval.ms.kstreams.windowed.aggregation__",
    ],
)
def test_client_streams_and_internal_keys_are_not_warned_about(key: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        StreamsConfig({"application.id": "a", key: "1"})
    assert _warned(caplog) == []


def test_overrides_warn_only_about_their_own_unknown_keys(caplog: pytest.LogCaptureFixture) -> None:
    config = StreamsConfig({"application.id": "a", "bogus.one": 1})
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        merged = config.with_overrides({"bogus.two": 2, "poll.ms": 5})
    assert _warned(caplog) == ["The configuration 'bogus.two' was supplied but isn't a known config."]
    assert (merged["bogus.one"], merged["bogus.two"], merged["poll.ms"]) == (1, 2, 5)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("commit.interval.ms", -1, "at least 0"),
        ("num.stream.threads", 0, "at least 1"),
        ("max.task.idle.ms", -2, "at least -1"),
        ("poll.ms", 0, "at least 1"),
        ("poll.ms", -5, "at least 1"),
        ("max.poll.records", 0, "at least 1"),
        ("buffered.records.per.partition", 0, "at least 1"),
        ("statestore.cache.max.bytes", -1, "at least 0"),
        ("task.timeout.ms", -1, "at least 0"),
        ("num.standby.replicas", -1, "at least 0"),
        ("replication.factor", 0, "at least -1"),
        ("processing.guarantee", "exactly_once", "'at_least_once', 'exactly_once_v2'"),
    ],
)
def test_a_value_out_of_range_raises_at_construction(key: str, value: Any, allowed: str) -> None:
    """Kafka's ConfigDef validators (Range.atLeast, ValidString) reject these in the StreamsConfig constructor."""
    with pytest.raises(ConfigError) as caught:
        StreamsConfig({"application.id": "a", key: value})
    message = str(caught.value)
    assert f"'{key}'" in message and repr(value) in message and allowed in message


def test_kafka_streams_validates_at_construction() -> None:
    topology = Topology().add_source("src", "in").add_sink("sink", "out", "src")
    with pytest.raises(ConfigError, match=r"'commit\.interval\.ms'"):
        KafkaStreams(topology, {"application.id": "a", "commit.interval.ms": -100})


@pytest.mark.parametrize(
    ("key", "value"),
    [("max.task.idle.ms", -1), ("commit.interval.ms", 0), ("replication.factor", -1), ("replication.factor", 3),
     ("num.stream.threads", 4), ("poll.ms", 1), ("max.task.idle.ms", 0)],
)
def test_boundary_values_and_sentinels_are_accepted(key: str, value: int) -> None:
    assert StreamsConfig({"application.id": "a", key: value})[key] == value


def test_ints_given_as_strings_are_converted_then_range_checked() -> None:
    assert StreamsConfig({"commit.interval.ms": "250"})["commit.interval.ms"] == 250
    with pytest.raises(ConfigError, match="-250"):
        StreamsConfig({"commit.interval.ms": "-250"})
