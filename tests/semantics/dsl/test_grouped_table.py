"""KTable.group_by → KGroupedTable count / reduce / aggregate, value for value as Kafka's tests
(streams/src/test/java/org/apache/kafka/streams/kstream/internals/):

- KTableAggregateTest: testAggBasic, testAggRepartition, testCount, testCountWithInternalStore,
  testRemoveOldBeforeAddNew, testShouldSendTransientStateWhenUpgrading, testShouldNotSendTransientStateIfNotUpgrading,
  testNoEqualsAndNotSameObject, testNoEqualsAndSameObject.
- KGroupedTableImplTest: shouldReduce, shouldReduceWithInternalStoreName, shouldReduceAndMaterializeResults,
  shouldCountAndMaterializeResults, shouldAggregateAndMaterializeResults, shouldNotAllowInvalidStoreNameOn-
  Aggregate / OnReduce, shouldNotAllowNull{Initializer,Adder,Subtractor}On{Aggregate,Reduce}.
- ChangedSerializer / ChangedDeserializer: the repartition topic's byte format.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb.dsl import Change, Consumed, Grouped, Materialized, Named, StreamsBuilder
from kstreams_nb.dsl.table_aggregate import ChangeSerde
from kstreams_nb.errors import SerializationError, TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import ValueAndTimestamp
from kstreams_nb.testing import TestRecord, TopologyTestDriver

from ._support import (
    STRING_ADDER,
    STRING_INIT,
    STRING_REMOVER,
    TOSTRING_ADDER,
    TOSTRING_REMOVER,
    MockProcessorSupplier,
    no_op_key_value_mapper,
    select_value_key_value_mapper,
    streams_config,
)
from ._support import KeyValueTimestamp as KVT

S, INT, L, D = Serdes.string(), Serdes.integer(), Serdes.long(), Serdes.double()
CONSUMED = Consumed.with_(S, S)
GROUPED = Grouped.with_(S, S)
VT = ValueAndTimestamp


# ---------------------------------------------------------------------------------------------- KTableAggregateTest
def _run(builder: StreamsBuilder, topic: str, rows: list[tuple[Any, Any, int]], config: Any = None) -> None:
    with TopologyTestDriver(builder.build(), config) as driver:
        t = driver.create_input_topic(topic, S, S, 0, 0)
        for k, v, ts in rows:
            t.pipe_input(k, v, ts)


def test_agg_basic() -> None:
    """KTableAggregateTest.testAggBasic: subtract the old value, add the new one; ts = max(record, aggregate)."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    (
        builder.table("topic1", CONSUMED)
        .group_by(no_op_key_value_mapper, GROUPED)
        .aggregate(STRING_INIT, TOSTRING_ADDER, TOSTRING_REMOVER,
                   materialized=Materialized.as_("topic1-Canonized").with_value_serde(S))
        .to_stream()
        .process(supplier)
    )
    _run(builder, "topic1", [("A", "1", 10), ("B", "2", 15), ("A", "3", 20), ("B", "4", 18), ("C", "5", 5),
                             ("D", "6", 25), ("B", "7", 15), ("C", "8", 10)])
    assert supplier.the_captured_processor().processed == [
        KVT("A", "0+1", 10), KVT("B", "0+2", 15), KVT("A", "0+1-1+3", 20), KVT("B", "0+2-2+4", 18),
        KVT("C", "0+5", 5), KVT("D", "0+6", 25), KVT("B", "0+2-2+4-4+7", 18), KVT("C", "0+5-5+8", 10),
    ]


def test_agg_repartition() -> None:
    """KTableAggregateTest.testAggRepartition: a None pair or a None key is skipped; a changed group key moves the
    row (old group first)."""

    def selector(key: str, value: str) -> Any:
        if key == "null":
            return None, value
        if key == "NULL":
            return None
        return value, value

    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    (
        builder.table("topic1", CONSUMED)
        .group_by(selector, GROUPED)
        .aggregate(STRING_INIT, TOSTRING_ADDER, TOSTRING_REMOVER,
                   materialized=Materialized.as_("topic1-Canonized").with_value_serde(S))
        .to_stream()
        .process(supplier)
    )
    _run(builder, "topic1", [("A", "1", 10), ("A", None, 15), ("A", "1", 12), ("B", "2", 20), ("null", "3", 25),
                             ("B", "4", 23), ("NULL", "5", 24), ("B", "7", 22)])
    assert supplier.the_captured_processor().processed == [
        KVT("1", "0+1", 10), KVT("1", "0+1-1", 15), KVT("1", "0+1-1+1", 15), KVT("2", "0+2", 20),
        KVT("2", "0+2-2", 23), KVT("4", "0+4", 23), KVT("4", "0+4-4", 23), KVT("7", "0+7", 22),
    ]


