"""TimeWindows and EmitStrategy, value for value as Kafka's
streams/src/test/java/org/apache/kafka/streams/kstream/TimeWindowsTest.java (trunk, and branch 3.9 for
graceShouldNotCalledAfterGraceSet), with kstreams_nb's TopologyError (a ValueError) for IllegalArgumentException /
IllegalStateException and the argument named in the message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kstreams_nb.dsl import EmitStrategy, StrategyType, TimeWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Window

ANY_SIZE = 123
ANY_GRACE = 1024


def test_should_set_window_size() -> None:
    assert TimeWindows.of_size_with_no_grace(ANY_SIZE).size_ms == ANY_SIZE
    assert TimeWindows.of_size_and_grace(ANY_SIZE, ANY_GRACE).size_ms == ANY_SIZE
    assert TimeWindows.of_size_and_grace(ANY_SIZE, ANY_GRACE).grace_ms == ANY_GRACE


def test_should_set_window_advance() -> None:
    assert TimeWindows.of_size_with_no_grace(ANY_SIZE).advance_by(4).advance_ms == 4


def test_tumbling_windows_advance_by_their_size_and_have_no_grace_by_default() -> None:
    w = TimeWindows.of_size_with_no_grace(timedelta(minutes=10))
    assert (w.size_ms, w.advance_ms, w.grace_ms, w.grace_period_ms) == (600_000, 600_000, 0, 0)


@pytest.mark.parametrize("size", [0, -1])
def test_window_size_must_not_be_zero_or_negative(size: int) -> None:
    with pytest.raises(TopologyError, match=r"Window size \(size_ms\) must be larger than zero, got -?\d+ ms"):
        TimeWindows.of_size_with_no_grace(size)


@pytest.mark.parametrize("advance", [0, -1, ANY_SIZE + 1])
def test_advance_interval_must_be_positive_and_at_most_the_size(advance: int) -> None:
    with pytest.raises(TopologyError) as e:
        TimeWindows.of_size_with_no_grace(ANY_SIZE).advance_by(advance)
    assert str(e.value) == (
        "Window advancement interval should be more than zero and less than window duration which is 123 ms, "
        f"but given advancement interval is: {advance} ms"
    )


def test_grace_period_should_enforce_boundaries() -> None:
    TimeWindows.of_size_and_grace(3, 0)
    with pytest.raises(TopologyError, match="Grace period must not be negative, got -1 ms"):
        TimeWindows.of_size_and_grace(3, -1)


def test_grace_should_not_be_called_after_grace_set() -> None:
    """3.9's graceShouldNotCalledAfterGraceSet (every factory sets a grace here)."""
    with pytest.raises(TopologyError, match=r"Cannot call grace\(\) after setting grace value"):
        TimeWindows.of_size_and_grace(10, 10).grace(10)
    with pytest.raises(TopologyError, match=r"Cannot call grace\(\) after setting grace value"):
        TimeWindows.of_size_with_no_grace(10).grace(10)


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: TimeWindows.of_size_with_no_grace(None), "size"),  # type: ignore[arg-type]
        (lambda: TimeWindows.of_size_and_grace(10, "1s"), "after_window_end"),  # type: ignore[arg-type]
        (lambda: TimeWindows.of_size_with_no_grace(10).advance_by(1.5), "advance"),  # type: ignore[arg-type]
        (lambda: TimeWindows.of_size_with_no_grace(True), "size"),
    ],
)
def test_bad_duration_types_name_the_argument(call: object, parameter: str) -> None:
    with pytest.raises(TopologyError, match=f'Invalid value for parameter "{parameter}"'):
        call()  # type: ignore[operator]


def test_timedelta_and_int_milliseconds_are_the_same() -> None:
    assert TimeWindows.of_size_and_grace(timedelta(seconds=10), timedelta(milliseconds=5)) == (
        TimeWindows.of_size_and_grace(10_000, 5)
    )


