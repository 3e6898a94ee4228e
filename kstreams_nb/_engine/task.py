"""StreamTask: one sub-topology × one partition, with its nodes, stores, record queues and punctuations.

Written once for both the TopologyTestDriver and the runtime: whoever drives a task feeds it raw records
(``add_records``), calls ``process`` / ``maybe_punctuate_*`` and commits what ``prepare_commit`` returns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kstreams_nb._engine.collector import RecordCollector, RecordWriter
from kstreams_nb._engine.context import ProcessorContextImpl, StoreContextImpl
from kstreams_nb._engine.fusion import fuse_chains
from kstreams_nb._engine.handlers import resolve_handler
from kstreams_nb._engine.metrics import count_node_records
from kstreams_nb._engine.nodes import _PASS_THROUGH, Node, ProcessorNode, SinkNode, SourceNode
from kstreams_nb._engine.partition_group import UNKNOWN, PartitionGroup, RecordQueue
from kstreams_nb._engine.processor_topology import (
    ProcessorDef,
    ProcessorTopology,
    SinkDef,
    SourceDef,
    changelog_topic,
)
from kstreams_nb._engine.punctuation import PunctuationQueue, PunctuationSchedule
from kstreams_nb._engine.source_decoder import SourceDecoder
from kstreams_nb._time import Clock
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import DeserializationError, ProcessingError, StreamsStateError, TopologyError
from kstreams_nb.processor import FixedKeyProcessor, PunctuationType
from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, Record, TaskId, TopicPartition
from kstreams_nb.serdes import Serdes, serde_by_name

if TYPE_CHECKING:
    from kstreams_nb.state.cache import ThreadCache

__all__ = ["StreamTask", "TaskState", "default_serde"]

class TaskState(enum.Enum):
    """Kafka's Task.State."""

    CREATED = "CREATED"
    RESTORING = "RESTORING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


