"""KGroupedStream aggregations and KStream.to_table, value for value as Kafka's tests
(streams/src/test/java/org/apache/kafka/streams/kstream/internals/):

- KGroupedStreamImplTest: shouldCountAndMaterializeResults, shouldLogAndMeasureSkipsInAggregate,
  shouldReduceAndMaterializeResults, shouldLogAndMeasureSkipsInReduce, shouldAggregateAndMaterializeResults,
  shouldAggregateWithDefaultSerdes, shouldNotHaveInvalidStoreNameOnReduce / OnAggregate (the null-key and
  null-value records are dropped).
- KStreamImplTest: shouldNotMaterializedKTableFromKStream, shouldMaterializeKTableFromKStream,
  shouldSupportKeyChangeKTableFromKStream, shouldSupportGroupByCountWithKStreamToKTable,
  shouldSupportTriggerMaterializedWithKTableFromKStream (describe() texts and outputs).
- KGroupedStreamImpl.count(Materialized): an unnamed Materialized burns one extra store number.
"""

from __future__ import annotations

import logging

import pytest

from kstreams_nb.dsl import Consumed, Grouped, Materialized, StreamsBuilder
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores, ValueAndTimestamp
from kstreams_nb.testing import TestRecord, TopologyTestDriver

from ._support import STRING_ADDER, STRING_INIT, TOSTRING_ADDER, MockProcessorSupplier, streams_config

S, INT, L = Serdes.string(), Serdes.integer(), Serdes.long()
PROPS = streams_config(S, S)
VT = ValueAndTimestamp


def _grouped(builder: StreamsBuilder):  # type: ignore[no-untyped-def]
    return builder.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))


def _process_data(driver: TopologyTestDriver) -> None:
    topic = driver.create_input_topic("topic", S, S)
    for k, v, ts in [("1", "A", 5), ("2", "B", 1), ("1", "C", 3), ("1", "D", 10), ("3", "E", 8), ("3", "F", 9)]:
        topic.pipe_input(k, v, ts)
    topic.pipe_input("3", None)


def test_count_and_materialize_results() -> None:
    """KGroupedStreamImplTest.shouldCountAndMaterializeResults."""
    builder = StreamsBuilder()
    _grouped(builder).count(materialized=Materialized.as_("count").with_key_serde(S))
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        count = driver.get_timestamped_key_value_store("count")
        assert [count.get(k) for k in "123"] == [VT(3, 10), VT(1, 1), VT(2, 9)]


def test_log_skips_in_aggregate(caplog: pytest.LogCaptureFixture) -> None:
    """KGroupedStreamImplTest.shouldLogAndMeasureSkipsInAggregate."""
    builder = StreamsBuilder()
    _grouped(builder).count(materialized=Materialized.as_("count").with_key_serde(S))
    with caplog.at_level(logging.WARNING), TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
    assert "Skipping record due to null key or value. topic=[topic] partition=[0] offset=[6]" in caplog.messages


def test_reduce_and_materialize_results(caplog: pytest.LogCaptureFixture) -> None:
    """KGroupedStreamImplTest.shouldReduceAndMaterializeResults and shouldLogAndMeasureSkipsInReduce."""
    builder = StreamsBuilder()
    _grouped(builder).reduce(STRING_ADDER, materialized=Materialized.as_("reduce").with_key_serde(S)
                             .with_value_serde(S))
    with caplog.at_level(logging.WARNING), TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        reduced = driver.get_timestamped_key_value_store("reduce")
        assert [reduced.get(k) for k in "123"] == [VT("A+C+D", 10), VT("B", 1), VT("E+F", 9)]
    assert "Skipping record due to null key or value. topic=[topic] partition=[0] offset=[6]" in caplog.messages


