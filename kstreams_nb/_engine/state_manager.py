"""ProcessorStateManager: what one task owns of local state (Kafka's ``ProcessorStateManager``).

A task's stores register themselves from their ``init`` (through the store context); the state manager then knows
each logged store's changelog partition (``<application.id>-<store>-changelog``, partition = the task's), reads the
task's checkpoint to decide where restoring each one starts (see :mod:`kstreams_nb._engine.checkpoints`), applies
restored changelog records batch by batch (counting them for the task's restore metrics), writes the checkpoint
after a commit and on clean close, and closes the stores. A dirty close under exactly-once wipes the task's state,
as Kafka's ``closeStateManager(wipeStateStore=true)``: the stores may hold writes of a transaction that will be
aborted, so persistent stores are emptied (their database destroyed and created again) before they close, and
in-memory stores are dropped with their contents.

Example::

    >>> from kstreams_nb.records import TaskId
    >>> from kstreams_nb.state import InMemoryKeyValueStore
    >>> class Task:  # the parts of a StreamTask the state manager reads
    ...     task_id, registered = TaskId(0, 1), {"counts": (InMemoryKeyValueStore("counts"), print, True)}
    ...     def changelog_topic(self, store): return f"app-{store}-changelog"
    >>> manager = ProcessorStateManager(Task(), {}, exactly_once=False)
    >>> manager.register_changelogs()
    >>> list(manager.changelogs)
    [TopicPartition(topic='app-counts-changelog', partition=1)]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kstreams_nb._engine.checkpoints import read_task_checkpoint, restore_start, write_task_checkpoints
from kstreams_nb._engine.task import StreamTask
from kstreams_nb.clients.base import Consumer
from kstreams_nb.config import StreamsConfig
from kstreams_nb.records import ConsumerRecord, TopicPartition
from kstreams_nb.state.rocksdb import wipe_persistent_store

__all__ = ["ChangelogStore", "ProcessorStateManager"]

log = logging.getLogger(__name__)


class ChangelogStore:
    """A logged store of a task and its changelog partition."""

    __slots__ = ("name", "partition", "restore", "store")

    def __init__(self, name: str, store: Any, restore: Callable[..., None], partition: TopicPartition) -> None:
        self.name = name
        self.store = store
        self.restore = restore
        self.partition = partition


class ProcessorStateManager:
    """The stores, changelog partitions and checkpoint offsets of one task (built once its stores are open)."""

    def __init__(self, task: StreamTask, config: StreamsConfig, *, exactly_once: bool) -> None:
        self.task = task
        self._config = config
        self._eos = exactly_once
        #: changelog partition -> its store, for the task's logged stores (see :meth:`register_changelogs`)
        self.changelogs: dict[TopicPartition, ChangelogStore] = {}

    def register_changelogs(self) -> None:
        """Take the changelog partitions of the stores the task registered when they opened."""
        task = self.task
        for name, (store, restore, logged) in task.registered.items():
            if logged:
                tp = TopicPartition(task.changelog_topic(name), task.task_id.partition)
                self.changelogs[tp] = ChangelogStore(name, store, restore, tp)

    def restore_offsets(self, ends: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """Where restoring each changelog partition starts (None: its beginning), given the end offsets taken when
        restoration begins: the checkpoint for persistent stores (a store whose checkpoint cannot be trusted is
        wiped first), the beginning for in-memory ones. Under exactly-once the checkpoint file is deleted once
        read (written again on clean close)."""
        checkpoint = read_task_checkpoint(self.task, self._config)
        return {
            tp: restore_start(self.task, c.store, tp, checkpoint.get(tp), ends[tp], self._config)
            for tp, c in self.changelogs.items()
        }

    def restore(self, tp: TopicPartition, records: Iterable[ConsumerRecord]) -> int:
        """Apply changelog records of ``tp`` to its store (one batch); returns how many."""
        triples = [(r.key, r.value, r.timestamp) for r in records]
        if triples:
            self.changelogs[tp].restore(triples)
            self.task.restored += len(triples)
        return len(triples)

    def remaining(self, tp: TopicPartition, records: int) -> None:
        """Record how many changelog records of ``tp`` are left to restore (the task's restore metrics)."""
        self.task.restore_remaining[self.changelogs[tp].name] = records

    def checkpoint(self, restore_consumer: Consumer) -> None:
        """Write the task's checkpoint (persistent stores at their changelogs' end; a no-op while restoring)."""
        write_task_checkpoints([self.task], restore_consumer, self._config)

    def close(self, clean: bool, restore_consumer: Consumer) -> None:
        """Close the task and its stores: clean writes the checkpoint first; dirty under exactly-once wipes the
        persistent stores (their local contents may hold aborted writes). A dirty close logs errors and goes on."""
        task = self.task
        if not clean and self._eos:
            for name, store in task.stores.items():
                try:
                    if wipe_persistent_store(store):
                        log.info("task %s closed dirty under exactly-once: store %s wiped", task.task_id, name)
                except Exception:
                    log.exception("task %s: error while wiping store %s", task.task_id, name)
        try:
            if clean:
                self.checkpoint(restore_consumer)
            task.close()
        except Exception:
            if clean:
                raise
            log.exception("error while closing task %s dirty", task.task_id)
