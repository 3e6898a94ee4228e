"""Left and outer windowed stream-stream joins, value for value as Kafka's KStreamKStreamLeftJoinTest and
KStreamKStreamOuterJoinTest (streams/src/test/java/org/apache/kafka/streams/kstream/internals/).

Every driver runs with ``__emit.interval.ms.kstreams.outer.join.spurious.results.fix__ = 0``, as Kafka's
TopologyTestDriver sets it, so the runtime replay sweeps the outer store on every record too.

Left out, and why:
- ...WithSpuriousResultFixDisabledOldApi (both classes): the deprecated ``JoinWindows.of()`` does not exist here.
- ...WithInMemoryCustomSuppliers, testShouldJoinWithNonTimestampedStore, the DSL store supplier cases:
  StreamJoined carries no store suppliers here.
- testWindowing (both classes) and KStreamKStreamJoinTest.testOuterJoin are in
  test_stream_stream_outer_join_windowing.py.
- KStreamKStreamJoinTest.shouldThrottleEmitNonJoinedOuterRecordsEvenWhenClockDrift mocks the clock;
  test_stream_stream_outer_join_topology.py checks the throttle with the driver's wall clock instead (that file
  also has the describe() texts and the null key/value cases).

Sessions whose records are piped out of timestamp order across the two topics, or at equal timestamps on both
topics (the runtime picks between partitions by timestamp, so the pipe order is not the processing order), are
``replay_refused``.
"""

from __future__ import annotations

import pytest

from kstreams_nb.dsl import Consumed, JoinWindows, Produced, StreamJoined, StreamsBuilder
from kstreams_nb.dsl.join_stream_stream_outer import EMIT_INTERVAL_CONFIG
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

from ._support import KeyValueTimestamp as KVT
from ._support import MockProcessorSupplier, streams_config

S, INT, LONG = Serdes.string(), Serdes.integer(), Serdes.long()
TOPIC1, TOPIC2, OUTPUT = "topic1", "topic2", "output"
KEYS = [0, 1, 2, 3]
ACROSS = "records piped out of timestamp order (or at equal timestamps) across the two topics"


def tostring_joiner(left: object, right: object) -> str:
    """MockValueJoiner.TOSTRING_JOINER (Java prints null as "null")."""
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


class OuterCase:
    """stream(topic1).<op>(stream(topic2), TOSTRING_JOINER, windows) into a MockProcessor and ``output``; the
    right values are strings (left join tests) or longs (outer join tests), as in Kafka."""

    def __init__(self, op: str, windows: JoinWindows, right_serde: object = S, *, emit_interval: int = 0,
                 stream_joined: StreamJoined | None = None) -> None:
        self.builder = StreamsBuilder()
        stream1 = self.builder.stream(TOPIC1, Consumed.with_(INT, S))
        stream2 = self.builder.stream(TOPIC2, Consumed.with_(INT, right_serde))
        joined = getattr(stream1, op)(
            stream2, tostring_joiner, windows, stream_joined=stream_joined or StreamJoined.with_(INT, S, right_serde))
        self.supplier = MockProcessorSupplier()
        joined.process(self.supplier)
        joined.to(OUTPUT, Produced.with_(INT, S))
        config = streams_config(INT, S, **{EMIT_INTERVAL_CONFIG: emit_interval})
        self.driver = TopologyTestDriver(self.builder.build(), config)
        self.topic1 = self.driver.create_input_topic(TOPIC1, INT, S, 0, 0)
        self.topic2 = self.driver.create_input_topic(TOPIC2, INT, right_serde, 0, 0)
        self.processor = self.supplier.the_captured_processor()

    def pipe(self, topic: int, key: int | None, value: object, ts: int = 0) -> None:
        (self.topic1 if topic == 1 else self.topic2).pipe_input(key, value, ts)

    def check(self, *expected: KVT) -> None:
        self.processor.check_and_clear_process_result(*expected)


def left(windows: JoinWindows) -> OuterCase:
    return OuterCase("left_join", windows)


def outer(windows: JoinWindows) -> OuterCase:
    return OuterCase("outer_join", windows, LONG)


# ---- KStreamKStreamLeftJoinTest

