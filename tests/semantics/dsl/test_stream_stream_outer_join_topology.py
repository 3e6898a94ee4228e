"""Left and outer windowed stream-stream joins: the describe() text of Kafka's
TopologyTest.streamStream{Left,Outer}JoinTopologyWith{Default,Custom}StoresNames, null keys and values on the
outer and inner sides (KStreamKStreamJoin.process), and the wall-clock throttle of the outer-store sweeps.
The value-for-value cases of KStreamKStreamLeftJoinTest / KStreamKStreamOuterJoinTest are in
test_stream_stream_outer_join.py.
"""

from __future__ import annotations

import logging

import pytest

from kstreams_nb.dsl import JoinWindows, StreamJoined, StreamsBuilder
from kstreams_nb.dsl.join_stream_stream import _StreamStreamJoin

from ._support import KeyValueTimestamp as KVT
from .test_stream_stream_outer_join import INT, OuterCase, S, left, outer, tostring_joiner

# ---- TopologyTest: describe() text

def _describe(op: str, store_name: str | None) -> str:
    builder = StreamsBuilder()
    stream1 = builder.stream("input-topic1")
    stream2 = builder.stream("input-topic2")
    sj = StreamJoined.with_(INT, S, S)
    getattr(stream1, op)(stream2, tostring_joiner, JoinWindows.of_time_difference_with_no_grace(100),
                         stream_joined=sj.with_store_name(store_name) if store_name else sj)
    return str(builder.build().describe())


def _expected(this: str, other: str, this_store: str, other_store: str, shared: str, other_first: bool) -> str:
    this_node = (f"    Processor: {this} (stores: [{other_store}, {shared}])\n"
                 "      --> KSTREAM-MERGE-0000000006\n"
                 "      <-- KSTREAM-WINDOWED-0000000002\n")
    other_node = (f"    Processor: {other} (stores: [{this_store}, {shared}])\n"
                  "      --> KSTREAM-MERGE-0000000006\n"
                  "      <-- KSTREAM-WINDOWED-0000000003\n")
    return (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n"
        "      --> KSTREAM-WINDOWED-0000000002\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n"
        "      --> KSTREAM-WINDOWED-0000000003\n"
        f"    Processor: KSTREAM-WINDOWED-0000000002 (stores: [{this_store}])\n"
        f"      --> {this}\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        f"    Processor: KSTREAM-WINDOWED-0000000003 (stores: [{other_store}])\n"
        f"      --> {other}\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        + (other_node + this_node if other_first else this_node + other_node)
        + "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> none\n"
        f"      <-- {this}, {other}\n\n"
    )


_LEFT = ("KSTREAM-JOINTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005")
_OUTER = ("KSTREAM-OUTERTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005")


@pytest.mark.parametrize(("op", "store_name", "expected"), [
    ("left_join", None, _expected(*_LEFT, f"{_LEFT[0]}-store", f"{_LEFT[1]}-store",
                                  "KSTREAM-OUTERSHARED-0000000004-store", False)),
    ("left_join", "custom-name", _expected(*_LEFT, "custom-name-this-join-store",
                                           "custom-name-outer-other-join-store",
                                           "custom-name-left-shared-join-store", False)),
    ("outer_join", None, _expected(*_OUTER, f"{_OUTER[0]}-store", f"{_OUTER[1]}-store",
                                   "KSTREAM-OUTERSHARED-0000000004-store", True)),
    ("outer_join", "custom-name", _expected(*_OUTER, "custom-name-outer-this-join-store",
                                            "custom-name-outer-other-join-store",
                                            "custom-name-outer-shared-join-store", True)),
], ids=["LeftJoinTopologyWithDefaultStoresNames", "LeftJoinTopologyWithCustomStoresNames",
        "OuterJoinTopologyWithDefaultStoresNames", "OuterJoinTopologyWithCustomStoresNames"])
def test_stream_stream_join_topology(op: str, store_name: str | None, expected: str) -> None:
    """TopologyTest.streamStream{Left,Outer}JoinTopologyWith{Default,Custom}StoresNames (the test id names which)."""
    assert _describe(op, store_name) == expected


# ---- null keys and values, throttling

@pytest.mark.replay_refused("topic2 gets no records, and the replay creates only the topics records are piped to")
@pytest.mark.parametrize("op", ["left_join", "outer_join"])
def test_null_key_of_an_outer_side_is_joined_with_null(op: str, caplog: pytest.LogCaptureFixture) -> None:
    """KStreamKStreamJoin.process: a record with a null key and a value on an outer side can never join, so it is
    emitted joined with null at once; a null value is dropped with the warning and counted."""
    case = OuterCase(op, JoinWindows.of_time_difference_with_no_grace(100))
    with case.driver, caplog.at_level(logging.WARNING):
        case.pipe(1, None, "A", 5)
        case.check(KVT(None, "A+null", 5))
        case.pipe(1, 1, None, 6)
        case.check()
        assert _dropped(case) == 1
    assert "Skipping record due to null key or value. topic=[topic1] partition=[0] offset=[1]" in caplog.text


@pytest.mark.replay_refused("topic1 gets no records, and the replay creates only the topics records are piped to")
def test_null_key_on_the_inner_side_of_a_left_join_is_dropped() -> None:
    """KStreamKStreamJoin.process: the right side of a left join is not outer; its null-key records are dropped,
    while the right side of an outer join emits them joined with null."""
    left_case = left(JoinWindows.of_time_difference_with_no_grace(100))
    with left_case.driver:
        left_case.pipe(2, None, "a", 5)
        left_case.check()
        assert _dropped(left_case) == 1
    outer_case = outer(JoinWindows.of_time_difference_with_no_grace(100))
    with outer_case.driver:
        outer_case.pipe(2, None, 7, 5)
        outer_case.check(KVT(None, "null+7", 5))
        assert _dropped(outer_case) == 0


def _dropped(case: OuterCase) -> int:
    task = case.driver._task
    assert task is not None
    return sum(p.dropped for n in task.nodes.values()
               if isinstance(p := getattr(n, "processor", None), _StreamStreamJoin))


@pytest.mark.replay_refused("advances the driver's wall clock")
def test_sweeps_are_throttled_by_wall_clock() -> None:
    """KStreamKStreamJoin.emitNonJoinedOuterRecords: with the default 1000 ms emit interval a sweep runs at most
    once per interval of wall-clock time (KStreamKStreamJoinTest.shouldThrottleEmitNonJoinedOuterRecords...).
    The first record already sweeps (the empty store): Kafka adds ``minTime + after + grace`` as longs, and a
    tracker with no waiting record (``Long.MAX_VALUE``) wraps to a negative sum, so the interval starts then."""
    case = OuterCase("left_join", JoinWindows.of_time_difference_with_no_grace(10), emit_interval=1000)
    with case.driver:
        case.pipe(1, 0, "A0", 0)
        case.pipe(1, 1, "A1", 100)
        case.check()  # within the interval the first record started: A0 waits
        case.pipe(1, 2, "A2", 200)
        case.check()
        case.driver.advance_wall_clock_time(1000)
        case.pipe(1, 3, "A3", 300)
        case.check(KVT(0, "A0+null", 0), KVT(1, "A1+null", 100), KVT(2, "A2+null", 200))
