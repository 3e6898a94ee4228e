"""Runtime nodes of a task: source, processor and sink, each holding direct references to its children."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams_nb.errors import ProcessingError, SerializationError, StreamsStateError
from kstreams_nb.processor import FixedKeyRecord, Processor
from kstreams_nb.records import Headers, Record

if TYPE_CHECKING:
    from kstreams_nb._engine.context import ProcessorContextImpl
    from kstreams_nb._engine.handlers import ErrorHandler

__all__ = ["Node", "ProcessorNode", "SinkNode", "SourceNode"]

# Errors that already carry their context; a parent node re-raises them unchanged.
_PASS_THROUGH = (ProcessingError, SerializationError, StreamsStateError)


class Node:
    """A node of a running task.

    ``run(record)`` is what a parent calls: for a processor it is the user's own ``process`` (no wrapper on the
    hot path); the forwarding context turns a failure into a ProcessingError naming this node.
    """

    __slots__ = ("children", "children_by_name", "ctx", "name", "run", "stores")

    def __init__(self, name: str, ctx: ProcessorContextImpl) -> None:
        self.name = name
        self.ctx = ctx
        self.children: list[Node] = []
        self.children_by_name: dict[str, Node] = {}
        self.stores: frozenset[str] = frozenset()
        self.run: Callable[[Record], None] = self.process

    def add_child(self, child: Node) -> None:
        """Connect ``child`` (forwarding order = connection order)."""
        self.children.append(child)
        self.children_by_name[child.name] = child

    def init(self) -> None:
        """Prepare the node (called with the context's current node set to it)."""

    def process(self, record: Record) -> None:
        """Handle one record."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the node's resources."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class SourceNode(Node):
    """Forwards each deserialized record to its children."""

    __slots__ = ("key_deserializer", "offset_reset", "timestamp_extractor", "value_deserializer")

    def __init__(
        self,
        name: str,
        ctx: ProcessorContextImpl,
        key_deserializer: Any,
        value_deserializer: Any,
        timestamp_extractor: Any,
        offset_reset: str | None = None,
    ) -> None:
        super().__init__(name, ctx)
        self.key_deserializer = key_deserializer
        self.value_deserializer = value_deserializer
        self.timestamp_extractor = timestamp_extractor
        self.offset_reset = offset_reset

    def process(self, record: Record) -> None:
        self.ctx.current_node = self
        self.ctx.forward(record)


class ProcessorNode(Node):
    """Runs a user Processor; failures become ProcessingError (or are skipped, per the handler)."""

    __slots__ = ("fixed_key", "handler", "processor")

    def __init__(
        self, name: str, ctx: ProcessorContextImpl, processor: Processor, fixed_key: bool, handler: ErrorHandler
    ) -> None:
        super().__init__(name, ctx)
        self.processor = processor
        self.fixed_key = fixed_key
        self.handler = handler
        if not fixed_key:
            self.run = processor.process

    def init(self) -> None:
        try:
            self.processor.init(self.ctx)
        except _PASS_THROUGH:
            raise
        except Exception as e:
            raise ProcessingError(
                f"failed to initialize processor {self.name} in task {self.ctx.task_id}: {e!r}",
                task_id=self.ctx.task_id,
                node=self.name,
            ) from e

    def process(self, record: Record) -> None:
        self.processor.process(FixedKeyRecord.of(record) if self.fixed_key else record)

    def close(self) -> None:
        try:
            self.processor.close()
        except Exception as e:
            raise ProcessingError(
                f"failed to close processor {self.name} in task {self.ctx.task_id}: {e!r}",
                task_id=self.ctx.task_id,
                node=self.name,
            ) from e


class SinkNode(Node):
    """Serializes records and sends them to a fixed topic or the topic an extractor picks."""

    __slots__ = ("_send", "extractor", "key_serializer", "partitioner", "topic", "value_serializer")

    def __init__(
        self,
        name: str,
        ctx: ProcessorContextImpl,
        topic: str | None,
        extractor: Any,
        key_serializer: Any,
        value_serializer: Any,
        partitioner: Any,
        cluster: str | None = None,
    ) -> None:
        super().__init__(name, ctx)
        self.topic = topic
        self.extractor = extractor
        self.key_serializer = key_serializer
        self.value_serializer = value_serializer
        self.partitioner = partitioner
        self._send = ctx.collector.sender(cluster)  # another cluster's producer when the sink names one

    def add_child(self, child: Node) -> None:
        raise StreamsStateError(f"sink {self.name} cannot have children")

    def process(self, record: Record) -> None:
        # failures (the extractor's, or the producer refusing, e.g. a missing topic) surface through the
        # forwarding context as a ProcessingError naming this sink; serialization errors carry their own context
        topic = self.topic
        if topic is None:
            topic = self.extractor(record.key, record.value, _SinkRecordContext(self.ctx, record))
            if not isinstance(topic, str) or not topic:
                raise TypeError(f"TopicNameExtractor of sink {self.name} returned {topic!r}, not a topic")
        self._send(
            topic,
            record[0],  # Record is a tuple: (key, value, timestamp, headers)
            record[1],
            record[3],
            record[2],
            self.key_serializer,
            self.value_serializer,
            self.partitioner,
        )


class _SinkRecordContext:
    """The RecordContext a TopicNameExtractor sees: the input position and the record's time and headers."""

    __slots__ = ("headers", "offset", "partition", "timestamp", "topic")

    def __init__(self, ctx: ProcessorContextImpl, record: Record) -> None:
        self.topic: str | None = ctx.topic
        self.partition: int = ctx.partition
        self.offset: int = ctx.offset
        self.timestamp: int = record.timestamp
        self.headers: Headers = record.headers

    def __repr__(self) -> str:
        return (
            f"RecordContext(topic={self.topic!r}, partition={self.partition}, offset={self.offset}, "
            f"timestamp={self.timestamp})"
        )
