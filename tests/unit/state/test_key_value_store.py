"""Key-value stores through the builder stack (metered → changelogging → in-memory).

Cases and expected outputs follow Kafka's AbstractKeyValueStoreTest and InMemoryKeyValueStoreTest
(streams/src/test/java/org/apache/kafka/streams/state/internals/), with Integer keys and String values.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from _state_fakes import FakeContext, init

from kstreams_nb.errors import (
    DeserializationError,
    InvalidStateStoreError,
    SerializationError,
    StateStoreError,
)
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import InMemoryKeyValueStore, MeteredKeyValueStore, Stores

STORE = "my-store"


def build(context: FakeContext, key_serde: Any = None, value_serde: Any = None, **kw: Any) -> Any:
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store(STORE), key_serde, value_serde)
    return init(builder.build(), context)


@pytest.fixture
def store(ctx: FakeContext) -> Any:
    ctx.key_serde, ctx.value_serde = Serdes.integer(), Serdes.string()
    return build(ctx)


def contents(it: Any) -> dict[Any, Any]:
    with it:
        return dict(it)


def flushed(context: FakeContext) -> dict[int, str | None]:
    """The last changelog value per key, deserialized (Kafka's KeyValueStoreTestDriver.flushedEntryStored)."""
    out: dict[int, str | None] = {}
    for _, k, v, _ts in context.changelog:
        out[Serdes.integer().deserialize(None, k)] = Serdes.string().deserialize(None, v)
    return out


def test_put_get_range(store: Any, ctx: FakeContext) -> None:  # Kafka: testPutGetRange
    for k, v in [(0, "zero"), (1, "one"), (2, "two"), (4, "four"), (5, "five")]:
        store.put(k, v)
    assert store.approximate_num_entries() == 5
    assert [store.get(k) for k in range(6)] == ["zero", "one", "two", None, "four", "five"]
    store.flush()
    store.delete(5)
    assert store.approximate_num_entries() == 4
    store.flush()
    assert flushed(ctx) == {0: "zero", 1: "one", 2: "two", 4: "four", 5: None}
    assert contents(store.range(2, 4)) == {2: "two", 4: "four"}
    assert contents(store.range(2, 6)) == {2: "two", 4: "four"}
    assert contents(store.all()) == {0: "zero", 1: "one", 2: "two", 4: "four"}


def test_deleted_keys_are_not_in_range_results(store: Any) -> None:  # shouldNotIncludeDeletedFromRangeResult
    store.put(0, "zero")
    store.put(1, "one")
    store.put(2, "two")
    store.delete(0)
    store.delete(1)
    assert contents(store.all()) == {2: "two"}


def test_value_serialized_to_none_deletes(ctx: FakeContext) -> None:  # shouldDeleteIfSerializedValueIsNull
    nulling = Serdes.from_functions("nulling", str.encode, bytes.decode)

    class NullingSerde:
        def serialize(self, topic: str | None, data: Any) -> bytes | None:
            return None if data == "null" else nulling.serialize(topic, data)

        def deserialize(self, topic: str | None, data: bytes | None) -> Any:
            return nulling.deserialize(topic, data)

    store = build(ctx, Serdes.integer(), NullingSerde())
    for k, v in [(0, "zero"), (1, "one"), (2, "two"), (0, "null"), (1, "null")]:
        store.put(k, v)
    assert contents(store.all()) == {2: "two"}


@pytest.mark.parametrize("restored_null", [False, True])
def test_restore(store: Any, ctx: FakeContext, restored_null: bool) -> None:
    # Kafka: testRestore, shouldRemoveKeysWithNullValues
    ks, vs = Serdes.integer(), Serdes.string()
    records: list[tuple[bytes, bytes | None]] = [
        (ks.serialize(None, k), vs.serialize(None, v))  # type: ignore[misc]
        for k, v in [(0, "zero"), (1, "one"), (2, "two"), (3, "three")]
    ]
    if restored_null:
        records.append((ks.serialize(None, 0), None))  # type: ignore[arg-type]
    ctx.restore(STORE, records)
    expected = {0: "zero", 1: "one", 2: "two", 3: "three"}
    if restored_null:
        del expected[0]
    assert contents(store.all()) == expected
    assert store.approximate_num_entries() == len(expected)
    assert ctx.changelog == []  # restoring never writes the changelog


def test_put_if_absent(store: Any, ctx: FakeContext) -> None:  # testPutIfAbsent
    assert store.put_if_absent(0, "zero") is None
    assert store.put_if_absent(1, "one") is None
    assert store.put_if_absent(2, "two") is None
    assert store.put_if_absent(4, "four") is None
    assert store.put_if_absent(4, "unexpected value") == "four"
    assert store.approximate_num_entries() == 4
    assert [store.get(k) for k in range(5)] == ["zero", "one", "two", None, "four"]
    assert flushed(ctx) == {0: "zero", 1: "one", 2: "two", 4: "four"}


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.put(None, "anyValue"),
        lambda s: s.put_if_absent(None, "anyValue"),
        lambda s: s.put_all([(None, "anyValue")]),
        lambda s: s.delete(None),
        lambda s: s.get(None),
    ],
)
def test_none_key_is_rejected_naming_the_store(store: Any, call: Any) -> None:  # shouldThrowNullPointerException*
    with pytest.raises(StateStoreError, match=STORE):
        call(store)