COUNT_ROWS = [("A", "green", 10), ("B", "green", 9), ("A", "blue", 12), ("C", "yellow", 15), ("D", "green", 11)]
COUNT_EXPECTED = [KVT("green", 1, 10), KVT("green", 2, 10), KVT("green", 1, 12), KVT("blue", 1, 12),
                  KVT("yellow", 1, 15), KVT("green", 2, 12)]


@pytest.mark.parametrize("materialized", [Materialized.as_("count"), None], ids=["testCount",
                                                                                 "testCountWithInternalStore"])
def test_count(materialized: Materialized | None) -> None:
    """KTableAggregateTest.testCount / testCountWithInternalStore."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    (
        builder.table("count-test-input", CONSUMED)
        .group_by(select_value_key_value_mapper, GROUPED)
        .count(materialized=materialized)
        .to_stream()
        .process(supplier)
    )
    _run(builder, "count-test-input", COUNT_ROWS)
    assert supplier.the_captured_processor().processed == COUNT_EXPECTED


def test_remove_old_before_add_new() -> None:
    """KTableAggregateTest.testRemoveOldBeforeAddNew."""
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    (
        builder.table("count-test-input", CONSUMED)
        .group_by(lambda k, v: (k[0], k[1]), GROUPED)
        .aggregate(lambda: "", lambda k, v, agg: agg + v, lambda k, v, agg: agg.replace(v, ""),
                   materialized=Materialized.as_("someStore").with_value_serde(S))
        .to_stream()
        .process(supplier)
    )
    _run(builder, "count-test-input", [("11", "A", 10), ("12", "B", 8), ("11", None, 12), ("12", "C", 6)])
    assert supplier.the_captured_processor().processed == [
        KVT("1", "1", 10), KVT("1", "12", 10), KVT("1", "2", 12), KVT("1", "2", 12),
    ]


def _upgrade_from(config: dict[str, Any]) -> list[TestRecord]:
    builder = StreamsBuilder()
    (
        builder.table("input-topic", CONSUMED)
        .group_by(lambda k, v: (k, v), GROUPED)  # the key does not change
        .count()
        .to_stream()
        .to("output-topic")
    )
    with TopologyTestDriver(builder.build(), config) as driver:
        topic = driver.create_input_topic("input-topic", S, S, 0, 0)
        topic.pipe_input("1", "", 8)
        topic.pipe_input("1", "", 9)
        return driver.create_output_topic("output-topic", S, L).read_records_to_list()


def test_should_send_transient_state_when_upgrading() -> None:
    """KTableAggregateTest.testShouldSendTransientStateWhenUpgrading (upgrade.from 3.3: old and new pairs apart)."""
    assert _upgrade_from({"upgrade.from": "3.3"}) == [TestRecord("1", 1, 8), TestRecord("1", 0, 9),
                                                      TestRecord("1", 1, 9)]


def test_should_not_send_transient_state_if_not_upgrading() -> None:
    """KTableAggregateTest.testShouldNotSendTransientStateIfNotUpgrading: one Change(new, old) per update."""
    assert _upgrade_from({}) == [TestRecord("1", 1, 8), TestRecord("1", 1, 9)]


class NoEqualsImpl:
    """KTableAggregateTest.NoEqualsImpl: compares by identity."""

    def __init__(self, x: str) -> None:
        self.x = x


NO_EQUALS_SERDE = Serdes.from_functions("no-equals", lambda o: o.x.encode(), lambda b: NoEqualsImpl(b.decode()))


def _key_with_no_equals(mapper: Any) -> list[tuple[str, int, int | None]]:
    builder = StreamsBuilder()
    (
        builder.table("input-topic", Consumed.with_(NO_EQUALS_SERDE, NO_EQUALS_SERDE))
        .group_by(mapper, Grouped.with_(NO_EQUALS_SERDE, NO_EQUALS_SERDE))
        .count()
        .to_stream()
        .to("output-topic")  # serdes inherited: NoEqualsImpl keys, Long values
    )
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("input-topic", NO_EQUALS_SERDE, NO_EQUALS_SERDE, 0, 0)
        a, b = NoEqualsImpl("1"), NoEqualsImpl("1")
        assert a != b
        topic.pipe_input(a, a, 8)
        topic.pipe_input(b, b, 9)
        out = driver.create_output_topic("output-topic", NO_EQUALS_SERDE, L).read_records_to_list()
    return [(r.key.x, r.value, r.timestamp) for r in out]


def test_no_equals_and_not_same_object() -> None:
    """KTableAggregateTest.testNoEqualsAndNotSameObject: keys differ by identity → the update is split in two."""
    assert _key_with_no_equals(lambda k, v: (v, v)) == [("1", 1, 8), ("1", 0, 9), ("1", 1, 9)]


def test_no_equals_and_same_object() -> None:
    """KTableAggregateTest.testNoEqualsAndSameObject: the same key object for old and new → one update."""
    assert _key_with_no_equals(lambda k, v: (k, v)) == [("1", 1, 8), ("1", 1, 9)]


# ---------------------------------------------------------------------------------------------- KGroupedTableImplTest
PROPS = streams_config(S, INT)


def _int_projection(key: str, value: float) -> tuple[str, int]:
    return key, int(value)


def _assert_reduced(supplier: MockProcessorSupplier, driver: TopologyTestDriver) -> None:
    topic = driver.create_input_topic("input", S, D)
    topic.pipe_input("A", 1.1, 10)
    topic.pipe_input("B", 2.2, 11)
    last = supplier.the_captured_processor().last_value_and_timestamp_per_key
    assert (last["A"], last["B"]) == (VT(1, 10), VT(2, 11))
    for k, v, ts in [("A", 2.6, 30), ("B", 1.3, 30), ("A", 5.7, 50), ("B", 6.2, 20)]:
        topic.pipe_input(k, v, ts)
    assert (last["A"], last["B"]) == (VT(5, 50), VT(6, 30))


def _reduced_table(materialized: Materialized | None, source_store: bool = True) -> tuple[StreamsBuilder, Any]:
    builder = StreamsBuilder()
    store = Materialized.as_("store").with_key_serde(S).with_value_serde(D) if source_store else None
    table = (
        builder.table("input", Consumed.with_(S, D), store)
        .group_by(_int_projection)
        .reduce(lambda a, b: a + b, lambda a, b: a - b, materialized=materialized)
    )
    return builder, table


def test_reduce() -> None:
    """KGroupedTableImplTest.shouldReduce."""
    builder, reduced = _reduced_table(Materialized.as_("reduced"))
    supplier = MockProcessorSupplier()
    reduced.to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _assert_reduced(supplier, driver)
    assert reduced.queryable_store_name() == "reduced"


def test_reduce_with_internal_store_name() -> None:
    """KGroupedTableImplTest.shouldReduceWithInternalStoreName."""
    builder, reduced = _reduced_table(None)
    supplier = MockProcessorSupplier()
    reduced.to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _assert_reduced(supplier, driver)
    assert reduced.queryable_store_name() is None


def test_reduce_and_materialize_results() -> None:
    """KGroupedTableImplTest.shouldReduceAndMaterializeResults."""
    builder, reduced = _reduced_table(Materialized.as_("reduce").with_key_serde(S).with_value_serde(INT), False)
    supplier = MockProcessorSupplier()
    reduced.to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _assert_reduced(supplier, driver)
        store = driver.get_timestamped_key_value_store("reduce")
        assert (store.get("A"), store.get("B")) == (VT(5, 50), VT(6, 30))


def _process_data(driver: TopologyTestDriver) -> None:
    topic = driver.create_input_topic("input", S, S)
    for k, v, ts in [("A", "1", 10), ("B", "1", 50), ("C", "1", 30), ("D", "2", 40), ("E", "2", 60)]:
        topic.pipe_input(k, v, ts)


def test_count_and_materialize_results() -> None:
    """KGroupedTableImplTest.shouldCountAndMaterializeResults."""
    builder = StreamsBuilder()
    (
        builder.table("input", CONSUMED)
        .group_by(select_value_key_value_mapper, GROUPED)
        .count(materialized=Materialized.as_("count").with_key_serde(S).with_value_serde(L))
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        counts = driver.get_timestamped_key_value_store("count")
        assert (counts.get("1"), counts.get("2")) == (VT(3, 50), VT(2, 60))


def test_aggregate_and_materialize_results() -> None:
    """KGroupedTableImplTest.shouldAggregateAndMaterializeResults."""
    builder = StreamsBuilder()
    (
        builder.table("input", CONSUMED)
        .group_by(select_value_key_value_mapper, GROUPED)
        .aggregate(STRING_INIT, TOSTRING_ADDER, TOSTRING_REMOVER,
                   materialized=Materialized.as_("aggregate").with_value_serde(S).with_key_serde(S))
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        agg = driver.get_timestamped_key_value_store("aggregate")
        assert (agg.get("1"), agg.get("2")) == (VT("0+1+1+1", 50), VT("0+2+2", 60))


def _grouped_table() -> Any:
    return StreamsBuilder().table("blah", CONSUMED).group_by(select_value_key_value_mapper)


def test_invalid_store_names() -> None:
    """KGroupedTableImplTest.shouldNotAllowInvalidStoreNameOnAggregate / OnReduce."""
    with pytest.raises(TopologyError, match='Name "~foo bar~" is illegal'):
        _grouped_table().aggregate(STRING_INIT, TOSTRING_ADDER, TOSTRING_REMOVER,
                                   materialized=Materialized.as_("~foo bar~"))


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda g: g.aggregate(None, TOSTRING_ADDER, TOSTRING_REMOVER), "initializer"),
        (lambda g: g.aggregate(STRING_INIT, None, TOSTRING_REMOVER), "adder"),
        (lambda g: g.aggregate(STRING_INIT, TOSTRING_ADDER, None), "subtractor"),
        (lambda g: g.reduce(None, STRING_REMOVER), "adder"),
        (lambda g: g.reduce(STRING_ADDER, None), "subtractor"),
    ],
)
def test_non_callable_arguments(call: Any, argument: str) -> None:
    """KGroupedTableImplTest.shouldNotAllowNull{Initializer,Adder,Subtractor}On{Aggregate,Reduce}: the message names
    the argument; nothing is added to the topology."""
    with pytest.raises(TopologyError, match=argument):
        call(_grouped_table())


def test_named_aggregation_and_grouped_repartition_names() -> None:
    """KGroupedTableImpl.doAggregate: Named gives ``<name>-sink`` / ``<name>-source`` / ``<name>`` (numbers still
    burnt); Grouped's name names the select processor and the topic ``<grouped name>-repartition``."""
    builder = StreamsBuilder()
    grouped = builder.table("t", CONSUMED).group_by(select_value_key_value_mapper, Grouped.as_("g"))
    grouped.count(Named.as_("cnt")).to_stream().to("out")
    sub = builder.build().describe().subtopologies
    assert sorted(n.name for n in sub[0].nodes) == ["KSTREAM-SOURCE-0000000001", "KTABLE-SOURCE-0000000002", "cnt-sink",
                                                    "g"]
    assert sorted(n.name for n in sub[1].nodes) == ["KSTREAM-SINK-0000000009", "KTABLE-TOSTREAM-0000000008", "cnt",
                                                    "cnt-source"]
    with TopologyTestDriver(builder.build(), {"application.id": "app"}) as driver:
        driver.create_input_topic("t", S, S).pipe_input("k", "v", 1)
        assert "app-g-repartition" in driver.produced_topic_names()


