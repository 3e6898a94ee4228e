"""The embedded in-memory broker: topics of partition logs, consumer groups and a transaction coordinator.

Locks: one per partition log (appends and fetches), one per consumer group, one per transactional id, and a
broker lock only for topic metadata; none is held while taking another except in the order
transaction → group → metadata and transaction → partition log.

Example::

    >>> broker = EmbeddedBroker()
    >>> broker.create_topic("words", partitions=3)
    >>> broker.produce("words", b"a", b"hello", timestamp=7)
    (1, 0)
    >>> [(r.partition, r.offset, r.value) for r in broker.read("words")]
    [(1, 0, b'hello')]
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import ClassVar

from kstreams_nb._time import Clock, SystemClock
from kstreams_nb.clients.memory.compaction import CompactionPolicy
from kstreams_nb.clients.memory.group import ConsumerGroup, GroupDescription
from kstreams_nb.clients.memory.log import PartitionLog, RawRecord
from kstreams_nb.clients.memory.transactions import TransactionCoordinator
from kstreams_nb.errors import BrokerError, ConfigError, SerializationError, TopicExistsError, UnknownTopicError
from kstreams_nb.partitioner import default_partition
from kstreams_nb.records import ConsumerRecord, Headers, TopicPartition, as_headers

__all__ = [
    "EmbeddedBroker",
    "check_isolation",
    "check_payload",
    "check_timestamp",
    "choose_partition",
    "validate_topic_name",
]

_LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]+")
_MAX_TOPIC_LENGTH = 249
READ_COMMITTED, READ_UNCOMMITTED = "read_committed", "read_uncommitted"


def validate_topic_name(name: str) -> None:
    """Kafka's topic name rules (``org.apache.kafka.common.internals.Topic.validate``); raises BrokerError."""
    if not isinstance(name, str) or not name:
        raise BrokerError(f"invalid topic name {name!r}: it must be a non-empty string")
    if name in (".", ".."):
        raise BrokerError(f"invalid topic name {name!r}: '.' and '..' are not allowed")
    if len(name) > _MAX_TOPIC_LENGTH:
        raise BrokerError(f"invalid topic name {name[:40]!r}...: longer than {_MAX_TOPIC_LENGTH} characters")
    if not _LEGAL_TOPIC.fullmatch(name):
        raise BrokerError(f"invalid topic name {name!r}: only ASCII letters, digits, '.', '_' and '-' are allowed")


def check_isolation(isolation: str) -> bool:
    """True for ``read_committed``, False for ``read_uncommitted``; anything else raises ConfigError."""
    if isolation == READ_COMMITTED:
        return True
    if isolation == READ_UNCOMMITTED:
        return False
    raise ConfigError(f"isolation.level must be 'read_committed' or 'read_uncommitted', got {isolation!r}")


def check_payload(key: bytes | None, value: bytes | None) -> None:
    """Keys and values reach the broker serialized: bytes or None."""
    if key is not None and type(key) is not bytes:
        raise SerializationError(f"record key must be bytes or None, got {type(key).__name__}; serialize it first")
    if value is not None and type(value) is not bytes:
        raise SerializationError(f"record value must be bytes or None, got {type(value).__name__}; serialize it first")


class _Topic:
    __slots__ = ("config", "logs", "name", "round_robin")

    def __init__(self, name: str, partitions: int, config: Mapping[str, str] | None, clock: Clock) -> None:
        self.name = name
        self.config = dict(config or {})
        compaction = CompactionPolicy.from_config(self.config, clock.milliseconds)  # cleanup.policy=compact
        self.logs = tuple(PartitionLog(name, p, compaction) for p in range(partitions))
        self.round_robin = itertools.count()


