"""split()/Branched, merge, repartition, to() and process(), as Kafka's tests:

- streams/.../kstream/internals/KStreamSplitTest.java (the successor of KStreamBranchTest): testKStreamSplit,
  testResultingMap, testBranchingWithNoTerminalOperation; BranchedKStreamImpl for the child names.
- KStreamImplTest.java: shouldMergeTwoStreams, shouldMergeMultipleStreams, shouldSendDataThroughRepartitionTopic-
  UsingRepartitioned, shouldSendDataToTopicUsingProduced, shouldSendDataToDynamicTopics,
  shouldPreserveSerdesForOperators (the serde rows of the operators that exist here).
- KStreamRepartitionIntegrationTest-like cases: a key-changing map, then repartition(), then a grouping.
"""

from __future__ import annotations

from typing import Any

from kstreams_nb.dsl import Branched, Consumed, Grouped, Named, Produced, Repartitioned, StreamsBuilder
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TestRecord, TopologyTestDriver

from ._support import KeyValueTimestamp as KVT
from ._support import MockProcessorSupplier, streams_config

INT, S, L = Serdes.integer(), Serdes.string(), Serdes.long()


# ---------------------------------------------------------------------------------------------- split
def _split_driver(builder: StreamsBuilder) -> TopologyTestDriver:
    driver = TopologyTestDriver(builder.build(), streams_config(S, S))
    topic = driver.create_input_topic("topic", INT, S)
    for key in [-1, 0, 1, 2, 3, 4, 5, 6, 7]:
        topic.pipe_input(key, f"V{key}")
    return driver


def _is_even(k: int, v: str) -> bool:
    return k % 2 == 0


def _multiple_of(n: int) -> Any:
    return lambda k, v: k % n == 0


def test_split() -> None:
    """KStreamSplitTest.testKStreamSplit: first matching branch only; consumer branches are not in the map."""
    builder = StreamsBuilder()
    source = builder.stream("topic", Consumed.with_(INT, S))
    branches = (
        source.split()
        .branch(_is_even, Branched.with_consumer(lambda ks: ks.to("x2")))
        .branch(_multiple_of(3), Branched.with_consumer(lambda ks: ks.to("x3")))
        .branch(_multiple_of(5), Branched.with_consumer(lambda ks: ks.to("x5")))
        .no_default_branch()
    )
    assert branches == {}
    with _split_driver(builder) as driver:
        assert driver.create_output_topic("x2", INT, S).read_values_to_list() == ["V0", "V2", "V4", "V6"]
        assert driver.create_output_topic("x3", INT, S).read_values_to_list() == ["V3"]
        assert driver.create_output_topic("x5", INT, S).read_values_to_list() == ["V5"]


def test_split_resulting_map() -> None:
    """KStreamSplitTest.testResultingMap: names prefix + Branched name / position, "0" for the default branch;
    a consumer or a function returning None leaves no entry."""
    builder = StreamsBuilder()
    source = builder.stream("topic", Consumed.with_(INT, S))
    branches = (
        source.split(Named.as_("foo-"))
        .branch(_is_even, Branched.as_("bar"))
        .branch(_multiple_of(3), Branched.with_consumer(lambda ks: None))
        .branch(_multiple_of(5), Branched.with_function(lambda ks: None))
        .branch(lambda k, v: k < 0, Branched.with_function(lambda ks: ks))
        .branch(_multiple_of(7))
        .default_branch()
    )
    assert sorted(branches) == ["foo-0", "foo-4", "foo-5", "foo-bar"]
    for name, stream in branches.items():
        stream.to(name)
    with _split_driver(builder) as driver:
        assert driver.create_output_topic("foo-bar", INT, S).read_values_to_list() == ["V0", "V2", "V4", "V6"]
        assert driver.create_output_topic("foo-4", INT, S).read_values_to_list() == ["V-1"]
        assert driver.create_output_topic("foo-5", INT, S).read_values_to_list() == ["V7"]
        assert driver.create_output_topic("foo-0", INT, S).read_values_to_list() == ["V1"]


