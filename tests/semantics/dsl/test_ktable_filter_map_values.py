"""KTable.filter / filter_not / map_values, value for value as Kafka's KTableFilterTest and KTableMapValuesTest
(streams/src/test/java/org/apache/kafka/streams/kstream/internals/). Value getters of materialized operators are
checked through their stores (a materialized getter reads exactly that store)."""

from __future__ import annotations

from typing import Any

from kstreams_nb.dsl import Change, Consumed, Materialized, StreamsBuilder
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import ValueAndTimestamp
from kstreams_nb.testing import TopologyTestDriver

from ._support import STRING_ADDER, STRING_REMOVER, MockProcessorSupplier, no_op_key_value_mapper, streams_config
from ._support import KeyValueTimestamp as KVT

S, INT = Serdes.string(), Serdes.integer()
VT = ValueAndTimestamp


def is_even(key: str, value: int) -> bool:
    return value % 2 == 0


# ---------------------------------------------------------------------------------------------- KTableFilterTest
FILTER_PROPS = streams_config(S, INT, **{"statestore.cache.max.bytes": 0})
INT_CONSUMED = Consumed.with_(S, INT)


def _do_test_ktable(builder: StreamsBuilder, table2: Any, table3: Any) -> None:
    s2, s3 = MockProcessorSupplier(), MockProcessorSupplier()
    table2.to_stream().process(s2)
    table3.to_stream().process(s3)
    with TopologyTestDriver(builder.build(), FILTER_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, INT, 0, 0)
        for k, v, ts in [("A", 1, 10), ("B", 2, 5), ("C", 3, 8), ("D", 4, 14), ("A", None, 18), ("B", None, 15)]:
            topic.pipe_input(k, v, ts)
    assert s2.the_captured_processor().processed == [
        KVT("A", None, 10), KVT("B", 2, 5), KVT("C", None, 8), KVT("D", 4, 14), KVT("A", None, 18), KVT("B", None, 15),
    ]
    assert s3.the_captured_processor().processed == [
        KVT("A", 1, 10), KVT("B", None, 5), KVT("C", 3, 8), KVT("D", None, 14), KVT("A", None, 18), KVT("B", None, 15),
    ]


def test_filter_passes_through_without_materialization() -> None:
    """KTableFilterTest.shouldPassThroughWithoutMaterialization."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    table2, table3 = table1.filter(is_even), table1.filter_not(is_even)
    assert (table1.queryable_store_name(), table2.queryable_store_name(), table3.queryable_store_name()) == (
        None, None, None)
    _do_test_ktable(builder, table2, table3)


def test_filter_passes_through_on_materialization() -> None:
    """KTableFilterTest.shouldPassThroughOnMaterialization."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    table2, table3 = table1.filter(is_even, materialized=Materialized.as_("store2")), table1.filter_not(is_even)
    assert (table1.queryable_store_name(), table2.queryable_store_name(), table3.queryable_store_name()) == (
        None, "store2", None)
    _do_test_ktable(builder, table2, table3)


