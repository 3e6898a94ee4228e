"""Windowed stream-stream joins, value for value as Kafka's KStreamKStreamJoinTest
(streams/src/test/java/org/apache/kafka/streams/kstream/internals/).

Reproduced: testJoin, the first half of testWindowing (every record inside, then at and beyond the window
bounds), shouldReuseRepartitionTopicWithGeneratedName and shouldCreateRepartitionTopicsWithUserProvidedName
(Kafka's expected describe() text), the copartition assertion, and the null key/value drop of
shouldLogAndMeterOnSkippedRecordsWithNullValue (the join processor's ``dropped`` counter stands for the sensor).

Left out, and why:
- KStreamKStreamLeftJoinTest / KStreamKStreamOuterJoinTest: in test_stream_stream_outer_join.py; testOuterJoin
  and shouldThrottleEmitNonJoinedOuterRecordsEvenWhenClockDrift are not transcribed here.
- The custom store supplier and DSL store supplier cases (StreamJoined.with_this_store_supplier...): StreamJoined
  carries no store suppliers here.
- testAsymmetricWindowingAfter/Before: not yet transcribed; test_asymmetric_bounds checks before()/after() bounds.

Kafka pipes every record of testJoin at timestamp 0 on both topics; the runtime orders equal timestamps across
partitions as it likes, so that session is ``replay_refused`` and a time-ordered variant is replayed instead.
"""

from __future__ import annotations

import logging

import pytest

from kstreams_nb.dsl import Consumed, JoinWindows, Produced, StreamJoined, StreamsBuilder
from kstreams_nb.dsl.join_stream_stream import _StreamStreamJoin
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

from ._support import KeyValueTimestamp as KVT
from ._support import MockProcessorSupplier, streams_config

S, INT = Serdes.string(), Serdes.integer()
TOPIC1, TOPIC2, OUTPUT = "topic1", "topic2", "output"
KEYS = [0, 1, 2, 3]


def tostring_joiner(left: object, right: object) -> str:
    """MockValueJoiner.TOSTRING_JOINER (Java prints null as "null")."""
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


class JoinCase:
    """stream(topic1).join(stream(topic2), TOSTRING_JOINER, 100 ms windows) into a MockProcessor and ``output``."""

    def __init__(self, windows: JoinWindows | None = None) -> None:
        self.builder = StreamsBuilder()
        consumed = Consumed.with_(INT, S)
        stream1 = self.builder.stream(TOPIC1, consumed)
        stream2 = self.builder.stream(TOPIC2, consumed)
        joined = stream1.join(
            stream2, tostring_joiner, windows or JoinWindows.of_time_difference_with_no_grace(100),
            stream_joined=StreamJoined.with_(INT, S, S),
        )
        self.supplier = MockProcessorSupplier()
        joined.process(self.supplier)
        joined.to(OUTPUT, Produced.with_(INT, S))
        self.driver = TopologyTestDriver(self.builder.build(), streams_config(INT, S))
        self.topic1 = self.driver.create_input_topic(TOPIC1, INT, S, 0, 0)
        self.topic2 = self.driver.create_input_topic(TOPIC2, INT, S, 0, 0)
        self.processor = self.supplier.the_captured_processor()

    def pipe(self, topic: int, keys: list[int], prefix: str, ts: int | list[int]) -> None:
        t = self.topic1 if topic == 1 else self.topic2
        for i, key in enumerate(keys):
            t.pipe_input(key, f"{prefix}{key}", ts if isinstance(ts, int) else ts[i])

    def check(self, *expected: KVT) -> None:
        self.processor.check_and_clear_process_result(*expected)


