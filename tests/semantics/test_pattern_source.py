"""Pattern sources and unknown topics under the TopologyTestDriver.

Reproduces, value for value:
- streams/test-utils/.../TopologyTestDriverTest.java: shouldProcessFromSourcesThatMatchMultiplePattern,
  shouldProcessFromSourceThatMatchPattern, shouldThrowPatternNotValidForTopicNameException (a plain topic name is
  not a regex), shouldThrowForUnknownTopic ("Unknown topic: unknownTopic", IllegalArgumentException → a
  TopologyError, which is a ValueError)
- streams/.../processor/internals/InternalTopologyBuilder.java: a pattern must match the WHOLE topic name
  (``Pattern.matcher(topic).matches()``).
"""

from __future__ import annotations

import re

import pytest

from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Headers, Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TestRecord, TopologyTestDriver
from kstreams_nb.topology import Topology

SOURCE_TOPIC_1 = "source-topic-1"
SINK_TOPIC_1 = "sink-topic-1"
HEADERS = Headers([("key", b"value")])
BYTES_CONFIG = {"default.key.serde": Serdes.bytes(), "default.value.serde": Serdes.bytes()}
TEST_RECORD_1 = TestRecord(b"", b"", 42, HEADERS)  # TopologyTestDriverTest.testRecord1


class MockProcessor(Processor):
    """TopologyTestDriverTest's MockProcessor: keeps (key, value, headers, timestamp, offset, topic), forwards."""

    def __init__(self) -> None:
        self.processed: list[tuple] = []

    def process(self, record: Record) -> None:
        md = self.context.record_metadata
        assert md is not None
        self.processed.append((record.key, record.value, record.headers, record.timestamp, md.offset, md.topic))
        self.context.forward(record)


def multiple_sources_pattern_topology(processors: list[MockProcessor], *patterns: re.Pattern[str]) -> Topology:
    """TopologyTestDriverTest.setupMultipleSourcesPatternTopology."""

    def supplier() -> MockProcessor:
        processors.append(MockProcessor())
        return processors[-1]

    topology = Topology()
    names = []
    for pattern in patterns:
        topology.add_source(f"{pattern.pattern}-source", pattern=pattern)
        topology.add_processor(f"{pattern.pattern}-processor", supplier, f"{pattern.pattern}-source")
        names.append(f"{pattern.pattern}-processor")
    return topology.add_sink("sink-topic", SINK_TOPIC_1, *names)


def test_should_process_from_sources_that_match_multiple_pattern() -> None:
    """TopologyTestDriverTest.shouldProcessFromSourcesThatMatchMultiplePattern: source-topic-\\d and
    source-topic-[A-Z]; each topic reaches only its pattern's processor, with the actual topic name and offset 0."""
    processors: list[MockProcessor] = []
    topology = multiple_sources_pattern_topology(
        processors, re.compile(r"source-topic-\d"), re.compile(r"source-topic-[A-Z]")
    )
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input(TEST_RECORD_1)
        assert [len(p.processed) for p in processors] == [1, 0]
        assert processors[0].processed[0] == (b"", b"", HEADERS, 42, 0, SOURCE_TOPIC_1)

        driver.create_input_topic("source-topic-Z").pipe_input(TestRecord(b"", b"", 43))
        assert [len(p.processed) for p in processors] == [1, 1]
        assert processors[1].processed[0] == (b"", b"", Headers(), 43, 0, "source-topic-Z")

        driver.create_input_topic("source-topic-7").pipe_input(b"k", b"v", 44)
        assert [len(p.processed) for p in processors] == [2, 1]
        assert processors[0].processed[1] == (b"k", b"v", Headers(), 44, 0, "source-topic-7")

        out = driver.create_output_topic(SINK_TOPIC_1).read_records_to_list()
        assert out == [TEST_RECORD_1, TestRecord(b"", b"", 43), TestRecord(b"k", b"v", 44)]


def test_should_process_from_source_that_match_pattern() -> None:
    """TopologyTestDriverTest.shouldProcessFromSourceThatMatchPattern: pattern source → sink."""
    topology = Topology().add_source("source", pattern=re.compile(r"source-topic-\d")).add_sink(
        "sink", SINK_TOPIC_1, "source"
    )
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input(TEST_RECORD_1)
        record = driver.create_output_topic(SINK_TOPIC_1).read_record()
        assert (record.key, record.value, record.timestamp, record.headers) == (b"", b"", 42, HEADERS)
        assert driver.produced_topic_names() == {SINK_TOPIC_1}


def test_a_pattern_given_as_a_string_is_compiled() -> None:
    """Topology.addSource(name, Pattern): ``pattern=`` also takes the regex text."""
    topology = Topology().add_source("source", pattern=r"orders-(eu|us)").add_sink("sink", "all-orders", "source")
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("orders-eu").pipe_input("a", 1, 1)
        driver.create_input_topic("orders-us").pipe_input("b", 2, 2)
        assert driver.create_output_topic("all-orders").read_key_values_to_list() == [("a", 1), ("b", 2)]


@pytest.mark.parametrize("topic", ["xsource-topic-1", "source-topic-12", "source-topic-"])
def test_a_pattern_must_match_the_whole_topic_name(topic: str) -> None:
    """Pattern.matcher(topic).matches() is a full match: neither a prefix nor a search."""
    topology = Topology().add_source("source", pattern=r"source-topic-\d").add_sink("sink", SINK_TOPIC_1, "source")
    with TopologyTestDriver(topology) as driver:
        with pytest.raises(TopologyError, match=rf"^Unknown topic: {re.escape(topic)}(;|$)"):
            driver.create_input_topic(topic).pipe_input("k", "v", 0)


def test_should_throw_pattern_not_valid_for_topic_name() -> None:
    """TopologyTestDriverTest.shouldThrowPatternNotValidForTopicNameException: a topic NAME that looks like a regex
    is only that name; piping to a topic it would match is rejected."""
    topology = Topology().add_source("source", r"source-topic-\d").add_sink("sink", SINK_TOPIC_1, "source")
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        with pytest.raises(TopologyError, match=f"^Unknown topic: {SOURCE_TOPIC_1}"):
            driver.create_input_topic(SOURCE_TOPIC_1).pipe_input(TEST_RECORD_1)
        assert driver.create_output_topic(SINK_TOPIC_1).is_empty()


def test_should_throw_for_unknown_topic() -> None:
    """TopologyTestDriverTest.shouldThrowForUnknownTopic: an empty topology; piping to "unknownTopic" throws
    IllegalArgumentException("Unknown topic: unknownTopic")."""
    with TopologyTestDriver(Topology()) as driver:
        with pytest.raises(ValueError, match=r"^Unknown topic: unknownTopic") as info:
            driver.create_input_topic("unknownTopic").pipe_input(None)
        assert isinstance(info.value, TopologyError)


def test_unknown_topic_error_names_the_topic_and_nothing_is_processed() -> None:
    """The driver refuses a topic no source reads, before processing anything; the topics it does read still work."""
    seen: list = []

    class Keep(Processor):
        def process(self, record: Record) -> None:
            seen.append(record.value)

    topology = Topology().add_source("source", "known").add_processor("keep", Keep, "source")
    with TopologyTestDriver(topology) as driver:
        with pytest.raises(TopologyError) as info:
            driver.create_input_topic("typo-topic").pipe_input("k", "v", 0)
        assert str(info.value).startswith("Unknown topic: typo-topic")
        assert seen == []
        driver.create_input_topic("known").pipe_input("k", "v", 0)
        assert seen == ["v"]
