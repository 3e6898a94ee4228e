"""StreamTask: one sub-topology × one partition, with its nodes, stores, record queues and punctuations.

Written once for both the TopologyTestDriver and the runtime: whoever drives a task feeds it raw records
(``add_records``), calls ``process`` / ``maybe_punctuate_*`` and commits what ``prepare_commit`` returns.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kstreams_nb._engine.collector import RecordCollector
from kstreams_nb._engine.context import ProcessorContextImpl, StoreContextImpl
from kstreams_nb._engine.handlers import CONTINUE, ErrorContext, resolve_handler, send_dead_letter
from kstreams_nb._engine.metrics import count_node_records
from kstreams_nb._engine.nodes import Node, ProcessorNode, SinkNode, SourceNode
from kstreams_nb._engine.partition_group import UNKNOWN, PartitionGroup, RecordQueue
from kstreams_nb._engine.processor_topology import (
    ProcessorDef,
    ProcessorTopology,
    SinkDef,
    SourceDef,
    changelog_topic,
)
from kstreams_nb._engine.punctuation import PunctuationQueue, PunctuationSchedule
from kstreams_nb._time import Clock
from kstreams_nb.errors import DeserializationError, ProcessingError, StreamsStateError, TopologyError
from kstreams_nb.processor import FixedKeyProcessor, PunctuationType
from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, Record, TaskId, TopicPartition
from kstreams_nb.serdes import Serdes, serde_by_name

__all__ = ["StreamTask", "TaskState", "default_serde"]

log = logging.getLogger(__name__)


class TaskState(enum.Enum):
    """Kafka's Task.State."""

    CREATED = "CREATED"
    RESTORING = "RESTORING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


# Kafka's Task.State table (a task is suspended before it is closed; CLOSED -> CREATED re-creates a corrupted task)
_TRANSITIONS = {
    TaskState.CREATED: {TaskState.RESTORING, TaskState.SUSPENDED},
    TaskState.RESTORING: {TaskState.RUNNING, TaskState.SUSPENDED},
    TaskState.RUNNING: {TaskState.SUSPENDED},
    TaskState.SUSPENDED: {TaskState.RESTORING, TaskState.CLOSED},
    TaskState.CLOSED: {TaskState.CREATED},
}


def default_serde(config: Mapping[str, Any], key: str) -> Any:
    """The serde configured under ``default.key.serde`` / ``default.value.serde`` (JSON when unset)."""
    value = config.get(key)
    if value is None:
        return Serdes.json()
    if isinstance(value, str):
        return serde_by_name(value)
    return value