def test_filter_values_on_materialization() -> None:
    """KTableFilterTest.shouldGetValuesOnMaterialization (doTestValueGetter through stores store2 / store3)."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    table2 = table1.filter(is_even, materialized=Materialized.as_("store2"))
    table3 = table1.filter_not(is_even, materialized=Materialized.as_("store3"))
    table4 = table1.filter_not(is_even)
    assert [t.queryable_store_name() for t in (table1, table2, table3, table4)] == [None, "store2", "store3", None]
    with TopologyTestDriver(builder.build(), FILTER_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, INT, 0, 0)
        g2 = driver.get_timestamped_key_value_store("store2").get
        g3 = driver.get_timestamped_key_value_store("store3").get
        for k, v, ts in [("A", 1, 5), ("B", 1, 10), ("C", 1, 15)]:
            topic.pipe_input(k, v, ts)
        assert [g2(k) for k in "ABC"] == [None, None, None]
        assert [g3(k) for k in "ABC"] == [VT(1, 5), VT(1, 10), VT(1, 15)]
        topic.pipe_input("A", 2, 10)
        topic.pipe_input("B", 2, 5)
        assert [g2(k) for k in "ABC"] == [VT(2, 10), VT(2, 5), None]
        assert [g3(k) for k in "ABC"] == [None, None, VT(1, 15)]
        topic.pipe_input("A", 3, 15)
        assert [g2(k) for k in "ABC"] == [None, VT(2, 5), None]
        assert [g3(k) for k in "ABC"] == [VT(3, 15), None, VT(1, 15)]
        topic.pipe_input("A", None, 10)
        topic.pipe_input("B", None, 20)
        assert [g2(k) for k in "ABC"] == [None, None, None]
        assert [g3(k) for k in "ABC"] == [None, None, VT(1, 15)]


def _do_test_not_sending_old_value(builder: StreamsBuilder, table1: Any, table2: Any) -> None:
    supplier = MockProcessorSupplier()
    topology = builder.build()
    topology.add_processor("proc1", supplier, table1.name)
    topology.add_processor("proc2", supplier, table2.name)
    with TopologyTestDriver(topology, FILTER_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, INT, 0, 0)
        for k, v, ts in [("A", 1, 5), ("B", 1, 10), ("C", 1, 15)]:
            topic.pipe_input(k, v, ts)
        p1, p2 = supplier.processors
        p1.check_and_clear_process_result(KVT("A", Change(1, None), 5), KVT("B", Change(1, None), 10),
                                          KVT("C", Change(1, None), 15))
        p2.check_and_clear_process_result(KVT("A", Change(None, None), 5), KVT("B", Change(None, None), 10),
                                          KVT("C", Change(None, None), 15))
        topic.pipe_input("A", 2, 15)
        topic.pipe_input("B", 2, 8)
        p1.check_and_clear_process_result(KVT("A", Change(2, None), 15), KVT("B", Change(2, None), 8))
        p2.check_and_clear_process_result(KVT("A", Change(2, None), 15), KVT("B", Change(2, None), 8))
        topic.pipe_input("A", 3, 20)
        p1.check_and_clear_process_result(KVT("A", Change(3, None), 20))
        p2.check_and_clear_process_result(KVT("A", Change(None, None), 20))
        topic.pipe_input("A", None, 10)
        topic.pipe_input("B", None, 20)
        p1.check_and_clear_process_result(KVT("A", Change(None, None), 10), KVT("B", Change(None, None), 20))
        p2.check_and_clear_process_result(KVT("A", Change(None, None), 10), KVT("B", Change(None, None), 20))


def test_not_send_old_values_without_materialization() -> None:
    """KTableFilterTest.shouldNotSendOldValuesWithoutMaterialization."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    _do_test_not_sending_old_value(builder, table1, table1.filter(is_even))


def test_not_send_old_values_on_materialization() -> None:
    """KTableFilterTest.shouldNotSendOldValuesOnMaterialization."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    _do_test_not_sending_old_value(builder, table1, table1.filter(is_even, materialized=Materialized.as_("store2")))


def test_not_enable_sending_old_values_if_not_materialized_and_not_forced() -> None:
    """KTableFilterTest.shouldNotEnableSendingOldValuesIfNotAlreadyMaterializedAndNotForcedToMaterialize."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    table2 = table1.filter(is_even)
    assert table2.enable_sending_old_values(False) is False
    _do_test_not_sending_old_value(builder, table1, table2)


def _do_test_sending_old_value(builder: StreamsBuilder, table1: Any, table2: Any) -> None:
    supplier = MockProcessorSupplier()
    topology = builder.build()
    topology.add_processor("proc1", supplier, table1.name)
    topology.add_processor("proc2", supplier, table2.name)
    parent_old = table1.sending_old_value_enabled()
    with TopologyTestDriver(topology, FILTER_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, INT, 0, 0)
        for k, v, ts in [("A", 1, 5), ("B", 1, 10), ("C", 1, 15)]:
            topic.pipe_input(k, v, ts)
        out1, out2 = supplier.processors
        out1.check_and_clear_process_result(KVT("A", Change(1, None), 5), KVT("B", Change(1, None), 10),
                                            KVT("C", Change(1, None), 15))
        out2.check_and_clear_process_result()
        topic.pipe_input("A", 2, 15)
        topic.pipe_input("B", 2, 8)
        old = 1 if parent_old else None
        out1.check_and_clear_process_result(KVT("A", Change(2, old), 15), KVT("B", Change(2, old), 8))
        out2.check_and_clear_process_result(KVT("A", Change(2, None), 15), KVT("B", Change(2, None), 8))
        topic.pipe_input("A", 3, 20)
        out1.check_and_clear_process_result(KVT("A", Change(3, 2 if parent_old else None), 20))
        out2.check_and_clear_process_result(KVT("A", Change(None, 2), 20))
        topic.pipe_input("A", None, 10)
        topic.pipe_input("B", None, 20)
        out1.check_and_clear_process_result(KVT("A", Change(None, 3 if parent_old else None), 10),
                                            KVT("B", Change(None, 2 if parent_old else None), 20))
        out2.check_and_clear_process_result(KVT("B", Change(None, 2), 20))


