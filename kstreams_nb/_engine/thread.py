"""StreamThread: poll a batch → process → punctuate → commit every ``commit.interval.ms``.

Under ``exactly_once_v2`` the thread's StreamsProducer is transactional and both consumers read committed data; a
commit that fails (the group moved on, KIP-447) or a fenced producer aborts the open transaction, closes every
task dirty (state dropped, restored from the changelog) and rejoins the group, as Kafka's TaskMigratedException.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from kstreams_nb._engine.metrics import ThreadMetrics
from kstreams_nb._engine.processor_topology import ProcessorTopology
from kstreams_nb._engine.producer import StreamsProducer
from kstreams_nb._engine.remote_sinks import RemoteSinks
from kstreams_nb._engine.task_manager import TaskManager
from kstreams_nb._engine.topics import TopicPlan
from kstreams_nb._time import Clock
from kstreams_nb.clients.base import ClientSupplier, Consumer, NoOffsetForPartitionError
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import CommitFailedError, ConfigError, StreamsStateError, TransactionError
from kstreams_nb.records import TopicPartition

__all__ = ["StreamThread", "ThreadCrash", "ThreadState", "crash_hook"]

log = logging.getLogger(__name__)


class ThreadState(enum.Enum):
    """Kafka's StreamThread.State."""

    CREATED = "CREATED"
    STARTING = "STARTING"
    PARTITIONS_REVOKED = "PARTITIONS_REVOKED"
    PARTITIONS_ASSIGNED = "PARTITIONS_ASSIGNED"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    DEAD = "DEAD"


_T = ThreadState
_TRANSITIONS = {
    _T.CREATED: {_T.STARTING, _T.PENDING_SHUTDOWN},
    _T.STARTING: {_T.PARTITIONS_REVOKED, _T.PARTITIONS_ASSIGNED, _T.PENDING_SHUTDOWN},
    _T.PARTITIONS_REVOKED: {_T.PARTITIONS_REVOKED, _T.PARTITIONS_ASSIGNED, _T.PENDING_SHUTDOWN},
    _T.PARTITIONS_ASSIGNED: {_T.PARTITIONS_REVOKED, _T.PARTITIONS_ASSIGNED, _T.RUNNING, _T.PENDING_SHUTDOWN},
    _T.RUNNING: {_T.PARTITIONS_REVOKED, _T.PARTITIONS_ASSIGNED, _T.PENDING_SHUTDOWN},
    _T.PENDING_SHUTDOWN: {_T.DEAD},
    _T.DEAD: set(),
}

#: how many records one task processes before the thread turns to the next task
_BATCH = 100


class ThreadCrash(BaseException):
    """Raised by a test's :data:`crash_hook` to stop a stream thread as a crash would: it leaves its loop with no
    commit, abort or close, its clients abandoned (a group member that stops polling, an open transaction)."""


#: Test hook: when set, every stream thread calls ``crash_hook(thread)`` once per loop iteration (before it
#: polls); raising :class:`ThreadCrash` there stops the thread abruptly. ``None`` (the default) costs one check.
#:
#: Example (in a test): ``thread.crash_hook = hook``, where ``hook(t)`` raises ``ThreadCrash()`` once
#: ``t.producer.in_transaction``; set it back to None afterwards.
crash_hook: Callable[[StreamThread], None] | None = None


def _migrated(error: BaseException) -> bool:
    """True for a failed commit or transaction (possibly wrapped, e.g. by a sink's ProcessingError): the thread's
    tasks may belong to another member now (Kafka's TaskMigratedException)."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, (CommitFailedError, TransactionError)):
            return True
        seen = seen.__cause__
    return False


def _restore_max_records(config: StreamsConfig) -> int:
    """Changelog records restored per loop pass: the restore consumer's ``max.poll.records`` (Kafka's
    ``restore.consumer.`` and ``consumer.`` prefixes, then the Streams-wide key; 1000 by default)."""
    for key in ("restore.consumer.max.poll.records", "consumer.max.poll.records", "max.poll.records"):
        value = config.get(key)
        if value is not None:
            if int(value) < 1:
                raise ConfigError(f"{key} must be at least 1, got {value!r}")
            return int(value)
    return 1000


def _make_clients(
    topology: ProcessorTopology,
    config: StreamsConfig,
    clients: ClientSupplier,
    app_id: str,
    name: str,
    transactional_id: str,
) -> tuple[Consumer, StreamsProducer, Consumer]:
    """The main consumer, producer and restore consumer of a stream thread (all closed if one cannot be made).

    Under exactly-once both consumers read committed data only and the producer is transactional. The producer
    owns one plain producer per other cluster the topology's sinks write to (at-least-once there)."""
    made: list[Any] = []
    eos = config.exactly_once
    isolation = "read_committed" if eos else "read_uncommitted"
    remote: RemoteSinks | None = None
    try:
        made.append(clients.consumer({
            **config.for_client("consumer.", "main.consumer."),
            "group.id": app_id,
            "client.id": f"{name}-consumer",
            "auto.offset.reset": "none",  # the thread applies each source's policy (Kafka's resetOffsets)
            # the group's range assignor: partition p of every co-partitioned source topic goes to one member,
            # which then runs task p of their sub-topology (a real client can do no more: no pluggable assignor)
            "partition.assignment.strategy": "range",
            "isolation.level": isolation,
            "enable.auto.commit": False,
        }))
        remote = RemoteSinks(topology, config, name) if topology.sink_clusters() else None
        made.append(StreamsProducer(
            clients.producer,
            # Kafka Streams' exactly-once override: an abandoned transaction holds readers back for 10 s at most
            {**({"transaction.timeout.ms": 10_000} if eos else {}), **config.for_client("producer."),
             "client.id": f"{name}-producer"},
            exactly_once=eos,
            transactional_id=transactional_id,
            remote_sinks=remote,
        ))
        made.append(clients.restore_consumer({
            **config.for_client("consumer.", "restore.consumer."),
            "client.id": f"{name}-restore-consumer",
            "isolation.level": isolation,
        }))
    except BaseException:
        if remote is not None and len(made) < 2:  # not yet owned by the StreamsProducer
            remote.close()
        for client in made:
            client.close()
        raise
    return made[0], made[1], made[2]