class StreamTask:
    """A task: runs the nodes of one sub-topology (or all of them, under the test driver) for one partition."""

    def __init__(
        self,
        task_id: TaskId,
        topology: ProcessorTopology,
        node_names: Sequence[str],
        partitions: Iterable[TopicPartition],
        config: Mapping[str, Any],
        producer: Any,
        clock: Clock,
        *,
        global_stores: Mapping[str, Any] | None = None,
    ) -> None:
        self.task_id = task_id
        self.topology = topology
        self.application_id = application_id = topology.application_id
        self.config = config
        self.clock = clock
        self.state = TaskState.CREATED
        self.global_stores: Mapping[str, Any] = global_stores or {}
        self.collector = RecordCollector(producer, task_id)
        self.ctx = ProcessorContextImpl(
            self,
            application_id,
            task_id,
            config,
            self.collector,
            resolve_handler(config, "processing.exception.handler"),
        )
        self.collector.on_error = self.ctx.production_failed
        self._deser_handler = resolve_handler(config, "deserialization.exception.handler")
        self.key_serde = default_serde(config, "default.key.serde")
        self.value_serde = default_serde(config, "default.value.serde")
        self.nodes: dict[str, Node] = {}
        self.stores: dict[str, Any] = {}
        #: store name -> (store, restore callback, logged)
        self.registered: dict[str, tuple[Any, Callable[..., None], bool]] = {}
        self.stream_punctuations = PunctuationQueue()
        self.wall_punctuations = PunctuationQueue()
        self.partition_group = PartitionGroup()
        self.commit_requested = False
        self.commit_needed = False
        #: records processed, and records dropped (skipped by a handler, or a negative extracted timestamp):
        #: plain counters the metrics read (see _engine/metrics.py)
        self.processed = 0
        self.dropped = 0
        #: changelog records restored, and per store those left to restore (set by the restoring code)
        self.restored = 0
        self.restore_remaining: dict[str, int] = {}
        self.created_ms = clock.milliseconds()
        self._lag: Callable[[TopicPartition], int | None] | None = None
        self._max_idle = 0
        self._idle_since = -1
        self._build_nodes(node_names)
        #: node name -> records it processed, only at metrics.recording.level DEBUG (as Kafka's node metrics)
        self.node_counts = count_node_records(self.nodes, config)
        for tp in partitions:
            self.add_partition(tp)

    # ------------------------------------------------------------------ construction
    def _build_nodes(self, node_names: Sequence[str]) -> None:
        ctx = self.ctx
        handler = ctx.processing_handler
        for name in node_names:
            spec = self.topology.nodes[name]
            node: Node
            if isinstance(spec, SourceDef):
                node = SourceNode(
                    name,
                    ctx,
                    spec.key_deserializer or self.key_serde,
                    spec.value_deserializer or self.value_serde,
                    spec.timestamp_extractor,
                    spec.offset_reset,
                )
            elif isinstance(spec, ProcessorDef):
                processor = spec.supplier()
                if not callable(getattr(processor, "process", None)):
                    raise TopologyError(
                        f"the supplier of processor {name} returned {processor!r}, which has no process(record)"
                    )
                # a FixedKeyProcessor gets FixedKeyRecords however it was added (Kafka's types allow no other way)
                fixed_key = spec.fixed_key or isinstance(processor, FixedKeyProcessor)
                node = ProcessorNode(name, ctx, processor, fixed_key, handler)
                node.stores = frozenset(spec.stores)
                for store_name in spec.stores:
                    if store_name not in self.stores and store_name not in self.global_stores:
                        self.stores[store_name] = self.topology.stores[store_name].builder.build()
            elif isinstance(spec, SinkDef):
                node = SinkNode(
                    name,
                    ctx,
                    spec.topic,
                    spec.extractor,
                    spec.key_serializer or self.key_serde,
                    spec.value_serializer or self.value_serde,
                    spec.partitioner,
                )
            else:  # pragma: no cover - the builder makes only these
                raise TopologyError(f"unknown node kind for {name}")
            self.nodes[name] = node
        for name, node in self.nodes.items():
            for child in self.topology.nodes[name].successors:
                child_node = self.nodes.get(child)
                if child_node is not None:
                    node.add_child(child_node)

    def add_partition(self, tp: TopicPartition) -> None:
        """Start reading ``tp`` (its topic must be read by a source of this task)."""
        if tp in self.partition_group.queues:
            return
        spec = self.topology.source_for_topic(tp.topic)
        source = self.nodes.get(spec.name) if spec is not None else None
        if not isinstance(source, SourceNode):
            raise TopologyError(f"task {self.task_id} has no source reading topic {tp.topic!r}")
        self.partition_group.add_queue(RecordQueue(tp, source, self._decoder(source)))

    def _decoder(self, source: SourceNode) -> Callable[[ConsumerRecord, int], Record | None]:
        kd = source.key_deserializer
        vd = source.value_deserializer
        extractor = source.timestamp_extractor
        extract = getattr(extractor, "extract", extractor)
        unchecked = Record._unchecked

        def decode(raw: ConsumerRecord, partition_time: int) -> Record | None:
            try:
                key = kd.deserialize(raw.topic, raw.key)
                value = vd.deserialize(raw.topic, raw.value)
            except Exception as e:
                return self._deserialization_failed(source, raw, e)
            ts = raw.timestamp
            if extract is not None:
                try:
                    ts = extract(ConsumerRecord(raw.topic, raw.partition, raw.offset, ts, key, value, raw.headers),
                                 partition_time)
                except Exception as e:  # Kafka: fatal, whatever the deserialization handler says
                    raise ProcessingError(
                        f"Fatal user code error in TimestampExtractor callback for the record at topic {raw.topic} "
                        f"partition {raw.partition} offset {raw.offset} (source {source.name}, task {self.task_id})"
                        f": {e!r}",
                        task_id=self.task_id, node=source.name, topic=raw.topic, partition=raw.partition,
                        offset=raw.offset,
                    ) from e
                if ts < 0:  # an extractor's way to drop a record (LogAndSkipOnInvalidTimestamp)
                    log.warning(
                        "Skipping record due to negative extracted timestamp. topic=[%s] partition=[%s] offset=[%s] "
                        "extractedTimestamp=[%s] extractor=[%s]",
                        raw.topic, raw.partition, raw.offset, ts, type(extractor).__name__,
                    )
                    self.dropped += 1
                    return None
            elif ts < 0:  # the default extractor fails on invalid timestamps (Kafka's FailOnInvalidTimestamp)
                raise ProcessingError(
                    f"Input record at topic {raw.topic} partition {raw.partition} offset {raw.offset} has invalid "
                    f"(negative) timestamp {ts}; set a timestamp_extractor on the source to drop or repair such "
                    f"records",
                    task_id=self.task_id, node=source.name, topic=raw.topic, partition=raw.partition,
                    offset=raw.offset,
                )
            return unchecked(key, value, ts, raw.headers)

        return decode

    def _deserialization_failed(self, source: SourceNode, raw: ConsumerRecord, error: Exception) -> Record | None:
        ectx = ErrorContext(raw.topic, raw.partition, raw.offset, raw.headers, source.name, self.task_id, raw.timestamp)
        dlq = self.ctx.dead_letter_topic
        if dlq:
            send_dead_letter(self.collector, dlq, ectx, error, raw)
        if self._deser_handler(ectx, error) == CONTINUE:
            self.dropped += 1
            return None
        raise DeserializationError(
            f"Deserialization exception handler is set to fail upon a deserialization error. Could not "
            f"deserialize the record at topic {raw.topic}, partition {raw.partition}, offset {raw.offset} "
            f"(source {source.name}, task {self.task_id}): {error!r}",
            topic=raw.topic,
            partition=raw.partition,
            offset=raw.offset,
        ) from error

    # ------------------------------------------------------------------ lifecycle
    def transition(self, new: TaskState) -> None:
        """Move to ``new`` or raise StreamsStateError."""
        if new not in _TRANSITIONS[self.state]:
            raise StreamsStateError(f"task {self.task_id}: invalid transition from {self.state.name} to {new.name}")
        self.state = new

    def initialize_stores(self) -> None:
        """Open every store (they register themselves and their restore callbacks)."""
        store_ctx = StoreContextImpl(self, self.key_serde, self.value_serde)
        for store in self.stores.values():
            store.init(store_ctx, store)
        self.transition(TaskState.RESTORING)

    def register_store(
        self, store: Any, restore: Callable[..., None], logged: bool
    ) -> None:
        """Called by a store from its ``init``."""
        self.registered[store.name] = (store, restore, logged)

    def changelog_topic(self, store_name: str) -> str:
        """Kafka's changelog topic name for a store of this application."""
        return changelog_topic(self.application_id, store_name)

    def logged_stores(self) -> dict[str, str]:
        """Store name → changelog topic, for the stores that have one."""
        return {name: self.changelog_topic(name) for name, (_, _, logged) in self.registered.items() if logged}

    def initialize_processors(self) -> None:
        """Run every processor's ``init`` (in topology order); the task is then RUNNING."""
        ctx = self.ctx
        ctx.topic, ctx.partition, ctx.offset, ctx.raw = None, -1, -1, None
        try:
            for node in self.nodes.values():
                ctx.current_node = node
                node.init()
        finally:
            ctx.current_node = None
        self.transition(TaskState.RUNNING)

    def initialize(self) -> None:
        """Stores then processors (no restoration: the test driver's way)."""
        self.initialize_stores()
        self.initialize_processors()

    def close(self) -> None:
        """Close processors, then stores."""
        if self.state is TaskState.CLOSED:
            return
        errors: list[BaseException] = []
        if self.state is TaskState.RUNNING:
            for node in self.nodes.values():
                try:
                    node.close()
                except Exception as e:  # keep closing the rest; raise the first below
                    errors.append(e)
        for store in self.stores.values():
            try:
                store.close()
            except Exception as e:
                errors.append(e)
        self.partition_group.clear()
        self.state = TaskState.CLOSED
        if errors:
            raise errors[0]

    def suspend(self) -> None:
        """Kafka's suspend: close the processors, drop buffered records and schedules, keep the stores."""
        if self.state is TaskState.SUSPENDED:
            return
        try:
            if self.state is TaskState.RUNNING:
                for node in self.nodes.values():
                    node.close()
        finally:
            self.partition_group.clear()
            self.stream_punctuations = PunctuationQueue()
            self.wall_punctuations = PunctuationQueue()
            self.transition(TaskState.SUSPENDED)

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        """Take a suspended task back (its stores are current: no restoration) and start its processors again."""
        for tp in partitions:
            self.add_partition(tp)
        self.transition(TaskState.RESTORING)
        self.initialize_processors()

    def partition_times(self) -> dict[TopicPartition, int]:
        """Each partition's time (largest timestamp processed), for the committed offsets' metadata."""
        return {tp: q.partition_time for tp, q in self.partition_group.queues.items() if q.partition_time >= 0}

    def initialize_time(self, times: Mapping[TopicPartition, int]) -> None:
        """Seed partition times and stream time from committed metadata (Kafka's initializeTaskTime)."""
        group = self.partition_group
        for tp, t in times.items():
            queue = group.queues.get(tp)
            if queue is not None and t > queue.partition_time:
                queue.partition_time = t
            if t > group.stream_time:
                group.stream_time = t

    def set_lag_source(self, lag: Callable[[TopicPartition], int | None], max_idle_ms: int) -> None:
        """Make processing wait, as Kafka's PartitionGroup.readyToProcess does, while an empty partition of this
        task still has records on the broker (``lag`` > 0 or unknown), and then up to ``max_idle_ms``."""
        self._lag = lag
        self._max_idle = max_idle_ms

    def _ready(self) -> bool:
        """False while some empty partition may still get records that should be processed first."""
        queues = self.partition_group.queues
        if len(queues) < 2 or self._lag is None or self._max_idle < 0:
            return True
        empty = [tp for tp, q in queues.items() if q.head is None]
        if not empty:
            self._idle_since = -1
            return True
        if len(empty) == len(queues):
            return False
        for tp in empty:
            lag = self._lag(tp)
            if lag is None or lag > 0:  # must wait to poll the data known to be on the broker
                return False
        now = self.clock.milliseconds()
        if self._idle_since < 0:
            self._idle_since = now
        return now - self._idle_since >= self._max_idle

    # ------------------------------------------------------------------ processing
    @property
    def stream_time(self) -> int:
        """The largest timestamp processed so far (-1 while unknown)."""
        return self.partition_group.stream_time

    def add_record(self, tp: TopicPartition, raw: ConsumerRecord) -> None:
        """Buffer one raw record read from ``tp``."""
        self.partition_group.queues[tp].add_one(raw)

    def add_records(self, tp: TopicPartition, raws: Iterable[ConsumerRecord]) -> None:
        """Buffer raw records read from ``tp``."""
        self.partition_group.add_records(tp, raws)

    def has_records_queued(self) -> bool:
        """True when some partition has a record ready."""
        return any(q.head is not None for q in self.partition_group.queues.values())

    def process(self) -> bool:
        """Process the next record (lowest timestamp first); False when none is buffered or the task must wait
        for records of an empty partition (see :meth:`set_lag_source`)."""
        if self._lag is not None and not self._ready():
            return False
        nxt = self.partition_group.next_record()
        if nxt is None:
            return False
        queue, record, raw = nxt
        ctx = self.ctx
        # tuples underneath: raw = (topic, partition, offset, ...), record = (key, value, timestamp, headers)
        ctx.topic, ctx.partition, ctx.offset = raw[0], raw[1], raw[2]
        ctx.timestamp, ctx.headers, ctx.raw = record[2], record[3], raw
        ctx.current_node = queue.source  # type: ignore[assignment]
        try:
            ctx.forward(record)
        finally:
            ctx.current_node = None
        # records a handler skipped behind this one are handled too, now that this one is
        skipped_to = queue.skipped_to
        offset = raw[2]
        queue.committable = skipped_to if skipped_to > offset else offset + 1
        self.commit_needed = True
        self.processed += 1
        return True

    def schedule(self, node: Node, interval: int, kind: PunctuationType, callback: Callable[[int], None]) -> Any:
        """Register a punctuation for ``node`` (see ProcessorContext.schedule)."""
        if kind is PunctuationType.STREAM_TIME:
            # aligned to 0: fires as soon as stream time is known
            return self.stream_punctuations.schedule(PunctuationSchedule(node, 0, interval, callback))
        start = self.clock.milliseconds() + interval
        return self.wall_punctuations.schedule(PunctuationSchedule(node, start, interval, callback))

    def _fire(self, sched: PunctuationSchedule, now: int) -> None:
        ctx = self.ctx
        ctx.topic, ctx.partition, ctx.offset, ctx.raw = None, -1, -1, None
        ctx.timestamp = now
        ctx.headers = EMPTY_HEADERS
        node: Node = sched.node
        ctx.current_node = node
        try:
            sched.callback(now)
        except (ProcessingError, DeserializationError, StreamsStateError):
            raise
        except Exception as e:
            ctx.processing_failed(node, Record(None, None, max(now, 0)), e)
        finally:
            ctx.current_node = None
        self.commit_needed = True

    def maybe_punctuate_stream_time(self) -> bool:
        """Fire the stream-time punctuations that are due; True when any fired."""
        queue = self.stream_punctuations
        st = self.partition_group.stream_time
        if st == UNKNOWN or not queue:
            return False
        return queue.may_punctuate(st, self._fire)

    def maybe_punctuate_system_time(self) -> bool:
        """Fire the wall-clock punctuations that are due; True when any fired."""
        return self.wall_punctuations.may_punctuate(self.clock.milliseconds(), self._fire)

    def flush(self) -> None:
        """Flush stores and the producer (what a commit does before offsets are committed)."""
        if self.state is TaskState.CLOSED:
            raise StreamsStateError(f"Illegal state CLOSED while preparing active task {self.task_id} for committing")
        for store in self.stores.values():
            store.flush()
        self.collector.flush()
        self.commit_requested = False
        self.commit_needed = False

    def prepare_commit(self) -> dict[TopicPartition, int]:
        """Flush stores and the producer; return the offsets that may now be committed (next to read)."""
        self.flush()
        return {tp: q.committable for tp, q in self.partition_group.queues.items() if q.committable is not None}

    def __repr__(self) -> str:
        return f"<StreamTask {self.task_id} {self.state.name}>"