#: read on every commit (an enum member read through its class costs about 0.1 µs)
_CLOSED = TaskState.CLOSED

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
        config: StreamsConfig,
        producer: RecordWriter,
        clock: Clock,
        *,
        global_stores: Mapping[str, Any] | None = None,
        cache: ThreadCache | None = None,
    ) -> None:
        self.task_id = task_id
        #: the thread's record cache, shared by its tasks (None: no store caches)
        self.cache = cache if cache is not None and cache.max_bytes > 0 else None
        self._cache_prefix = f"{task_id}-"
        self.topology = topology
        self.application_id = application_id = topology.application_id
        self.config = config
        self.clock = clock
        self.state = TaskState.CREATED
        self.global_stores: Mapping[str, Any] = global_stores or {}
        #: store name -> its changelog topic, as log_change needs it
        self.changelog_topics: dict[str, str] = {}
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
        #: source node name -> its SourceDecoder
        self.decoders: dict[str, SourceDecoder] = {}
        self.stores: dict[str, Any] = {}
        #: store name -> (store, restore callback, logged)
        self.registered: dict[str, tuple[Any, Callable[..., None], bool]] = {}
        self.stream_punctuations = PunctuationQueue()
        self.wall_punctuations = PunctuationQueue()
        self.partition_group = PartitionGroup()
        self.commit_requested = False
        self.commit_needed = False
        #: stateless chains are fused before the first record (:meth:`process_batch`), after whatever instruments
        #: the nodes has done so: an instrumented node is never fused
        self._fused = False
        #: the stores that are not persistent (what ``flush(persistent=False)`` flushes), listed at the first flush
        self._volatile_stores: list[Any] | None = None
        #: records processed, and records dropped (skipped by a handler, or a negative extracted timestamp):
        #: plain counters the metrics read (see _engine/metrics.py)
        self.processed = 0
        self.dropped = 0
        #: changelog records restored, and per store those left to restore (set by the restoring code)
        self.restored = 0
        self.restore_remaining: dict[str, int] = {}
        self.created_ms = clock.milliseconds()
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
                    spec.cluster,
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
        queue = RecordQueue(tp, source, self._decoder(source))
        if self._fused:  # else the first process_batch does it
            queue.set_only_child()
        self.partition_group.add_queue(queue)

    def _decoder(self, source: SourceNode) -> Callable[[ConsumerRecord, int], Record | None]:
        """The decode function of ``source`` (its SourceDecoder is built once per task)."""
        decoder = self.decoders.get(source.name)
        if decoder is None:
            decoder = self.decoders[source.name] = SourceDecoder(self, source)
        return decoder.decode

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
        self.partition_group.set_lag_source(lag, max_idle_ms, self.clock)

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

    def process_batch(self, limit: int) -> int:
        """Process up to ``limit`` records, each exactly as :meth:`process` followed by
        :meth:`maybe_punctuate_stream_time` would; returns how many were processed (0 when none is buffered or
        the task must wait, see :meth:`set_lag_source`).

        The loop is :meth:`process` inlined: the lowest-timestamp head is popped, and the next one is decoded in
        place once the popped one is processed (an undecodable next record fails after it, as when records come
        one at a time), stream-time punctuations are looked at only when stream time reaches the queue's ``due`` time,
        and readiness is checked again only when a partition's queue runs empty (only then can it change)."""
        if not self._fused:
            fuse_chains(self.nodes.values(), self.ctx)
            for q in self.partition_group.queues.values():  # children are final now, as for fusion
                q.set_only_child()
            self._fused = True
        group = self.partition_group
        lag = group.lag
        if lag is not None and not group.ready():
            return 0
        order = group._order
        single = order[0] if len(order) == 1 else None
        ctx = self.ctx
        forward = ctx.forward
        puncts = self.stream_punctuations
        n = 0
        try:
            while n < limit:
                if single is not None:
                    best = single if single.head is not None else None
                else:
                    best = None
                    best_ts = 0
                    for q in order:
                        h = q.head
                        if h is not None and (best is None or h[2] < best_ts):
                            best, best_ts = q, h[2]
                if best is None:
                    break
                record, raw = best.head, best.head_raw
                assert record is not None and raw is not None
                best.head = best.head_raw = None
                ts = record[2]  # Record is a tuple: (key, value, timestamp, headers)
                if ts > best.partition_time:
                    best.partition_time = ts
                if ts > group.stream_time:
                    group.stream_time = ts
                # raw = (topic, partition, offset, ...)
                ctx.topic, ctx.partition, offset = raw[0], raw[1], raw[2]
                ctx.offset, ctx.timestamp, ctx.headers, ctx.raw = offset, ts, record[3], raw
                child = best.only_child
                if child is not None:  # forward() inlined for a source's only child
                    ctx.current_node = child
                    try:
                        child.run(record)
                    except _PASS_THROUGH:
                        raise
                    except Exception as e:
                        ctx.processing_failed(child, record, e)
                    finally:
                        ctx.current_node = None
                else:
                    ctx.current_node = best.source  # type: ignore[assignment]
                    try:
                        forward(record)
                    finally:
                        ctx.current_node = None
                skipped_to = best.skipped_to
                best.committable = skipped_to if skipped_to > offset else offset + 1
                n += 1
                fifo = best._fifo
                if fifo:  # decode the next head (RecordQueue._update_head, inlined)
                    decode = best._decode
                    while fifo:
                        nxt_raw = fifo.popleft()
                        nxt = decode(nxt_raw, best.partition_time)
                        if nxt is None:  # skipped by a handler: handled, as this record is
                            best.committable = nxt_raw[2] + 1
                            continue
                        best.head, best.head_raw = nxt, nxt_raw
                        break
                if group.stream_time >= puncts.due:
                    self.maybe_punctuate_stream_time()
                    puncts = self.stream_punctuations
                if lag is not None and best.head is None and not group.ready():
                    break
        finally:
            if n:
                self.processed += n
                self.commit_needed = True
        return n

    def process(self) -> bool:
        """Process the next record (lowest timestamp first); False when none is buffered or the task must wait
        for records of an empty partition (see :meth:`set_lag_source`)."""
        group = self.partition_group
        if group.lag is not None and not group.ready():
            return False
        nxt = group.next_record()
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

    def flush(self, persistent: bool = True) -> None:
        """Flush stores and the producer (what a commit does before offsets are committed). ``persistent=False``
        leaves persistent stores unsynced: the TopologyTestDriver commits after every record and writes no
        checkpoint, so making their writes durable each time would only cost (about 0.15 ms a store)."""
        if self.state is _CLOSED:
            raise StreamsStateError(f"Illegal state CLOSED while preparing active task {self.task_id} for committing")
        if self.cache is not None:  # as Kafka's commit: caches first (they forward and write), then stores
            self.cache.flush_prefix(self._cache_prefix)
        stores: Iterable[Any]
        if persistent:
            stores = self.stores.values()
        else:
            volatile = self._volatile_stores
            if volatile is None:  # the task's stores are known once it is built
                volatile = self._volatile_stores = [s for s in self.stores.values() if not s.persistent]
            stores = volatile
        for store in stores:
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
