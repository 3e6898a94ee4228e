"""Record caches: ThreadCache / NamedCache accounting, eviction and flush order (Kafka's ThreadCacheTest and
NamedCacheTest), and the caching key-value and window layers (CachingInMemoryKeyValueStoreTest,
CachingPersistentWindowStoreTest): writes stay in the cache until a flush, which writes the final value once
to the store below and hands ``(new, old)`` to the flush listener."""

from __future__ import annotations

from typing import Any

import pytest
from _state_fakes import FakeContext, init

from kstreams_nb.errors import InvalidStateStoreError
from kstreams_nb.records import EMPTY_HEADERS, Headers, Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import InMemoryKeyValueStore, Stores
from kstreams_nb.state._api import ValueAndTimestamp
from kstreams_nb.state.cache import ENTRY_OVERHEAD, NO_OBJECT, CacheEntry, ThreadCache
from kstreams_nb.state.cache_stores import CachingKeyValueBytesStore, set_flush_listener
from kstreams_nb.state.cache_windowed import CachingSessionBytesStore, CachingWindowBytesStore
from kstreams_nb.state.logging import ChangeLoggingKeyValueBytesStore, ChangeLoggingWindowBytesStore
from kstreams_nb.state.window import InMemoryWindowStore
from kstreams_nb.state.window_schema import to_store_key_binary

S, L = Serdes.string(), Serdes.long()


def _entry(value: bytes | None, dirty: bool = True, ts: int = 0) -> CacheEntry:
    return CacheEntry(value, dirty, ts, EMPTY_HEADERS, "in", 0, 0)


def _size(key: bytes, value: bytes) -> int:
    return len(key) + len(value) + ENTRY_OVERHEAD


class CachingContext(FakeContext):
    """A store context with a thread cache, which is also the processor context whose record the cache keeps."""

    def __init__(self, max_bytes: int = 10_000) -> None:
        super().__init__()
        self.cache = ThreadCache(max_bytes)
        self.processor_context = self
        self.headers: Headers = EMPTY_HEADERS
        self.topic: str | None = "in"
        self.partition = 0
        self.offset = 0


# ---------------------------------------------------------------- ThreadCache / NamedCache
def test_sizes_count_key_value_and_a_fixed_overhead() -> None:
    cache = ThreadCache(10_000)
    nc = cache.named_cache("0_0-s", lambda entries: None)
    cache.put(nc, b"ab", _entry(b"123"))
    assert cache.size_bytes == nc.size_bytes == _size(b"ab", b"123")
    cache.put(nc, b"ab", _entry(b"1"))  # an overwrite replaces the entry's size
    assert cache.size_bytes == _size(b"ab", b"1")
    cache.put(nc, b"c", _entry(None))  # a delete has no value bytes
    assert cache.size_bytes == _size(b"ab", b"1") + 1 + ENTRY_OVERHEAD


def test_eviction_keeps_the_thread_within_its_bytes_and_flushes_the_evicted_entry_first() -> None:
    """NamedCacheTest.shouldFlushDirtyEntriesOnEviction: evicting a dirty entry flushes it first, then every
    other dirty entry in the order of its last write."""
    flushed: list[list[tuple[bytes, bytes | None]]] = []
    budget = 3 * _size(b"a", b"1")
    cache = ThreadCache(budget)
    nc = cache.named_cache("0_0-s", lambda entries: flushed.append([(e.key, e.value) for e in entries]))
    for key in (b"a", b"b", b"c"):
        cache.put(nc, key, _entry(b"1"))
    assert flushed == [] and cache.size_bytes == budget
    cache.put(nc, b"b", _entry(b"2"))  # b is now the latest write and the most recently used
    cache.put(nc, b"d", _entry(b"1"))  # over budget: a (least recently used) goes
    assert flushed == [[(b"a", b"1"), (b"c", b"1"), (b"b", b"2"), (b"d", b"1")]]
    assert cache.size_bytes <= budget and nc.get(b"a") is None and len(nc) == 3
    assert all(not e.dirty for e in nc.entries())


def test_a_read_makes_an_entry_recently_used() -> None:
    cache = ThreadCache(2 * _size(b"a", b"1"))
    nc = cache.named_cache("0_0-s", lambda entries: None)
    cache.put(nc, b"a", _entry(b"1", dirty=False))
    cache.put(nc, b"b", _entry(b"1", dirty=False))
    assert nc.get(b"a") is not None
    cache.put(nc, b"c", _entry(b"1", dirty=False))
    assert [e.key for e in nc.entries()] == [b"a", b"c"]


