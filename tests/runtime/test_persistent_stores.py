"""Persistent (RocksDB) stores on the runtime: local state survives a clean restart, the restore reads only the
changelog records written after the task's checkpoint (counted at the restore consumer), a checkpoint that the
changelog does not reach wipes the store, and ``clean_up()`` deletes the application's local state (Kafka's
``KafkaStreams.cleanUp``, ProcessorStateManager checkpoints, StoreChangelogReader start offsets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from kstreams_nb import Stores, Topology
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.errors import StreamsStateError
from kstreams_nb.records import TopicPartition
from kstreams_nb.state.checkpoint import read_checkpoint
from kstreams_nb.streams import KafkaStreams
from kstreams_nb.testing import TopologyTestDriver

from ._support import Count, L, S, config, fresh_broker, produce, read_longs, start_running, wait_until

pytest.importorskip("rocksdict")  # in the test extra: CI runs these

CHANGELOG = TopicPartition("app-counts-changelog", 0)


def persistent_count() -> Topology:
    """source "in" -> Count (persistent store "counts") -> sink "out"."""
    store = Stores.key_value_store_builder(Stores.persistent_key_value_store("counts"), S, L)
    return (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("count", Count, "src")
        .add_state_store(store, "count")
        .add_sink("sink", "out", "count", key_serializer=S, value_serializer=L)
    )


class _CountingConsumer:
    """A restore consumer that counts the records its polls return."""

    def __init__(self, inner: Any, counts: list[int]) -> None:
        self._inner = inner
        self._counts = counts

    def poll_batch(self, *args: Any, **kwargs: Any) -> Sequence[Any]:
        batch = self._inner.poll_batch(*args, **kwargs)
        self._counts.append(len(batch))
        return batch  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingSupplier(MemoryClientSupplier):
    """The embedded broker's clients, with restore consumers that count what they read."""

    def __init__(self, broker: EmbeddedBroker) -> None:
        super().__init__(broker)
        self.counts: list[int] = []

    def restore_consumer(self, config: Mapping[str, Any]) -> Any:
        return _CountingConsumer(super().restore_consumer(config), self.counts)

    @property
    def restored(self) -> int:
        return sum(self.counts)


def run(b: EmbeddedBroker, name: str, state_dir: Path, expected_outputs: int) -> tuple[dict[str, int], int]:
    """Run the count until ``expected_outputs`` records are in "out", close cleanly; the store's contents while
    running and the number of changelog records the restore read."""
    supplier = CountingSupplier(b)
    streams = KafkaStreams(persistent_count(), config(name, **{"state.dir": str(state_dir)}), client_supplier=supplier)
    start_running(streams)
    try:
        assert wait_until(lambda: len(read_longs(b, "out")) >= expected_outputs), read_longs(b, "out")
        contents = dict(streams.store("counts").all())
    finally:
        assert streams.close(timeout=10)
    return contents, supplier.restored


def test_a_clean_restart_restores_only_the_changelog_after_the_checkpoint(
    broker: tuple[str, EmbeddedBroker], tmp_path: Path
) -> None:
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    for i, key in enumerate("abaca"):
        produce(b, "in", key, "v", i)
    contents, restored = run(b, name, here, 5)
    assert (contents, restored) == ({"a": 3, "b": 1, "c": 1}, 0)
    assert read_checkpoint(here / "app" / "0_0") == {CHANGELOG: 5}  # written on clean close: the changelog's end

    contents, restored = run(b, name, here, 5)  # nothing new: nothing restored, the store is on disk
    assert (contents, restored) == ({"a": 3, "b": 1, "c": 1}, 0)

    for i, key in enumerate("ad", start=5):
        produce(b, "in", key, "v", i)
    contents, restored = run(b, name, elsewhere, 7)  # the task runs on an instance without local state ...
    assert (contents, restored) == ({"a": 4, "b": 1, "c": 1, "d": 1}, 5)  # ... which restores all 5 changes

    produce(b, "in", "b", "v", 7)
    contents, restored = run(b, name, here, 8)  # back here: only the 2 changes made elsewhere are read
    assert (contents, restored) == ({"a": 4, "b": 2, "c": 1, "d": 1}, 2)
    assert read_longs(b, "out")[-1] == ("b", 2)
    assert read_checkpoint(here / "app" / "0_0") == {CHANGELOG: 8}


def test_a_checkpoint_beyond_the_changelog_wipes_the_store(tmp_path: Path) -> None:
    name, b = fresh_broker()
    try:
        b.create_topic("in", 1)
        b.create_topic("out", 1)
        produce(b, "in", "a", "v", 0)
        produce(b, "in", "a", "v", 1)
        assert run(b, name, tmp_path, 2) == ({"a": 2}, 0)
    finally:
        EmbeddedBroker.drop(name)
    name, b = fresh_broker()  # the same application on a new cluster: its changelog starts empty
    try:
        b.create_topic("in", 1)
        b.create_topic("out", 1)
        produce(b, "in", "b", "v", 0)
        assert run(b, name, tmp_path, 1) == ({"b": 1}, 0)  # the stale local "a" is gone, not served
    finally:
        EmbeddedBroker.drop(name)


def test_clean_up_deletes_local_state_only_while_stopped(broker: tuple[str, EmbeddedBroker], tmp_path: Path) -> None:
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    produce(b, "in", "a", "v", 0)
    streams = KafkaStreams(persistent_count(), config(name, **{"state.dir": str(tmp_path)}))
    streams.clean_up()  # CREATED, nothing there yet: fine
    start_running(streams)
    assert wait_until(lambda: len(read_longs(b, "out")) == 1)
    with pytest.raises(StreamsStateError, match="Cannot clean up while running"):
        streams.clean_up()
    assert (tmp_path / "app" / "0_0" / "rocksdb" / "counts").is_dir()
    assert streams.close(timeout=10)
    streams.clean_up()
    assert not (tmp_path / "app").exists()
    produce(b, "in", "a", "v", 1)
    contents, restored = run(b, name, tmp_path, 2)  # restored from the changelog, from the beginning
    assert (contents, restored) == ({"a": 2}, 1)


def test_the_test_driver_removes_persistent_state_when_closed(tmp_path: Path) -> None:  # as Kafka's driver
    for _ in range(2):  # the second driver starts empty
        with TopologyTestDriver(persistent_count(), {"application.id": "ttd", "state.dir": str(tmp_path)}) as driver:
            driver.create_input_topic("in", S, S).pipe_input("a", "v")
            assert driver.create_output_topic("out", S, L).read_key_value() == ("a", 1)
            assert (tmp_path / "ttd" / "0_0" / "rocksdb" / "counts").is_dir()
        assert not (tmp_path / "ttd").exists()
