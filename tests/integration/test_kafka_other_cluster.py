"""A sink that writes to another Kafka cluster (``cluster.<name>.*``, ``Produced(cluster=...)``): two real brokers,
the application reads and writes on the session's broker and archives every record on a second one."""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder
from kstreams_nb.serdes import Serdes
from kstreams_nb.streams import KafkaStreams, State
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import new_topic, produce, read_partitions

S = Serdes.string()
N = 2000

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def other_kafka() -> Iterator[LocalKafka]:
    """A second broker: the "other" cluster."""
    with tempfile.TemporaryDirectory() as data, LocalKafka(data_dir=data) as kafka:
        yield kafka


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_a_sink_writes_to_another_cluster(kafka_broker: LocalKafka, other_kafka: LocalKafka, guarantee: str,
                                          tmp_path: object) -> None:
    source, out = new_topic(kafka_broker, 3), new_topic(kafka_broker, 3)
    archive = new_topic(other_kafka, 2)
    produce(kafka_broker, source, [(f"k{i % 7}".encode(), f"v{i}".encode()) for i in range(N)])
    b = StreamsBuilder()
    upper = b.stream(source, Consumed.with_(S, S)).map_values(str.upper)
    upper.to(out, Produced.with_(S, S))
    upper.to(archive, Produced.with_(S, S).with_cluster("other"))
    app = f"other-cluster-{uuid.uuid4().hex[:8]}"
    streams = KafkaStreams(b.build(), {
        "application.id": app, "bootstrap.servers": kafka_broker.bootstrap_servers,
        "cluster.other.bootstrap.servers": other_kafka.bootstrap_servers, "processing.guarantee": guarantee,
        "commit.interval.ms": 100, "state.dir": str(tmp_path), "auto.offset.reset": "earliest",
    })
    try:
        streams.start()
        assert streams.wait_for_state(State.RUNNING, timeout=60), streams.state()
        assert streams.wait_until_processed(timeout=120)
    finally:
        streams.close(60)
    expected = Counter(f"V{i}" for i in range(N))
    main = [m.value().decode() for ms in read_partitions(kafka_broker, out, read_committed=True).values() for m in ms]
    assert Counter(main) == expected  # this cluster: every record exactly once
    other = [m.value().decode() for ms in read_partitions(other_kafka, archive).values() for m in ms]
    assert set(other) == set(expected) and all(Counter(other)[v] >= 1 for v in expected)  # at least once
