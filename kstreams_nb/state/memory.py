"""In-memory key-value stores on bytes: :class:`InMemoryKeyValueStore` (Kafka's ``InMemoryKeyValueStore``) and
:class:`MemoryLRUCache` (Kafka's ``MemoryNavigableLRUCache``, behind ``Stores.lru_map``).

Keys are ordered like Kafka's ``Bytes``: unsigned lexicographic order of the key bytes, which is Python's own
``bytes`` ordering. Putting None deletes.

Example::

    >>> s = InMemoryKeyValueStore("s")
    >>> s.put(b"b", b"2"); s.put(b"a", b"1")
    >>> list(s.all())
    [(b'a', b'1'), (b'b', b'2')]
"""

from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from kstreams_nb.state._api import RestoreRecord, StateStore, StateStoreContext
from kstreams_nb.state._iterators import KeyValueIterator, ListKeyValueIterator, SnapshotKeyIterator, empty_iterator
from kstreams_nb.state._ranges import KeyRangeQueries

__all__ = ["InMemoryKeyValueStore", "MemoryLRUCache", "increment_prefix"]

_log = logging.getLogger(__name__)

_INVALID_RANGE = (
    "Returning empty iterator for fetch with invalid key range: from > to. This may be due to range arguments set "
    "in the wrong order, or serdes that don't preserve ordering when lexicographically comparing the serialized "
    "bytes. Note that the built-in numerical serdes do not follow this for negative numbers"
)

# Below this many keys added since the last range query, they are inserted one by one; above, the key list is
# extended and re-sorted (timsort merges the two sorted runs in linear time).
_INSORT_LIMIT = 16