def _test_join(in_time_order: bool) -> None:
    case = JoinCase()
    clock = iter(range(1, 100))

    def ts(n: int) -> list[int]:
        return [next(clock) if in_time_order else 0 for _ in range(n)]

    def kvt(key: int, value: str, t: list[int], i: int) -> KVT:
        return KVT(key, value, t[i])

    with case.driver:
        case.pipe(1, KEYS[:2], "A", ts(2))
        case.check()
        t = ts(2)
        case.pipe(2, KEYS[:2], "a", t)
        case.check(kvt(0, "A0+a0", t, 0), kvt(1, "A1+a1", t, 1))
        t = ts(4)
        case.pipe(1, KEYS, "B", t)
        case.check(kvt(0, "B0+a0", t, 0), kvt(1, "B1+a1", t, 1))
        t = ts(4)
        case.pipe(2, KEYS, "b", t)
        case.check(kvt(0, "A0+b0", t, 0), kvt(0, "B0+b0", t, 0), kvt(1, "A1+b1", t, 1), kvt(1, "B1+b1", t, 1),
                   kvt(2, "B2+b2", t, 2), kvt(3, "B3+b3", t, 3))
        t = ts(4)
        case.pipe(1, KEYS, "C", t)
        case.check(kvt(0, "C0+a0", t, 0), kvt(0, "C0+b0", t, 0), kvt(1, "C1+a1", t, 1), kvt(1, "C1+b1", t, 1),
                   kvt(2, "C2+b2", t, 2), kvt(3, "C3+b3", t, 3))
        t = ts(2)
        case.pipe(2, KEYS[:2], "c", t)
        case.check(kvt(0, "A0+c0", t, 0), kvt(0, "B0+c0", t, 0), kvt(0, "C0+c0", t, 0),
                   kvt(1, "A1+c1", t, 1), kvt(1, "B1+c1", t, 1), kvt(1, "C1+c1", t, 1))


@pytest.mark.replay_refused("Kafka pipes both topics at timestamp 0; the runtime orders equal timestamps freely")
def test_join() -> None:
    """KStreamKStreamJoinTest.testJoin."""
    _test_join(in_time_order=False)


def test_join_in_time_order() -> None:
    """KStreamKStreamJoinTest.testJoin, every record at the next timestamp (all within the 100 ms window)."""
    _test_join(in_time_order=True)


def test_should_require_copartitioned_streams() -> None:
    """KStreamKStreamJoinTest.testJoin: the copartition assertion."""
    case = JoinCase()
    case.driver.close()
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]


@pytest.mark.replay_refused("Kafka pipes topic2 records at 899..903 after records at 1104: out of timestamp order")
def test_windowing() -> None:
    """KStreamKStreamJoinTest.testWindowing (up to the lower-bound sweep of the "k" records)."""
    case = JoinCase()
    with case.driver:
        case.pipe(1, KEYS[:2], "A", 0)
        case.check()
        case.pipe(2, KEYS[:2], "a", 0)
        case.check(KVT(0, "A0+a0", 0), KVT(1, "A1+a1", 0))
        case.pipe(1, KEYS, "B", [1000, 1001, 1002, 1003])
        case.check()
        case.pipe(2, KEYS, "b", 1100)
        case.check(*(KVT(k, f"B{k}+b{k}", 1100) for k in KEYS))
        case.pipe(2, KEYS, "c", 1101)
        case.check(*(KVT(k, f"B{k}+c{k}", 1101) for k in KEYS[1:]))
        case.pipe(2, KEYS, "d", 1102)
        case.check(*(KVT(k, f"B{k}+d{k}", 1102) for k in KEYS[2:]))
        case.pipe(2, KEYS, "e", 1103)
        case.check(KVT(3, "B3+e3", 1103))
        case.pipe(2, KEYS, "f", 1104)
        case.check()
        case.pipe(2, KEYS, "g", 899)
        case.check()
        case.pipe(2, KEYS, "h", 900)
        case.check(KVT(0, "B0+h0", 1000))
        case.pipe(2, KEYS, "i", 901)
        case.check(KVT(0, "B0+i0", 1000), KVT(1, "B1+i1", 1001))
        case.pipe(2, KEYS, "j", 902)
        case.check(KVT(0, "B0+j0", 1000), KVT(1, "B1+j1", 1001), KVT(2, "B2+j2", 1002))
        case.pipe(2, KEYS, "k", 903)
        case.check(*(KVT(k, f"B{k}+k{k}", 1000 + k) for k in KEYS))