def test_branching_with_no_terminal_operation() -> None:
    """KStreamSplitTest.testBranchingWithNoTerminalOperation: branches work without default/no_default_branch."""
    builder = StreamsBuilder()
    source = builder.stream("topic", Consumed.with_(INT, S))
    (
        source.split()
        .branch(_is_even, Branched.with_consumer(lambda ks: ks.to("output")))
        .branch(_multiple_of(5), Branched.with_consumer(lambda ks: ks.to("output")))
    )
    with _split_driver(builder) as driver:
        assert driver.create_output_topic("output", INT, S).read_values_to_list() == ["V0", "V2", "V4", "V5", "V6"]


def test_split_names_burn_one_number_per_branch() -> None:
    """BranchedKStreamImpl: splitter KSTREAM-BRANCH-n, children splitter + position (default: 0) or + Branched name;
    each child burns a counter number."""
    builder = StreamsBuilder()
    source = builder.stream("topic")
    branches = source.split().branch(_is_even).branch(_is_even, Branched.as_("x")).default_branch()
    source.to("after")
    assert list(branches) == ["KSTREAM-BRANCH-00000000011", "KSTREAM-BRANCH-0000000001x", "KSTREAM-BRANCH-00000000010"]
    nodes = {n.name for n in builder.build().describe().subtopologies[0].nodes}
    assert "KSTREAM-SINK-0000000005" in nodes


# ---------------------------------------------------------------------------------------------- merge
def test_merge_two_streams() -> None:
    """KStreamImplTest.shouldMergeTwoStreams: records in pipe order, timestamps kept."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.stream("topic-1").merge(builder.stream("topic-2")).process(supplier)
    with TopologyTestDriver(builder.build(), streams_config(S, S)) as driver:
        t1 = driver.create_input_topic("topic-1", S, S, 0, 0)
        t2 = driver.create_input_topic("topic-2", S, S, 0, 0)
        t1.pipe_input("A", "aa")
        t2.pipe_input("B", "bb")
        t2.pipe_input("C", "cc")
        t1.pipe_input("D", "dd")
    assert supplier.the_captured_processor().processed == [
        KVT("A", "aa", 0), KVT("B", "bb", 0), KVT("C", "cc", 0), KVT("D", "dd", 0),
    ]


def test_merge_multiple_streams() -> None:
    """KStreamImplTest.shouldMergeMultipleStreams."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    s1, s2, s3, s4 = (builder.stream(f"topic-{i}") for i in range(1, 5))
    s1.merge(s2).merge(s3).merge(s4).process(supplier)
    with TopologyTestDriver(builder.build(), streams_config(S, S)) as driver:
        t = {i: driver.create_input_topic(f"topic-{i}", S, S, 0, 0) for i in range(1, 5)}
        t[1].pipe_input("A", "aa", 1)
        t[2].pipe_input("B", "bb", 9)
        t[3].pipe_input("C", "cc", 2)
        t[4].pipe_input("D", "dd", 8)
        t[4].pipe_input("E", "ee", 3)
        t[3].pipe_input("F", "ff", 7)
        t[2].pipe_input("G", "gg", 4)
        t[1].pipe_input("H", "hh", 6)
    assert supplier.the_captured_processor().processed == [
        KVT("A", "aa", 1), KVT("B", "bb", 9), KVT("C", "cc", 2), KVT("D", "dd", 8),
        KVT("E", "ee", 3), KVT("F", "ff", 7), KVT("G", "gg", 4), KVT("H", "hh", 6),
    ]


