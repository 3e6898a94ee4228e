"""Suppressed and its BufferConfig, as Kafka's streams/src/test/java/org/apache/kafka/streams/kstream/
SuppressedTest.java (bufferBuilderShouldBeConsistent, intermediateEventsShouldAcceptAnyBufferAndSetBounds,
finalEventsShouldAcceptStrictBuffersAndSetBounds, supportLongChainOfMethods). Kafka's EagerBufferConfigImpl is a
BufferConfig with full_strategy EMIT, StrictBufferConfigImpl one with SHUT_DOWN; SuppressedInternal /
FinalResultsSuppressionBuilder are Suppressed with final_results False / True."""

from __future__ import annotations

import pytest

from kstreams_nb.dsl import BufferConfig, BufferFullStrategy, Suppressed
from kstreams_nb.errors import TopologyError

MAX = 2**63 - 1
EMIT, SHUT_DOWN = BufferFullStrategy.EMIT, BufferFullStrategy.SHUT_DOWN
unbounded, max_records, max_bytes = BufferConfig.unbounded, BufferConfig.max_records, BufferConfig.max_bytes
until_time_limit, until_window_closes = Suppressed.until_time_limit, Suppressed.until_window_closes
CONFIG = {"myConfigKey": "myConfigValue"}


def eager(records: int, size: int, log_config: dict[str, str] | None = None) -> BufferConfig:
    return BufferConfig(records, size, EMIT, log_config if log_config is not None else {})


def strict(records: int, size: int, log_config: dict[str, str] | None = None) -> BufferConfig:
    return BufferConfig(records, size, SHUT_DOWN, log_config if log_config is not None else {})


def test_buffer_builder_should_be_consistent() -> None:
    assert max_bytes(2).with_max_records(4).with_no_bound() == unbounded()
    assert max_records(2) == eager(2, MAX)
    assert max_bytes(2) == eager(MAX, 2)
    assert max_records(2).with_max_bytes(4).with_logging_enabled(CONFIG) == eager(2, 4, CONFIG)


def test_intermediate_events_should_accept_any_buffer_and_set_bounds() -> None:
    assert until_time_limit(2, unbounded()).with_name("myname") == Suppressed(unbounded(), 2, False, "myname")
    assert until_time_limit(2, unbounded()) == Suppressed(unbounded(), 2, False, None)
    assert until_time_limit(2, max_records(2)) == Suppressed(max_records(2), 2)
    assert until_time_limit(2, max_bytes(2)) == Suppressed(max_bytes(2), 2)
    assert until_time_limit(2, max_records(3).with_max_bytes(2)) == Suppressed(eager(3, 2), 2)
    assert until_time_limit(2, max_records(2).with_logging_enabled(CONFIG).emit_early_when_full()) == Suppressed(
        eager(2, MAX, CONFIG), 2
    )


def test_final_events_should_accept_strict_buffers_and_set_bounds() -> None:
    assert until_window_closes(unbounded()) == Suppressed(unbounded(), None, True)
    assert until_window_closes(max_records(2).shut_down_when_full()) == Suppressed(strict(2, MAX), None, True)
    assert until_window_closes(max_bytes(2).shut_down_when_full()) == Suppressed(strict(MAX, 2), None, True)
    assert until_window_closes(unbounded()).with_name("name") == Suppressed(unbounded(), None, True, "name")
    assert until_window_closes(max_records(2).shut_down_when_full()).with_name("name") == Suppressed(
        strict(2, MAX), None, True, "name"
    )
    assert until_window_closes(max_bytes(2).with_logging_enabled(CONFIG).shut_down_when_full()) == Suppressed(
        strict(MAX, 2, CONFIG), None, True
    )


def test_support_long_chain_of_methods() -> None:
    config = unbounded().emit_early_when_full().with_max_records(3).with_max_bytes(4).with_max_records(5)
    config = config.with_max_bytes(6)
    assert config == eager(5, 6)
    assert config.shut_down_when_full() == strict(5, 6)
    logged = unbounded().with_logging_enabled(CONFIG).emit_early_when_full().with_max_records(3).with_max_bytes(4)
    logged = logged.with_max_records(5).with_max_bytes(6)
    assert logged == eager(5, 6, CONFIG)
    assert logged.shut_down_when_full() == strict(5, 6, CONFIG)
    last = unbounded().emit_early_when_full().with_max_records(5).with_max_bytes(6).with_logging_enabled(CONFIG)
    assert last == eager(5, 6, CONFIG)
    assert last.shut_down_when_full() == strict(5, 6, CONFIG)


def test_suppressed_buffer_config_is_reachable_as_in_kafka() -> None:
    assert Suppressed.BufferConfig is BufferConfig
    assert Suppressed.BufferConfig.unbounded().is_strict
    assert not Suppressed.BufferConfig.max_records(1).is_strict


def test_logging_flags() -> None:
    assert unbounded().is_logging_enabled
    assert not unbounded().with_logging_disabled().is_logging_enabled
    assert unbounded().with_logging_disabled().with_logging_enabled().log_config == {}


def test_final_results_need_a_strict_buffer() -> None:
    """Kafka enforces this with types (untilWindowCloses takes a StrictBufferConfig); here it is checked."""
    with pytest.raises(TopologyError, match="strict buffer config"):
        until_window_closes(max_records(5))


@pytest.mark.parametrize(
    "call",
    [
        lambda: max_records(-1),
        lambda: max_bytes(-5),
        lambda: unbounded().with_max_records(1.5),
        lambda: until_time_limit(-1, unbounded()),
        lambda: until_time_limit("soon", unbounded()),
        lambda: until_time_limit(1, "unbounded"),
        lambda: until_window_closes(None),
        lambda: until_time_limit(1, unbounded()).with_name(""),
    ],
)
def test_bad_arguments_are_topology_errors(call: object) -> None:
    with pytest.raises(TopologyError):
        call()  # type: ignore[operator]
