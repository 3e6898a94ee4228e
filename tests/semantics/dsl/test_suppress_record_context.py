"""Suppressed records are emitted in their own record context, as Kafka's KTableSuppressProcessor does.

Kafka buffers each update with its ``ProcessorRecordContext`` (``buffer.put(time, record, recordContext())``) and,
on eviction, forwards it under that context (``setRecordContext(toEmit.recordContext())``) with the context's
timestamp and headers. KTableSuppressProcessorTest.intermediateSuppressionShouldBufferAndEmitLater (the emitted
record has the buffered record's timestamp 0, not the trigger's 1) and suppressShouldNotDropTombstonesForTimeWindows
(the buffered headers) spell the record half; downstream processors and sinks also see the buffered record's topic,
partition and offset, which the Java oracle's outputs (suppress_oracle.txt) show and these tests check directly.
A buffer restored from Kafka's changelog emits its records with the context Kafka wrote.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import BufferConfig, Consumed, Grouped, Materialized, Produced, StreamsBuilder, Suppressed
from kstreams_nb.processor import Processor
from kstreams_nb.records import Headers, Record, RecordMetadata
from kstreams_nb.streams import KafkaStreams
from kstreams_nb.testing import TopologyTestDriver

from ._suppress_oracle import B, L, S, changelog_topic, load, program

_ids = itertools.count()
Seen = tuple[Any, int, Headers, RecordMetadata | None]


class Capture(Processor):
    """Forwards everything, noting each record's key, timestamp, headers and the metadata the context shows."""

    def __init__(self, seen: list[Seen]) -> None:
        self.seen = seen

    def process(self, record: Record) -> None:
        self.seen.append((record.key, record.timestamp, record.headers, self.context.record_metadata))
        self.context.forward(record)


def counts(seen: list[Seen], sink_contexts: list[tuple[Any, ...]], wait_ms: int) -> Any:
    builder = StreamsBuilder()

    def route(key: Any, value: Any, rc: Any) -> str:
        sink_contexts.append((key, rc.topic, rc.partition, rc.offset, rc.timestamp, rc.headers))
        return "output"

    (
        builder.stream("input", Consumed.with_(S, S))
        .group_by_key(Grouped.with_(S, S))
        .count(Materialized.with_(S, L))
        .suppress(Suppressed.until_time_limit(wait_ms, BufferConfig.unbounded()))
        .to_stream()
        .process(lambda: Capture(seen))
        .to(route, Produced.with_(S, L))
    )
    return builder.build()


def test_an_emitted_record_keeps_the_time_headers_and_position_of_its_update() -> None:
    seen: list[Seen] = []
    sinks: list[tuple[Any, ...]] = []
    with TopologyTestDriver(counts(seen, sinks, 1)) as driver:
        topic = driver.create_input_topic("input", S, S)
        topic.pipe_input("hey", "x", 0, Headers([("k", b"v")]))  # offset 0
        topic.pipe_input("hey", "y", 0)  # offset 1: the latest update of "hey", without headers
        topic.pipe_input("other", "z", 0, Headers([("o", b"1")]))  # offset 2
        assert seen == []
        topic.pipe_input("tick", "t", 1, Headers([("t", b"1")]))  # offset 3: stream time 1 evicts time 0
        output = driver.create_output_topic("output", S, L).read_records_to_list()
    assert seen == [
        ("hey", 0, Headers(), RecordMetadata("input", 0, 1)),
        ("other", 0, Headers([("o", b"1")]), RecordMetadata("input", 0, 2)),
    ]
    assert sinks == [("hey", "input", 0, 1, 0, Headers()), ("other", "input", 0, 2, 0, Headers([("o", b"1")]))]
    assert [(r.key, r.value, r.timestamp, r.headers) for r in output] == [
        ("hey", 2, 0, Headers()), ("other", 1, 0, Headers([("o", b"1")])),
    ]


def test_a_record_that_passes_straight_through_keeps_the_current_context() -> None:
    """With no wait, the update is buffered and evicted at once: its own context is the current one."""
    seen: list[Seen] = []
    with TopologyTestDriver(counts(seen, [], 0)) as driver:
        driver.create_input_topic("input", S, S).pipe_input("a", "x", 7, Headers([("h", b"1")]))
    assert seen == [("a", 7, Headers([("h", b"1")]), RecordMetadata("input", 0, 0))]


@pytest.fixture
def broker() -> Iterator[tuple[str, EmbeddedBroker]]:
    name = f"suppress-context-{next(_ids)}"
    yield name, EmbeddedBroker.named(name)
    EmbeddedBroker.drop(name)


def test_the_runtime_restores_a_buffer_kafka_wrote_and_emits_it_in_kafkas_context(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """The changelog Kafka wrote for the first three inputs of ``sup`` (a and b buffered, a re-buffered by the
    third input at offset 2) is restored by a new instance; the fourth input (c at 12) evicts a and b, which must
    come out exactly as Kafka's did: a with the third input's time 5, no headers and offset 2; b with time 1, its
    two headers and offset 1."""
    name, b = broker
    steps = load()["sup"]
    b.create_topic("input", 1)
    b.create_topic("output", 1)
    topic = changelog_topic("sup")
    b.create_topic(topic, 1, {"cleanup.policy": "compact"})
    for step in steps[:3]:
        for line in step.changelog:
            b.produce(topic, line.key, line.value, timestamp=0, partition=0, headers=line.headers)
    fourth = steps[3].input
    b.produce("input", fourth.key, fourth.value, timestamp=fourth.ts, partition=0, headers=fourth.headers)
    config = {"application.id": "app", "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 0}
    with KafkaStreams(program("sup"), config) as streams:
        streams.start()
        assert streams.wait_until_processed(timeout=20), (streams.state(), streams.exception)
    out = [(B.deserialize("o", r.key), B.deserialize("o", r.value), r.timestamp, r.headers) for r in b.read("output")]
    # the input topic holds only c (offset 0 here, 3 in Kafka's run): what a and b show comes from Kafka's bytes
    assert out == [(line.key, line.value, line.ts, line.headers) for line in steps[3].out]
    assert [line.value for line in steps[3].out] == [b"2@input/0/2", b"1@input/0/1"]
