"""The processor context of a task (what processors see) and the store context (what stores see)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kstreams_nb._engine.handlers import (
    CONTINUE,
    DLQ_TOPIC,
    ErrorContext,
    ErrorHandler,
    resolve_handler,
    send_dead_letter,
)
from kstreams_nb._engine.nodes import _PASS_THROUGH, Node
from kstreams_nb._engine.partition_metadata import ProcessorMetadata
from kstreams_nb._time import to_millis
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import ProcessingError, SerializationError, StreamsStateError, UnknownStateStoreError
from kstreams_nb.processor import Cancellable, PunctuationType
from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, Headers, Record, RecordMetadata, TaskId

if TYPE_CHECKING:
    from kstreams_nb._engine.collector import RecordCollector
    from kstreams_nb._engine.task import StreamTask

__all__ = ["ProcessorContextImpl", "StoreContextImpl"]

_NOT_CONNECTED = (
    "Processor {node} has no access to StateStore {store} as the store is not connected to the processor. "
    "If you add stores manually via 'add_state_store()' make sure to connect the added store to the processor "
    "by providing the processor name to 'add_state_store()' or connect them via "
    "'connect_processor_and_state_stores()'. DSL users need to provide the store name to 'process()' or "
    "'process_values()' to connect the store to the corresponding operator."
)


class ProcessorContextImpl:
    """The ProcessorContext of one task. The task sets the current record position before processing."""

    __slots__ = (
        "_task",
        "app_configs",
        "application_id",
        "collector",
        "current_node",
        "dead_letter_topic",
        "headers",
        "offset",
        "partition",
        "processing_handler",
        "processor_metadata",
        "production_handler",
        "raw",
        "task_id",
        "timestamp",
        "topic",
    )

    def __init__(
        self,
        task: StreamTask,
        application_id: str,
        task_id: TaskId,
        app_configs: StreamsConfig,
        collector: RecordCollector,
        processing_handler: ErrorHandler,
    ) -> None:
        self._task = task
        self.application_id = application_id
        self.task_id = task_id
        self.app_configs = app_configs
        self.collector = collector
        self.processing_handler = processing_handler
        self.current_node: Node | None = None
        self.topic: str | None = None
        self.partition = -1
        self.offset = -1
        self.timestamp = 0
        self.headers: Headers = EMPTY_HEADERS
        #: the source record being processed, as read (None during a punctuation): for dead letters
        self.raw: ConsumerRecord | None = None
        self.production_handler = resolve_handler(app_configs, "production.exception.handler")
        self.dead_letter_topic: str | None = app_configs.get(DLQ_TOPIC)
        #: committed with the task's offsets and merged back from them by a new task (Kafka's ProcessorMetadata)
        self.processor_metadata = ProcessorMetadata()

    # ---- what processors see
    @property
    def record_metadata(self) -> RecordMetadata | None:
        """Topic, partition and offset of the input record (None during punctuation)."""
        if self.topic is None:
            return None
        return RecordMetadata(self.topic, self.partition, self.offset)

    @property
    def current_stream_time_ms(self) -> int:
        """The task's stream time: the largest record timestamp processed so far."""
        return self._task.stream_time

    @property
    def current_system_time_ms(self) -> int:
        """The task's wall-clock time (a ManualClock under the test driver)."""
        return self._task.clock.milliseconds()

    def forward(self, record: Record, child_name: str | None = None) -> None:
        """Send ``record`` to every child, or only to ``child_name``."""
        node = self.current_node
        if node is None:
            raise StreamsStateError("forward() may only be called while processing or punctuating")
        if child_name is None:
            children = node.children
        else:
            child = node.children_by_name.get(child_name)
            if child is None:
                raise StreamsStateError(
                    f"Unknown downstream node: {child_name} either does not exist or is not connected to this "
                    f"processor ({node.name})."
                )
            children = [child]
        # as Kafka's ProcessorContextImpl.forward: downstream (sinks' record contexts, changelog writes) sees the
        # forwarded record's timestamp and headers (most records keep both, so only swap when they differ)
        timestamp, headers = self.timestamp, self.headers
        swap = record[2] != timestamp or record[3] is not headers
        if swap:
            self.timestamp, self.headers = record[2], record[3]
        try:
            for child in children:  # forward_to, inlined: this is the hot path
                self.current_node = child
                try:
                    child.run(record)
                except _PASS_THROUGH:
                    raise
                except Exception as e:
                    self.processing_failed(child, record, e)
        finally:
            self.current_node = node
            if swap:
                self.timestamp, self.headers = timestamp, headers

    def schedule(
        self, interval: int | timedelta, punctuation_type: PunctuationType, callback: Callable[[int], None]
    ) -> Cancellable:
        """Call ``callback(time)`` every ``interval`` of stream time or wall-clock time."""
        ms = to_millis(interval, "interval")
        if ms < 1:
            raise ValueError("The minimum supported scheduling interval is 1 millisecond.")
        if not isinstance(punctuation_type, PunctuationType):
            raise TypeError(f"punctuation_type must be a PunctuationType, got {punctuation_type!r}")
        if not callable(callback):
            raise TypeError("callback must be callable as callback(timestamp_ms)")
        node = self.current_node
        if node is None:
            raise StreamsStateError("schedule() may only be called from init, process or a punctuation")
        handle: Cancellable = self._task.schedule(node, ms, punctuation_type, callback)
        return handle

    def get_state_store(self, name: str) -> Any:
        """The store ``name``, which must be connected to the current processor (global stores always are)."""
        task = self._task
        store = task.global_stores.get(name)
        if store is not None:
            return store
        node = self.current_node
        if node is None:
            raise UnknownStateStoreError(
                f"state store {name!r} was asked for from an unknown node of task {self.task_id}: ask for stores "
                "in init, process or a punctuation"
            )
        # Kafka checks the connection first, so the message names the processor whether or not the task has the store
        if name not in node.stores:
            raise UnknownStateStoreError(_NOT_CONNECTED.format(node=node.name, store=name))
        return task.stores[name]

    def commit(self) -> None:
        """Ask for a commit as soon as possible."""
        self._task.commit_requested = True

    def add_processor_metadata_key_value(self, key: str, value: int) -> None:
        """Keep ``value`` under ``key`` in the metadata committed with the task's offsets, so the task finds it
        again after a restart (Kafka's InternalProcessorContext; a windowed aggregation keeps its last emitted
        window close time under its store's name).

        Example::

            >>> from kstreams_nb._engine.partition_metadata import ProcessorMetadata
            >>> ctx = ProcessorContextImpl.__new__(ProcessorContextImpl)
            >>> ctx.processor_metadata = ProcessorMetadata()
            >>> ctx.add_processor_metadata_key_value("counts", 90)
            >>> ctx.processor_metadata_for_key("counts"), ctx.processor_metadata_for_key("other")
            (90, None)
        """
        self.processor_metadata.put(key, value)

    def processor_metadata_for_key(self, key: str) -> int | None:
        """The value kept under ``key`` (restored from the committed offsets' metadata), or None."""
        return self.processor_metadata.get(key)

    # ---- engine side
    def processing_failed(self, node: Node, record: Record, error: Exception) -> None:
        """Apply the processing handler to a failure of user code at ``node`` (after the dead letter, if any)."""
        ectx = ErrorContext(
            self.topic, self.partition, self.offset, record.headers, node.name, self.task_id, record.timestamp
        )
        if self.dead_letter_topic:
            send_dead_letter(self.collector, self.dead_letter_topic, ectx, error, self.raw)
        if self.processing_handler(ectx, error) == CONTINUE:
            if self.topic is not None:  # a punctuation is no record: nothing was dropped
                self._task.dropped += 1
            return
        if self.topic is not None:
            message = (
                f"Exception caught in process. taskId={self.task_id}, processor={node.name}, topic={self.topic}, "
                f"partition={self.partition}, offset={self.offset}: {error!r}"
            )
        else:
            message = f"Exception caught while punctuating processor '{node.name}'. taskId={self.task_id}: {error!r}"
        raise ProcessingError(
            message,
            task_id=self.task_id,
            node=node.name,
            topic=self.topic,
            partition=self.partition if self.topic is not None else None,
            offset=self.offset if self.topic is not None else None,
        ) from error

    def production_failed(self, topic: str, error: Exception) -> None:
        """Apply the production handler to a sink's record that could not be serialized (``error`` is then a
        SerializationError) or sent to ``topic``; returns when the record is to be dropped, else raises."""
        node = self.current_node
        ectx = ErrorContext(
            self.topic, self.partition, self.offset, self.headers, node.name if node else None, self.task_id,
            self.timestamp,
        )
        if self.dead_letter_topic:
            send_dead_letter(self.collector, self.dead_letter_topic, ectx, error, self.raw)
        if self.production_handler(ectx, error) == CONTINUE:
            self._task.dropped += 1
            return
        if isinstance(error, SerializationError):
            raise error
        raise ProcessingError(
            f"Error encountered sending record to topic {topic} for task {self.task_id} due to: {error!r}. The "
            f"production exception handler says fail; set production.exception.handler to 'continue' to drop such "
            f"records instead",
            task_id=self.task_id,
            node=node.name if node else None,
            topic=self.topic,
            partition=self.partition if self.topic is not None else None,
            offset=self.offset if self.topic is not None else None,
        ) from error