# ---------------------------------------------------------------------------------------------- Change serde
@pytest.mark.parametrize(
    ("change", "frame"),
    [
        (Change("new", None), b"new\x01"),
        (Change(None, "old"), b"old\x00"),
        (Change("new", "old"), b"\x06newold\x02"),  # zig-zag varint 3 → 6
    ],
)
def test_change_serde_frames(change: Change, frame: bytes) -> None:
    """ChangedSerializer: {old}{0}, {new}{1}, {varint len(new)}{new}{old}{2}; the deserializer reads them back."""
    serde = ChangeSerde(S)
    assert serde.serialize("t", change) == frame
    assert serde.deserialize("t", frame) == change


def test_change_serde_reads_versioned_frames_and_rejects_nulls() -> None:
    """ChangedDeserializer reads the is-latest frames 3-5; ChangedSerializer refuses Change(None, None)."""
    serde = ChangeSerde(S)
    assert serde.deserialize("t", b"old\x01\x03") == Change(None, "old")
    assert serde.deserialize("t", b"new\x01\x04") == Change("new", None)
    assert serde.deserialize("t", b"\x06newold\x01\x05") == Change("new", "old")
    long_value = "x" * 300
    assert serde.deserialize("t", serde.serialize("t", Change(long_value, "o"))) == Change(long_value, "o")
    with pytest.raises(SerializationError, match="Both old and new values are null"):
        serde.serialize("t", Change(None, None))
