"""Per-partition record queues and the PartitionGroup that picks the next record of a task.

Kafka's PartitionGroup/RecordQueue: each input partition buffers raw records; the head is deserialized and
time-stamped lazily; the group always processes the head with the LOWEST timestamp across the task's
partitions; the task's stream time is the largest timestamp processed so far (-1 while unknown). With a lag
source (the runtime), the group also says whether the task is ready to process (Kafka's readyToProcess with
max.task.idle.ms).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from kstreams_nb._time import Clock
from kstreams_nb.records import ConsumerRecord, Record, TopicPartition

__all__ = ["UNKNOWN", "PartitionGroup", "RecordQueue"]

UNKNOWN = -1

#: ``(raw, partition_time) -> Record`` or None when the record is to be skipped (its handler said so)
Decoder = Callable[[ConsumerRecord, int], "Record | None"]


class RecordQueue:
    """Buffered raw records of one partition with a decoded head."""

    __slots__ = (
        "_decode", "_fifo", "committable", "head", "head_raw", "only_child", "partition_time", "skipped_to", "source",
        "tp",
    )

    def __init__(self, tp: TopicPartition, source: object, decode: Decoder) -> None:
        self.tp = tp
        self.source = source
        self._decode = decode
        self._fifo: deque[ConsumerRecord] = deque()
        self.head: Record | None = None
        self.head_raw: ConsumerRecord | None = None
        self.partition_time = UNKNOWN
        #: next offset to commit: one past the last record processed or skipped (None: nothing yet)
        self.committable: int | None = None
        #: one past the last record skipped while the record popped before it was still being processed; it becomes
        #: committable only once that record is done (StreamTask.process), never if it fails
        self.skipped_to = -1
        #: the source's child when it has exactly one (the task loop calls it directly): see set_only_child
        self.only_child: Any = None

    def set_only_child(self) -> None:
        """Note the source's only child (None when it has several or none), once the topology is built."""
        children: Any = getattr(self.source, "children", ())
        self.only_child = children[0] if len(children) == 1 else None

    def add_one(self, raw: ConsumerRecord) -> None:
        """Append one raw record (the test driver's path: it pipes records one at a time)."""
        if self.head is None and not self._fifo:
            record = self._decode(raw, self.partition_time)
            if record is None:
                self.committable = raw.offset + 1
            else:
                self.head, self.head_raw = record, raw
        else:
            self._fifo.append(raw)

    def add(self, raws: Iterable[ConsumerRecord]) -> None:
        """Append raw records (in offset order)."""
        self._fifo.extend(raws)
        if self.head is None:
            self._update_head(False)

    def _update_head(self, in_flight: bool) -> None:
        fifo = self._fifo
        while self.head is None and fifo:
            raw = fifo.popleft()
            record = self._decode(raw, self.partition_time)
            if record is None:  # skipped by a handler: handled, so its offset may be committed ...
                if in_flight:  # ... once the popped record before it is processed
                    self.skipped_to = raw.offset + 1
                else:
                    self.committable = raw.offset + 1
                continue
            self.head = record
            self.head_raw = raw

    def pop(self) -> tuple[Record, ConsumerRecord]:
        """Remove and return the head (which must exist)."""
        record, raw = self.head, self.head_raw
        assert record is not None and raw is not None
        self.head = self.head_raw = None
        if record.timestamp > self.partition_time:
            self.partition_time = record.timestamp
        if self._fifo:
            self._update_head(True)
        return record, raw

    def size(self) -> int:
        """Records buffered, head included."""
        return len(self._fifo) + (1 if self.head is not None else 0)

    def clear(self) -> None:
        """Drop every buffered record (revocation, dirty close)."""
        self._fifo.clear()
        self.head = self.head_raw = None


class PartitionGroup:
    """The record queues of one task; ``next_record`` returns the lowest-timestamp head.

    Example::

        group = PartitionGroup()
        group.add_queue(RecordQueue(tp, source, decode))
        group.add_records(tp, raws)
        if group.ready():
            queue, record, raw = group.next_record()
    """

    __slots__ = ("_clock", "_idle_since", "_max_idle", "_order", "lag", "queues", "stream_time")

    def __init__(self) -> None:
        self.queues: dict[TopicPartition, RecordQueue] = {}
        self._order: list[RecordQueue] = []
        self.stream_time = UNKNOWN
        #: records left on the broker for a partition (None: unknown); None when processing never waits
        self.lag: Callable[[TopicPartition], int | None] | None = None
        self._max_idle = 0
        self._idle_since = -1
        self._clock: Clock | None = None

    def set_lag_source(self, lag: Callable[[TopicPartition], int | None], max_idle_ms: int, clock: Clock) -> None:
        """Make :meth:`ready` wait while an empty partition still has records on the broker (``lag`` > 0 or
        unknown), and then up to ``max_idle_ms`` (max.task.idle.ms; negative: never wait)."""
        self.lag = lag
        self._max_idle = max_idle_ms
        self._clock = clock

    def ready(self) -> bool:
        """Kafka's readyToProcess: False while some empty partition may still get records that should be
        processed first (always True without a lag source)."""
        lag, clock, queues = self.lag, self._clock, self.queues
        if len(queues) < 2 or lag is None or clock is None or self._max_idle < 0:
            return True
        empty = [tp for tp, q in queues.items() if q.head is None]
        if not empty:
            self._idle_since = -1
            return True
        if len(empty) == len(queues):
            return False
        for tp in empty:
            left = lag(tp)
            if left is None or left > 0:  # must wait to poll the data known to be on the broker
                return False
        now = clock.milliseconds()
        if self._idle_since < 0:
            self._idle_since = now
        return now - self._idle_since >= self._max_idle

    def add_queue(self, queue: RecordQueue) -> None:
        """Register a partition's queue."""
        self.queues[queue.tp] = queue
        self._order.append(queue)

    def add_records(self, tp: TopicPartition, raws: Iterable[ConsumerRecord]) -> None:
        """Buffer raw records for ``tp``."""
        self.queues[tp].add(raws)

    def next_record(self) -> tuple[RecordQueue, Record, ConsumerRecord] | None:
        """Pop the head with the lowest timestamp (ties: first partition added); updates stream time."""
        order = self._order
        best: RecordQueue | None = None
        if len(order) == 1:
            if order[0].head is not None:
                best = order[0]
        else:
            best_ts = 0
            for q in order:
                h = q.head
                if h is not None and (best is None or h[2] < best_ts):
                    best, best_ts = q, h[2]
        if best is None:
            return None
        record, raw = best.pop()
        ts = record[2]  # Record is a tuple: (key, value, timestamp, headers)
        if ts > self.stream_time:
            self.stream_time = ts
        return best, record, raw

    def num_buffered(self) -> int:
        """Records buffered across all partitions."""
        return sum(q.size() for q in self._order)

    def clear(self) -> None:
        """Drop every buffered record."""
        for q in self._order:
            q.clear()
