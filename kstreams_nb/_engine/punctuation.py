"""Punctuation schedules and queues (Kafka's PunctuationSchedule / PunctuationQueue).

A schedule fires when the driving time (stream time or wall-clock time) reaches its slot; the callback gets
the driving time, not the slot. Missed slots are skipped: the next slot is the first one after the time
the schedule fired at.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["NEVER", "PunctuationQueue", "PunctuationSchedule"]

_seq = itertools.count()
#: the ``due`` time of an empty queue: later than any time
NEVER = 1 << 62


class _CancelFlag:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False


class PunctuationSchedule:
    """One scheduled punctuation of a node; ``cancel()`` stops it (also from inside the callback)."""

    __slots__ = ("_flag", "callback", "interval", "node", "seq", "timestamp")

    def __init__(
        self, node: Any, timestamp: int, interval: int, callback: Callable[[int], None], flag: _CancelFlag | None = None
    ) -> None:
        self.node = node
        self.timestamp = timestamp
        self.interval = interval
        self.callback = callback
        self._flag = flag or _CancelFlag()
        self.seq = next(_seq)

    def cancel(self) -> None:
        """Stop this punctuation; it will not fire again."""
        self._flag.cancelled = True

    @property
    def cancelled(self) -> bool:
        """True once cancelled."""
        return self._flag.cancelled

    def next(self, current: int) -> PunctuationSchedule:
        """The following slot, skipping every slot already passed by ``current``."""
        nxt = self.timestamp + self.interval
        if current >= nxt:
            missed = (current - self.timestamp) // self.interval
            nxt = self.timestamp + (missed + 1) * self.interval
        return PunctuationSchedule(self.node, nxt, self.interval, self.callback, self._flag)

    def __lt__(self, other: PunctuationSchedule) -> bool:
        return (self.timestamp, self.seq) < (other.timestamp, other.seq)


class PunctuationQueue:
    """Schedules ordered by next slot time (ties: first scheduled first).

    ``due`` is never later than the earliest slot (:data:`NEVER` when empty), so a caller compares its time with
    it and calls :meth:`may_punctuate` only when something may be due (a cancelled schedule can leave it early).
    """

    __slots__ = ("_heap", "due")

    def __init__(self) -> None:
        self._heap: list[PunctuationSchedule] = []
        self.due = NEVER

    def schedule(self, sched: PunctuationSchedule) -> PunctuationSchedule:
        """Add a schedule; returns it as the Cancellable handle."""
        heapq.heappush(self._heap, sched)
        if sched.timestamp < self.due:
            self.due = sched.timestamp
        return sched

    def next_time(self) -> int | None:
        """The earliest pending slot (None when empty)."""
        return self._heap[0].timestamp if self._heap else None

    def may_punctuate(self, now: int, fire: Callable[[PunctuationSchedule, int], None]) -> bool:
        """Fire every schedule due at ``now`` (each at most once); True when any fired."""
        heap = self._heap
        punctuated = False
        while heap and heap[0].timestamp <= now:
            sched = heapq.heappop(heap)
            if sched.cancelled:
                continue
            fire(sched, now)
            if not sched.cancelled:
                heapq.heappush(heap, sched.next(now))
            punctuated = True
        self.due = heap[0].timestamp if heap else NEVER
        return punctuated

    def __len__(self) -> int:
        return sum(1 for s in self._heap if not s.cancelled)

    def __bool__(self) -> bool:
        return bool(self._heap)
