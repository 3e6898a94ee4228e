"""KTable.join / left_join / outer_join with a KTable, value for value as Kafka's KTableKTableInnerJoinTest,
KTableKTableLeftJoinTest and KTableKTableOuterJoinTest (streams/src/test/java/org/apache/kafka/streams/kstream/
internals/).

All three Kafka tests pipe one script (below: ``PHASES``) and differ in the expected results, so each case here
runs that script once per join kind. Kafka's script pipes records out of timestamp order across the two topics,
which the runtime (choosing the next record by timestamp) processes in another order: those cases are not
replayed; ``test_in_timestamp_order_replays`` runs an in-order script that is.

Left out, and why:

- ``shouldLogAndMeterSkippedRecordsDueToNullLeftKey`` (all three): builds a join processor by hand with Kafka's
  MockProcessorContext and a log-capture appender; here the null-key records of the script check the same drop
  (``test_null_key_is_dropped_and_counted`` checks the warning and the ``dropped`` counter).
- ``KTableKTableLeftJoinTest.shouldNotThrowIllegalStateExceptionWhenMultiCacheEvictions``: reproduces a Java
  cache-eviction bug (KAFKA-4492) with random input and asserts nothing but the absence of an exception; it
  needs record caches, which the DSL stores do not have yet.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams_nb.dsl import Change, Consumed, Materialized, Named, StreamsBuilder
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

from ._support import KeyValueTimestamp as KVT
from ._support import MockProcessorSupplier, streams_config

INT, S = Serdes.integer(), Serdes.string()
PROPS = streams_config(INT, S, **{"statestore.cache.max.bytes": 0})
CONSUMED = Consumed.with_(INT, S)
KEYS = [0, 1, 2, 3]
KINDS = ("inner", "left", "outer")
OUT_OF_ORDER = pytest.mark.replay_refused("Kafka's script pipes the two topics out of timestamp order")


def _s(v: Any) -> str:
    return "null" if v is None else str(v)


def TOSTRING_JOINER(left: Any, right: Any) -> str:
    """MockValueJoiner.TOSTRING_JOINER."""
    return f"{_s(left)}+{_s(right)}"


# Kafka's script: (topic, [(key, value, timestamp)]) per phase; each phase is checked before the next
PHASES: list[tuple[str, list[tuple[Any, Any, int]]]] = [
    ("topic1", [(0, "X0", 5), (1, "X1", 6), (None, "SomeVal", 42)]),
    ("topic2", [(0, "Y0", 0), (1, "Y1", 10), (None, "AnotherVal", 73)]),
    ("topic1", [(k, f"XX{k}", 7) for k in KEYS]),
    ("topic2", [(k, f"YY{k}", k * 5) for k in KEYS]),
    ("topic1", [(k, f"XXX{k}", 6) for k in KEYS]),
    ("topic2", [(0, None, 5), (1, None, 7)]),
    ("topic1", [(k, f"XXXX{k}", 13) for k in KEYS]),
    ("topic1", [(0, None, 0), (1, None, 42), (2, None, 5), (3, None, 20)]),
]

# the result updates per phase, as (key, new, old, timestamp): old is what the sending-old-values tests expect
_SHARED: list[list[tuple[Any, Any, Any, int]]] = [
    [(0, "X0+Y0", None, 5), (1, "X1+Y1", None, 10)],
    [(0, "XX0+Y0", "X0+Y0", 7), (1, "XX1+Y1", "X1+Y1", 10)],
    [(0, "XX0+YY0", "XX0+Y0", 7), (1, "XX1+YY1", "XX1+Y1", 7)],
    [(0, "XXX0+YY0", "XX0+YY0", 6), (1, "XXX1+YY1", "XX1+YY1", 6),
     (2, "XXX2+YY2", "XX2+YY2", 10), (3, "XXX3+YY3", "XX3+YY3", 15)],
]
EXPECTED: dict[str, list[list[tuple[Any, Any, Any, int]]]] = {
    "inner": [
        [], _SHARED[0], _SHARED[1],
        _SHARED[2] + [(2, "XX2+YY2", None, 10), (3, "XX3+YY3", None, 15)],
        _SHARED[3],
        [(0, None, "XXX0+YY0", 6), (1, None, "XXX1+YY1", 7)],
        [(2, "XXXX2+YY2", "XXX2+YY2", 13), (3, "XXXX3+YY3", "XXX3+YY3", 15)],
        [(2, None, "XXXX2+YY2", 10), (3, None, "XXXX3+YY3", 20)],
    ],
    "left": [
        [(0, "X0+null", None, 5), (1, "X1+null", None, 6)],
        [(0, "X0+Y0", "X0+null", 5), (1, "X1+Y1", "X1+null", 10)],
        _SHARED[1] + [(2, "XX2+null", None, 7), (3, "XX3+null", None, 7)],
        _SHARED[2] + [(2, "XX2+YY2", "XX2+null", 10), (3, "XX3+YY3", "XX3+null", 15)],
        _SHARED[3],
        [(0, "XXX0+null", "XXX0+YY0", 6), (1, "XXX1+null", "XXX1+YY1", 7)],
        [(0, "XXXX0+null", "XXX0+null", 13), (1, "XXXX1+null", "XXX1+null", 13),
         (2, "XXXX2+YY2", "XXX2+YY2", 13), (3, "XXXX3+YY3", "XXX3+YY3", 15)],
        [(0, None, "XXXX0+null", 0), (1, None, "XXXX1+null", 42),
         (2, None, "XXXX2+YY2", 10), (3, None, "XXXX3+YY3", 20)],
    ],
}
EXPECTED["outer"] = [*EXPECTED["left"][:7], [
    (0, None, "XXXX0+null", 0), (1, None, "XXXX1+null", 42),
    (2, "null+YY2", "XXXX2+YY2", 10), (3, "null+YY3", "XXXX3+YY3", 20)]]

#: which tables send old values once the join is built (Kafka's sendingOldValueEnabled asserts)
OLD_VALUES_AFTER_JOIN = {"inner": (False, False), "left": (True, False), "outer": (True, True)}


def _tables(kind: str, **options: Any) -> tuple[StreamsBuilder, Any, Any, Any]:
    builder = StreamsBuilder()
    table1 = builder.table("topic1", CONSUMED)
    table2 = builder.table("topic2", CONSUMED)
    joined = getattr(table1, {"inner": "join", "left": "left_join", "outer": "outer_join"}[kind])(
        table2, TOSTRING_JOINER, **options)
    return builder, table1, table2, joined


def _run(builder_or_topology: Any, check: Any) -> None:
    topology = builder_or_topology.build() if isinstance(builder_or_topology, StreamsBuilder) else builder_or_topology
    with TopologyTestDriver(topology, PROPS) as driver:
        inputs = {t: driver.create_input_topic(t, INT, S, 0, 0) for t in ("topic1", "topic2")}
        for phase, (topic, records) in enumerate(PHASES):
            for key, value, ts in records:
                inputs[topic].pipe_input(key, value, ts)
            check(driver, phase)


@OUT_OF_ORDER
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("materialized", [None, Materialized.with_(INT, S)], ids=["plain", "queryable"])
def test_join(kind: str, materialized: Any) -> None:
    """KTableKTableInnerJoinTest.testJoin / testQueryableJoin, KTableKTableLeftJoinTest.testJoin,
    KTableKTableOuterJoinTest.testJoin: the result table's changelog, and the co-partition group of both
    topics."""
    builder, _, _, joined = _tables(kind, materialized=materialized)
    joined.to_stream().to("output")
    topology = builder.build()
    assert topology._builder.copartition_groups == [{"topic1", "topic2"}]
    outputs: list[Any] = []

    def check(driver: TopologyTestDriver, phase: int) -> None:
        if not outputs:
            outputs.append(driver.create_output_topic("output", INT, S))
        got = [(r.key, r.value, r.timestamp) for r in outputs[0].read_records_to_list()]
        assert got == [(k, new, ts) for k, new, _, ts in EXPECTED[kind][phase]], f"phase {phase}"

    _run(topology, check)


def _check_processor(kind: str, supplier: MockProcessorSupplier, send_old: bool) -> Any:
    def check(driver: TopologyTestDriver, phase: int) -> None:
        supplier.the_captured_processor().check_and_clear_process_result(*[
            KVT(k, Change(new, old if send_old else None), ts) for k, new, old, ts in EXPECTED[kind][phase]])

    return check


@OUT_OF_ORDER
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("materialized", [None, Materialized.with_(INT, S)], ids=["plain", "queryable"])
def test_not_sending_old_values(kind: str, materialized: Any) -> None:
    """KTableKTableInnerJoinTest.testNotSendingOldValues / testQueryableNotSendingOldValues,
    KTableKTableLeftJoinTest.testNotSendingOldValue, KTableKTableOuterJoinTest.testNotSendingOldValue."""
    builder, table1, table2, joined = _tables(kind, materialized=materialized)
    supplier = MockProcessorSupplier()
    topology = builder.build().add_processor("proc", supplier, joined.name)
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == OLD_VALUES_AFTER_JOIN[kind]
    assert joined.sending_old_value_enabled() is False
    _run(topology, _check_processor(kind, supplier, False))


@OUT_OF_ORDER
@pytest.mark.parametrize("kind", KINDS)
def test_sending_old_values(kind: str) -> None:
    """KTableKTableInnerJoinTest.testSendingOldValues, KTableKTableLeftJoinTest.testSendingOldValue,
    KTableKTableOuterJoinTest.testSendingOldValue."""
    builder, table1, table2, joined = _tables(kind)
    assert joined.enable_sending_old_values(True) is True
    assert (table1.sending_old_value_enabled(), table2.sending_old_value_enabled()) == (True, True)
    assert joined.sending_old_value_enabled() is True
    supplier = MockProcessorSupplier()
    topology = builder.build().add_processor("proc", supplier, joined.name)
    _run(topology, _check_processor(kind, supplier, True))


IN_ORDER = [("topic1", 0, "a", 1), ("topic2", 0, "b", 2), ("topic1", 1, "c", 3), ("topic2", 1, "d", 4),
            ("topic2", 0, None, 5), ("topic1", 1, None, 6), ("topic2", 2, "e", 7)]
IN_ORDER_EXPECTED = {
    "inner": [(0, "a+b", 2), (1, "c+d", 4), (0, None, 5), (1, None, 6)],
    "left": [(0, "a+null", 1), (0, "a+b", 2), (1, "c+null", 3), (1, "c+d", 4), (0, "a+null", 5), (1, None, 6)],
    "outer": [(0, "a+null", 1), (0, "a+b", 2), (1, "c+null", 3), (1, "c+d", 4), (0, "a+null", 5),
              (1, "null+d", 6), (2, "null+e", 7)],
}


@pytest.mark.parametrize("kind", KINDS)
def test_in_timestamp_order_replays(kind: str) -> None:
    """The processors of KTableKTableInnerJoin / LeftJoin / RightJoin / OuterJoin on a script piped in timestamp
    order (so it replays on the runtime): a delete on one side deletes an existing result (inner, and left on
    its left side), or leaves the other side's half (left join's right side, outer)."""
    builder, _, _, joined = _tables(kind)
    joined.to_stream().to("output")
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        inputs = {t: driver.create_input_topic(t, INT, S) for t in ("topic1", "topic2")}
        for topic, key, value, ts in IN_ORDER:
            inputs[topic].pipe_input(key, value, ts)
        got = driver.create_output_topic("output", INT, S).read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in got] == IN_ORDER_EXPECTED[kind]


def test_join_of_unmaterialized_join_reads_through_value_getters() -> None:
    """A join result that is not materialized is read by a further join through both sides' stores
    (Kafka's KTableKTableJoinMerger.view / KTableKTableInnerJoinValueGetter)."""
    builder = StreamsBuilder()
    t1, t2, t3 = (builder.table(t, CONSUMED) for t in ("t1", "t2", "t3"))
    t1.join(t2, TOSTRING_JOINER).join(t3, TOSTRING_JOINER).to_stream().to("output")
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        pipe = {t: driver.create_input_topic(t, INT, S).pipe_input for t in ("t1", "t2", "t3")}
        pipe["t1"](0, "a", 1)
        pipe["t2"](0, "b", 2)
        pipe["t3"](0, "c", 3)
        pipe["t3"](0, "d", 4)
        pipe["t1"](0, "x", 5)
        pipe["t2"](0, None, 6)
        got = driver.create_output_topic("output", INT, S).read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in got] == [
        (0, "a+b+c", 3), (0, "a+b+d", 4), (0, "x+b+d", 5), (0, None, 6)]


