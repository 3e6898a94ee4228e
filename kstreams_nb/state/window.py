"""The in-memory window store on bytes (Kafka's ``InMemoryWindowStore``).

Records live in one segment per window start. The store tracks ``observed stream time`` = the largest window
start put so far; a put whose window start is ``<= observed - retention`` is dropped, and segments older than
``observed - retention + 1`` are removed at the start of every operation, unless an open iterator still needs
them. With ``retain_duplicates`` every put is kept (each gets a sequence number) and a None value is a no-op.

Iterators walk the segments lazily in time order: a segment added later inside the iterator's time range is
seen (Kafka's weakly consistent iteration); within a segment the keys are a snapshot, values are read when
produced, and deleted keys are skipped.

Example::

    >>> w = InMemoryWindowStore("w", retention_period=100, window_size=10, retain_duplicates=False)
    >>> w.put(b"k", b"v", 0); w.put(b"k", b"v2", 10)
    >>> list(w.fetch_values(b"k", 0, 10)), w.fetch(b"k", 10)
    ([(0, b'v'), (10, b'v2')], b'v2')
"""

from __future__ import annotations

import logging
import weakref
from bisect import bisect_left, bisect_right, insort
from typing import Any

from kstreams_nb.records import Window, Windowed
from kstreams_nb.state._api import StateStore, StateStoreContext
from kstreams_nb.state._iterators import KeyValueIterator, empty_iterator
from kstreams_nb.state._ranges import WindowRangeQueries
from kstreams_nb.state.memory import _INVALID_RANGE
from kstreams_nb.state.window_schema import (
    MAX_TIMESTAMP,
    time_window_end,
)

__all__ = ["InMemoryWindowStore"]

_log = logging.getLogger(__name__)

_SEQ_MIN = b"\x00\x00\x00\x00"
_SEQ_MAX = b"\x7f\xff\xff\xff"


class _Segment:
    __slots__ = ("data", "keys")

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.keys: list[bytes] | None = None  # sorted keys, rebuilt when None

    def sorted_keys(self) -> list[bytes]:
        keys = self.keys
        if keys is None:
            keys = self.keys = sorted(self.data)
        return keys


