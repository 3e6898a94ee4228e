"""TaskManager: turns assigned partitions into tasks (sub-topology × partition), restores their stores from
changelogs, routes polled records to them, and commits their progress."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from kstreams_nb._engine.task import StreamTask, TaskState
from kstreams_nb._engine.topics import TopicPlan
from kstreams_nb._time import Clock
from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import ConsumerRecord, TaskId, TopicPartition
from kstreams_nb.topology._builder import InternalTopologyBuilder

__all__ = ["TaskManager"]

log = logging.getLogger(__name__)


class TaskManager:
    """The active tasks of one stream thread."""

    def __init__(
        self,
        builder: InternalTopologyBuilder,
        config: Mapping[str, Any],
        application_id: str,
        producer: Any,
        restore_consumer: Any,
        clock: Clock,
        plan: TopicPlan,
        global_stores: Mapping[str, Any] | None = None,
    ) -> None:
        self._builder = builder
        self._config = config
        self._app_id = application_id
        self._producer = producer
        self._restore_consumer = restore_consumer
        self._clock = clock
        self._plan = plan
        self._global_stores = global_stores or {}
        self.tasks: dict[TaskId, StreamTask] = {}
        self._by_partition: dict[TopicPartition, StreamTask] = {}
        self._node_to_sub = {n: gid for gid, names in builder.node_groups().items() for n in names}
        self._subs = {s.id: s for s in builder.subtopologies()}

    # ------------------------------------------------------------------ assignment
    def subtopology_of(self, topic: str) -> int:
        """The sub-topology reading ``topic`` (decorated name)."""
        prefix = self._app_id + "-"
        bare = topic[len(prefix) :]
        name = bare if topic.startswith(prefix) and bare in self._builder.internal_topics else topic
        source = self._builder.source_for_topic(name)
        if source is None:
            raise StateStoreError(f"no source of the topology reads topic {topic!r}")
        return self._node_to_sub[source.name]

    def handle_assignment(self, partitions: Iterable[TopicPartition]) -> None:
        """Create, restore and start the tasks for newly assigned partitions."""
        by_task: dict[TaskId, list[TopicPartition]] = {}
        for tp in partitions:
            if tp in self._by_partition:
                continue
            by_task.setdefault(TaskId(self.subtopology_of(tp.topic), tp.partition), []).append(tp)
        for task_id in sorted(by_task):
            tps = by_task[task_id]
            task = self.tasks.get(task_id)
            if task is not None:  # a pattern topic created later joins a running task
                for tp in tps:
                    task.add_partition(tp)
                    self._by_partition[tp] = task
                continue
            task = StreamTask(
                task_id,
                self._builder,
                self._subs[task_id.subtopology].nodes,
                tps,
                self._config,
                self._producer,
                self._clock,
                application_id=self._app_id,
                global_stores=self._global_stores,
            )
            try:
                task.initialize_stores()
                self._restore(task)
                task.initialize_processors()
            except BaseException:
                try:
                    task.close()
                except Exception:
                    log.exception("task %s: error while closing after a failed start", task_id)
                raise
            self.tasks[task_id] = task
            for tp in tps:
                self._by_partition[tp] = task
            log.info("task %s created for %s", task_id, [str(tp) for tp in tps])

    def _restore(self, task: StreamTask) -> None:
        """Replay each logged store's changelog partition into the store (CREATED → RESTORING → RUNNING)."""
        rc = self._restore_consumer
        for store_name, (_store, restore, logged) in task.registered.items():
            if not logged:
                continue
            tp = TopicPartition(task.changelog_topic(store_name), task.task_id.partition)
            rc.assign([tp])
            rc.seek_to_beginning([tp])
            end = rc.end_offsets([tp])[tp]
            deadline = time.monotonic() + float(self._config.get("task.timeout.ms", 300_000)) / 1000
            restored = 0
            while rc.position(tp) < end:
                batch = rc.poll_batch(1000, 0.05)
                triples = [(r.key, r.value, r.timestamp) for r in batch if r.offset < end]
                if triples:
                    restore(triples)
                    restored += len(triples)
                if time.monotonic() > deadline:
                    raise StateStoreError(
                        f"task {task.task_id}: restoring store {store_name!r} from {tp} timed out at offset "
                        f"{rc.position(tp)} of {end}"
                    )
            rc.assign([])
            if restored:
                log.info("task %s restored %d records into %s from %s", task.task_id, restored, store_name, tp)

    def handle_revocation(self, partitions: Iterable[TopicPartition], consumer: Any) -> None:
        """Commit and close the tasks of revoked partitions."""
        revoked = {self._by_partition[tp].task_id for tp in partitions if tp in self._by_partition}
        if not revoked:
            return
        self.commit(consumer, [self.tasks[t] for t in revoked])
        for task_id in revoked:
            self._close_task(task_id, clean=True)

    def _close_task(self, task_id: TaskId, clean: bool) -> None:
        task = self.tasks.pop(task_id)
        for tp in [tp for tp, t in self._by_partition.items() if t is task]:
            del self._by_partition[tp]
        try:
            task.close()
        except Exception:
            if clean:
                raise
            log.exception("error while closing task %s dirty", task_id)

    def close_all(self, clean: bool) -> None:
        """Close every task (dirty: no flush, errors logged)."""
        for task_id in list(self.tasks):
            self._close_task(task_id, clean)

    # ------------------------------------------------------------------ processing
    def add_records(self, records: Iterable[ConsumerRecord]) -> None:
        """Hand polled records to their tasks (grouped per partition, in order)."""
        batch: dict[TopicPartition, list[ConsumerRecord]] = {}
        for r in records:
            batch.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        for tp, raws in batch.items():
            task = self._by_partition.get(tp)
            if task is None:
                log.warning("dropping %d records of unassigned partition %s", len(raws), tp)
                continue
            task.add_records(tp, raws)

    def running(self) -> list[StreamTask]:
        """Tasks in RUNNING state."""
        return [t for t in self.tasks.values() if t.state is TaskState.RUNNING]

    def commit_wanted(self) -> bool:
        """True when a processor asked for a commit."""
        return any(t.commit_requested for t in self.tasks.values())

    def commit(self, consumer: Any, tasks: Iterable[StreamTask] | None = None) -> dict[TopicPartition, int]:
        """Flush the tasks' stores and the producer, then commit the consumed offsets (at-least-once)."""
        offsets: dict[TopicPartition, int] = {}
        for task in tasks if tasks is not None else self.tasks.values():
            if task.state is TaskState.RUNNING:
                offsets.update(task.prepare_commit())
        self._producer.flush()
        if offsets:
            consumer.commit(offsets)
        return offsets
