"""SourceDecoder: turns the raw records a source node reads into Records (Kafka's RecordDeserializer and the
timestamp extraction of RecordQueue).

One per source node of a task: it deserializes key and value with the source's deserializers, extracts the
timestamp, and on a deserialization failure sends the raw record to the dead-letter topic (when configured) and
asks the deserialization exception handler whether to skip it (counted as dropped) or fail.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kstreams_nb._engine.handlers import CONTINUE, ErrorContext, send_dead_letter
from kstreams_nb._engine.nodes import SourceNode
from kstreams_nb.errors import DeserializationError, ProcessingError
from kstreams_nb.records import ConsumerRecord, Record
from kstreams_nb.serdes import Serde

if TYPE_CHECKING:
    from kstreams_nb._engine.task import StreamTask

__all__ = ["SourceDecoder"]

log = logging.getLogger(__name__)


class SourceDecoder:
    """Decodes the raw records of one source node of ``task``; ``decode(raw, partition_time)`` returns the
    Record, or None when the record is dropped (skipped by the handler, or a negative extracted timestamp).

    Example::

        decoder = SourceDecoder(task, task.nodes["KSTREAM-SOURCE-0000000000"])
        record = decoder.decode(raw, partition_time=-1)
    """

    __slots__ = ("decode", "source", "task")

    def __init__(self, task: StreamTask, source: SourceNode) -> None:
        self.task = task
        self.source = source
        kd = source.key_deserializer
        vd = source.value_deserializer
        # a built-in serde's function is called directly (None handled here, as Serde.deserialize does)
        key_from = kd.from_bytes if type(kd) is Serde else None
        value_from = vd.from_bytes if type(vd) is Serde else None
        extractor = source.timestamp_extractor
        extract = getattr(extractor, "extract", extractor)
        new = tuple.__new__
        failed = self.deserialization_failed
        fatal = self._fatal
        task_id = task.task_id

        def decode(raw: ConsumerRecord, partition_time: int) -> Record | None:
            try:
                kb, vb = raw[4], raw[5]  # ConsumerRecord is a tuple: (topic, partition, offset, timestamp, key, ...)
                if key_from is not None:
                    key = None if kb is None else key_from(kb)
                else:
                    key = kd.deserialize(raw[0], kb)
                if value_from is not None:
                    value = None if vb is None else value_from(vb)
                else:
                    value = vd.deserialize(raw[0], vb)
            except Exception as e:
                return failed(raw, e)
            ts = raw[3]
            if extract is not None:
                try:
                    ts = extract(ConsumerRecord(raw.topic, raw.partition, raw.offset, ts, key, value, raw.headers),
                                 partition_time)
                except Exception as e:  # Kafka: fatal, whatever the deserialization handler says
                    raise fatal(
                        raw,
                        f"Fatal user code error in TimestampExtractor callback for the record at topic {raw.topic} "
                        f"partition {raw.partition} offset {raw.offset} (source {source.name}, task {task_id})"
                        f": {e!r}",
                    ) from e
                if ts < 0:  # an extractor's way to drop a record (LogAndSkipOnInvalidTimestamp)
                    log.warning(
                        "Skipping record due to negative extracted timestamp. topic=[%s] partition=[%s] offset=[%s] "
                        "extractedTimestamp=[%s] extractor=[%s]",
                        raw.topic, raw.partition, raw.offset, ts, type(extractor).__name__,
                    )
                    task.dropped += 1
                    return None
            elif ts < 0:  # the default extractor fails on invalid timestamps (Kafka's FailOnInvalidTimestamp)
                raise fatal(
                    raw,
                    f"Input record at topic {raw.topic} partition {raw.partition} offset {raw.offset} has invalid "
                    f"(negative) timestamp {ts}; set a timestamp_extractor on the source to drop or repair such "
                    f"records",
                )
            return new(Record, (key, value, ts, raw[6]))

        self.decode = decode

    def _fatal(self, raw: ConsumerRecord, message: str) -> ProcessingError:
        """The error that stops the task on an invalid timestamp of ``raw``."""
        return ProcessingError(
            message, task_id=self.task.task_id, node=self.source.name, topic=raw.topic, partition=raw.partition,
            offset=raw.offset,
        )

    def deserialization_failed(self, raw: ConsumerRecord, error: Exception) -> Record | None:
        """Dead-letter ``raw`` (when configured), then skip it (None) or raise, as the handler says."""
        task, source = self.task, self.source
        ectx = ErrorContext(raw.topic, raw.partition, raw.offset, raw.headers, source.name, task.task_id, raw.timestamp)
        dlq = task.ctx.dead_letter_topic
        if dlq:
            send_dead_letter(task.collector, dlq, ectx, error, raw)
        # read at failure time: an observer (the notebook preview) may wrap the task's handler after construction
        if task._deser_handler(ectx, error) == CONTINUE:
            task.dropped += 1
            return None
        raise DeserializationError(
            f"Deserialization exception handler is set to fail upon a deserialization error. Could not "
            f"deserialize the record at topic {raw.topic}, partition {raw.partition}, offset {raw.offset} "
            f"(source {source.name}, task {task.task_id}): {error!r}",
            topic=raw.topic,
            partition=raw.partition,
            offset=raw.offset,
        ) from error