def test_null_key_is_dropped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    """KTableKTable{Inner,Left,Outer}JoinTest.shouldLogAndMeterSkippedRecordsDueToNullLeftKey, through the join
    processor itself (the table source drops null keys before a join sees them)."""
    from kstreams_nb.dsl.join_table_table import KTableKTableJoinSupplier
    from kstreams_nb.records import Record

    builder = StreamsBuilder()
    left, right = builder.table("left"), builder.table("right")
    processor: Any = KTableKTableJoinSupplier("inner", left, right, lambda k, a, b: a)()

    class Context:  # Kafka's MockProcessorContext with setRecordMetadata("left", -1, -2)
        record_metadata = SimpleNamespace(topic="left", partition=-1, offset=-2)

        def get_state_store(self, name: str) -> Any:
            return {}

    processor.init(Context())
    with caplog.at_level(logging.WARNING):
        processor.process(Record(None, Change("new", "old"), 0))
    assert processor.dropped == 1
    assert "Skipping record due to null key. topic=[left] partition=[-1] offset=[-2]" in caplog.text


def test_names_and_stores() -> None:
    """Kafka's KTableImpl.doJoin naming: an unnamed Materialized burns KTABLE-MERGE-STATE-STORE- first, then the
    merge, join-this and join-other numbers; Named gives ``<name>``, ``<name>-join-this``, ``<name>-join-other``."""
    builder, _, _, joined = _tables("left", materialized=Materialized.with_(INT, S))
    assert joined.name == "KTABLE-MERGE-0000000007"
    assert joined.queryable_store_name() == "KTABLE-MERGE-STATE-STORE-0000000006"
    text = str(builder.build().describe())
    assert "Processor: KTABLE-JOINTHIS-0000000008 (stores: [topic2-STATE-STORE-0000000003])" in text
    assert "Processor: KTABLE-JOINOTHER-0000000009 (stores: [topic1-STATE-STORE-0000000000])" in text
    assert "Processor: KTABLE-MERGE-0000000007 (stores: [KTABLE-MERGE-STATE-STORE-0000000006])" in text

    builder, _, _, joined = _tables("outer", named=Named.as_("j"), materialized=Materialized.as_("js"))
    assert (joined.name, joined.queryable_store_name()) == ("j", "js")
    text = str(builder.build().describe())
    for line in ("Processor: j-join-this (stores: [topic2-STATE-STORE-0000000003])",
                 "Processor: j-join-other (stores: [topic1-STATE-STORE-0000000000])",
                 "Processor: j (stores: [js])", "<-- j-join-this, j-join-other"):
        assert line in text
    builder, _, _, joined = _tables("inner", named="k")
    assert joined.name == "k" and joined.queryable_store_name() is None


