"""RocksDB stores (``Stores.persistent_*`` with rocksdict installed), their task directory lock and the checkpoint
file: the byte-store protocols agree with the in-memory stores operation for operation (orders included), data
survives close and reopen, and the checkpoint file has Kafka's OffsetCheckpoint format."""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from _state_fakes import FakeContext, init
from hypothesis import given, settings
from hypothesis import strategies as st

from kstreams_nb.errors import InvalidStateStoreError, StateStoreError
from kstreams_nb.records import TaskId, TopicPartition
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import InMemoryKeyValueStore, InMemoryWindowStore, Stores, suppliers
from kstreams_nb.state.checkpoint import CHECKPOINT_FILE_NAME, delete_checkpoint, read_checkpoint, write_checkpoint
from kstreams_nb.state.directory import clean_up_application, task_directory
from kstreams_nb.state.rocksdb import RocksDBKeyValueStore, wipe_persistent_store
from kstreams_nb.state.rocksdb_window import RocksDBWindowStore

pytest.importorskip("rocksdict")  # in the test extra: CI runs these


def context(state_dir: Path | str, **configs: Any) -> FakeContext:
    ctx = FakeContext()
    ctx.app_configs = {"state.dir": str(state_dir), **configs}
    return ctx


# ---------------------------------------------------------------- key-value: the in-memory store is the model

keys = st.binary(max_size=3)
vals = st.binary(min_size=1, max_size=2)
bounds = st.none() | keys
kv_ops = st.one_of(
    st.tuples(st.just("put"), keys, st.none() | vals),
    st.tuples(st.just("put_if_absent"), keys, vals),
    st.tuples(st.just("delete"), keys),
    st.tuples(st.just("put_all"), st.lists(st.tuples(keys, st.none() | vals), max_size=10)),
    st.tuples(st.just("range"), bounds, bounds),
    st.tuples(st.just("reverse_range"), bounds, bounds),
    st.tuples(st.just("prefix_scan"), st.binary(max_size=2)),
    st.tuples(st.just("reopen")),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(kv_ops, max_size=60))
