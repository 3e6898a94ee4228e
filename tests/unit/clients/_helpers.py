"""Helpers shared by the embedded broker tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from kstreams_nb.clients.memory import EmbeddedBroker, MemoryConsumer
from kstreams_nb.records import ConsumerRecord, TopicPartition


class Ticker:
    """A manual monotonic clock (seconds) for ``max.poll.interval.ms``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settle(
    broker: EmbeddedBroker, group_id: str, members: Sequence[MemoryConsumer], rounds: int = 50
) -> dict[MemoryConsumer, list[ConsumerRecord]]:
    """Poll every member (timeout 0) until the group is stable and each knows the current generation.

    Single-threaded stand-in for members polling in their own threads; returns the records each one got.
    """
    got: dict[MemoryConsumer, list[ConsumerRecord]] = {c: [] for c in members}
    for _ in range(rounds):
        for c in members:
            got[c].extend(c.poll_batch(1000, timeout=0))
        d = broker.describe_group(group_id)
        if d.state == "Stable" and all(c.group_metadata().generation == d.generation for c in members):
            return got
    raise AssertionError(f"group {group_id} did not settle: {broker.describe_group(group_id)}")


def values(records: Sequence[ConsumerRecord]) -> list[bytes | None]:
    return [r.value for r in records]


def read_as_a_group(
    supplier: Any, member_configs: Sequence[dict[str, Any]], total: int, topic: str = "in"
) -> list[bytes | None]:
    """Members (one thread each, named ``member-<i>``) read ``topic`` as group "g", committing after every batch,
    while a producer writes ``total`` records; returns every value read (each thread is joined, errors raised)."""
    seen: list[bytes | None] = []
    lock = threading.Lock()
    done = threading.Event()
    errors: list[BaseException] = []

    def consume(config: dict[str, Any]) -> None:
        consumer = supplier.consumer({"group.id": "g", **config})
        try:
            consumer.subscribe([topic])
            while not done.is_set():
                batch = consumer.poll_batch(100, timeout=0.2)
                if batch:
                    consumer.commit({TopicPartition(r.topic, r.partition): r.offset + 1 for r in batch})
                    with lock:
                        seen.extend(r.value for r in batch)
                        if len(seen) >= total:
                            done.set()
        except BaseException as e:  # reported below
            errors.append(e)
            done.set()
        finally:
            consumer.close()

    def produce() -> None:
        producer = supplier.producer({})
        for i in range(total):
            producer.produce(topic, b"%d" % (i % 50), b"%d" % i)

    threads = [threading.Thread(target=consume, args=(c,), name=f"member-{i}") for i, c in enumerate(member_configs)]
    threads.append(threading.Thread(target=produce, name="producer"))
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
        assert not t.is_alive(), f"{t.name} did not finish"
    assert not errors, errors
    return seen
