"""The windowed aggregation processor driven directly (Kafka's MockInternalNewProcessorContext tests in
KStreamWindowAggregateTest.java: shouldNotEmitFinalIfNotProgressEnough, shouldEmitWithInterval0,
shouldEmitWithLargeInterval), for both emit strategies: a fake context with a settable system time and a real
timestamped window store (retention one day, as the test's getWindowStore)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from kstreams_nb.dsl import Change, EmitStrategy, StrategyType, TimeWindows
from kstreams_nb.dsl.window_aggregate import EMIT_INTERVAL_CONFIG, WindowAggregateSupplier
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Record, RecordMetadata, TaskId, Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores

STORE = "dummy-store-name"
WINDOWS = TimeWindows.of_size_and_grace(10, 5).advance_by(5)


def string_init() -> str:
    return "0"


def tostring_adder(key: Any, value: Any, agg: Any) -> str:
    return f"{agg}+{value}"


class Context:
    """What the processor uses of a ProcessorContext; ``forwarded`` records (key, value, timestamp)."""

    def __init__(self, emit_interval: int) -> None:
        self.app_configs = {EMIT_INTERVAL_CONFIG: emit_interval}
        self.current_system_time_ms = 0
        self.current_stream_time_ms = -1
        self.record_metadata: RecordMetadata | None = None
        self.forwarded: list[tuple[Any, Any, int]] = []
        self.application_id, self.task_id, self.key_serde, self.value_serde = "app", TaskId(0, 0), None, None
        self.store = Stores.timestamped_window_store_builder(
            Stores.in_memory_window_store(STORE, 86_400_000, 10, False), Serdes.string(), Serdes.string()
        ).with_logging_disabled().build()
        self.store.init(self, self.store)

    # StateStoreContext
    def register(self, store: Any, restore: Callable[[Sequence[Any]], None], *, logged: bool) -> None:
        pass

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None) -> None:
        raise AssertionError("logging is disabled")

    # ProcessorContext
    def get_state_store(self, name: str) -> Any:
        assert name == STORE
        return self.store

    def forward(self, record: Record, child_name: str | None = None) -> None:
        self.forwarded.append((record.key, record.value, record.timestamp))

    def reset_forwards(self) -> None:
        self.forwarded.clear()


def fwd(key: str, start: int, end: int, value: str, ts: int) -> tuple[Any, Any, int]:
    return Windowed(key, Window(start, end)), Change(value, None), ts


def processor(strategy: StrategyType, emit_interval: int) -> tuple[Any, Context]:
    supplier = WindowAggregateSupplier(WINDOWS, STORE, EmitStrategy.for_type(strategy), string_init, tostring_adder)
    context = Context(emit_interval)
    p = supplier()
    p.init(context)
    return p, context


STRATEGIES = [StrategyType.ON_WINDOW_UPDATE, StrategyType.ON_WINDOW_CLOSE]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_not_emit_final_if_not_progress_enough(strategy: StrategyType) -> None:
    p, context = processor(strategy, 0)
    emit_final = strategy is StrategyType.ON_WINDOW_CLOSE
    p.process(Record("A", "1", 0))
    p.process(Record("B", "2", 5))
    p.process(Record("C", "3", 15))
    if emit_final:
        assert context.forwarded == [fwd("A", 0, 10, "0+1", 0), fwd("B", 0, 10, "0+2", 5)]
    else:
        assert context.forwarded == [
            fwd("A", 0, 10, "0+1", 0), fwd("B", 0, 10, "0+2", 5), fwd("B", 5, 15, "0+2", 5),
            fwd("C", 10, 20, "0+3", 15), fwd("C", 15, 25, "0+3", 15),
        ]
    context.reset_forwards()
    p.process(Record("D", "4", 15))
    # emit final: none emitted because observed time doesn't progress
    assert context.forwarded == ([] if emit_final else [fwd("D", 10, 20, "0+4", 15), fwd("D", 15, 25, "0+4", 15)])
    context.reset_forwards()
    p.process(Record("E", "5", 19))
    # emit final: none emitted because observed time doesn't progress enough to cover new windows
    assert context.forwarded == ([] if emit_final else [fwd("E", 10, 20, "0+5", 19), fwd("E", 15, 25, "0+5", 19)])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_emit_with_interval_0(strategy: StrategyType) -> None:
    p, context = processor(strategy, 0)
    for key, value, ts in [("A", "1", 0), ("A", "1", 5), ("B", "2", 10), ("C", "3", 15), ("D", "4", 20)]:
        p.process(Record(key, value, ts))
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        assert context.forwarded == [
            fwd("A", 0, 10, "0+1+1", 5), fwd("A", 5, 15, "0+1", 5), fwd("B", 5, 15, "0+2", 10),
        ]
    else:
        assert context.forwarded == [
            fwd("A", 0, 10, "0+1", 0), fwd("A", 0, 10, "0+1+1", 5), fwd("A", 5, 15, "0+1", 5),
            fwd("B", 5, 15, "0+2", 10), fwd("B", 10, 20, "0+2", 10), fwd("C", 10, 20, "0+3", 15),
            fwd("C", 15, 25, "0+3", 15), fwd("D", 15, 25, "0+4", 20), fwd("D", 20, 30, "0+4", 20),
        ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_emit_with_large_interval(strategy: StrategyType) -> None:
    p, context = processor(strategy, 1000)
    emit_final = strategy is StrategyType.ON_WINDOW_CLOSE
    for key, value, ts in [("A", "1", 0), ("A", "1", 5), ("B", "2", 10), ("C", "3", 15)]:
        p.process(Record(key, value, ts))
    if emit_final:
        assert context.forwarded == []
    else:
        assert context.forwarded == [
            fwd("A", 0, 10, "0+1", 0), fwd("A", 0, 10, "0+1+1", 5), fwd("A", 5, 15, "0+1", 5),
            fwd("B", 5, 15, "0+2", 10), fwd("B", 10, 20, "0+2", 10), fwd("C", 10, 20, "0+3", 15),
            fwd("C", 15, 25, "0+3", 15),
        ]
    context.reset_forwards()
    context.current_system_time_ms = 10_000  # progress
    p.process(Record("D", "4", 20))
    if emit_final:
        assert context.forwarded == [
            fwd("A", 0, 10, "0+1+1", 5), fwd("A", 5, 15, "0+1", 5), fwd("B", 5, 15, "0+2", 10),
        ]
    else:
        assert context.forwarded == [fwd("D", 15, 25, "0+4", 20), fwd("D", 20, 30, "0+4", 20)]
    context.reset_forwards()
    context.current_system_time_ms = 10_100  # progress, but less than the interval
    p.process(Record("E", "5", 40))
    assert context.forwarded == ([] if emit_final else [fwd("E", 35, 45, "0+5", 40), fwd("E", 40, 50, "0+5", 40)])


def test_old_values_are_sent_when_asked_for_and_a_new_window_reports_the_initializer() -> None:
    """maybeForwardUpdate sends Change(new, old) where old is the initializer's value for a new window."""
    supplier = WindowAggregateSupplier(
        TimeWindows.of_size_with_no_grace(10), STORE, EmitStrategy.on_window_update(), string_init, tostring_adder
    )
    supplier.enable_sending_old_values()
    context = Context(0)
    p = supplier()
    p.init(context)
    p.process(Record("A", "1", 3))
    p.process(Record("A", "2", 4))
    assert context.forwarded == [
        (Windowed("A", Window(0, 10)), Change("0+1", "0"), 3),
        (Windowed("A", Window(0, 10)), Change("0+1+2", "0+1"), 4),
    ]


def test_null_keys_are_dropped_null_values_are_aggregated() -> None:
    """KStreamWindowAggregate only skips null keys; a null value reaches the aggregator."""
    p, context = processor(StrategyType.ON_WINDOW_UPDATE, 0)
    p.process(Record(None, "1", 0))
    p.process(Record("A", None, 0))
    assert context.forwarded == [fwd("A", 0, 10, "0+None", 0)]
    assert p.dropped == 1


def test_only_time_windows_are_supported() -> None:
    with pytest.raises(TopologyError, match="take TimeWindows"):
        WindowAggregateSupplier(object(), STORE, EmitStrategy.on_window_close(), string_init, tostring_adder)  # type: ignore[arg-type]