def test_none_values_are_accepted(store: Any) -> None:  # shouldNotThrowNullPointerExceptionOnPut*NullValue
    store.put(1, None)
    store.put_if_absent(1, None)
    store.put_all([(1, None)])
    assert store.get(1) is None


def test_size(store: Any) -> None:  # testSize
    assert store.approximate_num_entries() == 0
    for k, v in [(0, "zero"), (1, "one"), (2, "two"), (4, "four"), (5, "five")]:
        store.put(k, v)
    store.flush()
    assert store.approximate_num_entries() == 5


def test_put_all_keeps_order(store: Any) -> None:  # shouldPutAll
    store.put_all([(1, "one"), (2, "two")])
    assert list(store.all()) == [(1, "one"), (2, "two")]


def test_delete(store: Any) -> None:  # shouldDeleteFromStore
    store.put(1, "one")
    store.put(2, "two")
    assert store.delete(2) == "two"
    assert store.get(2) is None
    assert store.delete(2) is None


def test_get_and_single_key_range_agree(store: Any) -> None:  # shouldReturnSameResultsForGetAndRangeWithEqualKeys
    store.put_all([(1, "one"), (2, "two"), (3, "three")])
    it = store.range(2, 2)
    assert next(it)[1] == store.get(2)
    assert not it.has_next()


def test_writes_during_iteration_do_not_break_it(store: Any) -> None:  # shouldNotThrowConcurrentModificationException
    store.put(0, "zero")
    results = store.range(0, 2)
    store.put(1, "one")
    assert next(results) == (0, "zero")


def test_range_from_above_to_is_empty_with_warning(store: Any, caplog: pytest.LogCaptureFixture) -> None:
    # shouldNotThrowInvalidRangeExceptionWithNegativeFromKey: -1 serializes to 0xFFFFFFFF > 0x00000001
    with caplog.at_level(logging.WARNING):
        assert not store.range(-1, 1).has_next()
    message = "Returning empty iterator for fetch with invalid key range: from > to."
    assert any(message in r.getMessage() for r in caplog.records)


def test_open_bounds_and_reverse(store: Any) -> None:
    store.put_all([(k, str(k)) for k in (3, 1, 4, 2, 5)])
    assert [k for k, _ in store.range(None, 2)] == [1, 2]
    assert [k for k, _ in store.range(4, None)] == [4, 5]
    assert [k for k, _ in store.range(None, None)] == [1, 2, 3, 4, 5]
    assert [k for k, _ in store.reverse_range(2, 4)] == [4, 3, 2]
    assert [k for k, _ in store.reverse_range(None, 2)] == [2, 1]
    assert [k for k, _ in store.reverse_all()] == [5, 4, 3, 2, 1]


def test_order_is_by_serialized_bytes(ctx: FakeContext) -> None:
    ints = build(ctx, Serdes.integer(), Serdes.string())
    ints.put_all([(-1, "m1"), (1, "p1"), (0, "z")])
    assert [k for k, _ in ints.all()] == [0, 1, -1]  # big-endian two's complement: negatives sort last
    raw = InMemoryKeyValueStore("raw")
    for k in (b"b", b"\x80", b"a", b"ab", b"\x7f", b""):
        raw.put(k, b"v")
    assert [k for k, _ in raw.all()] == [b"", b"a", b"ab", b"b", b"\x7f", b"\x80"]  # unsigned lexicographic


# ---------------------------------------------------------------- prefix scans (InMemoryKeyValueStoreTest)


def byte_store(ctx: FakeContext) -> Any:
    builder = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("in-memory-byte-store"), Serdes.bytes(), Serdes.bytes()
    )
    return init(builder.build(), ctx)


def test_prefix_scan(ctx: FakeContext) -> None:  # shouldReturnKeysWithGivenPrefix
    s = byte_store(ctx)
    pairs = [("k1", "a"), ("prefix_3", "b"), ("k2", "c"), ("prefix_2", "d"), ("k3", "e"), ("prefix_1", "f")]
    s.put_all([(k.encode(), v.encode()) for k, v in pairs])
    with s.prefix_scan("prefix", Serdes.string()) as it:
        assert [v.decode() for _, v in it] == ["f", "d", "b"]


def test_prefix_scan_excludes_next_larger_key(ctx: FakeContext) -> None:  # ...ExcludingNextKeyLargestKey
    s = byte_store(ctx)
    s.put_all([(b"abc", b"f"), (b"abcd", b"f"), (b"abce", b"f")])
    assert len(list(s.prefix_scan("abcd", Serdes.string()))) == 1


