"""Forwarding: children in connection order, depth first, to one named child; timestamps, headers and serdes
carried through; FixedKeyProcessor keeps keys.

Reproduces, value for value:
- streams/test-utils/.../TopologyTestDriverTest.java: shouldProcessRecordForTopic, shouldSetRecordMetadata,
  shouldSendRecordViaCorrectSourceTopic, shouldUseSourceSpecificDeserializers, shouldUseSinkSpecificSerializers,
  shouldForwardRecordsFromSubtopologyToSubtopology, shouldEnqueueLaterOutputsAfterEarlierOnes (To.child →
  ``forward(record, child_name)``)
- streams/.../processor/internals/ProcessorContextImpl.java ``forward``: every child in the order they were
  connected, or only ``childName`` ("Unknown downstream node: <name> either does not exist or is not connected to
  this processor.")
- streams/.../processor/internals/SinkNode.java: the output record carries the forwarded record's timestamp and
  headers.
- streams/.../processor/api/FixedKeyRecord.java / FixedKeyProcessor.java: no way to change the key.
"""

from __future__ import annotations

import pytest

from kstreams_nb.errors import KStreamsError
from kstreams_nb.processor import FixedKeyProcessor, FixedKeyRecord, Processor
from kstreams_nb.records import Headers, Record, RecordMetadata
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TestRecord, TopologyTestDriver
from kstreams_nb.topology import Topology

SOURCE_TOPIC_1 = "source-topic-1"
SOURCE_TOPIC_2 = "source-topic-2"
SINK_TOPIC_1 = "sink-topic-1"
SINK_TOPIC_2 = "sink-topic-2"
HEADERS = Headers([("key", b"value")])
BYTES_CONFIG = {"default.key.serde": Serdes.bytes(), "default.value.serde": Serdes.bytes()}


class Recorder(Processor):
    """Appends ``(name, key, value, timestamp)`` to a shared log, then forwards."""

    def __init__(self, name: str, log: list) -> None:
        self.name = name
        self.log = log

    def process(self, record: Record) -> None:
        self.log.append((self.name, record.key, record.value, record.timestamp))
        self.context.forward(record)


class MockProcessor(Processor):
    """TopologyTestDriverTest's MockProcessor: keeps (key, value, headers, timestamp, offset, topic), forwards."""

    def __init__(self) -> None:
        self.processed: list[tuple] = []

    def process(self, record: Record) -> None:
        md = self.context.record_metadata
        assert md is not None
        self.processed.append((record.key, record.value, record.headers, record.timestamp, md.offset, md.topic))
        self.context.forward(record)


# ---------------------------------------------------------------------------------------------- children
def test_forward_goes_to_every_child_in_connection_order_depth_first() -> None:
    """ProcessorContextImpl.forward: children in the order they were added (not by name), each child's subtree
    completes before the next child runs."""
    log: list = []
    topology = (
        Topology()
        .add_source("source", "in")
        .add_processor("parent", lambda: Recorder("parent", log), "source")
        .add_processor("zeta", lambda: Recorder("zeta", log), "parent")
        .add_processor("alpha", lambda: Recorder("alpha", log), "parent")
        .add_processor("zeta-child", lambda: Recorder("zeta-child", log), "zeta")
        .add_processor("mid", lambda: Recorder("mid", log), "parent")
    )
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("k1", "v1", 7)
        topic.pipe_input("k2", "v2", 8)
    assert log == [
        ("parent", "k1", "v1", 7),
        ("zeta", "k1", "v1", 7),
        ("zeta-child", "k1", "v1", 7),
        ("alpha", "k1", "v1", 7),
        ("mid", "k1", "v1", 7),
        ("parent", "k2", "v2", 8),
        ("zeta", "k2", "v2", 8),
        ("zeta-child", "k2", "v2", 8),
        ("alpha", "k2", "v2", 8),
        ("mid", "k2", "v2", 8),
    ]


def test_a_node_with_two_parents_gets_records_from_both() -> None:
    """TopologyTestDriverTest.setupMultipleSourceTopology: one sink under two processors."""
    topology = (
        Topology()
        .add_source("s1", "t1")
        .add_source("s2", "t2")
        .add_processor("p1", lambda: Recorder("p1", []), "s1")
        .add_processor("p2", lambda: Recorder("p2", []), "s2")
        .add_sink("sink", "out", "p1", "p2")
    )
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("t1").pipe_input("a", 1, 1)
        driver.create_input_topic("t2").pipe_input("b", 2, 2)
        driver.create_input_topic("t1").pipe_input("c", 3, 3)
        assert driver.create_output_topic("out").read_key_values_to_list() == [("a", 1), ("b", 2), ("c", 3)]


