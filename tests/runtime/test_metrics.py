"""KafkaStreams.metrics() on the embedded broker: Kafka's groups, names and tags for threads, tasks, nodes, restoration
and consumer lag; counts that match what was processed; safe to call from another thread while processing.

Kafka's references: ThreadMetrics (stream-thread-metrics: process-/poll-/commit- rate and total, commit-latency-
avg/max, tag thread-id), TaskMetrics (stream-task-metrics: process-, dropped-records-, restore- rate and total,
restore-remaining-records-total, tags thread-id and task-id), ProcessorNodeMetrics (stream-processor-node-metrics,
DEBUG level, tag processor-node-id), the consumer's FetchManagerMetrics (records-lag per topic partition).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from kstreams_nb import Processor, Record, Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams, MetricName

from ._support import S, config, counting_topology, produce, start_running, wait_until


def _by(values: dict[MetricName, float], name: str, group: str) -> dict[frozenset[tuple[str, str]], float]:
    return {frozenset(m.tags.items()): v for m, v in values.items() if m.name == name and m.group == group}


def _one(values: dict[MetricName, float], name: str, group: str) -> float:
    [value] = _by(values, name, group).values()
    return value


def _fill(b: EmbeddedBroker, n: int, partitions: int = 2) -> None:
    b.create_topic("in", partitions)
    b.create_topic("out", partitions)
    for i in range(n):
        produce(b, "in", f"k{i % 7}", "v", i, partition=i % partitions)


def test_thread_and_task_counts_match_what_was_processed(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _fill(b, 300)
    with KafkaStreams(counting_topology("in"), config(name)) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=10)
        values = streams.metrics()
        assert _one(values, "process-total", "stream-thread-metrics") == 300
        assert _one(values, "process-rate", "stream-thread-metrics") > 0
        tasks = _by(values, "process-total", "stream-task-metrics")
        assert sorted(dict(tags)["task-id"] for tags in tasks) == ["0_0", "0_1"]
        assert sorted(tasks.values()) == [150, 150]
        assert set(_by(values, "dropped-records-total", "stream-task-metrics").values()) == {0}
        assert _one(values, "commit-total", "stream-thread-metrics") >= 1
        assert 0 <= _one(values, "commit-latency-avg", "stream-thread-metrics") <= _one(
            values, "commit-latency-max", "stream-thread-metrics")
        assert _one(values, "poll-total", "stream-thread-metrics") >= 1
        client = streams.config["client.id"] or f"app-{streams.process_id}"
        assert values[MetricName("alive-stream-threads", "stream-metrics", {"client-id": client})] == 1
        assert not _by(values, "process-total", "stream-processor-node-metrics")  # DEBUG level only


def test_node_counts_at_debug_level(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _fill(b, 50, partitions=1)
    with KafkaStreams(counting_topology("in"), config(name, **{"metrics.recording.level": "DEBUG"})) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=10)
        nodes = {dict(tags)["processor-node-id"]: v
                 for tags, v in _by(streams.metrics(), "process-total", "stream-processor-node-metrics").items()}
    assert nodes == {"src": 50, "count": 50, "sink": 50}


class _Gate(Processor):
    """Blocks on its first record until released."""

    entered = threading.Event()
    release = threading.Event()

    def process(self, record: Record) -> None:
        type(self).entered.set()
        assert type(self).release.wait(10)
        self.context.forward(record)


def test_records_lag_per_partition_is_the_consumers_position_at_the_last_poll(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """The thread polls 10 of 100 records and blocks processing the first: the lag it sampled at that poll is 90,
    and metrics() reads it from another thread while the stream thread is busy."""
    name, b = broker
    b.create_topic("in")
    b.create_topic("out")
    for i in range(100):
        produce(b, "in", "k", str(i), i)
    _Gate.entered.clear()
    _Gate.release.clear()
    t = (Topology().add_source("src", "in", key_deserializer=S, value_deserializer=S)
         .add_processor("gate", _Gate, "src").add_sink("sink", "out", "gate", key_serializer=S, value_serializer=S))
    with KafkaStreams(t, config(name, **{"max.poll.records": 10})) as streams:
        start_running(streams)
        try:
            assert _Gate.entered.wait(10)
            lag = _by(streams.metrics(), "records-lag", "consumer-fetch-manager-metrics")
            assert [(dict(tags)["topic"], dict(tags)["partition"], v) for tags, v in lag.items()] == [("in", "0", 90)]
            assert _one(streams.metrics(), "records-lag-max", "consumer-fetch-manager-metrics") == 90
        finally:
            _Gate.release.set()
        assert streams.wait_until_processed(timeout=10)
        assert wait_until(lambda: _one(streams.metrics(), "records-lag", "consumer-fetch-manager-metrics") == 0)


def test_restoration_is_counted(broker: tuple[str, EmbeddedBroker]) -> None:
    """A new instance (in-memory stores start empty) restores the whole changelog partition of its task."""
    name, b = broker
    _fill(b, 40, partitions=1)
    with KafkaStreams(counting_topology("in"), config(name)) as first:
        start_running(first)
        assert first.wait_until_processed(timeout=10)
        assert _one(first.metrics(), "restore-total", "stream-task-metrics") == 0
    changelog = len(b.read("app-counts-changelog"))
    assert changelog > 0
    with KafkaStreams(counting_topology("in"), config(name)) as second:
        start_running(second)
        values = second.metrics()
        assert _one(values, "restore-total", "stream-task-metrics") == changelog
        assert _one(values, "restore-remaining-records-total", "stream-task-metrics") == 0
        assert _one(values, "restore-rate", "stream-task-metrics") > 0


def test_metrics_can_be_read_from_another_thread_while_processing(broker: tuple[str, EmbeddedBroker]) -> None:
    """A reader polling metrics() in a loop (as a notebook's live panel) while two stream threads process and
    commit: no error, and every thread's process-total only grows, up to what was produced."""
    name, b = broker
    _fill(b, 5000, partitions=4)
    seen: list[dict[str, float]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read(streams: KafkaStreams) -> None:
        try:
            while not done.is_set():
                values = streams.metrics()
                seen.append({dict(t)["thread-id"]: v
                             for t, v in _by(values, "process-total", "stream-thread-metrics").items()})
        except BaseException as e:  # reported below
            errors.append(e)

    extra: dict[str, Any] = {"num.stream.threads": 2, "commit.interval.ms": 5}
    with KafkaStreams(counting_topology("in"), config(name, **extra)) as streams:
        reader = threading.Thread(target=read, args=(streams,))
        reader.start()
        try:
            start_running(streams)
            assert streams.wait_until_processed(timeout=20)
        finally:
            done.set()
            reader.join(10)
        final = _by(streams.metrics(), "process-total", "stream-thread-metrics")
    assert errors == []
    assert sum(final.values()) == 5000
    for earlier, later in itertools.pairwise(seen):
        assert all(later.get(thread, v) >= v for thread, v in earlier.items())


def test_records_dropped_by_dsl_processors_are_counted_per_task(broker: tuple[str, EmbeddedBroker]) -> None:
    """Kafka's task-level dropped-records sensor also counts what processors drop: a null-key record in a
    count (KStreamAggregate's "Skipping record due to null key or value"), a stream-table join's null-value
    record, and a record for an expired window."""
    from kstreams_nb.dsl import Consumed, StreamsBuilder, TimeWindows

    name, b = broker
    for topic in ("in", "table"):
        b.create_topic(topic, 1)
    builder = StreamsBuilder()
    stream = builder.stream("in", Consumed.with_(S, S))
    stream.group_by_key().count()
    stream.group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).count()
    stream.join(builder.table("table", Consumed.with_(S, S)), lambda v, t: v).to("out")
    produce(b, "in", "a", "v", 100)
    produce(b, "in", "a", "v", 50)  # its window [50, 60) closed at stream time 100: expired for the window count
    b.produce("in", None, b"v", timestamp=101)  # a null key: the count and the join drop it
    with KafkaStreams(builder.build(), config(name)) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=10)
        values = streams.metrics()
    # join: a and a miss the empty table (not dropped), the null key is dropped; counts: the null key twice;
    # window count: the expired record once
    assert _one(values, "dropped-records-total", "stream-task-metrics") == 4