class EmbeddedBroker:
    """An in-process Kafka "cluster": partitioned topics, offsets, consumer groups, transactions.

    ``EmbeddedBroker.named(name)`` is the process-wide broker behind ``memory://name``; ``EmbeddedBroker()``
    makes a private one. ``clock`` stamps records produced without a timestamp; ``ticker`` (seconds, monotonic)
    times ``max.poll.interval.ms``. With ``auto_create_topics`` producing to (or consuming from) a missing topic
    creates it with ``default_partitions``; off by default, as Kafka Streams applications must not rely on it.

    Example::

        >>> b = EmbeddedBroker.reset("doc")
        >>> b.create_topic("t", partitions=2)
        >>> EmbeddedBroker.named("doc") is b, b.topics()
        (True, {'t': 2})
        >>> EmbeddedBroker.drop("doc")
    """

    _registry: ClassVar[dict[str, EmbeddedBroker]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        auto_create_topics: bool = False,
        default_partitions: int = 1,
        ticker: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.auto_create_topics = auto_create_topics
        self.default_partitions = default_partitions
        self.ticker = ticker
        self._lock = threading.Lock()  # topic metadata only
        self._topics: dict[str, _Topic] = {}
        self._groups_lock = threading.Lock()
        self._groups: dict[str, ConsumerGroup] = {}
        self.transactions = TransactionCoordinator(self.find_group, ticker)

    # -- the process-wide registry ------------------------------------------------------------------------------

    @classmethod
    def named(cls, name: str = "default") -> EmbeddedBroker:
        """The process-wide broker called ``name`` (``memory://name``), created on first use."""
        with cls._registry_lock:
            broker = cls._registry.get(name)
            if broker is None:
                broker = cls._registry[name] = cls(name)
            return broker

    @classmethod
    def reset(
        cls, name: str = "default", *, clock: Clock | None = None, auto_create_topics: bool = False
    ) -> EmbeddedBroker:
        """Replace the broker called ``name`` by a new, empty one and return it (tests)."""
        with cls._registry_lock:
            broker = cls._registry[name] = cls(name, clock=clock, auto_create_topics=auto_create_topics)
            return broker

    @classmethod
    def drop(cls, name: str = "default") -> None:
        """Forget the broker called ``name`` (the next ``named(name)`` makes a new one)."""
        with cls._registry_lock:
            cls._registry.pop(name, None)

    # -- topics -------------------------------------------------------------------------------------------------

    def create_topic(self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None) -> None:
        """Create a topic; TopicExistsError when it exists, BrokerError for an illegal name or partition count."""
        validate_topic_name(name)
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise BrokerError(f"topic {name!r}: the number of partitions must be a positive int, got {partitions!r}")
        with self._lock:
            if name in self._topics:
                raise TopicExistsError(f"topic {name!r} already exists")
            collision = name.replace(".", "_")
            for other in self._topics:
                if other.replace(".", "_") == collision:
                    raise BrokerError(
                        f"topic {name!r} collides with existing topic {other!r} ('.' and '_' are treated alike)"
                    )
            self._topics[name] = _Topic(name, partitions, config, self.clock)
        self._metadata_changed()

    def delete_topic(self, name: str) -> None:
        """Delete a topic and the groups' committed offsets for it; UnknownTopicError when missing."""
        with self._lock:
            topic = self._topics.pop(name, None)
        if topic is None:
            raise UnknownTopicError(f"cannot delete topic {name!r}: it does not exist")
        for partition_log in topic.logs:
            partition_log.mark_deleted()
        for group in self._group_snapshot():
            group.drop_topic(name)
        self._metadata_changed()

    def topics(self) -> dict[str, int]:
        """Every topic with its partition count."""
        with self._lock:
            return {name: len(t.logs) for name, t in self._topics.items()}

    def has_topic(self, name: str) -> bool:
        """True when the topic exists."""
        with self._lock:
            return name in self._topics

    def partitions_for(self, topic: str) -> int:
        """The partition count of ``topic``; UnknownTopicError when missing."""
        return len(self.logs(topic, create=False))

    def topic_config(self, topic: str) -> dict[str, str]:
        """The config the topic was created with."""
        with self._lock:
            t = self._topics.get(topic)
        if t is None:
            raise UnknownTopicError(f"unknown topic {topic!r}")
        return dict(t.config)

    def logs(self, topic: str, create: bool | None = None) -> tuple[PartitionLog, ...]:
        """The partition logs of ``topic``; creates it when ``create`` (default: ``auto_create_topics``)."""
        with self._lock:
            t = self._topics.get(topic)
        if t is not None:
            return t.logs
        if create if create is not None else self.auto_create_topics:
            try:
                self.create_topic(topic, self.default_partitions)
            except TopicExistsError:
                pass
            return self.logs(topic, create=False)
        raise UnknownTopicError(
            f"unknown topic {topic!r}: create it first (auto topic creation is off, as Kafka Streams expects)"
        )

    def log(self, tp: TopicPartition) -> PartitionLog | None:
        """The log of one partition, or None when the topic or partition does not exist."""
        with self._lock:
            t = self._topics.get(tp.topic)
        if t is None or not 0 <= tp.partition < len(t.logs):
            return None
        return t.logs[tp.partition]

    def round_robin(self, topic: str) -> Iterator[int]:
        """The broker-level counter used to spread null-key records of ``produce`` over partitions."""
        with self._lock:
            t = self._topics.get(topic)
        if t is None:
            raise UnknownTopicError(f"unknown topic {topic!r}")
        return t.round_robin

    def _metadata_changed(self) -> None:
        for group in self._group_snapshot():
            group.on_metadata_change()

    # -- groups -------------------------------------------------------------------------------------------------

    def group(self, group_id: str) -> ConsumerGroup:
        """The consumer group ``group_id``, created on first use."""
        with self._groups_lock:
            group = self._groups.get(group_id)
            if group is None:
                group = self._groups[group_id] = ConsumerGroup(group_id, self.topics, self.ticker)
            return group

    def find_group(self, group_id: str) -> ConsumerGroup | None:
        """The consumer group ``group_id`` (created on first use, as Kafka's coordinator does)."""
        return self.group(group_id)

    def groups(self) -> list[str]:
        """The ids of every group that was used."""
        with self._groups_lock:
            return sorted(self._groups)

    def describe_group(self, group_id: str) -> GroupDescription:
        """State, generation and member assignments of a group."""
        return self.group(group_id).describe()

    def committed(self, group_id: str, tp: TopicPartition) -> int | None:
        """The offset ``group_id`` committed for ``tp`` (the next offset to read), or None."""
        offsets, _ = self.group(group_id).committed([tp])
        return offsets[tp]

    def committed_metadata(self, group_id: str, tp: TopicPartition) -> str | None:
        """The metadata string ``group_id`` committed with its offset for ``tp``, or None."""
        return self.group(group_id).committed_metadata([tp])[tp]

    def wait_until_consumed(self, group_id: str, topics: Iterable[str], timeout: float = 30.0) -> bool:
        """Wait until ``group_id`` has committed everything written to ``topics`` so far, including what its own
        processing writes to them meanwhile (e.g. repartition topics); False when ``timeout`` seconds pass first.

        Example: ``broker.wait_until_consumed("wordcount", ["text", "wordcount-...-repartition"])``.
        """
        deadline = time.monotonic() + timeout
        names = list(topics)
        group = self.group(group_id)
        previous: dict[TopicPartition, int] | None = None
        while True:
            ends = {
                TopicPartition(t, p): end for t in names if self.has_topic(t) for p, end in self.end_offsets(t).items()
            }
            if ends == previous:
                return True
            if not group.wait_until_committed(ends, max(0.0, deadline - time.monotonic())):
                return False
            previous = ends

    def _group_snapshot(self) -> list[ConsumerGroup]:
        with self._groups_lock:
            return list(self._groups.values())

    # -- convenience producing and reading ----------------------------------------------------------------------

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int | None = None,
        partition: int | None = None,
        headers: Headers | Iterable[tuple[str, bytes | None]] | None = None,
    ) -> tuple[int, int]:
        """Append one record (non-transactional, visible at once); returns ``(partition, offset)``.

        Without ``partition``, a non-null key goes to Kafka's murmur2 partition and null keys go round-robin.
        """
        logs = self.logs(topic)
        check_payload(key, value)
        p = choose_partition(topic, logs, key, partition, self.round_robin(topic))
        ts = self.clock.milliseconds() if timestamp is None else check_timestamp(timestamp)
        return p, logs[p].append_batch([(key, value, ts, as_headers(headers))])

    def produce_batch(
        self, topic: str, records: Iterable[tuple[bytes | None, bytes | None]], timestamp: int | None = None
    ) -> list[tuple[int, int]]:
        """Append many ``(key, value)`` records, one lock acquisition per partition; returns their positions."""
        logs = self.logs(topic)
        counter = self.round_robin(topic)
        ts = self.clock.milliseconds() if timestamp is None else check_timestamp(timestamp)
        batches: dict[int, list[RawRecord]] = {}
        targets: list[tuple[int, int]] = []
        for key, value in records:
            check_payload(key, value)
            p = choose_partition(topic, logs, key, None, counter)
            batch = batches.setdefault(p, [])
            targets.append((p, len(batch)))
            batch.append((key, value, ts, as_headers(None)))
        bases = {p: logs[p].append_batch(batch) for p, batch in batches.items()}
        return [(p, bases[p] + i) for p, i in targets]

    def read_partition(
        self, topic: str, partition: int, isolation: str = READ_COMMITTED, start: int = 0
    ) -> list[ConsumerRecord]:
        """Every record of one partition from ``start`` that a consumer with ``isolation`` would see."""
        logs = self.logs(topic, create=False)
        if not 0 <= partition < len(logs):
            raise UnknownTopicError(f"topic {topic!r} has no partition {partition} (it has {len(logs)})")
        records, _ = logs[partition].fetch(start, 1 << 62, check_isolation(isolation))
        return records

    def read(self, topic: str, isolation: str = READ_COMMITTED) -> list[ConsumerRecord]:
        """Every visible record of a topic, ordered by (partition, offset)."""
        return [r for p in range(self.partitions_for(topic)) for r in self.read_partition(topic, p, isolation)]

    def end_offsets(self, topic: str, isolation: str = READ_UNCOMMITTED) -> dict[int, int]:
        """Partition → end offset: the high watermark, or the last stable offset for ``read_committed``."""
        read_committed = check_isolation(isolation)
        return {log.partition: log.end_offset(read_committed) for log in self.logs(topic, create=False)}

    def __repr__(self) -> str:
        return f"EmbeddedBroker(name={self.name!r}, topics={self.topics()})"


def check_timestamp(timestamp: int) -> int:
    """Kafka refuses negative record timestamps."""
    if timestamp < 0:
        raise BrokerError(f"invalid record timestamp {timestamp}: it must not be negative")
    return timestamp


def choose_partition(
    topic: str, logs: tuple[PartitionLog, ...], key: bytes | None, partition: int | None, counter: Iterator[int]
) -> int:
    """The explicit partition (checked), murmur2 of a non-null key, else the next round-robin partition."""
    n = len(logs)
    if partition is not None:
        if not 0 <= partition < n:
            raise BrokerError(f"invalid partition {partition} for topic {topic!r}: it has partitions [0, {n})")
        return partition
    if key is not None:
        return default_partition(key, n)
    return next(counter) % n
