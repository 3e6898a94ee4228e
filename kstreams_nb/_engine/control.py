"""The application's control topic: how SHUTDOWN_APPLICATION reaches every instance of an ``application.id``.

Kafka Streams carries a shutdown request in the consumer group protocol (the assignment error code
SHUTDOWN_REQUESTED that its own partition assignor writes); librdkafka has no pluggable assignor, so kstreams_nb
uses an internal topic instead, ``<application.id>-control`` (one partition, created by ``start()`` with the other
internal topics). When an uncaught-exception handler answers SHUTDOWN_APPLICATION, the instance writes a
:class:`ShutdownRequest` there (:func:`send_shutdown_request`) and closes itself to ERROR; every instance runs a
:class:`ControlListener`, which reads the topic from the end offset taken when the instance started (so a request
made before then never stops it) and calls back on each request, upon which that instance closes to ERROR too.

Example::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
    >>> from kstreams_nb.config import StreamsConfig
    >>> broker = EmbeddedBroker()
    >>> broker.create_topic(control_topic("doc"), 1, CONTROL_TOPIC_CONFIG)
    >>> config = StreamsConfig({"application.id": "doc", "bootstrap.servers": "memory://doc-control"})
    >>> seen = []
    >>> listener = ControlListener(MemoryClientSupplier(broker), config, "doc-1", "p1", seen.append)
    >>> listener.start()
    >>> send_shutdown_request(MemoryClientSupplier(broker), config, "doc-2", "p2", "ValueError in doc-2-T1", 5)
    >>> listener.wait_for_request(timeout=10)
    True
    >>> listener.close()
    >>> [(r.process_id, r.reason, r.timestamp) for r in seen]
    [('p2', 'ValueError in doc-2-T1', 5)]
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kstreams_nb.clients.base import ClientSupplier
from kstreams_nb.config import StreamsConfig
from kstreams_nb.records import ConsumerRecord, TopicPartition

__all__ = [
    "CONTROL_TOPIC_CONFIG",
    "ControlListener",
    "ShutdownRequest",
    "control_topic",
    "send_shutdown_request",
]

log = logging.getLogger(__name__)

#: a request only matters to instances running when it is written: deleted after an hour
CONTROL_TOPIC_CONFIG = {"cleanup.policy": "delete", "retention.ms": "3600000"}
#: how long one poll of the control topic blocks (the listener's own thread; ``close()`` wakes it)
_POLL_TIMEOUT_S = 1.0
_FLUSH_TIMEOUT_S = 30.0


def control_topic(application_id: str) -> str:
    """The control topic of an application: ``<application.id>-control``."""
    return f"{application_id}-control"


@dataclass(frozen=True)
class ShutdownRequest:
    """One SHUTDOWN_APPLICATION request: who asked (process id), why (exception type and thread), and when (ms).

    Example: ``ShutdownRequest("app", "6f1c...", "ValueError in app-...-StreamThread-1", 1700000000000)``.
    """

    application_id: str
    process_id: str
    reason: str
    timestamp: int

    def encode(self) -> tuple[bytes, bytes]:
        """The record's key (the application.id) and value (a small JSON object)."""
        value = {"type": "SHUTDOWN_APPLICATION", "process_id": self.process_id, "reason": self.reason,
                 "timestamp": self.timestamp}
        return self.application_id.encode(), json.dumps(value, sort_keys=True).encode()

    @staticmethod
    def decode(key: bytes | None, value: bytes | None) -> ShutdownRequest | None:
        """The request a control record holds, or None when it holds none (another key or an unknown shape)."""
        try:
            body = json.loads(value or b"")
            if key is None or not isinstance(body, dict) or body.get("type") != "SHUTDOWN_APPLICATION":
                return None
            return ShutdownRequest(key.decode(), str(body["process_id"]), str(body.get("reason", "")),
                                   int(body.get("timestamp", -1)))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None


def send_shutdown_request(
    clients: ClientSupplier, config: StreamsConfig, client_id: str, process_id: str, reason: str, timestamp: int
) -> None:
    """Write a SHUTDOWN_APPLICATION request to the application's control topic and wait until it is written.

    ``clients`` is the instance's client supplier; ``reason`` must hold no record data or secrets (the exception
    type and the thread name are enough). Broker errors propagate.
    """
    app_id = str(config.application_id)
    key, value = ShutdownRequest(app_id, process_id, reason, timestamp).encode()
    producer_config = {**config.for_client("producer."), "client.id": f"{client_id}-control-producer"}
    producer_config.pop("transactional.id", None)
    producer = clients.producer(producer_config)
    try:
        producer.produce(control_topic(app_id), key, value, partition=0, timestamp=timestamp)
        producer.flush(_FLUSH_TIMEOUT_S)
    finally:
        producer.close()


class ControlListener(threading.Thread):
    """Reads the control topic (assigned, no group) from its end offset at construction, and calls
    ``on_request(request)`` for each SHUTDOWN_APPLICATION request of this application made by another process.

    The thread blocks in the consumer's poll (no busy loop); :meth:`close` wakes it and waits for it to end.
    """

    def __init__(
        self,
        clients: ClientSupplier,
        config: StreamsConfig,
        client_id: str,
        process_id: str,
        on_request: Callable[[ShutdownRequest], None],
    ) -> None:
        super().__init__(name=f"{client_id}-ControlListener", daemon=True)
        self._app_id = str(config.application_id)
        self._process_id = process_id
        self._on_request = on_request
        self._stopping = threading.Event()
        self._requested = threading.Event()
        self._consumer = consumer = clients.restore_consumer({
            **config.for_client("consumer."),
            "client.id": f"{client_id}-control-consumer",
        })
        try:
            tp = TopicPartition(control_topic(self._app_id), 0)
            consumer.assign([tp])
            consumer.seek(tp, consumer.end_offsets([tp])[tp])  # requests made before this instance started: ignored
        except BaseException:
            consumer.close()
            raise

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                records: list[ConsumerRecord] = self._consumer.poll_batch(16, _POLL_TIMEOUT_S)
                for record in records:
                    request = ShutdownRequest.decode(record.key, record.value)
                    if request is None or request.application_id != self._app_id:
                        log.warning("%s: ignoring a record of %s at offset %d that is no shutdown request",
                                    self.name, record.topic, record.offset)
                    elif request.process_id != self._process_id:
                        self._requested.set()
                        self._on_request(request)
        except Exception:  # the instance keeps running; it only stops hearing shutdown requests
            log.exception("%s failed: shutdown requests of other instances are no longer seen", self.name)
        finally:
            self._consumer.close()

    def wait_for_request(self, timeout: float) -> bool:
        """Block until a request of another process was seen (True) or ``timeout`` seconds pass (False)."""
        return self._requested.wait(timeout)

    def close(self) -> None:
        """Stop the thread and release the consumer (also when the thread was never started)."""
        self._stopping.set()
        if not self.is_alive() and self.ident is None:
            self._consumer.close()
            return
        self._consumer.wakeup()
        if self is not threading.current_thread():
            self.join()
