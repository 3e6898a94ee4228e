"""Time windows for windowed aggregations (Kafka's ``TimeWindows``), emit strategies and windowed serdes.

Windows are aligned to the epoch: a window is ``[start, start + size)`` and starts are multiples of the advance.
Tumbling windows advance by their size; hopping windows advance by less, so a record falls into several windows.
A record is added to a window only while ``window end > observed stream time - grace``.

Example::

    >>> from datetime import timedelta
    >>> w = TimeWindows.of_size_with_no_grace(timedelta(minutes=10)).advance_by(timedelta(minutes=5))
    >>> w.size_ms, w.advance_ms, w.grace_ms
    (600000, 300000, 0)
    >>> list(w.windows_for(660_000).values())
    [Window(start=300000, end=900000), Window(start=600000, end=1200000)]
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from kstreams_nb.errors import DeserializationError, SerializationError, TopologyError
from kstreams_nb.records import Window, Windowed

__all__ = [
    "EmitStrategy",
    "JoinWindows",
    "SlidingWindows",
    "StrategyType",
    "TimeWindowedSerde",
    "TimeWindows",
    "WindowedSerdes",
]

_MAX_MS = 2**63 - 1  # Java's Long.MAX_VALUE


def duration_ms(value: Any, parameter: str) -> int:
    """Milliseconds of a timedelta or an int of ms; anything else is a TopologyError naming ``parameter``."""
    if isinstance(value, timedelta):
        return value.days * 86_400_000 + value.seconds * 1000 + value.microseconds // 1000
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TopologyError(
        f'Invalid value for parameter "{parameter}" (value was: {value!r}). '
        "It must be a timedelta or an int of milliseconds."
    )


@dataclass(frozen=True, slots=True)
class TimeWindows:
    """Fixed-size windows aligned to the epoch: tumbling (advance = size) or hopping (advance < size).

    Build them with :meth:`of_size_with_no_grace` or :meth:`of_size_and_grace`, then optionally
    :meth:`advance_by`. Durations are timedelta or int milliseconds.

    Example::

        >>> TimeWindows.of_size_and_grace(10, 5)
        TimeWindows(size_ms=10, advance_ms=10, grace_ms=5)
        >>> TimeWindows.of_size_with_no_grace(12).advance_by(5).windows_for(21)
        {10: Window(start=10, end=22), 15: Window(start=15, end=27), 20: Window(start=20, end=32)}
    """

    size_ms: int
    advance_ms: int
    grace_ms: int

    def __post_init__(self) -> None:
        # the checks and their order are TimeWindows' constructor's
        if self.size_ms <= 0:
            raise TopologyError(f"Window size (size_ms) must be larger than zero, got {self.size_ms} ms.")
        if self.advance_ms <= 0 or self.advance_ms > self.size_ms:
            raise TopologyError(
                "Window advancement interval should be more than zero and less than window duration which is "
                f"{self.size_ms} ms, but given advancement interval is: {self.advance_ms} ms"
            )
        if self.grace_ms < 0:
            raise TopologyError(f"Grace period must not be negative, got {self.grace_ms} ms.")

    @staticmethod
    def of_size_with_no_grace(size: timedelta | int) -> TimeWindows:
        """Tumbling windows of ``size`` with no grace period: late records are dropped once a window ends."""
        ms = duration_ms(size, "size")
        return TimeWindows(ms, ms, 0)

    @staticmethod
    def of_size_and_grace(size: timedelta | int, after_window_end: timedelta | int) -> TimeWindows:
        """Tumbling windows of ``size`` accepting records up to ``after_window_end`` after a window's end."""
        ms = duration_ms(size, "size")
        return TimeWindows(ms, ms, duration_ms(after_window_end, "after_window_end"))

    def advance_by(self, advance: timedelta | int) -> TimeWindows:
        """Hopping windows: the same size and grace, a new window every ``advance`` (``0 < advance <= size``)."""
        return TimeWindows(self.size_ms, duration_ms(advance, "advance"), self.grace_ms)

    def grace(self, after_window_end: timedelta | int) -> TimeWindows:
        """Always an error: the grace period is set by the factory (Kafka's deprecated ``grace()`` rule)."""
        raise TopologyError(
            "Cannot call grace() after setting grace value via of_size_and_grace or of_size_with_no_grace."
        )

    @property
    def grace_period_ms(self) -> int:
        """Kafka's ``gracePeriodMs()``."""
        return self.grace_ms

    def windows_for(self, timestamp: int) -> dict[int, Window]:
        """Every window containing ``timestamp``, by start, oldest first."""
        size, advance = self.size_ms, self.advance_ms
        start = (max(0, timestamp - size + advance) // advance) * advance
        windows: dict[int, Window] = {}
        while start <= timestamp:
            windows[start] = Window(start, start + size)
            start += advance
        return windows


@dataclass(frozen=True, slots=True)
class JoinWindows:
    """The time bounds of a stream-stream join: a left record at ``t`` joins right records in
    ``[t - before_ms, t + after_ms]``; ``grace_ms`` is how long after a window closes late records are accepted.

    Build them with :meth:`of_time_difference_with_no_grace` or :meth:`of_time_difference_and_grace`, then
    optionally make them asymmetric with :meth:`before` / :meth:`after`. Durations are timedelta or int ms.

    Example::

        >>> JoinWindows.of_time_difference_and_grace(100, 10).after(50)
        JoinWindows(before_ms=100, after_ms=50, grace_ms=10)
        >>> JoinWindows.of_time_difference_with_no_grace(100).size_ms
        200
    """

    before_ms: int
    after_ms: int
    grace_ms: int

    def __post_init__(self) -> None:
        if self.before_ms + self.after_ms < 0:
            raise TopologyError("Window interval (ie, beforeMs+afterMs) must not be negative.")
        if self.grace_ms < 0:
            raise TopologyError(f"Grace period must not be negative, got {self.grace_ms} ms.")

    @staticmethod
    def of_time_difference_with_no_grace(time_difference: timedelta | int) -> JoinWindows:
        """Records join when their timestamps differ by at most ``time_difference``; no late records."""
        ms = duration_ms(time_difference, "time_difference")
        return JoinWindows(ms, ms, 0)

    @staticmethod
    def of_time_difference_and_grace(
        time_difference: timedelta | int, after_window_end: timedelta | int
    ) -> JoinWindows:
        """As :meth:`of_time_difference_with_no_grace`, accepting records ``after_window_end`` late."""
        ms = duration_ms(time_difference, "time_difference")
        return JoinWindows(ms, ms, duration_ms(after_window_end, "after_window_end"))

    def before(self, time_difference: timedelta | int) -> JoinWindows:
        """The same windows, reaching ``time_difference`` back from a left record (may be negative)."""
        return JoinWindows(duration_ms(time_difference, "time_difference"), self.after_ms, self.grace_ms)

    def after(self, time_difference: timedelta | int) -> JoinWindows:
        """The same windows, reaching ``time_difference`` ahead of a left record (may be negative)."""
        return JoinWindows(self.before_ms, duration_ms(time_difference, "time_difference"), self.grace_ms)

    def grace(self, after_window_end: timedelta | int) -> JoinWindows:
        """Always an error: the grace period is set by the factory (Kafka's deprecated ``grace()`` rule)."""
        raise TopologyError(
            "Cannot call grace() after setting grace value via of_time_difference_and_grace or "
            "of_time_difference_with_no_grace."
        )

    @property
    def size_ms(self) -> int:
        """Kafka's ``size()``: ``before_ms + after_ms``."""
        return self.before_ms + self.after_ms

    @property
    def grace_period_ms(self) -> int:
        """Kafka's ``gracePeriodMs()``."""
        return self.grace_ms


class StrategyType(enum.Enum):
    """When a windowed aggregation emits: on every update (default) or once per window when it closes.

    Example::

        >>> StrategyType.ON_WINDOW_CLOSE.name
        'ON_WINDOW_CLOSE'
    """

    ON_WINDOW_UPDATE = 0
    ON_WINDOW_CLOSE = 1


@dataclass(frozen=True, slots=True)
class EmitStrategy:
    """Kafka's ``EmitStrategy``: pass one to ``TimeWindowedKStream.emit_strategy``.

    Example::

        >>> EmitStrategy.on_window_close().type
        <StrategyType.ON_WINDOW_CLOSE: 1>
    """

    type: StrategyType

    @staticmethod
    def on_window_update() -> EmitStrategy:
        """Emit the new aggregate after every record (the default)."""
        return EmitStrategy(StrategyType.ON_WINDOW_UPDATE)

    @staticmethod
    def on_window_close() -> EmitStrategy:
        """Emit each window's final aggregate once, when the window closes (end <= stream time - grace)."""
        return EmitStrategy(StrategyType.ON_WINDOW_CLOSE)

    @staticmethod
    def for_type(strategy_type: StrategyType) -> EmitStrategy:
        """The strategy of that type."""
        return EmitStrategy(strategy_type)


class TimeWindowedSerde:
    """Serde of time-windowed keys (Kafka's ``TimeWindowedSerde``): the inner key's bytes followed by the
    window start as 8 big-endian bytes; the window end is ``start + window_size_ms`` when reading.

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> serde = TimeWindowedSerde(Serdes.string(), 10)
        >>> data = serde.serialize("t", Windowed("k", Window(20, 30)))
        >>> data, str(serde.deserialize("t", data))
        (b'k\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x14', '[k@20/30]')
    """

    __slots__ = ("inner", "window_size_ms")

    def __init__(self, inner: Any, window_size_ms: timedelta | int) -> None:
        if not (callable(getattr(inner, "serialize", None)) and callable(getattr(inner, "deserialize", None))):
            raise TopologyError(f"the inner serde of a windowed serde needs serialize/deserialize, got {inner!r}")
        self.inner = inner
        self.window_size_ms = duration_ms(window_size_ms, "window_size_ms")
        if self.window_size_ms <= 0:
            raise TopologyError(f"window_size_ms must be larger than zero, got {self.window_size_ms} ms")

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        """``inner(key) + start`` (None for None)."""
        if data is None:
            return None
        if not isinstance(data, Windowed):
            raise SerializationError(
                f"a time-windowed serde takes Windowed keys, got {type(data).__name__} {data!r:.80}", topic=topic
            )
        key_bytes = self.inner.serialize(topic, data.key)
        if key_bytes is None:
            raise SerializationError(f"the inner serde turned the windowed key {data} into null", topic=topic)
        return bytes(key_bytes) + data.window.start.to_bytes(8, "big", signed=True)

    def deserialize(self, topic: str | None, data: bytes | None) -> Windowed[Any] | None:
        """``Windowed(inner(key bytes), Window(start, start + size))`` (None for None)."""
        if data is None:
            return None
        if len(data) < 8:
            raise DeserializationError(
                f"time-windowed key needs at least 8 bytes (the window start), got {len(data)}", topic=topic
            )
        start = int.from_bytes(data[-8:], "big", signed=True)
        end = start + self.window_size_ms
        return Windowed(self.inner.deserialize(topic, bytes(data[:-8])), Window(start, min(end, _MAX_MS)))

    # Kafka's Serde exposes serializer()/deserializer(); the object plays both roles.
    def serializer(self) -> TimeWindowedSerde:
        """This serde as a serializer."""
        return self

    def deserializer(self) -> TimeWindowedSerde:
        """This serde as a deserializer."""
        return self

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TimeWindowedSerde)
            and other.inner == self.inner
            and other.window_size_ms == self.window_size_ms
        )

    def __hash__(self) -> int:
        return hash((id(self.inner), self.window_size_ms))

    def __repr__(self) -> str:
        return f"TimeWindowedSerde({self.inner!r}, {self.window_size_ms})"


