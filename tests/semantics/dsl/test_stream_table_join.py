"""Stream-table joins, value for value as Kafka's tests (streams/src/test/java/org/apache/kafka/streams/kstream/
internals/): KStreamKTableJoinTest, KStreamKTableLeftJoinTest, KStreamGlobalKTableJoinTest and
KStreamGlobalKTableLeftJoinTest.

Left out, and why:
- KStreamKTableJoinTest.shouldFailIfTableIsNotVersioned, shouldFailIfTableIsNotVersionedButMaterializationIs
  Inherited, shouldNotFailIfTableIsVersionedButMaterializationIsInherited, shouldFailIfGracePeriodIsLongerThan
  HistoryRetention(AndInheritedStore), shouldDelayJoinByGracePeriod, shouldHandleLateJoinsWithGracePeriod: a
  ``Joined`` grace period needs a versioned table store, which this library does not have yet (the join refuses a
  grace period with a TopologyError instead: :func:`test_grace_period_is_refused_until_versioned_tables_exist`).
- The versioned-store variants of KStreamGlobalKTable(Left)JoinTest (``initWithVersionedStore``): same reason.
- The "meter" half of shouldLogAndMeterWhenSkippingNullLeftKey/Value: processors have no dropped-records sensor
  here; the join processor counts drops in its ``dropped`` attribute, which is checked instead.

Kafka's inputs pipe stream and table records out of timestamp order across the two topics (Kafka's test driver
processes them in pipe order; a running application processes a task's partitions in timestamp order), so those
sessions are marked ``replay_refused``; each scenario is replayed on the runtime in an ``*_in_time_order`` variant:
the same inputs at strictly increasing timestamps. Global-table sessions are never replayed (see conftest).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, GlobalKTable, Joined, Materialized, Produced, StreamsBuilder
from kstreams_nb.dsl.join_stream_table import _StreamTableJoin
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

from ._support import KeyValueTimestamp as KVT
from ._support import MockProcessorSupplier, dropped_records_total, streams_config

S, INT = Serdes.string(), Serdes.integer()
STREAM_TOPIC, TABLE_TOPIC, GLOBAL_TOPIC, OUTPUT = "streamTopic", "tableTopic", "globalTableTopic", "output"
EXPECTED_KEYS = [0, 1, 2, 3]
OUT_OF_ORDER = pytest.mark.replay_refused(
    "Kafka's inputs pipe stream and table records out of timestamp order across topics")
NO_TABLE_RECORDS = pytest.mark.replay_refused(
    "the table topic gets no records, and the replay creates only the topics records are piped to")


def tostring_joiner(left: Any, right: Any) -> str:
    """MockValueJoiner.TOSTRING_JOINER (Java prints null as "null")."""
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


class StreamTableCase:
    """The setUp of KStreamKTable(Left)JoinTest: stream(streamTopic).join(table(tableTopic)) into a MockProcessor
    (and into ``output``, so the runtime replay compares what the join forwards)."""

    def __init__(self, left: bool, in_time_order: bool = False) -> None:
        self.left = left
        self.builder = StreamsBuilder()
        consumed = Consumed.with_(INT, S)
        stream = self.builder.stream(STREAM_TOPIC, consumed)
        table = self.builder.table(TABLE_TOPIC, consumed)
        joined = (stream.left_join if left else stream.join)(table, tostring_joiner)
        self.supplier = MockProcessorSupplier()
        joined.process(self.supplier)
        joined.to(OUTPUT, Produced.with_(INT, S))
        self.driver = TopologyTestDriver(self.builder.build(), streams_config(INT, S))
        self.stream_topic = self.driver.create_input_topic(STREAM_TOPIC, INT, S, 0, 0)
        self.table_topic = self.driver.create_input_topic(TABLE_TOPIC, INT, S, 0, 0)
        self.processor = self.supplier.the_captured_processor()
        self.random = random.Random(20241025)
        #: in time order, every record is piped at the next timestamp; otherwise at Kafka's
        self.clock = 0 if in_time_order else None

    def _ts(self, kafka_ts: int) -> int:
        if self.clock is None:
            return kafka_ts
        self.clock += 1
        return self.clock

    def push_to_stream(self, count: int, prefix: str) -> list[int]:
        """pushToStream; returns the timestamps used."""
        used = []
        for i in range(count):
            ts = self._ts(i)
            used.append(ts)
            self.stream_topic.pipe_input(EXPECTED_KEYS[i], f"{prefix}{EXPECTED_KEYS[i]}", ts)
        return used

    def push_to_table(self, count: int, prefix: str) -> None:
        """pushToTable (Kafka's random timestamps come from a seeded generator here)."""
        for i in range(count):
            ts = self._ts(self.random.randrange(2**31 - 1))
            self.table_topic.pipe_input(EXPECTED_KEYS[i], f"{prefix}{EXPECTED_KEYS[i]}", ts)

    def push_null_value_to_table(self, count: int) -> None:
        """pushNullValueToTable (timestamp 0: the input topic does not advance)."""
        for i in range(count):
            self.table_topic.pipe_input(EXPECTED_KEYS[i], None, self._ts(0))

    def check(self, *expected: KVT) -> None:
        self.processor.check_and_clear_process_result(*expected)


@pytest.fixture
def inner() -> Iterator[StreamTableCase]:
    case = StreamTableCase(left=False)
    with case.driver:
        yield case


@pytest.fixture
def left() -> Iterator[StreamTableCase]:
    case = StreamTableCase(left=True)
    with case.driver:
        yield case


@pytest.fixture(params=[
    pytest.param((False, False), id="join", marks=OUT_OF_ORDER),
    pytest.param((True, False), id="left_join", marks=OUT_OF_ORDER),
    pytest.param((False, True), id="join_in_time_order"),
    pytest.param((True, True), id="left_join_in_time_order"),
])
def case(request: pytest.FixtureRequest) -> Iterator[StreamTableCase]:
    """A join and a left join, at Kafka's timestamps (not replayed) and in time order (replayed)."""
    is_left, in_time_order = request.param
    built = StreamTableCase(is_left, in_time_order)
    with built.driver:
        yield built


def misses(case: StreamTableCase, *records: KVT) -> list[KVT]:
    """The records only a left join forwards."""
    return list(records) if case.left else []


# ------------------------------------------------------------------------- KStreamKTableJoinTest / LeftJoinTest
@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_should_require_copartitioned_streams(is_left: bool) -> None:
    """KStreamKTableJoinTest / KStreamKTableLeftJoinTest.shouldRequireCopartitionedStreams."""
    built = StreamTableCase(is_left)
    built.driver.close()
    groups = built.builder.build().internal_builder.copartition_groups
    assert groups == [{STREAM_TOPIC, TABLE_TOPIC}]


@NO_TABLE_RECORDS
@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_should_not_join_or_join_with_null_on_an_empty_table(is_left: bool) -> None:
    """KStreamKTableJoinTest.shouldNotJoinWithEmptyTableOnStreamUpdates /
    KStreamKTableLeftJoinTest.shouldJoinWithEmptyTableOnStreamUpdates."""
    built = StreamTableCase(is_left)
    with built.driver:
        built.push_to_stream(2, "X")
        built.check(*misses(built, KVT(0, "X0+null", 0), KVT(1, "X1+null", 1)))


def test_should_not_join_on_table_updates(case: StreamTableCase) -> None:
    """KStreamKTableJoinTest / KStreamKTableLeftJoinTest.shouldNotJoinOnTableUpdates."""
    t = case.push_to_stream(2, "X")
    case.check(*misses(case, KVT(0, "X0+null", t[0]), KVT(1, "X1+null", t[1])))
    case.push_to_table(2, "Y")
    case.check()
    t = case.push_to_stream(4, "X")
    case.check(KVT(0, "X0+Y0", t[0]), KVT(1, "X1+Y1", t[1]),
               *misses(case, KVT(2, "X2+null", t[2]), KVT(3, "X3+null", t[3])))
    case.push_to_table(4, "YY")
    case.check()
    t = case.push_to_stream(4, "X")
    case.check(*(KVT(k, f"X{k}+YY{k}", t[k]) for k in EXPECTED_KEYS))
    case.push_to_table(4, "YYY")
    case.check()


def test_should_join_only_if_match_found_or_regardless(case: StreamTableCase) -> None:
    """KStreamKTableJoinTest.shouldJoinOnlyIfMatchFoundOnStreamUpdates /
    KStreamKTableLeftJoinTest.shouldJoinRegardlessIfMatchFoundOnStreamUpdates."""
    case.push_to_table(2, "Y")
    case.check()
    t = case.push_to_stream(4, "X")
    case.check(KVT(0, "X0+Y0", t[0]), KVT(1, "X1+Y1", t[1]),
               *misses(case, KVT(2, "X2+null", t[2]), KVT(3, "X3+null", t[3])))


def test_should_clear_table_entry_on_null_value_updates(case: StreamTableCase) -> None:
    """KStreamKTableJoinTest / KStreamKTableLeftJoinTest.shouldClearTableEntryOnNullValueUpdates."""
    case.push_to_table(4, "Y")
    case.check()
    t = case.push_to_stream(4, "X")
    case.check(*(KVT(k, f"X{k}+Y{k}", t[k]) for k in EXPECTED_KEYS))
    case.push_null_value_to_table(2)
    case.check()
    t = case.push_to_stream(4, "XX")
    case.check(*misses(case, KVT(0, "XX0+null", t[0]), KVT(1, "XX1+null", t[1])),
               KVT(2, "XX2+Y2", t[2]), KVT(3, "XX3+Y3", t[3]))


@NO_TABLE_RECORDS
@pytest.mark.parametrize(("key", "value"), [(None, "A"), (1, None)], ids=["null_key", "null_value"])
def test_join_should_log_and_count_when_skipping_null_left_key_or_value(
    inner: StreamTableCase, caplog: pytest.LogCaptureFixture, key: Any, value: Any
) -> None:
    """KStreamKTableJoinTest.shouldLogAndMeterWhenSkippingNullLeftKey / shouldLogAndMeterWhenSkippingNullLeftValue
    (the drop is counted in the task's dropped-records metric, as Kafka's test reads it)."""
    assert dropped_records_total(inner.driver) == 0.0
    with caplog.at_level(logging.WARNING):
        inner.stream_topic.pipe_input(key, value)
    assert ("Skipping record due to null join key or value. topic=[streamTopic] partition=[0] offset=[0]"
            in caplog.messages)
    inner.check()
    join = next(p for p in _processors(inner.driver) if isinstance(p, _StreamTableJoin))
    assert join.dropped == 1
    assert dropped_records_total(inner.driver) == 1.0


def _processors(driver: TopologyTestDriver) -> list[Any]:
    task = driver._task
    assert task is not None
    return [node.processor for node in task.nodes.values() if hasattr(node, "processor")]


def test_left_join_keeps_a_null_key_record_with_a_value(left: StreamTableCase) -> None:
    """KStreamKTableJoinProcessor.maybeDropRecord (Kafka >= 3.7, KIP-962): a left join does not drop a null-key
    record that has a value; it is joined with null. A null value is still dropped."""
    left.push_to_table(1, "Y")
    left.stream_topic.pipe_input(None, "A", 5)
    left.stream_topic.pipe_input(None, None, 6)
    left.check(KVT(None, "A+null", 5))


# ------------------------------------------------------------------------------------------------ describe() text
def _rekeyed_joins(first: Joined | None, second: Joined | None) -> str:
    builder = StreamsBuilder()
    consumed = Consumed.with_(S, S)
    stream_a = builder.stream("topic", consumed)
    table_b = builder.table("topic2", consumed)
    table_c = builder.table("topic3", consumed)
    rekeyed = stream_a.map(lambda k, v: (v, k))
    rekeyed.join(table_b, lambda v1, v2: v1 + v2, joined=first).to("out-one")
    rekeyed.join(table_c, lambda v1, v2: v1 + v2, joined=second).to("out-two")
    return str(builder.build({"topology.optimization": "none"}).describe())


def test_should_reuse_repartition_topic_with_generated_name() -> None:
    """KStreamKTableJoinTest.shouldReuseRepartitionTopicWithGeneratedName."""
    assert _rekeyed_joins(None, None) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
        "      --> KSTREAM-MAP-0000000007\n"
        "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-MAP-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: KSTREAM-MAP-0000000007-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000009\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000010 (topics: [KSTREAM-MAP-0000000007-repartition])\n"
        "      --> KSTREAM-JOIN-0000000011, KSTREAM-JOIN-0000000016\n"
        "    Processor: KSTREAM-JOIN-0000000011 (stores: [topic2-STATE-STORE-0000000001])\n"
        "      --> KSTREAM-SINK-0000000012\n"
        "      <-- KSTREAM-SOURCE-0000000010\n"
        "    Processor: KSTREAM-JOIN-0000000016 (stores: [topic3-STATE-STORE-0000000004])\n"
        "      --> KSTREAM-SINK-0000000017\n"
        "      <-- KSTREAM-SOURCE-0000000010\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"
        "      --> KTABLE-SOURCE-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"
        "      <-- KSTREAM-JOIN-0000000011\n"
        "    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"
        "      <-- KSTREAM-JOIN-0000000016\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000005\n\n"
    )