def test_merge_drops_serdes_and_keeps_the_repartition_flag() -> None:
    """KStreamImpl.merge: serdes are dropped; a key change on either side makes a later grouping repartition."""
    builder = StreamsBuilder()
    left = builder.stream("l", Consumed.with_(S, S))
    merged = left.merge(builder.stream("r", Consumed.with_(S, S)).select_key(lambda k, v: v))
    assert (merged.key_serde, merged.value_serde) == (None, None)
    merged.group_by_key().count().to_stream().to("out")
    topics = builder.build().describe().subtopologies[1].nodes[0]
    assert topics.name == "KSTREAM-SOURCE-0000000008"


# ---------------------------------------------------------------------------------------------- repartition, to
def test_send_data_through_repartition_topic_using_repartitioned() -> None:
    """KStreamImplTest.shouldSendDataThroughRepartitionTopicUsingRepartitioned."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.stream("topic", Consumed.with_(S, S)).repartition(Repartitioned.with_(S, S)).process(supplier)
    with TopologyTestDriver(builder.build(), streams_config(S, S)) as driver:
        driver.create_input_topic("topic", S, S, 0, 0).pipe_input("a", "b")
        assert driver.produced_topic_names() == {"topology-test-driver-KSTREAM-REPARTITION-0000000001-repartition"}
    assert supplier.the_captured_processor().processed == [KVT("a", "b", 0)]


def test_send_data_to_topic_using_produced() -> None:
    """KStreamImplTest.shouldSendDataToTopicUsingProduced: a topic written and read by the same topology."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.stream("topic", Consumed.with_(S, S)).to("to-topic", Produced.with_(S, S))
    builder.stream("to-topic", Consumed.with_(S, S)).process(supplier)
    with TopologyTestDriver(builder.build(), streams_config(S, S)) as driver:
        driver.create_input_topic("topic", S, S, 0, 0).pipe_input("e", "f")
    assert supplier.the_captured_processor().processed == [KVT("e", "f", 0)]


def test_send_data_to_dynamic_topics() -> None:
    """KStreamImplTest.shouldSendDataToDynamicTopics: ``context.topic() + "-" + key + "-" + value.charAt(0)``."""
    builder = StreamsBuilder()
    a, b = MockProcessorSupplier(), MockProcessorSupplier()
    builder.stream("topic", Consumed.with_(S, S)).to(lambda k, v, ctx: f"{ctx.topic}-{k}-{v[0]}", Produced.with_(S, S))
    builder.stream("topic-a-v", Consumed.with_(S, S)).process(a)
    builder.stream("topic-b-v", Consumed.with_(S, S)).process(b)
    with TopologyTestDriver(builder.build(), streams_config(S, S)) as driver:
        topic = driver.create_input_topic("topic", S, S, 0, 0)
        topic.pipe_input("a", "v1")
        topic.pipe_input("a", "v2")
        topic.pipe_input("b", "v1")
    assert a.the_captured_processor().processed == [KVT("a", "v1", 0), KVT("a", "v2", 0)]
    assert b.the_captured_processor().processed == [KVT("b", "v1", 0)]


def test_to_inherits_each_missing_serde_separately() -> None:
    """KStreamImpl.to: Produced's key and value serdes fall back to the stream's one by one."""
    builder = StreamsBuilder()
    builder.stream("in", Consumed.with_(S, INT)).to("out", Produced.with_(key_serde=Serdes.json()))
    with TopologyTestDriver(builder.build(), streams_config(S, S)) as driver:
        driver.create_input_topic("in", S, INT).pipe_input("k", 5, 3)
        # the key went through JSON (quoted), the value through the stream's integer serde
        assert driver.create_output_topic("out", S, INT).read_record() == TestRecord('"k"', 5, 3)


