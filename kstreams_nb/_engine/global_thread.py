"""GlobalStreamThread: fills the global stores from their topics (Kafka's ``GlobalStreamThread``).

``bootstrap()`` (called by ``KafkaStreams.start()`` before any stream thread starts) reads every partition of the
global stores' topics from the beginning to the end offsets taken then, through the global processors, so stream
tasks see complete global tables from their first record. ``start()`` then runs the thread, which keeps the stores
up to date with what is appended later, on its own consumer (no group: it reads every partition). The topic is the
stores' changelog: they are not logged. Stream tasks read the stores through read-only views that take the
thread's lock (:meth:`GlobalStreamThread.views`), so a read never sees a batch half applied.

Example::

    >>> from kstreams_nb import Stores, Topology
    >>> from kstreams_nb._engine.processor_topology import compile_topology
    >>> from kstreams_nb._time import SystemClock
    >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
    >>> from kstreams_nb.config import StreamsConfig
    >>> class Put:
    ...     def init(self, context): self.store = context.get_state_store("g")
    ...     def process(self, record): self.store.put(record.key, record.value)
    ...     def close(self): pass
    >>> broker = EmbeddedBroker()
    >>> broker.create_topic("globals", partitions=1)
    >>> store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("g")).with_logging_disabled()
    >>> t = Topology().add_global_store(store, "gsrc", "globals", "gput", Put)
    >>> config = StreamsConfig({"application.id": "doc", "bootstrap.servers": "memory://doc-global"})
    >>> compiled = compile_topology(t.internal_builder, "doc")
    >>> g = GlobalStreamThread(compiled, config, MemoryClientSupplier(broker), SystemClock(), "doc", on_failure=print)
    >>> g.bootstrap(); g.start()
    >>> g.views()["g"].get("k") is None
    True
    >>> g.close()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kstreams_nb._engine.processor_topology import ProcessorTopology
from kstreams_nb._engine.task import StreamTask
from kstreams_nb._time import Clock
from kstreams_nb.clients.base import ClientSupplier
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import KStreamsError, StreamsStateError
from kstreams_nb.records import ConsumerRecord, TaskId, TopicPartition
from kstreams_nb.state import read_only_view

__all__ = ["GlobalStreamThread"]

log = logging.getLogger(__name__)

#: records the global consumer returns per poll
_MAX_RECORDS = 1000


class GlobalStreamThread(threading.Thread):
    """The thread that owns the global stores of one KafkaStreams instance."""

    def __init__(
        self,
        topology: ProcessorTopology,
        config: StreamsConfig,
        clients: ClientSupplier,
        clock: Clock,
        client_id: str,
        on_failure: Callable[[BaseException], None],
    ) -> None:
        super().__init__(name=f"{client_id}-GlobalStreamThread", daemon=True)
        self._topology = topology
        self._config = config
        self._clients = clients
        self._clock = clock
        self._client_id = client_id
        self._on_failure = on_failure
        self._poll_timeout = int(config.get("poll.ms", 100)) / 1000
        self._stopping = threading.Event()
        #: held while the thread applies a batch; the read-only views and interactive queries take it too
        self.lock = threading.RLock()
        self.task: StreamTask | None = None
        self._consumer: Any = None
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ start
    def bootstrap(self) -> None:
        """Create the global task and read its topics up to their current end (StreamsStateError when that takes
        longer than ``task.timeout.ms``)."""
        t, config = self._topology, self._config
        names = [n for n in t.nodes if n in t.global_nodes]
        self._consumer = consumer = self._clients.restore_consumer({
            **config.for_client("consumer.", "global.consumer."),
            "client.id": f"{self._client_id}-global-consumer",
            "isolation.level": "read_committed" if config.exactly_once else "read_uncommitted",
        })
        admin = self._clients.admin(config.for_client("admin."))
        try:
            tps = [
                TopicPartition(topic, p)
                for topic in t.global_topics.values()
                for p in range(admin.partitions_for(topic) or 0)
            ]
        finally:
            admin.close()
        task = StreamTask(TaskId(-1, -1), t, names, tps, config, _NoProducer(), self._clock)
        self.task = task
        task.initialize()
        consumer.assign(tps)
        consumer.seek_to_beginning(tps)
        ends = consumer.end_offsets(tps)
        timeout_s = int(config["task.timeout.ms"]) / 1000
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                behind = {str(tp): (consumer.position(tp), end) for tp, end in ends.items()}
                raise StreamsStateError(
                    f"global stores did not bootstrap within task.timeout.ms ({timeout_s:.0f}s); "
                    f"(position, end) per partition: {behind}"
                )
            self._update(0.05)

    def views(self) -> dict[str, Any]:
        """What stream tasks see of the global stores: read-only views, locked against updates."""
        task = self.task
        return {} if task is None else {name: read_only_view(s, self.lock) for name, s in task.stores.items()}

    def stores(self) -> dict[str, Any]:
        """The global stores by name (for interactive queries, under :attr:`lock`)."""
        task = self.task
        return {} if task is None else dict(task.stores)

    # ------------------------------------------------------------------ loop
    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._update(self._poll_timeout)
        except BaseException as e:  # the client decides what happens next (Kafka: the client shuts down)
            self.error = e
            log.error("%s failed: %r", self.name, e)
            self._on_failure(e)

    def _update(self, timeout: float) -> None:
        """Poll one batch and apply it to the global stores."""
        records: list[ConsumerRecord] = self._consumer.poll_batch(_MAX_RECORDS, timeout)
        if not records:
            return
        by_tp: dict[TopicPartition, list[ConsumerRecord]] = {}
        for r in records:
            by_tp.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        with self.lock:
            task = self.task
            if task is None:
                return
            for tp, raws in by_tp.items():
                task.add_records(tp, raws)
            while task.process():
                pass

    # ------------------------------------------------------------------ stop
    def close(self) -> None:
        """Stop the thread (when started), then close the global stores and the consumer."""
        self._stopping.set()
        consumer = self._consumer
        if consumer is not None:
            consumer.wakeup()
        if self.is_alive() and self is not threading.current_thread():
            self.join()
        with self.lock:
            task, self.task = self.task, None
            self._consumer = None
            try:
                if task is not None:
                    task.close()
            finally:
                if consumer is not None:
                    consumer.close()


class _NoProducer:
    """Global tasks never produce (their stores are not logged: the topic is the changelog)."""

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        raise KStreamsError(f"a global store processor tried to write to topic {topic!r}; global processors cannot")

    def partitions_for(self, topic: str) -> int:
        return 1

    def flush(self, timeout: float | None = None) -> None:
        return None