def test_key_value_store_agrees_with_the_in_memory_store(operations: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        ctx = context(d)
        rocks, model = init(RocksDBKeyValueStore("kv"), ctx), init(InMemoryKeyValueStore("kv"), FakeContext())
        try:
            for name, *args in operations:
                if name == "reopen":  # what was written survives a close
                    rocks.close()
                    ctx.registered.clear()
                    rocks = init(RocksDBKeyValueStore("kv"), ctx)
                elif name in ("range", "reverse_range", "prefix_scan"):
                    with getattr(rocks, name)(*args) as got, getattr(model, name)(*args) as expected:
                        assert list(got) == list(expected), (name, args)
                else:
                    assert getattr(rocks, name)(*args) == getattr(model, name)(*args), (name, args)
                assert rocks.get(b"a") == model.get(b"a")
            assert list(rocks.all()) == list(model.all())
            assert list(rocks.reverse_all()) == list(model.reverse_all())
        finally:
            rocks.close()


def test_range_from_above_to_is_empty_with_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = init(RocksDBKeyValueStore("kv"), context(tmp_path))
    store.put(b"a", b"1")
    with caplog.at_level(logging.WARNING):
        assert list(store.range(b"b", b"a")) == []
    assert "invalid key range" in caplog.text
    store.close()


def test_iterators_read_a_snapshot_and_end_with_the_store(tmp_path: Path) -> None:
    store = init(RocksDBKeyValueStore("kv"), context(tmp_path))
    store.put_all([(b"a", b"1"), (b"b", b"2")])
    it = store.all()
    store.put(b"c", b"3")
    store.delete(b"a")
    assert list(it) == [(b"a", b"1"), (b"b", b"2")]  # Kafka's RocksDB iterators: a snapshot
    open_it = store.all()
    store.close()  # an open iterator does not keep the database (or its lock) open
    assert list(open_it) == []
    with pytest.raises(InvalidStateStoreError, match="'kv' is not open"):
        store.get(b"a")
    reopened = init(RocksDBKeyValueStore("kv"), context(tmp_path))
    assert list(reopened.all()) == [(b"b", b"2"), (b"c", b"3")]
    assert reopened.approximate_num_entries() >= 1
    reopened.close()


def test_metered_stack_persists_restores_and_wipes(tmp_path: Path) -> None:
    supplier = Stores.persistent_key_value_store("counts")
    builder = Stores.key_value_store_builder(supplier, Serdes.string(), Serdes.long())
    ctx = context(tmp_path)
    store = init(builder.build(), ctx)
    assert store.persistent and ctx.logged("counts")
    store.put("a", 1)
    ctx.restore("counts", [(b"b", Serdes.long().serialize(None, 7)), (b"a", None)])  # restore writes the store
    store.close()
    assert (task_directory(ctx.app_configs, "app", TaskId(0, 0)) / "rocksdb" / "counts").is_dir()
    again = init(builder.build(), context(tmp_path))
    assert list(again.all()) == [("b", 7)]
    assert wipe_persistent_store(again) and list(again.all()) == []
    again.close()


def test_without_rocksdict_persistent_stores_are_in_memory_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(suppliers, "rocksdb_available", lambda: False)
    monkeypatch.setattr(suppliers, "_fallback_logged", False)
    with caplog.at_level(logging.INFO, logger="kstreams_nb.state.suppliers"):
        kv = Stores.persistent_key_value_store("p").get()
        window = Stores.persistent_window_store("w", 100, 10, False).get()
    assert isinstance(kv, InMemoryKeyValueStore) and isinstance(window, InMemoryWindowStore)
    assert [r.levelname for r in caplog.records] == ["INFO"] and "rocksdict is not installed" in caplog.text


# ---------------------------------------------------------------- window store: the in-memory store is the model

RETENTION, SIZE = 50, 10
times = st.integers(min_value=0, max_value=120)
window_keys = st.sampled_from([b"", b"a", b"ab", b"b", b"b\x00"])
window_ops = st.one_of(
    st.tuples(st.just("put"), window_keys, st.none() | vals, times),
    st.tuples(st.just("fetch"), window_keys, times),
    st.tuples(st.just("fetch_values"), window_keys, times, times),
    st.tuples(st.just("backward_fetch_values"), window_keys, times, times),
    st.tuples(st.just("fetch_range"), st.none() | window_keys, st.none() | window_keys, times, times),
    st.tuples(st.just("backward_fetch_range"), st.none() | window_keys, st.none() | window_keys, times, times),
    st.tuples(st.just("fetch_all"), times, times),
    st.tuples(st.just("backward_fetch_all"), times, times),
    st.tuples(st.just("all")),
    st.tuples(st.just("backward_all")),
)


def _listed(result: Any) -> Any:
    if result is None or isinstance(result, bytes):
        return result
    with result as it:
        return [(str(k), v) for k, v in it]


@settings(max_examples=30, deadline=None)
@given(st.booleans(), st.lists(window_ops, max_size=60))
def test_window_store_agrees_with_the_in_memory_store(dups: bool, operations: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        rocks = init(RocksDBWindowStore("w", RETENTION, SIZE, dups), context(d))
        model = init(InMemoryWindowStore("w", RETENTION, SIZE, dups), FakeContext())
        try:
            for name, *args in operations:
                assert _listed(getattr(rocks, name)(*args)) == _listed(getattr(model, name)(*args)), (name, args)
            assert rocks.observed_stream_time == model.observed_stream_time
            assert rocks.dropped_records == model.dropped_records
        finally:
            rocks.close()


def test_window_store_keeps_records_and_stream_time_across_reopen(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    store = init(RocksDBWindowStore("w", RETENTION, SIZE, False), ctx)
    store.put(b"k", b"v1", 10)
    store.put(b"k", b"v2", 40)
    store.close()
    ctx.registered.clear()
    again = init(RocksDBWindowStore("w", RETENTION, SIZE, False), ctx)
    assert again.observed_stream_time == 40
    assert list(again.fetch_values(b"k", 0, 100)) == [(10, b"v1"), (40, b"v2")]
    again.put(b"k", b"v3", 70)  # 10 expires: 70 - 50 + 1 > 10
    assert list(again.fetch_values(b"k", 0, 100)) == [(40, b"v2"), (70, b"v3")]
    assert len(list(again._check().keys())) == 3  # hidden at once; deleted from disk a segment interval later
    again.put(b"k", b"v4", 70 + 60_000)  # the expiry point moved on by a segment interval (at least 60 s)
    assert list(again.fetch_values(b"k", 0, 10**6)) == [(60_070, b"v4")]
    assert len(list(again._check().keys())) == 1  # expired records are deleted from disk, not only hidden
    again.close()


# ---------------------------------------------------------------- the task directory lock


def test_stores_of_one_task_share_the_lock_other_threads_wait(tmp_path: Path) -> None:
    ctx = context(tmp_path, **{"task.timeout.ms": 50})
    first, second = init(RocksDBKeyValueStore("a"), ctx), init(RocksDBKeyValueStore("b"), ctx)
    errors: list[BaseException] = []

    def open_elsewhere() -> None:
        try:
            init(RocksDBKeyValueStore("c"), context(tmp_path, **{"task.timeout.ms": 50}))
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=open_elsewhere)
    t.start()
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], StateStoreError)
    assert "is locked by thread" in str(errors[0]) and "0_0" in str(errors[0])
    first.close()
    second.close()
    opened: list[RocksDBKeyValueStore] = []
    t = threading.Thread(target=lambda: opened.append(init(RocksDBKeyValueStore("c"), context(tmp_path))))
    t.start()
    t.join()
    assert opened[0].is_open()  # released by the last store: another thread gets it (and, dead, gives it up)