def test_flush_hands_dirty_entries_in_write_order_and_drops_deleted_ones() -> None:
    seen: list[tuple[bytes, bytes | None]] = []
    cache = ThreadCache(10_000)
    nc = cache.named_cache("0_0-s", lambda entries: seen.extend((e.key, e.value) for e in entries))
    cache.put(nc, b"x", _entry(b"1"))
    cache.put(nc, b"y", _entry(None))
    cache.put(nc, b"x", _entry(b"2"))
    nc.flush()
    assert seen == [(b"y", None), (b"x", b"2")]
    assert [e.key for e in nc.entries()] == [b"x"] and cache.size_bytes == _size(b"x", b"2")
    nc.flush()  # nothing dirty: the listener is not called again
    assert len(seen) == 2


def test_a_dirty_write_updates_a_cached_entry_as_a_new_entry_would() -> None:
    flushed: list[tuple[bytes, bytes | None, int, int]] = []
    cache = ThreadCache(10_000)
    nc = cache.named_cache("0_0-s", lambda entries: flushed.extend((e.key, e.value, e.timestamp, e.offset)
                                                                  for e in entries))
    cache.put(nc, b"x", _entry(b"1", dirty=False))
    cache.put(nc, b"y", _entry(b"1"))
    first = nc.peek(b"x")
    cache.size_bytes += nc.put_dirty(b"x", b"22", 22, "x", 7, EMPTY_HEADERS, "in", 0, 3)
    entry = nc.peek(b"x")
    assert entry is first  # updated in place
    assert (entry.value, entry.obj, entry.key_obj, entry.dirty, entry.timestamp, entry.offset) == (
        b"22", 22, "x", True, 7, 3)
    assert [e.key for e in nc.entries()] == [b"y", b"x"]  # now the most recently used
    assert cache.size_bytes == nc.size_bytes == _size(b"x", b"22") + _size(b"y", b"1")
    cache.size_bytes += nc.put_dirty(b"z", b"3", 3, "z", 8, EMPTY_HEADERS, "in", 0, 4)  # a new key: a new entry
    nc.flush()
    assert flushed == [(b"y", b"1", 0, 0), (b"x", b"22", 7, 3), (b"z", b"3", 8, 4)]  # in the order of the writes


def test_a_write_during_a_flush_leaves_the_flushed_entries_as_they_were() -> None:
    seen: list[tuple[bytes, bytes | None]] = []
    cache = ThreadCache(10_000)

    def listener(entries: list[CacheEntry]) -> None:  # a downstream processor writing to the same store
        if not seen:
            cache.size_bytes += nc.put_dirty(b"b", b"late", NO_OBJECT, NO_OBJECT, 9, EMPTY_HEADERS, "in", 0, 9)
        seen.extend((e.key, e.value) for e in entries)

    nc = cache.named_cache("0_0-s", listener)
    cache.put(nc, b"a", _entry(b"1"))
    cache.put(nc, b"b", _entry(b"2"))
    nc.flush()
    assert seen == [(b"a", b"1"), (b"b", b"2")]  # the entries in hand are not changed by the write
    nc.flush()
    assert seen[2:] == [(b"b", b"late")]


def test_a_flush_inside_a_flush_listener_leaves_the_outer_entries_as_they_were() -> None:
    seen: list[tuple[bytes, bytes | None]] = []
    cache = ThreadCache(10_000)

    def listener(entries: list[CacheEntry]) -> None:  # writes to its own cache, which flushes again inside
        if len(entries) == 2:
            cache.size_bytes += nc.put_dirty(b"c", b"3", NO_OBJECT, NO_OBJECT, 9, EMPTY_HEADERS, "in", 0, 9)
            nc.flush()  # the nested flush (an eviction would do the same)
            cache.size_bytes += nc.put_dirty(b"b", b"late", NO_OBJECT, NO_OBJECT, 9, EMPTY_HEADERS, "in", 0, 9)
        seen.extend((e.key, e.value) for e in entries)

    nc = cache.named_cache("0_0-s", listener)
    cache.put(nc, b"a", _entry(b"1"))
    cache.put(nc, b"b", _entry(b"2"))
    nc.flush()
    assert seen == [(b"c", b"3"), (b"a", b"1"), (b"b", b"2")]  # the outer entries in hand are unchanged
    nc.flush()
    assert seen[3:] == [(b"b", b"late")]


def test_a_task_prefix_flushes_only_that_tasks_caches() -> None:
    seen: list[str] = []
    cache = ThreadCache(10_000)
    def listener(name: str) -> Any:
        return lambda entries: seen.append(name)

    caches = {n: cache.named_cache(n, listener(n)) for n in ("0_1-a", "0_10-a", "0_1-b")}
    for nc in caches.values():
        cache.put(nc, b"k", _entry(b"v"))
    cache.flush_prefix("0_1-")
    assert seen == ["0_1-a", "0_1-b"]
    cache.remove(caches["0_10-a"])
    assert cache.size_bytes == 2 * _size(b"k", b"v")


