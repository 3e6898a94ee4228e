"""What the stream threads process, in which order, from where, and what interactive queries see."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from kstreams_nb import Processor, Record, Stores, Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams

from ._support import S, config, counting_topology, produce, read_strings, start_running

pytestmark = pytest.mark.timeout(60)


class _Put(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("table")

    def process(self, record: Record) -> None:
        self.store.put(record.key, record.value)


class _Lookup(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("table")

    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(f"{record.value}+{self.store.get(record.key)}"))


def test_a_task_waits_for_records_known_to_be_on_the_broker_before_picking_the_next_one(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """PartitionGroup.readyToProcess (max.task.idle.ms = 0, the default): a task whose partition has no
    buffered record but a fetched lag > 0 is NOT processable ("must wait to poll the data we know to be on the
    broker"), so records are taken in timestamp order across the task's partitions even when one poll did not
    bring them all. The engine processes whatever the last poll buffered: with 3,000 table updates (ts 0) and
    one event at ts 10,000, the first poll (1,000 records) empties the table queue, the event is processed
    before the remaining updates and the lookup of k2999 finds nothing."""
    name, b = broker
    for topic in ("tbl", "evt", "out"):
        b.create_topic(topic, 1)
    b.produce_batch("tbl", [(S.serialize("t", f"k{i}"), S.serialize("t", f"t{i}")) for i in range(3000)], 0)
    produce(b, "evt", "k2999", "e", 10_000)
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("table"), S, S)
    t = (
        Topology()
        .add_source("tbl-src", "tbl", key_deserializer=S, value_deserializer=S)
        .add_source("evt-src", "evt", key_deserializer=S, value_deserializer=S)
        .add_processor("put", _Put, "tbl-src")
        .add_processor("lookup", _Lookup, "evt-src")
        .add_state_store(store, "put", "lookup")
        .add_sink("sink", "out", "lookup", key_serializer=S, value_serializer=S)
    )
    streams = KafkaStreams(t, config(name))
    try:
        start_running(streams)
        assert b.wait_until_consumed("app", ["tbl", "evt"], timeout=20)
        assert read_strings(b, "out") == ["e+t2999"]
    finally:
        streams.close(10)


def test_a_source_offset_reset_policy_applies_where_nothing_was_committed(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """Topology.addSource(AutoOffsetReset, ...) / Consumed.withOffsetResetPolicy: StreamThread creates its
    consumer with auto.offset.reset=none and, on NoOffsetForPartitionException, resets each partition by its
    source's policy (StreamThread.resetOffsets). The runtime ignores SourceSpec.offset_reset: the consumer uses
    the global auto.offset.reset (earliest), so a source declared "latest" replays the topic's history."""
    name, b = broker
    for topic in ("in", "tick", "out"):
        b.create_topic(topic, 1)
    produce(b, "in", "k", "old", 1)
    t = (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S, offset_reset="latest")
        .add_sink("sink", "out", "src", key_serializer=S, value_serializer=S)
        .add_source("tick-src", "tick", key_deserializer=S, value_deserializer=S)
        .add_sink("tick-sink", "tick-out", "tick-src", key_serializer=S, value_serializer=S)
    )
    b.create_topic("tick-out", 1)
    streams = KafkaStreams(t, config(name))
    try:
        start_running(streams)
        produce(b, "tick", "k", "tick", 1)
        assert b.wait_until_consumed("app", ["tick"], timeout=10)  # positions of every partition are resolved
        produce(b, "in", "k", "new", 2)
        assert b.wait_until_consumed("app", ["in"], timeout=10)
        assert read_strings(b, "out") == ["new"]
    finally:
        streams.close(10)


class StreamTimeSpy(Processor):
    """Records the task's stream time seen while processing each record."""

    seen: ClassVar[list[int]] = []

    def process(self, record: Record) -> None:
        StreamTimeSpy.seen.append(self.context.current_stream_time_ms)


def test_stream_time_survives_a_restart_through_the_committed_offset_metadata(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """StreamTask commits each partition's time in the offset metadata (TopicPartitionMetadata, base64) and a
    new task reads it back (StreamTask.initializeTaskTime -> PartitionGroup.setPartitionTime), so stream time
    is monotonic across restarts: after records at 100 and 200 and a restart, a late record at 50 is processed
    with stream time 200. The runtime commits bare offsets, so the restarted task's stream time goes back to
    50 (windows, suppression and punctuation downstream see time run backwards)."""
    name, b = broker
    b.create_topic("in", 1)
    t = Topology().add_source("src", "in", key_deserializer=S, value_deserializer=S).add_processor(
        "spy", StreamTimeSpy, "src"
    )
    StreamTimeSpy.seen = []
    produce(b, "in", "k", "a", 100)
    produce(b, "in", "k", "b", 200)
    first = KafkaStreams(t, config(name))
    start_running(first)
    assert b.wait_until_consumed("app", ["in"], timeout=10)
    assert first.close(10)
    produce(b, "in", "k", "late", 50)
    second = KafkaStreams(t, config(name))
    try:
        start_running(second)
        assert b.wait_until_consumed("app", ["in"], timeout=10)
    finally:
        second.close(10)
    assert StreamTimeSpy.seen == [100, 200, 200]


def test_store_gives_one_read_only_view_over_every_local_task(broker: tuple[str, EmbeddedBroker]) -> None:
    """KafkaStreams.store(StoreQueryParameters) returns ONE read-only store (QueryableStoreProvider ->
    CompositeReadOnlyKeyValueStore) that looks a key up in every local task's store, whatever the number of
    partitions; it has no put/delete. KafkaStreams.store(name) returns the raw, writable store of the
    stream thread when one task has it and a plain list of them when several do, so a query depends on the
    partition count and another thread can write into a running task's store (ARCHITECTURE.md rule 6:
    queries from other threads go through locked read-only views, state/readonly.py)."""
    name, b = broker
    b.create_topic("in", 3)
    b.create_topic("out", 3)
    for i, key in enumerate(["a", "b", "c", "a"]):
        produce(b, "in", key, "x", i)
    streams = KafkaStreams(counting_topology("in"), config(name))
    try:
        start_running(streams)
        assert b.wait_until_consumed("app", ["in"], timeout=10)
        view = streams.store("counts")
        assert not isinstance(view, list)
        assert (view.get("a"), view.get("b"), view.get("c")) == (2, 1, 1)
        assert not hasattr(view, "put")
    finally:
        streams.close(10)