def test_send_old_values_when_not_materialized_but_forced() -> None:
    """KTableFilterTest.shouldEnableSendOldValuesWhenNotMaterializedAlreadyButForcedToMaterialize."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    table2 = table1.filter(is_even)
    table2.enable_sending_old_values(True)
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (True, True)
    _do_test_sending_old_value(builder, table1, table2)


def test_send_old_values_when_materialized_and_forced() -> None:
    """KTableFilterTest.shouldEnableSendOldValuesWhenMaterializedAlreadyAndForcedToMaterialize: the materialized
    filter reads old values from its own store; the source is left alone."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED)
    table2 = table1.filter(is_even, materialized=Materialized.as_("store2"))
    table2.enable_sending_old_values(True)
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (False, True)
    _do_test_sending_old_value(builder, table1, table2)


def test_send_old_values_when_enabled_on_upstream_materialization() -> None:
    """KTableFilterTest.shouldSendOldValuesWhenEnabledOnUpStreamMaterialization."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", INT_CONSUMED, Materialized.as_("store2"))
    table2 = table1.filter(is_even)
    table2.enable_sending_old_values(False)
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (True, True)
    _do_test_sending_old_value(builder, table1, table2)


def _do_test_skip_null_on_materialization(builder: StreamsBuilder, table1: Any, table2: Any) -> None:
    supplier = MockProcessorSupplier()
    topology = builder.build()
    topology.add_processor("proc1", supplier, table1.name)
    topology.add_processor("proc2", supplier, table2.name)
    with TopologyTestDriver(topology, FILTER_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        for k, ts in [("A", 5), ("B", 10), ("C", 20)]:
            topic.pipe_input(k, "reject", ts)
    out1, out2 = supplier.processors
    out1.check_and_clear_process_result(KVT("A", Change("reject", None), 5), KVT("B", Change("reject", None), 10),
                                        KVT("C", Change("reject", None), 20))
    out2.check_and_clear_process_result()


def test_skip_null_to_repartition_without_materialization() -> None:
    """KTableFilterTest.shouldSkipNullToRepartitionWithoutMaterialization: a downstream group_by enables old values."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", Consumed.with_(S, S))
    table2 = table1.filter(lambda k, v: v.lower() == "accept")
    table2.group_by(no_op_key_value_mapper).reduce(STRING_ADDER, STRING_REMOVER)
    _do_test_skip_null_on_materialization(builder, table1, table2)


def test_skip_null_to_repartition_on_materialization() -> None:
    """KTableFilterTest.shouldSkipNullToRepartitionOnMaterialization."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", Consumed.with_(S, S))
    table2 = table1.filter(lambda k, v: v.lower() == "accept", materialized=Materialized.as_("store2"))
    table2.group_by(no_op_key_value_mapper).reduce(STRING_ADDER, STRING_REMOVER,
                                                   materialized=Materialized.as_("mock-result"))
    _do_test_skip_null_on_materialization(builder, table1, table2)


# ---------------------------------------------------------------------------------------------- KTableMapValuesTest
MV_PROPS = streams_config(S, S)
STRING_CONSUMED = Consumed.with_(S, S)


def _first_char_digit(value: str) -> int:
    return ord(value[0]) - 48  # Java: value.charAt(0) - 48


def _do_test_map_values(builder: StreamsBuilder, supplier: MockProcessorSupplier) -> None:
    with TopologyTestDriver(builder.build(), MV_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        for k, v, ts in [("A", "1", 5), ("B", "2", 25), ("C", "3", 20), ("D", "4", 10)]:
            topic.pipe_input(k, v, ts)
        assert supplier.the_captured_processor().processed == [
            KVT("A", 1, 5), KVT("B", 2, 25), KVT("C", 3, 20), KVT("D", 4, 10),
        ]


def test_map_values_ktable() -> None:
    """KTableMapValuesTest.testKTable."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    builder.table("topic1", STRING_CONSUMED).map_values(_first_char_digit).to_stream().process(supplier)
    _do_test_map_values(builder, supplier)


