"""Client protocols: all the engine knows about brokers.

The engine reads through a :class:`Consumer`, writes through a :class:`Producer` and manages topics through an
:class:`Admin`; a :class:`ClientSupplier` makes them. :func:`supplier_for` picks the default supplier from the
address scheme (``memory://NAME`` → the embedded broker, a ``host:port`` list → confluent-kafka, any other scheme
refused) through a table of module names, so no static import crosses the layers.

Offsets given to ``commit`` / ``send_offsets_to_transaction`` are the NEXT offsets to read (Kafka's convention);
each may carry a metadata string (Kafka's OffsetAndMetadata), read back with ``Consumer.committed_metadata``.

Example (the engine's view of a group member; any supplier works the same way)::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
    >>> broker = EmbeddedBroker()
    >>> broker.create_topic("in", partitions=2)
    >>> consumer: Consumer = MemoryClientSupplier(broker).consumer({"group.id": "app"})
    >>> consumer.subscribe(["in"])
    >>> consumer.poll_batch(10, timeout=0.0), consumer.lag(TopicPartition("in", 0))
    ([], 0)
    >>> consumer.commit({TopicPartition("in", 0): 0}, {TopicPartition("in", 0): "stream-time=0"})
    >>> consumer.committed_metadata([TopicPartition("in", 0), TopicPartition("in", 1)])
    {TopicPartition(topic='in', partition=0): 'stream-time=0', TopicPartition(topic='in', partition=1): None}
    >>> consumer.close()
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kstreams_nb.errors import BrokerError, ConfigError
from kstreams_nb.records import ConsumerRecord, Headers, TopicPartition

__all__ = [
    "Admin",
    "ClientSupplier",
    "Consumer",
    "GroupMetadata",
    "InvalidOffsetError",
    "NoOffsetForPartitionError",
    "OffsetOutOfRangeError",
    "Producer",
    "RebalanceListener",
    "check_bootstrap_servers",
    "supplier_for",
]

RebalanceListener = Callable[[list[TopicPartition]], None]
"""Called with the partitions assigned (``on_assign``), about to be taken away (``on_revoke``) or already lost
to other members (``on_lost``)."""

class InvalidOffsetError(BrokerError):
    """A consumer has no valid position for ``partitions`` and its ``auto.offset.reset`` is ``none`` (Kafka's
    InvalidOffsetException): ``seek`` / ``seek_to_beginning`` / ``seek_to_end`` them, then poll again.

    Example::

        >>> e = NoOffsetForPartitionError([TopicPartition("t", 0)], "no committed offset")
        >>> isinstance(e, InvalidOffsetError), e.partitions
        (True, [TopicPartition(topic='t', partition=0)])
    """

    def __init__(self, partitions: Sequence[TopicPartition], message: str) -> None:
        super().__init__(message)
        self.partitions: list[TopicPartition] = list(partitions)


class NoOffsetForPartitionError(InvalidOffsetError):
    """Kafka's NoOffsetForPartitionException: the group has no committed offset for ``partitions`` (raised by
    ``poll_batch`` and ``position`` under ``auto.offset.reset=none``)."""


class OffsetOutOfRangeError(InvalidOffsetError):
    """Kafka's OffsetOutOfRangeException: the position of ``partitions`` is outside their log (e.g. the topic was
    re-created); raised by ``poll_batch`` under ``auto.offset.reset=none``."""


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
        self,
        offsets: Mapping[TopicPartition, int],
        group_metadata: GroupMetadata,
        timeout: float | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit ``offsets`` (and a ``metadata`` string per partition, optional) with the open transaction."""
        ...

    def commit_transaction(self, timeout: float | None = None) -> None: ...

    def abort_transaction(self, timeout: float | None = None) -> None: ...

    def close(self) -> None: ...


