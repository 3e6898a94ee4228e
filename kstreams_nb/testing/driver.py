"""TopologyTestDriver: run a topology synchronously, with no broker, one record at a time.

It behaves as Kafka's driver does: every topic has one partition; all sub-topologies run in one task
(``0_0``); each piped record is processed at once, followed by stream-time punctuation and a commit;
wall-clock punctuation fires only in :meth:`TopologyTestDriver.advance_wall_clock_time`; records written to
internal (repartition) topics or to topics the topology reads are fed back in.

Example::

    >>> from kstreams_nb import Topology
    >>> t = Topology().add_source("src", "in").add_sink("sink", "out", "src")
    >>> with TopologyTestDriver(t) as driver:
    ...     driver.create_input_topic("in").pipe_input("k", "v", 5)
    ...     driver.create_output_topic("out").read_key_value()
    ('k', 'v')
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections import defaultdict, deque
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from kstreams_nb._engine.metrics import MetricName, StreamsMetrics, ThreadMetrics
from kstreams_nb._engine.nodes import SinkNode
from kstreams_nb._engine.processor_topology import compile_topology
from kstreams_nb._engine.task import StreamTask, default_serde
from kstreams_nb._time import ManualClock, to_millis
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import StreamsStateError, TopologyError, UnknownStateStoreError
from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, Headers, TaskId, TopicPartition
from kstreams_nb.state import read_only_view
from kstreams_nb.state.cache import ThreadCache
from kstreams_nb.state.directory import clean_up_application
from kstreams_nb.state.metered import MeteredTimestampedKeyValueStore
from kstreams_nb.state.metered_window import MeteredTimestampedWindowStore
from kstreams_nb.testing.facades import KeyValueStoreFacade, WindowStoreFacade
from kstreams_nb.testing.topics import TestInputTopic, TestOutputTopic

__all__ = ["TopologyTestDriver"]

DEFAULT_APPLICATION_ID = "topology-test-driver"
_new = tuple.__new__
_WINDOWED_EMIT_INTERVAL = "__emit.interval.ms.kstreams.windowed.aggregation__"
_OUTER_JOIN_EMIT_INTERVAL = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"


class _CaptureProducer:
    """Collects what the task produces, in order."""

    def __init__(self) -> None:
        self.history: list[ConsumerRecord] = []

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.history.append(_new(ConsumerRecord, (topic, partition or 0, -1, timestamp or 0, key, value,
                                                   EMPTY_HEADERS if headers is None else headers)))

    def partitions_for(self, topic: str) -> int:
        return 1

    # no flush(): everything is captured at once, so the record collector has nothing to wait for


class TopologyTestDriver:
    """Drive a topology by hand (Kafka's ``TopologyTestDriver``); use it as a context manager."""

    def __init__(
        self,
        topology: Any,
        config: Mapping[str, Any] | None = None,
        initial_wall_clock_ms: int | timedelta = 0,
    ) -> None:
        builder = getattr(topology, "internal_builder", None)
        if builder is None:
            build = getattr(topology, "build", None)
            if build is None:
                raise TopologyError(f"expected a Topology (or a StreamsBuilder), got {type(topology).__name__}")
            builder = build().internal_builder
        if builder.nodes:  # Kafka's driver accepts an empty Topology (every pipe is then an unknown topic)
            builder.validate()
        props = dict(config or {})
        props.setdefault("application.id", DEFAULT_APPLICATION_ID)
        self.config = config if isinstance(config, StreamsConfig) and config.application_id else StreamsConfig(props)
        if _WINDOWED_EMIT_INTERVAL not in self.config:
            # as Kafka's driver: windowed aggregations emitting on window close are not throttled by wall-clock time
            self.config = self.config.with_overrides({_WINDOWED_EMIT_INTERVAL: 0})
        if _OUTER_JOIN_EMIT_INTERVAL not in self.config:
            # as Kafka's driver: left/outer stream-stream joins sweep their outer store on every record
            self.config = self.config.with_overrides({_OUTER_JOIN_EMIT_INTERVAL: 0})
        self.application_id: str = self.config["application.id"]
        #: without a ``state.dir``, persistent stores live in a directory of this driver's own (removed on
        #: close), so drivers in other processes (two notebook kernels, parallel test workers) never contend for
        #: the lock of one shared ``<tmp>/kafka-streams/<application.id>/0_0``
        self._own_state_dir: str | None = None
        if not self.config.get("state.dir"):
            self._own_state_dir = tempfile.mkdtemp(prefix="kstreams_nb-driver-")
            # removed on close, or when a driver never closed (a notebook cell re-run, a failed constructor) is
            # collected or the interpreter exits
            self._remove_own_state_dir = weakref.finalize(self, shutil.rmtree, self._own_state_dir, True)
            self.config = self.config.with_overrides({"state.dir": self._own_state_dir})
        #: compiled once: tasks never see later edits of ``topology``
        self._compiled = compiled = compile_topology(builder, self.application_id)
        self._clock = ManualClock(to_millis(initial_wall_clock_ms, "initial_wall_clock_ms"))
        self._producer = _CaptureProducer()
        self._outputs: dict[str, deque[ConsumerRecord]] = defaultdict(deque)
        self._produced: dict[str, None] = {}  # an ordered set
        self._offsets: dict[str, int] = defaultdict(int)
        self._routes: dict[str, tuple[TopicPartition | None, bool]] = {}
        self._feeds_back: dict[str, bool] = {}
        self._batchable: bool | None = None  # see _can_batch
        #: records of the last _pipe_many that were not piped because an earlier one failed
        self._not_piped = 0
        self._closed = False
        self._metrics = StreamsMetrics(self._clock, self.config)
        self._thread_metrics = ThreadMetrics(self._clock)
        self.key_serde = default_serde(self.config, "default.key.serde")
        self.value_serde = default_serde(self.config, "default.value.serde")

        global_nodes = compiled.global_nodes
        self._global_topics = set(compiled.global_topics.values())
        self._global_task: StreamTask | None = None
        if self._global_topics:
            names = [n for n in compiled.nodes if n in global_nodes]
            self._global_task = StreamTask(
                TaskId(-1, -1),
                compiled,
                names,
                [TopicPartition(t, 0) for t in sorted(self._global_topics)],
                self.config,
                self._producer,
                self._clock,
            )
            self._global_task.initialize()
        main_nodes = [n for n in compiled.nodes if n not in global_nodes]
        self._task: StreamTask | None = None
        if main_nodes:
            self._task = StreamTask(
                TaskId(0, 0),
                compiled,
                main_nodes,
                [],
                self.config,
                self._producer,
                self._clock,
                cache=ThreadCache(int(self.config.get("statestore.cache.max.bytes", 0))),
                global_stores=(  # what processors see of global stores: read-only views, as in Kafka
                    {n: read_only_view(st, nullcontext()) for n, st in self._global_task.stores.items()}
                    if self._global_task
                    else None
                ),
            )
            for sub in compiled.subtopologies:
                for t in sub.source_topics:
                    self._task.add_partition(TopicPartition(t, 0))
            self._task.initialize()
        self._capture_outputs()

    # ------------------------------------------------------------------ topics
    def create_input_topic(
        self,
        name: str,
        key_serde: Any = None,
        value_serde: Any = None,
        start_timestamp_ms: int = 0,
        auto_advance_ms: int | timedelta = 0,
    ) -> TestInputTopic:
        """An input topic to pipe records into (JSON serdes unless given or configured)."""
        return TestInputTopic(
            self,
            name,
            key_serde or self.key_serde,
            value_serde or self.value_serde,
            to_millis(start_timestamp_ms, "start_timestamp_ms"),
            to_millis(auto_advance_ms, "auto_advance_ms"),
        )

    def create_output_topic(self, name: str, key_serde: Any = None, value_serde: Any = None) -> TestOutputTopic:
        """An output topic to read what the topology wrote."""
        return TestOutputTopic(self, name, key_serde or self.key_serde, value_serde or self.value_serde)

    def produced_topic_names(self) -> set[str]:
        """Every topic the topology has written to so far (internal topics included)."""
        return set(self._produced)

    # ------------------------------------------------------------------ time
    def advance_wall_clock_time(self, advance: int | timedelta) -> None:
        """Move the wall clock forward and fire wall-clock punctuations that are due."""
        self._check_open()
        self._clock.advance(to_millis(advance, "advance"))
        if self._task is not None:
            self._task.maybe_punctuate_system_time()
            self._task.flush()
        self._complete_all_processable_work()

    @property
    def wall_clock_ms(self) -> int:
        """The driver's current wall-clock time."""
        return self._clock.milliseconds()

    # ------------------------------------------------------------------ stores
    def get_all_state_stores(self) -> dict[str, Any]:
        """Every store of the topology by name (global ones included)."""
        out: dict[str, Any] = {}
        if self._global_task is not None:
            out.update(self._global_task.stores)
        if self._task is not None:
            out.update(self._task.stores)
        return out

    def get_state_store(self, name: str) -> Any:
        """The store ``name`` (raises UnknownStateStoreError when there is none)."""
        stores = self.get_all_state_stores()
        try:
            return stores[name]
        except KeyError:
            raise UnknownStateStoreError(f"no state store named {name!r}; stores: {sorted(stores)}") from None

    def get_key_value_store(self, name: str) -> Any:
        """The key-value store ``name``; a timestamped one is seen with plain values (Kafka's facade)."""
        store = self.get_timestamped_key_value_store(name)
        return KeyValueStoreFacade(store) if isinstance(store, MeteredTimestampedKeyValueStore) else store

    def get_timestamped_key_value_store(self, name: str) -> Any:
        """The key-value store ``name`` as it is (values of timestamped stores are ValueAndTimestamp)."""
        store = self.get_state_store(name)
        if not (hasattr(store, "put") and hasattr(store, "range")) or hasattr(store, "fetch"):
            raise UnknownStateStoreError(f"state store {name!r} is not a key-value store ({type(store).__name__})")
        return store

    def get_window_store(self, name: str) -> Any:
        """The window store ``name``; a timestamped one is seen with plain values (Kafka's facade)."""
        store = self.get_timestamped_window_store(name)
        return WindowStoreFacade(store) if isinstance(store, MeteredTimestampedWindowStore) else store

    def get_timestamped_window_store(self, name: str) -> Any:
        """The window store ``name`` as it is."""
        store = self.get_state_store(name)
        if not hasattr(store, "fetch"):
            raise UnknownStateStoreError(f"state store {name!r} is not a window store ({type(store).__name__})")
        return store

    def get_session_store(self, name: str) -> Any:
        """The session store ``name`` (Kafka's ``getSessionStore``): ``fetch(key)`` gives its sessions."""
        store = self.get_state_store(name)
        if not hasattr(store, "find_sessions"):
            raise UnknownStateStoreError(f"state store {name!r} is not a session store ({type(store).__name__})")
        return store

    # ------------------------------------------------------------------ metrics
    def metrics(self) -> dict[MetricName, float]:
        """Kafka's metric names and values for the driver's task ``0_0`` (Kafka's ``TopologyTestDriver.metrics``):
        "stream-task-metrics" ``process-total`` and ``dropped-records-total`` (records dropped for a null key or
        value, an expired window, a handler's skip) with their rates, and the thread's own.

        Example: ``driver.metrics()[MetricName("dropped-records-total", "stream-task-metrics", {"thread-id":
        threading.current_thread().name, "task-id": "0_0"})]``.
        """
        tasks = {} if self._task is None else {self._task.task_id: self._task}
        thread = SimpleNamespace(
            name=threading.current_thread().name,
            metrics=self._thread_metrics,
            tasks=SimpleNamespace(tasks=tasks),
            is_alive=lambda: True,
        )
        return self._metrics.read(self.application_id, [thread])

    # ------------------------------------------------------------------ engine side
    def _check_open(self) -> None:
        if self._closed:
            raise StreamsStateError("the TopologyTestDriver is closed")

    def _pipe(
        self,
        topic: str,
        timestamp: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        *,
        process_now: bool = True,
    ) -> None:
        self._check_open()
        route = self._routes.get(topic)
        if route is None:
            route = self._routes[topic] = self._route(topic)
        main_tp, is_global = route
        task = self._task
        offset = self._offsets[topic]
        self._offsets[topic] = offset + 1
        raw = _new(ConsumerRecord, (topic, 0, offset, timestamp, key, value, headers or EMPTY_HEADERS))
        if main_tp is not None and task is not None:
            task.add_record(main_tp, raw)
            if process_now:
                self._complete_all_processable_work()
        if is_global and self._global_task is not None:
            gt = self._global_task
            gt.add_records(TopicPartition(topic, 0), (raw,))
            while gt.process():
                pass
            gt.prepare_commit()

    def _pipe_many(self, topic: str, records: list[tuple[int, bytes | None, bytes | None, Headers]]) -> None:
        """Pipe ``(timestamp, key, value, headers)`` records in order, each exactly as :meth:`_pipe` would; when one
        fails, the ones after it are not piped (``_not_piped`` says how many) and the error is raised.

        Where per-record commits change nothing (no state stores, hence no cache; every sink writes a fixed topic
        that no source reads back), the records are queued at once and processed in one batch (stream-time
        punctuation still follows each record), and the outputs are captured at the end; when a record fails,
        what it sent before failing is captured with the outputs of the records before it (one by one, it would
        be captured by the next pipe)."""
        self._check_open()
        self._not_piped = 0
        route = self._routes.get(topic)
        if route is None:
            route = self._routes[topic] = self._route(topic)
        main_tp, is_global = route
        task = self._task
        if main_tp is None or task is None or is_global or not self._can_batch(task):
            for i, (ts, kb, vb, headers) in enumerate(records):
                self._not_piped = len(records) - i - 1
                self._pipe(topic, ts, kb, vb, headers)
            self._not_piped = 0
            return
        if self._producer.history:
            self._capture_outputs()
        offset = self._offsets[topic]
        raws = [_new(ConsumerRecord, (topic, 0, offset + i, ts, kb, vb, headers or EMPTY_HEADERS))
                for i, (ts, kb, vb, headers) in enumerate(records)]
        self._offsets[topic] = offset + len(raws)
        queue = task.partition_group.queues[main_tp]
        try:
            task.add_records(main_tp, raws)
            while task.process_batch(len(raws)):
                pass
        except BaseException:
            # the records after the failing one were never piped
            self._not_piped = queue.size()
            self._offsets[topic] -= self._not_piped
            queue.clear()
            self._capture_outputs()
            raise
        task.flush(persistent=False)
        self._capture_outputs()

    def _can_batch(self, task: StreamTask) -> bool:
        """Whether records of the main task may be processed as one batch (see :meth:`_pipe_many`)."""
        if self._batchable is None:
            sinks = [n for n in task.nodes.values() if isinstance(n, SinkNode)]
            self._batchable = not task.stores and all(
                s.topic is not None and s.topic not in self._global_topics
                and self._compiled.source_for_topic(s.topic) is None
                for s in sinks
            )
        return self._batchable

    def _route(self, topic: str) -> tuple[TopicPartition | None, bool]:
        """Where records piped to ``topic`` go: the main task's partition (if a source reads it), global or not."""
        task = self._task
        is_global = topic in self._global_topics
        main_tp: TopicPartition | None = None
        if not is_global and task is not None and self._compiled.source_for_topic(topic) is not None:
            main_tp = TopicPartition(topic, 0)
            task.add_partition(main_tp)
        if main_tp is None and not is_global:
            readable = sorted(
                {t for s in self._compiled.subtopologies for t in s.source_topics}
                | {p.pattern for s in self._compiled.subtopologies for p in s.source_patterns}
            )
            raise TopologyError(
                f"Unknown topic: {topic}; no source of the topology reads it (sources read: {readable})"
            )
        return main_tp, is_global

    def _complete_all_processable_work(self) -> None:
        producer = self._producer
        if producer.history:
            self._capture_outputs()
        task = self._task
        if task is None:
            return
        # Kafka's driver: process one record, punctuate on stream time, commit, capture outputs; until idle
        process, flush = task.process_batch, task.flush
        while process(1):
            flush(persistent=False)
            if producer.history:
                self._capture_outputs()

    def _capture_outputs(self) -> None:
        history = self._producer.history
        if not history:
            return
        produced = history
        self._producer.history = []
        task = self._task
        for rec in produced:
            self._produced.setdefault(rec.topic, None)
            self._outputs[rec.topic].append(rec)
            feeds_back = self._feeds_back.get(rec.topic)
            if feeds_back is None:
                feeds_back = self._feeds_back[rec.topic] = rec.topic in self._global_topics or (
                    task is not None and self._compiled.source_for_topic(rec.topic) is not None
                )
            if feeds_back:
                # Kafka's captureOutputsAndReEnqueueInternalResults: enqueue only (global topics are applied at
                # once); the caller's processing loop takes it, so outputs keep the order they were produced in
                self._pipe(rec.topic, rec.timestamp, rec.key, rec.value, rec.headers, process_now=False)

    def _read(self, topic: str) -> deque[ConsumerRecord]:
        return self._outputs[topic]

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close every processor and store; the driver cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        tasks = [task for task in (self._task, self._global_task) if task is not None]
        for task in tasks:
            task.close()
        if any(store.persistent for task in tasks for store in task.stores.values()):
            clean_up_application(self.config, self.application_id)  # as Kafka's driver: no state outlives it
        if self._own_state_dir is not None:
            self._remove_own_state_dir()

    def __enter__(self) -> TopologyTestDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TopologyTestDriver application.id={self.application_id!r} wall_clock={self.wall_clock_ms}>"