def test_should_create_repartition_topics_with_user_provided_name() -> None:
    """KStreamKTableJoinTest.shouldCreateRepartitionTopicsWithUserProvidedName."""
    first = Joined(S, S, S, name="first-join")
    second = Joined(S, S, S, name="second-join")
    assert _rekeyed_joins(first, second) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
        "      --> KSTREAM-MAP-0000000007\n"
        "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
        "      --> first-join-repartition-filter, second-join-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: first-join-repartition-filter (stores: [])\n"
        "      --> first-join-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000007\n"
        "    Processor: second-join-repartition-filter (stores: [])\n"
        "      --> second-join-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000007\n"
        "    Sink: first-join-repartition-sink (topic: first-join-repartition)\n"
        "      <-- first-join-repartition-filter\n"
        "    Sink: second-join-repartition-sink (topic: second-join-repartition)\n"
        "      <-- second-join-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: first-join-repartition-source (topics: [first-join-repartition])\n"
        "      --> first-join\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Processor: first-join (stores: [topic2-STATE-STORE-0000000001])\n"
        "      --> KSTREAM-SINK-0000000012\n"
        "      <-- first-join-repartition-source\n"
        "    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"
        "      <-- first-join\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
        "\n"
        "  Sub-topology: 2\n"
        "    Source: second-join-repartition-source (topics: [second-join-repartition])\n"
        "      --> second-join\n"
        "    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"
        "      --> KTABLE-SOURCE-0000000006\n"
        "    Processor: second-join (stores: [topic3-STATE-STORE-0000000004])\n"
        "      --> KSTREAM-SINK-0000000017\n"
        "      <-- second-join-repartition-source\n"
        "    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"
        "      <-- second-join\n"
        "    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000005\n\n"
    )


