"""MemoryAdmin and MemoryClientSupplier: the embedded broker behind the ClientSupplier seam.

Example::

    >>> from kstreams_nb.clients.memory.broker import EmbeddedBroker
    >>> supplier = MemoryClientSupplier(EmbeddedBroker())
    >>> admin = supplier.admin({})
    >>> admin.create_topic("t", 3); admin.list_topics(), admin.partitions_for("t"), admin.partitions_for("x")
    (['t'], 3, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kstreams_nb.clients.memory.broker import EmbeddedBroker
from kstreams_nb.clients.memory.consumer import MemoryConsumer
from kstreams_nb.clients.memory.producer import MemoryProducer
from kstreams_nb.records import TopicPartition

__all__ = ["MemoryAdmin", "MemoryClientSupplier", "client_supplier"]

_SCHEME = "memory://"


class MemoryAdmin:
    """Creates, deletes and describes topics of an embedded broker.

    Example::

        >>> admin = MemoryAdmin(EmbeddedBroker())
        >>> admin.create_topic("a"); admin.delete_topic("a"); admin.list_topics()
        []
    """

    def __init__(self, broker: EmbeddedBroker) -> None:
        self._broker = broker

    def create_topic(self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None) -> None:
        """Create a topic (TopicExistsError when it exists)."""
        self._broker.create_topic(name, partitions, config)

    def delete_topic(self, name: str) -> None:
        """Delete a topic (UnknownTopicError when missing)."""
        self._broker.delete_topic(name)

    def partitions_for(self, topic: str) -> int | None:
        """The partition count, or None when the topic does not exist."""
        return self._broker.topics().get(topic)

    def list_topics(self) -> list[str]:
        """Every topic name, sorted."""
        return sorted(self._broker.topics())

    def group_members(self, group_id: str) -> list[str]:
        """Member ids of the group's members, sorted ([] for an empty or unknown group)."""
        if group_id not in self._broker.groups():
            return []
        return sorted(self._broker.describe_group(group_id).members)

    def committed_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        """Every committed offset of the group ({} for an unknown group)."""
        if group_id not in self._broker.groups():
            return {}
        return self._broker.group(group_id).committed_snapshot()

    def close(self) -> None:
        """Nothing to release."""


class MemoryClientSupplier:
    """Kafka's KafkaClientSupplier for the embedded broker: every client it makes talks to ``broker``.

    Example::

        >>> supplier = MemoryClientSupplier(EmbeddedBroker())
        >>> consumer = supplier.restore_consumer({"group.id": "ignored"})
        >>> consumer.assignment()
        []
    """

    def __init__(self, broker: EmbeddedBroker) -> None:
        self.broker = broker

    def producer(self, config: Mapping[str, Any]) -> MemoryProducer:
        """A producer (transactional when ``transactional.id`` is set)."""
        return MemoryProducer(self.broker, config)

    def consumer(self, config: Mapping[str, Any]) -> MemoryConsumer:
        """A consumer (``group.id``, ``isolation.level``, ``auto.offset.reset``, ``max.poll.interval.ms``,
        ``partition.assignment.strategy``, ``member.metadata``: see :class:`MemoryConsumer`)."""
        return MemoryConsumer(self.broker, config)

    def restore_consumer(self, config: Mapping[str, Any]) -> MemoryConsumer:
        """A consumer outside any group (Kafka Streams gives its restore consumer no ``group.id``)."""
        return MemoryConsumer(self.broker, {k: v for k, v in config.items() if k != "group.id"})

    def admin(self, config: Mapping[str, Any]) -> MemoryAdmin:
        """An admin client."""
        return MemoryAdmin(self.broker)

    def __repr__(self) -> str:
        return f"MemoryClientSupplier({self.broker!r})"


def client_supplier(bootstrap_servers: str) -> MemoryClientSupplier:
    """The supplier for ``memory://NAME`` (``clients.base.supplier_for`` calls this); NAME defaults to "default".

    Example::

        >>> client_supplier("memory://demo").broker is EmbeddedBroker.named("demo")
        True
        >>> EmbeddedBroker.drop("demo")
    """
    address = bootstrap_servers.split(",", 1)[0].strip()
    name = address[len(_SCHEME) :] if address.startswith(_SCHEME) else address
    return MemoryClientSupplier(EmbeddedBroker.named(name.strip("/") or "default"))


if TYPE_CHECKING:
    from kstreams_nb.clients.base import Admin, ClientSupplier, Consumer, Producer

    def _conforms(
        s: MemoryClientSupplier, c: MemoryConsumer, p: MemoryProducer, a: MemoryAdmin
    ) -> tuple[ClientSupplier, Consumer, Producer, Admin]:
        """mypy checks here that the memory clients implement the protocols of clients.base."""
        return s, c, p, a