def test_should_enqueue_later_outputs_after_earlier_ones() -> None:
    """TopologyTestDriverTest.shouldEnqueueLaterOutputsAfterEarlierOnes: forward to one named child
    ("recursiveSink", which writes back to the input topic) and then to "sink"; the driver outputs the echo first
    and the recursed record after it."""

    class RecursiveProcessor(Processor):
        def process(self, record: Record) -> None:
            if not record.value.startswith("recurse-"):
                self.context.forward(record.with_value("recurse-" + record.value), "recursiveSink")
            self.context.forward(record, "sink")

    s = Serdes.string()
    topology = (
        Topology()
        .add_source("source", "input", key_deserializer=s, value_deserializer=s)
        .add_processor("recursiveProcessor", RecursiveProcessor, "source")
        .add_sink("recursiveSink", "input", "recursiveProcessor", key_serializer=s, value_serializer=s)
        .add_sink("sink", "output", "recursiveProcessor", key_serializer=s, value_serializer=s)
    )
    with TopologyTestDriver(topology, {"application.id": "dummy"}) as driver:
        inp = driver.create_input_topic("input", s, s)
        out = driver.create_output_topic("output", s, s)
        inp.pipe_input("B", "beta")
        assert out.read_key_values_to_list() == [("B", "beta"), ("B", "recurse-beta")]


def test_forward_to_a_named_child_only() -> None:
    """ProcessorContextImpl.forward(record, childName): only that child (and its subtree) gets the record."""
    log: list = []

    class Splitter(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record, "evens" if record.value % 2 == 0 else "odds")
            self.context.forward(record.with_value(-record.value))

    topology = (
        Topology()
        .add_source("source", "in")
        .add_processor("splitter", Splitter, "source")
        .add_processor("odds", lambda: Recorder("odds", log), "splitter")
        .add_processor("evens", lambda: Recorder("evens", log), "splitter")
    )
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("in")
        for i, v in enumerate([1, 2, 3]):
            topic.pipe_input("k", v, i)
    assert log == [
        ("odds", "k", 1, 0),
        ("odds", "k", -1, 0),
        ("evens", "k", -1, 0),
        ("evens", "k", 2, 1),
        ("odds", "k", -2, 1),
        ("evens", "k", -2, 1),
        ("odds", "k", 3, 2),
        ("odds", "k", -3, 2),
        ("evens", "k", -3, 2),
    ]


@pytest.mark.parametrize("child", ["nope", "grandchild"])
def test_forward_to_an_unknown_child_raises(child: str) -> None:
    """ProcessorContextImpl.forward: "Unknown downstream node: <name> either does not exist or is not connected to
    this processor." (a grandchild is not a child)."""

    class ForwardsToChild(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record, child)

    topology = (
        Topology()
        .add_source("source", "in")
        .add_processor("parent", ForwardsToChild, "source")
        .add_processor("child", lambda: Recorder("child", []), "parent")
        .add_processor("grandchild", lambda: Recorder("grandchild", []), "child")
    )
    with TopologyTestDriver(topology) as driver:
        with pytest.raises(KStreamsError) as info:
            driver.create_input_topic("in").pipe_input("k", "v", 0)
    messages = []
    err: BaseException | None = info.value
    while err is not None:
        messages.append(str(err))
        err = err.__cause__
    text = "\n".join(messages)
    assert f"Unknown downstream node: {child} either does not exist or is not connected to this processor" in text
    assert "parent" in text


# ---------------------------------------------------------------------------------------------- record metadata
def test_should_set_record_metadata() -> None:
    """TopologyTestDriverTest.shouldSetRecordMetadata: the processor sees key, value, headers, timestamp 42,
    offset 0 and the topic."""
    processors: list[MockProcessor] = []

    def supplier() -> MockProcessor:
        processors.append(MockProcessor())
        return processors[-1]

    topology = Topology().add_source("source", SOURCE_TOPIC_1).add_processor("processor", supplier, "source")
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input(TestRecord(b"", b"", 42, HEADERS))
    assert processors[0].processed == [(b"", b"", HEADERS, 42, 0, SOURCE_TOPIC_1)]