class InMemoryWindowStore(WindowRangeQueries):
    """A window store of bytes in memory; durations in ms.

    Example::

        >>> w = InMemoryWindowStore("w", 100, 10, False)
        >>> w.put(b"a", b"1", 5); w.put(b"b", b"2", 7)
        >>> [(str(k), v) for k, v in w.all()]
        [("[b'a'@5/15]", b'1'), ("[b'b'@7/17]", b'2')]
    """

    __slots__ = (
        "__weakref__",
        "_dups",
        "_iterators",
        "_name",
        "_observed",
        "_open",
        "_retention",
        "_segments",
        "_seqnum",
        "_times",
        "_window_size",
        "dropped_records",
    )

    def __init__(self, name: str, retention_period: int, window_size: int, retain_duplicates: bool) -> None:
        self._name = name
        self._retention = retention_period
        self._window_size = window_size
        self._dups = retain_duplicates
        self._segments: dict[int, _Segment] = {}
        self._times: list[int] = []  # sorted segment times
        self._observed = -1  # Kafka's ConsumerRecord.NO_TIMESTAMP
        self._seqnum = 0
        self._open = False
        self._iterators: weakref.WeakSet[_WindowIterator] = weakref.WeakSet()
        #: records dropped because their window had expired (Kafka's dropped-records metric)
        self.dropped_records = 0

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def persistent(self) -> bool:
        """False: in memory."""
        return False

    def is_open(self) -> bool:
        """True between ``init`` and ``close``."""
        return self._open

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Register ``root`` and the restore callback."""
        self._open = True
        context.register(root, self.restore_batch, logged=False)

    def flush(self) -> None:
        """Nothing to do."""

    def close(self) -> None:
        """Drop the data; open iterators stop yielding."""
        for it in list(self._iterators):
            it._finish()
        self._segments.clear()
        self._times.clear()
        self._open = False

    # ------------------------------------------------------------------ writes

    def _remove_expired(self) -> None:
        times = self._times
        if not times:
            return
        min_live = self._observed - self._retention + 1
        if min_live < 0:
            min_live = 0
        if times[0] >= min_live:
            return
        for it in self._iterators:
            if it.min_time < min_live:
                min_live = it.min_time
        i = bisect_left(times, min_live)
        if i:
            segments = self._segments
            for t in times[:i]:
                del segments[t]
            del times[:i]

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        """Put ``value`` for ``key`` in the window starting at ``window_start``; None deletes (no-op with dups)."""
        self._remove_expired()
        if window_start > self._observed:
            self._observed = window_start
        if window_start <= self._observed - self._retention:
            self.dropped_records += 1
            _log.debug("Skipping record for expired segment (store %s, window start %d).", self._name, window_start)
            return
        if value is not None:
            if self._dups:
                self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
                key = key + self._seqnum.to_bytes(4, "big")
            seg = self._segments.get(window_start)
            if seg is None:
                seg = self._segments[window_start] = _Segment()
                insort(self._times, window_start)
            data = seg.data
            if key not in data:
                seg.keys = None
            data[key] = value
        elif not self._dups:
            seg = self._segments.get(window_start)
            if seg is not None and seg.data.pop(key, None) is not None:
                seg.keys = None
                if not seg.data:
                    del self._segments[window_start]
                    del self._times[bisect_left(self._times, window_start)]

    # ------------------------------------------------------------------ reads

    def fetch(self, key: bytes, window_start: int) -> bytes | None:
        """The value of ``key`` in the window starting at ``window_start``, or None (always None with dups)."""
        self._remove_expired()
        if window_start <= self._observed - self._retention:
            return None
        seg = self._segments.get(window_start)
        return None if seg is None else seg.data.get(key)

    def _min_time(self, time_from: int) -> int:
        # add one because records expire exactly retention ms after they were created
        floor = self._observed - self._retention + 1
        return time_from if time_from > floor else floor

    def _values(self, key: bytes, time_from: int, time_to: int, backward: bool) -> KeyValueIterator[int, bytes]:
        self._remove_expired()
        lo = self._min_time(time_from)
        if time_to < lo:
            return empty_iterator(self._name)
        return self._register(_WindowIterator(self, lo, time_to, backward, key, key, True))

    def fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """``(window_start, value)`` of ``key`` for window starts in ``[time_from, time_to]``, oldest first."""
        return self._values(key, time_from, time_to, False)

    def backward_fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """Like ``fetch_values``, newest first."""
        return self._values(key, time_from, time_to, True)

    def _range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int, backward: bool
    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        self._remove_expired()
        if key_from is not None and key_to is not None and key_from > key_to:
            _log.warning(_INVALID_RANGE)
            return empty_iterator(self._name)
        lo = self._min_time(time_from)
        if time_to < lo:
            return empty_iterator(self._name)
        return self._register(_WindowIterator(self, lo, time_to, backward, key_from, key_to, False))

    def all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every unexpired record (later puts with larger window starts are seen by an open iterator)."""
        self._remove_expired()
        return self._register(
            _WindowIterator(self, self._observed - self._retention + 1, MAX_TIMESTAMP, False, None, None, False)
        )

    def backward_all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every unexpired record, newest window first."""
        self._remove_expired()
        return self._register(
            _WindowIterator(self, self._observed - self._retention + 1, MAX_TIMESTAMP, True, None, None, False)
        )

    def _register(self, it: _WindowIterator) -> _WindowIterator:
        self._iterators.add(it)
        return it

    def __repr__(self) -> str:
        return (
            f"InMemoryWindowStore({self._name!r}, retention_period={self._retention}, "
            f"window_size={self._window_size}, retain_duplicates={self._dups}, segments={len(self._times)})"
        )


class _WindowIterator(KeyValueIterator[Any, bytes]):
    """Walks the segments of an InMemoryWindowStore lazily between two window starts."""

    __slots__ = (
        "_backward",
        "_done",
        "_key_from",
        "_key_to",
        "_keys",
        "_seg",
        "_single",
        "_started",
        "_store",
        "_time",
        "_time_to",
        "min_time",
    )

    def __init__(
        self,
        store: InMemoryWindowStore,
        time_from: int,
        time_to: int,
        backward: bool,
        key_from: bytes | None,
        key_to: bytes | None,
        single_key: bool,
    ) -> None:
        super().__init__(store.name)
        self._store = store
        #: segments at or after this time must stay while the iterator is open
        self.min_time = time_from
        self._time_to = time_to
        self._backward = backward
        self._key_from = key_from
        self._key_to = key_to
        self._single = single_key
        self._time = 0
        self._started = False
        self._done = False
        self._seg: _Segment | None = None
        self._keys: list[bytes] = []

    def _recheck(self, item: tuple[Any, bytes]) -> tuple[Any, bytes] | None:
        return None if self._done else item

    def _finish(self) -> None:
        self._done = True
        self._seg = None
        self._keys = []
        self._store._iterators.discard(self)

    def close(self) -> None:
        """Close the iterator (and let the store expire what it was holding)."""
        super().close()
        self._finish()

    def _advance_segment(self) -> bool:
        times = self._store._times
        if self._backward:
            if self._started:
                i = bisect_left(times, self._time) - 1
            else:
                i = bisect_right(times, self._time_to) - 1
            if i < 0 or times[i] < self.min_time:
                return False
            t = times[i]
        else:
            i = bisect_right(times, self._time) if self._started else bisect_left(times, self.min_time)
            if i >= len(times) or times[i] > self._time_to:
                return False
            t = times[i]
            self.min_time = t
        self._started = True
        self._time = t
        seg = self._seg = self._store._segments[t]
        self._keys = self._segment_keys(seg)
        return True

    def _segment_keys(self, seg: _Segment) -> list[bytes]:
        dups = self._store._dups
        key_from, key_to = self._key_from, self._key_to
        if self._single and not dups:
            assert key_from is not None
            return [key_from] if key_from in seg.data else []
        keys = seg.sorted_keys()
        if key_from is None and key_to is None:
            selected = keys[:]
        else:
            lo_key = None if key_from is None else (key_from + _SEQ_MIN if dups else key_from)
            hi_key = None if key_to is None else (key_to + _SEQ_MAX if dups else key_to)
            lo = 0 if lo_key is None else bisect_left(keys, lo_key)
            hi = len(keys) if hi_key is None else bisect_right(keys, hi_key)
            selected = keys[lo:hi]
            if dups:  # a composite range may hold other keys (Kafka's isKeyWithinRange)
                selected = [
                    k
                    for k in selected
                    if (key_from is None or k[:-4] >= key_from) and (key_to is None or k[:-4] <= key_to)
                ]
        if not self._backward:  # pop() takes from the end: keep the next key last
            selected.reverse()
        return selected

    def _next_item(self) -> tuple[Any, bytes] | None:
        if self._done:
            return None
        while True:
            seg = self._seg
            if seg is not None:
                keys = self._keys
                data = seg.data
                while keys:
                    k = keys.pop()
                    value = data.get(k)
                    if value is not None:
                        if self._single:
                            return self._time, value
                        start = self._time
                        store = self._store
                        if store._dups:
                            k = k[:-4]
                        return Windowed(k, Window(start, time_window_end(start, store._window_size))), value
            if not self._advance_segment():
                self._finish()
                return None
