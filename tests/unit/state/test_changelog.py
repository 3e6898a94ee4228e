"""Changelogging layers, timestamped stores and the LRU map: what reaches the changelog, in Kafka's byte formats
(ChangeLoggingKeyValueBytesStoreTest, ChangeLoggingTimestampedKeyValueBytesStoreTest, ValueAndTimestampSerializer,
MemoryLRUCache / CachingInMemoryKeyValueStoreTest eviction), and how restoration replays it.
"""

from __future__ import annotations

from typing import Any

import pytest
from _state_fakes import FakeContext, init

from kstreams_nb.errors import SerializationError, StateStoreError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import (
    ChangeLoggingKeyValueBytesStore,
    InMemoryKeyValueStore,
    MemoryLRUCache,
    Stores,
    ValueAndTimestamp,
    ValueAndTimestampSerde,
)

S = Serdes.string()


def kv(ctx: FakeContext, *, logging: bool = True, timestamped: bool = False, supplier: Any = None) -> Any:
    supplier = supplier or Stores.in_memory_key_value_store("kv")
    make = Stores.timestamped_key_value_store_builder if timestamped else Stores.key_value_store_builder
    builder = make(supplier, S, S)
    if not logging:
        builder = builder.with_logging_disabled()
    return init(builder.build(), ctx)


def test_every_write_type_is_logged(ctx: FakeContext) -> None:
    store = kv(ctx)
    store.put("a", "1")
    store.put_all([("b", "2"), ("c", "3")])
    assert store.put_if_absent("a", "x") == "1"  # not written: not logged
    assert store.put_if_absent("d", "4") is None
    assert store.delete("b") == "2"
    store.delete("zz")  # Kafka logs a tombstone even for an absent key
    store.put("c", None)
    assert ctx.changelog == [
        ("kv", b"a", b"1", 10),
        ("kv", b"b", b"2", 10),
        ("kv", b"c", b"3", 10),
        ("kv", b"d", b"4", 10),
        ("kv", b"b", None, 10),
        ("kv", b"zz", None, 10),
        ("kv", b"c", None, 10),
    ]


def test_engine_learns_whether_a_store_is_logged() -> None:
    logged, unlogged = FakeContext(), FakeContext()
    kv(logged)
    store = kv(unlogged, logging=False)
    store.put("a", "1")
    assert logged.logged("kv") is True
    assert unlogged.logged("kv") is False
    assert unlogged.changelog == []
    assert logged.registered["kv"][0] is not None


def test_root_is_registered(ctx: FakeContext) -> None:
    store = kv(ctx)
    assert ctx.registered["kv"][0] is store


def test_bytes_changelogging_layer_alone(ctx: FakeContext) -> None:
    s = ChangeLoggingKeyValueBytesStore(InMemoryKeyValueStore("raw"))
    init(s, ctx)
    s.put(b"k", b"v")
    assert s.get(b"k") == b"v"
    assert list(s.range(None, None)) == [(b"k", b"v")]
    assert ctx.changelog == [("raw", b"k", b"v", 10)]
    assert ctx.logged("raw")


def test_restore_replays_into_the_store_without_logging(ctx: FakeContext) -> None:
    store = kv(ctx)
    ctx.restore("kv", [(b"a", b"1"), (b"b", b"2"), (b"a", None), (b"c", b"3", 77)])
    assert list(store.all()) == [("b", "2"), ("c", "3")]
    assert ctx.changelog == []


# ---------------------------------------------------------------- timestamped format


def test_value_and_timestamp_byte_format_is_kafkas() -> None:
    serde = ValueAndTimestampSerde(S)
    # ValueAndTimestampSerializer: LongSerializer(timestamp) ++ valueSerializer(value)
    assert serde.serialize("t", ValueAndTimestamp("a", 1)) == bytes.fromhex("000000000000000161")
    assert serde.serialize("t", ValueAndTimestamp("", -1)) == b"\xff" * 8
    assert serde.serialize("t", None) is None
    assert serde.deserialize("t", bytes.fromhex("00000000000001f4") + b"xyz") == ValueAndTimestamp("xyz", 500)
    assert str(ValueAndTimestamp("v", 3)) == "<v,3>"
    assert ValueAndTimestamp.make(None, 3) is None


def test_timestamped_store_holds_ts_plus_value_and_logs_raw_value(ctx: FakeContext) -> None:
    store = kv(ctx, timestamped=True)
    store.put("k", ValueAndTimestamp("v", 99))
    store.put("j", "w", 42)  # convenience form
    inner = store.wrapped.wrapped
    assert inner.get(b"k") == (99).to_bytes(8, "big") + b"v"
    assert store.get("k") == ValueAndTimestamp("v", 99)
    assert store.get("j") == ValueAndTimestamp("w", 42)
    store.delete("k")
    # ChangeLoggingTimestampedKeyValueBytesStore: raw value, timestamp from the value; tombstones use the context's
    assert ctx.changelog == [("kv", b"k", b"v", 99), ("kv", b"j", b"w", 42), ("kv", b"k", None, 10)]
    assert store.put_if_absent("j", "other", 1) == ValueAndTimestamp("w", 42)
    assert store.put_if_absent("n", ValueAndTimestamp("new", 5)) is None
    assert ctx.changelog[-1] == ("kv", b"n", b"new", 5)