def test_should_send_record_via_correct_source_topic() -> None:
    """TopologyTestDriverTest.shouldSendRecordViaCorrectSourceTopic: each topic's processor only; offsets count per
    topic."""
    processors: list[MockProcessor] = []

    def supplier() -> MockProcessor:
        processors.append(MockProcessor())
        return processors[-1]

    topology = Topology()
    for topic in (SOURCE_TOPIC_1, SOURCE_TOPIC_2):
        topology.add_source(f"{topic}-source", topic).add_processor(f"{topic}-processor", supplier, f"{topic}-source")
    topology.add_sink("sink-topic", SINK_TOPIC_1, f"{SOURCE_TOPIC_1}-processor", f"{SOURCE_TOPIC_2}-processor")
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        in1 = driver.create_input_topic(SOURCE_TOPIC_1)
        in2 = driver.create_input_topic(SOURCE_TOPIC_2)
        in1.pipe_input(TestRecord(b"", b"", 42, HEADERS))
        assert [len(p.processed) for p in processors] == [1, 0]
        assert processors[0].processed[0] == (b"", b"", HEADERS, 42, 0, SOURCE_TOPIC_1)
        in2.pipe_input(TestRecord(b"", b"", 43))
        assert [len(p.processed) for p in processors] == [1, 1]
        assert processors[1].processed[0] == (b"", b"", Headers(), 43, 0, SOURCE_TOPIC_2)
        in1.pipe_input(b"k", b"v", 44)
        assert processors[0].processed[1] == (b"k", b"v", Headers(), 44, 1, SOURCE_TOPIC_1)


def test_should_process_record_for_topic() -> None:
    """TopologyTestDriverTest.shouldProcessRecordForTopic: source → sink copies key, value, timestamp, headers."""
    topology = Topology().add_source("source", SOURCE_TOPIC_1).add_sink("sink", SINK_TOPIC_1, "source")
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input(TestRecord(b"", b"", 42, HEADERS))
        assert driver.create_output_topic(SINK_TOPIC_1).read_record() == TestRecord(b"", b"", 42, HEADERS)
        assert driver.produced_topic_names() == {SINK_TOPIC_1}


def test_should_forward_records_from_subtopology_to_subtopology() -> None:
    """TopologyTestDriverTest.shouldForwardRecordsFromSubtopologyToSubtopology: sink-topic-1 is read back by the
    second sub-topology and copied to sink-topic-2."""
    topology = (
        Topology()
        .add_source("source-1", SOURCE_TOPIC_1)
        .add_sink("sink-1", SINK_TOPIC_1, "source-1")
        .add_source("source-2", SINK_TOPIC_1)
        .add_sink("sink-2", SINK_TOPIC_2, "source-2")
    )
    with TopologyTestDriver(topology, BYTES_CONFIG) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input(TestRecord(b"", b"", 42, HEADERS))
        assert driver.create_output_topic(SINK_TOPIC_1).read_records_to_list() == [TestRecord(b"", b"", 42, HEADERS)]
        assert driver.create_output_topic(SINK_TOPIC_2).read_records_to_list() == [TestRecord(b"", b"", 42, HEADERS)]


# ---------------------------------------------------------------------------------------------- timestamps, headers
def test_timestamps_are_carried_through_and_with_timestamp_changes_them() -> None:
    """SinkNode.process writes the record's own timestamp: input ts → output ts unless a processor changes it with
    Record.withTimestamp."""

    class Shift(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record, "same")
            self.context.forward(record.with_timestamp(record.timestamp + 100), "shifted")

    topology = (
        Topology()
        .add_source("source", "in")
        .add_processor("shift", Shift, "source")
        .add_sink("same", "out-same", "shift")
        .add_sink("shifted", "out-shifted", "shift")
    )
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("a", 1, 5)
        topic.pipe_input("b", 2, 3)
        topic.pipe_input("c", 3, 0)
        same = [(r.key, r.value, r.timestamp) for r in driver.create_output_topic("out-same").read_records_to_list()]
        shifted = [
            (r.key, r.value, r.timestamp) for r in driver.create_output_topic("out-shifted").read_records_to_list()
        ]
    assert same == [("a", 1, 5), ("b", 2, 3), ("c", 3, 0)]
    assert shifted == [("a", 1, 105), ("b", 2, 103), ("c", 3, 100)]


