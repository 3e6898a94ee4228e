"""The seed's two Processor API examples (kstreams_nb/examples.py) as tested examples.

(a) routing by value with a TopicNameExtractor. Kafka reference: streams/.../kstream/internals/KStreamImplTest.java
    shouldSendDataToDynamicTopics (``context.topic() + "-" + key + "-" + value.charAt(0)``, records read back by
    two sub-topologies), TopologyTest.sinkShouldReturnTopicNameExtractorWithDynamicRouting, and
    TopologyTestDriverTest.shouldThrowNoSuchElementExceptionForUnusedOutputTopicWithDynamicRouting; describe()
    prints ``Sink: NAME (extractor class: ...)`` (InternalTopologyBuilder.Sink.toString), which kstreams_nb makes
    deterministic with the extractor's qualified name.
(b) per-key aggregates emitted at a fixed interval, on STREAM_TIME and on WALL_CLOCK_TIME, with the punctuation
    timings of TopologyTestDriverTest.shouldPunctuateOnStreamsTime / shouldPunctuateOnWallClockTime (first
    stream-time slot at 0, first wall-clock slot at now + interval, missed slots skipped).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kstreams_nb.errors import EmptyTopicError
from kstreams_nb.examples import interval_aggregate_topology, route_by_level, routing_topology
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Headers, Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

S = Serdes.string()


# ---------------------------------------------------------------------------------------------- (a) routing
def test_routing_sends_each_record_to_the_topic_named_by_its_value() -> None:
    """Values "info: ..", "error: .." go to logs-info / logs-error; unknown levels to logs-unknown; per-topic order,
    keys and timestamps kept."""
    with TopologyTestDriver(routing_topology()) as driver:
        logs = driver.create_input_topic("logs", S, S)
        lines = [
            ("host-1", "info: service started", 1),
            ("host-2", "error: disk full", 2),
            ("host-1", "INFO : heartbeat", 3),
            ("host-3", "warn: slow disk", 4),
            ("host-2", "Error: disk still full", 5),
            ("host-3", "no level at all", 6),
            ("host-3", "fatal: unknown level", 7),
        ]
        for key, value, ts in lines:
            logs.pipe_input(key, value, ts)

        def read(topic: str) -> list[tuple]:
            records = driver.create_output_topic(topic, S, S).read_records_to_list()
            return [(r.key, r.value, r.timestamp) for r in records]

        assert read("logs-info") == [("host-1", "info: service started", 1), ("host-1", "INFO : heartbeat", 3)]
        assert read("logs-error") == [("host-2", "error: disk full", 2), ("host-2", "Error: disk still full", 5)]
        assert read("logs-warn") == [("host-3", "warn: slow disk", 4)]
        assert read("logs-unknown") == [("host-3", "no level at all", 6), ("host-3", "fatal: unknown level", 7)]
        assert driver.produced_topic_names() == {"logs-info", "logs-error", "logs-warn", "logs-unknown"}
        # TopologyTestDriverTest.shouldThrowNoSuchElementExceptionForUnusedOutputTopicWithDynamicRouting
        unused = driver.create_output_topic("logs-debug", S, S)
        assert unused.is_empty()
        with pytest.raises(EmptyTopicError):
            unused.read_record()


def test_the_extractor_sees_the_record_context() -> None:
    """TopicNameExtractor.extract(key, value, RecordContext): the input topic, partition and offset of the record
    being routed, and the timestamp and headers of the record reaching the sink."""
    contexts: list[tuple] = []

    def capturing(key, value, record_context) -> str:
        contexts.append(
            (record_context.topic, record_context.partition, record_context.offset, record_context.timestamp,
             record_context.headers)
        )
        return route_by_level(key, value, record_context)

    topology = (
        Topology()
        .add_source("Source", "logs", key_deserializer=S, value_deserializer=S)
        .add_sink("Router", capturing, "Source", key_serializer=S, value_serializer=S)
    )
    with TopologyTestDriver(topology) as driver:
        logs = driver.create_input_topic("logs", S, S)
        logs.pipe_input("h", "info: a", 10, headers=[("trace", b"1")])
        logs.pipe_input("h", "error: b", 20)
        assert driver.create_output_topic("logs-info", S, S).read_record().headers == Headers([("trace", b"1")])
    assert contexts == [("logs", 0, 0, 10, Headers([("trace", b"1")])), ("logs", 0, 1, 20, Headers())]


def test_should_send_data_to_dynamic_topics() -> None:
    """KStreamImplTest.shouldSendDataToDynamicTopics with the Processor API: the extractor returns
    ``topic-key-firstCharOfValue``; "topic-a-v" and "topic-b-v" are read back by the topology."""
    processed: dict[str, list] = {"topic-a-v": [], "topic-b-v": []}

    class Capture(Processor):
        def __init__(self, topic: str) -> None:
            self.topic = topic

        def process(self, record: Record) -> None:
            processed[self.topic].append((record.key, record.value, record.timestamp))

    topology = (
        Topology()
        .add_source("source", "topic", key_deserializer=S, value_deserializer=S)
        .add_sink("sink", lambda k, v, ctx: f"{ctx.topic}-{k}-{v[0]}", "source", key_serializer=S, value_serializer=S)
        .add_source("source-a", "topic-a-v", key_deserializer=S, value_deserializer=S)
        .add_processor("capture-a", lambda: Capture("topic-a-v"), "source-a")
        .add_source("source-b", "topic-b-v", key_deserializer=S, value_deserializer=S)
        .add_processor("capture-b", lambda: Capture("topic-b-v"), "source-b")
    )
    with TopologyTestDriver(topology) as driver:
        inp = driver.create_input_topic("topic", S, S, start_timestamp_ms=0)
        inp.pipe_input("a", "v1")
        inp.pipe_input("a", "v2")
        inp.pipe_input("b", "v1")
    assert processed == {"topic-a-v": [("a", "v1", 0), ("a", "v2", 0)], "topic-b-v": [("b", "v1", 0)]}


def test_describe_names_the_extractor_deterministically() -> None:
    """InternalTopologyBuilder.Sink.toString: ``Sink: Router (extractor class: <extractor>)``; kstreams_nb prints the
    extractor's qualified name (never a memory address), so two builds describe identically."""
    qualified = f"{route_by_level.__module__}.{route_by_level.__qualname__}"
    expected = (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: Source (topics: [logs])\n"
        "      --> Router\n"
        f"    Sink: Router (extractor class: {qualified})\n"
        "      <-- Source\n"
        "\n"
    )
    first = str(routing_topology().describe())
    assert first == expected
    assert qualified == "kstreams_nb.examples.route_by_level"
    assert str(routing_topology().describe()) == first
    assert "0x" not in first


