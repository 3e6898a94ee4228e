"""TaskManager: turns assigned partitions into tasks (sub-topology × partition), has their stores restored from
changelogs by the thread's ChangelogReader (a batch per loop pass), routes polled records to them, and commits
their progress."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kstreams_nb._engine.changelog_reader import ChangelogReader
from kstreams_nb._engine.checkpoints import write_task_checkpoints
from kstreams_nb._engine.partition_metadata import commit_metadata, read_commit_metadata
from kstreams_nb._engine.processor_topology import ProcessorTopology
from kstreams_nb._engine.producer import StreamsProducer
from kstreams_nb._engine.state_manager import ProcessorStateManager
from kstreams_nb._engine.task import StreamTask, TaskState
from kstreams_nb._engine.topics import TopicPlan
from kstreams_nb._time import Clock
from kstreams_nb.clients.base import Consumer
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import ConsumerRecord, TaskId, TopicPartition
from kstreams_nb.state.cache import ThreadCache

__all__ = ["TaskManager"]

log = logging.getLogger(__name__)


def subtopology_resolver(topology: ProcessorTopology) -> Callable[[str], int]:
    """``topic -> sub-topology id`` for the topics an application reads (internal ones by their full name)."""

    def subtopology_of(topic: str) -> int:
        sub = topology.subtopology_of(topic)
        if sub is None:
            raise StateStoreError(f"no source of the topology reads topic {topic!r}")
        return sub

    return subtopology_of


class TaskManager:
    """The active tasks of one stream thread."""

    def __init__(
        self,
        topology: ProcessorTopology,
        config: StreamsConfig,
        producer: StreamsProducer,
        restore_consumer: Consumer,
        clock: Clock,
        plan: TopicPlan,
        global_stores: Mapping[str, Any] | None = None,
        lag: Callable[[TopicPartition], int | None] | None = None,
        restore_batch: int = 1000,
    ) -> None:
        self._topology = topology
        self._config = config
        self._producer = producer
        self._eos = producer.exactly_once
        self._restore_consumer = restore_consumer
        self._clock = clock
        self._plan = plan
        self._global_stores = global_stores or {}
        #: the thread's record cache: statestore.cache.max.bytes divided among the threads (Kafka's ThreadCache)
        self.cache = ThreadCache(
            int(config.get("statestore.cache.max.bytes", 0)) // max(1, int(config.get("num.stream.threads", 1)))
        )
        self.tasks: dict[TaskId, StreamTask] = {}
        #: tasks whose partitions were revoked, kept (stores open) in case they are assigned back
        self.suspended: dict[TaskId, StreamTask] = {}
        self._lag = lag
        self._by_partition: dict[TopicPartition, StreamTask] = {}
        self._subtopology_of = subtopology_resolver(topology)
        self._subs = {s.id: s for s in topology.subtopologies}
        #: the state managers of the active and suspended tasks
        self._states: dict[TaskId, ProcessorStateManager] = {}
        #: restores the tasks in RESTORING state, at most ``restore_batch`` changelog records per loop pass
        self.reader = ChangelogReader(restore_consumer, restore_batch)

    # ------------------------------------------------------------------ assignment
    def subtopology_of(self, topic: str) -> int:
        """The sub-topology reading ``topic`` (decorated name)."""
        return self._subtopology_of(topic)

    def handle_assignment(self, partitions: Iterable[TopicPartition], consumer: Consumer) -> None:
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
                self._initialize_metadata(task, tps, consumer)
                if task.state is TaskState.RESTORING:
                    _pause(consumer, tps)
            elif task_id in self.suspended:
                task = self.suspended.pop(task_id)
                for tp in tps:
                    task.add_partition(tp)
                self._initialize_metadata(task, tps, consumer)
                task.resume(tps)
                self.tasks[task_id] = task
                log.info("task %s resumed for %s", task_id, [str(tp) for tp in tps])
            else:
                task = self._create(task_id, tps, consumer)
            for tp in tps:
                self._by_partition[tp] = task
        for task_id in list(self.suspended):
            self._close(self.suspended.pop(task_id), clean=True)

    def _create(self, task_id: TaskId, tps: list[TopicPartition], consumer: Consumer) -> StreamTask:
        """A new task, RESTORING (its input partitions paused) until the reader has restored its stores, or
        RUNNING at once when it has nothing to restore."""
        task = StreamTask(
            task_id,
            self._topology,
            self._subs[task_id.subtopology].nodes,
            tps,
            self._config,
            self._producer,
            self._clock,
            global_stores=self._global_stores,
            cache=self.cache,
        )
        manager = self._states[task_id] = ProcessorStateManager(task, self._config, exactly_once=self._eos)
        try:
            self._initialize_metadata(task, tps, consumer)
            task.initialize_stores()
            manager.register_changelogs()
            if self.reader.register(manager):
                task.initialize_processors()
            else:
                _pause(consumer, tps)
        except BaseException:
            self._close(task, clean=False)
            raise
        if self._lag is not None:
            task.set_lag_source(self._lag, int(self._config.get("max.task.idle.ms", 0)))
        self.tasks[task_id] = task
        log.info("task %s created for %s", task_id, [str(tp) for tp in tps])
        return task

    def _initialize_metadata(self, task: StreamTask, tps: list[TopicPartition], consumer: Consumer) -> None:
        """Seed partition times and the processor metadata from the committed offsets' metadata, so stream time
        and what processors keep there survive restarts. Called before the task's processors are initialized
        (Kafka's ``initializeMetadata`` before ``initializeTopology``): a processor may read its metadata in
        ``init``."""
        read = getattr(consumer, "committed_metadata", None)
        if read is None:
            return
        times, processor_metadata = read_commit_metadata(read(tps))
        task.ctx.processor_metadata.update(processor_metadata)
        if times:
            task.initialize_time(times)

    def restoring(self) -> bool:
        """True while some task is RESTORING."""
        return self.reader.restoring()

    def restore(self, consumer: Consumer, timeout: float = 0.0) -> int:
        """Restore one batch of changelog records (waiting up to ``timeout`` seconds for some); the tasks it
        completes initialize their processors and become RUNNING, their input partitions resumed in
        ``consumer``. Returns how many tasks completed."""
        done = self.reader.restore(timeout)
        for manager in done:
            task = manager.task
            try:
                task.initialize_processors()
            except BaseException:
                self._close(self._detach(task.task_id), clean=False)
                raise
            _resume(consumer, list(task.partition_group.queues))
        return len(done)

    def handle_revocation(self, partitions: Iterable[TopicPartition], consumer: Consumer) -> None:
        """Commit the tasks of revoked partitions, then suspend them: processors close, stores stay, so a task
        assigned back resumes without restoring (Kafka's suspend/resume)."""
        revoked = {self._by_partition[tp].task_id for tp in partitions if tp in self._by_partition}
        if not revoked:
            return
        # under exactly-once the thread's one transaction holds every task's output: commit them all
        self.commit(consumer, None if self._eos else [self.tasks[t] for t in revoked])
        for task_id in revoked:
            task = self._detach(task_id)
            if task.state is TaskState.RESTORING:  # its stores are incomplete: nothing to resume from
                self._close(task, clean=True)
                continue
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
        """Close ``task`` through its state manager (dirty under exactly-once wipes its state)."""
        self.reader.unregister(task.task_id)
        self._states.pop(task.task_id).close(clean, self._restore_consumer)

    def close_all(self, clean: bool) -> None:
        """Close every task, active or suspended (dirty: errors logged, nothing committed)."""
        self.reader.clear()
        for task_id in list(self.tasks):
            self._close(self._detach(task_id), clean)
        for task_id in list(self.suspended):
            self._close(self.suspended.pop(task_id), clean)

    # ------------------------------------------------------------------ processing
    def add_records(self, records: Iterable[ConsumerRecord]) -> None:
        """Hand polled records to their tasks (grouped per partition, in order)."""
        batch: dict[TopicPartition, list[ConsumerRecord]] = {}
        topic: str | None = None
        partition = -1
        raws: list[ConsumerRecord] = []
        for r in records:  # a poll's records come a partition at a time: a new list per run, not per record
            if r[1] != partition or r[0] != topic:  # ConsumerRecord is a tuple: (topic, partition, ...)
                topic, partition = r[0], r[1]
                tp = TopicPartition(topic, partition)
                known = batch.get(tp)
                raws = batch[tp] = [] if known is None else known
            raws.append(r)
        for tp, raws in batch.items():
            task = self._by_partition.get(tp)
            if task is None:
                log.warning("dropping %d records of unassigned partition %s", len(raws), tp)
                continue
            task.add_records(tp, raws)

    def running(self) -> list[StreamTask]:
        """Tasks in RUNNING state."""
        running = TaskState.RUNNING
        return [t for t in self.tasks.values() if t.state is running]

    def commit_wanted(self) -> bool:
        """True when a processor asked for a commit."""
        return any(t.commit_requested for t in self.tasks.values())

    def commit(self, consumer: Consumer, tasks: Iterable[StreamTask] | None = None) -> dict[TopicPartition, int]:
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
            metadata.update(commit_metadata(task_offsets, times, task.ctx.processor_metadata))
        self._producer.commit(offsets, metadata, consumer)
        if not eos:  # under exactly-once a running task keeps no checkpoint (written on clean close only)
            checkpointed = self.tasks.values() if tasks is None else tasks
            write_task_checkpoints(checkpointed, self._restore_consumer, self._config)
        return offsets


def _pause(consumer: Consumer, tps: list[TopicPartition]) -> None:
    """Pause the input partitions of a restoring task in the main consumer (their records would only wait)."""
    pause = getattr(consumer, "pause", None)
    if pause is not None and tps:
        pause(tps)


def _resume(consumer: Consumer, tps: list[TopicPartition]) -> None:
    """Resume the input partitions of a task that finished restoring (those still assigned)."""
    resume = getattr(consumer, "resume", None)
    if resume is not None and tps:
        assigned = set(consumer.assignment())
        resume([tp for tp in tps if tp in assigned])


def _step_over_markers(task: StreamTask, consumer: Consumer, assigned: set[TopicPartition]) -> bool:
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