# ---------------------------------------------------------------- the key-value caching layer
def _kv(ctx: CachingContext) -> Any:
    return init(CachingKeyValueBytesStore(ChangeLoggingKeyValueBytesStore(InMemoryKeyValueStore("s"))), ctx)


def test_writes_reach_the_changelog_once_on_flush_with_their_own_timestamp() -> None:
    """CachingInMemoryKeyValueStoreTest.shouldPutGetToFromCache / shouldFlushEvictedItemsIntoUnderlyingStore."""
    ctx = CachingContext()
    store = _kv(ctx)
    forwarded: list[tuple[bytes, bytes | None, bytes | None, int]] = []
    assert store.set_listener(lambda e, new, old: forwarded.append((e.key, new, old, ctx.timestamp)), True)
    ctx.timestamp = 5
    store.put(b"k", b"1")
    ctx.timestamp = 7
    store.put(b"k", b"2")
    assert store.get(b"k") == b"2" and store.wrapped.get(b"k") is None and ctx.changelog == []
    ctx.timestamp = 99
    store.flush()
    assert ctx.changelog == [("s", b"k", b"2", 7)]  # the record context of the last write
    assert forwarded == [(b"k", b"2", None, 7)] and ctx.timestamp == 99
    store.put(b"k", b"3")
    store.flush()
    assert forwarded[-1][:3] == (b"k", b"3", b"2")  # the old value is the one below the cache


def test_old_values_only_when_asked_for() -> None:
    ctx = CachingContext()
    store = _kv(ctx)
    forwarded: list[tuple[bytes | None, bytes | None]] = []
    store.set_listener(lambda e, new, old: forwarded.append((new, old)), False)
    store.put(b"k", b"1")
    store.flush()
    store.put(b"k", b"2")
    store.flush()
    assert forwarded == [(b"1", None), (b"2", None)]


def test_deleting_what_was_never_stored_writes_and_forwards_nothing() -> None:
    """CachingKeyValueStore.putAndMaybeForward: a key absent below and deleted in the cache is skipped."""
    ctx = CachingContext()
    store = _kv(ctx)
    forwarded: list[Any] = []
    store.set_listener(lambda e, new, old: forwarded.append((new, old)), True)
    store.put(b"k", b"1")
    assert store.delete(b"k") == b"1"
    store.flush()
    assert forwarded == [] and ctx.changelog == []


def test_range_reads_merge_unflushed_writes() -> None:
    ctx = CachingContext()
    store = _kv(ctx)
    store.set_listener(None, False)
    store.put(b"a", b"1")
    store.put(b"c", b"3")
    store.flush()
    store.put(b"b", b"2")
    store.delete(b"c")
    assert list(store.all()) == [(b"a", b"1"), (b"b", b"2")]
    assert list(store.reverse_range(b"a", b"b")) == [(b"b", b"2"), (b"a", b"1")]
    assert list(store.prefix_scan(b"b")) == [(b"b", b"2")]


def test_a_cache_of_zero_bytes_leaves_no_caching_layer() -> None:
    """statestore.cache.max.bytes=0: the metered store drops the layer at init (today's path, unchanged)."""
    builder = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("s"), S, L)
    stack = init(builder.with_caching_enabled().build(), CachingContext(max_bytes=0))
    assert type(stack.wrapped).__name__ == "ChangeLoggingTimestampedKeyValueBytesStore"
    assert set_flush_listener(stack, lambda *a: None, False) is False
    cached = init(builder.with_caching_enabled().build(), CachingContext())
    assert isinstance(cached.wrapped, CachingKeyValueBytesStore)


def test_the_metered_listener_gets_objects() -> None:
    ctx = CachingContext()
    builder = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("s"), S, L)
    store = init(builder.with_caching_enabled().build(), ctx)
    seen: list[tuple[Any, Any, Any]] = []
    assert set_flush_listener(store, lambda k, new, old, e: seen.append((k, new, old)), True)
    store.put("k", 1, 3)
    store.put("k", 2, 4)
    assert store.get("k").value == 2
    store.flush()
    assert seen == [("k", store.get("k"), None)] and store.get("k").timestamp == 4


# ---------------------------------------------------------------- the window caching layer
def test_window_writes_are_merged_into_fetches_and_written_on_flush() -> None:
    """CachingPersistentWindowStoreTest.shouldPutFetchFromCache / shouldFlushEvictedItemsIntoUnderlyingStore."""
    ctx = CachingContext()
    store = init(CachingWindowBytesStore(ChangeLoggingWindowBytesStore(InMemoryWindowStore("w", 100, 10, False))),
                 ctx)
    seen: list[tuple[bytes, bytes | None, bytes | None]] = []
    store.set_listener(lambda e, new, old: seen.append((e.key, new, old)), True)
    store.put(b"a", b"1", 0)
    store.put(b"a", b"2", 0)
    store.put(b"b", b"1", 10)
    assert store.fetch(b"a", 0) == b"2" and store.wrapped.fetch(b"a", 0) is None
    assert list(store.fetch_values(b"a", 0, 50)) == [(0, b"2")]
    assert [(w.key, w.window.start, v) for w, v in store.fetch_all(0, 50)] == [(b"a", 0, b"2"), (b"b", 10, b"1")]
    store.flush()
    assert seen == [(to_store_key_binary(b"a", 0, 0), b"2", None), (to_store_key_binary(b"b", 10, 0), b"1", None)]
    assert store.wrapped.fetch(b"a", 0) == b"2" and len(ctx.changelog) == 2


