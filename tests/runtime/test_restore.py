"""Restoration does not stall the stream thread (Kafka's StoreChangelogReader / StreamThread: a bounded batch of
changelog records per loop pass, the main consumer polled between batches, RESTORING tasks' input paused, other
tasks processing meanwhile, the thread RUNNING once every task restored), and the global stream thread keeps
global stores current on its own.

Events are recorded in order by wrapped clients (the thread calls them one after another), so the tests check the
order of polls, restore batches and outputs, never time.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from kstreams_nb import Processor, Record, Stores, Topology
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.streams import KafkaStreams, State

from ._support import Count, L, S, config, produce, read_longs, read_strings, start_running, wait_until

ENTRIES = 100_000
BATCH = 10_000
CHANGELOG = "app-counts-changelog"


class _Recording:
    """Delegates to a client; ``poll_batch`` and ``produce`` append an event to a shared list."""

    def __init__(self, inner: Any, events: list[tuple[str, Any]], kind: str) -> None:
        self._inner = inner
        self._events = events
        self._kind = kind

    def poll_batch(self, *args: Any, **kwargs: Any) -> Sequence[Any]:
        batch = self._inner.poll_batch(*args, **kwargs)
        self._events.append((self._kind, sorted({r.topic for r in batch}) if self._kind == "poll" else len(batch)))
        return batch  # type: ignore[no-any-return]

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> Any:
        self._events.append(("produce", topic))
        return self._inner.produce(topic, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RecordingSupplier(MemoryClientSupplier):
    """The embedded broker's clients, recording main polls ("poll", topics returned), restore polls ("restore",
    records returned) and sends ("produce", topic) in the order they happen."""

    def __init__(self, broker: EmbeddedBroker) -> None:
        super().__init__(broker)
        self.events: list[tuple[str, Any]] = []

    def consumer(self, config: Mapping[str, Any]) -> Any:
        return _Recording(super().consumer(config), self.events, "poll")

    def restore_consumer(self, config: Mapping[str, Any]) -> Any:
        return _Recording(super().restore_consumer(config), self.events, "restore")

    def producer(self, config: Mapping[str, Any]) -> Any:
        return _Recording(super().producer(config), self.events, "produce")


def two_subtopologies() -> Topology:
    """Sub-topology 0: "in-a" -> Count (logged store "counts") -> "out-a"; sub-topology 1: "in-b" -> "out-b"."""
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), S, L)
    return (
        Topology()
        .add_source("src-a", "in-a", key_deserializer=S, value_deserializer=S)
        .add_processor("count", Count, "src-a")
        .add_state_store(store, "count")
        .add_sink("sink-a", "out-a", "count", key_serializer=S, value_serializer=L)
        .add_source("src-b", "in-b", key_deserializer=S, value_deserializer=S)
        .add_sink("sink-b", "out-b", "src-b", key_serializer=S, value_serializer=S)
    )


def test_a_large_restore_runs_in_batches_between_polls_while_another_task_processes(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    for topic in ("in-a", "in-b", "out-a", "out-b", CHANGELOG):
        b.create_topic(topic, 1)
    b.produce_batch(CHANGELOG, ((S.serialize(CHANGELOG, f"k{i}"), L.serialize(CHANGELOG, 1)) for i in range(ENTRIES)))
    produce(b, "in-a", "k0", "v", 0)
    produce(b, "in-b", "x", "y", 0)
    supplier = RecordingSupplier(b)
    streams = KafkaStreams(
        two_subtopologies(), config(name, **{"restore.consumer.max.poll.records": BATCH}), client_supplier=supplier
    )
    events = supplier.events
    streams.set_state_listener(lambda new, old: events.append(("state", new)))
    start_running(streams)
    try:
        assert wait_until(lambda: read_longs(b, "out-a") == [("k0", 2)]), read_longs(b, "out-a")
        assert read_strings(b, "out-b") == ["y"]
        restores = [i for i, (kind, n) in enumerate(events) if kind == "restore" and n]
        assert [events[i][1] for i in restores] == [BATCH] * (ENTRIES // BATCH)  # bounded batches, all of it
        for before, after in itertools.pairwise(restores):  # the main consumer polled in between
            assert any(kind == "poll" for kind, _ in events[before:after]), events[before:after]
        first, last = restores[0], restores[-1]
        # the other sub-topology's task processed (its output was sent) while the store was still restoring ...
        assert first < events.index(("produce", "out-b")) < last
        # ... the restoring task's input stayed paused, and its output and the RUNNING state came after the restore
        assert all("in-a" not in topics for kind, topics in events[:last] if kind == "poll")
        assert last < events.index(("produce", "out-a"))
        assert last < events.index(("state", State.RUNNING))
        store = streams.store("counts")
        assert (store.get("k0"), store.get(f"k{ENTRIES - 1}")) == (2, 1)
        metrics = {(m.name, m.tags.get("task-id")): v for m, v in streams.metrics().items()}
        assert metrics[("restore-total", "0_0")] == ENTRIES
        assert metrics[("restore-remaining-records-total", "0_0")] == 0
    finally:
        assert streams.close(timeout=10)


def test_restoring_reads_up_to_the_end_offset_taken_when_it_began(broker: tuple[str, EmbeddedBroker]) -> None:
    """Each changelog partition restores exactly the records before its end offset at the start; the task then
    processes its input on the restored state, and the restore consumer reads nothing more."""
    name, b = broker
    for topic in ("in-a", "in-b", "out-a", "out-b", CHANGELOG):
        b.create_topic(topic, 1)
    b.produce_batch(CHANGELOG, ((S.serialize(CHANGELOG, k), L.serialize(CHANGELOG, 5)) for k in "abc"))
    for i, key in enumerate("aad"):
        produce(b, "in-a", key, "v", i)
    supplier = RecordingSupplier(b)
    streams = KafkaStreams(
        two_subtopologies(), config(name, **{"restore.consumer.max.poll.records": 2}), client_supplier=supplier
    )
    start_running(streams)
    try:
        assert wait_until(lambda: len(read_longs(b, "out-a")) == 3)
        assert read_longs(b, "out-a") == [("a", 6), ("a", 7), ("d", 1)]
        assert [n for kind, n in supplier.events if kind == "restore" and n] == [2, 1]
    finally:
        assert streams.close(timeout=10)


class _PutGlobal(Processor):
    """Global processor: puts every record into the global store "g" (fails on the value "boom")."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("g")

    def process(self, record: Record) -> None:
        if record.value == "boom":
            raise ValueError("boom")
        self.store.put(record.key, record.value)


