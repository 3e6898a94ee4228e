"""Broker-side helpers of bench_kafka.py over confluent-kafka: topics, the input, group progress, reading outputs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka_workloads import key, value

_COORDINATOR_BUSY = (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                     KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError._TIMED_OUT)
_ADMIN = {"log_level": 4}  # warnings and worse: not the background queue's notice when a client is dropped


def create_topics(bootstrap: str, names: list[str], partitions: int, config: dict[str, str] | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, **_ADMIN})  # kept referenced while its futures run
    futures = admin.create_topics([NewTopic(n, partitions, 1, config=config or {}) for n in names])
    for future in futures.values():
        future.result(30)


def delete_topics(bootstrap: str, prefixes: list[str]) -> None:
    """Delete every topic whose name starts with one of ``prefixes`` (a run's outputs and internal topics)."""
    admin = AdminClient({"bootstrap.servers": bootstrap, **_ADMIN})
    names = [t for t in admin.list_topics(timeout=30).topics if t.startswith(tuple(prefixes))]
    if names:
        for future in admin.delete_topics(names, operation_timeout=30).values():
            future.result(60)


def produce_input(bootstrap: str, topic: str, n: int) -> None:
    """Write records 0..n-1 of kafka_workloads to ``topic`` (retrying when librdkafka's local queue is full)."""
    failures: list[Any] = []
    producer = Producer({
        "bootstrap.servers": bootstrap, "linger.ms": 20, "delivery.report.only.error": True,
        "on_delivery": lambda err, msg: failures.append(err) if err is not None else None,
    })  # fmt: skip
    dumps = orjson.dumps
    for i in range(n):
        k, v = key(i), dumps(value(i))
        while True:
            try:
                producer.produce(topic, v, k)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) or failures:
        raise RuntimeError(f"producing the input failed: {len(failures)} errors, first {failures[:1]}")


def end_offsets(bootstrap: str, topic: str, partitions: int) -> list[int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-kafka-offsets"})
    try:
        return [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(partitions)]
    finally:
        consumer.close()


class GroupProgress:
    """How far a consumer group has committed on a topic (read without joining the group)."""

    def __init__(self, bootstrap: str, group: str, topic: str, partitions: int) -> None:
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "isolation.level": "read_committed",
        })  # fmt: skip
        self._partitions = [TopicPartition(topic, p) for p in range(partitions)]

    def committed(self) -> list[int]:
        """The committed offset per partition (0 where nothing is committed yet, or while the group's coordinator
        is moving or loading)."""
        try:
            found = self._consumer.committed(self._partitions, timeout=10)
        except KafkaException as e:
            if e.args[0].code() in _COORDINATOR_BUSY or e.args[0].retriable():
                return [0] * len(self._partitions)
            raise
        return [max(tp.offset, 0) for tp in found]

    def close(self) -> None:
        self._consumer.close()


def read_until(
    bootstrap: str, topic: str, partitions: int, add: Callable[[bytes, bytes], None], done: Callable[[], bool],
    timeout: float = 30.0,
) -> None:
    """Feed every committed record of ``topic`` to ``add(key, value)`` in offset order, from the start until each
    partition is read to its end and ``done()`` holds, or ``timeout`` seconds pass (a transaction's markers
    can land just after its offsets are visible)."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": "bench-kafka-reader", "enable.auto.commit": False,
        "isolation.level": "read_committed", "enable.partition.eof": True,
    })  # fmt: skip
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    at_end: set[int] = set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not (len(at_end) == partitions and done()):
            for msg in consumer.consume(10_000, 0.2):
                error = msg.error()
                if error is None:
                    at_end.discard(msg.partition())
                    add(msg.key(), msg.value())
                elif error.code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                else:
                    raise KafkaException(error)
    finally:
        consumer.close()
