"""Property tests: the in-memory key-value store behaves like a sorted dict; the read-only views and iterator
look-ahead keep their promises."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from _state_fakes import FakeContext, init
from hypothesis import given, settings
from hypothesis import strategies as st

from kstreams_nb.errors import InvalidStateStoreError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import (
    InMemoryKeyValueStore,
    InMemoryWindowStore,
    ReadOnlyKeyValueStore,
    ReadOnlyWindowStore,
    Stores,
)

keys = st.binary(max_size=3)
vals = st.binary(min_size=1, max_size=2)
bounds = st.none() | keys
ops = st.one_of(
    st.tuples(st.just("put"), keys, st.none() | vals),
    st.tuples(st.just("put_if_absent"), keys, vals),
    st.tuples(st.just("delete"), keys),
    st.tuples(st.just("put_all"), st.lists(st.tuples(keys, st.none() | vals), max_size=20)),
    st.tuples(st.just("range"), bounds, bounds),
    st.tuples(st.just("reverse_range"), bounds, bounds),
    st.tuples(st.just("prefix_scan"), st.binary(max_size=2)),
)


def model_range(model: dict[bytes, bytes], lo: bytes | None, hi: bytes | None) -> list[tuple[bytes, bytes]]:
    if lo is not None and hi is not None and lo > hi:
        return []
    return [(k, model[k]) for k in sorted(model) if (lo is None or k >= lo) and (hi is None or k <= hi)]


@settings(max_examples=300, deadline=None)
@given(st.lists(ops, max_size=80))
def test_store_behaves_like_a_sorted_dict(operations: list[Any]) -> None:
    store = InMemoryKeyValueStore("prop")
    model: dict[bytes, bytes] = {}
    for op in operations:
        name = op[0]
        if name == "put":
            _, k, v = op
            store.put(k, v)
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        elif name == "put_if_absent":
            _, k, v = op
            assert store.put_if_absent(k, v) == model.get(k)
            model.setdefault(k, v)
        elif name == "delete":
            assert store.delete(op[1]) == model.pop(op[1], None)
        elif name == "put_all":
            store.put_all(op[1])
            for k, v in op[1]:
                if v is None:
                    model.pop(k, None)
                else:
                    model[k] = v
        elif name == "range":
            assert list(store.range(op[1], op[2])) == model_range(model, op[1], op[2])
        elif name == "reverse_range":
            assert list(store.reverse_range(op[1], op[2])) == model_range(model, op[1], op[2])[::-1]
        else:
            assert list(store.prefix_scan(op[1])) == [(k, model[k]) for k in sorted(model) if k.startswith(op[1])]
        assert store.approximate_num_entries() == len(model)
    assert list(store.all()) == sorted(model.items())
    assert list(store.reverse_all()) == sorted(model.items(), reverse=True)
    assert all(store.get(k) == v for k, v in model.items())


def test_many_new_keys_between_range_queries() -> None:
    store = InMemoryKeyValueStore("bulk")
    store.put(b"m", b"1")
    assert list(store.all()) == [(b"m", b"1")]  # builds the index
    for i in range(100, 0, -1):  # more than the insort limit
        store.put(i.to_bytes(2, "big"), b"x")
    assert [k for k, _ in store.all()] == sorted([i.to_bytes(2, "big") for i in range(1, 101)] + [b"m"])
    store.delete(b"m")
    assert store.approximate_num_entries() == 100
    assert b"m" not in [k for k, _ in store.all()]


def test_peeked_pair_is_revalidated() -> None:
    store = InMemoryKeyValueStore("peek")
    store.put(b"a", b"1")
    store.put(b"b", b"2")
    it = store.all()
    assert it.peek_next_key() == b"a"
    store.delete(b"a")  # deleted after the peek: skipped, as Kafka's hasNext re-checks the key
    store.put(b"b", b"3")
    assert list(it) == [(b"b", b"3")]


def test_read_only_views_snapshot_under_the_lock() -> None:
    ctx = FakeContext()
    store = init(
        Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.string(), Serdes.string()).build(),
        ctx,
    )
    store.put_all([("a", "1"), ("b", "2"), ("c", "3")])
    lock = threading.Lock()
    view: ReadOnlyKeyValueStore[str, str] = ReadOnlyKeyValueStore(store, lock)
    it = view.all()
    store.delete("a")  # the view's iterator is a full snapshot
    assert list(it) == [("a", "1"), ("b", "2"), ("c", "3")]
    assert view.get("b") == "2"
    assert list(view.range("b", None)) == [("b", "2"), ("c", "3")]
    assert list(view.reverse_range(None, None)) == [("c", "3"), ("b", "2")]
    assert list(view.reverse_all()) == [("c", "3"), ("b", "2")]
    assert list(view.prefix_scan("c")) == [("c", "3")]
    assert view.approximate_num_entries() == 2
    assert not hasattr(view, "put") and not hasattr(view, "delete")
    assert not lock.locked()
    store.close()
    with pytest.raises(InvalidStateStoreError, match="State store s is not open"):
        view.get("b")


def test_read_only_window_view() -> None:
    ctx = FakeContext()
    supplier = Stores.in_memory_window_store("w", 100, 10, False)
    store = init(Stores.window_store_builder(supplier, Serdes.string(), Serdes.string()).build(), ctx)
    store.put("a", "1", 0)
    store.put("a", "2", 10)
    view: ReadOnlyWindowStore[str, str] = ReadOnlyWindowStore(store, threading.RLock())
    assert view.fetch("a", 10) == "2"
    assert list(view.fetch("a", 0, 10)) == [(0, "1"), (10, "2")]
    assert list(view.backward_fetch("a", 0, 10)) == [(10, "2"), (0, "1")]
    assert [v for _, v in view.fetch_range("a", "a", 0, 10)] == ["1", "2"]
    assert [v for _, v in view.backward_fetch_range(None, None, 0, 10)] == ["2", "1"]
    assert [v for _, v in view.fetch_all(0, 5)] == ["1"]
    assert [v for _, v in view.backward_fetch_all(0, 10)] == ["2", "1"]
    assert [v for _, v in view.all()] == ["1", "2"]
    assert [v for _, v in view.backward_all()] == ["2", "1"]


win_ops = st.one_of(
    st.tuples(st.just("put"), st.binary(min_size=1, max_size=2), st.none() | vals, st.integers(0, 60)),
    st.tuples(st.just("fetch_all"), st.integers(0, 60), st.integers(0, 60)),
    st.tuples(st.just("fetch_range"), bounds, bounds, st.integers(0, 60), st.integers(0, 60)),
    st.tuples(st.just("fetch"), st.binary(min_size=1, max_size=2), st.integers(0, 60), st.integers(0, 60)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(win_ops, max_size=60), st.integers(1, 30))
def test_window_store_behaves_like_a_model(operations: list[Any], retention: int) -> None:
    store = InMemoryWindowStore("w", retention, 1, False)
    model: dict[tuple[int, bytes], bytes] = {}  # (window start, key) -> value
    observed = -1

    def live(time_from: int, time_to: int) -> list[tuple[int, bytes]]:
        lo = max(time_from, observed - retention + 1)
        return sorted(wk for wk in model if lo <= wk[0] <= time_to)

    for op in operations:
        if op[0] == "put":
            _, k, v, t = op
            store.put(k, v, t)
            observed = max(observed, t)
            if t > observed - retention:
                if v is None:
                    model.pop((t, k), None)
                else:
                    model[(t, k)] = v
        elif op[0] == "fetch_all":
            _, tf, tt = op
            got = [(w.window.start, w.key, v) for w, v in store.fetch_all(tf, tt)]
            assert got == [(t, k, model[(t, k)]) for t, k in live(tf, tt)]
        elif op[0] == "fetch_range":
            _, kf, kt, tf, tt = op
            got = [(w.window.start, w.key, v) for w, v in store.backward_fetch_range(kf, kt, tf, tt)]
            if kf is not None and kt is not None and kf > kt:
                want = []
            else:
                want = [
                    (t, k, model[(t, k)])
                    for t, k in live(tf, tt)
                    if (kf is None or k >= kf) and (kt is None or k <= kt)
                ]
            assert got == want[::-1]
        else:
            _, k, tf, tt = op
            got_values = list(store.fetch_values(k, tf, tt))
            assert got_values == [(t, model[(t, kk)]) for t, kk in live(tf, tt) if kk == k]
    assert [(w.window.start, w.key) for w, _ in store.all()] == live(-(2**62), 2**62)
