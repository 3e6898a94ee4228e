"""Helpers for driving a StreamTask by hand, the way a stream thread (or the test driver) does."""

from __future__ import annotations

from typing import Any

from kstreams_nb._engine.processor_topology import compile_topology
from kstreams_nb._engine.task import StreamTask
from kstreams_nb._time import ManualClock
from kstreams_nb.config import StreamsConfig
from kstreams_nb.records import ConsumerRecord, Headers, TaskId, TopicPartition
from kstreams_nb.serdes import Serdes
from kstreams_nb.topology import Topology

INT = Serdes.integer()


class CaptureProducer:
    """What a task produces, in order: (topic, key bytes, value bytes, partition, timestamp, headers)."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.flushes = 0

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
        self.sent.append((topic, key, value, partition, timestamp, headers))

    def partitions_for(self, topic: str) -> int:
        return 1

    def flush(self, timeout: float | None = None) -> None:
        self.flushes += 1


def int_record(tp: TopicPartition, offset: int, value: int, timestamp: int | None = None) -> ConsumerRecord:
    """StreamTaskTest.getConsumerRecordWithOffsetAsTimestamp(partition, offset, value): key 1, the given int value,
    timestamp = offset unless given."""
    ts = offset if timestamp is None else timestamp
    key, value_bytes = INT.serialize(tp.topic, 1), INT.serialize(tp.topic, value)
    return ConsumerRecord(tp.topic, tp.partition, offset, ts, key, value_bytes)


def make_task(
    topology: Topology,
    partitions: list[TopicPartition],
    config: dict[str, Any] | None = None,
    *,
    clock: ManualClock | None = None,
    task_id: TaskId | None = None,
) -> tuple[StreamTask, CaptureProducer, ManualClock]:
    """A task running every node of ``topology`` over ``partitions`` (not initialized)."""
    builder = topology.internal_builder
    props = {"application.id": "stream-task-test", **(config or {})}
    producer = CaptureProducer()
    clock = clock or ManualClock(0)
    task = StreamTask(
        task_id or TaskId(0, 0),
        compile_topology(builder, props["application.id"]),
        list(builder.nodes),
        partitions,
        StreamsConfig(props),
        producer,
        clock,
    )
    return task, producer, clock