class StreamThread(threading.Thread):
    """One processing thread: a group consumer, a producer, and the tasks of its assigned partitions."""

    def __init__(
        self,
        index: int,
        topology: ProcessorTopology,
        config: StreamsConfig,
        clients: ClientSupplier,
        clock: Clock,
        plan: TopicPlan,
        client_id: str,
        on_state: Callable[[StreamThread, ThreadState, ThreadState], None],
        global_stores: Mapping[str, Any] | None = None,
        process_id: str | None = None,
    ) -> None:
        super().__init__(name=f"{client_id}-StreamThread-{index}", daemon=True)
        self.index = index
        self._config = config
        self._clock = clock
        self._plan = plan
        self._on_state = on_state
        self.state = ThreadState.CREATED
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        #: held while this thread touches its tasks' stores; interactive queries take it too
        self.lock = threading.RLock()
        self.error: BaseException | None = None
        app_id: str = config["application.id"]
        self._topology = topology
        #: ``<application.id>-<process id>-<thread index>``: a replacement thread takes over (and fences) the id
        self.transactional_id = f"{app_id}-{process_id or client_id}-{index}"
        self.consumer, self.producer, self.restore_consumer = _make_clients(
            topology, config, clients, app_id, self.name, self.transactional_id
        )
        self.tasks = TaskManager(topology, config, self.producer, self.restore_consumer, clock, plan,
                                 global_stores, lag=self.consumer.lag, restore_batch=_restore_max_records(config))
        #: counters read by KafkaStreams.metrics()
        self.metrics = ThreadMetrics(clock)
        self._subscription = self._subscription_for(topology, plan)
        self._commit_interval = int(config["commit.interval.ms"])
        self._poll_timeout = int(config.get("poll.ms", 100)) / 1000
        self._max_poll = int(config.get("max.poll.records", 1000))
        self._last_commit = clock.milliseconds()

    @staticmethod
    def _subscription_for(topology: ProcessorTopology, plan: TopicPlan) -> list[str] | re.Pattern[str]:
        topics = sorted({t for ts in plan.source_topics.values() for t in ts})
        patterns = [p.pattern for s in topology.subtopologies for p in s.source_patterns]
        if not patterns:
            return topics
        return re.compile("|".join([*(re.escape(t) for t in topics), *(f"(?:{p})" for p in patterns)]))

    # ------------------------------------------------------------------ state
    def _set_state(self, new: ThreadState) -> None:
        with self._state_lock:
            old = self.state
            if new not in _TRANSITIONS[old]:
                if old in (ThreadState.PENDING_SHUTDOWN, ThreadState.DEAD):
                    return
                raise StreamsStateError(f"{self.name}: invalid transition from {old.name} to {new.name}")
            self.state = new
        self._on_state(self, new, old)

    def shutdown(self) -> None:
        """Ask the thread to stop after its current iteration (commits what it processed)."""
        self._stopping.set()
        self.consumer.wakeup()

    # ------------------------------------------------------------------ loop
    def run(self) -> None:
        clean, crashed = True, False
        try:
            self._set_state(ThreadState.STARTING)
            self._subscribe()
            while not self._stopping.is_set():
                if crash_hook is not None:
                    crash_hook(self)
                try:
                    self.run_once()
                except NoOffsetForPartitionError as e:
                    self._reset_offsets(e.partitions)
                except Exception as e:
                    if not _migrated(e):
                        raise
                    self._rejoin(e)
        except ThreadCrash as e:  # a simulated crash: nothing is committed, aborted or closed
            crashed = True
            self.error = e
            log.error("%s crashed (test hook); its clients are abandoned", self.name)
        except BaseException as e:  # reported to the client, which decides what happens next
            clean = False
            self.error = e
            log.error("%s failed: %r", self.name, e)
        finally:
            self._set_state(ThreadState.PENDING_SHUTDOWN)
            if not crashed:
                self._close(clean)
            self._set_state(ThreadState.DEAD)

    def _rejoin(self, error: Exception) -> None:
        """Kafka's TaskMigratedException: abort the open transaction (a fenced producer is replaced), close every
        task dirty — their state is dropped and restored from the changelog when assigned again — and rejoin."""
        log.warning("%s: commit or transaction failed (%s); closing its tasks dirty and rejoining", self.name, error)
        producer = self.producer
        producer.abort()
        if producer.exactly_once:
            producer.reset()
        with self.lock:
            self.tasks.close_all(clean=False)
        self.consumer.unsubscribe()
        self._subscribe()

    def _subscribe(self) -> None:
        self.consumer.subscribe(
            self._subscription, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )

    def _reset_offsets(self, partitions: list[TopicPartition]) -> None:
        """Where nothing was committed, start each partition as its source says (else ``auto.offset.reset``)."""
        default = str(self._config.get("auto.offset.reset", "earliest"))
        earliest: list[TopicPartition] = []
        latest: list[TopicPartition] = []
        for tp in partitions:
            source = self._topology.source_for_topic(tp.topic)
            policy = (source.offset_reset if source is not None else None) or default
            if policy == "latest":
                latest.append(tp)
            elif policy == "earliest":
                earliest.append(tp)
            else:
                raise ConfigError(
                    f"no committed offset for {tp} and its reset policy is {policy!r}: set the source's offset_reset "
                    f"or auto.offset.reset to 'earliest' or 'latest'"
                )
        if earliest:
            self.consumer.seek_to_beginning(earliest)
        if latest:
            self.consumer.seek_to_end(latest)

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        """Create or resume the tasks; the thread is RUNNING now, or once its tasks have restored their stores."""
        self._set_state(ThreadState.PARTITIONS_ASSIGNED)
        with self.lock:
            self.tasks.handle_assignment(partitions, self.consumer)
        if not self.tasks.restoring():
            self._set_state(ThreadState.RUNNING)

    def _on_lost(self, partitions: list[TopicPartition]) -> None:
        self._set_state(ThreadState.PARTITIONS_REVOKED)
        self.producer.abort()  # the tasks may be elsewhere now: what they produced must not become visible
        with self.lock:
            self.tasks.handle_lost(partitions)

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        self._set_state(ThreadState.PARTITIONS_REVOKED)
        with self.lock:
            self.tasks.handle_revocation(partitions, self.consumer)

    def run_once(self) -> None:
        """One iteration: poll, restore one batch of changelog records (while some task is RESTORING), process
        every buffered record of the RUNNING tasks, punctuate, maybe commit.

        While tasks restore, the main consumer polls without waiting and the restore consumer waits instead (up
        to ``poll.ms``, unless records wait to be processed), as Kafka's StreamThread and StoreChangelogReader."""
        tasks = self.tasks
        busy = any(t.has_records_queued() for t in tasks.running())
        restoring = tasks.restoring()
        records = self.consumer.poll_batch(self._max_poll, 0.0 if busy or restoring else self._poll_timeout)
        self.metrics.polled(self.consumer)
        if records:
            tasks.add_records(records)
        if restoring:
            self._restore_batch(0.0 if busy or records else self._poll_timeout)
        while True:
            processed = 0
            for task in tasks.running():
                n = 0
                with self.lock:
                    n = task.process_batch(_BATCH)
                    task.maybe_punctuate_system_time()
                processed += n
            self.metrics.processed += processed
            self.producer.send_pending()
            self._maybe_commit()
            if not processed or self._stopping.is_set():
                break
        with self.lock:
            for task in tasks.running():
                task.maybe_punctuate_system_time()
            self.producer.send_pending()

    def _restore_batch(self, timeout: float) -> None:
        """One bounded batch of restoration (waiting up to ``timeout`` seconds for changelog records); the
        thread turns RUNNING when its last restoring task is done."""
        tasks = self.tasks
        with self.lock:
            tasks.restore(self.consumer, timeout)
        if not tasks.restoring() and self.state is ThreadState.PARTITIONS_ASSIGNED:
            self._set_state(ThreadState.RUNNING)

    def _maybe_commit(self, force: bool = False) -> None:
        now = self._clock.milliseconds()
        if force or now - self._last_commit >= self._commit_interval or self.tasks.commit_wanted():
            with self.lock:
                started = time.perf_counter_ns()
                if self.tasks.commit(self.consumer):  # as Kafka, only commits that committed offsets count
                    self.metrics.committed(started)
            self._last_commit = now

    def release_clients(self) -> None:
        """Close this thread's clients without running it (a start() that failed half way); an open transaction
        is aborted."""
        for client in (self.consumer, self.restore_consumer, self.producer):
            try:
                client.close()
            except Exception:
                log.exception("%s: error while closing a client", self.name)

    def _close(self, clean: bool) -> None:
        try:
            if clean:
                self._maybe_commit(force=True)
            else:  # nothing the thread produced since its last commit may become visible
                self.producer.abort()
            with self.lock:
                self.tasks.close_all(clean)
        except Exception as e:
            log.exception("%s: error while closing", self.name)
            if self.error is None:
                self.error = e
        finally:
            self.release_clients()