class _Lookup(Processor):
    """Forwards ``key:<global value of key>``."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("g")

    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(f"{record.key}:{self.store.get(record.key)}"))


def global_lookup() -> Topology:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("g"), S, S).with_logging_disabled()
    return (
        Topology()
        .add_global_store(store, "gsrc", "globals", "gput", _PutGlobal, key_deserializer=S, value_deserializer=S)
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("lookup", _Lookup, "src")
        .add_sink("sink", "out", "lookup", key_serializer=S, value_serializer=S)
    )


def _global_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("-GlobalStreamThread")]


def test_the_global_stream_thread_bootstraps_then_keeps_global_stores_current(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """GlobalStreamThread: the store holds the topic's records before any stream record is processed, and
    records appended later reach it on the global thread (stream threads no longer update global stores)."""
    name, b = broker
    for topic in ("globals", "in", "out"):
        b.create_topic(topic, 1)
    produce(b, "globals", "a", "1", 0)
    produce(b, "in", "a", "x", 0)
    streams = KafkaStreams(global_lookup(), config(name), client_supplier=MemoryClientSupplier(b))
    start_running(streams)
    try:
        assert wait_until(lambda: read_strings(b, "out") == ["a:1"]), read_strings(b, "out")
        assert len(_global_threads()) == 1
        produce(b, "globals", "b", "2", 1)
        assert wait_until(lambda: streams.store("g").get("b") == "2")
        produce(b, "in", "b", "x", 1)
        assert wait_until(lambda: read_strings(b, "out") == ["a:1", "b:2"]), read_strings(b, "out")
    finally:
        assert streams.close(timeout=10)
    assert _global_threads() == []


def test_a_failing_global_stream_thread_stops_the_client(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    for topic in ("globals", "in", "out"):
        b.create_topic(topic, 1)
    streams = KafkaStreams(global_lookup(), config(name), client_supplier=MemoryClientSupplier(b))
    start_running(streams)
    produce(b, "globals", "a", "boom", 0)
    assert streams.wait_for_state(State.ERROR, timeout=10)
    assert "boom" in repr(streams.exception)
    assert _global_threads() == []
