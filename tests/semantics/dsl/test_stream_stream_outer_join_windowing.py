"""Window bounds of left and outer stream-stream joins, value for value as Kafka's
KStreamKStreamLeftJoinTest.testWindowing, KStreamKStreamOuterJoinTest.testWindowing and
KStreamKStreamJoinTest.testOuterJoin (streams/src/test/java/org/apache/kafka/streams/kstream/internals/).

The drivers come from test_stream_stream_outer_join.py (emit interval 0, as Kafka's TopologyTestDriver sets it).
Every session pipes both topics at equal timestamps, and the window-bound cases pipe records behind stream time
after the ``dummy`` record, so none replays on the runtime (it picks between partitions by timestamp).
"""

from __future__ import annotations

import pytest

from kstreams_nb.dsl import JoinWindows

from ._support import KeyValueTimestamp as KVT
from .test_stream_stream_outer_join import ACROSS, KEYS, TOPIC1, TOPIC2, OuterCase, S, left, outer

DAY_MS = 24 * 60 * 60 * 1000


def _upper_window_bound(case: OuterCase, right: list[object], expired_right: tuple[KVT, ...]) -> None:
    """testUpperWindowBound: right records at 1000..1003, then left records at 1100..1104, then a dummy left
    record at 1405 that expires the left records joined with nothing."""
    for i, k in enumerate(KEYS):
        case.pipe(2, k, right[k], 1000 + i)
    case.check(*expired_right)
    for prefix, ts, joined in (("B", 1100, KEYS), ("C", 1101, KEYS[1:]), ("D", 1102, KEYS[2:]),
                               ("E", 1103, KEYS[3:]), ("F", 1104, [])):
        for k in KEYS:
            case.pipe(1, k, f"{prefix}{k}", ts)
        case.check(*(KVT(k, f"{prefix}{k}+{right[k]}", ts) for k in joined))
    case.pipe(1, 0, "dummy", 1405)
    case.check(KVT(0, "C0+null", 1101),
               KVT(0, "D0+null", 1102), KVT(1, "D1+null", 1102),
               KVT(0, "E0+null", 1103), KVT(1, "E1+null", 1103), KVT(2, "E2+null", 1103),
               KVT(0, "F0+null", 1104), KVT(1, "F1+null", 1104), KVT(2, "F2+null", 1104), KVT(3, "F3+null", 1104))


def _lower_window_bound(case: OuterCase, right: list[object], dummy_ts: int) -> None:
    """testLowerWindowBound: left records at 899..903, all behind stream time (1405), so each either joins the
    right records at 1000..1003 or is emitted at once with a null right value."""
    for prefix, ts, joined in (("G", 899, 0), ("H", 900, 1), ("I", 901, 2), ("J", 902, 3), ("K", 903, 4)):
        for k in KEYS:
            case.pipe(1, k, f"{prefix}{k}", ts)
        case.check(*(KVT(k, f"{prefix}{k}+{right[k]}", 1000 + k) if k < joined else KVT(k, f"{prefix}{k}+null", ts)
                     for k in KEYS))
    case.pipe(1, 0, "dummy", dummy_ts)
    case.check(KVT(0, "dummy+null", dummy_ts))


@pytest.mark.replay_refused(ACROSS)
def test_left_windowing() -> None:
    """KStreamKStreamLeftJoinTest.testWindowing (with testUpperWindowBound and testLowerWindowBound)."""
    case = left(JoinWindows.of_time_difference_with_no_grace(100))
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]
    with case.driver:
        for k in KEYS[:2]:
            case.pipe(1, k, f"A{k}", 0)
        case.check()
        for k in KEYS:
            case.pipe(2, k, f"a{k}", 0)
        case.check(KVT(0, "A0+a0", 0), KVT(1, "A1+a1", 0))
        right: list[object] = [f"b{k}" for k in KEYS]
        _upper_window_bound(case, right, ())
        _lower_window_bound(case, right, 1203)


@pytest.mark.replay_refused(ACROSS)
def test_outer_windowing() -> None:
    """KStreamKStreamOuterJoinTest.testWindowing (with testUpperWindowBound and testLowerWindowBound): the right
    records 2:12 and 3:13 joined with nothing and are emitted once stream time passes their window."""
    case = outer(JoinWindows.of_time_difference_with_no_grace(100))
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]
    with case.driver:
        for k in KEYS[:2]:
            case.pipe(1, k, f"A{k}", 0)
        case.check()
        for k in KEYS:
            case.pipe(2, k, k + 10, 0)
        case.check(KVT(0, "A0+10", 0), KVT(1, "A1+11", 0))
        right: list[object] = [k + 20 for k in KEYS]
        _upper_window_bound(case, right, (KVT(2, "null+12", 0), KVT(3, "null+13", 0)))
        _lower_window_bound(case, right, 1103)


@pytest.mark.replay_refused("Kafka pipes both topics at timestamp 0; the runtime orders equal timestamps freely")
def test_outer_join() -> None:
    """KStreamKStreamJoinTest.testOuterJoin: a one-day grace keeps every record joinable, so nothing is emitted
    with a null side."""
    case = OuterCase("outer_join", JoinWindows.of_time_difference_and_grace(100, DAY_MS), S)
    assert case.builder.build().internal_builder.copartition_groups == [{TOPIC1, TOPIC2}]
    with case.driver:
        for k in KEYS[:2]:
            case.pipe(1, k, f"A{k}")
        case.check()
        for k in KEYS[:2]:
            case.pipe(2, k, f"a{k}")
        case.check(KVT(0, "A0+a0", 0), KVT(1, "A1+a1", 0))
        for k in KEYS:
            case.pipe(1, k, f"B{k}")
        case.check(KVT(0, "B0+a0", 0), KVT(1, "B1+a1", 0))
        for k in KEYS:
            case.pipe(2, k, f"b{k}")
        case.check(KVT(0, "A0+b0", 0), KVT(0, "B0+b0", 0), KVT(1, "A1+b1", 0), KVT(1, "B1+b1", 0),
                   KVT(2, "B2+b2", 0), KVT(3, "B3+b3", 0))
        for k in KEYS:
            case.pipe(1, k, f"C{k}")
        case.check(KVT(0, "C0+a0", 0), KVT(0, "C0+b0", 0), KVT(1, "C1+a1", 0), KVT(1, "C1+b1", 0),
                   KVT(2, "C2+b2", 0), KVT(3, "C3+b3", 0))
        for k in KEYS[:2]:
            case.pipe(2, k, f"c{k}")
        case.check(KVT(0, "A0+c0", 0), KVT(0, "B0+c0", 0), KVT(0, "C0+c0", 0),
                   KVT(1, "A1+c1", 0), KVT(1, "B1+c1", 0), KVT(1, "C1+c1", 0))