def test_aggregate_and_materialize_results() -> None:
    """KGroupedStreamImplTest.shouldAggregateAndMaterializeResults."""
    builder = StreamsBuilder()
    _grouped(builder).aggregate(STRING_INIT, TOSTRING_ADDER,
                                materialized=Materialized.as_("aggregate").with_key_serde(S).with_value_serde(S))
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        agg = driver.get_timestamped_key_value_store("aggregate")
        assert [agg.get(k) for k in "123"] == [VT("0+A+C+D", 10), VT("0+B", 1), VT("0+E+F", 9)]


def test_aggregate_with_default_serdes() -> None:
    """KGroupedStreamImplTest.shouldAggregateWithDefaultSerdes (last value and timestamp per key downstream)."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _grouped(builder).aggregate(STRING_INIT, TOSTRING_ADDER).to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
    last = supplier.the_captured_processor().last_value_and_timestamp_per_key
    assert last == {"1": VT("0+A+C+D", 10), "2": VT("0+B", 1), "3": VT("0+E+F", 9)}


def test_invalid_store_names() -> None:
    """KGroupedStreamImplTest.shouldNotHaveInvalidStoreNameOnReduce / OnAggregate (Named.validate)."""
    with pytest.raises(TopologyError, match="illegal"):
        _grouped(StreamsBuilder()).reduce(STRING_ADDER, materialized=Materialized.as_("~foo bar~"))


def test_null_key_dropped_after_key_change() -> None:
    """KStreamAggregate / KStreamReduce drop null keys and null values: a key selector returning None drops the
    record (the repartition filter and the aggregate both skip it)."""
    builder = StreamsBuilder()
    (
        builder.stream("in", Consumed.with_(S, S))
        .group_by(lambda k, v: None if v == "drop" else v, Grouped.with_(S, S))
        .count()
        .to_stream()
        .to("out")
    )
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("in", S, S)
        for k, v, ts in [("a", "x", 1), ("b", "drop", 2), ("c", None, 3), ("d", "x", 4)]:
            topic.pipe_input(k, v, ts)
        assert driver.create_output_topic("out", S, L).read_records_to_list() == [
            TestRecord("x", 1, 1), TestRecord("x", 2, 4),
        ]


def test_count_with_unnamed_materialized_burns_a_store_number() -> None:
    """KGroupedStreamImpl.count(Materialized): 'we used to burn a topology name here' (one extra store number)."""
    builder = StreamsBuilder()
    s = builder.stream("in")
    s.group_by_key().count(materialized=Materialized.with_(S, L)).to_stream().to("a")
    s.group_by_key().count().to_stream().to("b")
    nodes = sorted(n.name for n in builder.build().describe().subtopologies[0].nodes)
    assert nodes == ["KSTREAM-AGGREGATE-0000000003", "KSTREAM-AGGREGATE-0000000007", "KSTREAM-SINK-0000000005",
                     "KSTREAM-SINK-0000000009", "KSTREAM-SOURCE-0000000000", "KTABLE-TOSTREAM-0000000004",
                     "KTABLE-TOSTREAM-0000000008"]


# ---------------------------------------------------------------------------------------------- to_table
INPUT = [("A", "01", 5), ("B", "02", 100), ("C", "03", 0), ("D", "04", 0), ("A", "05", 10), ("A", "06", 8)]


def test_not_materialized_ktable_from_kstream() -> None:
    """KStreamImplTest.shouldNotMaterializedKTableFromKStream: the TOTABLE store number is burnt, no store added."""
    builder = StreamsBuilder()
    builder.stream("input", Consumed.with_(S, S)).to_table().to_stream().to("output")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-TOTABLE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n\n"
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        for k, v, ts in INPUT:
            topic.pipe_input(k, v, ts)
        assert driver.create_output_topic("output", S, S).read_records_to_list() == [
            TestRecord(k, v, ts) for k, v, ts in INPUT
        ]


def test_materialize_ktable_from_kstream() -> None:
    """KStreamImplTest.shouldMaterializeKTableFromKStream: Materialized.as(store supplier)."""
    builder = StreamsBuilder()
    builder.stream("input", Consumed.with_(S, S)).to_table(materialized=Materialized.as_(
        Stores.in_memory_key_value_store("store")))
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [store])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n"
    )
    with TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        store = driver.get_timestamped_key_value_store("store")
        for k, v in [("A", "01"), ("B", "02"), ("A", "03")]:
            topic.pipe_input(k, v)
        with store.all() as entries:
            assert {k: vt.value for k, vt in entries} == {"A": "03", "B": "02"}


def test_key_change_ktable_from_kstream() -> None:
    """KStreamImplTest.shouldSupportKeyChangeKTableFromKStream: repartition named after the TOTABLE processor."""
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(S, S))
        .map(lambda k, v: (ord(k[0]) - ord("A"), v))
        .to_table(materialized=Materialized.with_(INT, None))
        .to_stream()
        .to("output")
    )
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-MAP-0000000001\n"
        "    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-MAP-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-TOTABLE-0000000002-repartition])\n"
        "      --> KSTREAM-TOTABLE-0000000002\n"
        "    Processor: KSTREAM-TOTABLE-0000000002 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-TOTABLE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n\n"
    )
    with TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        for k, v, ts in INPUT:
            topic.pipe_input(k, v, ts)
        assert driver.create_output_topic("output", INT, S).read_records_to_list() == [
            TestRecord(0, "01", 5), TestRecord(1, "02", 100), TestRecord(2, "03", 0), TestRecord(3, "04", 0),
            TestRecord(0, "05", 10), TestRecord(0, "06", 8),
        ]


GREEN_INPUT = [("A", "green", 10), ("B", "green", 9), ("A", "blue", 12), ("C", "yellow", 15), ("D", "green", 11)]


def test_group_by_count_with_kstream_to_ktable() -> None:
    """KStreamImplTest.shouldSupportGroupByCountWithKStreamToKTable: the group_by materializes the TOTABLE store."""
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(S, S))
        .to_table()
        .group_by(lambda k, v: (v, v), Grouped.with_(S, S))
        .count()
        .to_stream()
        .to("output")
    )
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-SELECT-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KSTREAM-TOTABLE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KTABLE-SELECT-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> KTABLE-AGGREGATE-0000000007\n"
        "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KTABLE-AGGREGATE-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n\n"
    )
    with TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("input", S, S, 0, 0)
        for k, v, ts in GREEN_INPUT:
            topic.pipe_input(k, v, ts)
        assert driver.create_output_topic("output", S, L).read_records_to_list() == [
            TestRecord("green", 1, 10), TestRecord("green", 2, 10), TestRecord("green", 1, 12),
            TestRecord("blue", 1, 12), TestRecord("yellow", 1, 15), TestRecord("green", 2, 12),
        ]


def test_trigger_materialized_with_ktable_from_kstream() -> None:
    """KStreamImplTest.shouldSupportTriggerMaterializedWithKTableFromKStream."""
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(S, S))
        .to_table()
        .map_values(lambda v: ord(v[0]) - ord("a"), materialized=Materialized.as_("store").with_key_serde(S)
                    .with_value_serde(INT))
        .to_stream()
        .to("output")
    )
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [])\n"
        "      --> KTABLE-MAPVALUES-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-MAPVALUES-0000000003 (stores: [store])\n"
        "      --> KTABLE-TOSTREAM-0000000004\n"
        "      <-- KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-MAPVALUES-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000004\n\n"
    )
    with TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("input", S, S, 0, 0)
        for k, v, ts in GREEN_INPUT:
            topic.pipe_input(k, v, ts)
        with driver.get_timestamped_key_value_store("store").all() as entries:
            assert {k: vt.value for k, vt in entries} == {"A": 1, "B": 6, "C": 24, "D": 6}
        assert driver.create_output_topic("output", S, INT).read_records_to_list() == [
            TestRecord("A", 6, 10), TestRecord("B", 6, 9), TestRecord("A", 1, 12), TestRecord("C", 24, 15),
            TestRecord("D", 6, 11),
        ]
