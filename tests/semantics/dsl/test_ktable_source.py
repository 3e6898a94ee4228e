"""KTable sources and to_stream, value for value as Kafka's tests (streams/.../kstream/internals/):

- KTableSourceTest: testKTable, kTableShouldLogAndMeterOnSkippedRecords, kTableShouldLogOnOutOfOrder,
  testValueGetter (read through the materialized store), testNotSendingOldValue, testSendingOldValue.
- KTableImplTest: testKTable, testMaterializedKTable (to_stream of source, map_values, filter, and a table read back
  from a topic), testStateStoreLazyEval, shouldNotEnableSendingOldValuesIfNotMaterializedAlreadyAndNotForcedTo-
  Materialize, shouldEnableSendingOldValuesIfNotMaterializedAlreadyButForcedToMaterialize,
  shouldCreateSourceAndSinkNodesForRepartitioningTopic.
"""

from __future__ import annotations

import logging

import pytest

from kstreams_nb.dsl import Change, Consumed, Materialized, Produced, StreamsBuilder
from kstreams_nb.dsl.table_aggregate import ChangeSerde
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import ValueAndTimestamp
from kstreams_nb.testing import TopologyTestDriver

from ._support import (
    STRING_ADDER,
    STRING_INIT,
    STRING_REMOVER,
    TOSTRING_ADDER,
    TOSTRING_REMOVER,
    MockProcessorSupplier,
    no_op_key_value_mapper,
    streams_config,
)
from ._support import KeyValueTimestamp as KVT

S, INT = Serdes.string(), Serdes.integer()
PROPS = streams_config(S, S)
STRING_CONSUMED = Consumed.with_(S, S)