def test_grace_period_is_refused_until_versioned_tables_exist() -> None:
    """KStreamKTableJoinTest's grace-period cases need a versioned table: refused with what to do instead."""
    builder = StreamsBuilder()
    stream = builder.stream("topic")
    table = builder.table("topic2")
    with pytest.raises(TopologyError, match="grace period needs a versioned table"):
        stream.join(table, lambda a, b: a + b, joined=Joined(name="first-join", grace_period=6))


# ------------------------------------------------------------------------- KStreamGlobalKTable(Left)JoinTest
def key_mapper(key: Any, value: str) -> str | None:
    """The test's keyMapper: the second comma-separated token of the value is the global table's key."""
    tokens = value.split(",")
    return tokens[1] if len(tokens) > 1 else None


class GlobalCase:
    """The setUp of KStreamGlobalKTable(Left)JoinTest."""

    def __init__(self, left: bool) -> None:
        self.builder = StreamsBuilder()
        stream = self.builder.stream(STREAM_TOPIC, Consumed.with_(INT, S))
        self.table = self.builder.global_table(GLOBAL_TOPIC, Consumed.with_(S, S))
        joined = (stream.left_join if left else stream.join)(self.table, tostring_joiner, key_selector=key_mapper)
        self.supplier = MockProcessorSupplier()
        joined.process(self.supplier)
        self.driver = TopologyTestDriver(self.builder.build(), streams_config(INT, S))
        self.processor = self.supplier.the_captured_processor()
        # auto-advance stream timestamps by 1 ms, but not global table timestamps
        self.stream_topic = self.driver.create_input_topic(STREAM_TOPIC, INT, S, 0, 1)
        self.table_topic = self.driver.create_input_topic(GLOBAL_TOPIC, S, S)

    def push_to_stream(self, count: int, prefix: str, foreign_key: bool, null_key: bool) -> None:
        for i in range(count):
            value = f"{prefix}{EXPECTED_KEYS[i]}" + (f",FKey{EXPECTED_KEYS[i]}" if foreign_key else "")
            key = None if null_key and i == 0 else EXPECTED_KEYS[i]
            self.stream_topic.pipe_input(key, value)

    def push_to_global_table(self, count: int, prefix: str) -> None:
        for i in range(count):
            self.table_topic.pipe_input(f"FKey{EXPECTED_KEYS[i]}", f"{prefix}{EXPECTED_KEYS[i]}")

    def push_null_value_to_global_table(self, count: int) -> None:
        for i in range(count):
            self.table_topic.pipe_input(f"FKey{EXPECTED_KEYS[i]}", None)

    def check(self, *expected: KVT) -> None:
        self.processor.check_and_clear_process_result(*expected)