def test_input_topic_times_auto_advance() -> None:
    """TestInputTopic (start timestamp, auto-advance): records piped without a timestamp get the topic's time."""
    topology = Topology().add_source("source", "in").add_sink("sink", "out", "source")
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("in", start_timestamp_ms=1_000, auto_advance_ms=10)
        topic.pipe_value_list(["x", "y"])
        topic.pipe_key_value_list([("k", "z")])
        topic.pipe_input("k", "explicit", 5)
        topic.pipe_input("k", "w")
        out = driver.create_output_topic("out").read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in out] == [
        (None, "x", 1_000),
        (None, "y", 1_010),
        ("k", "z", 1_020),
        ("k", "explicit", 5),
        ("k", "w", 1_030),
    ]


def test_headers_are_carried_through_and_can_be_changed() -> None:
    """TopologyTestDriverTest.shouldProcessRecordForTopic (headers key=value reach the sink); a processor adds a
    header with Record.withHeaders and the sink writes both."""

    class AddHeader(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record.with_headers(record.headers.add("seen-by", b"add-header")))

    topology = (
        Topology().add_source("source", "in").add_processor("add", AddHeader, "source").add_sink("sink", "out", "add")
    )
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("k", "v", 1, headers=HEADERS)
        topic.pipe_input("k", "w", 2)
        topic.pipe_input("k", "x", 3, headers=[("a", b"1"), ("a", None)])
        records = driver.create_output_topic("out").read_records_to_list()
    assert [r.headers for r in records] == [
        Headers([("key", b"value"), ("seen-by", b"add-header")]),
        Headers([("seen-by", b"add-header")]),
        Headers([("a", b"1"), ("a", None), ("seen-by", b"add-header")]),
    ]
    assert [(r.value, r.timestamp) for r in records] == [("v", 1), ("w", 2), ("x", 3)]


# ---------------------------------------------------------------------------------------------- serdes per node
def test_should_use_source_specific_deserializers() -> None:
    """TopologyTestDriverTest.shouldUseSourceSpecificDeserializers: source-1 reads Long/String, source-2 reads
    Integer/Double; one processor and one sink for both. (The Java sink picks a serializer by runtime type,
    which Python ints cannot tell apart; here the sink writes JSON, which keeps each source's decoded values.)"""
    topology = (
        Topology()
        .add_source("source-1", SOURCE_TOPIC_1, key_deserializer=Serdes.long(), value_deserializer=Serdes.string())
        .add_source("source-2", SOURCE_TOPIC_2, key_deserializer=Serdes.integer(), value_deserializer=Serdes.double())
        .add_processor("processor", MockProcessor, "source-1", "source-2")
        .add_sink("sink", SINK_TOPIC_1, "processor", key_serializer=Serdes.json(), value_serializer=Serdes.json())
    )
    with TopologyTestDriver(topology) as driver:
        out = driver.create_output_topic(SINK_TOPIC_1, Serdes.json(), Serdes.json())
        driver.create_input_topic(SOURCE_TOPIC_1, Serdes.long(), Serdes.string()).pipe_input(42, "anyString")
        assert out.read_key_value() == (42, "anyString")
        driver.create_input_topic(SOURCE_TOPIC_2, Serdes.integer(), Serdes.double()).pipe_input(73, 3.14)
        assert out.read_key_value() == (73, 3.14)
        assert out.is_empty()