@pytest.mark.replay_refused(ACROSS)
def test_left_join_duplicates() -> None:
    """KStreamKStreamLeftJoinTest.testLeftJoinDuplicates."""
    case = left(JoinWindows.of_time_difference_and_grace(100, 10))
    with case.driver:
        case.pipe(1, 0, "A0", 0)
        case.pipe(1, 0, "A0-0", 0)
        case.pipe(2, 1, "a0", 111)
        case.pipe(2, 2, "dummy", 500)
        case.check(KVT(0, "A0+null", 0), KVT(0, "A0-0+null", 0))
        case.pipe(1, 2, "A2", 1000)
        case.pipe(1, 2, "A2-0", 1000)
        case.pipe(2, 2, "a2", 1001)
        case.check(KVT(2, "A2+a2", 1001), KVT(2, "A2-0+a2", 1001))
        case.pipe(2, 3, "a3", 315)
        case.check()


@pytest.mark.replay_refused(ACROSS)
@pytest.mark.parametrize("dummy_topic", [1, 2], ids=["left_processor", "right_processor"])
def test_left_expired_non_joined_records_are_emitted(dummy_topic: int) -> None:
    """KStreamKStreamLeftJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor and
    ...ByTheRightProcessor."""
    case = left(JoinWindows.of_time_difference_and_grace(100, 0))
    with case.driver:
        case.pipe(1, 0, "A0", 1)
        case.pipe(1, 1, "A1", 2)
        case.pipe(1, 0, "A0-0", 3)
        case.check()
        case.pipe(2, 1, "a1", 3)
        case.check(KVT(1, "A1+a1", 3))
        case.pipe(dummy_topic, 2, "dummy", 401)
        case.check(KVT(0, "A0+null", 1), KVT(0, "A0-0+null", 3))
        flush_ts = 401 if dummy_topic == 1 else 402
        case.pipe(3 - dummy_topic, 2, "dummy", flush_ts)
        case.check(KVT(2, "dummy+dummy", flush_ts))


@pytest.mark.replay_refused(ACROSS)
@pytest.mark.parametrize("dummy_topic", [1, 2], ids=["left_processor", "right_processor"])
def test_right_non_joined_records_are_never_emitted(dummy_topic: int) -> None:
    """KStreamKStreamLeftJoinTest.testRightNonJoinedRecordsAreNeverEmittedByTheLeftProcessor and
    ...ByTheRightProcessor."""
    windows = (JoinWindows.of_time_difference_and_grace(100, 0) if dummy_topic == 1
               else JoinWindows.of_time_difference_with_no_grace(100))
    case = left(windows)
    with case.driver:
        case.pipe(2, 0, "A0", 1)
        case.pipe(2, 1, "A1", 2)
        case.pipe(2, 0, "A0-0", 3)
        case.check()
        case.pipe(1, 1, "a1", 3)
        case.check(KVT(1, "a1+A1", 3))
        case.pipe(dummy_topic, 2, "dummy", 401)
        case.check()
        case.pipe(3 - dummy_topic, 2, "dummy", 402)
        case.check(KVT(2, "dummy+dummy", 402))


@pytest.mark.replay_refused(ACROSS)
def test_left_joined_records_with_zero_after_are_emitted() -> None:
    """KStreamKStreamLeftJoinTest.testLeftJoinedRecordsWithZeroAfterAreEmitted (with its copartition check)."""
    case = left(JoinWindows.of_time_difference_with_no_grace(100).after(0))
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]
    with case.driver:
        for i, k in enumerate(KEYS):
            case.pipe(1, k, f"A{k}", 1000 + i)
        case.check(KVT(0, "A0+null", 1000), KVT(1, "A1+null", 1001), KVT(2, "A2+null", 1002))
        for prefix, ts, joined in (("a", 999, KEYS), ("b", 1000, KEYS), ("c", 1001, KEYS[1:]),
                                   ("d", 1002, KEYS[2:]), ("e", 1003, KEYS[3:])):
            for k in KEYS:
                case.pipe(2, k, f"{prefix}{k}", ts)
            case.check(*(KVT(k, f"A{k}+{prefix}{k}", 1000 + k) for k in joined))
        for k in KEYS:
            case.pipe(2, k, f"f{k}", 1100)
        case.check()