@pytest.fixture(params=[False, True], ids=["join", "left_join"])
def global_case(request: pytest.FixtureRequest) -> Iterator[GlobalCase]:
    case = GlobalCase(request.param)
    with case.driver:
        yield case


def test_global_should_not_require_copartitioning(global_case: GlobalCase) -> None:
    """KStreamGlobalKTable(Left)JoinTest.shouldNotRequireCopartitioning."""
    assert global_case.builder.build().internal_builder.copartition_groups == []


@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_global_should_not_join_with_empty_global_table_on_stream_updates(is_left: bool) -> None:
    """KStreamGlobalKTable(Left)JoinTest.shouldNotJoinWithEmptyGlobalTableOnStreamUpdates."""
    case = GlobalCase(is_left)
    with case.driver:
        case.push_to_stream(2, "X", True, False)
        case.check(*([KVT(0, "X0,FKey0+null", 0), KVT(1, "X1,FKey1+null", 1)] if is_left else []))


@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_global_should_not_join_on_global_table_updates(is_left: bool) -> None:
    """KStreamGlobalKTable(Left)JoinTest.shouldNotJoinOnGlobalTableUpdates."""
    case = GlobalCase(is_left)
    with case.driver:
        case.push_to_stream(2, "X", True, False)
        case.check(*([KVT(0, "X0,FKey0+null", 0), KVT(1, "X1,FKey1+null", 1)] if is_left else []))
        case.push_to_global_table(2, "Y")
        case.check()
        case.push_to_stream(4, "X", True, False)
        misses = [KVT(2, "X2,FKey2+null", 4), KVT(3, "X3,FKey3+null", 5)] if is_left else []
        case.check(KVT(0, "X0,FKey0+Y0", 2), KVT(1, "X1,FKey1+Y1", 3), *misses)
        case.push_to_global_table(4, "YY")
        case.check()
        case.push_to_stream(4, "X", True, False)
        case.check(KVT(0, "X0,FKey0+YY0", 6), KVT(1, "X1,FKey1+YY1", 7), KVT(2, "X2,FKey2+YY2", 8),
                   KVT(3, "X3,FKey3+YY3", 9))
        case.push_to_global_table(4, "YYY")
        case.check()


