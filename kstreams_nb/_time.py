"""Clocks. Nothing else in the package reads the system time directly.

Example::

    >>> c = ManualClock(1000)
    >>> c.advance(500); c.milliseconds()
    1500
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "to_millis"]


class Clock(Protocol):
    """A source of wall-clock time in epoch milliseconds."""

    def milliseconds(self) -> int: ...


class SystemClock:
    """The real wall clock."""

    def milliseconds(self) -> int:
        """Epoch milliseconds now."""
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to (tests, the TopologyTestDriver)."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now = int(start_ms)
        self._lock = threading.Lock()

    def milliseconds(self) -> int:
        """The current manual time."""
        return self._now

    def advance(self, delta: int | timedelta) -> None:
        """Move time forward by ``delta`` (ms or timedelta); never backwards."""
        ms = to_millis(delta, "delta")
        if ms < 0:
            raise ValueError(f"cannot move a clock backwards (delta={ms} ms)")
        with self._lock:
            self._now += ms

    def set(self, now_ms: int) -> None:
        """Set the time (not earlier than the current time)."""
        with self._lock:
            if now_ms < self._now:
                raise ValueError(f"cannot move a clock backwards from {self._now} to {now_ms}")
            self._now = int(now_ms)


def to_millis(value: int | float | timedelta, what: str = "duration") -> int:
    """Milliseconds of a timedelta or an int of ms; ``what`` names the argument in errors."""
    if isinstance(value, timedelta):
        return (value.days * 86_400_000) + (value.seconds * 1000) + (value.microseconds // 1000)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a timedelta or an int of milliseconds, got {type(value).__name__}")
    return int(value)