def _run_left_join(case: OuterCase) -> None:
    with case.driver:
        assert len(case.driver.get_all_state_stores()) == 3
        for k in KEYS[:2]:
            case.pipe(1, k, f"A{k}")
        case.check()
        for k in KEYS[:2]:
            case.pipe(2, k, f"a{k}")
        case.check(KVT(0, "A0+a0", 0), KVT(1, "A1+a1", 0))
        for k in KEYS[:3]:
            case.pipe(1, k, f"B{k}")
        case.check(KVT(0, "B0+a0", 0), KVT(1, "B1+a1", 0))
        for k in KEYS:
            case.pipe(2, k, f"b{k}")
        case.check(KVT(0, "A0+b0", 0), KVT(0, "B0+b0", 0), KVT(1, "A1+b1", 0), KVT(1, "B1+b1", 0),
                   KVT(2, "B2+b2", 0))
        for k in KEYS:
            case.pipe(1, k, f"C{k}")
        case.check(KVT(0, "C0+a0", 0), KVT(0, "C0+b0", 0), KVT(1, "C1+a1", 0), KVT(1, "C1+b1", 0),
                   KVT(2, "C2+b2", 0), KVT(3, "C3+b3", 0))
        case.pipe(1, 0, "dummy", 1000)
        case.check()


@pytest.mark.replay_refused("Kafka pipes both topics at timestamp 0; the runtime orders equal timestamps freely")
def test_left_join_with_default_suppliers() -> None:
    """KStreamKStreamLeftJoinTest.testLeftJoinWithDefaultSuppliers (runLeftJoin)."""
    case = left(JoinWindows.of_time_difference_with_no_grace(100))
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]
    _run_left_join(case)


def test_left_ordering() -> None:
    """KStreamKStreamLeftJoinTest.testOrdering."""
    case = left(JoinWindows.of_time_difference_with_no_grace(100))
    with case.driver:
        case.pipe(1, 0, "A0", 0)
        case.pipe(1, 1, "A1", 100)
        case.check()
        case.pipe(2, 1, "a1", 110)
        case.check(KVT(0, "A0+null", 0), KVT(1, "A1+a1", 110))


def test_left_grace_period() -> None:
    """KStreamKStreamLeftJoinTest.testGracePeriod."""
    case = left(JoinWindows.of_time_difference_and_grace(100, 10))
    with case.driver:
        for k in KEYS[:2]:
            case.pipe(1, k, f"A{k}", 0)
        case.check()
        for k in KEYS:
            case.pipe(2, k, f"a{k}", 101)
        case.check()
        case.pipe(2, 0, "dummy", 1201)
        case.check(KVT(0, "A0+null", 0), KVT(1, "A1+null", 0))


def test_should_not_emit_left_join_result_for_asymmetric_window() -> None:
    """KStreamKStreamLeftJoinTest.shouldNotEmitLeftJoinResultForAsymmetricWindow."""
    case = left(JoinWindows.of_time_difference_with_no_grace(100).before(0))
    with case.driver:
        for i in range(2):
            case.pipe(1, KEYS[i], f"A{KEYS[i]}", i)
        case.check()
        case.pipe(2, 0, "a0", 100)
        case.check(KVT(0, "A0+a0", 100))
        case.pipe(2, 1, "a1", 102)
        case.check(KVT(1, "A1+null", 1))


# ---- KStreamKStreamOuterJoinTest

@pytest.mark.replay_refused(ACROSS)
def test_outer_join_duplicates() -> None:
    """KStreamKStreamOuterJoinTest.testOuterJoinDuplicates."""
    case = OuterCase("outer_join", JoinWindows.of_time_difference_and_grace(100, 10), LONG)
    with case.driver:
        case.pipe(1, 0, "A0", 0)
        case.pipe(1, 0, "A0-0", 0)
        case.pipe(2, 1, 11, 0)
        case.pipe(2, 1, 12, 0)
        case.pipe(2, 1, 10, 111)
        case.pipe(2, 3, 100, 211)
        case.check(KVT(1, "null+11", 0), KVT(1, "null+12", 0), KVT(0, "A0+null", 0), KVT(0, "A0-0+null", 0))
        case.pipe(1, 2, "A2", 200)
        case.pipe(1, 2, "A2-0", 200)
        case.pipe(2, 2, 13, 201)
        case.pipe(2, 2, 14, 201)
        case.check(KVT(2, "A2+13", 201), KVT(2, "A2-0+13", 201), KVT(2, "A2+14", 201), KVT(2, "A2-0+14", 201))
        case.pipe(2, 3, 100, 1500)
        case.check(KVT(1, "null+10", 111), KVT(3, "null+100", 211))


