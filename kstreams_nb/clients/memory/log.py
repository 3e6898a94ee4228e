"""One partition's log: a list of records behind one lock, appended in batches and fetched in slices.

Offsets are list indexes (the embedded broker never deletes, so the log start offset is always 0). Transaction
markers occupy an offset, as in Kafka: the slot holds a shared control sentinel that no fetch ever returns, and
the consumer's position skips over it. ``read_committed`` fetches stop at the last stable offset (LSO, the first
offset of the oldest open transaction) and also skip records of aborted transactions; ``read_uncommitted``
fetches stop at the high watermark and skip only the markers.

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

from kstreams_nb.errors import ProducerFencedError, UnknownTopicError
from kstreams_nb.records import ConsumerRecord, Headers

__all__ = ["NO_PRODUCER", "PartitionLog", "RawRecord", "Waker"]

RawRecord = tuple[bytes | None, bytes | None, int, Headers]
"""What producers hand to a log: ``(key, value, timestamp, headers)``."""

NO_PRODUCER = -1
"""Producer id of a non-transactional append."""

# Occupies the offset of a commit/abort marker; never handed to a consumer.
_CONTROL = ConsumerRecord("__control__", -1, -1, -1, None, None)


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
    coordinator ends a transaction with :meth:`write_marker`; consumers read with :meth:`fetch`.

    Example::

        >>> from kstreams_nb.records import EMPTY_HEADERS
        >>> log = PartitionLog("t", 0)
        >>> log.append(None, b"open", 0, EMPTY_HEADERS, producer_id=1, epoch=0), log.last_stable_offset()
        (0, 0)
        >>> log.write_marker(1, 0, commit=False), log.fetch(0, 10, read_committed=True)
        (1, ([], 2))
    """

    __slots__ = (
        "_deleted",
        "_epochs",
        "_hidden",
        "_listeners",
        "_lock",
        "_lso",
        "_markers",
        "_open",
        "_records",
        "_txn_ranges",
        "partition",
        "topic",
    )

    def __init__(self, topic: str, partition: int) -> None:
        self.topic = topic
        self.partition = partition
        self._lock = threading.Lock()
        self._records: list[ConsumerRecord] = []
        self._markers: list[int] = []  # offsets of control markers (sorted)
        self._hidden: list[int] = []  # markers + aborted records: what read_committed skips (sorted)
        self._open: dict[
            int, int
        ] = {}  # producer id -> first offset of its open transaction (insertion = offset order)
        self._txn_ranges: dict[int, list[list[int]]] = {}  # producer id -> [[start, end), ...] of its open transaction
        # producer id -> latest epoch seen (fences zombies, as Kafka's ProducerStateManager)
        self._epochs: dict[int, int] = {}
        self._lso = 0
        self._listeners: tuple[Waker, ...] = ()
        self._deleted = False

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
        with self._lock:
            if self._deleted:
                raise UnknownTopicError(f"topic {self.topic!r} was deleted")
            records = self._records
            offset = len(records)
            if producer_id >= 0:
                self._track_transaction(producer_id, epoch, offset, 1)
            records.append(ConsumerRecord(self.topic, self.partition, offset, timestamp, key, value, headers))
            if not self._open:
                self._lso = offset + 1
            listeners = self._listeners
        for waker in listeners:
            waker.poke()
        return offset

    def append_batch(self, batch: Sequence[RawRecord], producer_id: int = NO_PRODUCER, epoch: int = -1) -> int:
        """Append records under one lock acquisition; returns the offset of the first one.

        A transactional append (``producer_id >= 0``) opens the producer's transaction on this partition if it has
        none; an epoch older than one already seen here raises ProducerFencedError.
        """
        topic, partition = self.topic, self.partition
        with self._lock:
            if self._deleted:
                raise UnknownTopicError(f"topic {topic!r} was deleted")
            base = len(self._records)
            if producer_id >= 0:
                self._track_transaction(producer_id, epoch, base, len(batch))
            self._records.extend(
                [
                    ConsumerRecord(topic, partition, offset, ts, key, value, headers)
                    for offset, (key, value, ts, headers) in enumerate(batch, base)
                ]
            )
            if not self._open:
                self._lso = len(self._records)
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
            offset = len(self._records)
            self._records.append(_CONTROL)
            self._markers.append(offset)
            ranges = self._txn_ranges.pop(producer_id, [])
            self._open.pop(producer_id, None)
            if commit or not ranges:
                self._hidden.append(offset)
            else:
                aborted = [o for start, end in ranges for o in range(start, end)]
                aborted.append(offset)
                self._hidden = sorted(self._hidden + aborted)  # timsort merges the two runs
            self._lso = next(iter(self._open.values())) if self._open else len(self._records)
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

    # -- reading ------------------------------------------------------------------------------------------------

    def fetch(self, start: int, max_records: int, read_committed: bool) -> tuple[list[ConsumerRecord], int]:
        """Records from offset ``start`` on (at most ``max_records``) and the next position to fetch from.

        Reads up to the LSO (read_committed) or the high watermark; markers (and, for read_committed, aborted
        records) are skipped but still advance the position. A ``start`` outside ``[0, high watermark]``
        returns ``([], -1)`` (Kafka's OffsetOutOfRange).
        """
        with self._lock:
            records = self._records
            if start < 0 or start > len(records):
                return [], -1
            end = self._lso if read_committed else len(records)
            if start >= end or max_records <= 0:
                return [], start
            hidden = self._hidden if read_committed else self._markers
            i = bisect_left(hidden, start)
            if i == len(hidden) or hidden[i] >= end:
                upto = min(end, start + max_records)
                return records[start:upto], upto
            out: list[ConsumerRecord] = []
            pos, need, n_hidden = start, max_records, len(hidden)
            while pos < end:
                h = hidden[i] if i < n_hidden and hidden[i] < end else end
                if h > pos:
                    if need == 0:
                        break
                    take = min(h - pos, need)
                    out.extend(records[pos : pos + take])
                    pos += take
                    need -= take
                if pos == h and h < end:
                    pos += 1
                    i += 1
            return out, pos

    def high_watermark(self) -> int:
        """The offset the next record will get (Kafka's log end offset / high watermark)."""
        with self._lock:
            return len(self._records)

    def last_stable_offset(self) -> int:
        """The first offset of the oldest open transaction, or the high watermark when none is open."""
        with self._lock:
            return self._lso

    def end_offset(self, read_committed: bool) -> int:
        """What ``end_offsets`` reports: the LSO for read_committed, else the high watermark."""
        with self._lock:
            return self._lso if read_committed else len(self._records)

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
        return f"PartitionLog({self.topic!r}, {self.partition}, high_watermark={len(self._records)})"