class Consumer(Protocol):
    """Reads records, as a member of a consumer group (``subscribe``) or of none (``assign``).

    Used from one thread, except ``wakeup``. Group work happens inside ``poll_batch``, which runs the rebalance
    listeners before it returns records:

    * a rebalance (eager protocol): ``on_revoke(all current partitions)``, then ``on_assign(new partitions)``;
    * dropped from the group (it did not poll within ``max.poll.interval.ms``, or its commit failed with
      CommitFailedError): its next ``poll_batch`` calls ``on_lost(partitions)`` (default: ``on_revoke``) — the
      partitions may already belong to another member, so commits for them fail — then rejoins as a NEW member
      (new member id) and picks up its assignment with ``on_assign``, as Kafka's onPartitionsLost. Alternatively
      ``unsubscribe()`` (which calls ``on_lost`` rather than ``on_revoke`` when the member was dropped) and
      ``subscribe(...)`` again;
    * ``auto.offset.reset=none`` and no committed offset: ``poll_batch`` / ``position`` raise
      :class:`NoOffsetForPartitionError` naming the partitions; seek them (also allowed inside ``on_assign``) and
      poll again. A position outside the log raises :class:`OffsetOutOfRangeError` the same way.

    Config keys (besides ``group.id``, ``client.id``, ``isolation.level``, ``auto.offset.reset``,
    ``max.poll.interval.ms``): ``partition.assignment.strategy`` — ``"range"``, the one strategy the engine uses
    (every Kafka client has it; librdkafka has no pluggable assignor). The embedded broker's consumer also takes
    a client-side assignor callable (see :class:`kstreams_nb.clients.memory.MemoryConsumer`).

    Example::

        >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
        >>> broker = EmbeddedBroker()
        >>> broker.create_topic("in", partitions=2)
        >>> c = MemoryClientSupplier(broker).consumer({"group.id": "app", "auto.offset.reset": "none"})
        >>> c.subscribe(["in"], on_assign=lambda tps: c.seek_to_end(tps))
        >>> c.poll_batch(10, timeout=0.0), c.position(TopicPartition("in", 1))
        ([], 0)
        >>> c.close()
    """

    def subscribe(
        self,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: RebalanceListener | None = None,
        on_revoke: RebalanceListener | None = None,
        on_lost: RebalanceListener | None = None,
    ) -> None:
        """Join the consumer group (a fresh member id after ``unsubscribe``); listeners run inside poll."""
        ...

    def unsubscribe(self) -> None:
        """Leave the group (``on_revoke``, or ``on_lost`` if already dropped) or drop the manual assignment."""
        ...

    def assign(self, partitions: Sequence[TopicPartition]) -> None: ...

    def assignment(self) -> list[TopicPartition]: ...

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumerRecord]: ...

    def seek(self, tp: TopicPartition, offset: int) -> None: ...

    def seek_to_beginning(self, partitions: Sequence[TopicPartition]) -> None: ...

    def seek_to_end(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions from their end offset (LSO under read_committed, else high watermark) next."""
        ...

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        """Stop returning records of these assigned partitions from ``poll_batch`` until ``resume``; their
        positions, lag and the assignment stay as they are, and no rebalance follows (Kafka's ``pause``). A pause
        ends with the partition's assignment: a rebalance drops every pause (the eager protocol revokes all
        partitions), ``assign`` keeps those of the partitions it keeps. BrokerError for a partition not assigned.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("t")
            >>> _ = broker.produce("t", None, b"x")
            >>> c: Consumer = MemoryClientSupplier(broker).consumer({})
            >>> tp = TopicPartition("t", 0)
            >>> c.assign([tp]); c.pause([tp])
            >>> c.poll_batch(10, timeout=0.0), c.paused(), c.lag(tp)
            ([], {TopicPartition(topic='t', partition=0)}, 1)
            >>> c.resume([tp]); [r.value for r in c.poll_batch(10, timeout=0.0)]
            [b'x']
        """
        ...

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        """Return records of these paused partitions again, from their positions (no-op for one not paused);
        BrokerError for a partition not assigned."""
        ...

    def paused(self) -> set[TopicPartition]:
        """The assigned partitions paused now (a copy)."""
        ...

    def position(self, tp: TopicPartition) -> int: ...

    def lag(self, tp: TopicPartition) -> int | None:
        """End offset (as ``end_offsets``) minus position, never negative; None when ``tp`` is not assigned or
        has no position yet (before the poll that resolves it). Cheap: no per-record work."""
        ...

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]: ...

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """Per partition, the earliest offset whose record timestamp is >= the given epoch ms (None when no
        record is that late); Kafka's ``offsetsForTimes``. The partitions need not be assigned."""
        ...

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]: ...

    def committed_metadata(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, str | None]:
        """The metadata string committed with each partition's offset (None: no offset, or one without)."""
        ...

    def wait_for_committed(self, offsets: Mapping[TopicPartition, int], timeout: float) -> bool:
        """Block until the group's committed offset of every partition in ``offsets`` reaches the given offset
        (True) or ``timeout`` seconds pass (False). A client that is not told of commits polls ``committed``."""
        ...

    def commit(
        self, offsets: Mapping[TopicPartition, int], metadata: Mapping[TopicPartition, str] | None = None
    ) -> None:
        """Commit the next offsets to read, each with an optional metadata string (a partition committed without
        one has none afterwards, as Kafka's OffsetAndMetadata with empty metadata)."""
        ...

    def group_metadata(self) -> GroupMetadata: ...

    def wakeup(self) -> None: ...

    def close(self) -> None: ...


