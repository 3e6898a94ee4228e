"""Bad configuration against the real broker fails within 30 s with an error that says what is wrong.

Unreachable bootstrap servers, a missing source topic, a co-partitioning mismatch, an unknown processing
guarantee and a misspelled scheme: each raises a KStreamsError (at construction when the config alone shows it,
else from ``start()``) and leaves nothing running.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from kstreams_nb import KafkaStreams, Topology
from kstreams_nb.errors import BrokerError, ConfigError, KStreamsError, TopologyError
from kstreams_nb.streams import State
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import new_topic

LIMIT = 30.0  # seconds a bad configuration may take to fail


@pytest.fixture
def clock() -> Iterator[None]:
    """Fail the test when its body took LIMIT seconds or more."""
    start = time.monotonic()
    yield
    took = time.monotonic() - start
    assert took < LIMIT, f"the failure took {took:.1f} s"


def _pipe(source: str, sink: str = "out") -> Topology:
    return Topology().add_source("src", source).add_sink("sink", sink, "src")


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fails_at_start(topology: Topology, config: dict[str, object], error: type[KStreamsError]) -> str:
    streams = KafkaStreams(topology, config)
    with pytest.raises(error) as failure:
        streams.start()
    assert streams.state() is State.CREATED  # nothing started, nothing to close
    assert streams not in KafkaStreams.running()
    return str(failure.value)


def test_unreachable_bootstrap_servers_fail_start_naming_the_address(clock: None) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    message = _fails_at_start(_pipe("in"), {"application.id": "unreachable", "bootstrap.servers": address},
                              BrokerError)
    assert address in message
    assert "bootstrap.servers" in message


def test_a_missing_source_topic_fails_start_naming_it(kafka_broker: LocalKafka, clock: None) -> None:
    missing = f"never-created-{time.monotonic_ns()}"
    config = {"application.id": f"missing-{time.monotonic_ns()}", "bootstrap.servers": kafka_broker.bootstrap_servers}
    message = _fails_at_start(_pipe(missing), config, TopologyError)
    assert missing in message


def test_a_co_partitioning_mismatch_fails_start_naming_both_topics(kafka_broker: LocalKafka, clock: None) -> None:
    left, right = new_topic(kafka_broker, 2), new_topic(kafka_broker, 3)
    t = Topology().add_source("l", left).add_source("r", right).add_sink("sink", "out", "l", "r")
    t.internal_builder.copartition([left, right])  # what a join of the two requires
    config = {"application.id": f"copart-{time.monotonic_ns()}", "bootstrap.servers": kafka_broker.bootstrap_servers}
    message = _fails_at_start(t, config, TopologyError)
    shown = sorted([f"{left} (2 partitions)", f"{right} (3 partitions)"])  # listed in topic-name order
    assert f"not co-partitioned: [{shown[0]}, {shown[1]}]" in message


def test_an_unknown_processing_guarantee_is_refused(kafka_broker: LocalKafka, clock: None) -> None:
    config = {"application.id": "guarantee", "bootstrap.servers": kafka_broker.bootstrap_servers,
              "processing.guarantee": "exactly_twice"}
    with pytest.raises(ConfigError) as failure:
        KafkaStreams(_pipe("in"), config)  # refused at construction: the config alone shows it
    message = str(failure.value)
    assert "processing.guarantee" in message and "exactly_twice" in message
    assert "exactly_once_v2" in message  # names an accepted value


@pytest.mark.parametrize("address", ["memry://x", "kafka://127.0.0.1:9092", "127.0.0.1:9092,memry://x"])
def test_a_misspelled_scheme_is_refused_at_construction(address: str, clock: None) -> None:
    with pytest.raises(ConfigError) as failure:
        KafkaStreams(_pipe("in"), {"application.id": "scheme", "bootstrap.servers": address})
    message = str(failure.value)
    assert "unknown scheme" in message
    assert "memory://NAME" in message and "host:port" in message  # the accepted forms
