"""A broker as the client conformance tests see it: a ClientSupplier, a bootstrap address and fresh names.

Every test of ``tests/conformance`` runs once per entry of :data:`CLUSTERS`. An entry is a factory: a context manager
function that starts (or connects to) a broker and yields a :class:`Cluster`. The tests use nothing but the
client protocols of ``kstreams_nb.clients.base`` (and the errors of ``kstreams_nb.errors``), so a supplier for a
real broker joins the suite by adding one entry, e.g.
``pytest.param(kafka_cluster, id="kafka", marks=pytest.mark.kafka)``.

Real brokers are asynchronous where the embedded one is not (topic creation, fetches, group joins), so the
helpers here wait on conditions with deadlines rather than expecting an answer on the first call.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from runtime._support import wait_until

from kstreams_nb.clients.base import Admin, ClientSupplier, Consumer, Producer
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.records import ConsumerRecord, TopicPartition

#: seconds any single wait may take (a real broker's group join, topic creation, transaction commit)
DEADLINE = 30.0


class Cluster:
    """Clients of one broker, closed at the end of the test, and names no other test uses."""

    def __init__(self, supplier: ClientSupplier, bootstrap_servers: str) -> None:
        self.supplier = supplier
        self.bootstrap_servers = bootstrap_servers
        self._run = uuid.uuid4().hex[:8]
        self._names = itertools.count()
        self._clients: list[Consumer | Producer | Admin] = []
        self.admin = self._track(supplier.admin({"bootstrap.servers": bootstrap_servers}))

    def name(self, kind: str) -> str:
        """A fresh name (topic, group or transactional id)."""
        return f"conformance-{kind}-{self._run}-{next(self._names)}"

    def topic(self, partitions: int = 1) -> str:
        """A new topic with ``partitions`` partitions, visible to every client once this returns."""
        name = self.name("topic")
        self.admin.create_topic(name, partitions)
        assert eventually(lambda: self.admin.partitions_for(name) == partitions), f"{name} never appeared"
        return name

    def consumer(self, **config: Any) -> Consumer:
        """A consumer (``auto.offset.reset=earliest`` unless given; keys use dots: pass a dict via ``**``)."""
        base = {"bootstrap.servers": self.bootstrap_servers, "auto.offset.reset": "earliest"}
        return self._track(self.supplier.consumer({**base, **config}))

    def restore_consumer(self) -> Consumer:
        """The consumer a Streams application restores state with (no group)."""
        config = {"bootstrap.servers": self.bootstrap_servers, "auto.offset.reset": "earliest"}
        return self._track(self.supplier.restore_consumer(config))

    def producer(self, **config: Any) -> Producer:
        """A producer; give ``transactional.id`` for a transactional one."""
        return self._track(self.supplier.producer({"bootstrap.servers": self.bootstrap_servers, **config}))

    def transactional_producer(self, transactional_id: str | None = None) -> Producer:
        """A producer with ``transactional.id`` (fresh unless given) after ``init_transactions``."""
        producer = self.producer(**{"transactional.id": transactional_id or self.name("txn")})
        producer.init_transactions(DEADLINE)
        return producer

    def _track(self, client: Any) -> Any:
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every client made here, newest first; a client already closed by the test is skipped."""
        for client in reversed(self._clients):
            try:
                client.close()
            except Exception:  # a second close may refuse; what matters is that none stays open
                pass


ClusterFactory = Callable[[], AbstractContextManager[Cluster]]


@contextmanager
def memory_cluster() -> Iterator[Cluster]:
    """A private embedded broker."""
    supplier = MemoryClientSupplier(EmbeddedBroker("conformance"))
    cluster = Cluster(supplier, "memory://conformance")
    try:
        yield cluster
    finally:
        cluster.close()


def kafka_cluster(bootstrap_servers: str) -> AbstractContextManager[Cluster]:
    """A real Apache Kafka broker (the session's local one), through the confluent-kafka clients."""

    @contextmanager
    def made() -> Iterator[Cluster]:
        from kstreams_nb.clients.confluent import ConfluentClientSupplier

        cluster = Cluster(ConfluentClientSupplier(bootstrap_servers), bootstrap_servers)
        try:
            yield cluster
        finally:
            cluster.close()

    return made()


#: every broker the suite runs against: the embedded one, and the session's real Kafka broker (``kafka`` mark)
CLUSTERS: list[Any] = [
    pytest.param(memory_cluster, id="memory"),
    pytest.param(kafka_cluster, id="kafka", marks=pytest.mark.kafka),
]


def eventually(condition: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    """True as soon as ``condition()`` holds; False when ``timeout`` seconds pass first."""
    return wait_until(condition, timeout)


def poll_until(consumer: Consumer, count: int, max_records: int = 500) -> list[ConsumerRecord]:
    """Poll until ``count`` records came back (or the deadline passes: then what came back so far)."""
    got: list[ConsumerRecord] = []
    deadline = time.monotonic() + DEADLINE
    while len(got) < count and time.monotonic() < deadline:
        got.extend(consumer.poll_batch(max_records, timeout=0.1))
    return got


def drain(consumer: Consumer, idle_polls: int = 3, at_least: int = 0) -> list[ConsumerRecord]:
    """Every record available now: polls until ``idle_polls`` polls in a row return nothing, and (within the
    deadline) until ``at_least`` records came: a real broker's first fetch of a new assignment can take longer
    than a few idle polls on a loaded machine."""
    got: list[ConsumerRecord] = []
    idle = 0
    deadline = time.monotonic() + DEADLINE
    while idle < idle_polls or (len(got) < at_least and time.monotonic() < deadline):
        batch = consumer.poll_batch(500, timeout=0.1)
        got.extend(batch)
        idle = 0 if batch else idle + 1
    return got


def poll_members(members: Sequence[Consumer], condition: Callable[[], bool]) -> bool:
    """Poll every member in turn (one thread standing in for one per member) until ``condition()`` holds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            return False
        for member in members:
            member.poll_batch(100, timeout=0.02)
    return True


def values(records: Sequence[ConsumerRecord]) -> list[bytes | None]:
    """The values, in the given order."""
    return [r.value for r in records]


def partitions(topic: str, count: int) -> list[TopicPartition]:
    """Every partition of ``topic``."""
    return [TopicPartition(topic, p) for p in range(count)]