class Admin(Protocol):
    """Creates, deletes and describes topics; describes consumer groups (what an application reset needs)."""

    def create_topic(self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None) -> None: ...

    def delete_topic(self, name: str) -> None: ...

    def partitions_for(self, topic: str) -> int | None: ...

    def list_topics(self) -> list[str]: ...

    def group_members(self, group_id: str) -> list[str]:
        """The member ids of the group's active members, sorted ([] for an empty or unknown group); Kafka's
        ``describeConsumerGroups(...).members()``. A member that stopped polling counts until the group removes
        it (its session or poll interval expired).

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("in")
            >>> supplier = MemoryClientSupplier(broker)
            >>> admin: Admin = supplier.admin({})
            >>> consumer = supplier.consumer({"group.id": "app"})
            >>> consumer.subscribe(["in"]); _ = consumer.poll_batch(1, timeout=0.0)
            >>> len(admin.group_members("app")), admin.group_members("nobody")
            (1, [])
            >>> consumer.close(); admin.group_members("app")
            []
        """
        ...

    def committed_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        """Every partition the group has a committed offset for, with that offset (the next to read); {} for a
        group that committed nothing or is unknown. Kafka's ``listConsumerGroupOffsets``.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("in")
            >>> supplier = MemoryClientSupplier(broker)
            >>> consumer = supplier.consumer({"group.id": "app"})
            >>> consumer.commit({TopicPartition("in", 0): 7})
            >>> supplier.admin({}).committed_offsets("app")
            {TopicPartition(topic='in', partition=0): 7}
        """
        ...

    def close(self) -> None: ...


class ClientSupplier(Protocol):
    """Makes the clients of one KafkaStreams instance (Kafka's KafkaClientSupplier).

    ``config`` holds client settings: ``bootstrap.servers``, ``client.id``, and for consumers ``group.id``,
    ``isolation.level`` (``read_committed`` | ``read_uncommitted``), ``auto.offset.reset`` (``earliest`` |
    ``latest`` | ``none``: raise :class:`NoOffsetForPartitionError` so the caller seeks by its own policy),
    ``max.poll.interval.ms``, ``partition.assignment.strategy`` (``"range"``); for producers
    ``transactional.id`` when exactly-once is on.

    Example::

        >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
        >>> supplier: ClientSupplier = MemoryClientSupplier(EmbeddedBroker())
        >>> consumer = supplier.consumer({"group.id": "app", "partition.assignment.strategy": "range"})
        >>> consumer.close()
    """

    def producer(self, config: Mapping[str, Any]) -> Producer: ...

    def consumer(self, config: Mapping[str, Any]) -> Consumer: ...

    def restore_consumer(self, config: Mapping[str, Any]) -> Consumer: ...

    def admin(self, config: Mapping[str, Any]) -> Admin: ...


_SUPPLIERS = {
    "memory": "kstreams_nb.clients.memory",
    "kafka": "kstreams_nb.clients.confluent",
}
#: security-protocol prefixes a Kafka bootstrap address may carry (``SASL_SSL://host:9093``)
_KAFKA_SCHEMES = ("PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT")


def check_bootstrap_servers(bootstrap_servers: str) -> str:
    """The kind of client an address needs (``"memory"`` or ``"kafka"``); ConfigError naming the accepted forms
    for a scheme no client serves. Cheap: imports no client.

    Example::

        >>> check_bootstrap_servers("memory://demo"), check_bootstrap_servers("SSL://a:9093,SSL://b:9093")
        ('memory', 'kafka')
        >>> check_bootstrap_servers("memry://x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        kstreams_nb.errors.ConfigError: bootstrap.servers: unknown scheme 'memry'://; use memory://NAME ...
    """
    schemes = [part.split("://", 1)[0].strip() for part in bootstrap_servers.split(",") if "://" in part]
    if schemes and schemes[0].lower() == "memory":
        return "memory"
    for scheme in schemes:
        if scheme.upper() not in _KAFKA_SCHEMES:
            raise ConfigError(
                f"bootstrap.servers: unknown scheme {scheme!r}://; use memory://NAME for the embedded broker or "
                f"host:port[,host:port] (optionally prefixed by {', '.join(s + '://' for s in _KAFKA_SCHEMES)})"
            )
    return "kafka"


def supplier_for(bootstrap_servers: str) -> ClientSupplier:
    """The default ClientSupplier for an address: ``memory://NAME`` or a Kafka bootstrap list (ConfigError for
    any other scheme, see :func:`check_bootstrap_servers`)."""
    module = importlib.import_module(_SUPPLIERS[check_bootstrap_servers(bootstrap_servers)])
    supplier: ClientSupplier = module.client_supplier(bootstrap_servers)
    return supplier
