"""Sliding-windowed aggregations on the TopologyTestDriver, value for value as Kafka's
KStreamSlidingWindowAggregateTest (streams/src/test/java/org/apache/kafka/streams/kstream/internals/), plus
SuppressScenarioTest.shouldSupportFinalResultsForSlidingWindows and TopologyTest's sliding-window naming cases.

Kafka's test is parameterized over the emit strategy, the store's iteration (``inOrderIterator``: an in-memory
store refusing backward iteration, so the processor reads windows oldest first, else newest first) and
``withCache``. Here each case runs for these variants:

- ON_WINDOW_UPDATE over an in-memory store read newest first (``reverse``), one that refuses backward
  iteration (``in_order``), a RocksDB store (``rocksdb``), and the default store (``default``, where Kafka's
  case uses ``Materialized.as("store-name")``);
- ON_WINDOW_CLOSE over the default store, as Kafka's cases do (they build a named store for emit-final).

Left out: the ``withCache`` axis (Kafka expects the same results with and without it, and disables caching when
emitting on window close); the metrics assertions of shouldLogAndMeterWhenSkippingExpiredWindowByGrace
(dropped-records-total and record-lateness: the dropped count is checked, lateness is a task metric outside the
operator) — the log lines are checked instead. testAggregateRandomInput runs over a fixed set of shuffles
instead of a random seed per run.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

import pytest

from kstreams_nb.dsl import (
    Consumed,
    EmitStrategy,
    Grouped,
    Materialized,
    Produced,
    SlidingWindows,
    StrategyType,
    StreamsBuilder,
    Suppressed,
    TimeWindowedSerde,
)
from kstreams_nb.dsl.suppress import BufferConfig
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.state.suppliers import InMemoryWindowBytesStoreSupplier
from kstreams_nb.state.window import InMemoryWindowStore
from kstreams_nb.testing import TopologyTestDriver

from ._support import (
    STRING_ADDER,
    STRING_INIT,
    TOSTRING_ADDER,
    MockProcessorSupplier,
    dropped_records_total,
    streams_config,
)
from ._support import KeyValueTimestamp as KVT

S = Serdes.string()
L = Serdes.long()
PROPS = streams_config(S, S)
UPDATE, CLOSE = StrategyType.ON_WINDOW_UPDATE, StrategyType.ON_WINDOW_CLOSE
VARIANTS = [(UPDATE, "reverse"), (UPDATE, "in_order"), (UPDATE, "rocksdb"), (UPDATE, "default"), (CLOSE, "default")]
IDS = [f"{s.name.lower()}-{store}" for s, store in VARIANTS]
LOGGER = "kstreams_nb.dsl.sliding_aggregate"
Variant = tuple[StrategyType, str]
Gathered = dict[int, set[tuple[str, int]]]


class _InOrderWindowStore(InMemoryWindowStore):
    """Kafka's test InOrderMemoryWindowStore: an in-memory window store that refuses backward iteration."""

    def backward_fetch_values(self, key: bytes, time_from: int, time_to: int) -> Any:
        raise NotImplementedError("Backward fetch not supported here")

    def backward_fetch_range(self, key_from: Any, key_to: Any, time_from: int, time_to: int) -> Any:
        raise NotImplementedError("Backward fetch not supported here")

    def backward_fetch_all(self, time_from: int, time_to: int) -> Any:
        raise NotImplementedError("Backward fetch not supported here")

    def backward_all(self) -> Any:
        raise NotImplementedError("Backward fetch not supported here")


@dataclass(frozen=True, slots=True)
class _InOrderSupplier(InMemoryWindowBytesStoreSupplier):
    def get(self) -> InMemoryWindowStore:
        return _InOrderWindowStore(self.name, self.retention_period, self.window_size, self.retain_duplicates)


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """RocksDB stores lock their task directory: each test gets its own state.dir."""
    monkeypatch.setitem(PROPS, "state.dir", str(tmp_path))


def W(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, Window(start, end))


def _materialized(variant: Variant, index: int, diff: int, default: str, retention: int = 50_000) -> Materialized:
    """Kafka's setupWindowBytesStoreSupplier / setupMaterialized for the variant."""
    store = variant[1]
    if store == "reverse":
        return Materialized.as_(Stores.in_memory_window_store(f"Reverse{index}", retention, diff, False))
    if store == "in_order":
        return Materialized.as_(_InOrderSupplier(f"InOrder{index}", retention, diff, False))
    if store == "rocksdb":
        return Materialized.as_(Stores.persistent_timestamped_window_store(f"Rocks{index}", retention, diff, False))
    return Materialized.as_(default)


