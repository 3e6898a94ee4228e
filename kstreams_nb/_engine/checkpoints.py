"""Checkpoints of persistent stores (Kafka's ``ProcessorStateManager.checkpoint`` and the start offsets of
``StoreChangelogReader``): where restoring a store's changelog starts, and the checkpoint file written on commit
and on clean close, so a clean restart restores only the changelog records written after it.

- A persistent store restores from its checkpointed offset; without one, from the beginning of its changelog.
  A checkpoint beyond the changelog's end (the topic was deleted or re-created) wipes the store first.
- Under exactly-once, Kafka writes no checkpoint while a task runs: the file is deleted once read at task start
  and written again only on clean close; a persistent store without a checkpoint is wiped (its contents may hold
  writes of aborted transactions) and restored from the beginning.
- In-memory stores always restore from the beginning and are never checkpointed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kstreams_nb._engine.task import StreamTask, TaskState
from kstreams_nb.clients.base import Consumer
from kstreams_nb.config import EXACTLY_ONCE_V2, PROCESSING_GUARANTEE, StreamsConfig
from kstreams_nb.records import TopicPartition
from kstreams_nb.state.checkpoint import delete_checkpoint, read_checkpoint, write_checkpoint
from kstreams_nb.state.directory import task_directory
from kstreams_nb.state.rocksdb import wipe_persistent_store

__all__ = ["read_task_checkpoint", "restore_start", "write_task_checkpoints"]

log = logging.getLogger(__name__)


def _persistent_changelogs(task: StreamTask) -> list[TopicPartition]:
    return [
        TopicPartition(task.changelog_topic(name), task.task_id.partition)
        for name, (store, _restore, logged) in task.registered.items()
        if logged and store.persistent
    ]


def _exactly_once(config: StreamsConfig) -> bool:
    return bool(config.get(PROCESSING_GUARANTEE) == EXACTLY_ONCE_V2)


def read_task_checkpoint(task: StreamTask, config: StreamsConfig) -> dict[TopicPartition, int]:
    """The task's checkpointed changelog offsets ({} when it has no persistent store); under exactly-once the file
    is deleted once read."""
    if not _persistent_changelogs(task):
        return {}
    directory = task_directory(config, task.application_id, task.task_id)
    offsets = read_checkpoint(directory)
    if _exactly_once(config):
        delete_checkpoint(directory)
    return offsets


def restore_start(
    task: StreamTask, store: Any, tp: TopicPartition, checkpointed: int | None, end: int, config: StreamsConfig
) -> int | None:
    """The offset restoring ``store`` from ``tp`` starts at (None: the beginning), wiping the store when its local
    contents cannot be trusted."""
    if not store.persistent:
        return None
    if checkpointed is not None and checkpointed <= end:
        return checkpointed
    if checkpointed is not None:
        log.warning(
            "task %s: the checkpoint of store %s (offset %d) is beyond the end of %s (%d); the changelog was "
            "re-created: wiping the local store and restoring it from the beginning",
            task.task_id, store.name, checkpointed, tp, end,
        )
        wipe_persistent_store(store)
    elif _exactly_once(config):
        wipe_persistent_store(store)  # no checkpoint under exactly-once: the task was not closed cleanly
    return None


def write_task_checkpoints(tasks: Iterable[StreamTask], restore_consumer: Consumer, config: StreamsConfig) -> None:
    """Checkpoint the persistent stores of the running or suspended ``tasks`` at their changelogs' end offsets,
    called after a commit flushed the stores and the producer: a changelog partition has one writer, its task,
    so its end offset is the offset after the last change the store holds (a task still restoring is skipped)."""
    todo = [
        (task, tps)
        for task in tasks
        if task.state in (TaskState.RUNNING, TaskState.SUSPENDED)
        and (tps := _persistent_changelogs(task))
    ]
    if not todo:
        return
    ends = restore_consumer.end_offsets([tp for _, tps in todo for tp in tps])
    for task, tps in todo:
        write_checkpoint(
            task_directory(config, task.application_id, task.task_id), {tp: ends[tp] for tp in tps if tp in ends}
        )
