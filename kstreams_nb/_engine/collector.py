"""The record collector: serializes and partitions what sinks and changelogs send, then hands it to a producer.

Sinks that write to another cluster send through :meth:`RecordCollector.sender`, which picks that cluster's
producer from the writer's ``remote_sinks`` (a stream thread's StreamsProducer has them); a writer without them
(the TopologyTestDriver's capture: one broker) takes every sink's records itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from kstreams_nb.errors import SerializationError, TransactionError
from kstreams_nb.records import EMPTY_HEADERS, Headers, TaskId
from kstreams_nb.serdes import Serde

__all__ = ["RecordCollector", "RecordWriter"]


class RecordWriter(Protocol):
    """The part of a :class:`~kstreams_nb.clients.base.Producer` a record collector writes through (a stream
    thread's StreamsProducer, the test driver's capture); a ``flush()`` method, when it has one, is called by
    :meth:`RecordCollector.flush`.

    Example::

        >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
        >>> broker = EmbeddedBroker()
        >>> broker.create_topic("out", partitions=3)
        >>> writer: RecordWriter = MemoryClientSupplier(broker).producer({})
        >>> writer.partitions_for("out")
        3
    """

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None: ...

    def partitions_for(self, topic: str) -> int: ...


class RecordCollector:
    """Sends records of one task through a producer (the client's, or the test driver's capture)."""

    __slots__ = ("_flush", "_partition_counts", "_remote", "on_error", "producer", "task_id")

    def __init__(self, producer: RecordWriter, task_id: TaskId) -> None:
        self.producer = producer
        self._flush = getattr(producer, "flush", None)
        self.task_id = task_id
        self._partition_counts: dict[str, int] = {}
        #: cluster name -> the collector of a sink writing there (made by :meth:`sender`)
        self._remote: dict[str, RecordCollector] = {}
        #: ``(topic, error)``: the production exception handler (returns to drop the record, else raises);
        #: None raises every serialization or send error as it is
        self.on_error: Callable[[str, Exception], None] | None = None

    def sender(self, cluster: str | None) -> Callable[..., None]:
        """The ``send`` of a sink writing to ``cluster`` (None: the application's cluster): a collector over that
        cluster's producer among the writer's ``remote_sinks``, whose errors go to this collector's ``on_error``;
        this collector's own ``send`` when the writer has no remote sinks (the test driver)."""
        remote = getattr(self.producer, "remote_sinks", None)
        if cluster is None or remote is None:
            return self.send
        collector = self._remote.get(cluster)
        if collector is None:
            collector = self._remote[cluster] = RecordCollector(remote.writer(cluster), self.task_id)
            collector.on_error = self._remote_failed
        return collector.send

    def _remote_failed(self, topic: str, error: Exception) -> None:
        """A record for another cluster failed: this collector's handler decides (none: the error is raised)."""
        if self.on_error is None:
            raise error
        self.on_error(topic, error)

    def send(
        self,
        topic: str,
        key: Any,
        value: Any,
        headers: Headers,
        timestamp: int,
        key_serializer: Any,
        value_serializer: Any,
        partitioner: Any = None,
    ) -> None:
        """Serialize ``key``/``value`` and produce them (partition from ``partitioner`` or the default). A
        serialization or send failure goes to ``on_error`` (the production exception handler); a failed
        transaction (fencing) never does."""
        origin = "key"
        try:
            # a built-in serde's function is called directly; when it fails, serialize() gives the serde's error
            try:
                kb = (None if key is None else key_serializer.to_bytes(key)) if type(key_serializer) is Serde else (
                    key_serializer.serialize(topic, key))
            except Exception:
                kb = key_serializer.serialize(topic, key)
            origin = "value"
            try:
                vb = (None if value is None else value_serializer.to_bytes(value)) if (
                    type(value_serializer) is Serde) else value_serializer.serialize(topic, value)
            except Exception:
                vb = value_serializer.serialize(topic, value)
        except Exception as e:
            error = SerializationError(
                f"task {self.task_id} failed to serialize the {origin} of a record for topic {topic!r} "
                f"(key {type(key).__name__}, value {type(value).__name__}): {e}",
                topic=topic,
            )
            error.__cause__ = e
            if self.on_error is None:
                raise error from e
            self.on_error(topic, error)
            return
        partition = None
        if partitioner is not None:  # the user's partitioner failing is a processing error of the sink
            n = self._partition_counts.get(topic)
            if n is None:
                n = self._partition_counts[topic] = self.producer.partitions_for(topic)
            partition = partitioner(topic, key, value, n)
        try:
            self.producer.produce(topic, kb, vb, partition=partition, timestamp=timestamp, headers=headers)
        except Exception as e:
            self.produce_failed(topic, e)

    def produce_failed(self, topic: str, error: Exception) -> None:
        """The producer refused a record for ``topic``: ``on_error`` (the production exception handler) decides,
        returning to drop it; a failed transaction (fencing) and, without a handler, any error are raised."""
        if isinstance(error, TransactionError) or self.on_error is None:
            raise error
        self.on_error(topic, error)

    def send_raw(
        self,
        topic: str,
        partition: int | None,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers = EMPTY_HEADERS,
    ) -> None:
        """Produce already-serialized bytes (changelogs, dead letters)."""
        self.producer.produce(topic, key, value, partition=partition, timestamp=timestamp, headers=headers)

    def flush(self) -> None:
        """Wait until everything sent is written."""
        if self._flush is not None:
            self._flush()