def _table(b: StreamsBuilder, variant: Variant, windows: SlidingWindows, *, topic: str = "topic", index: int = 1,
           default: str = "store-name", retention: int = 50_000, reduce: bool = False) -> Any:
    grouped = b.stream(topic, Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S)).windowed_by(windows)
    grouped = grouped.emit_strategy(EmitStrategy.for_type(variant[0]))
    m = _materialized(variant, index, windows.time_difference_ms, default, retention).with_value_serde(S)
    if reduce:
        return grouped.reduce(STRING_ADDER, materialized=m)
    return grouped.aggregate(STRING_INIT, TOSTRING_ADDER, materialized=m)


def _run(variant: Variant, windows: SlidingWindows, inputs: list[tuple[str, str, int]], **kw: Any) -> list[KVT]:
    b = StreamsBuilder()
    supplier = MockProcessorSupplier()
    _table(b, variant, windows, **kw).to_stream().process(supplier)
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic", S, S)
        for key, value, ts in inputs:
            topic.pipe_input(key, value, ts)
    return supplier.the_captured_processor().processed


def _gather(processed: list[KVT]) -> Gathered:
    """Kafka's gatherOutput: every (value, timestamp) forwarded, by window start."""
    out: Gathered = {}
    for kvt in processed:
        out.setdefault(kvt.key.window.start, set()).add((kvt.value, kvt.timestamp))
    return out


def _sorted(processed: list[KVT]) -> list[KVT]:
    """Kafka's comparator: by key, then window start (a stable sort: updates of a window keep their order)."""
    return sorted(processed, key=lambda r: (r.key.key, r.key.window.start))


def _kvts(key: str, diff: int, rows: list[tuple[int, str, int]]) -> list[KVT]:
    return [KVT(W(key, start, start + diff), value, ts) for start, value, ts in rows]


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_aggregate_small_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testAggregateSmallInput."""
    inputs = [("A", "1", 10), ("A", "2", 10), ("A", "3", 14), ("A", "4", 15), ("A", "5", 20), ("A", "6", 22),
              ("A", "7", 30)]
    actual = _gather(_run(variant, SlidingWindows.of_time_difference_and_grace(10, 5), inputs))
    if variant[0] is CLOSE:
        assert actual == {
            0: {("0+1+2", 10)}, 4: {("0+1+2+3", 14)}, 5: {("0+1+2+3+4", 15)}, 10: {("0+1+2+3+4+5", 20)},
            11: {("0+3+4+5", 20)}, 12: {("0+3+4+5+6", 22)},
        }
    else:
        assert actual == {
            0: {("0+1", 10), ("0+1+2", 10)}, 4: {("0+1+2+3", 14)}, 5: {("0+1+2+3+4", 15)},
            10: {("0+1+2+3+4+5", 20)}, 11: {("0+3", 14), ("0+3+4", 15), ("0+3+4+5", 20)},
            12: {("0+3+4+5+6", 22)}, 15: {("0+4", 15), ("0+4+5", 20), ("0+4+5+6", 22)},
            16: {("0+5", 20), ("0+5+6", 22)}, 20: {("0+5+6+7", 30)}, 21: {("0+6", 22), ("0+6+7", 30)},
            23: {("0+7", 30)},
        }


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_reduce_small_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testReduceSmallInput."""
    inputs = [("A", "1", 10), ("A", "2", 14), ("A", "3", 15), ("A", "4", 22), ("A", "5", 26), ("A", "6", 30)]
    actual = _gather(_run(variant, SlidingWindows.of_time_difference_and_grace(10, 5), inputs, reduce=True))
    if variant[0] is CLOSE:
        assert actual == {0: {("1", 10)}, 4: {("1+2", 14)}, 5: {("1+2+3", 15)}, 11: {("2+3", 15)},
                          12: {("2+3+4", 22)}}
    else:
        assert actual == {
            0: {("1", 10)}, 4: {("1+2", 14)}, 5: {("1+2+3", 15)}, 11: {("2", 14), ("2+3", 15)},
            12: {("2+3+4", 22)}, 15: {("3", 15), ("3+4", 22)}, 16: {("4", 22), ("4+5", 26)},
            20: {("4+5+6", 30)}, 23: {("5", 26), ("5+6", 30)}, 27: {("6", 30)},
        }