@pytest.mark.replay_refused(ACROSS)
@pytest.mark.parametrize("dummy_topic", [1, 2], ids=["left_processor", "right_processor"])
def test_outer_left_expired_non_joined_records_are_emitted(dummy_topic: int) -> None:
    """KStreamKStreamOuterJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor and
    ...ByTheRightProcessor."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100))
    with case.driver:
        case.pipe(1, 0, "A0", 1)
        case.pipe(1, 1, "A1", 2)
        case.pipe(1, 0, "A0-0", 3)
        case.check()
        case.pipe(2, 1, 11, 3)
        case.check(KVT(1, "A1+11", 3))
        case.pipe(dummy_topic, 2, "dummy" if dummy_topic == 1 else 100, 401)
        case.check(KVT(0, "A0+null", 1), KVT(0, "A0-0+null", 3))
        case.pipe(3 - dummy_topic, 2, 100 if dummy_topic == 1 else "dummy", 402)
        case.check(KVT(2, "dummy+100", 402))


@pytest.mark.replay_refused(ACROSS)
@pytest.mark.parametrize("dummy_topic", [1, 2], ids=["left_processor", "right_processor"])
def test_outer_right_expired_non_joined_records_are_emitted(dummy_topic: int) -> None:
    """KStreamKStreamOuterJoinTest.testRightExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor and
    ...ByTheRightProcessor."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100))
    with case.driver:
        case.pipe(2, 0, 10, 1)
        case.pipe(2, 1, 11, 2)
        case.pipe(2, 0, 12, 3)
        case.check()
        case.pipe(1, 1, "A1", 3)
        case.check(KVT(1, "A1+11", 3))
        case.pipe(dummy_topic, 2, "dummy" if dummy_topic == 1 else 100, 401)
        case.check(KVT(0, "null+10", 1), KVT(0, "null+12", 3))
        case.pipe(3 - dummy_topic, 2, 100 if dummy_topic == 1 else "dummy", 402)
        case.check(KVT(2, "dummy+100", 402))


def test_outer_ordering() -> None:
    """KStreamKStreamOuterJoinTest.testOrdering."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100))
    with case.driver:
        case.pipe(1, 0, "A0", 0)
        case.pipe(1, 1, "A1", 100)
        case.check()
        case.pipe(2, 1, 11, 110)
        case.check(KVT(0, "A0+null", 0), KVT(1, "A1+11", 110))


@pytest.mark.replay_refused(ACROSS)
def test_outer_grace_period() -> None:
    """KStreamKStreamOuterJoinTest.testGracePeriod."""
    case = outer(JoinWindows.of_time_difference_and_grace(100, 10))
    with case.driver:
        case.pipe(1, 0, "A0", 0)
        case.pipe(2, 1, 11, 0)
        case.check()
        case.pipe(1, 1, "A1", 101)
        case.pipe(2, 0, 10, 101)
        case.check()
        case.pipe(2, 0, 100, 112)
        case.check(KVT(1, "null+11", 0), KVT(0, "A0+null", 0))


def test_emit_all_non_joined_results_for_asymmetric_window() -> None:
    """KStreamKStreamOuterJoinTest.testEmitAllNonJoinedResultsForAsymmetricWindow."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(5).after(20))
    with case.driver:
        case.pipe(1, 0, "A0", 29)
        case.pipe(1, 1, "A1", 30)
        case.pipe(2, 2, 12, 31)
        case.pipe(2, 3, 13, 36)
        case.check()
        case.pipe(2, 4, 14, 37)
        case.check(KVT(2, "null+12", 31))
        case.pipe(2, 5, 15, 50)
        case.check(KVT(0, "A0+null", 29), KVT(3, "null+13", 36), KVT(4, "null+14", 37))