# ---------------------------------------------------------------------------------------------- (b) interval
def read_all(driver: TopologyTestDriver) -> list[tuple]:
    out = driver.create_output_topic("reading-aggregates", S, Serdes.json())
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def agg(count: int, total: int) -> dict:
    return {"count": count, "sum": total}


def test_interval_aggregates_on_stream_time() -> None:
    """Every 10 s of stream time: the first record (ts 1000) fires the slot at 0 at once; records up to 9999 wait;
    10000 fires; a jump to 35000 fires once (slots 20000 and 30000 are skipped), the next slot is 40000."""
    topology = interval_aggregate_topology(timedelta(seconds=10), PunctuationType.STREAM_TIME)
    with TopologyTestDriver(topology, {"application.id": "agg-app"}) as driver:
        readings = driver.create_input_topic("readings", S, Serdes.json())

        readings.pipe_input("s1", 5, 1_000)
        assert read_all(driver) == [("s1", agg(1, 5), 1_000)]

        readings.pipe_input("s2", 3, 4_000)
        readings.pipe_input("s1", 7, 9_999)
        assert read_all(driver) == []

        readings.pipe_input("s1", 1, 10_000)
        assert read_all(driver) == [("s1", agg(2, 8), 10_000), ("s2", agg(1, 3), 10_000)]

        readings.pipe_input("s2", 2, 35_000)
        assert read_all(driver) == [("s2", agg(1, 2), 35_000)]

        readings.pipe_input("s3", 4, 39_999)
        readings.pipe_input("s1", 100, 500)  # late: counted, stream time stays 39999
        assert read_all(driver) == []
        readings.pipe_input("s3", 1, 40_000)
        assert read_all(driver) == [("s1", agg(1, 100), 40_000), ("s3", agg(2, 5), 40_000)]

        assert list(driver.get_key_value_store("aggregates").all()) == []
        assert driver.produced_topic_names() == {"reading-aggregates", "agg-app-aggregates-changelog"}


def test_interval_aggregates_on_wall_clock_time() -> None:
    """Every 10 s of wall-clock time from 0: the first slot is 10000 whatever the record timestamps; an empty
    interval emits nothing; a 25 s jump fires once (at 45000) and the next slot is 50000."""
    topology = interval_aggregate_topology(timedelta(seconds=10), PunctuationType.WALL_CLOCK_TIME)
    with TopologyTestDriver(topology, initial_wall_clock_ms=0) as driver:
        readings = driver.create_input_topic("readings", S, Serdes.json())
        readings.pipe_input("s1", 5, 1_000)
        readings.pipe_input("s2", 3, 2_000)
        readings.pipe_input("s1", 7, 50_000)
        assert read_all(driver) == []

        driver.advance_wall_clock_time(9_999)
        assert read_all(driver) == []
        driver.advance_wall_clock_time(1)
        assert read_all(driver) == [("s1", agg(2, 12), 10_000), ("s2", agg(1, 3), 10_000)]

        driver.advance_wall_clock_time(10_000)
        assert read_all(driver) == []

        readings.pipe_input("s3", 4, 3)
        driver.advance_wall_clock_time(timedelta(seconds=25))
        assert read_all(driver) == [("s3", agg(1, 4), 45_000)]

        readings.pipe_input("s3", 6, 4)
        driver.advance_wall_clock_time(4_999)
        assert read_all(driver) == []
        driver.advance_wall_clock_time(1)
        assert read_all(driver) == [("s3", agg(1, 6), 50_000)]


@pytest.mark.parametrize("kind", [PunctuationType.STREAM_TIME, PunctuationType.WALL_CLOCK_TIME])
def test_interval_builders_are_independent(kind: PunctuationType) -> None:
    """Each driver gets fresh processors and stores from the same Topology (suppliers return NEW processors)."""
    topology = interval_aggregate_topology(timedelta(seconds=1), kind)
    for _ in range(2):
        with TopologyTestDriver(topology, initial_wall_clock_ms=0) as driver:
            driver.create_input_topic("readings", S, Serdes.json()).pipe_input("k", 2, 0)
            driver.advance_wall_clock_time(1_000)
            assert read_all(driver) == [("k", agg(1, 2), 0 if kind is PunctuationType.STREAM_TIME else 1_000)]