def test_ktable() -> None:
    """KTableSourceTest.testKTable: updates and deletes pass through to_stream."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.table("topic1", Consumed.with_(S, INT)).to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, INT)
        for k, v, ts in [("A", 1, 10), ("B", 2, 11), ("C", 3, 12), ("D", 4, 13), ("A", None, 14), ("B", None, 15)]:
            topic.pipe_input(k, v, ts)
    assert supplier.the_captured_processor().processed == [
        KVT("A", 1, 10), KVT("B", 2, 11), KVT("C", 3, 12), KVT("D", 4, 13), KVT("A", None, 14), KVT("B", None, 15),
    ]


def test_ktable_logs_skipped_null_key(caplog: pytest.LogCaptureFixture) -> None:
    """KTableSourceTest.kTableShouldLogAndMeterOnSkippedRecords."""
    builder = StreamsBuilder()
    builder.table("topic", STRING_CONSUMED)
    with caplog.at_level(logging.WARNING), TopologyTestDriver(builder.build(), PROPS) as driver:
        driver.create_input_topic("topic", S, S, 0, 0).pipe_input(None, "value")
    assert "Skipping record due to null key. topic=[topic] partition=[0] offset=[0]" in caplog.messages


def test_ktable_logs_out_of_order(caplog: pytest.LogCaptureFixture) -> None:
    """KTableSourceTest.kTableShouldLogOnOutOfOrder."""
    builder = StreamsBuilder()
    builder.table("topic", STRING_CONSUMED, Materialized.as_("store"))
    with caplog.at_level(logging.WARNING), TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic", S, S, 0, 0)
        topic.pipe_input("key", "value", 10)
        topic.pipe_input("key", "value", 5)
    assert ("Detected out-of-order KTable update for store, old timestamp=[10] new timestamp=[5]. "
            "topic=[topic] partition=[0] offset=[1].") in caplog.messages


def test_value_getter_through_the_store() -> None:
    """KTableSourceTest.testValueGetter: the materialized store holds the latest value and its timestamp."""
    builder = StreamsBuilder()
    builder.table("topic1", STRING_CONSUMED, Materialized.as_("store"))
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        store = driver.get_timestamped_key_value_store("store")
        topic.pipe_input("A", "01", 10)
        topic.pipe_input("B", "01", 20)
        topic.pipe_input("C", "01", 15)
        assert [store.get(k) for k in "ABC"] == [
            ValueAndTimestamp("01", 10), ValueAndTimestamp("01", 20), ValueAndTimestamp("01", 15),
        ]
        topic.pipe_input("A", "02", 30)
        topic.pipe_input("B", "02", 5)
        assert [store.get(k) for k in "ABC"] == [
            ValueAndTimestamp("02", 30), ValueAndTimestamp("02", 5), ValueAndTimestamp("01", 15),
        ]
        topic.pipe_input("A", "03", 29)
        assert [store.get(k) for k in "ABC"] == [
            ValueAndTimestamp("03", 29), ValueAndTimestamp("02", 5), ValueAndTimestamp("01", 15),
        ]
        topic.pipe_input("A", None, 50)
        topic.pipe_input("B", None, 3)
        assert [store.get(k) for k in "ABC"] == [None, None, ValueAndTimestamp("01", 15)]


def _source_changes(send_old: bool) -> MockProcessorSupplier:
    builder = StreamsBuilder()
    table = builder.table("topic1", STRING_CONSUMED)
    if send_old:
        assert table.enable_sending_old_values(True) is True
        assert table.sending_old_value_enabled()
    supplier = MockProcessorSupplier()
    topology = builder.build().add_processor("proc1", supplier, table.name)
    with TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        proc = None
        steps = [
            ([("A", "01", 10), ("B", "01", 20), ("C", "01", 15)],
             [KVT("A", Change("01", None), 10), KVT("B", Change("01", None), 20), KVT("C", Change("01", None), 15)]),
            ([("A", "02", 8), ("B", "02", 22)],
             [KVT("A", Change("02", "01" if send_old else None), 8),
              KVT("B", Change("02", "01" if send_old else None), 22)]),
            ([("A", "03", 12)], [KVT("A", Change("03", "02" if send_old else None), 12)]),
            ([("A", None, 15), ("B", None, 20)],
             [KVT("A", Change(None, "03" if send_old else None), 15),
              KVT("B", Change(None, "02" if send_old else None), 20)]),
        ]
        for inputs, expected in steps:
            for k, v, ts in inputs:
                topic.pipe_input(k, v, ts)
            proc = supplier.the_captured_processor()
            proc.check_and_clear_process_result(*expected)
    return supplier


def test_not_sending_old_value() -> None:
    """KTableSourceTest.testNotSendingOldValue: Change(new, None) only."""
    _source_changes(send_old=False)


def test_sending_old_value() -> None:
    """KTableSourceTest.testSendingOldValue: enable_sending_old_values(True) materializes the source."""
    _source_changes(send_old=True)


def _ktable_impl(materialized: Materialized | None) -> list[list[KVT]]:
    builder = StreamsBuilder()
    consumed = Consumed.with_(S, S)
    table1 = builder.table("topic1", consumed, materialized)
    suppliers = [MockProcessorSupplier() for _ in range(4)]
    table1.to_stream().process(suppliers[0])
    table2 = table1.map_values(int)
    table2.to_stream().process(suppliers[1])
    table3 = table2.filter(lambda k, v: v % 2 == 0)
    table3.to_stream().process(suppliers[2])
    table1.to_stream().to("topic2", Produced.with_(S, S))
    builder.table("topic2", consumed).to_stream().process(suppliers[3])
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S)
        for k, v, ts in [("A", "01", 5), ("B", "02", 100), ("C", "03", 0), ("D", "04", 0), ("A", "05", 10),
                         ("A", "06", 8)]:
            topic.pipe_input(k, v, ts)
    return [s.the_captured_processor().processed for s in suppliers]


SOURCE_ROWS = [KVT("A", "01", 5), KVT("B", "02", 100), KVT("C", "03", 0), KVT("D", "04", 0), KVT("A", "05", 10),
               KVT("A", "06", 8)]
MAPPED_ROWS = [KVT("A", 1, 5), KVT("B", 2, 100), KVT("C", 3, 0), KVT("D", 4, 0), KVT("A", 5, 10), KVT("A", 6, 8)]


def test_ktable_impl() -> None:
    """KTableImplTest.testKTable: an unmaterialized filter forwards filtered-out rows as deletes (None)."""
    assert _ktable_impl(None) == [
        SOURCE_ROWS,
        MAPPED_ROWS,
        [KVT("A", None, 5), KVT("B", 2, 100), KVT("C", None, 0), KVT("D", 4, 0), KVT("A", None, 10), KVT("A", 6, 8)],
        SOURCE_ROWS,
    ]


def test_materialized_ktable_impl() -> None:
    """KTableImplTest.testMaterializedKTable: with the source materialized the filter gets old values, so it skips
    updates that were absent before and after."""
    assert _ktable_impl(Materialized.as_("fred")) == [
        SOURCE_ROWS,
        MAPPED_ROWS,
        [KVT("B", 2, 100), KVT("D", 4, 0), KVT("A", 6, 8)],
        SOURCE_ROWS,
    ]


def test_state_store_lazy_eval() -> None:
    """KTableImplTest.testStateStoreLazyEval: nothing downstream needs a store, so there is none."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", STRING_CONSUMED)
    builder.table("topic2", STRING_CONSUMED)
    table1.map_values(int).filter(lambda k, v: v % 2 == 0)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        assert driver.get_all_state_stores() == {}