@pytest.mark.replay_refused("Kafka pipes both topics at timestamp 0; the runtime orders equal timestamps freely")
def test_outer_join_with_default_suppliers() -> None:
    """KStreamKStreamOuterJoinTest.testOuterJoinWithDefaultSuppliers (runOuterJoin)."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100))
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]
    with case.driver:
        assert len(case.driver.get_all_state_stores()) == 3
        for k in KEYS[:2]:
            case.pipe(1, k, f"A{k}")
        case.check()
        for k in KEYS[:2]:
            case.pipe(2, k, k + 10)
        case.check(KVT(0, "A0+10", 0), KVT(1, "A1+11", 0))
        for k in KEYS[:3]:
            case.pipe(1, k, f"B{k}")
        case.check(KVT(0, "B0+10", 0), KVT(1, "B1+11", 0))
        for k in KEYS:
            case.pipe(2, k, k + 20)
        case.check(KVT(0, "A0+20", 0), KVT(0, "B0+20", 0), KVT(1, "A1+21", 0), KVT(1, "B1+21", 0),
                   KVT(2, "B2+22", 0))
        for k in KEYS:
            case.pipe(1, k, f"C{k}")
        case.check(KVT(0, "C0+10", 0), KVT(0, "C0+20", 0), KVT(1, "C1+11", 0), KVT(1, "C1+21", 0),
                   KVT(2, "C2+22", 0), KVT(3, "C3+23", 0))
        case.pipe(1, 0, "dummy", 400)
        case.check()


@pytest.mark.replay_refused(ACROSS)
def test_should_not_emit_left_join_result_for_asymmetric_before_window() -> None:
    """KStreamKStreamOuterJoinTest.testShouldNotEmitLeftJoinResultForAsymmetricBeforeWindow."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100).before(0))
    with case.driver:
        for i in range(2):
            case.pipe(1, KEYS[i], f"A{KEYS[i]}", i)
        case.check()
        case.pipe(2, 0, 10, 100)
        case.check(KVT(0, "A0+10", 100))
        case.pipe(2, 1, 11, 102)
        case.check(KVT(1, "A1+null", 1))
        case.pipe(2, 2, 12, 103)
        case.check(KVT(1, "null+11", 102))
        case.pipe(1, 2, "A2", 103)
        case.check(KVT(2, "A2+12", 103))


@pytest.mark.replay_refused(ACROSS)
def test_should_not_emit_left_join_result_for_asymmetric_after_window() -> None:
    """KStreamKStreamOuterJoinTest.testShouldNotEmitLeftJoinResultForAsymmetricAfterWindow."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100).after(0))
    with case.driver:
        for i in range(2):
            case.pipe(1, KEYS[i], f"A{KEYS[i]}", i)
        case.check(KVT(0, "A0+null", 0))
        case.pipe(2, 1, 11, 1)
        case.check(KVT(1, "A1+11", 1))
        case.pipe(2, 2, 12, 101)
        case.check()
        case.pipe(2, 3, 13, 101)
        case.check()
        case.pipe(1, 2, "A2", 201)
        case.check(KVT(2, "A2+12", 201))


@pytest.mark.replay_refused(ACROSS)
def test_should_forward_current_headers() -> None:
    """KStreamKStreamOuterJoinTest.testShouldForwardCurrentHeaders: non-joined records carry the headers of the
    record whose processing emitted them."""
    case = outer(JoinWindows.of_time_difference_and_grace(100, 10))
    with case.driver:
        case.topic1.pipe_input(0, "A0", 0, headers=[("h", b"\x01")])
        case.topic2.pipe_input(1, 10, 0, headers=[("h", b"\x02")])
        case.topic2.pipe_input(3, 100, 211, headers=[("h", b"\x03")])
        records = case.driver.create_output_topic(OUTPUT, INT, S).read_records_to_list()
        got = [(r.key, r.value, r.timestamp, [tuple(h) for h in r.headers]) for r in records]
        assert got == [(1, "null+10", 0, [("h", b"\x03")]), (0, "A0+null", 0, [("h", b"\x03")])]