@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_global_join_only_if_match_found_or_regardless(is_left: bool) -> None:
    """KStreamGlobalKTableJoinTest.shouldJoinOnlyIfMatchFoundOnStreamUpdates /
    KStreamGlobalKTableLeftJoinTest.shouldJoinRegardlessIfMatchFoundOnStreamUpdates."""
    case = GlobalCase(is_left)
    with case.driver:
        case.push_to_global_table(2, "Y")
        case.check()
        case.push_to_stream(4, "X", True, False)
        misses = [KVT(2, "X2,FKey2+null", 2), KVT(3, "X3,FKey3+null", 3)] if is_left else []
        case.check(KVT(0, "X0,FKey0+Y0", 0), KVT(1, "X1,FKey1+Y1", 1), *misses)


@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_global_should_clear_global_table_entry_on_null_value_updates(is_left: bool) -> None:
    """KStreamGlobalKTable(Left)JoinTest.shouldClearGlobalTableEntryOnNullValueUpdates."""
    case = GlobalCase(is_left)
    with case.driver:
        case.push_to_global_table(4, "Y")
        case.check()
        case.push_to_stream(4, "X", True, False)
        case.check(*(KVT(k, f"X{k},FKey{k}+Y{k}", k) for k in EXPECTED_KEYS))
        case.push_null_value_to_global_table(2)
        case.check()
        case.push_to_stream(4, "XX", True, False)
        misses = [KVT(0, "XX0,FKey0+null", 4), KVT(1, "XX1,FKey1+null", 5)] if is_left else []
        case.check(*misses, KVT(2, "XX2,FKey2+Y2", 6), KVT(3, "XX3,FKey3+Y3", 7))


