"""Helpers of the integration tests: topics, a producer and a consumer on the session's real broker.

They use confluent_kafka directly (not the library's ClientSupplier) so a test of the library can prepare
input and check output independently of the code under test.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterable, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kstreams_nb.testing.kafka import LocalKafka

#: seconds any single wait on the broker may take
DEADLINE = 30.0


def admin(kafka: LocalKafka | str) -> AdminClient:
    """An AdminClient of ``kafka`` (a LocalKafka or a bootstrap address)."""
    return AdminClient({"bootstrap.servers": _address(kafka)})


def new_topic(
    kafka: LocalKafka | str, partitions: int = 1, *, prefix: str = "t", config: dict[str, str] | None = None
) -> str:
    """Create a topic with a name no other test uses; return it once every partition has a leader."""
    return create_topic(kafka, f"{prefix}-{uuid.uuid4().hex[:12]}", partitions, config=config)


def create_topic(
    kafka: LocalKafka | str, name: str, partitions: int = 1, *, config: dict[str, str] | None = None
) -> str:
    """Create the topic ``name``; return it once every partition has a leader."""
    client = admin(kafka)
    futures = client.create_topics([NewTopic(name, partitions, 1, config=config or {})], operation_timeout=DEADLINE)
    futures[name].result(timeout=DEADLINE)
    deadline = time.monotonic() + DEADLINE
    while True:
        meta = client.list_topics(name, timeout=DEADLINE).topics.get(name)
        if meta is not None and meta.error is None and len(meta.partitions) == partitions:
            if all(p.leader >= 0 for p in meta.partitions.values()):
                return name
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name} has no leader for every partition after {DEADLINE}s: {meta}")
        time.sleep(0.05)


def produce(
    kafka: LocalKafka | str,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    partition: int = -1,
    *,
    timestamps: Iterable[int] | None = None,
) -> None:
    """Produce ``(key, value)`` pairs (with ``timestamps``, epoch ms, one per pair, when given; as in
    confluent-kafka, 0 stands for the current time) and wait until every one is acknowledged (raising on the
    first error)."""
    producer = Producer({"bootstrap.servers": _address(kafka), "linger.ms": 0})
    errors: list[object] = []

    def on_delivery(err: object, _msg: Message) -> None:
        if err is not None:
            errors.append(err)

    stamps = iter(timestamps) if timestamps is not None else itertools.repeat(0)
    for key, value in records:
        producer.produce(topic, value=value, key=key, partition=partition, on_delivery=on_delivery,
                         timestamp=next(stamps))
        producer.poll(0)
    remaining = producer.flush(DEADLINE)
    if remaining or errors:
        raise KafkaException(f"{remaining} records undelivered, errors: {errors}")


def consume(kafka: LocalKafka | str, topics: Sequence[str], count: int, timeout: float = DEADLINE) -> list[Message]:
    """Read ``count`` records from the start of ``topics`` with a fresh group (fewer if ``timeout`` passes)."""
    consumer = Consumer(
        {
            "bootstrap.servers": _address(kafka),
            "group.id": f"g-{uuid.uuid4().hex[:12]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    out: list[Message] = []
    try:
        consumer.subscribe(list(topics))
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error() is not None:
                raise KafkaException(msg.error())
            out.append(msg)
    finally:
        consumer.close()
    return out


def read_partitions(
    kafka: LocalKafka | str, topic: str, *, read_committed: bool = False, timeout: float = DEADLINE
) -> dict[int, list[Message]]:
    """Every record of every partition of ``topic``, from the start to its end (the last stable offset when
    ``read_committed``), by partition; assign-only (no group joins, nothing is committed)."""
    consumer = Consumer({
        "bootstrap.servers": _address(kafka),
        "group.id": f"g-{uuid.uuid4().hex[:12]}",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": "read_committed" if read_committed else "read_uncommitted",
    })
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics[topic]
        if meta.error is not None:
            raise KafkaException(meta.error)
        out: dict[int, list[Message]] = {p: [] for p in meta.partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in out])
        pending, deadline = set(out), time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: partitions {sorted(pending)} not read to the end within {timeout}s")
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            err = msg.error()
            if err is not None and err.code() == KafkaError._PARTITION_EOF:
                pending.discard(msg.partition())
            elif err is not None:
                raise KafkaException(err)
            else:
                out[msg.partition()].append(msg)
        return out
    finally:
        consumer.close()


def _address(kafka: LocalKafka | str) -> str:
    return kafka if isinstance(kafka, str) else kafka.bootstrap_servers
