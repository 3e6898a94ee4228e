"""One partition's log: records packed in compact columns behind one lock, appended in batches, fetched in slices.

Records are stored as bytes (see :mod:`~kstreams_nb.clients.memory.storage`); ``ConsumerRecord`` objects are
made when fetched. The log start offset is always 0. Transaction markers occupy an offset, as in Kafka, but hold
no record: a fetch steps over them. ``read_committed`` fetches stop at the last stable offset (LSO, the first
offset of the oldest open transaction) and also skip records of aborted transactions; ``read_uncommitted``
fetches stop at the high watermark. A topic with ``cleanup.policy=compact`` is compacted as Kafka's log cleaner
does (see :mod:`~kstreams_nb.clients.memory.compaction`): removed records leave gaps in the offsets, and a
fetch from a removed offset starts at the next record.

Example::

    >>> from kstreams_nb.records import EMPTY_HEADERS
    >>> log = PartitionLog("t", 0)
    >>> log.append_batch([(b"k", b"v", 5, EMPTY_HEADERS)])
    0
    >>> records, position = log.fetch(0, 10, read_committed=True)
    >>> [(r.offset, r.value) for r in records], position
    ([(0, b'v')], 1)
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence

from kstreams_nb.clients.memory.compaction import CompactionPolicy, clean
from kstreams_nb.clients.memory.storage import RecordColumns
from kstreams_nb.errors import BrokerError, ProducerFencedError, UnknownTopicError
from kstreams_nb.records import ConsumerRecord, Headers

__all__ = ["NO_PRODUCER", "PartitionLog", "RawRecord", "Waker"]

RawRecord = tuple[bytes | None, bytes | None, int, Headers]
"""What producers hand to a log: ``(key, value, timestamp, headers)``."""

NO_PRODUCER = -1
"""Producer id of a non-transactional append."""


class Waker:
    """A flag with a Condition: consumers wait on it; logs, groups and ``wakeup()`` set it.

    Example::

        >>> w = Waker()
        >>> w.notify(); w.wait(0.0)
        True
    """

    __slots__ = ("_cond", "_flag", "_interrupted")

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._flag = False
        self._interrupted = False

    def notify(self) -> None:
        """Something changed that a waiting poll should look at."""
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def poke(self) -> None:
        """:meth:`notify` unless already notified since the last :meth:`clear` (saves a lock per append).

        Safe: the flag goes back to False only in ``clear``, which a poll calls before it fetches, and the fetch
        takes the partition lock, so it sees every append that found the flag still set.
        """
        if not self._flag:
            self.notify()

    def interrupt(self) -> None:
        """Wake a waiting poll and make it return at once (``Consumer.wakeup``)."""
        with self._cond:
            self._flag = True
            self._interrupted = True
            self._cond.notify_all()

    def clear(self) -> bool:
        """Reset the flag before looking for work; True when an interrupt was pending (it is consumed)."""
        with self._cond:
            self._flag = False
            interrupted, self._interrupted = self._interrupted, False
            return interrupted

    def wait(self, timeout: float) -> bool:
        """Wait until notified (or ``timeout`` seconds pass); True when notified since the last ``clear``."""
        with self._cond:
            if not self._flag and timeout > 0:
                self._cond.wait(timeout)
            return self._flag


class PartitionLog:
    """The records of one topic partition, with transaction state; every method takes the lock once.

    Producers append with :meth:`append_batch` (a producer id and epoch when transactional); the transaction
    coordinator ends a transaction with :meth:`write_marker`; consumers read with :meth:`fetch`. With a
    ``compaction`` policy the log compacts itself as it grows (see :meth:`compact`).

    Example::

        >>> from kstreams_nb.records import EMPTY_HEADERS
        >>> log = PartitionLog("t", 0)
        >>> log.append(None, b"open", 0, EMPTY_HEADERS, producer_id=1, epoch=0), log.last_stable_offset()
        (0, 0)
        >>> log.write_marker(1, 0, commit=False), log.fetch(0, 10, read_committed=True)
        (1, ([], 2))
    """

    __slots__ = (
        "_aborted",
        "_active",
        "_clean_end",
        "_cols",
        "_compaction",
        "_deleted",
        "_epochs",
        "_horizons",
        "_listeners",
        "_lock",
        "_lso",
        "_next",
        "_open",
        "_txn_ranges",
        "partition",
        "topic",
    )

    def __init__(self, topic: str, partition: int, compaction: CompactionPolicy | None = None) -> None:
        self.topic = topic
        self.partition = partition
        self._lock = threading.Lock()
        self._cols = RecordColumns()
        self._next = 0  # the high watermark: the offset the next record or marker gets
        self._aborted: list[int] = []  # offsets of records of aborted transactions (sorted): read_committed skips
        # producer id -> first offset of its open transaction (insertion = offset order)
        self._open: dict[int, int] = {}
        self._txn_ranges: dict[int, list[list[int]]] = {}  # producer id -> [[start, end), ...] of its open transaction
        # producer id -> latest epoch seen (fences zombies, as Kafka's ProducerStateManager)
        self._epochs: dict[int, int] = {}
        self._lso = 0
        self._listeners: tuple[Waker, ...] = ()
        self._deleted = False
        self._compaction = compaction
        self._clean_end = 0  # records below this index were cleaned by the last compaction pass
        self._horizons: dict[int, int] = {}  # offset of a kept tombstone -> when a pass may remove it (epoch ms)
        self._active = [0, 0, -1]  # the active segment: base offset, bytes, creation time (-1: empty)

    # -- writing ------------------------------------------------------------------------------------------------

    def append(
        self,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers,
        producer_id: int = NO_PRODUCER,
        epoch: int = -1,
    ) -> int:
        """Append one record (a producer's ``produce``); returns its offset. See :meth:`append_batch`."""
        return self.append_batch(((key, value, timestamp, headers),), producer_id, epoch)

    def append_batch(self, batch: Sequence[RawRecord], producer_id: int = NO_PRODUCER, epoch: int = -1) -> int:
        """Append records under one lock acquisition; returns the offset of the first one.

        A transactional append (``producer_id >= 0``) opens the producer's transaction on this partition if it has
        none; an epoch older than one already seen here raises ProducerFencedError.
        """
        with self._lock:
            if self._deleted:
                raise UnknownTopicError(f"topic {self.topic!r} was deleted")
            base = self._next
            if producer_id >= 0:
                self._track_transaction(producer_id, epoch, base, len(batch))
            if self._compaction is None:
                self._cols.extend(base, batch)
            else:
                self._append_to_segment(base, batch)
            self._next = base + len(batch)
            if not self._open:
                self._lso = self._next
            if self._compaction is not None:
                self._maybe_clean()
            listeners = self._listeners
        for waker in listeners:
            waker.poke()
        return base

    def _track_transaction(self, producer_id: int, epoch: int, base: int, count: int) -> None:
        self._check_epoch(producer_id, epoch)
        ranges = self._txn_ranges.get(producer_id)
        if ranges is None:
            self._open[producer_id] = base
            self._txn_ranges[producer_id] = [[base, base + count]]
        elif ranges[-1][1] == base:
            ranges[-1][1] = base + count
        else:
            ranges.append([base, base + count])

    def write_marker(self, producer_id: int, epoch: int, commit: bool) -> int | None:
        """End ``producer_id``'s transaction here with a commit or abort marker; returns the marker's offset.

        Aborted records become invisible to read_committed fetches. Nothing is written on a deleted log.
        """
        with self._lock:
            if self._deleted:
                return None
            self._check_epoch(producer_id, epoch)
            self._epochs[producer_id] = epoch
            offset = self._next
            self._next = offset + 1
            ranges = self._txn_ranges.pop(producer_id, [])
            self._open.pop(producer_id, None)
            if not commit and ranges:
                aborted = [o for start, end in ranges for o in range(start, end)]
                self._aborted = sorted(self._aborted + aborted)  # timsort merges the two runs
            self._lso = next(iter(self._open.values())) if self._open else self._next
            if self._compaction is not None:
                self._maybe_clean()
            listeners = self._listeners
        for waker in listeners:
            waker.notify()
        return offset

    def _check_epoch(self, producer_id: int, epoch: int) -> None:
        latest = self._epochs.get(producer_id, -1)
        if epoch < latest:
            raise ProducerFencedError(
                f"producer {producer_id} with epoch {epoch} was fenced on {self.topic}-{self.partition}: "
                f"a newer instance (epoch {latest}) uses the same transactional.id; close this producer"
            )
        self._epochs[producer_id] = epoch

    def mark_deleted(self) -> None:
        """The topic was deleted: further appends raise UnknownTopicError; waiting consumers are woken."""
        with self._lock:
            self._deleted = True
            listeners = self._listeners
        for waker in listeners:
            waker.notify()

    # -- compaction ---------------------------------------------------------------------------------------------

    def compact(self) -> int:
        """Run a compaction pass now over the records below the LSO and the active segment; returns how many
        records it removed.

        Raises BrokerError on a topic whose ``cleanup.policy`` does not include ``compact``.
        """
        with self._lock:
            if self._compaction is None:
                raise BrokerError(
                    f"{self.topic}-{self.partition} is not compacted: create the topic with cleanup.policy=compact"
                )
            before = len(self._cols)
            self._clean()
            return before - len(self._cols)

    def _append_to_segment(self, base: int, batch: Sequence[RawRecord]) -> None:
        """Append, rolling the active segment first when it is too old, after when it is full (Kafka's roll)."""
        policy, active, cols = self._compaction, self._active, self._cols
        assert policy is not None
        now = policy.clock()
        if active[2] >= 0 and now - active[2] >= policy.segment_ms:
            active[:] = [base, 0, -1]
        if active[2] < 0:
            active[2] = now
        size = len(cols.data)
        cols.extend(base, batch)
        active[1] += len(cols.data) - size + 32 * len(batch)
        if active[1] >= policy.segment_bytes:
            active[:] = [base + len(batch), 0, -1]

    def _cleanable(self) -> int:
        """The index of the first record that must not be cleaned: in the active segment or at/after the LSO."""
        return bisect_left(self._cols.offsets, min(self._lso, self._active[0]))

    def _maybe_clean(self) -> None:
        policy = self._compaction
        assert policy is not None
        if policy.is_due(self._clean_end, self._cleanable()):
            self._clean()

    def _clean(self) -> None:
        policy = self._compaction
        assert policy is not None
        cols = self._cols
        limit = self._cleanable()
        if limit == 0:
            return
        last = cols.offsets[limit - 1]
        self._clean_end = clean(cols, self._clean_end, limit, self._aborted, self._horizons, policy)
        if self._aborted and self._aborted[0] <= last:  # cleaned away: no longer needed to hide them
            self._aborted = [o for o in self._aborted if o > last]

    # -- reading ------------------------------------------------------------------------------------------------

    def fetch(self, start: int, max_records: int, read_committed: bool) -> tuple[list[ConsumerRecord], int]:
        """Records from offset ``start`` on (at most ``max_records``) and the next position to fetch from.

        Reads up to the LSO (read_committed) or the high watermark; markers, compacted-away offsets and, for
        read_committed, aborted records are skipped but still advance the position. A ``start`` outside
        ``[0, high watermark]`` returns ``([], -1)`` (Kafka's OffsetOutOfRange).
        """
        with self._lock:
            if start < 0 or start > self._next:
                return [], -1
            end = self._lso if read_committed else self._next
            if start >= end or max_records <= 0:
                return [], start
            cols, topic, partition = self._cols, self.topic, self.partition
            offsets = cols.offsets
            j = bisect_left(offsets, start)
            k = bisect_left(offsets, end, j)
            aborted: list[int] = self._aborted if read_committed else []
            a = bisect_left(aborted, start)
            n_aborted = len(aborted)
            if a == n_aborted or aborted[a] >= end:
                if k - j > max_records:
                    k = j + max_records
                    return cols.records(topic, partition, j, k), offsets[k]
                return cols.records(topic, partition, j, k), end
            out: list[ConsumerRecord] = []
            need = max_records
            while j < k and need > 0:
                while a < n_aborted and aborted[a] < offsets[j]:
                    a += 1
                if a < n_aborted and aborted[a] == offsets[j]:
                    j += 1
                    a += 1
                    continue
                stop = min(bisect_left(offsets, aborted[a], j, k) if a < n_aborted else k, j + need)
                out.extend(cols.records(topic, partition, j, stop))
                need -= stop - j
                j = stop
            while j < k and a < n_aborted and aborted[a] <= offsets[j]:  # aborted records right after: skip them
                if aborted[a] == offsets[j]:
                    j += 1
                a += 1
            return out, offsets[j] if j < k else end

    def high_watermark(self) -> int:
        """The offset the next record will get (Kafka's log end offset / high watermark)."""
        with self._lock:
            return self._next

    def last_stable_offset(self) -> int:
        """The first offset of the oldest open transaction, or the high watermark when none is open."""
        with self._lock:
            return self._lso

    def end_offset(self, read_committed: bool) -> int:
        """What ``end_offsets`` reports: the LSO for read_committed, else the high watermark."""
        with self._lock:
            return self._lso if read_committed else self._next

    def record_count(self) -> int:
        """How many records the log holds (fewer than the high watermark once markers or compaction left gaps)."""
        with self._lock:
            return len(self._cols)

    # -- consumers waiting for data ------------------------------------------------------------------------------

    def add_listener(self, waker: Waker) -> None:
        """Notify ``waker`` after every append, marker or deletion."""
        with self._lock:
            if waker not in self._listeners:
                self._listeners = (*self._listeners, waker)

    def remove_listener(self, waker: Waker) -> None:
        """Stop notifying ``waker``."""
        with self._lock:
            self._listeners = tuple(w for w in self._listeners if w is not waker)

    @property
    def deleted(self) -> bool:
        """True once the topic was deleted."""
        return self._deleted

    def __repr__(self) -> str:
        return f"PartitionLog({self.topic!r}, {self.partition}, high_watermark={self._next})"