def test_global_should_not_join_on_null_key_mapper_values(global_case: GlobalCase) -> None:
    """KStreamGlobalKTable(Left)JoinTest.shouldNotJoinOnNullKeyMapperValues."""
    global_case.push_to_global_table(4, "Y")
    global_case.check()
    global_case.push_to_stream(4, "XXX", False, False)
    global_case.check()


@pytest.mark.parametrize("is_left", [False, True], ids=["join", "left_join"])
def test_global_should_join_on_null_key_with_non_null_key_mapper_values(is_left: bool) -> None:
    """KStreamGlobalKTable(Left)JoinTest.shouldJoinOnNullKeyWithNonNullKeyMapperValues (the inner join's table
    has two entries, the left join's four)."""
    case = GlobalCase(is_left)
    with case.driver:
        case.push_to_global_table(4 if is_left else 2, "Y")
        case.check()
        case.push_to_stream(4, "X", True, True)
        rest = [KVT(2, "X2,FKey2+Y2", 2), KVT(3, "X3,FKey3+Y3", 3)] if is_left else []
        case.check(KVT(None, "X0,FKey0+Y0", 0), KVT(1, "X1,FKey1+Y1", 1), *rest)


def test_global_table_store_is_filled_before_processing_and_queryable_by_name() -> None:
    """StreamsBuilder.globalTable with Materialized.as(name): the global store holds the topic's latest values
    (timestamped), and a named Consumed names the source and processor as Kafka does."""
    builder = StreamsBuilder()
    table = builder.global_table(GLOBAL_TOPIC, Consumed.with_(S, S).with_name("g"), Materialized.as_("gstore"))
    assert isinstance(table, GlobalKTable)
    assert table.queryable_store_name() == "gstore"
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic(GLOBAL_TOPIC, S, S)
        topic.pipe_input("a", "1", 5)
        topic.pipe_input("a", "2", 7)
        topic.pipe_input("b", "3", 9)
        topic.pipe_input("b", None, 11)
        store = driver.get_timestamped_key_value_store("gstore")
        assert (store.get("a").value, store.get("a").timestamp, store.get("b")) == ("2", 7, None)
    description = builder.build().describe()
    assert [n.name for g in description.global_stores for n in (g.source, g.processor)] == ["g-source", "g"]