def test_the_metered_window_listener_gets_windowed_keys() -> None:
    ctx = CachingContext()
    builder = Stores.timestamped_window_store_builder(Stores.in_memory_window_store("w", 100, 10, False), S, L)
    store = init(builder.with_caching_enabled().build(), ctx)
    seen: list[Any] = []
    assert set_flush_listener(store, lambda k, new, old, e: seen.append((k, new.value, old)), False)
    store.put("k", 5, 20, timestamp=21)
    store.flush()
    assert seen == [(Windowed("k", Window(20, 30)), 5, None)]


def test_a_timestamped_window_store_keeps_immutable_values_beside_their_bytes() -> None:
    ctx = CachingContext()
    builder = Stores.timestamped_window_store_builder(Stores.in_memory_window_store("w", 100, 10, False), S, L)
    store = init(builder.with_caching_enabled().build(), ctx)
    store.put("k", 5, 20, timestamp=21)
    entry = store.wrapped.dirty_entry(S.serialize("w", "k"), 20)
    assert entry.obj == ValueAndTimestamp(5, 21) and entry.value == (21).to_bytes(8, "big") + L.serialize("w", 5)
    assert store.fetch("k", 20) is entry.obj  # read back without deserializing
    store.flush()
    assert store.wrapped.dirty_entry(S.serialize("w", "k"), 20) is None
    assert store.fetch("k", 20) == ValueAndTimestamp(5, 21)  # from the store below, deserialized
    assert store.fetch("k", 30) is None and list(store.fetch("k", 0, 50)) == [(20, ValueAndTimestamp(5, 21))]
    builder = Stores.timestamped_window_store_builder(Stores.in_memory_window_store("j", 100, 10, False), S,
                                                      Serdes.json())
    json_store = init(builder.with_caching_enabled().build(), ctx)
    json_store.put("k", {"n": 1}, 30, timestamp=31)  # a mutable value: its bytes only
    assert json_store.wrapped.dirty_entry(S.serialize("j", "k"), 30).obj is NO_OBJECT
    assert json_store.fetch("k", 30) == ValueAndTimestamp({"n": 1}, 31)


def test_stores_that_keep_duplicates_never_cache() -> None:
    builder = Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10, True), S, L)
    assert not isinstance(builder.with_caching_enabled().build().wrapped, CachingWindowBytesStore)


def test_a_cache_used_before_init_fails_clearly() -> None:
    store = CachingKeyValueBytesStore(InMemoryKeyValueStore("s"))
    with pytest.raises(InvalidStateStoreError, match="before init"):
        store.put(b"k", b"v")


# ---------------------------------------------------------------- the session caching layer
def test_session_writes_are_merged_into_finds_and_written_on_flush() -> None:
    """CachingInMemorySessionStoreTest.shouldPutFetchFromCache / shouldFlushItemsToStoreOnEviction."""
    ctx = CachingContext()
    builder = Stores.session_store_builder(Stores.in_memory_session_store("s", 1000), S, L)
    store = init(builder.with_caching_enabled().build(), ctx)
    seen: list[Any] = []
    assert set_flush_listener(store, lambda k, new, old, e: seen.append((str(k), new, old)), True)
    store.put(Windowed("a", Window(0, 0)), 1)
    store.flush()
    store.remove(Windowed("a", Window(0, 0)))
    store.put(Windowed("a", Window(0, 5)), 2)
    store.put(Windowed("b", Window(3, 3)), 1)
    assert [(str(k), v) for k, v in store.find_sessions("a", 0, 10)] == [("[a@0/5]", 2)]
    assert [(str(k), v) for k, v in store.find_sessions_ending(0, 10)] == [("[b@3/3]", 1), ("[a@0/5]", 2)]
    assert store.fetch_session("a", 0, 0) is None and isinstance(store.wrapped, CachingSessionBytesStore)
    store.flush()
    assert seen == [("[a@0/0]", 1, None), ("[a@0/0]", None, 1), ("[a@0/5]", 2, None), ("[b@3/3]", 1, None)]
    assert [(str(k), v) for k, v in store.fetch("a")] == [("[a@0/5]", 2)]