def test_asymmetric_bounds() -> None:
    """JoinWindows.before()/after() (Kafka's testAsymmetricWindowingAfter/Before rule): a left record at t joins
    right records in [t - before, t + after], a right record at t left records in [t - after, t + before]."""
    case = JoinCase(JoinWindows.of_time_difference_with_no_grace(0).after(100).before(0))
    with case.driver:
        case.pipe(1, [0], "A", 1000)
        for ts in (999, 1000, 1100, 1101):
            case.pipe(2, [0], "a", ts)
        case.pipe(2, [0], "x", 1101)
        case.check(KVT(0, "A0+a0", 1000), KVT(0, "A0+a0", 1100))
        case.pipe(1, [0], "B", 1101)
        case.check(KVT(0, "B0+a0", 1101), KVT(0, "B0+x0", 1101))


@pytest.mark.replay_refused("topic2 gets no records, and the replay creates only the topics records are piped to")
@pytest.mark.parametrize(("key", "value"), [(None, "A"), (1, None)], ids=["null_key", "null_value"])
def test_should_log_and_count_skipped_records(key: int | None, value: str | None,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """KStreamKStreamJoinTest.shouldLogAndMeterOnSkippedRecordsWithNullValueWithBuiltInMetricsVersionLatest."""
    case = JoinCase()
    with case.driver, caplog.at_level(logging.WARNING):
        case.topic1.pipe_input(key, value, 0)
        case.check()
        task = case.driver._task
        assert task is not None
        processors = [p for n in task.nodes.values()
                      if isinstance(p := getattr(n, "processor", None), _StreamStreamJoin)]
        assert sum(p.dropped for p in processors) == 1
    assert "Skipping record due to null key or value. topic=[topic1] partition=[0] offset=[0]" in caplog.text


def _two_joins(named: bool) -> str:
    builder = StreamsBuilder()
    consumed = Consumed.with_(S, S)
    stream1 = builder.stream("topic", consumed)
    stream2 = builder.stream("topic2", consumed)
    stream3 = builder.stream("topic3", consumed)
    new_stream = stream1.map(lambda k, v: (v, k))
    windows = JoinWindows.of_time_difference_with_no_grace(100)
    sj = StreamJoined.with_(S, S, S)
    first = sj.with_name("first-join") if named else None
    second = sj.with_name("second-join") if named else None
    new_stream.join(stream2, lambda v1, v2: v1 + v2, windows, stream_joined=first).to("out-one")
    new_stream.join(stream3, lambda v1, v2: v1 + v2, windows, stream_joined=second).to("out-two" if named else
                                                                                     "out-to")
    return str(builder.build().describe())


def test_should_reuse_repartition_topic_with_generated_name() -> None:
    """KStreamKStreamJoinTest.shouldReuseRepartitionTopicWithGeneratedName."""
    assert _two_joins(named=False) == EXPECTED_GENERATED


def test_should_create_repartition_topics_with_user_provided_name() -> None:
    """KStreamKStreamJoinTest.shouldCreateRepartitionTopicsWithUserProvidedName."""
    assert _two_joins(named=True) == EXPECTED_NAMED


@pytest.mark.parametrize("op", ["left_join", "outer_join"])
def test_left_and_outer_joins_of_streams_need_join_windows(op: str) -> None:
    """Left/outer stream-stream joins (tests/semantics/dsl/test_stream_stream_outer_join.py) need JoinWindows."""
    b = StreamsBuilder()
    s1, s2 = b.stream("a"), b.stream("b")
    with pytest.raises(TopologyError, match="JoinWindows"):
        getattr(s1, op)(s2, tostring_joiner)


def test_options_are_checked() -> None:
    """A stream-stream join needs JoinWindows, and takes no table-join options."""
    b = StreamsBuilder()
    s1, s2 = b.stream("a"), b.stream("b")
    with pytest.raises(TopologyError, match="JoinWindows"):
        s1.join(s2, tostring_joiner)
    with pytest.raises(TopologyError, match="takes no key_selector"):
        s1.join(s2, tostring_joiner, JoinWindows.of_time_difference_with_no_grace(10), key_selector=lambda k, v: k)
    with pytest.raises(TopologyError, match="outer_join needs a KStream"):
        s1.outer_join(b.table("t"), tostring_joiner)  # type: ignore[arg-type]


def test_join_windows() -> None:
    """JoinWindowsTest: sizes, asymmetric bounds and argument checks."""
    w = JoinWindows.of_time_difference_and_grace(100, 7)
    assert (w.before_ms, w.after_ms, w.grace_period_ms, w.size_ms) == (100, 100, 7, 200)
    assert w.before(-50).size_ms == 50
    with pytest.raises(TopologyError, match="must not be negative"):
        w.after(-101)
    with pytest.raises(TopologyError, match="Grace period must not be negative"):
        JoinWindows.of_time_difference_and_grace(1, -1)
    with pytest.raises(TopologyError, match="Cannot call grace"):
        w.grace(1)


EXPECTED_GENERATED = (
    'Topologies:\n'
    '   Sub-topology: 0\n'
    '    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n'
    '      --> KSTREAM-MAP-0000000003\n'
    '    Processor: KSTREAM-MAP-0000000003 (stores: [])\n'
    '      --> KSTREAM-FILTER-0000000005\n'
    '      <-- KSTREAM-SOURCE-0000000000\n'
    '    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n'
    '      --> KSTREAM-SINK-0000000004\n'
    '      <-- KSTREAM-MAP-0000000003\n'
    '    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-MAP-0000000003-repartition)\n'
    '      <-- KSTREAM-FILTER-0000000005\n'
    '\n'
    '  Sub-topology: 1\n'
    '    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-MAP-0000000003-repartition])\n'
    '      --> KSTREAM-WINDOWED-0000000007, KSTREAM-WINDOWED-0000000016\n'
    '    Source: KSTREAM-SOURCE-0000000001 (topics: [topic2])\n'
    '      --> KSTREAM-WINDOWED-0000000008\n'
    '    Source: KSTREAM-SOURCE-0000000002 (topics: [topic3])\n'
    '      --> KSTREAM-WINDOWED-0000000017\n'
    '    Processor: KSTREAM-WINDOWED-0000000007 (stores: [KSTREAM-JOINTHIS-0000000009-store])\n'
    '      --> KSTREAM-JOINTHIS-0000000009\n'
    '      <-- KSTREAM-SOURCE-0000000006\n'
    '    Processor: KSTREAM-WINDOWED-0000000008 (stores: [KSTREAM-JOINOTHER-0000000010-store])\n'
    '      --> KSTREAM-JOINOTHER-0000000010\n'
    '      <-- KSTREAM-SOURCE-0000000001\n'
    '    Processor: KSTREAM-WINDOWED-0000000016 (stores: [KSTREAM-JOINTHIS-0000000018-store])\n'
    '      --> KSTREAM-JOINTHIS-0000000018\n'
    '      <-- KSTREAM-SOURCE-0000000006\n'
    '    Processor: KSTREAM-WINDOWED-0000000017 (stores: [KSTREAM-JOINOTHER-0000000019-store])\n'
    '      --> KSTREAM-JOINOTHER-0000000019\n'
    '      <-- KSTREAM-SOURCE-0000000002\n'
    '    Processor: KSTREAM-JOINOTHER-0000000010 (stores: [KSTREAM-JOINTHIS-0000000009-store])\n'
    '      --> KSTREAM-MERGE-0000000011\n'
    '      <-- KSTREAM-WINDOWED-0000000008\n'
    '    Processor: KSTREAM-JOINOTHER-0000000019 (stores: [KSTREAM-JOINTHIS-0000000018-store])\n'
    '      --> KSTREAM-MERGE-0000000020\n'
    '      <-- KSTREAM-WINDOWED-0000000017\n'
    '    Processor: KSTREAM-JOINTHIS-0000000009 (stores: [KSTREAM-JOINOTHER-0000000010-store])\n'
    '      --> KSTREAM-MERGE-0000000011\n'
    '      <-- KSTREAM-WINDOWED-0000000007\n'
    '    Processor: KSTREAM-JOINTHIS-0000000018 (stores: [KSTREAM-JOINOTHER-0000000019-store])\n'
    '      --> KSTREAM-MERGE-0000000020\n'
    '      <-- KSTREAM-WINDOWED-0000000016\n'
    '    Processor: KSTREAM-MERGE-0000000011 (stores: [])\n'
    '      --> KSTREAM-SINK-0000000012\n'
    '      <-- KSTREAM-JOINTHIS-0000000009, KSTREAM-JOINOTHER-0000000010\n'
    '    Processor: KSTREAM-MERGE-0000000020 (stores: [])\n'
    '      --> KSTREAM-SINK-0000000021\n'
    '      <-- KSTREAM-JOINTHIS-0000000018, KSTREAM-JOINOTHER-0000000019\n'
    '    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n'
    '      <-- KSTREAM-MERGE-0000000011\n'
    '    Sink: KSTREAM-SINK-0000000021 (topic: out-to)\n'
    '      <-- KSTREAM-MERGE-0000000020\n\n'
)

EXPECTED_NAMED = (
    'Topologies:\n'
    '   Sub-topology: 0\n'
    '    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n'
    '      --> KSTREAM-MAP-0000000003\n'
    '    Processor: KSTREAM-MAP-0000000003 (stores: [])\n'
    '      --> second-join-left-repartition-filter, first-join-left-repartition-filter\n'
    '      <-- KSTREAM-SOURCE-0000000000\n'
    '    Processor: first-join-left-repartition-filter (stores: [])\n'
    '      --> first-join-left-repartition-sink\n'
    '      <-- KSTREAM-MAP-0000000003\n'
    '    Processor: second-join-left-repartition-filter (stores: [])\n'
    '      --> second-join-left-repartition-sink\n'
    '      <-- KSTREAM-MAP-0000000003\n'
    '    Sink: first-join-left-repartition-sink (topic: first-join-left-repartition)\n'
    '      <-- first-join-left-repartition-filter\n'
    '    Sink: second-join-left-repartition-sink (topic: second-join-left-repartition)\n'
    '      <-- second-join-left-repartition-filter\n'
    '\n'
    '  Sub-topology: 1\n'
    '    Source: KSTREAM-SOURCE-0000000001 (topics: [topic2])\n'
    '      --> first-join-other-windowed\n'
    '    Source: first-join-left-repartition-source (topics: [first-join-left-repartition])\n'
    '      --> first-join-this-windowed\n'
    '    Processor: first-join-other-windowed (stores: [KSTREAM-JOINOTHER-0000000010-store])\n'
    '      --> first-join-other-join\n'
    '      <-- KSTREAM-SOURCE-0000000001\n'
    '    Processor: first-join-this-windowed (stores: [KSTREAM-JOINTHIS-0000000009-store])\n'
    '      --> first-join-this-join\n'
    '      <-- first-join-left-repartition-source\n'
    '    Processor: first-join-other-join (stores: [KSTREAM-JOINTHIS-0000000009-store])\n'
    '      --> first-join-merge\n'
    '      <-- first-join-other-windowed\n'
    '    Processor: first-join-this-join (stores: [KSTREAM-JOINOTHER-0000000010-store])\n'
    '      --> first-join-merge\n'
    '      <-- first-join-this-windowed\n'
    '    Processor: first-join-merge (stores: [])\n'
    '      --> KSTREAM-SINK-0000000012\n'
    '      <-- first-join-this-join, first-join-other-join\n'
    '    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n'
    '      <-- first-join-merge\n'
    '\n'
    '  Sub-topology: 2\n'
    '    Source: KSTREAM-SOURCE-0000000002 (topics: [topic3])\n'
    '      --> second-join-other-windowed\n'
    '    Source: second-join-left-repartition-source (topics: [second-join-left-repartition])\n'
    '      --> second-join-this-windowed\n'
    '    Processor: second-join-other-windowed (stores: [KSTREAM-JOINOTHER-0000000019-store])\n'
    '      --> second-join-other-join\n'
    '      <-- KSTREAM-SOURCE-0000000002\n'
    '    Processor: second-join-this-windowed (stores: [KSTREAM-JOINTHIS-0000000018-store])\n'
    '      --> second-join-this-join\n'
    '      <-- second-join-left-repartition-source\n'
    '    Processor: second-join-other-join (stores: [KSTREAM-JOINTHIS-0000000018-store])\n'
    '      --> second-join-merge\n'
    '      <-- second-join-other-windowed\n'
    '    Processor: second-join-this-join (stores: [KSTREAM-JOINOTHER-0000000019-store])\n'
    '      --> second-join-merge\n'
    '      <-- second-join-this-windowed\n'
    '    Processor: second-join-merge (stores: [])\n'
    '      --> KSTREAM-SINK-0000000021\n'
    '      <-- second-join-this-join, second-join-other-join\n'
    '    Sink: KSTREAM-SINK-0000000021 (topic: out-two)\n'
    '      <-- second-join-merge\n\n'
)