def test_enable_sending_old_values_not_forced() -> None:
    """KTableImplTest.shouldNotEnableSendingOldValuesIfNotMaterializedAlreadyAndNotForcedToMaterialize."""
    table = StreamsBuilder().table("topic1", STRING_CONSUMED)
    assert table.enable_sending_old_values(False) is False
    assert table.sending_old_value_enabled() is False


def test_enable_sending_old_values_forced() -> None:
    """KTableImplTest.shouldEnableSendingOldValuesIfNotMaterializedAlreadyButForcedToMaterialize."""
    table = StreamsBuilder().table("topic1", STRING_CONSUMED)
    assert table.enable_sending_old_values(True) is True
    assert table.sending_old_value_enabled() is True


def test_source_and_sink_nodes_for_repartitioning_topic() -> None:
    """KTableImplTest.shouldCreateSourceAndSinkNodesForRepartitioningTopic: names, 3 stores, and Change serdes with
    an inner serde on both repartition topics."""
    builder = StreamsBuilder()
    store1 = Materialized.as_("storeName1").with_key_serde(S).with_value_serde(S)
    table1 = builder.table("topic1", STRING_CONSUMED, store1)
    table1.group_by(no_op_key_value_mapper).aggregate(STRING_INIT, TOSTRING_ADDER, TOSTRING_REMOVER,
                                                      materialized=Materialized.as_("mock-result1"))
    table1.group_by(no_op_key_value_mapper).reduce(STRING_ADDER, STRING_REMOVER,
                                                   materialized=Materialized.as_("mock-result2"))
    topology = builder.build()
    names = {n.name for sub in topology.describe().subtopologies for n in sub.nodes}
    assert {"KSTREAM-SINK-0000000003", "KSTREAM-SOURCE-0000000004", "KSTREAM-SINK-0000000007",
            "KSTREAM-SOURCE-0000000008"} <= names
    nodes = topology.internal_builder.nodes
    for name in ("KSTREAM-SINK-0000000003", "KSTREAM-SINK-0000000007"):
        assert isinstance(nodes[name].value_serializer, ChangeSerde)
    for name in ("KSTREAM-SOURCE-0000000004", "KSTREAM-SOURCE-0000000008"):
        assert isinstance(nodes[name].value_deserializer, ChangeSerde)
    with TopologyTestDriver(topology, PROPS) as driver:
        assert sorted(driver.get_all_state_stores()) == ["mock-result1", "mock-result2", "storeName1"]
        for name in ("KSTREAM-SINK-0000000003", "KSTREAM-SINK-0000000007"):
            # Grouped gave no value serde: the Change serde's inner one is the configured default (setIfUnset)
            assert nodes[name].value_serializer.inner is None
            assert nodes[name].value_serializer._serde() is S
