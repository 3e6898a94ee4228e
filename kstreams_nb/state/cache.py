"""Record caches (Kafka's ``ThreadCache`` / ``NamedCache``): the bytes a stream thread may keep for its caching
stores, shared by every task of the thread.

Each caching store of a task has a *named cache* (``<task id>-<store>``) of serialized key → :class:`CacheEntry`.
A write puts a *dirty* entry; when the thread's bytes exceed ``statestore.cache.max.bytes`` (divided among the
threads), the least recently used entries of the named cache being written are evicted, and evicting a dirty entry
first flushes that named cache: the evicted entry, then every other dirty entry in the order of its last write,
go to the cache's flush listener (the caching store, which writes them to the store below it and forwards them
downstream). A commit flushes every named cache of the task.

An entry's size is ``len(key) + len(value) +`` :data:`ENTRY_OVERHEAD` (an approximation of Kafka's accounting).

Example::

    >>> cache = ThreadCache(10_000)
    >>> flushed = []
    >>> nc = cache.named_cache("0_0-counts", lambda entries: flushed.extend(e.key for e in entries))
    >>> cache.put(nc, b"a", CacheEntry(b"1", True, 0, (), None, -1, -1))
    >>> cache.put(nc, b"b", CacheEntry(b"2", True, 0, (), None, -1, -1))
    >>> cache.put(nc, b"a", CacheEntry(b"3", True, 0, (), None, -1, -1))
    >>> nc.get(b"a").value, cache.size_bytes
    (b'3', 132)
    >>> nc.flush()
    >>> flushed  # the order of the last writes
    [b'b', b'a']
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["ENTRY_OVERHEAD", "NO_OBJECT", "CacheEntry", "NamedCache", "ThreadCache"]

#: ``CacheEntry.obj`` of an entry that keeps no deserialized value
NO_OBJECT: Any = object()

#: bytes counted for each entry on top of its key and value (record context and bookkeeping)
ENTRY_OVERHEAD = 64


class CacheEntry:
    """A cached value (None: deleted) with the record context of the write that put it (Kafka's ``LRUCacheEntry``).

    ``obj`` is, when the writer kept it, the value the bytes were serialized from (an immutable one), so reads and
    the flush forwarding it need not deserialize them again; :data:`NO_OBJECT` otherwise.

    Example::

        >>> e = CacheEntry(b"v", True, 5, (), "in", 0, 7)
        >>> e.value, e.dirty, e.timestamp, e.offset
        (b'v', True, 5, 7)
    """

    __slots__ = ("dirty", "headers", "key", "key_obj", "obj", "offset", "partition", "timestamp", "topic", "value")

    def __init__(
        self, value: bytes | None, dirty: bool, timestamp: int, headers: Any, topic: str | None, partition: int,
        offset: int,
    ) -> None:
        self.key = b""
        self.value = value
        self.obj: Any = NO_OBJECT
        #: the key ``key`` was serialized from, when the writer kept it (an immutable one): :data:`NO_OBJECT` else
        self.key_obj: Any = NO_OBJECT
        self.dirty = dirty
        self.timestamp = timestamp
        self.headers = headers
        self.topic = topic
        self.partition = partition
        self.offset = offset

    def __repr__(self) -> str:
        return f"CacheEntry({self.key!r}, {self.value!r}, dirty={self.dirty}, timestamp={self.timestamp})"


FlushListener = Callable[[list[CacheEntry]], None]


class NamedCache:
    """The entries of one store of one task, in least-recently-used order, and its dirty keys in write order.

    Example::

        >>> nc = ThreadCache(1000).named_cache("0_0-s", lambda entries: None)
        >>> nc.name, len(nc), nc.get(b"x")
        ('0_0-s', 0, None)
    """

    __slots__ = ("_dirty", "_flushing", "_lru", "_owner", "listener", "name", "size_bytes")

    def __init__(self, name: str, owner: ThreadCache, listener: FlushListener) -> None:
        self.name = name
        self._owner = owner
        self.listener = listener
        self._lru: OrderedDict[bytes, CacheEntry] = OrderedDict()
        self._dirty: dict[bytes, None] = {}
        self.size_bytes = 0
        #: while the listener has entries of this cache in hand, writes replace entries instead of updating them
        self._flushing = False

    def __len__(self) -> int:
        return len(self._lru)

    def get(self, key: bytes) -> CacheEntry | None:
        """The entry of ``key`` (now the most recently used), or None."""
        entry = self._lru.get(key)
        if entry is not None:
            self._lru.move_to_end(key)
        return entry

    def peek(self, key: bytes) -> CacheEntry | None:
        """The entry of ``key`` without touching the LRU order."""
        return self._lru.get(key)

    def entries(self) -> list[CacheEntry]:
        """A snapshot of the entries (least recently used first)."""
        return list(self._lru.values())

    def _put(self, key: bytes, entry: CacheEntry) -> int:
        entry.key = key
        size = len(key) + (len(entry.value) if entry.value is not None else 0) + ENTRY_OVERHEAD
        lru = self._lru
        old = lru.pop(key, None)  # its key is ``key``: only its value's size differs
        delta = size if old is None else size - len(key) - ENTRY_OVERHEAD - (
            len(old.value) if old.value is not None else 0)
        lru[key] = entry
        if entry.dirty:
            self._dirty.pop(key, None)
            self._dirty[key] = None
        self.size_bytes += delta
        return delta

    def put_dirty(
        self, key: bytes, value: bytes | None, obj: Any, key_obj: Any, timestamp: int, headers: Any, topic: str | None,
        partition: int, offset: int,
    ) -> int:
        """Write ``value`` (None: a delete; ``obj`` and ``key_obj`` as :class:`CacheEntry` keeps them) as a dirty
        entry made by a record with this context; what :meth:`_put` of a new entry does, but an entry already cached
        is updated in place (an aggregate's write per record: no new entry, no relinking). Returns the size change.
        """
        lru = self._lru
        entry = lru.get(key)
        if entry is None or self._flushing:
            entry = CacheEntry(value, True, timestamp, headers, topic, partition, offset)
            entry.obj, entry.key_obj = obj, key_obj
            return self._put(key, entry)
        old = entry.value
        entry.value, entry.obj, entry.key_obj, entry.dirty = value, obj, key_obj, True
        entry.timestamp, entry.headers, entry.topic, entry.partition, entry.offset = (
            timestamp, headers, topic, partition, offset)
        lru.move_to_end(key)
        dirty = self._dirty
        dirty.pop(key, None)
        dirty[key] = None
        delta = (len(value) if value is not None else 0) - (len(old) if old is not None else 0)
        self.size_bytes += delta
        return delta

    def evict(self) -> int:
        """Remove the least recently used entry, flushing first when it is dirty; the bytes freed."""
        key, entry = self._lru.popitem(last=False)
        freed = _size(entry)
        self.size_bytes -= freed
        self._owner.size_bytes -= freed
        if entry.dirty:
            del self._dirty[key]
            self._flush([entry])
        return freed

    def flush(self) -> None:
        """Hand every dirty entry to the listener, in the order of their last writes; they become clean
        (deleted ones leave the cache)."""
        if self._dirty:
            self._flush([])

    def _flush(self, entries: list[CacheEntry]) -> None:
        lru = self._lru
        deleted = []
        for key in self._dirty:
            entry = lru[key]
            entries.append(entry)
            if entry.value is None:
                deleted.append(key)
        self._dirty.clear()  # before the listener, which may write to this cache again
        for entry in entries:
            entry.dirty = False
        flushing, self._flushing = self._flushing, True  # a flush inside the listener leaves the flag set
        try:
            self.listener(entries)
        finally:
            self._flushing = flushing
        for key in deleted:
            gone = lru.get(key)
            if gone is not None and not gone.dirty:
                del lru[key]
                freed = _size(gone)
                self.size_bytes -= freed
                self._owner.size_bytes -= freed

    def clear(self) -> None:
        """Drop every entry without flushing."""
        self._owner.size_bytes -= self.size_bytes
        self.size_bytes = 0
        self._lru.clear()
        self._dirty.clear()

    def __repr__(self) -> str:
        return f"NamedCache({self.name!r}, entries={len(self._lru)}, dirty={len(self._dirty)})"


def _size(entry: CacheEntry) -> int:
    return len(entry.key) + (len(entry.value) if entry.value is not None else 0) + ENTRY_OVERHEAD


class ThreadCache:
    """The cache of one stream thread: ``max_bytes`` shared by the named caches of its tasks.

    Example::

        >>> cache = ThreadCache(0)
        >>> cache.max_bytes, cache.size_bytes
        (0, 0)
    """

    __slots__ = ("_caches", "max_bytes", "size_bytes")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size_bytes = 0
        self._caches: dict[str, NamedCache] = {}

    def named_cache(self, name: str, listener: FlushListener) -> NamedCache:
        """A new (or the reset) named cache ``name`` flushing to ``listener``."""
        old = self._caches.pop(name, None)
        if old is not None:
            old.clear()
        nc = self._caches[name] = NamedCache(name, self, listener)
        return nc

    def put(self, nc: NamedCache, key: bytes, entry: CacheEntry) -> None:
        """Put ``entry`` under ``key``; evict from ``nc`` while the thread holds more than ``max_bytes``."""
        self.size_bytes += nc._put(key, entry)
        self.make_room(nc)

    def make_room(self, nc: NamedCache) -> None:
        """Evict from ``nc`` while the thread holds more than ``max_bytes``."""
        while self.size_bytes > self.max_bytes and nc._lru:
            nc.evict()

    def flush_prefix(self, prefix: str) -> None:
        """Flush every named cache whose name starts with ``prefix`` (a task's: ``"<task id>-"``), in the order
        they were created."""
        for name, nc in list(self._caches.items()):
            if name.startswith(prefix):
                nc.flush()

    def remove(self, nc: NamedCache) -> None:
        """Drop ``nc`` and its entries (a closed store's)."""
        if self._caches.get(nc.name) is nc:
            del self._caches[nc.name]
        nc.clear()

    def __repr__(self) -> str:
        return f"ThreadCache(max_bytes={self.max_bytes}, size_bytes={self.size_bytes}, caches={len(self._caches)})"