LARGE_INPUT = [
    ("A", "1", 10), ("A", "2", 20), ("A", "3", 22), ("A", "4", 15),
    ("B", "1", 12), ("B", "2", 13), ("B", "3", 18), ("B", "4", 19), ("B", "5", 25), ("B", "6", 14),
    ("C", "1", 11), ("C", "2", 15), ("C", "3", 16), ("C", "4", 21), ("C", "5", 23),
    ("D", "4", 11), ("D", "2", 12), ("D", "3", 29), ("D", "5", 16),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_aggregate_large_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testAggregateLargeInput (grace 10 on close, 50 on update)."""
    grace = 10 if variant[0] is CLOSE else 50
    actual = _sorted(_run(variant, SlidingWindows.of_time_difference_and_grace(10, grace), LARGE_INPUT))
    if variant[0] is CLOSE:
        assert actual == [
            *_kvts("A", 10, [(0, "0+1", 10), (5, "0+1+4", 15)]),
            *_kvts("B", 10, [(2, "0+1", 12), (3, "0+1+2", 13), (8, "0+1+2+3+6", 18)]),
            *_kvts("C", 10, [(5, "0+2", 15), (6, "0+2+3", 16)]),
        ]
        return
    assert actual == [
        *_kvts("A", 10, [
            (0, "0+1", 10), (5, "0+1+4", 15), (10, "0+1+2", 20), (10, "0+1+2+4", 20), (11, "0+2", 20),
            (11, "0+2+4", 20), (12, "0+2+3", 22), (12, "0+2+3+4", 22), (16, "0+2+3", 22), (21, "0+3", 22),
        ]),
        *_kvts("B", 10, [
            (2, "0+1", 12), (3, "0+1+2", 13), (4, "0+1+2+6", 14), (8, "0+1+2+3", 18), (8, "0+1+2+3+6", 18),
            (9, "0+1+2+3+4", 19), (9, "0+1+2+3+4+6", 19), (13, "0+2", 13), (13, "0+2+3", 18),
            (13, "0+2+3+4", 19), (13, "0+2+3+4+6", 19), (14, "0+3", 18), (14, "0+3+4", 19), (14, "0+3+4+6", 19),
            (15, "0+3+4+5", 25), (19, "0+4", 19), (19, "0+4+5", 25), (20, "0+5", 25),
        ]),
        *_kvts("C", 10, [
            (1, "0+1", 11), (5, "0+1+2", 15), (6, "0+1+2+3", 16), (11, "0+1+2+3+4", 21), (12, "0+2", 15),
            (12, "0+2+3", 16), (12, "0+2+3+4", 21), (13, "0+2+3+4+5", 23), (16, "0+3", 16), (16, "0+3+4", 21),
            (16, "0+3+4+5", 23), (17, "0+4", 21), (17, "0+4+5", 23), (22, "0+5", 23),
        ]),
        *_kvts("D", 10, [
            (1, "0+4", 11), (2, "0+4+2", 12), (6, "0+4+2+5", 16), (12, "0+2", 12), (12, "0+2+5", 16),
            (13, "0+5", 16), (19, "0+3", 29),
        ]),
    ]


@pytest.mark.replay_refused("inputs piped out of timestamp order across topics (the runtime picks by timestamp)")
@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_join(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testJoin: a join of two sliding-windowed tables."""
    grace = 0 if variant[0] is CLOSE else 100
    windows = SlidingWindows.of_time_difference_and_grace(10, grace)
    b = StreamsBuilder()
    table1 = _table(b, variant, windows, topic="topic1", index=1, default="store-name1")
    table2 = _table(b, variant, windows, topic="topic2", index=2, default="store-name2")
    supplier = MockProcessorSupplier()
    table1.to_stream().process(supplier)
    table2.to_stream().process(supplier)
    table1.join(table2, lambda p1, p2: f"{p1}%{p2}").to_stream().process(supplier)
    close = variant[0] is CLOSE
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic1 = driver.create_input_topic("topic1", S, S)
        topic2 = driver.create_input_topic("topic2", S, S)
        for key, value, ts in [("A", "1", 10), ("B", "2", 11), ("C", "3", 12)]:
            topic1.pipe_input(key, value, ts)
        assert len(supplier.processors) == 3
        p0, p1, p2 = supplier.processors
        first = [KVT(W("A", 0, 10), "0+1", 10), KVT(W("B", 1, 11), "0+2", 11)]
        p0.check_and_clear_process_result(*first if close else [*first, KVT(W("C", 2, 12), "0+3", 12)])
        p1.check_and_clear_process_result()
        p2.check_and_clear_process_result()

        for key, value, ts in [("A", "1", 15), ("B", "2", 16), ("C", "3", 19)]:
            topic1.pipe_input(key, value, ts)
        if close:
            p0.check_and_clear_process_result(
                KVT(W("C", 2, 12), "0+3", 12), KVT(W("A", 5, 15), "0+1+1", 15), KVT(W("B", 6, 16), "0+2+2", 16))
        else:
            p0.check_and_clear_process_result(
                KVT(W("A", 11, 21), "0+1", 15), KVT(W("A", 5, 15), "0+1+1", 15),
                KVT(W("B", 12, 22), "0+2", 16), KVT(W("B", 6, 16), "0+2+2", 16),
                KVT(W("C", 13, 23), "0+3", 19), KVT(W("C", 9, 19), "0+3+3", 19))
        p1.check_and_clear_process_result()
        p2.check_and_clear_process_result()

        topic2.pipe_input("A", "a", 10)
        topic2.pipe_input("C", "c", 12)
        p0.check_and_clear_process_result()
        if close:
            p1.check_and_clear_process_result(KVT(W("A", 0, 10), "0+a", 10))
            p2.check_and_clear_process_result(KVT(W("A", 0, 10), "0+1%0+a", 10))
        else:
            p1.check_and_clear_process_result(KVT(W("A", 0, 10), "0+a", 10), KVT(W("C", 2, 12), "0+c", 12))
            p2.check_and_clear_process_result(
                KVT(W("A", 0, 10), "0+1%0+a", 10), KVT(W("C", 2, 12), "0+3%0+c", 12))

        for key, value, ts in [("A", "a", 15), ("B", "b", 16), ("C", "c", 17)]:
            topic2.pipe_input(key, value, ts)
        p0.check_and_clear_process_result()
        if close:
            p1.check_and_clear_process_result(
                KVT(W("C", 2, 12), "0+c", 12), KVT(W("A", 5, 15), "0+a+a", 15), KVT(W("B", 6, 16), "0+b", 16))
            p2.check_and_clear_process_result(
                KVT(W("C", 2, 12), "0+3%0+c", 12), KVT(W("A", 5, 15), "0+1+1%0+a+a", 15),
                KVT(W("B", 6, 16), "0+2+2%0+b", 16))
        else:
            p1.check_and_clear_process_result(
                KVT(W("A", 11, 21), "0+a", 15), KVT(W("A", 5, 15), "0+a+a", 15), KVT(W("B", 6, 16), "0+b", 16),
                KVT(W("C", 13, 23), "0+c", 17), KVT(W("C", 7, 17), "0+c+c", 17))
            p2.check_and_clear_process_result(
                KVT(W("A", 11, 21), "0+1%0+a", 15), KVT(W("A", 5, 15), "0+1+1%0+a+a", 15),
                KVT(W("B", 6, 16), "0+2+2%0+b", 16), KVT(W("C", 13, 23), "0+3%0+c", 19))


EARLY_SMALL_INPUT = [("A", "1", 0), ("A", "2", 5), ("A", "3", 6), ("A", "4", 3), ("A", "5", 13), ("A", "6", 10)]
EARLY_SMALL_FINAL: Gathered = {
    0: {("0+1+2+3+4+5+6", 13)}, 1: {("0+2+3+4+5+6", 13)}, 4: {("0+2+3+5+6", 13)}, 6: {("0+3+5+6", 13)},
    7: {("0+5+6", 13)}, 11: {("0+5", 13)},
}
EARLY_SMALL_UPDATES: Gathered = {
    0: {("0+1", 0), ("0+1+2", 5), ("0+1+2+3", 6), ("0+1+2+3+4", 6), ("0+1+2+3+4+5", 13), ("0+1+2+3+4+5+6", 13)},
    1: {("0+2", 5), ("0+2+3", 6), ("0+2+3+4", 6), ("0+2+3+4+5", 13), ("0+2+3+4+5+6", 13)},
    4: {("0+2+3", 6), ("0+2+3+5", 13), ("0+2+3+5+6", 13)},
    6: {("0+3", 6), ("0+3+5", 13), ("0+3+5+6", 13)},
    7: {("0+5", 13), ("0+5+6", 13)},
    11: {("0+5", 13)},
}


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_early_records_small_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testEarlyRecordsSmallInput (time difference 50, grace 0)."""
    windows = SlidingWindows.of_time_difference_and_grace(50, 0)
    actual = _gather(_run(variant, windows, [*EARLY_SMALL_INPUT, ("A", "7", 70)], default="topic-Canonized"))
    expected = EARLY_SMALL_FINAL if variant[0] is CLOSE else {**EARLY_SMALL_UPDATES, 20: {("0+7", 70)}}
    assert actual == expected


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_early_records_repeated_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testEarlyRecordsRepeatedInput (time difference 5, grace 0)."""
    inputs = [("A", "1", 0), ("A", "2", 2), ("A", "3", 4), ("A", "4", 0), ("A", "5", 2), ("A", "6", 2),
              ("A", "7", 0), ("A", "8", 7)]
    windows = SlidingWindows.of_time_difference_and_grace(5, 0)
    actual = _gather(_run(variant, windows, inputs, default="topic-Canonized"))
    if variant[0] is CLOSE:
        assert actual == {0: {("0+1+2+3+4+5+6+7", 4)}, 1: {("0+2+3+5+6", 4)}}
    else:
        assert actual == {
            0: {("0+1", 0), ("0+1+2", 2), ("0+1+2+3+4+5", 4), ("0+1+2+3+4+5+6", 4), ("0+1+2+3", 4),
                ("0+1+2+3+4", 4), ("0+1+2+3+4+5+6+7", 4)},
            1: {("0+2+3+5+6", 4), ("0+2", 2), ("0+2+3", 4), ("0+2+3+5", 4)},
            2: {("0+2+3+5+6+8", 7)},
            3: {("0+3", 4), ("0+3+8", 7)},
            5: {("0+8", 7)},
        }


EARLY_LARGE_INPUT = [("E", "1", 0), ("E", "3", 5), ("E", "4", 6), ("E", "2", 3), ("E", "6", 13), ("E", "5", 10),
                     ("E", "7", 4), ("E", "8", 2), ("E", "9", 15)]
# the updates after the early records' [0, 10] and [1, 11] windows, shared by both early large-input cases
LARGE_TAIL = [
    (3, "0+3+4+2+6", 13), (3, "0+3+4+2+6+5", 13), (3, "0+3+4+2+6+5+7", 13),
    (4, "0+3+4", 6), (4, "0+3+4+6", 13), (4, "0+3+4+6+5", 13), (4, "0+3+4+6+5+7", 13),
    (5, "0+3+4+6+5", 13), (5, "0+3+4+6+5+9", 15),
    (6, "0+4", 6), (6, "0+4+6", 13), (6, "0+4+6+5", 13), (6, "0+4+6+5+9", 15),
    (7, "0+6", 13), (7, "0+6+5", 13), (7, "0+6+5+9", 15),
    (11, "0+6", 13), (11, "0+6+9", 15),
    (14, "0+9", 15),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_early_records_large_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testEarlyRecordsLargeInput (grace 1 on close, 50 on update)."""
    grace = 1 if variant[0] is CLOSE else 50
    windows = SlidingWindows.of_time_difference_and_grace(10, grace)
    actual = _sorted(_run(variant, windows, EARLY_LARGE_INPUT))
    if variant[0] is CLOSE:
        assert actual == _kvts("E", 10, [(0, "0+1+3+4+2", 6), (1, "0+3+4+2", 6), (3, "0+3+4+2+6+5+7", 13)])
        return
    assert actual == _kvts("E", 10, [
        (0, "0+1", 0), (0, "0+1+3", 5), (0, "0+1+3+4", 6), (0, "0+1+3+4+2", 6), (0, "0+1+3+4+2+5", 10),
        (0, "0+1+3+4+2+5+7", 10), (0, "0+1+3+4+2+5+7+8", 10),
        (1, "0+3", 5), (1, "0+3+4", 6), (1, "0+3+4+2", 6), (1, "0+3+4+2+5", 10), (1, "0+3+4+2+5+7", 10),
        (1, "0+3+4+2+5+7+8", 10),
        *LARGE_TAIL,
    ])


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_early_no_grace_period_small_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testEarlyNoGracePeriodSmallInput (time difference 50, no grace)."""
    windows = SlidingWindows.of_time_difference_with_no_grace(50)
    actual = _gather(_run(variant, windows, [*EARLY_SMALL_INPUT, ("A", "6", 70)], default="topic-Canonized"))
    expected = EARLY_SMALL_FINAL if variant[0] is CLOSE else {**EARLY_SMALL_UPDATES, 20: {("0+6", 70)}}
    assert actual == expected


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_no_grace_period_small_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testNoGracePeriodSmallInput (time difference 50, no grace)."""
    inputs = [("A", "1", 100), ("A", "2", 105), ("A", "3", 106), ("A", "4", 103), ("A", "5", 113), ("A", "6", 110)]
    windows = SlidingWindows.of_time_difference_with_no_grace(50)
    actual = _gather(_run(variant, windows, inputs, default="topic-Canonized"))
    if variant[0] is CLOSE:
        assert actual == {50: {("0+1", 100)}, 55: {("0+1+2", 105)}, 56: {("0+1+2+3+4", 106)}}
    else:
        assert actual == {
            50: {("0+1", 100)}, 55: {("0+1+2", 105)}, 56: {("0+1+2+3", 106), ("0+1+2+3+4", 106)},
            63: {("0+1+2+3+4+5", 113), ("0+1+2+3+4+5+6", 113)},
            101: {("0+2", 105), ("0+2+3", 106), ("0+2+3+4", 106), ("0+2+3+4+5", 113), ("0+2+3+4+5+6", 113)},
            104: {("0+2+3", 106), ("0+2+3+5", 113), ("0+2+3+5+6", 113)},
            106: {("0+3", 106), ("0+3+5", 113), ("0+3+5+6", 113)},
            107: {("0+5", 113), ("0+5+6", 113)},
            111: {("0+5", 113)},
        }


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_early_no_grace_period_large_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testEarlyNoGracePeriodLargeInput (store retention 500)."""
    windows = SlidingWindows.of_time_difference_with_no_grace(10)
    actual = _sorted(_run(variant, windows, EARLY_LARGE_INPUT, retention=500))
    if variant[0] is CLOSE:
        assert actual == _kvts("E", 10, [
            (0, "0+1+3+4+2", 6), (1, "0+3+4+2", 6), (3, "0+3+4+2+6+5+7", 13), (4, "0+3+4+6+5+7", 13)])
        return
    assert actual == _kvts("E", 10, [
        (0, "0+1", 0), (0, "0+1+3", 5), (0, "0+1+3+4", 6), (0, "0+1+3+4+2", 6),
        (1, "0+3", 5), (1, "0+3+4", 6), (1, "0+3+4+2", 6),
        *LARGE_TAIL,
    ])


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_no_grace_period_large_input(variant: Variant) -> None:
    """KStreamSlidingWindowAggregateTest.testNoGracePeriodLargeInput (store retention 500)."""
    inputs = [(k, v, ts + 100) for k, v, ts in EARLY_LARGE_INPUT]
    windows = SlidingWindows.of_time_difference_with_no_grace(10)
    actual = _sorted(_run(variant, windows, inputs, retention=500))
    if variant[0] is CLOSE:
        assert actual == _kvts("E", 10, [
            (90, "0+1", 100), (95, "0+1+3", 105), (96, "0+1+3+4+2", 106), (101, "0+3+4+2", 106),
            (103, "0+3+4+2+6+5+7", 113), (104, "0+3+4+6+5+7", 113)])
        return
    assert actual == _kvts("E", 10, [
        (90, "0+1", 100), (95, "0+1+3", 105), (96, "0+1+3+4", 106), (96, "0+1+3+4+2", 106),
        (101, "0+3", 105), (101, "0+3+4", 106), (101, "0+3+4+2", 106),
        *[(start + 100, value, ts + 100) for start, value, ts in LARGE_TAIL],
    ])


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_log_and_meter_when_skipping_null_key(variant: Variant, caplog: pytest.LogCaptureFixture) -> None:
    """KStreamSlidingWindowAggregateTest.shouldLogAndMeterWhenSkippingNullKey."""
    b = StreamsBuilder()
    _table(b, variant, SlidingWindows.of_time_difference_and_grace(10, 100), default="topic1-Canonized")
    with TopologyTestDriver(b.build(), PROPS) as driver, caplog.at_level(logging.WARNING, LOGGER):
        driver.create_input_topic("topic", S, S).pipe_input(None, "1")
        assert "Skipping record due to null key or value. topic=[topic] partition=[0] offset=[0]" in caplog.messages
        assert dropped_records_total(driver) == 1


def test_skip_null_value(caplog: pytest.LogCaptureFixture) -> None:
    """KStreamSlidingWindowAggregate drops null values too (unlike time windows, whose count counts them)."""
    b = StreamsBuilder()
    supplier = MockProcessorSupplier()
    b.stream("topic", Consumed.with_(S, S)).group_by_key().windowed_by(
        SlidingWindows.of_time_difference_with_no_grace(10)).count().to_stream().process(supplier)
    with TopologyTestDriver(b.build(), PROPS) as driver, caplog.at_level(logging.WARNING, LOGGER):
        driver.create_input_topic("topic", S, S).pipe_input("k", None, 5)
        assert "Skipping record due to null key or value. topic=[topic] partition=[0] offset=[0]" in caplog.messages
    assert supplier.the_captured_processor().processed == []


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_log_and_meter_when_skipping_expired_window_by_grace(
    variant: Variant, caplog: pytest.LogCaptureFixture
) -> None:
    """KStreamSlidingWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindowByGrace (time difference 10,
    grace 90): the dropped count is checked; record lateness (a task metric) is not."""
    b = StreamsBuilder()
    table = _table(b, variant, SlidingWindows.of_time_difference_and_grace(10, 90))
    table.to_stream().to("output", Produced.with_(TimeWindowedSerde(S, 10), S))
    inputs = [("k", "100", 200), ("k", "0", 100), ("k", "1", 101), ("k", "2", 102), ("k", "3", 103),
              ("k", "4", 104), ("k", "5", 105), ("k", "6", 15), ("k", "101", 300), ("k", "102", 400)]
    with TopologyTestDriver(b.build(), PROPS) as driver, caplog.at_level(logging.WARNING, LOGGER):
        topic = driver.create_input_topic("topic", S, S)
        for key, value, ts in inputs:
            topic.pipe_input(key, value, ts)
        assert dropped_records_total(driver) == 7
        for offset, (ts, start, end) in enumerate(
            [(100, 90, 100), (101, 91, 101), (102, 92, 102), (103, 93, 103), (104, 94, 104), (105, 95, 105),
             (15, 15, 25)], start=1
        ):
            assert (
                f"Skipping record for expired window. topic=[topic] partition=[0] offset=[{offset}] "
                f"timestamp=[{ts}] window=[{start},{end}] expiration=[110] streamTime=[200]"
            ) in caplog.messages
        output = driver.create_output_topic("output", TimeWindowedSerde(S, 10), S)
        records = [(r.key, r.value, r.timestamp) for r in output.read_records_to_list()]
    expected = [(W("k", 190, 200), "0+100", 200), (W("k", 290, 300), "0+101", 300)]
    if variant[0] is UPDATE:
        expected.append((W("k", 390, 400), "0+102", 400))
    assert records == expected


RANDOM_INPUT = [
    ("A", 10), ("B", 15), ("C", 16), ("D", 18), ("E", 30), ("F", 40), ("G", 55), ("H", 56), ("I", 58), ("J", 58),
    ("K", 62), ("L", 63), ("M", 63), ("N", 63), ("O", 76), ("P", 77), ("Q", 80), ("R", 2), ("S", 3), ("T", 5),
    ("U", 8),
]
RANDOM_FINAL = {
    52: ("GHIJK", 62), 53: ("GHIJKLMN", 63), 56: ("HIJKLMN", 63), 57: ("IJKLMN", 63), 59: ("KLMN", 63),
    63: ("LMN", 63), 66: ("O", 76), 67: ("OP", 77), 70: ("OPQ", 80),
}
RANDOM_UPDATES = {
    0: ("ARSTU", 10), 3: ("ASTU", 10), 4: ("ATU", 10), 5: ("ABTU", 15), 6: ("ABCU", 16), 8: ("ABCDU", 18),
    9: ("ABCD", 18), 11: ("BCD", 18), 16: ("CD", 18), 17: ("D", 18), 20: ("E", 30), 30: ("EF", 40), 31: ("F", 40),
    45: ("G", 55), 46: ("GH", 56), 48: ("GHIJ", 58), **RANDOM_FINAL, 77: ("PQ", 80), 78: ("Q", 80),
    171: ("V", 181),
}


def _sorted_chars(key: Any, value: str, aggregate: str) -> str:
    return "".join(sorted(aggregate + value))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_aggregate_random_input(variant: Variant, seed: int) -> None:
    """KStreamSlidingWindowAggregateTest.testAggregateRandomInput: the input shuffled (fixed seeds here), the
    aggregator sorting its characters so that each window's last result does not depend on the order."""
    b = StreamsBuilder()
    grouped = b.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S)).windowed_by(
        SlidingWindows.of_time_difference_and_grace(10, 100)).emit_strategy(EmitStrategy.for_type(variant[0]))
    m = _materialized(variant, 1, 10, "store-name").with_value_serde(S)
    supplier = MockProcessorSupplier()
    grouped.aggregate(lambda: "", _sorted_chars, materialized=m).to_stream().process(supplier)
    shuffled = list(RANDOM_INPUT)
    random.Random(seed).shuffle(shuffled)
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic", S, S)
        for value, ts in [*shuffled, ("V", 181)]:
            topic.pipe_input("A", value, ts)
    last = {kvt.key.window.start: (kvt.value, kvt.timestamp) for kvt in supplier.the_captured_processor().processed}
    assert last == (RANDOM_FINAL if variant[0] is CLOSE else RANDOM_UPDATES)