def test_timestamped_put_needs_a_timestamp(ctx: FakeContext) -> None:
    store = kv(ctx, timestamped=True)
    with pytest.raises(SerializationError, match=r"'kv'.*ValueAndTimestamp"):
        store.put("k", "plain value")


def test_timestamped_restore_prepends_the_record_timestamp(ctx: FakeContext) -> None:
    store = kv(ctx, timestamped=True)
    ctx.restore("kv", [(b"a", b"1", 7), (b"b", b"2", 8), (b"b", None, 9)])
    assert list(store.all()) == [("a", ValueAndTimestamp("1", 7))]


def test_timestamped_restore_without_timestamps_fails_loudly(ctx: FakeContext) -> None:
    kv(ctx, timestamped=True)
    with pytest.raises(StateStoreError, match=r"'kv'.*triples"):
        ctx.restore("kv", [(b"a", b"1")])


def test_unlogged_timestamped_store_restores_too(ctx: FakeContext) -> None:
    # a source-topic changelog (KTable source optimisation) restores a store that has no changelogging layer
    store = kv(ctx, timestamped=True, logging=False)
    assert not ctx.logged("kv")
    ctx.restore("kv", [(b"a", b"1", 7)])
    assert store.get("a") == ValueAndTimestamp("1", 7)


def test_put_if_different_values(ctx: FakeContext) -> None:
    store = kv(ctx, timestamped=True)
    store.put("k", "v", 10)
    raw, value = store.get_with_binary("k")
    assert value == ValueAndTimestamp("v", 10)
    assert store.put_if_different_values("k", ValueAndTimestamp("v", 11), raw) is False  # same value, time grew
    assert store.put_if_different_values("k", ValueAndTimestamp("v", 10), raw) is True  # time did not grow
    assert store.put_if_different_values("k", ValueAndTimestamp("x", 12), raw) is True
    assert store.get("k") == ValueAndTimestamp("x", 12)
    assert store.get_with_binary("missing") == (None, None)


# ---------------------------------------------------------------- LRU map


def test_lru_evicts_least_recently_used(ctx: FakeContext) -> None:
    store = kv(ctx, supplier=Stores.lru_map("kv", 3))
    for k in ("a", "b", "c"):
        store.put(k, k)
    assert store.get("a") == "a"  # a is now the most recently used
    store.put("d", "d")  # evicts b
    assert store.get("b") is None
    assert sorted(k for k, _ in store.all()) == ["a", "c", "d"]
    store.put("c", "c2")  # re-put refreshes c
    store.put("e", "e")  # evicts a
    assert sorted(k for k, _ in store.all()) == ["c", "d", "e"]
    assert store.approximate_num_entries() == 3
    # each eviction is a tombstone in the changelog, logged before the put that caused it
    assert [(k, v) for _, k, v, _ in ctx.changelog] == [
        (b"a", b"a"),
        (b"b", b"b"),
        (b"c", b"c"),
        (b"b", None),
        (b"d", b"d"),
        (b"c", b"c2"),
        (b"a", None),
        (b"e", b"e"),
    ]


def test_lru_restore_does_not_log_evictions(ctx: FakeContext) -> None:
    store = kv(ctx, supplier=Stores.lru_map("kv", 1))
    ctx.restore("kv", [(b"a", b"1"), (b"b", b"2")])
    assert list(store.all()) == [("b", "2")]
    assert ctx.changelog == []


def test_lru_range_and_prefix() -> None:
    c = MemoryLRUCache("c", 10)
    for k in (b"b", b"a", b"ab", b"c"):
        c.put(k, k)
    assert [k for k, _ in c.range(b"a", b"b")] == [b"a", b"ab", b"b"]
    assert [k for k, _ in c.reverse_range(None, b"ab")] == [b"ab", b"a"]
    assert [k for k, _ in c.prefix_scan(b"a")] == [b"a", b"ab"]
    assert [k for k, _ in c.reverse_all()] == [b"c", b"b", b"ab", b"a"]
    assert list(c.range(b"c", b"a")) == []
    assert c.delete(b"a") == b"a"
    assert c.put_if_absent(b"b", b"x") == b"b"
    c.put(b"b", None)
    assert c.get(b"b") is None


def test_lru_of_size_zero_keeps_nothing() -> None:
    c = MemoryLRUCache("c", 0)
    c.put(b"a", b"1")
    assert c.get(b"a") is None