def test_a_dead_owners_lock_is_taken_over_and_its_stores_closed(tmp_path: Path) -> None:
    abandoned: list[RocksDBKeyValueStore] = []
    t = threading.Thread(target=lambda: abandoned.append(init(RocksDBKeyValueStore("kv"), context(tmp_path))))
    t.start()
    t.join()
    abandoned[0].put(b"k", b"v")
    store = init(RocksDBKeyValueStore("kv"), context(tmp_path))
    assert not abandoned[0].is_open() and store.get(b"k") == b"v"
    store.close()


def test_clean_up_deletes_the_application_directory_unless_in_use(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    store = init(RocksDBKeyValueStore("kv"), ctx)
    with pytest.raises(StateStoreError, match=r"task directories \['0_0'\] are in use"):
        clean_up_application(ctx.app_configs, "app")
    store.close()
    assert clean_up_application(ctx.app_configs, "app")
    assert not (tmp_path / "app").exists() and (tmp_path).exists()
    assert not clean_up_application(ctx.app_configs, "app")


# ---------------------------------------------------------------- the checkpoint file (Kafka's OffsetCheckpoint)


def test_checkpoint_round_trip_in_kafkas_format(tmp_path: Path) -> None:
    offsets = {TopicPartition("app-a-changelog", 0): 12, TopicPartition("app-b-changelog", 3): 0}
    write_checkpoint(tmp_path, offsets)
    assert (tmp_path / CHECKPOINT_FILE_NAME).read_text() == "0\n2\napp-a-changelog 0 12\napp-b-changelog 3 0\n"
    assert read_checkpoint(tmp_path) == offsets
    write_checkpoint(tmp_path, {TopicPartition("app-a-changelog", 0): 13})  # replaces the file
    assert read_checkpoint(tmp_path) == {TopicPartition("app-a-changelog", 0): 13}
    assert not (tmp_path / (CHECKPOINT_FILE_NAME + ".tmp")).exists()
    delete_checkpoint(tmp_path)
    assert read_checkpoint(tmp_path) == {}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "ended prematurely"),
        ("1\n0\n", "unknown offset checkpoint version 1"),
        ("0\n1\nt 0\n", "malformed line"),
        ("0\n2\nt 0 1\n", "expected 2 entries"),
    ],
)
def test_malformed_checkpoints_say_what_to_do(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / CHECKPOINT_FILE_NAME).write_text(text)
    with pytest.raises(StateStoreError, match=error) as info:
        read_checkpoint(tmp_path)
    assert "clean_up()" in str(info.value)