def increment_prefix(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix`` (Kafka's ``Bytes.increment``),
    or None when there is none (``prefix`` is empty or all 0xFF).

    Example::

        >>> increment_prefix(b"ab"), increment_prefix(b"a\\xff"), increment_prefix(b"\\xff")
        (b'ac', b'b', None)
    """
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def _invalid_range(store_name: str) -> KeyValueIterator[bytes, bytes]:
    _log.warning(_INVALID_RANGE)
    return empty_iterator(store_name)


class InMemoryKeyValueStore(KeyRangeQueries):
    """A key-value store of bytes held in a dict, with a sorted key index for range queries.

    Point reads and writes are dict operations. The sorted index is built on the first range query and then
    kept up to date: keys added since the last range query wait in a small list and are merged in by the next
    one; deletes remove the key with a binary search. Iterators see a snapshot of the keys (Kafka's semantics:
    deleted keys are skipped, values are read when produced).

    Example::

        >>> s = InMemoryKeyValueStore("s")
        >>> s.put_all([(b"k1", b"a"), (b"p2", b"b"), (b"p1", b"c")])
        >>> [k for k, _ in s.prefix_scan(b"p")], s.delete(b"k1"), s.approximate_num_entries()
        ([b'p1', b'p2'], b'a', 2)
    """

    __slots__ = ("_keys", "_map", "_name", "_open", "_pending")

    def __init__(self, name: str) -> None:
        self._name = name
        self._map: dict[bytes, bytes] = {}
        self._keys: list[bytes] | None = None  # sorted keys, or None: no index (built on demand)
        self._pending: list[bytes] = []  # keys added since the index was last brought up to date
        self._open = False

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def persistent(self) -> bool:
        """False: the data lives in memory and is rebuilt from the changelog."""
        return False

    def is_open(self) -> bool:
        """True between ``init`` and ``close``."""
        return self._open

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Register ``root`` (the outermost store) and this store's restore callback with the engine."""
        self._open = True
        context.register(root, self.restore_batch, logged=False)

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        """Apply changelog records ``(key, value[, timestamp])`` in order; a None value deletes."""
        put = self.put
        for record in records:
            put(record[0], record[1])

    def flush(self) -> None:
        """Nothing to do: the data is in memory."""

    def close(self) -> None:
        """Drop the data and close (open iterators stop yielding)."""
        self._map.clear()
        self._keys = None
        self._pending = []
        self._open = False

    # ------------------------------------------------------------------ writes (hot path)

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or None."""
        return self._map.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        """Set ``key`` to ``value``; None deletes."""
        if value is None:
            self.delete(key)
            return
        m = self._map
        if self._keys is not None and key not in m:
            self._pending.append(key)
        m[key] = value

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        """Put only when ``key`` has no value; return the value it had (None when the put happened)."""
        old = self._map.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Put every ``(key, value)`` pair, in order."""
        put = self.put
        for key, value in entries:
            put(key, value)

    def delete(self, key: bytes) -> bytes | None:
        """Remove ``key``; return its old value (None when absent)."""
        old = self._map.pop(key, None)
        if old is not None:
            keys = self._keys
            if keys is not None:
                if self._pending:  # the key may be in either list: rebuild the index on the next range query
                    self._keys = None
                    self._pending = []
                else:
                    i = bisect_left(keys, key)
                    del keys[i]
        return old

    # ------------------------------------------------------------------ reads

    def _index(self) -> list[bytes]:
        keys = self._keys
        if keys is None:
            keys = self._keys = sorted(self._map)
            self._pending = []
        elif self._pending:
            pending = self._pending
            if len(pending) <= _INSORT_LIMIT:
                for key in pending:
                    insort(keys, key)
            else:
                keys.extend(pending)
                keys.sort()
            self._pending = []
        return keys

    def _range(self, key_from: bytes | None, key_to: bytes | None, reverse: bool) -> KeyValueIterator[bytes, bytes]:
        if key_from is not None and key_to is not None and key_from > key_to:
            return _invalid_range(self._name)
        keys = self._index()
        lo = 0 if key_from is None else bisect_left(keys, key_from)
        hi = len(keys) if key_to is None else bisect_right(keys, key_to)
        return SnapshotKeyIterator(self._name, keys[lo:hi], self._map, reverse)

    def prefix_scan(self, prefix: bytes) -> KeyValueIterator[bytes, bytes]:
        """Pairs whose key starts with ``prefix``, in key order."""
        keys = self._index()
        lo = bisect_left(keys, prefix)
        upper = increment_prefix(prefix)
        hi = len(keys) if upper is None else bisect_left(keys, upper, lo)
        return SnapshotKeyIterator(self._name, keys[lo:hi], self._map, False)

    def approximate_num_entries(self) -> int:
        """The number of keys (exact for this store)."""
        return len(self._map)

    def __repr__(self) -> str:
        return f"InMemoryKeyValueStore({self._name!r}, entries={len(self._map)})"


class MemoryLRUCache:
    """An in-memory key-value store of bytes that keeps at most ``max_cache_size`` entries, evicting the least
    recently used (``get`` and ``put`` count as use). When the store is logged, each eviction writes a tombstone
    to the changelog (the changelogging layer installs the listener). Range queries sort a copy of the entries.

    Example::

        >>> c = MemoryLRUCache("lru", 2)
        >>> c.put(b"a", b"1"); c.put(b"b", b"2"); _ = c.get(b"a"); c.put(b"c", b"3")
        >>> sorted(k for k, _ in c.all())
        [b'a', b'c']
    """

    __slots__ = ("_listener", "_map", "_max", "_name", "_open", "_restoring")

    def __init__(self, name: str, max_cache_size: int) -> None:
        if max_cache_size < 0:
            raise ValueError("max_cache_size cannot be negative")
        self._name = name
        self._max = max_cache_size
        self._map: OrderedDict[bytes, bytes] = OrderedDict()
        self._listener: Callable[[bytes, bytes], None] | None = None
        self._restoring = False
        self._open = True  # Kafka's MemoryLRUCache starts open

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def persistent(self) -> bool:
        """False: in memory."""
        return False

    @property
    def max_cache_size(self) -> int:
        """The most entries kept."""
        return self._max

    def is_open(self) -> bool:
        """True until ``close``."""
        return self._open

    def set_when_eldest_removed(self, listener: Callable[[bytes, bytes], None] | None) -> None:
        """Call ``listener(key, value)`` for each evicted entry (not during restoration)."""
        self._listener = listener

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Register ``root`` and the restore callback."""
        self._open = True
        context.register(root, self.restore_batch, logged=False)

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        """Apply changelog records in order (evictions during restoration are not reported)."""
        self._restoring = True
        try:
            for record in records:
                self.put(record[0], record[1])
        finally:
            self._restoring = False

    def flush(self) -> None:
        """Nothing to do."""

    def close(self) -> None:
        """Close the store."""
        self._open = False

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key`` (marks it recently used), or None."""
        m = self._map
        value = m.get(key)
        if value is not None:
            m.move_to_end(key)
        return value

    def put(self, key: bytes, value: bytes | None) -> None:
        """Set ``key`` (marks it recently used); None deletes. May evict the least recently used entry."""
        if value is None:
            self._map.pop(key, None)
            return
        m = self._map
        if key in m:
            m[key] = value
            m.move_to_end(key)
            return
        m[key] = value
        if len(m) > self._max:
            eldest_key, eldest_value = m.popitem(last=False)
            if self._listener is not None and not self._restoring:
                self._listener(eldest_key, eldest_value)

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        """Put only when absent; return the previous value."""
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Put every pair in order."""
        for key, value in entries:
            self.put(key, value)

    def delete(self, key: bytes) -> bytes | None:
        """Remove ``key``; return its old value."""
        return self._map.pop(key, None)

    def _snapshot(self, key_from: bytes | None, key_to: bytes | None, reverse: bool) -> KeyValueIterator[bytes, bytes]:
        if key_from is not None and key_to is not None and key_from > key_to:
            return _invalid_range(self._name)
        items = sorted(self._map.items(), reverse=reverse)
        if key_from is not None or key_to is not None:
            items = [
                kv for kv in items if (key_from is None or kv[0] >= key_from) and (key_to is None or kv[0] <= key_to)
            ]
        return ListKeyValueIterator(self._name, items)

    def range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Pairs with ``key_from <= key <= key_to`` in key order (None bounds are open)."""
        return self._snapshot(key_from, key_to, False)

    def reverse_range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Like ``range``, descending."""
        return self._snapshot(key_from, key_to, True)

    def all(self) -> KeyValueIterator[bytes, bytes]:
        """Every pair in key order."""
        return self._snapshot(None, None, False)

    def reverse_all(self) -> KeyValueIterator[bytes, bytes]:
        """Every pair, descending."""
        return self._snapshot(None, None, True)

    def prefix_scan(self, prefix: bytes) -> KeyValueIterator[bytes, bytes]:
        """Pairs whose key starts with ``prefix``, in key order."""
        return ListKeyValueIterator(self._name, sorted(kv for kv in self._map.items() if kv[0].startswith(prefix)))

    def approximate_num_entries(self) -> int:
        """The number of entries."""
        return len(self._map)

    def __repr__(self) -> str:
        return f"MemoryLRUCache({self._name!r}, max_cache_size={self._max}, entries={len(self._map)})"
