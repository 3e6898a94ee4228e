"""Client protocols: all the engine knows about brokers.

The engine reads through a :class:`Consumer`, writes through a :class:`Producer` and manages topics through an
:class:`Admin`; a :class:`ClientSupplier` makes them. ``supplier_for(bootstrap_servers)`` picks the default
supplier from the address scheme (``memory://NAME`` → the embedded broker, anything else → confluent-kafka)
through a table of module names, so no static import crosses the layers.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol

from kstreams_nb.records import ConsumerRecord, Headers

__all__ = ["Admin", "ClientSupplier", "Consumer", "Producer", "supplier_for"]


class Producer(Protocol):
    """Writes records; ``produce`` may buffer, ``flush`` waits for every buffered record."""

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

    def flush(self, timeout: float | None = None) -> None: ...


class Consumer(Protocol):
    """Reads records of assigned partitions in batches."""

    def poll_batch(self, max_records: int, timeout: float) -> Sequence[ConsumerRecord]: ...

    def close(self) -> None: ...


class Admin(Protocol):
    """Creates, deletes and lists topics."""

    def create_topic(self, name: str, partitions: int = 1, config: dict[str, str] | None = None) -> None: ...

    def partitions_for(self, topic: str) -> int | None: ...

    def list_topics(self) -> list[str]: ...


class ClientSupplier(Protocol):
    """Makes the clients of one KafkaStreams instance."""

    def producer(self, config: dict[str, Any]) -> Producer: ...

    def consumer(self, config: dict[str, Any]) -> Consumer: ...

    def admin(self, config: dict[str, Any]) -> Admin: ...


_SUPPLIERS = {
    "memory": "kstreams_nb.clients.memory",
    "kafka": "kstreams_nb.clients.confluent",
}


def supplier_for(bootstrap_servers: str) -> ClientSupplier:
    """The default ClientSupplier for an address: ``memory://NAME`` or a Kafka bootstrap list."""
    scheme = bootstrap_servers.split("://", 1)[0] if "://" in bootstrap_servers else "kafka"
    module = importlib.import_module(_SUPPLIERS.get(scheme, _SUPPLIERS["kafka"]))
    supplier: ClientSupplier = module.client_supplier(bootstrap_servers)
    return supplier