class StoreContextImpl:
    """The StateStoreContext a task gives its stores: registration and changelog writes."""

    __slots__ = (
        "_task", "app_configs", "application_id", "cache", "key_serde", "processor_context", "task_id", "value_serde"
    )

    def __init__(self, task: StreamTask, key_serde: Any, value_serde: Any) -> None:
        self._task = task
        #: the thread's record cache (None: stores do not cache) and the context whose record caching stores keep
        self.cache = task.cache
        self.processor_context = task.ctx
        self.application_id = task.application_id
        self.task_id = task.task_id
        self.app_configs = task.config
        self.key_serde = key_serde
        self.value_serde = value_serde

    def register(
        self, store: Any, restore_callback: Callable[..., None], *, logged: bool
    ) -> None:
        """Record that ``store`` exists, how to restore it, and whether it has a changelog."""
        self._task.register_store(store, restore_callback, logged)

    def log_change(
        self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None, headers: Headers = EMPTY_HEADERS
    ) -> None:
        """Write one change of ``store_name`` to its changelog topic (the task's partition)."""
        task = self._task
        ts = task.ctx.timestamp if timestamp is None else timestamp
        topics = task.changelog_topics
        topic = topics.get(store_name)
        if topic is None:
            topic = topics[store_name] = task.changelog_topic(store_name)
        task.collector.send_raw(topic, task.task_id.partition, key, value, ts, headers)
