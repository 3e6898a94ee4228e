"""StreamsProducer: the one producer of a stream thread, and the thread's commit (Kafka's StreamsProducer).

Under at-least-once it hands records straight to the client's producer and commits offsets with the consumer.
Under ``exactly_once_v2`` the producer is transactional (``transactional.id`` =
``<application.id>-<process id>-<thread index>``): a transaction begins lazily with the first record (or with the
first offsets to commit), and :meth:`StreamsProducer.commit` sends the consumed offsets into it with the
consumer's group metadata, then commits it, so output, changelog writes and offsets become visible together.

Example::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
    >>> broker = EmbeddedBroker()
    >>> broker.create_topic("out")
    >>> supplier = MemoryClientSupplier(broker)
    >>> p = StreamsProducer(supplier.producer, {"client.id": "t-1"}, exactly_once=True, transactional_id="app-1")
    >>> p.produce("out", b"k", b"v", partition=0, timestamp=1, headers=None)
    >>> p.in_transaction, len(broker.read("out"))
    (True, 0)
    >>> p.commit({}, None, None); len(broker.read("out"))
    1
    >>> p.close()
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from kstreams_nb._engine.remote_sinks import RemoteSinks
from kstreams_nb.clients.base import Consumer, GroupMetadata, Producer
from kstreams_nb.errors import KStreamsError, ProducerFencedError
from kstreams_nb.records import Headers, TopicPartition

__all__ = ["StreamsProducer"]

log = logging.getLogger(__name__)


class StreamsProducer:
    """A stream thread's producer: at-least-once pass-through, or one transaction per commit interval.

    ``produce`` is the client's own bound method under at-least-once (nothing added to the hot path); under
    exactly-once it begins the transaction on the first record, then is the client's method again until the
    transaction ends. A client with ``produce_batch`` (the embedded broker's) gets records in batches instead:
    ``produce`` buffers them per topic, and :meth:`send_pending` (called by the stream thread after each round of
    processing, and by every flush, commit and abort) hands each topic's records over in one call, so they are
    appended under one lock per partition. A topic the client does not know still fails at ``produce``.
    """

    def __init__(
        self,
        make: Callable[[Mapping[str, Any]], Producer],
        config: Mapping[str, Any],
        *,
        exactly_once: bool = False,
        transactional_id: str | None = None,
        remote_sinks: RemoteSinks | None = None,
    ) -> None:
        self.exactly_once = exactly_once
        #: the plain producers of sinks that write to other clusters (at-least-once: flushed before each commit,
        #: closed with this producer); the record collector sends those sinks' records to them
        self.remote_sinks = remote_sinks
        self._make = make
        self._config = dict(config)
        if exactly_once:
            if not transactional_id:
                raise KStreamsError("an exactly-once StreamsProducer needs a transactional.id")
            self._config["transactional.id"] = transactional_id
        self.transactional_id = transactional_id if exactly_once else None
        self.in_transaction = False
        #: transactions aborted so far (failed commits, fencing, errors while processing)
        self.aborted = 0
        self.client: Producer = make(self._config)
        #: topic -> records buffered for the client's produce_batch, in the order they were produced
        self._pending: dict[str, list[tuple[bytes | None, bytes | None, int | None, int | None, Headers | None]]]
        self._pending = {}
        self._send: Callable[..., None] = self._sender()
        self.produce: Callable[..., None] = self._send
        if exactly_once:
            try:
                self.client.init_transactions()
            except BaseException:
                self.client.close()
                raise
            self.produce = self._begin_and_produce

    # ------------------------------------------------------------------ records
    def _sender(self) -> Callable[..., None]:
        """What ``produce`` is outside a transaction's first record: the client's, or the buffering one when the
        client's class has ``produce_batch`` (a wrapper that only delegates to one, e.g. to watch ``produce``,
        keeps getting every record through ``produce``)."""
        return self._buffer if callable(getattr(type(self.client), "produce_batch", None)) else self.client.produce

    def _buffer(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        pending = self._pending.get(topic)
        if pending is None:
            self.client.partitions_for(topic)  # an unknown topic fails here, as it would unbuffered
            pending = self._pending[topic] = []
        if (key is not None and type(key) is not bytes) or (value is not None and type(value) is not bytes):
            self.client.produce(topic, key, value, partition=partition, timestamp=timestamp, headers=headers)
            return  # pragma: no cover - the client refuses what is not bytes
        pending.append((key, value, partition, timestamp, headers))

    def send_pending(self) -> None:
        """Hand the buffered records to the client (one ``produce_batch`` per topic)."""
        pending = self._pending  # topics stay: the client checked them when they were first produced to
        for topic, records in pending.items():
            if records:
                pending[topic] = []
                self.client.produce_batch(topic, records)  # type: ignore[attr-defined]

    def _begin_and_produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self._begin()
        self._send(topic, key, value, partition=partition, timestamp=timestamp, headers=headers)

    def _begin(self) -> None:
        if not self.in_transaction:
            self.client.begin_transaction()
            self.in_transaction = True
            self.produce = self._send

    def _ended(self) -> None:
        self.in_transaction = False
        self.produce = self._begin_and_produce

    def partitions_for(self, topic: str) -> int:
        """The partition count of ``topic``."""
        return self.client.partitions_for(topic)

    def flush(self) -> None:
        """Wait until every record sent so far is written."""
        self.send_pending()
        self.client.flush()

    # ------------------------------------------------------------------ commit
    def commit(
        self,
        offsets: Mapping[TopicPartition, int],
        metadata: Mapping[TopicPartition, str] | None,
        consumer: Consumer | None,
    ) -> None:
        """Make what was produced durable and commit ``offsets`` (the next offsets to read, each with optional
        metadata): a flush then ``consumer.commit`` under at-least-once; under exactly-once the offsets go into
        the open transaction (begun here when nothing was produced) with the consumer's group metadata, and the
        transaction commits. Nothing to commit and no open transaction: nothing happens.

        Raises CommitFailedError (the group moved on: KIP-447 fencing) or TransactionError /
        ProducerFencedError; the caller then aborts (:meth:`abort`) and closes its tasks dirty.

        Records of sinks that write to other clusters are flushed first, under both guarantees, so committed
        offsets never run ahead of them (those sinks are at-least-once).
        """
        self.send_pending()
        if self.remote_sinks:
            self.remote_sinks.flush()
        if not self.exactly_once:
            self.client.flush()
            if offsets and consumer is not None:
                consumer.commit(offsets, metadata)
            return
        if not offsets and not self.in_transaction:
            return
        self._begin()
        if offsets:
            if consumer is None:
                raise KStreamsError("an exactly-once commit of offsets needs the consumer's group metadata")
            group: GroupMetadata = consumer.group_metadata()
            self.client.send_offsets_to_transaction(offsets, group, metadata=metadata)
        self.client.commit_transaction()
        self._ended()

    def abort(self) -> None:
        """Abort the open transaction, if any (under at-least-once: nothing to do). A fenced producer cannot
        abort: the newer instance already did; :meth:`reset` replaces the client. Buffered records are handed
        to the client first (under exactly-once they are aborted with the transaction), as if never buffered."""
        try:
            self.send_pending()
        except ProducerFencedError:
            pass  # the transaction is the newer instance's to abort; the records go with it
        except KStreamsError:
            log.exception("producer %s could not send its buffered records", self.transactional_id)
        if not self.in_transaction:
            return
        self.aborted += 1
        try:
            self.client.abort_transaction()
        except ProducerFencedError:
            log.info("producer %s was fenced: its open transaction is aborted by the newer one", self.transactional_id)
        except KStreamsError:
            log.exception("producer %s could not abort its transaction", self.transactional_id)
        finally:
            self._ended()

    def reset(self) -> None:
        """Replace a fenced (or failed) transactional client by a new one with the same ``transactional.id``,
        whose ``init_transactions`` aborts whatever the old one left open (Kafka's resetProducer)."""
        old = self.client
        self._pending = {}  # a fenced client's records: never to be written
        self._ended()
        try:
            old.close()
        except KStreamsError:
            log.exception("error while closing the fenced producer %s", self.transactional_id)
        self.client = self._make(self._config)
        self._send = self._sender()
        self.produce = self._send
        if self.exactly_once:
            self.client.init_transactions()
            self.produce = self._begin_and_produce

    def close(self) -> None:
        """Close the client (an open transaction is aborted first) and the producers of other clusters."""
        try:
            self.abort()
            self.client.close()
        finally:
            if self.remote_sinks is not None:
                self.remote_sinks.close()

    def __repr__(self) -> str:
        mode = f"exactly_once, transactional_id={self.transactional_id!r}" if self.exactly_once else "at_least_once"
        return f"StreamsProducer({mode}, in_transaction={self.in_transaction})"
