"""The RocksDB window store on bytes, with the in-memory window store's semantics and orders (see
:mod:`kstreams_nb.state.rocksdb` for where it lives and how it is locked).

Each record is keyed ``window start (8 bytes, order-preserving) + key [+ seqnum (4 bytes)]``: byte order is the
in-memory store's order (window start, then key bytes), records expire with one range delete, and a time-range
scan reads only its range; a single-key fetch over a time range scans the records of every key in that range.

Example::

    >>> import tempfile
    >>> from kstreams_nb.records import TaskId
    >>> class Ctx:
    ...     application_id, task_id = "app", TaskId(0, 0)
    ...     app_configs = {"state.dir": tempfile.mkdtemp()}
    ...     def register(self, store, restore_callback, *, logged): pass
    >>> w = RocksDBWindowStore("w", retention_period=100, window_size=10, retain_duplicates=False)
    >>> w.init(Ctx(), w)
    >>> w.put(b"k", b"v", 0); w.put(b"k", b"v2", 10)
    >>> list(w.fetch_values(b"k", 0, 10)), w.fetch(b"k", 10)
    ([(0, b'v'), (10, b'v2')], b'v2')
    >>> w.close()
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kstreams_nb.records import Window, Windowed
from kstreams_nb.state._api import StateStore, StateStoreContext
from kstreams_nb.state._iterators import KeyValueIterator, empty_iterator
from kstreams_nb.state._ranges import WindowRangeQueries
from kstreams_nb.state.memory import _INVALID_RANGE
from kstreams_nb.state.rocksdb import RocksDBStore
from kstreams_nb.state.window_schema import (
    MAX_TIMESTAMP,
    time_window_end,
)

if TYPE_CHECKING:
    from rocksdict import Rdict

__all__ = ["RocksDBWindowStore"]

_log = logging.getLogger(__name__)
_TIME_BIAS = 2**63  # window starts are stored unsigned (start + 2^63) so that byte order is time order


def _time_key(timestamp: int) -> bytes:
    return (timestamp + _TIME_BIAS).to_bytes(8, "big")


def _time_of(stored_key: bytes) -> int:
    return int.from_bytes(stored_key[:8], "big") - _TIME_BIAS


class RocksDBWindowStore(WindowRangeQueries, RocksDBStore):
    """A window store of bytes in RocksDB, with the in-memory window store's semantics (retention measured from
    the largest window start put, which survives restarts; ``retain_duplicates`` gives every put its own
    sequence number and makes None a no-op). Durations in ms.

    Example::

        >>> RocksDBWindowStore("w", 100, 10, False).window_size
        10
    """

    __slots__ = ("_dups", "_expired_before", "_observed", "_retention", "_seqnum", "_window_size", "dropped_records")

    def __init__(self, name: str, retention_period: int, window_size: int, retain_duplicates: bool) -> None:
        super().__init__(name)
        self._retention = retention_period
        self._window_size = window_size
        self._dups = retain_duplicates
        self._observed = -1
        self._expired_before = 0
        self._seqnum = 0
        #: records dropped because their window had expired (Kafka's dropped-records metric)
        self.dropped_records = 0

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Open the database under the task directory and register the restore callback."""
        self._reopened(self._open(context))
        context.register(root, self.restore_batch, logged=False)

    def _reopened(self, db: Rdict) -> None:
        it = db.iter()
        it.seek_to_last()
        self._observed = _time_of(it.key()) if it.valid() else -1
        self._expired_before = 0

    def _expire(self) -> None:
        # Expired records are deleted in steps of a segment interval (Kafka's segmented stores drop whole
        # segments), not on every advance of the stream time: reads already skip them, and each range deletion
        # left in the memtable makes every later iterator slower to create (a join fetches once per record).
        min_live = max(self._observed - self._retention + 1, 0)
        if min_live - self._expired_before >= max(self._retention // 2, 60_000):
            self._check().delete_range(bytes(8), _time_key(min_live))
            self._expired_before = min_live

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        """Put ``value`` for ``key`` in the window starting at ``window_start``; None deletes (no-op with dups)."""
        db = self._check()
        if window_start > self._observed:
            self._observed = window_start
            self._expire()
        if window_start <= self._observed - self._retention:
            self.dropped_records += 1
            _log.debug("Skipping record for expired segment (store %s, window start %d).", self._name, window_start)
            return
        if value is not None:
            if self._dups:
                self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
                key = key + self._seqnum.to_bytes(4, "big")
            db.put(_time_key(window_start) + key, value)
        elif not self._dups:
            db.delete(_time_key(window_start) + key)

    def fetch(self, key: bytes, window_start: int) -> bytes | None:
        """The value of ``key`` in the window starting at ``window_start``, or None (always None with dups)."""
        db = self._check()
        if self._dups or window_start <= self._observed - self._retention:
            return None
        return db.get(_time_key(window_start) + key)

    def _scan(
        self,
        time_from: int,
        time_to: int,
        backward: bool,
        key_from: bytes | None,
        key_to: bytes | None,
        single: bool,
    ) -> KeyValueIterator[Any, bytes]:
        floor = self._observed - self._retention + 1  # records expire exactly retention ms after they were created
        lo = time_from if time_from > floor else floor
        self._check()
        if time_to < lo:
            return empty_iterator(self._name)
        lo_key = _time_key(lo)
        hi = time_to if time_to < MAX_TIMESTAMP else MAX_TIMESTAMP - 1
        above = _time_key(hi + 1)
        dups, size = self._dups, self._window_size

        def convert(stored: bytes, value: bytes) -> Any:
            if stored >= above:
                return None  # a record just above the range, where a backward scan starts
            key = stored[8:-4] if dups else stored[8:]
            if (key_from is not None and key < key_from) or (key_to is not None and key > key_to):
                return None
            start = _time_of(stored)
            if single:
                return start, value
            return Windowed(key, Window(start, time_window_end(start, size))), value

        if backward:
            return self._iterate(lambda it: it.seek_for_prev(above), True, lambda k: k < lo_key, convert)
        return self._iterate(lambda it: it.seek(lo_key), False, lambda k: k >= above, convert)

    def fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """``(window_start, value)`` of ``key`` for window starts in ``[time_from, time_to]``, oldest first."""
        return self._scan(time_from, time_to, False, key, key, True)

    def backward_fetch_values(self, key: bytes, time_from: int, time_to: int) -> KeyValueIterator[int, bytes]:
        """Like ``fetch_values``, newest first."""
        return self._scan(time_from, time_to, True, key, key, True)

    def _range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int, backward: bool
    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        if key_from is not None and key_to is not None and key_from > key_to:
            _log.warning(_INVALID_RANGE)
            return empty_iterator(self._name)
        return self._scan(time_from, time_to, backward, key_from, key_to, False)

    def all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every unexpired record."""
        return self._range(None, None, self._observed - self._retention + 1, MAX_TIMESTAMP, False)

    def backward_all(self) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every unexpired record, newest window first."""
        return self._range(None, None, self._observed - self._retention + 1, MAX_TIMESTAMP, True)

    def __repr__(self) -> str:
        return (
            f"RocksDBWindowStore({self._name!r}, retention_period={self._retention}, window_size={self._window_size}, "
            f"retain_duplicates={self._dups}, path={str(self._path) if self._path else None!r})"
        )