def test_bad_arguments() -> None:
    """A join needs a KTable and a callable joiner; the errors say which."""
    builder = StreamsBuilder()
    table = builder.table("topic1")
    with pytest.raises(TypeError, match="other"):
        table.join(builder.stream("s"), TOSTRING_JOINER)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="joiner"):
        table.left_join(builder.table("topic2"), "not callable")  # type: ignore[arg-type]


def test_filter_of_a_join_gets_old_values() -> None:
    """KTableFilter on a join result asks for old values (Kafka's KTableFilter / KTableKTableJoinMerger
    .enableSendingOldValues): the join then sends them, so a result leaving the filter is deleted once."""
    builder, _, table2, joined = _tables("left")
    joined.filter(lambda k, v: "Y" in v).to_stream().to("output")
    assert joined.sending_old_value_enabled() and table2.sending_old_value_enabled()
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        pipe = {t: driver.create_input_topic(t, INT, S).pipe_input for t in ("topic1", "topic2")}
        pipe["topic1"](0, "X0", 1)
        pipe["topic2"](0, "Y0", 2)
        pipe["topic2"](0, None, 3)
        pipe["topic1"](0, "XX0", 4)
        got = driver.create_output_topic("output", INT, S).read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in got] == [(0, "X0+Y0", 2), (0, None, 3)]
