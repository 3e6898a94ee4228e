"""Caching layers (Kafka's ``CachingKeyValueStore``; window and session ones are in
:mod:`kstreams_nb.state.cache_windowed`): writes go to the task's named
cache (see :mod:`kstreams_nb.state.cache`); reads consult the cache first; on a flush (commit, or an eviction),
each dirty entry is written to the store below (the changelogging layer, under the record context of the write
that cached it) and handed to the flush listener, which a DSL processor sets to forward ``Change(new, old)``
downstream (:func:`set_flush_listener`).

A caching layer is built by a store builder with caching enabled, below the metered layer. When the task has no
cache (``statestore.cache.max.bytes`` is 0, or the store runs outside a task), the layer marks itself inactive
at ``init`` and the metered layer drops it: the store then behaves, and costs, exactly as an uncached one.

Range reads merge the entries not yet flushed into a snapshot of the store below.

Example::

    >>> from kstreams_nb.state import InMemoryKeyValueStore
    >>> s = CachingKeyValueBytesStore(InMemoryKeyValueStore("s"))
    >>> s.name, s.cache_inactive
    ('s', False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kstreams_nb.errors import InvalidStateStoreError
from kstreams_nb.state._api import StateStore, StateStoreContext, WrappedStateStore
from kstreams_nb.state._iterators import KeyValueIterator, ListKeyValueIterator
from kstreams_nb.state.cache import NO_OBJECT, CacheEntry, NamedCache, ThreadCache

__all__ = ["CachingKeyValueBytesStore", "set_flush_listener"]

#: ``listener(entry, new value bytes, old value bytes or None)``
BytesFlushListener = Callable[[CacheEntry, "bytes | None", "bytes | None"], None]


class _CachingLayer(WrappedStateStore):
    __slots__ = ("_cache", "_listener", "_nc", "_pctx", "_send_old", "cache_inactive")

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self._cache: ThreadCache | None = None
        self._nc: NamedCache | None = None
        self._pctx: Any = None
        self._listener: BytesFlushListener | None = None
        self._send_old = False
        self.cache_inactive = False

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Initialise the inner store; take a named cache of the task's thread cache, or become inactive."""
        self._inner.init(context, root)
        cache: ThreadCache | None = getattr(context, "cache", None)
        pctx = getattr(context, "processor_context", None)
        if cache is None or cache.max_bytes <= 0 or pctx is None:
            self.cache_inactive = True
            return
        self._cache, self._pctx = cache, pctx
        self._nc = cache.named_cache(f"{context.task_id}-{self.name}", self._flush_entries)

    def set_listener(self, listener: BytesFlushListener | None, send_old_values: bool) -> bool:
        """Hand flushed entries to ``listener``; True when this layer caches."""
        self._listener = listener
        self._send_old = send_old_values
        return self._nc is not None

    def _cache_put(self, key: bytes, value: bytes | None, obj: Any = NO_OBJECT, key_obj: Any = NO_OBJECT) -> None:
        nc, cache = self._nc, self._cache
        if nc is None or cache is None:
            raise InvalidStateStoreError(
                f"state store {self.name!r} was written before init() or after close(); the engine opens it"
            )
        c = self._pctx
        cache.size_bytes += nc.put_dirty(key, value, obj, key_obj, c.timestamp, c.headers, c.topic, c.partition,
                                         c.offset)
        if cache.size_bytes > cache.max_bytes:
            cache.make_room(nc)

    def _flush_entries(self, entries: list[CacheEntry]) -> None:
        c = self._pctx
        saved = (c.timestamp, c.headers, c.topic, c.partition, c.offset)
        listener, send_old = self._listener, self._send_old
        try:
            for e in entries:
                new = e.value
                old = self._stored(e.key) if listener is not None and (new is None or send_old) else None
                if listener is not None and new is None and old is None:
                    continue  # absent below and deleted in the cache: nothing to write or forward
                c.timestamp, c.headers, c.topic, c.partition, c.offset = (
                    e.timestamp, e.headers, e.topic, e.partition, e.offset
                )
                self._write(e.key, new)
                if listener is not None:
                    listener(e, new, old if send_old else None)
        finally:
            c.timestamp, c.headers, c.topic, c.partition, c.offset = saved

    def key_decoder(self, key_from: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
        """The function from a cache key to the store's key (``key_from`` deserializes the key bytes)."""
        return key_from

    def _stored(self, cache_key: bytes) -> bytes | None:
        raise NotImplementedError

    def _write(self, cache_key: bytes, value: bytes | None) -> None:
        raise NotImplementedError

    def flush_cache(self) -> None:
        """Flush the named cache (what a commit does first)."""
        if self._nc is not None:
            self._nc.flush()

    def flush(self) -> None:
        """Flush the named cache, then the inner store."""
        self.flush_cache()
        self._inner.flush()

    def close(self) -> None:
        """Drop the named cache (a clean close commits first, so nothing is dirty), then close the inner store."""
        if self._cache is not None and self._nc is not None:
            self._cache.remove(self._nc)
            self._nc = None
        self._inner.close()

    def _cached(self, key: bytes) -> CacheEntry | None:
        nc = self._nc
        return nc.get(key) if nc is not None else None

    def _overlay(self, data: dict[Any, bytes], select: Callable[[bytes], Any]) -> None:
        """Apply the dirty entries to ``data``: ``select(cache key)`` gives the data key, or None to skip the entry
        (clean entries hold what the store below holds, unless it has dropped them since: expired windows)."""
        nc = self._nc
        if nc is None:
            return
        for e in nc.entries():
            if not e.dirty:
                continue
            k = select(e.key)
            if k is None:
                continue
            if e.value is None:
                data.pop(k, None)
            else:
                data[k] = e.value


def _drain(it: KeyValueIterator[Any, bytes]) -> dict[Any, bytes]:
    with it:
        return dict(it)


class CachingKeyValueBytesStore(_CachingLayer):
    """A key-value bytes store with a record cache in front (Kafka's ``CachingKeyValueStore``).

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> CachingKeyValueBytesStore(InMemoryKeyValueStore("s")).wrapped.name
        's'
    """

    __slots__ = ()

    def _stored(self, cache_key: bytes) -> bytes | None:
        return self._inner.get(cache_key)  # type: ignore[no-any-return]

    def _write(self, cache_key: bytes, value: bytes | None) -> None:
        self._inner.put(cache_key, value)

    def get(self, key: bytes) -> bytes | None:
        """The cached value of ``key``, else the stored one."""
        e = self._cached(key)
        if e is not None:
            return e.value
        return self._inner.get(key)  # type: ignore[no-any-return]

    def put(self, key: bytes, value: bytes | None) -> None:
        """Cache ``value`` (None: a delete) as dirty."""
        self._cache_put(key, value)

    def put_object(self, key: bytes, value: bytes, obj: Any, key_obj: Any = NO_OBJECT) -> None:
        """Cache ``value`` as dirty, keeping ``obj``, the immutable value it was serialized from, beside it (and
        ``key_obj``, the immutable key ``key`` was serialized from, when given)."""
        self._cache_put(key, value, obj, key_obj)

    def cached_entry(self, key: bytes) -> CacheEntry | None:
        """The cache's entry of ``key`` (now the most recently used), or None: a read as :meth:`get` does it,
        for a reader that uses the entry's ``obj`` when it has one (else the store below has the value)."""
        nc = self._nc
        return nc.get(key) if nc is not None else None

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        """Put when ``key`` has no value; return the value it had."""
        old = self.get(key)
        if old is None:
            self._cache_put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Put every pair, in order."""
        for key, value in entries:
            self._cache_put(key, value)

    def delete(self, key: bytes) -> bytes | None:
        """Cache a delete; return the old value."""
        old = self.get(key)
        self._cache_put(key, None)
        return old

    def _merged(
        self, it: KeyValueIterator[bytes, bytes], keep: Callable[[bytes], bool], reverse: bool
    ) -> KeyValueIterator[bytes, bytes]:
        data = _drain(it)
        self._overlay(data, lambda k: k if keep(k) else None)
        return ListKeyValueIterator(self.name, [(k, data[k]) for k in sorted(data, reverse=reverse)])

    def range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Pairs in ``[key_from, key_to]`` (None: open), the cache merged in."""
        return self._merged(self._inner.range(key_from, key_to), _in_range(key_from, key_to), False)

    def reverse_range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Like ``range``, descending."""
        return self._merged(self._inner.reverse_range(key_from, key_to), _in_range(key_from, key_to), True)

    def all(self) -> KeyValueIterator[bytes, bytes]:
        """Every pair, the cache merged in."""
        return self._merged(self._inner.all(), _always, False)

    def reverse_all(self) -> KeyValueIterator[bytes, bytes]:
        """Every pair, descending."""
        return self._merged(self._inner.reverse_all(), _always, True)

    def prefix_scan(self, prefix: bytes) -> KeyValueIterator[bytes, bytes]:
        """Pairs whose key starts with ``prefix``, the cache merged in."""
        return self._merged(self._inner.prefix_scan(prefix), lambda k: k.startswith(prefix), False)

    def approximate_num_entries(self) -> int:
        """The inner store's estimate."""
        return self._inner.approximate_num_entries()  # type: ignore[no-any-return]


def _always(key: bytes) -> bool:
    return True


def _in_range(lo: bytes | None, hi: bytes | None) -> Callable[[bytes], bool]:
    return lambda k: (lo is None or k >= lo) and (hi is None or k <= hi)


def set_flush_listener(store: Any, listener: Callable[[Any, Any, Any, CacheEntry], None], send_old_values: bool
                       ) -> bool:
    """Have the caching layer under the metered ``store`` call ``listener(key, new, old, entry)`` (deserialized;
    window and session stores give ``Windowed`` keys) for each flushed entry; False when the store does not cache
    (then the processor forwards itself). Kafka's ``TimestampedTupleForwarder`` constructor.

    Example::

        >>> set_flush_listener(object(), lambda *a: None, False)
        False
    """
    layer = getattr(store, "wrapped", None)
    if not isinstance(layer, _CachingLayer) or layer.cache_inactive:
        return False
    key_from = layer.key_decoder(store._key_from)
    value_from = store._value_from

    def on_flush(e: CacheEntry, new: bytes | None, old: bytes | None) -> None:
        # objects kept beside the bytes need no deserializing (the entry's value is ``new``)
        obj, key = e.obj, e.key_obj
        listener(key_from(e.key) if key is NO_OBJECT else key, value_from(new) if obj is NO_OBJECT else obj,
                 None if old is None else value_from(old), e)

    return layer.set_listener(on_flush, send_old_values)