def test_prefix_scan_of_uuid_strings(ctx: FakeContext) -> None:  # shouldReturnUUIDsWithStringPrefix
    s = build(ctx, Serdes.string(), Serdes.string())  # Kafka's UUID serde writes the UUID's string form
    u1, u2 = uuid.uuid4(), uuid.uuid4()
    while str(u2)[:4] == str(u1)[:4]:
        u2 = uuid.uuid4()
    s.put_all([(str(u1), "a"), (str(u2), "b")])
    assert [v for _, v in s.prefix_scan(str(u1)[:4])] == ["a"]


def test_prefix_scan_no_match(ctx: FakeContext) -> None:  # shouldReturnNoKeys
    s = byte_store(ctx)
    s.put_all([(b"a", b"a"), (b"b", b"c"), (b"c", b"e")])
    assert list(s.prefix_scan("bb", Serdes.string())) == []


def test_prefix_scan_with_ff_bytes() -> None:
    raw = InMemoryKeyValueStore("raw")
    for k in (b"\xff", b"\xff\xff", b"\xff\x00", b"\xfe", b"\x00"):
        raw.put(k, b"v")
    assert [k for k, _ in raw.prefix_scan(b"\xff")] == [b"\xff", b"\xff\x00", b"\xff\xff"]
    assert [k for k, _ in raw.prefix_scan(b"")] == [b"\x00", b"\xfe", b"\xff", b"\xff\x00", b"\xff\xff"]


# ---------------------------------------------------------------- iterators


def test_iterator_snapshot_semantics() -> None:
    raw = InMemoryKeyValueStore("raw")
    for k in (b"a", b"b", b"c"):
        raw.put(k, k.upper())
    it = raw.all()
    raw.put(b"bb", b"NEW")  # added after creation: not seen
    raw.delete(b"b")  # deleted: skipped
    raw.put(b"c", b"C2")  # updated: latest value
    assert list(it) == [(b"a", b"A"), (b"c", b"C2")]


def test_iterator_protocol(store: Any) -> None:
    store.put_all([(1, "one"), (2, "two")])
    with store.all() as it:
        assert it.peek_next_key() == 1
        assert it.peek_next_key() == 1
        assert it.has_next()
        assert next(it) == (1, "one")
        assert it.peek_next_key() == 2
        assert list(it) == [(2, "two")]
        assert not it.has_next()
        with pytest.raises(StateStoreError, match=STORE):
            it.peek_next_key()
    with pytest.raises(InvalidStateStoreError, match=STORE):
        next(it)


def test_closing_the_store_ends_open_iterators() -> None:
    raw = InMemoryKeyValueStore("raw")
    raw.put(b"a", b"1")
    it = raw.all()
    raw.close()
    assert list(it) == []


# ---------------------------------------------------------------- lifecycle and errors


def test_use_before_init_and_after_close_names_the_store(ctx: FakeContext) -> None:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("lonely")).build()
    assert not store.is_open()
    with pytest.raises(InvalidStateStoreError, match="'lonely' is not initialised"):
        store.put("k", "v")
    with pytest.raises(InvalidStateStoreError, match="lonely"):
        store.all()
    init(store, ctx)
    assert store.is_open()
    store.put("k", "v")
    store.close()
    assert not store.is_open()
    for call in (lambda: store.get("k"), lambda: store.range(None, None), store.approximate_num_entries):
        with pytest.raises(InvalidStateStoreError, match="'lonely' is closed"):
            call()


def test_serialization_errors_name_the_store(ctx: FakeContext) -> None:
    store = build(ctx, Serdes.string(), Serdes.long())
    with pytest.raises(SerializationError, match=f"state store '{STORE}' cannot serialize key int"):
        store.put(1, 1)
    with pytest.raises(SerializationError, match=f"state store '{STORE}' cannot serialize value str"):
        store.put("k", "not a number")
    store.wrapped.wrapped.put(b"k", b"short")  # corrupt bytes under the serde
    with pytest.raises(DeserializationError, match=f"state store '{STORE}' cannot deserialize value"):
        store.get("k")


def test_serdes_default_to_the_context_then_json(ctx: FakeContext) -> None:
    ctx.key_serde, ctx.value_serde = Serdes.string(), Serdes.long()
    store = build(ctx)
    store.put("a", 5)
    assert ctx.changelog[-1][1:3] == (b"a", (5).to_bytes(8, "big"))
    assert (store.key_serde, store.value_serde) == (Serdes.string(), Serdes.long())

    plain = FakeContext()
    js = init(Stores.key_value_store_builder(Stores.in_memory_key_value_store("j")).build(), plain)
    js.put({"id": 1}, [1, 2])
    assert js.get({"id": 1}) == [1, 2]
    assert plain.changelog[-1][1:3] == (b'{"id":1}', b"[1,2]")


def test_metered_store_wraps_any_bytes_store(ctx: FakeContext) -> None:
    store: MeteredKeyValueStore[str, str] = MeteredKeyValueStore(
        InMemoryKeyValueStore("plain"), Serdes.string(), Serdes.string()
    )
    init(store, ctx)
    store.put("a", "1")
    assert store.get("a") == "1"
    assert not ctx.logged("plain")
    assert "plain" in repr(store)