def test_final_results_for_sliding_windows() -> None:
    """SuppressScenarioTest.shouldSupportFinalResultsForSlidingWindows: suppress(until_window_closes) over a
    sliding-windowed count (time difference 5, grace 15)."""
    b = StreamsBuilder()
    counts = b.stream("input", Consumed.with_(S, S)).group_by(lambda k, v: k, Grouped.with_(S, S)).windowed_by(
        SlidingWindows.of_time_difference_and_grace(5, 15)
    ).count(materialized=Materialized.as_("counts").with_caching_disabled().with_key_serde(S))
    counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded())).to_stream().map(
        lambda k, v: (str(k), v)).to("output-suppressed", Produced.with_(S, L))
    counts.to_stream().map(lambda k, v: (str(k), v)).to("output-raw", Produced.with_(S, L))
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        for ts in (10, 11, 10, 13, 10, 24, 5, 7, 90):
            topic.pipe_input("k1", "v1", ts)
        raw = [(r.key, r.value, r.timestamp) for r in driver.create_output_topic("output-raw", S, L)
               .read_records_to_list()]
        suppressed = [(r.key, r.value, r.timestamp) for r in driver.create_output_topic("output-suppressed", S, L)
                      .read_records_to_list()]
    assert sorted(raw, key=lambda r: (r[0], r[2])) == [
        ("[k1@11/16]", 1, 11), ("[k1@11/16]", 2, 13), ("[k1@12/17]", 1, 13), ("[k1@19/24]", 1, 24),
        ("[k1@5/10]", 1, 10), ("[k1@5/10]", 2, 10), ("[k1@5/10]", 3, 10), ("[k1@5/10]", 4, 10),
        ("[k1@5/10]", 5, 10), ("[k1@6/11]", 2, 11), ("[k1@6/11]", 3, 11), ("[k1@6/11]", 4, 11),
        ("[k1@6/11]", 5, 11), ("[k1@8/13]", 4, 13), ("[k1@8/13]", 5, 13), ("[k1@85/90]", 1, 90),
    ]
    assert suppressed == [
        ("[k1@5/10]", 5, 10), ("[k1@6/11]", 5, 11), ("[k1@8/13]", 5, 13), ("[k1@11/16]", 2, 13),
        ("[k1@12/17]", 1, 13), ("[k1@19/24]", 1, 24),
    ]


