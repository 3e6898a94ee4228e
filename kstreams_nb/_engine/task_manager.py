"""TaskManager: turns assigned partitions into tasks (sub-topology × partition), restores their stores from
changelogs, routes polled records to them, and commits their progress."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kstreams_nb._engine.checkpoints import read_task_checkpoint, restore_start, write_task_checkpoints
from kstreams_nb._engine.producer import StreamsProducer
from kstreams_nb._engine.task import StreamTask, TaskState
from kstreams_nb._engine.topics import TopicPlan
from kstreams_nb._time import Clock
from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import ConsumerRecord, TaskId, TopicPartition
from kstreams_nb.topology._builder import InternalTopologyBuilder

__all__ = ["TaskManager"]

log = logging.getLogger(__name__)


def subtopology_resolver(builder: InternalTopologyBuilder, application_id: str) -> Callable[[str], int]:
    """``topic -> sub-topology id`` for the topics an application reads (internal ones by their full name)."""
    node_to_sub = {n: gid for gid, names in builder.node_groups().items() for n in names}
    prefix = application_id + "-"

    def subtopology_of(topic: str) -> int:
        bare = topic[len(prefix) :]
        name = bare if topic.startswith(prefix) and bare in builder.internal_topics else topic
        source = builder.source_for_topic(name)
        if source is None:
            raise StateStoreError(f"no source of the topology reads topic {topic!r}")
        return node_to_sub[source.name]

    return subtopology_of


class TaskManager:
    """The active tasks of one stream thread."""

    def __init__(
        self,
        builder: InternalTopologyBuilder,
        config: Mapping[str, Any],
        application_id: str,
        producer: StreamsProducer,
        restore_consumer: Any,
        clock: Clock,
        plan: TopicPlan,
        global_stores: Mapping[str, Any] | None = None,
        lag: Callable[[TopicPartition], int | None] | None = None,
    ) -> None:
        self._builder = builder
        self._config = config
        self._app_id = application_id
        self._producer = producer
        self._eos = producer.exactly_once
        self._restore_consumer = restore_consumer
        self._clock = clock
        self._plan = plan
        self._global_stores = global_stores or {}
        self.tasks: dict[TaskId, StreamTask] = {}
        #: tasks whose partitions were revoked, kept (stores open) in case they are assigned back
        self.suspended: dict[TaskId, StreamTask] = {}
        self._lag = lag
        self._by_partition: dict[TopicPartition, StreamTask] = {}
        self._subtopology_of = subtopology_resolver(builder, application_id)
        self._subs = {s.id: s for s in builder.subtopologies()}

    # ------------------------------------------------------------------ assignment
    def subtopology_of(self, topic: str) -> int:
        """The sub-topology reading ``topic`` (decorated name)."""
        return self._subtopology_of(topic)

    def handle_assignment(self, partitions: Iterable[TopicPartition], consumer: Any) -> None:
        """Take the tasks of the assigned partitions: resume suspended ones (their stores are current), create,
        restore and start new ones; close suspended tasks that were not assigned back."""
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
            elif task_id in self.suspended:
                task = self.suspended.pop(task_id)
                task.resume(tps)
                self.tasks[task_id] = task
                log.info("task %s resumed for %s", task_id, [str(tp) for tp in tps])
            else:
                task = self._create(task_id, tps)
            for tp in tps:
                self._by_partition[tp] = task
            self._initialize_time(task, tps, consumer)
        for task_id in list(self.suspended):
            self._close(self.suspended.pop(task_id), clean=True)

    def _create(self, task_id: TaskId, tps: list[TopicPartition]) -> StreamTask:
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
            self._close(task, clean=False)
            raise
        if self._lag is not None:
            task.set_lag_source(self._lag, int(self._config.get("max.task.idle.ms", 0)))
        self.tasks[task_id] = task
        log.info("task %s created for %s", task_id, [str(tp) for tp in tps])
        return task

    def _initialize_time(self, task: StreamTask, tps: list[TopicPartition], consumer: Any) -> None:
        """Seed partition times from the committed offsets' metadata, so stream time survives restarts."""
        read = getattr(consumer, "committed_metadata", None)
        if read is None:
            return
        times = {tp: t for tp, meta in read(tps).items() if (t := decode_partition_time(meta)) is not None}
        if times:
            task.initialize_time(times)

    def _restore(self, task: StreamTask) -> None:
        """Replay each logged store's changelog partition into the store (CREATED → RESTORING → RUNNING)."""
        rc = self._restore_consumer
        checkpoint = read_task_checkpoint(task, self._config)
        for store_name, (store, restore, logged) in task.registered.items():
            if not logged:
                continue
            tp = TopicPartition(task.changelog_topic(store_name), task.task_id.partition)
            rc.assign([tp])
            end = rc.end_offsets([tp])[tp]
            start = restore_start(task, store, tp, checkpoint.get(tp), end, self._config)
            if start is None:
                rc.seek_to_beginning([tp])
            else:
                rc.seek(tp, start)
            deadline = time.monotonic() + float(self._config.get("task.timeout.ms", 300_000)) / 1000
            restored = 0
            while rc.position(tp) < end:
                batch = rc.poll_batch(1000, 0.05)
                triples = [(r.key, r.value, r.timestamp) for r in batch if r.offset < end]
                if triples:
                    restore(triples)
                    restored += len(triples)
                    task.restored += len(triples)
                task.restore_remaining[store_name] = max(0, end - rc.position(tp))
                if time.monotonic() > deadline:
                    raise StateStoreError(
                        f"task {task.task_id}: restoring store {store_name!r} from {tp} timed out at offset "
                        f"{rc.position(tp)} of {end}"
                    )
            rc.assign([])
            if restored:
                log.info("task %s restored %d records into %s from %s", task.task_id, restored, store_name, tp)

    def handle_revocation(self, partitions: Iterable[TopicPartition], consumer: Any) -> None:
        """Commit the tasks of revoked partitions, then suspend them: processors close, stores stay, so a task
        assigned back resumes without restoring (Kafka's suspend/resume)."""
        revoked = {self._by_partition[tp].task_id for tp in partitions if tp in self._by_partition}
        if not revoked:
            return
        # under exactly-once the thread's one transaction holds every task's output: commit them all
        self.commit(consumer, None if self._eos else [self.tasks[t] for t in revoked])
        for task_id in revoked:
            task = self._detach(task_id)
            try:
                task.suspend()
            except BaseException:
                self._close(task, clean=False)
                raise
            self.suspended[task_id] = task

    def handle_lost(self, partitions: Iterable[TopicPartition]) -> None:
        """The partitions were lost (this member was dropped from the group): close every task dirty, no commit."""
        del partitions  # all of this thread's tasks are gone, whatever the list says
        self.close_all(clean=False)

    def _detach(self, task_id: TaskId) -> StreamTask:
        task = self.tasks.pop(task_id)
        for tp in [tp for tp, t in self._by_partition.items() if t is task]:
            del self._by_partition[tp]
        return task

    def _close(self, task: StreamTask, clean: bool) -> None:
        try:
            if clean:
                write_task_checkpoints([task], self._restore_consumer, self._config)
            task.close()
        except Exception:
            if clean:
                raise
            log.exception("error while closing task %s dirty", task.task_id)

    def close_all(self, clean: bool) -> None:
        """Close every task, active or suspended (dirty: errors logged, nothing committed)."""
        for task_id in list(self.tasks):
            self._close(self._detach(task_id), clean)
        for task_id in list(self.suspended):
            self._close(self.suspended.pop(task_id), clean)

    def owned(self) -> set[TaskId]:
        """The ids of the tasks this thread runs (for a sticky assignment)."""
        return set(self.tasks)

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
        """The thread's one commit routine: flush the tasks' stores (what they forward is produced now), then hand
        the consumed offsets, each with its partition's time as metadata (Kafka's TopicPartitionMetadata), to the
        StreamsProducer, which commits them with the consumer (at-least-once) or inside its transaction with what
        was produced (exactly-once; only tasks that processed something since the last commit or whose position
        stepped over transaction markers, as Kafka's commitNeeded). Raises what the commit raises
        (CommitFailedError, TransactionError): the caller aborts."""
        eos = self._eos
        offsets: dict[TopicPartition, int] = {}
        metadata: dict[TopicPartition, str] = {}
        assigned = set(consumer.assignment())
        for task in tasks if tasks is not None else self.tasks.values():
            if task.state is not TaskState.RUNNING:
                continue
            moved = not task.has_records_queued() and _step_over_markers(task, consumer, assigned)
            if eos and not (moved or task.commit_needed or task.commit_requested):
                continue
            task_offsets = task.prepare_commit()
            offsets.update(task_offsets)
            times = task.partition_times()
            metadata.update({tp: encode_partition_time(times[tp]) for tp in task_offsets if tp in times})
        self._producer.commit(offsets, metadata, consumer)
        if not eos:  # under exactly-once a running task keeps no checkpoint (written on clean close only)
            checkpointed = self.tasks.values() if tasks is None else tasks
            write_task_checkpoints(checkpointed, self._restore_consumer, self._config)
        return offsets


def _step_over_markers(task: StreamTask, consumer: Any, assigned: set[TopicPartition]) -> bool:
    """Everything fetched is processed: move each partition's committable offset to the consumer's position,
    which also steps over transaction markers behind the last record (else they would stay "unconsumed" forever,
    as Kafka's StreamTask.commitNeeded notes); True when one moved."""
    moved = False
    for tp, queue in task.partition_group.queues.items():
        committable = queue.committable
        if committable is not None and tp in assigned and (position := consumer.position(tp)) > committable:
            queue.committable = position
            moved = True
    return moved


def encode_partition_time(partition_time: int) -> str:
    """Kafka's TopicPartitionMetadata (version 1): base64 of a magic byte and the 8-byte partition time."""
    return base64.b64encode(bytes([1]) + partition_time.to_bytes(8, "big", signed=True)).decode("ascii")


def decode_partition_time(metadata: str | None) -> int | None:
    """The partition time in committed metadata written by Kafka Streams (versions 1 and 2), or None."""
    if not metadata:
        return None
    try:
        raw = base64.b64decode(metadata, validate=True)
    except ValueError:
        return None
    if len(raw) < 9 or raw[0] not in (1, 2):
        return None
    return int.from_bytes(raw[1:9], "big", signed=True)