def test_should_use_sink_specific_serializers() -> None:
    """TopologyTestDriverTest.shouldUseSinkSpecificSerializers: sink-1 writes Long/String, sink-2 Integer/Double;
    the bytes on each topic are those serializers' bytes."""
    topology = (
        Topology()
        .add_source("source-1", SOURCE_TOPIC_1, key_deserializer=Serdes.long(), value_deserializer=Serdes.string())
        .add_source("source-2", SOURCE_TOPIC_2, key_deserializer=Serdes.integer(), value_deserializer=Serdes.double())
        .add_sink("sink-1", SINK_TOPIC_1, "source-1", key_serializer=Serdes.long(), value_serializer=Serdes.string())
        .add_sink(
            "sink-2", SINK_TOPIC_2, "source-2", key_serializer=Serdes.integer(), value_serializer=Serdes.double()
        )
    )
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1, Serdes.long(), Serdes.string()).pipe_input(42, "anyString")
        driver.create_input_topic(SOURCE_TOPIC_2, Serdes.integer(), Serdes.double()).pipe_input(73, 3.14)
        raw1 = driver.create_output_topic(SINK_TOPIC_1, Serdes.bytes(), Serdes.bytes()).read_key_value()
        raw2 = driver.create_output_topic(SINK_TOPIC_2, Serdes.bytes(), Serdes.bytes()).read_key_value()
    assert raw1 == ((42).to_bytes(8, "big"), b"anyString")
    assert raw2 == ((73).to_bytes(4, "big"), b"\x40\x09\x1e\xb8\x51\xeb\x85\x1f")
    assert Serdes.long().deserialize(SINK_TOPIC_1, raw1[0]) == 42
    assert Serdes.double().deserialize(SINK_TOPIC_2, raw2[1]) == 3.14


# ---------------------------------------------------------------------------------------------- fixed keys
class KeyChanger(FixedKeyProcessor):
    """A FixedKeyProcessor that tries to change the key, then changes the value (which it may)."""

    attempts: list

    def __init__(self) -> None:
        self.attempts = []

    def process(self, record: Record) -> None:
        self.attempts.append(type(record).__name__)
        with pytest.raises(TypeError):
            record.with_key("changed")
        out = record.with_value(record.value.upper()).with_timestamp(record.timestamp + 1)
        self.attempts.append((type(out).__name__, out.key))
        self.context.forward(out)


def _fixed_key_topology(via_builder: bool, processors: list[KeyChanger]) -> Topology:
    def supplier() -> KeyChanger:
        processors.append(KeyChanger())
        return processors[-1]

    topology = Topology().add_source("source", "in")
    if via_builder:  # the way the DSL's process_values adds it
        topology.internal_builder.add_processor("fixed", supplier, ["source"], fixed_key=True)
    else:
        topology.add_processor("fixed", supplier, "source")
    return topology.add_sink("sink", "out", "fixed")


@pytest.mark.parametrize("via_builder", [True, False], ids=["process_values-style", "add_processor"])
def test_fixed_key_processor_cannot_change_keys(via_builder: bool) -> None:
    """FixedKeyProcessor receives FixedKeyRecords: with_key is not available, with_value/with_timestamp keep the key
    (Kafka's FixedKeyRecord has no withKey)."""
    processors: list[KeyChanger] = []
    with TopologyTestDriver(_fixed_key_topology(via_builder, processors)) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("k1", "a", 10)
        topic.pipe_input("k2", "b", 20)
        out = driver.create_output_topic("out").read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in out] == [("k1", "A", 11), ("k2", "B", 21)]
    assert processors[0].attempts == [
        "FixedKeyRecord",
        ("FixedKeyRecord", "k1"),
        "FixedKeyRecord",
        ("FixedKeyRecord", "k2"),
    ]


def test_fixed_key_record_value_object() -> None:
    """FixedKeyRecord: a copy keeps key and headers; negative timestamps are rejected like Record's."""
    r = FixedKeyRecord.of(Record("k", 1, 5, HEADERS))
    assert (r.key, r.value, r.timestamp, r.headers) == ("k", 1, 5, HEADERS)
    v = r.with_value(2)
    assert isinstance(v, FixedKeyRecord) and (v.key, v.value, v.timestamp, v.headers) == ("k", 2, 5, HEADERS)
    assert r.value == 1  # immutable: the original is unchanged
    with pytest.raises(TypeError):
        r.with_key("other")
    with pytest.raises(ValueError):
        r.with_timestamp(-1)


def test_record_metadata_in_process_names_topic_partition_offset() -> None:
    """ProcessingContext.recordMetadata: topic, partition and offset of the record being processed."""
    seen: list = []

    class Meta(Processor):
        def process(self, record: Record) -> None:
            seen.append(self.context.record_metadata)

    topology = Topology().add_source("source", "a", "b").add_processor("meta", Meta, "source")
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("a").pipe_input("k", 1, 0)
        driver.create_input_topic("b").pipe_input("k", 1, 0)
        driver.create_input_topic("a").pipe_input("k", 1, 0)
    assert seen == [RecordMetadata("a", 0, 0), RecordMetadata("b", 0, 0), RecordMetadata("a", 0, 1)]
