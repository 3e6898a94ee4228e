"""ChangelogReader: restores the stores of a stream thread's tasks from their changelogs, one bounded batch per
loop pass (Kafka's ``StoreChangelogReader``), so the thread keeps polling its main consumer and processing its
running tasks while a large store restores (a real group member that stopped polling for longer than
``max.poll.interval.ms`` would be dropped from the group).

A task whose stores have changelogs registers its :class:`ProcessorStateManager` when it is created: the end offset
of each changelog partition is taken then (the last stable offset under read_committed), and the thread's restore
consumer (no group) is assigned the partition and sought to where restoring starts (the checkpoint, or the
beginning). Each :meth:`ChangelogReader.restore` polls at most ``max_records`` records across every restoring
partition and applies them; a partition is done when its position reaches the end offset taken at the start, a
task when all of its partitions are.

Example::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
    >>> reader = ChangelogReader(MemoryClientSupplier(EmbeddedBroker()).restore_consumer({}), max_records=1000)
    >>> reader.restoring(), reader.restore()
    (False, [])
"""

from __future__ import annotations

import logging

from kstreams_nb._engine.state_manager import ProcessorStateManager
from kstreams_nb.clients.base import Consumer
from kstreams_nb.records import ConsumerRecord, TaskId, TopicPartition

__all__ = ["ChangelogReader"]

log = logging.getLogger(__name__)


class ChangelogReader:
    """The restoring changelog partitions of one stream thread, read through its restore consumer."""

    def __init__(self, consumer: Consumer, max_records: int) -> None:
        self._consumer = consumer
        self._max_records = max_records
        #: changelog partition -> (its task's state manager, the end offset to restore up to)
        self._partitions: dict[TopicPartition, tuple[ProcessorStateManager, int]] = {}
        #: task id -> its state manager, while some of its changelog partitions are restoring
        self._tasks: dict[TaskId, ProcessorStateManager] = {}
        #: restore polls made (one per :meth:`restore` call that had something to restore)
        self.batches = 0

    def restoring(self) -> bool:
        """True while some task is restoring."""
        return bool(self._tasks)

    def register(self, manager: ProcessorStateManager) -> bool:
        """Start restoring the task of ``manager``; True when it has nothing to restore (done at once)."""
        tps = list(manager.changelogs)
        if not tps:
            return True
        consumer = self._consumer
        ends = consumer.end_offsets(tps)
        starts = manager.restore_offsets(ends)
        pending = [tp for tp in tps if ends[tp] > (starts[tp] or 0)]
        for tp in tps:
            manager.remaining(tp, 0)
        if not pending:
            return True
        consumer.assign([*self._partitions, *pending])
        for tp in pending:
            start = starts[tp]
            if start is None:
                consumer.seek_to_beginning([tp])
            else:
                consumer.seek(tp, start)
            self._partitions[tp] = (manager, ends[tp])
        self._tasks[manager.task.task_id] = manager
        self._check_done(pending)
        return manager.task.task_id not in self._tasks

    def unregister(self, task_id: TaskId) -> None:
        """Stop restoring the task (it was closed or revoked)."""
        if self._tasks.pop(task_id, None) is None:
            return
        gone = [tp for tp, (manager, _) in self._partitions.items() if manager.task.task_id == task_id]
        for tp in gone:
            del self._partitions[tp]
        self._consumer.assign(list(self._partitions))

    def clear(self) -> None:
        """Stop restoring every task."""
        if self._tasks:
            self._tasks.clear()
            self._partitions.clear()
            self._consumer.assign([])

    def restore(self, timeout: float = 0.0) -> list[ProcessorStateManager]:
        """Restore one batch (at most ``max_records`` records over every restoring partition, waiting up to
        ``timeout`` seconds for some); returns the state managers of the tasks whose restoration this batch
        completed."""
        if not self._partitions:
            return []
        records = self._consumer.poll_batch(self._max_records, timeout)
        self.batches += 1
        by_partition: dict[TopicPartition, list[ConsumerRecord]] = {}
        for r in records:
            by_partition.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        for tp, batch in by_partition.items():
            entry = self._partitions.get(tp)
            if entry is not None:
                manager, end = entry
                manager.restore(tp, batch if batch[-1].offset < end else [r for r in batch if r.offset < end])
        return self._check_done(list(self._partitions))

    def _check_done(self, tps: list[TopicPartition]) -> list[ProcessorStateManager]:
        """Update the remaining counts of ``tps``; retire the partitions that reached their end offsets and
        return the managers of the tasks left with none."""
        consumer = self._consumer
        finished: list[TopicPartition] = []
        for tp in tps:
            manager, end = self._partitions[tp]
            position = consumer.position(tp)
            manager.remaining(tp, max(0, end - position))
            if position >= end:
                finished.append(tp)
        if not finished:
            return []
        for tp in finished:
            manager, end = self._partitions.pop(tp)
            log.info("task %s: store %s restored from %s up to offset %d", manager.task.task_id,
                     manager.changelogs[tp].name, tp, end)
        consumer.assign(list(self._partitions))
        still = {manager.task.task_id for manager, _ in self._partitions.values()}
        done = [m for task_id, m in self._tasks.items() if task_id not in still]
        for manager in done:
            del self._tasks[manager.task.task_id]
            log.info("task %s restored %d changelog records", manager.task.task_id, manager.task.restored)
        return done
