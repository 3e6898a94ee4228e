"""ProcessorStateManager: the changelog partitions of a task's logged stores, and the close that under
exactly-once wipes a task's persistent state when dirty (Kafka's ProcessorStateManager / StateManagerUtil
``closeStateManager(wipeStateStore = eosEnabled && dirty)``) and keeps it otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kstreams_nb._engine.state_manager import ProcessorStateManager
from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, TaskId, TopicPartition

rocksdb = pytest.importorskip("kstreams_nb.state.rocksdb")
pytest.importorskip("rocksdict")


class _Task:
    """The parts of a StreamTask the state manager uses, with one persistent store "counts"."""

    application_id = "app"
    task_id = TaskId(0, 3)

    def __init__(self, state_dir: Path) -> None:
        self.app_configs = {"state.dir": str(state_dir)}
        self.registered: dict[str, Any] = {}
        self.restored = 0
        self.restore_remaining: dict[str, int] = {}
        self.state = None
        store = rocksdb.RocksDBKeyValueStore("counts")
        store.init(self, store)
        self.stores = {"counts": store}

    def register(self, store: Any, restore_callback: Any, *, logged: bool) -> None:
        self.registered[store.name] = (store, restore_callback, True)

    def changelog_topic(self, store: str) -> str:
        return f"app-{store}-changelog"

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


def _reopened(state_dir: Path) -> list[tuple[bytes, bytes]]:
    task = _Task(state_dir)
    try:
        return list(task.stores["counts"].all())
    finally:
        task.close()


@pytest.mark.parametrize(("eos", "clean", "kept"), [(True, False, False), (False, False, True), (True, True, True)])
def test_only_a_dirty_close_under_exactly_once_wipes_persistent_stores(
    tmp_path: Path, eos: bool, clean: bool, kept: bool
) -> None:
    task = _Task(tmp_path)
    manager = ProcessorStateManager(task, {"state.dir": str(tmp_path)}, exactly_once=eos)
    manager.register_changelogs()
    assert list(manager.changelogs) == [TopicPartition("app-counts-changelog", 3)]
    tp = TopicPartition("app-counts-changelog", 3)
    assert manager.restore(tp, [ConsumerRecord(tp.topic, 3, 0, 0, b"k", b"1", EMPTY_HEADERS)]) == 1
    assert task.restored == 1
    manager.close(clean, restore_consumer=None)
    assert _reopened(tmp_path) == ([(b"k", b"1")] if kept else [])