def test_map_values_queryable_ktable() -> None:
    """KTableMapValuesTest.testQueryableKTable."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    (
        builder.table("topic1", STRING_CONSUMED)
        .map_values(_first_char_digit, materialized=Materialized.as_("anyName").with_value_serde(INT))
        .to_stream()
        .process(supplier)
    )
    _do_test_map_values(builder, supplier)


def test_map_values_queryable_value_getter() -> None:
    """KTableMapValuesTest.testQueryableValueGetter (through stores store2 / store3)."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", STRING_CONSUMED)
    table2 = table1.map_values(int, materialized=Materialized.as_("store2").with_value_serde(INT))
    table3 = table1.map_values(lambda v: int(v) * -1, materialized=Materialized.as_("store3").with_value_serde(INT))
    table4 = table1.map_values(int)
    assert [t.queryable_store_name() for t in (table2, table3, table4)] == ["store2", "store3", None]
    with TopologyTestDriver(builder.build(), MV_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        g2 = driver.get_timestamped_key_value_store("store2").get
        g3 = driver.get_timestamped_key_value_store("store3").get
        for k, ts in [("A", 50), ("B", 10), ("C", 30)]:
            topic.pipe_input(k, "01", ts)
        assert [g2(k) for k in "ABC"] == [VT(1, 50), VT(1, 10), VT(1, 30)]
        assert [g3(k) for k in "ABC"] == [VT(-1, 50), VT(-1, 10), VT(-1, 30)]
        topic.pipe_input("A", "02", 25)
        topic.pipe_input("B", "02", 20)
        assert [g2(k) for k in "ABC"] == [VT(2, 25), VT(2, 20), VT(1, 30)]
        assert [g3(k) for k in "ABC"] == [VT(-2, 25), VT(-2, 20), VT(-1, 30)]
        topic.pipe_input("A", "03", 35)
        assert [g2(k) for k in "ABC"] == [VT(3, 35), VT(2, 20), VT(1, 30)]
        assert [g3(k) for k in "ABC"] == [VT(-3, 35), VT(-2, 20), VT(-1, 30)]
        topic.pipe_input("A", None, 1)
        assert [g2(k) for k in "ABC"] == [None, VT(2, 20), VT(1, 30)]
        assert [g3(k) for k in "ABC"] == [None, VT(-2, 20), VT(-1, 30)]


def test_map_values_not_sending_old_value() -> None:
    """KTableMapValuesTest.testNotSendingOldValue."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", STRING_CONSUMED)
    table2 = table1.map_values(int)
    supplier = MockProcessorSupplier()
    topology = builder.build().add_processor("proc", supplier, table2.name)
    with TopologyTestDriver(topology, MV_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (False, False)
        for k, ts in [("A", 5), ("B", 10), ("C", 15)]:
            topic.pipe_input(k, "01", ts)
        proc = supplier.the_captured_processor()
        proc.check_and_clear_process_result(KVT("A", Change(1, None), 5), KVT("B", Change(1, None), 10),
                                            KVT("C", Change(1, None), 15))
        topic.pipe_input("A", "02", 10)
        topic.pipe_input("B", "02", 8)
        proc.check_and_clear_process_result(KVT("A", Change(2, None), 10), KVT("B", Change(2, None), 8))
        topic.pipe_input("A", "03", 20)
        proc.check_and_clear_process_result(KVT("A", Change(3, None), 20))
        topic.pipe_input("A", None, 30)
        proc.check_and_clear_process_result(KVT("A", Change(None, None), 30))


def _test_sending_old_values(builder: StreamsBuilder, table2: Any) -> None:
    supplier = MockProcessorSupplier()
    topology = builder.build().add_processor("proc", supplier, table2.name)
    with TopologyTestDriver(topology, MV_PROPS) as driver:
        topic = driver.create_input_topic("topic1", S, S, 0, 0)
        for k, ts in [("A", 5), ("B", 10), ("C", 15)]:
            topic.pipe_input(k, "01", ts)
        proc = supplier.the_captured_processor()
        proc.check_and_clear_process_result(KVT("A", Change(1, None), 5), KVT("B", Change(1, None), 10),
                                            KVT("C", Change(1, None), 15))
        topic.pipe_input("A", "02", 10)
        topic.pipe_input("B", "02", 8)
        proc.check_and_clear_process_result(KVT("A", Change(2, 1), 10), KVT("B", Change(2, 1), 8))
        topic.pipe_input("A", "03", 20)
        proc.check_and_clear_process_result(KVT("A", Change(3, 2), 20))
        topic.pipe_input("A", None, 30)
        proc.check_and_clear_process_result(KVT("A", Change(None, 3), 30))


def test_map_values_enables_old_values_on_parent_when_not_materialized() -> None:
    """KTableMapValuesTest.shouldEnableSendingOldValuesOnParentIfMapValuesNotMaterialized."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", STRING_CONSUMED)
    table2 = table1.map_values(int)
    table2.enable_sending_old_values(True)
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (True, True)
    _test_sending_old_values(builder, table2)


def test_map_values_does_not_enable_old_values_on_parent_when_materialized() -> None:
    """KTableMapValuesTest.shouldNotEnableSendingOldValuesOnParentIfMapValuesMaterialized."""
    builder = StreamsBuilder()
    table1 = builder.table("topic1", STRING_CONSUMED)
    table2 = table1.map_values(int, materialized=Materialized.as_("bob").with_value_serde(INT))
    table2.enable_sending_old_values(True)
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (False, True)
    _test_sending_old_values(builder, table2)
