"""Stores factory and store builders: suppliers, immutability of builders, the stacks they build
(Kafka's StoresTest, KeyValueStoreBuilderTest, TimestampedKeyValueStoreBuilderTest, WindowStoreBuilderTest).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from _state_fakes import FakeContext, init

from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
    ChangeLoggingTimestampedWindowBytesStore,
    ChangeLoggingWindowBytesStore,
    InMemoryKeyValueStore,
    InMemoryWindowStore,
    KeyValueStore,
    MemoryLRUCache,
    MeteredKeyValueStore,
    MeteredTimestampedKeyValueStore,
    MeteredTimestampedWindowStore,
    MeteredWindowStore,
    StateStore,
    Stores,
)


def test_suppliers() -> None:  # StoresTest
    s = Stores.in_memory_key_value_store("s")
    assert (s.name, s.metrics_scope) == ("s", "in-memory")
    assert isinstance(s.get(), InMemoryKeyValueStore)
    assert s.get() is not s.get()
    p = Stores.persistent_key_value_store("p")
    assert (p.metrics_scope, p.get().persistent) == ("rocksdb", True)  # RocksDB: rocksdict is in the test extra
    assert Stores.persistent_timestamped_key_value_store("pt").timestamped
    lru = Stores.lru_map("l", 5)
    assert (lru.metrics_scope, lru.get().max_cache_size) == ("in-memory-lru", 5)
    assert isinstance(lru.get(), MemoryLRUCache)
    w = Stores.in_memory_window_store("w", timedelta(minutes=1), timedelta(seconds=10), False)
    assert (w.retention_period, w.window_size, w.metrics_scope) == (60_000, 10_000, "in-memory-window")
    assert isinstance(w.get(), InMemoryWindowStore)


@pytest.mark.parametrize("bad", [None, "", 3])
def test_store_names_are_checked(bad: object) -> None:
    with pytest.raises(TopologyError, match="store name"):
        Stores.in_memory_key_value_store(bad)  # type: ignore[arg-type]


def test_lru_size_must_not_be_negative() -> None:
    with pytest.raises(TopologyError, match="max_cache_size cannot be negative"):
        Stores.lru_map("l", -1)


def test_builder_defaults_and_immutability() -> None:
    b = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.string(), Serdes.long())
    assert (b.name, b.logging_enabled, b.caching_enabled, b.log_config) == ("s", True, False, {})
    b2 = b.with_logging_enabled({"min.insync.replicas": "2"})
    b3 = b2.with_logging_enabled({"retention.ms": "100"})
    b4 = b3.with_logging_disabled()
    b5 = b.with_caching_enabled()
    b6 = b5.with_caching_disabled()
    assert b.log_config == {} and b.logging_enabled and not b.caching_enabled  # the original never changes
    assert b2.log_config == {"min.insync.replicas": "2"}
    assert b3.log_config == {"min.insync.replicas": "2", "retention.ms": "100"}  # Kafka merges configs
    assert (b4.logging_enabled, b4.log_config) == (False, {})
    assert (b5.caching_enabled, b6.caching_enabled) == (True, False)
    assert len({id(x) for x in (b, b2, b3, b4, b5, b6)}) == 6
    b3.log_config["x"] = "y"  # a copy: the builder is not touched
    assert "x" not in b3.log_config
    assert "logging_enabled=True" in repr(b)


def test_build_returns_new_stacks() -> None:
    b = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"))
    s1, s2 = b.build(), b.build()
    assert s1 is not s2 and s1.wrapped is not s2.wrapped
    assert isinstance(s1, MeteredKeyValueStore) and isinstance(s1, KeyValueStore)
    assert isinstance(s1.wrapped, ChangeLoggingKeyValueBytesStore)
    assert isinstance(s1.wrapped.wrapped, InMemoryKeyValueStore)
    unlogged = b.with_logging_disabled().build()
    assert isinstance(unlogged.wrapped, InMemoryKeyValueStore)
    assert isinstance(s1, StateStore)


def test_timestamped_and_window_stacks() -> None:
    t = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("t")).build()
    assert isinstance(t, MeteredTimestampedKeyValueStore)
    assert isinstance(t.wrapped, ChangeLoggingTimestampedKeyValueBytesStore)
    supplier = Stores.in_memory_window_store("w", 100, 10, False)
    w = Stores.window_store_builder(supplier).build()
    assert isinstance(w, MeteredWindowStore) and isinstance(w.wrapped, ChangeLoggingWindowBytesStore)
    tw = Stores.timestamped_window_store_builder(supplier).build()
    assert isinstance(tw, MeteredTimestampedWindowStore)
    assert isinstance(tw.wrapped, ChangeLoggingTimestampedWindowBytesStore)
    assert isinstance(
        Stores.window_store_builder(supplier).with_logging_disabled().build().wrapped, InMemoryWindowStore
    )


def test_window_builder_with_duplicates() -> None:  # WindowStoreBuilder: delete policy, no caching
    b = Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10, True))
    assert b.log_config == {"cleanup.policy": "delete"}
    assert not b.with_caching_enabled().caching_enabled
    assert (b.retention_period, b.window_size, b.retain_duplicates) == (100, 10, True)
    plain = Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10, False))
    assert plain.log_config == {}
    assert plain.with_caching_enabled().caching_enabled


def test_builder_serdes_win_over_context_defaults() -> None:
    ctx = FakeContext(Serdes.string(), Serdes.string())
    b = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.integer(), Serdes.long())
    store = init(b.build(), ctx)
    store.put(1, 2)
    assert ctx.changelog == [("s", b"\x00\x00\x00\x01", b"\x00" * 7 + b"\x02", 10)]