def test_zero_arg_count_topology() -> None:
    """TopologyTest.slidingWindowZeroArgCountWithTopologyConfigShouldPreserveTopologyStructure (names)."""
    b = StreamsBuilder()
    b.stream("input-topic").group_by_key().windowed_by(SlidingWindows.of_time_difference_with_no_grace(1)).count()
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n"
    )


def test_count_with_unnamed_materialized_burns_no_name() -> None:
    """SlidingWindowedKStreamImpl.count(Materialized) names the store once (TimeWindowedKStreamImpl burns one)."""
    b = StreamsBuilder()
    table = b.stream("in").group_by_key().windowed_by(SlidingWindows.of_time_difference_with_no_grace(5)).count(
        materialized=Materialized.with_(S, L))
    assert table.name == "KSTREAM-AGGREGATE-0000000002"
    assert "stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001]" in str(b.build().describe())


def test_windows_and_store_checks() -> None:
    """SlidingWindowsTest's argument checks and SlidingWindowStoreMaterializer's retention check."""
    with pytest.raises(TopologyError, match="time difference must not be negative"):
        SlidingWindows.of_time_difference_with_no_grace(-1)
    with pytest.raises(TopologyError, match="grace period must not be negative"):
        SlidingWindows.of_time_difference_and_grace(10, -1)
    assert SlidingWindows.of_time_difference_and_grace(10, 5) == SlidingWindows(10, 5)
    grouped = StreamsBuilder().stream("in").group_by_key().windowed_by(
        SlidingWindows.of_time_difference_and_grace(10, 5))
    with pytest.raises(TopologyError, match=r"2 \* time difference plus the grace period.*retention=\[24\]"):
        grouped.count(materialized=Materialized.as_("s").with_retention(24))
    grouped.count(materialized=Materialized.as_("ok").with_retention(25))
