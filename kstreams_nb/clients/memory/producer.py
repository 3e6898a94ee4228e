"""MemoryProducer: the Producer protocol over the embedded broker, with Kafka's transactions.

``produce`` appends at once (no batching or linger: a record is visible to read_uncommitted consumers when the
call returns, and to read_committed ones when it is outside a transaction). Thread-safe like Kafka's producer.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kstreams_nb.clients.base import GroupMetadata
from kstreams_nb.clients.memory.broker import check_payload, check_timestamp, choose_partition
from kstreams_nb.clients.memory.errors import CommitFailedError
from kstreams_nb.clients.memory.log import NO_PRODUCER, PartitionLog
from kstreams_nb.errors import ProducerFencedError, TransactionError, UnknownTopicError
from kstreams_nb.partitioner import default_partition
from kstreams_nb.records import Headers, TopicPartition, as_headers

if TYPE_CHECKING:
    from kstreams_nb.clients.memory.broker import EmbeddedBroker

__all__ = ["MemoryProducer"]

_client_ids = itertools.count(1)
_PARTITION_CACHE_SIZE = 65_536  # key -> partition memo per topic: murmur2 in Python costs microseconds
# Transaction states (a subset of Kafka's TransactionManager.State).
_UNINITIALIZED, _READY, _IN_TXN, _ABORTABLE, _FENCED, _CLOSED = (
    "UNINITIALIZED",
    "READY",
    "IN_TRANSACTION",
    "ABORTABLE_ERROR",
    "FENCED",
    "CLOSED",
)


class MemoryProducer:
    """A producer to the embedded broker; transactional when the config has ``transactional.id``.

    Example::

        >>> from kstreams_nb.clients.memory import EmbeddedBroker
        >>> broker = EmbeddedBroker()
        >>> broker.create_topic("out")
        >>> p = MemoryProducer(broker, {"transactional.id": "app-0"})
        >>> p.init_transactions(); p.begin_transaction()
        >>> p.produce("out", b"k", b"v", timestamp=3)
        >>> len(broker.read("out")), len(broker.read("out", isolation="read_uncommitted"))
        (0, 1)
        >>> p.commit_transaction(); len(broker.read("out"))
        1
    """

    def __init__(self, broker: EmbeddedBroker, config: Mapping[str, Any] | None = None) -> None:
        config = dict(config or {})
        self._broker = broker
        self._client_id = str(config.get("client.id") or f"producer-{next(_client_ids)}")
        txn_id = config.get("transactional.id")
        self._transactional_id: str | None = str(txn_id) if txn_id else None
        timeout = config.get("transaction.timeout.ms")
        self._txn_timeout_ms: int | None = int(timeout) if timeout is not None else None
        self._lock = threading.Lock()  # transaction state transitions
        self._state = _UNINITIALIZED if self._transactional_id else _READY
        self._producer_id = NO_PRODUCER
        self._epoch = -1
        self._txn_logs: set[int] = set()
        self._routes: dict[str, _Route] = {}

    # -- producing ----------------------------------------------------------------------------------------------

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
        """Append one record: to ``partition``, else murmur2 of the key, else round-robin for null keys."""
        route = self._routes.get(topic) or self._refresh(topic)
        check_payload(key, value)
        if partition is None and key is not None:
            p = route.cache.get(key)
            if p is None:
                if len(route.cache) >= _PARTITION_CACHE_SIZE:
                    route.cache.clear()
                p = route.cache[key] = default_partition(key, len(route.logs))
        else:
            p = choose_partition(topic, route.logs, key, partition, route.counter)
        ts = self._broker.clock.milliseconds() if timestamp is None else check_timestamp(timestamp)
        hdrs = headers if type(headers) is Headers else as_headers(headers)
        if self._transactional_id is None:
            try:
                route.logs[p].append(key, value, ts, hdrs)
            except UnknownTopicError:  # deleted (and maybe re-created) since cached: refresh once
                route = self._refresh(topic)
                route.logs[choose_partition(topic, route.logs, key, partition, route.counter)].append(
                    key, value, ts, hdrs
                )
            return
        if self._state is not _IN_TXN:
            self._check_not_fenced()
            raise TransactionError(
                f"transactional producer {self._transactional_id!r} is {self._state}: call begin_transaction() "
                "before produce()"
            )
        log = route.logs[p]
        try:
            if id(log) not in self._txn_logs:
                self._broker.transactions.add_partition(self._transactional_id, self._epoch, log)
                self._txn_logs.add(id(log))
            log.append(key, value, ts, hdrs, self._producer_id, self._epoch)
        except ProducerFencedError:
            self._set_fenced()
            raise

    def produce_batch(
        self, topic: str, records: Sequence[tuple[bytes | None, bytes | None, int | None, int, Headers]]
    ) -> None:
        """Append ``(key, value, partition, timestamp, headers)`` records to ``topic`` as :meth:`produce` would,
        one by one, but under one lock acquisition per partition (their order within a partition is kept)."""
        route = self._routes.get(topic) or self._refresh(topic)
        logs, cache = route.logs, route.cache
        batches: dict[int, list[tuple[bytes | None, bytes | None, int, Headers]]] = {}
        for key, value, partition, ts, hdrs in records:
            if partition is None and key is not None:
                p = cache.get(key)
                if p is None:
                    if len(cache) >= _PARTITION_CACHE_SIZE:
                        cache.clear()
                    p = cache[key] = default_partition(key, len(logs))
            else:
                p = choose_partition(topic, logs, key, partition, route.counter)
            batch = batches.get(p)
            if batch is None:
                batch = batches[p] = []
            batch.append((key, value, ts, hdrs))
        if self._transactional_id is None:
            for p, batch in batches.items():
                logs[p].append_batch(batch)
            return
        if self._state is not _IN_TXN:
            self._check_not_fenced()
            raise TransactionError(
                f"transactional producer {self._transactional_id!r} is {self._state}: call begin_transaction() "
                "before produce()"
            )
        try:
            for p, batch in batches.items():
                log = logs[p]
                if id(log) not in self._txn_logs:
                    self._broker.transactions.add_partition(self._transactional_id, self._epoch, log)
                    self._txn_logs.add(id(log))
                log.append_batch(batch, self._producer_id, self._epoch)
        except ProducerFencedError:
            self._set_fenced()
            raise

    def partitions_for(self, topic: str) -> int:
        """The partition count of ``topic`` (UnknownTopicError when missing and auto-creation is off)."""
        return len(self._refresh(topic).logs)

    def flush(self, timeout: float | None = None) -> None:
        """Nothing is buffered: every ``produce`` has already been appended."""

    def _refresh(self, topic: str) -> _Route:
        route = self._routes[topic] = _Route(self._broker.logs(topic))
        return route

    # -- transactions -------------------------------------------------------------------------------------------

    def init_transactions(self, timeout: float | None = None) -> None:
        """Register ``transactional.id``: aborts and fences any older producer that used it."""
        txn_id = self._require_transactional()
        with self._lock:
            if self._state != _UNINITIALIZED:
                self._check_not_fenced()
                raise TransactionError(f"init_transactions() was already called on producer {txn_id!r}")
            self._producer_id, self._epoch = self._broker.transactions.init_producer(txn_id, self._txn_timeout_ms)
            self._state = _READY

    def begin_transaction(self) -> None:
        """Start a transaction (records and offsets until commit or abort belong to it)."""
        txn_id = self._require_transactional()
        with self._lock:
            self._check_not_fenced()
            if self._state != _READY:
                raise TransactionError(f"cannot begin a transaction on producer {txn_id!r} in state {self._state}")
            with self._fencing():
                self._broker.transactions.check_epoch(txn_id, self._epoch)
            self._state = _IN_TXN

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group_metadata: GroupMetadata,
        timeout: float | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit the consumer's offsets with this transaction; CommitFailedError when its generation is stale.

        ``metadata`` gives a string per partition (Kafka's OffsetAndMetadata), committed with the transaction;
        partitions without one have no metadata afterwards. BrokerError (the transaction stays usable) for
        metadata of a partition not in ``offsets`` or longer than 4096 characters.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryConsumer
            >>> from kstreams_nb.records import TopicPartition
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("in")
            >>> consumer = MemoryConsumer(broker, {"group.id": "app"})
            >>> consumer.subscribe(["in"]); consumer.poll_batch(1, timeout=0.0)
            []
            >>> p = MemoryProducer(broker, {"transactional.id": "app-0"})
            >>> p.init_transactions(); p.begin_transaction()
            >>> tp = TopicPartition("in", 0)
            >>> p.send_offsets_to_transaction({tp: 0}, consumer.group_metadata(), metadata={tp: "t=5"})
            >>> p.commit_transaction(); consumer.committed_metadata([tp])
            {TopicPartition(topic='in', partition=0): 't=5'}
            >>> consumer.close()
        """
        txn_id = self._require_transactional()
        with self._lock:
            self._check_in_transaction("send_offsets_to_transaction")
            try:
                with self._fencing():
                    self._broker.transactions.add_offsets(
                        txn_id,
                        self._epoch,
                        group_metadata.group_id,
                        offsets,
                        group_metadata.generation,
                        group_metadata.member_id,
                        metadata,
                    )
            except CommitFailedError:
                self._state = _ABORTABLE
                raise

    def commit_transaction(self, timeout: float | None = None) -> None:
        """Make the transaction's records visible to read_committed consumers and commit its offsets."""
        txn_id = self._require_transactional()
        with self._lock:
            self._check_in_transaction("commit_transaction")
            with self._fencing():
                self._broker.transactions.end_transaction(txn_id, self._epoch, commit=True)
            self._txn_logs.clear()
            self._state = _READY

    def abort_transaction(self, timeout: float | None = None) -> None:
        """Discard the transaction: its records are never visible to read_committed consumers."""
        txn_id = self._require_transactional()
        with self._lock:
            self._check_in_transaction("abort_transaction", abortable=True)
            with self._fencing():
                self._broker.transactions.end_transaction(txn_id, self._epoch, commit=False)
            self._txn_logs.clear()
            self._state = _READY

    def close(self) -> None:
        """Close; an open transaction is aborted (Kafka leaves it to time out — here nothing would)."""
        with self._lock:
            if self._state in (_IN_TXN, _ABORTABLE) and self._transactional_id is not None:
                try:
                    self._broker.transactions.end_transaction(self._transactional_id, self._epoch, commit=False)
                except ProducerFencedError:
                    pass  # the newer instance already aborted it
            self._state = _CLOSED
            self._txn_logs.clear()

    # -- helpers ------------------------------------------------------------------------------------------------

    def _require_transactional(self) -> str:
        if self._transactional_id is None:
            raise TransactionError(
                f"producer {self._client_id!r} has no transactional.id: transactions need one in its config"
            )
        if self._state == _CLOSED:
            raise TransactionError(f"producer {self._transactional_id!r} is closed")
        return self._transactional_id

    def _check_not_fenced(self) -> None:
        if self._state == _FENCED:
            raise ProducerFencedError(
                f"producer {self._transactional_id!r} was fenced by a newer instance with the same transactional.id"
            )

    def _check_in_transaction(self, what: str, abortable: bool = False) -> None:
        self._check_not_fenced()
        if self._state == _ABORTABLE and not abortable:
            raise TransactionError(
                f"the transaction of producer {self._transactional_id!r} failed: call abort_transaction()"
            )
        if self._state not in (_IN_TXN, _ABORTABLE):
            raise TransactionError(
                f"{what}() needs an open transaction, but producer {self._transactional_id!r} is {self._state}"
            )

    def _set_fenced(self) -> None:
        self._state = _FENCED
        self._txn_logs.clear()

    def _fencing(self) -> _Fencing:
        return _Fencing(self)

    def __repr__(self) -> str:
        return f"MemoryProducer(client_id={self._client_id!r}, transactional_id={self._transactional_id!r})"


class _Route:
    """A topic as this producer sees it: partition logs, round-robin counter, key → partition cache."""

    __slots__ = ("cache", "counter", "logs")

    def __init__(self, logs: tuple[PartitionLog, ...]) -> None:
        self.logs = logs
        self.counter: Iterator[int] = itertools.count()
        self.cache: dict[bytes, int] = {}


class _Fencing:
    """Marks the producer fenced when a ProducerFencedError passes through (Kafka: a fatal error)."""

    __slots__ = ("_producer",)

    def __init__(self, producer: MemoryProducer) -> None:
        self._producer = producer

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is not None and issubclass(exc_type, ProducerFencedError):
            self._producer._set_fenced()