def test_preserve_serdes_for_operators() -> None:
    """KStreamImplTest.shouldPreserveSerdesForOperators (rows for the operators implemented here)."""
    my = Serdes.double()
    builder = StreamsBuilder()
    s = builder.stream("topic-1", Consumed.with_(S, S))
    serdes = {
        "filter": s.filter(lambda k, v: False), "filter_not": s.filter_not(lambda k, v: False),
        "select_key": s.select_key(lambda k, v: k), "map": s.map(lambda k, v: (k, v)),
        "map_values": s.map_values(lambda v: v), "flat_map": s.flat_map(lambda k, v: [(k, v)]),
        "flat_map_values": s.flat_map_values(lambda v: [v]), "merge": s.merge(s),
        "repartition": s.repartition(), "repartition(with)": s.repartition(Repartitioned.with_(my, my)),
        "group_by_key": s.group_by_key(), "group_by_key(with)": s.group_by_key(Grouped.with_(my, my)),
        "group_by": s.group_by(lambda k, v: k), "group_by(with)": s.group_by(lambda k, v: k, Grouped.with_(my, my)),
    }
    assert {name: (x.key_serde, x.value_serde) for name, x in serdes.items()} == {
        "filter": (S, S), "filter_not": (S, S), "select_key": (None, S), "map": (None, None),
        "map_values": (S, None), "flat_map": (None, None), "flat_map_values": (S, None), "merge": (None, None),
        "repartition": (S, S), "repartition(with)": (my, my), "group_by_key": (S, S), "group_by_key(with)": (my, my),
        "group_by": (None, S), "group_by(with)": (my, my),
    }


def test_repartition_after_key_change_then_count() -> None:
    """KStreamRepartitionIntegrationTest-like: map changes keys, repartition(Repartitioned.as("rekeyed")) moves
    them (topic ``<app>-rekeyed-repartition``), group_by_key then needs no second repartition."""
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(INT, S))
        .map(lambda k, v: (v, k))
        .repartition(Repartitioned.as_("rekeyed").with_key_serde(S).with_value_serde(INT))
        .group_by_key()
        .count()
        .to_stream()
        .to("output")
    )
    topology = builder.build()
    assert len(topology.describe().subtopologies) == 2
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        topic = driver.create_input_topic("input", INT, S)
        for k, v, ts in [(1, "A", 10), (2, "B", 20), (3, "A", 30)]:
            topic.pipe_input(k, v, ts)
        assert driver.produced_topic_names() == {
            "app-rekeyed-repartition", "app-KSTREAM-AGGREGATE-STATE-STORE-0000000005-changelog", "output",
        }
        assert driver.create_output_topic("output", S, L).read_records_to_list() == [
            TestRecord("A", 1, 10), TestRecord("B", 1, 20), TestRecord("A", 2, 30),
        ]


def test_repartition_drops_null_keys_without_a_relaxed_join_downstream() -> None:
    """InternalStreamsBuilder.rewriteRepartitionNodes (KIP-962): with no left/outer join downstream, a repartition's
    filter drops null keys; Kafka 4.4's driver prints nothing for ``repartition()`` of a null-key record."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.stream("in", Consumed.with_(S, S)).repartition().process(supplier)
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("in", S, S)
        topic.pipe_input(None, "v1", 1)
        topic.pipe_input("k", "v2", 2)
    assert supplier.the_captured_processor().processed == [KVT("k", "v2", 2)]


def test_process_is_not_numbered_when_named() -> None:
    """KStreamImpl.process(supplier, Named): the name is used as given and no counter number is burnt (unlike most
    named operators); without a name KSTREAM-PROCESSOR-n is generated."""
    builder = StreamsBuilder()
    s = builder.stream("in")
    s.process(MockProcessorSupplier(), named=Named.as_("proc"))
    s.process(MockProcessorSupplier())
    s.filter(lambda k, v: True, Named.as_("f"))
    s.map_values(lambda v: v)
    names = sorted(n.name for n in builder.build().describe().subtopologies[0].nodes)
    assert names == ["KSTREAM-MAPVALUES-0000000003", "KSTREAM-PROCESSOR-0000000001", "KSTREAM-SOURCE-0000000000",
                     "f", "proc"]