def test_should_compute_windows_for_hopping_windows() -> None:
    windows = TimeWindows.of_size_with_no_grace(12).advance_by(5)
    matched = windows.windows_for(21)
    assert len(matched) == 12 // 5 + 1
    assert matched[10] == Window(10, 22)
    assert matched[15] == Window(15, 27)
    assert matched[20] == Window(20, 32)
    assert list(matched) == [10, 15, 20]


def test_should_compute_windows_for_barely_overlapping_hopping_windows() -> None:
    assert TimeWindows.of_size_with_no_grace(6).advance_by(5).windows_for(7) == {5: Window(5, 11)}


def test_should_compute_windows_for_tumbling_windows() -> None:
    assert TimeWindows.of_size_with_no_grace(12).windows_for(21) == {12: Window(12, 24)}


def test_windows_for_early_timestamps_start_at_zero() -> None:
    assert TimeWindows.of_size_with_no_grace(10).advance_by(5).windows_for(3) == {0: Window(0, 10)}
    assert TimeWindows.of_size_with_no_grace(10).advance_by(5).windows_for(0) == {0: Window(0, 10)}


def test_ten_minute_windows_hopping_by_one_minute_hold_each_record_ten_times() -> None:
    w = TimeWindows.of_size_with_no_grace(timedelta(minutes=10)).advance_by(timedelta(minutes=1))
    starts = list(w.windows_for(754_321))
    assert starts == [m * 60_000 for m in range(3, 13)]


def test_equals_and_hashcode_should_be_valid_for_positive_cases() -> None:
    pairs = [
        (TimeWindows.of_size_with_no_grace(3), TimeWindows.of_size_with_no_grace(3)),
        (TimeWindows.of_size_with_no_grace(3).advance_by(1), TimeWindows.of_size_with_no_grace(3).advance_by(1)),
        (TimeWindows.of_size_and_grace(3, 4), TimeWindows.of_size_and_grace(3, 4)),
        (TimeWindows.of_size_and_grace(3, 33), TimeWindows.of_size_and_grace(3, 33)),
    ]
    for a, b in pairs:
        assert a == b and hash(a) == hash(b)


def test_equals_and_hashcode_should_be_valid_for_negative_cases() -> None:
    pairs = [
        (TimeWindows.of_size_with_no_grace(9), TimeWindows.of_size_with_no_grace(3)),
        (TimeWindows.of_size_and_grace(9, 9), TimeWindows.of_size_and_grace(3, 9)),
        (TimeWindows.of_size_with_no_grace(3).advance_by(2), TimeWindows.of_size_with_no_grace(3).advance_by(1)),
        (TimeWindows.of_size_and_grace(3, 2), TimeWindows.of_size_and_grace(3, 1)),
        (TimeWindows.of_size_and_grace(3, 9), TimeWindows.of_size_and_grace(3, 4)),
        (TimeWindows.of_size_and_grace(4, 2).advance_by(2), TimeWindows.of_size_and_grace(3, 2).advance_by(2)),
        (TimeWindows.of_size_and_grace(3, 2).advance_by(1), TimeWindows.of_size_and_grace(3, 2).advance_by(2)),
        (TimeWindows.of_size_and_grace(3, 1).advance_by(2), TimeWindows.of_size_and_grace(3, 2).advance_by(2)),
    ]
    for a, b in pairs:
        assert a != b


def test_advance_by_keeps_the_grace_and_returns_a_new_object() -> None:
    tumbling = TimeWindows.of_size_and_grace(10, 3)
    hopping = tumbling.advance_by(5)
    assert (hopping.size_ms, hopping.advance_ms, hopping.grace_ms) == (10, 5, 3)
    assert tumbling.advance_ms == 10


def test_emit_strategies() -> None:
    assert EmitStrategy.on_window_update().type is StrategyType.ON_WINDOW_UPDATE
    assert EmitStrategy.on_window_close().type is StrategyType.ON_WINDOW_CLOSE
    assert EmitStrategy.for_type(StrategyType.ON_WINDOW_CLOSE) == EmitStrategy.on_window_close()
