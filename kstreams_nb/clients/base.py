"""Client protocols: all the engine knows about brokers.

The engine reads through a :class:`Consumer`, writes through a :class:`Producer` and manages topics through an
:class:`Admin`; a :class:`ClientSupplier` makes them. :func:`supplier_for` picks the default supplier from the
address scheme (``memory://NAME`` → the embedded broker, anything else → confluent-kafka) through a table of
module names, so no static import crosses the layers.

Offsets given to ``commit`` / ``send_offsets_to_transaction`` are the NEXT offsets to read (Kafka's convention).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kstreams_nb.records import ConsumerRecord, Headers, TopicPartition

__all__ = [
    "Admin",
    "ClientSupplier",
    "Consumer",
    "GroupMetadata",
    "Producer",
    "RebalanceListener",
    "supplier_for",
]

RebalanceListener = Callable[[list[TopicPartition]], None]
"""Called with the partitions assigned (``on_assign``) or about to be taken away (``on_revoke``)."""


class GroupMetadata(Protocol):
    """A consumer's group identity for fencing transactional offset commits (KIP-447)."""

    @property
    def group_id(self) -> str: ...
    @property
    def generation(self) -> int: ...
    @property
    def member_id(self) -> str: ...


class Producer(Protocol):
    """Writes records. ``produce`` may buffer; ``flush`` waits until every buffered record is written.

    Transactions (exactly-once): ``init_transactions`` once, then per batch ``begin_transaction`` → produce →
    ``send_offsets_to_transaction`` → ``commit_transaction`` (or ``abort_transaction``).
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

    def flush(self, timeout: float | None = None) -> None: ...

    def init_transactions(self, timeout: float | None = None) -> None: ...

    def begin_transaction(self) -> None: ...

    def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, int], group_metadata: GroupMetadata, timeout: float | None = None
    ) -> None: ...

    def commit_transaction(self, timeout: float | None = None) -> None: ...

    def abort_transaction(self, timeout: float | None = None) -> None: ...

    def close(self) -> None: ...


class Consumer(Protocol):
    """Reads records, as a member of a consumer group (``subscribe``) or of none (``assign``)."""

    def subscribe(
        self,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: RebalanceListener | None = None,
        on_revoke: RebalanceListener | None = None,
    ) -> None: ...

    def assign(self, partitions: Sequence[TopicPartition]) -> None: ...

    def assignment(self) -> list[TopicPartition]: ...

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumerRecord]: ...

    def seek(self, tp: TopicPartition, offset: int) -> None: ...

    def seek_to_beginning(self, partitions: Sequence[TopicPartition]) -> None: ...

    def position(self, tp: TopicPartition) -> int: ...

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]: ...

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None: ...

    def group_metadata(self) -> GroupMetadata: ...

    def wakeup(self) -> None: ...

    def close(self) -> None: ...


class Admin(Protocol):
    """Creates, deletes and describes topics."""

    def create_topic(self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None) -> None: ...

    def delete_topic(self, name: str) -> None: ...

    def partitions_for(self, topic: str) -> int | None: ...

    def list_topics(self) -> list[str]: ...

    def close(self) -> None: ...


class ClientSupplier(Protocol):
    """Makes the clients of one KafkaStreams instance (Kafka's KafkaClientSupplier).

    ``config`` holds client settings: ``bootstrap.servers``, ``client.id``, and for consumers ``group.id``,
    ``isolation.level`` (``read_committed`` | ``read_uncommitted``), ``auto.offset.reset``; for producers
    ``transactional.id`` when exactly-once is on.
    """

    def producer(self, config: Mapping[str, Any]) -> Producer: ...

    def consumer(self, config: Mapping[str, Any]) -> Consumer: ...

    def restore_consumer(self, config: Mapping[str, Any]) -> Consumer: ...

    def admin(self, config: Mapping[str, Any]) -> Admin: ...


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
