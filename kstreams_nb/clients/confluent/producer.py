"""ConfluentProducer: the Producer protocol over confluent-kafka (transactions included).

Delivery is asynchronous in librdkafka: a record that could not be written is reported by its delivery callback.
Such an error is raised by the next ``produce``, ``flush`` or ``commit_transaction`` call, so a commit never
passes over a record that was lost. Keys land on the partition Java's producer picks (murmur2).

Example (needs a running broker)::

    p = ConfluentProducer({"bootstrap.servers": "127.0.0.1:9092"})
    p.produce("t", b"k", b"v"); p.flush(10)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import Producer as _Producer
from confluent_kafka import TopicPartition as _TP

from kstreams_nb.clients.base import GroupMetadata
from kstreams_nb.clients.confluent._config import librdkafka_config
from kstreams_nb.clients.confluent._errors import translate
from kstreams_nb.config import is_secret_key
from kstreams_nb.errors import BrokerError, ConfigError, KStreamsError, TransactionError, UnknownTopicError
from kstreams_nb.records import Headers, TopicPartition

__all__ = ["ConfluentProducer"]

#: seconds a transactional call may take when the caller gives no timeout
_DEFAULT_TIMEOUT = 60.0
#: seconds past its own timeout after which a hung transactional call abandons the producer
_GRACE = 5.0
#: records an abort took back: not a failure to report
_PURGED = frozenset({KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})
#: produce() serves delivery callbacks every this many records
_POLL_EVERY = 256


def make_client(factory: Any, config: dict[str, Any], role: str) -> Any:
    """``factory(config)``, a librdkafka configuration error turned into ConfigError naming the key."""
    try:
        return factory(config)
    except (KafkaException, ValueError, TypeError) as e:
        inner = e.args[0] if isinstance(e, KafkaException) and e.args else None
        message = inner.str() if isinstance(inner, KafkaError) else str(e)
        for key, value in config.items():  # librdkafka may quote a value: never a secret one
            if is_secret_key(key) and value:
                message = message.replace(str(value), "******")
        raise ConfigError(f"invalid {role} configuration: {message}") from None


class ConfluentProducer:
    """A librdkafka producer; transactional when ``transactional.id`` is set."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        conf = librdkafka_config(config, "producer")
        conf.setdefault("partitioner", "murmur2_random")  # the partition Java's default partitioner picks
        conf.setdefault("enable.idempotence", True)
        self._transactional = "transactional.id" in conf
        self._name = str(conf.get("transactional.id") or conf.get("client.id") or "producer")
        self._p = make_client(_Producer, conf, "producer")
        self._failed: list[KafkaError] = []
        self._lock = threading.Lock()
        self._partitions: dict[str, int] = {}
        self._since_poll = 0
        self._failed_txn: KStreamsError | None = None  # what made the open transaction abortable
        self._stuck: str | None = None  # the transactional call that hung past its timeout (see _bounded)
        # one attempt of a commit, abort or offsets call waits at most the transaction's own timeout (the broker
        # aborts a transaction older than that anyway); retriable failures are retried up to _DEFAULT_TIMEOUT
        self._attempt = min(_DEFAULT_TIMEOUT, float(conf.get("transaction.timeout.ms", 60_000)) / 1000)
        self._closed = False

    # ------------------------------------------------------------------ records
    def _on_delivery(self, err: KafkaError | None, _msg: Any) -> None:
        if err is not None and err.code() not in _PURGED:
            with self._lock:
                self._failed.append(err)

    def _raise_failed(self) -> None:
        if self._failed:
            with self._lock:
                first, count = self._failed[0], len(self._failed)
                self._failed.clear()
            error = translate(first, f"producer {self._name}: writing {count} record(s)",
                              transactional=self._transactional)
            raise error

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
        """Queue a record (raises the error of an earlier record that could not be written)."""
        if self._failed:
            self._raise_failed()
        kwargs: dict[str, Any] = {"on_delivery": self._on_delivery}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        if headers:
            kwargs["headers"] = list(headers)
        while True:
            try:
                self._p.produce(topic, value, key, **kwargs)
                break
            except BufferError:  # librdkafka's local queue is full: let it send, then retry
                self._p.poll(0.05)
            except KafkaException as e:
                raise translate(e, f"producer {self._name}: writing to {topic}",
                                transactional=self._transactional) from None
        self._since_poll += 1
        if self._since_poll >= _POLL_EVERY:
            self._since_poll = 0
            self._p.poll(0)

    def partitions_for(self, topic: str) -> int:
        """The partition count of ``topic`` (UnknownTopicError when it does not exist)."""
        known = self._partitions.get(topic)
        if known is not None:
            return known
        try:
            meta = self._p.list_topics(timeout=10)
        except KafkaException as e:
            raise translate(e, f"producer {self._name}: metadata of {topic}") from None
        found = meta.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            raise UnknownTopicError(f"topic {topic!r} does not exist on the cluster")
        self._partitions[topic] = len(found.partitions)
        return len(found.partitions)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued record is written (BrokerError naming how many were not, or their error)."""
        left = self._p.flush(_DEFAULT_TIMEOUT if timeout is None else timeout)
        self._raise_failed()
        if left:
            raise BrokerError(f"producer {self._name}: {left} record(s) not written within the flush timeout")

    # ------------------------------------------------------------------ transactions
    def _call(self, what: str, fn: Any, *args: Any) -> None:
        """``fn(*args)`` (a transactional call whose last argument is its timeout), retried after retriable errors
        for up to ``_DEFAULT_TIMEOUT`` s; a call that overruns its own timeout abandons the producer."""
        if not self._transactional:
            raise TransactionError(f"producer {self._name} has no transactional.id: {what} needs one")
        if self._stuck is not None:
            raise TransactionError(f"producer {self._name} was abandoned while {self._stuck} hung; replace it")
        deadline = time.monotonic() + _DEFAULT_TIMEOUT
        while True:
            try:
                self._bounded(what, fn, *args)
                return
            except KafkaException as e:
                err: KafkaError = e.args[0]
                if err.retriable() and time.monotonic() < deadline:
                    time.sleep(0.05)  # the coordinator is loading or busy: Kafka's clients retry after a backoff
                    continue
                raise translate(e, f"producer {self._name}: {what}", transactional=True) from None

    def _bounded(self, what: str, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` on a helper thread and wait at most its timeout (the last argument) plus a grace.

        librdkafka may ignore the timeout of a transactional call when the coordinator it cached went away
        (``send_offsets_to_transaction`` after a broker restart can block for ever). Such a call is left behind:
        the producer is marked abandoned, TransactionError is raised, and the stream thread replaces the producer
        (a new one with the same ``transactional.id`` fences this one and aborts its transaction).
        """
        if not args:  # begin_transaction: local state only, it never waits for a broker
            fn()
            return
        limit = float(args[-1]) + _GRACE
        done = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                fn(*args)
            except BaseException as e:  # handed to the caller below
                failure.append(e)
            finally:
                done.set()

        threading.Thread(target=run, name=f"{self._name}-{what}", daemon=True).start()
        if not done.wait(limit):
            self._stuck = what
            raise TransactionError(
                f"producer {self._name}: {what} did not return within {limit:.0f} s (its timeout was ignored); "
                f"the producer is abandoned and must be replaced"
            )
        if failure:
            raise failure[0]

    def init_transactions(self, timeout: float | None = None) -> None:
        """Register the transactional id (fencing older producers with it; their open transaction is aborted)."""
        self._call("init_transactions", self._p.init_transactions, _DEFAULT_TIMEOUT if timeout is None else timeout)

    def begin_transaction(self) -> None:
        """Start a transaction."""
        self._call("begin_transaction", self._p.begin_transaction)

    def send_offsets_to_transaction(
        self,
        offsets: Mapping[TopicPartition, int],
        group_metadata: GroupMetadata,
        timeout: float | None = None,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit ``offsets`` (with a metadata string per partition, optional) in the open transaction;
        CommitFailedError when the consumer's group moved on (KIP-447)."""
        native = getattr(group_metadata, "native", None)
        if native is None:
            raise KStreamsError("send_offsets_to_transaction needs the group metadata of a ConfluentConsumer")
        md = metadata or {}
        tps = [_TP(tp.topic, tp.partition, off, md[tp]) if tp in md else _TP(tp.topic, tp.partition, off)
               for tp, off in offsets.items()]
        try:
            self._call("send_offsets_to_transaction", self._p.send_offsets_to_transaction, tps, native,
                       self._attempt if timeout is None else timeout)
        except KStreamsError as e:
            self._failed_txn = e
            raise

    def commit_transaction(self, timeout: float | None = None) -> None:
        """Flush and commit the open transaction (raises the error of a record that could not be written)."""
        if self._failed_txn is not None:
            raise TransactionError(f"producer {self._name}: the transaction failed ({self._failed_txn}); abort it")
        self._raise_failed()
        self._call("commit_transaction", self._p.commit_transaction, self._attempt if timeout is None else timeout)
        self._raise_failed()

    def abort_transaction(self, timeout: float | None = None) -> None:
        """Abort the open transaction; its records stay in the log behind an abort marker."""
        with self._lock:
            self._failed.clear()
        self._failed_txn = None
        self._call("abort_transaction", self._p.abort_transaction, self._attempt if timeout is None else timeout)

    def close(self) -> None:
        """Write what is queued (up to 30 s) and release the client."""
        if self._closed:
            return
        self._closed = True
        if self._stuck is not None:  # a call still blocks inside librdkafka: closing would wait for it
            return
        self._p.flush(30)
        self._p.close()

    def __repr__(self) -> str:
        return f"ConfluentProducer({self._name!r}, transactional={self._transactional})"