_TimeWindowedSerdeClass = TimeWindowedSerde


class WindowedSerdes:
    """Factories of windowed serdes (Kafka's ``WindowedSerdes``); pass the inner key serde.

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> WindowedSerdes.time_windowed_serde_from(Serdes.string(), 600_000)
        TimeWindowedSerde(Serdes.string(), 600000)
    """

    TimeWindowedSerde: ClassVar[type[_TimeWindowedSerdeClass]] = _TimeWindowedSerdeClass

    @staticmethod
    def time_windowed_serde_from(inner: Any, window_size: timedelta | int) -> _TimeWindowedSerdeClass:
        """A serde of ``Windowed`` keys whose inner keys use ``inner``."""
        return TimeWindowedSerde(inner, window_size)


@dataclass(frozen=True, slots=True)
class SessionWindows:
    """Session windows (Kafka's ``SessionWindows``): records of a key less than ``inactivity_gap`` apart fall
    into one session ``[first, last]`` (both ends inclusive); a record bridging two sessions merges them.

    A session accepts records while its end is ``>= observed stream time - gap - grace``. Durations are
    timedelta or int milliseconds.

    Example::

        >>> SessionWindows.of_inactivity_gap_and_grace(5, 2)
        SessionWindows(gap_ms=5, grace_ms=2)
        >>> SessionWindows.of_inactivity_gap_with_no_grace(timedelta(seconds=1)).inactivity_gap
        1000
    """

    gap_ms: int
    grace_ms: int

    def __post_init__(self) -> None:
        if self.gap_ms <= 0:
            raise TopologyError(f"Gap time cannot be zero or negative, got {self.gap_ms} ms.")
        if self.grace_ms < 0:
            raise TopologyError(f"Grace period must not be negative, got {self.grace_ms} ms.")

    @staticmethod
    def of_inactivity_gap_with_no_grace(inactivity_gap: timedelta | int) -> SessionWindows:
        """Sessions closing ``inactivity_gap`` after their last record, with no grace period."""
        return SessionWindows(duration_ms(inactivity_gap, "inactivity_gap"), 0)

    @staticmethod
    def of_inactivity_gap_and_grace(
        inactivity_gap: timedelta | int, after_window_end: timedelta | int
    ) -> SessionWindows:
        """Sessions accepting late records up to ``after_window_end`` after they close."""
        return SessionWindows(
            duration_ms(inactivity_gap, "inactivity_gap"), duration_ms(after_window_end, "after_window_end")
        )

    @property
    def inactivity_gap(self) -> int:
        """Kafka's ``inactivityGap()`` (ms)."""
        return self.gap_ms

    @property
    def grace_period_ms(self) -> int:
        """Kafka's ``gracePeriodMs()``."""
        return self.grace_ms


