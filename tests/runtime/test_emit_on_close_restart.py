"""Emit-on-window-close across a restart: the last emitted window close time is committed with the offsets.

Kafka's windowed aggregation with ``EmitStrategy.onWindowClose()`` keeps ``lastEmitWindowCloseTime`` in the
task's ProcessorMetadata (``addProcessorMetadataKeyValue(storeName, closeTime)``), which StreamTask commits in
every input partition's offset metadata (TopicPartitionMetadata version 2) and a new task reads back. The window
store itself is restored from its changelog, so without that time a restarted aggregation would emit every
window of the store again on its first record.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import pytest

from kstreams_nb import Processor, Record, Topology
from kstreams_nb._engine.partition_metadata import read_commit_metadata
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryConsumer
from kstreams_nb.dsl import Consumed, EmitStrategy, Materialized, Produced, StreamsBuilder, TimeWindows
from kstreams_nb.dsl.window_aggregate import EMIT_INTERVAL_CONFIG
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams

from ._support import L, S, config, produce, start_running

pytestmark = pytest.mark.timeout(60)


def _topology() -> Any:
    """in -> 10 ms tumbling windows, no grace, emitted on close -> count (store "counts", kept an hour, so
    emitted windows are still in the store after the restart) -> out as key@start."""
    b = StreamsBuilder()
    (
        b.stream("in", Consumed.with_(S, S))
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(milliseconds=10)))
        .emit_strategy(EmitStrategy.on_window_close())
        .count(materialized=Materialized.as_("counts").with_retention(timedelta(hours=1)))
        .to_stream()
        .map(lambda w, count: (f"{w.key}@{w.window.start}", count))
        .to("out", Produced.with_(S, L))
    )
    return b.build()


def _run(
    b: EmbeddedBroker, name: str, guarantee: str, records: list[tuple[str, int]], topology: Any = None
) -> None:
    """Start the application (``_topology()`` unless given), append ``records`` (key, timestamp), wait until all
    are consumed, close cleanly."""
    streams = KafkaStreams(
        topology or _topology(), config(name, **{"processing.guarantee": guarantee, EMIT_INTERVAL_CONFIG: 0})
    )
    try:
        start_running(streams)
        for key, ts in records:
            produce(b, "in", key, "x", ts)
        assert b.wait_until_consumed("app", ["in"], timeout=10)
    finally:
        assert streams.close(10)


@pytest.fixture
def app(broker: tuple[str, EmbeddedBroker]) -> tuple[str, EmbeddedBroker]:
    """The broker with the topics "in" and "out" (one partition each)."""
    for topic in ("in", "out"):
        broker[1].create_topic(topic, 1)
    return broker


def _emitted(b: EmbeddedBroker) -> list[tuple[str, int]]:
    return [
        (S.deserialize("out", r.key), L.deserialize("out", r.value)) for r in b.read("out", isolation="read_committed")
    ]


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_a_restarted_aggregation_emits_each_closed_window_once(app: tuple[str, EmbeddedBroker], guarantee: str) -> None:
    name, b = app
    # stream time 25 closes [0,10) and [10,20); [20,30) stays open
    _run(b, name, guarantee, [("a", 0), ("a", 5), ("b", 12), ("a", 25)])
    assert _emitted(b) == [("a@0", 2), ("b@10", 1)]
    group = MemoryConsumer(b, {"group.id": "app"})
    times, metadata = read_commit_metadata(group.committed_metadata([TopicPartition("in", 0)]))
    group.close()
    assert (times, dict(metadata.items())) == ({TopicPartition("in", 0): 25}, {"counts": 25})

    # the store comes back from its changelog with [0,10) and [10,20) in it; only later windows are emitted
    _run(b, name, guarantee, [("a", 31), ("b", 45)])
    assert _emitted(b) == [("a@0", 2), ("b@10", 1), ("a@20", 1), ("a@30", 1)]


def test_windows_closed_while_the_application_was_down_are_not_lost(app: tuple[str, EmbeddedBroker]) -> None:
    """Records appended while no instance runs are processed after the restart, and the windows they close
    (including ones that were open at shutdown) are emitted once."""
    name, b = app
    _run(b, name, "at_least_once", [("a", 1), ("b", 11)])
    assert _emitted(b) == [("a@0", 1)]
    for key, ts in [("b", 15), ("c", 22), ("a", 31)]:
        produce(b, "in", key, "x", ts)
    _run(b, name, "at_least_once", [])
    assert _emitted(b) == [("a@0", 1), ("b@10", 2), ("c@20", 1)]


class _KeepsMetadata(Processor):
    """Records what the task's processor metadata holds under "seen" when init() runs, then keeps the largest
    timestamp processed there."""

    at_init: ClassVar[list[int | None]] = []

    def init(self, context: Any) -> None:
        super().init(context)
        self.at_init.append(context.processor_metadata_for_key("seen"))

    def process(self, record: Record) -> None:
        self.context.add_processor_metadata_key_value("seen", record.timestamp)


def test_processors_see_the_committed_metadata_in_init(app: tuple[str, EmbeddedBroker]) -> None:
    """As Kafka's StreamTask (initializeMetadata before initializeTopology), a new task applies the processor
    metadata committed with its offsets before its processors' init(), also when it has nothing to restore."""
    name, b = app
    _KeepsMetadata.at_init = []
    topology = Topology().add_source("src", "in", key_deserializer=S, value_deserializer=S)
    topology.add_processor("keep", _KeepsMetadata, "src")
    _run(b, name, "at_least_once", [("a", 7)], topology)
    _run(b, name, "at_least_once", [], topology)
    assert _KeepsMetadata.at_init == [None, 7]