@dataclass(frozen=True, slots=True)
class SlidingWindows:
    """Sliding windows (Kafka's ``SlidingWindows``): windows of a fixed ``time_difference``, both ends inclusive,
    that exist only where records are: each record gets a window ending at it (``[t - d, t]``) and, when
    later records fall within ``d`` of it, one starting just after it (``[t + 1, t + 1 + d]``).

    Records closer than ``time_difference`` fall into a common window. A window accepts records while its end is
    ``>= observed stream time - grace``. Use with ``KGroupedStream.windowed_by``. Durations are timedelta or int
    milliseconds.

    Example::

        >>> SlidingWindows.of_time_difference_and_grace(timedelta(seconds=10), 500)
        SlidingWindows(time_difference_ms=10000, grace_ms=500)
        >>> SlidingWindows.of_time_difference_with_no_grace(10).grace_period_ms
        0
    """

    time_difference_ms: int
    grace_ms: int

    def __post_init__(self) -> None:
        if self.time_difference_ms < 0:
            raise TopologyError(
                f"Window time difference must not be negative, got {self.time_difference_ms} ms."
            )
        if self.grace_ms < 0:
            raise TopologyError(f"Window grace period must not be negative, got {self.grace_ms} ms.")

    @staticmethod
    def of_time_difference_with_no_grace(time_difference: timedelta | int) -> SlidingWindows:
        """Windows of ``time_difference`` with no grace period: late records are dropped once a window ends."""
        return SlidingWindows(duration_ms(time_difference, "time_difference"), 0)

    @staticmethod
    def of_time_difference_and_grace(
        time_difference: timedelta | int, after_window_end: timedelta | int
    ) -> SlidingWindows:
        """Windows of ``time_difference`` accepting records up to ``after_window_end`` after a window's end."""
        return SlidingWindows(
            duration_ms(time_difference, "time_difference"), duration_ms(after_window_end, "after_window_end")
        )

    @property
    def grace_period_ms(self) -> int:
        """Kafka's ``gracePeriodMs()``."""
        return self.grace_ms
