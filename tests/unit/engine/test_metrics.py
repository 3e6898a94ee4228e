"""Metrics: MetricName as Kafka's value object, the counters a task and a thread keep, and rates computed when read.

Kafka's references: org.apache.kafka.common.MetricName (equality over name, group and tags);
org.apache.kafka.common.metrics.stats.Rate (growth over the sampled window, per second; ``windowSize`` never less
than ``(samples - 1) * window``); StreamsMetricsImpl / ThreadMetrics / TaskMetrics / ProcessorNodeMetrics for the
groups, names and tags; processor-node metrics are recorded at the DEBUG recording level only.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams_nb._engine.metrics import MetricName, StreamsMetrics, ThreadMetrics
from kstreams_nb._time import ManualClock
from kstreams_nb.processor import Processor
from kstreams_nb.records import ConsumerRecord, Record, TopicPartition
from kstreams_nb.serdes import Serdes
from kstreams_nb.topology import Topology

from ._support import int_record, make_task

P = TopicPartition("in", 0)
INT = Serdes.integer()


# ---------------------------------------------------------------------------------------------- MetricName
def test_metric_name_is_a_value_over_name_group_and_tags() -> None:
    a = MetricName("process-total", "stream-task-metrics", {"thread-id": "t", "task-id": "0_1"})
    b = MetricName("process-total", "stream-task-metrics", {"task-id": "0_1", "thread-id": "t"}, description="x")
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert a != MetricName("process-total", "stream-task-metrics", {"thread-id": "t", "task-id": "0_2"})
    assert a != MetricName("process-rate", "stream-task-metrics", dict(a.tags))


def test_metric_name_tags_cannot_change() -> None:
    given = {"thread-id": "t"}
    m = MetricName("poll-total", "stream-thread-metrics", given)
    given["thread-id"] = "other"
    assert m.tags["thread-id"] == "t"
    with pytest.raises(TypeError):
        m.tags["thread-id"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        m.name = "x"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------- reading
def _thread(clock: ManualClock, tasks: dict[Any, Any] | None = None) -> SimpleNamespace:
    return SimpleNamespace(name="app-StreamThread-1", metrics=ThreadMetrics(clock),
                           tasks=SimpleNamespace(tasks=tasks or {}), is_alive=lambda: True)


def _value(values: dict[MetricName, float], name: str, group: str = "stream-thread-metrics", **tags: str) -> float:
    return values[MetricName(name, group, {"thread-id": "app-StreamThread-1", **tags})]


def test_rates_are_computed_when_read_over_kafkas_window() -> None:
    """Rate over 2 samples of 30 s: a counter younger than one window is divided by 30 s (Rate.windowSize), then
    by the time since the newest reading at least 60 s old (or since the counter started)."""
    clock = ManualClock(0)
    thread = _thread(clock)
    metrics = StreamsMetrics(clock, {})
    thread.metrics.processed = 300
    clock.advance(10_000)
    values = metrics.read("app", [thread])
    assert _value(values, "process-total") == 300
    assert _value(values, "process-rate") == pytest.approx(10.0)  # 300 / 30 s, not / 10 s
    thread.metrics.processed = 1200
    clock.advance(50_000)
    assert _value(metrics.read("app", [thread]), "process-rate") == pytest.approx(20.0)  # 1200 / 60 s
    thread.metrics.processed = 1600
    clock.advance(40_000)  # now 100 s: the reading at 10 s is the newest one at least 60 s old
    assert _value(metrics.read("app", [thread]), "process-rate") == pytest.approx((1600 - 300) / 90)


def test_the_window_follows_the_config() -> None:
    clock = ManualClock(0)
    thread = _thread(clock)
    metrics = StreamsMetrics(clock, {"metrics.sample.window.ms": 1000, "metrics.num.samples": 2})
    thread.metrics.polls = 10
    clock.advance(2000)
    assert _value(metrics.read("app", [thread]), "poll-rate") == pytest.approx(5.0)


def test_commit_latency_and_lag_come_from_the_thread_counters() -> None:
    clock = ManualClock(0)
    thread = _thread(clock)
    tm = thread.metrics
    tm.committed(time.perf_counter_ns())
    tm.committed(time.perf_counter_ns())
    other = TopicPartition("in", 1)
    consumer = SimpleNamespace(assignment=lambda: [P, other], lag=lambda tp: 5 if tp == P else None)
    tm.polled(consumer)
    values = StreamsMetrics(clock, {}).read("app", [thread])
    assert _value(values, "commit-total") == 2 and _value(values, "poll-total") == 1
    assert 0 <= _value(values, "commit-latency-avg") <= _value(values, "commit-latency-max")
    client = {"client-id": "app-StreamThread-1-consumer"}
    lag_tags = {**client, "topic": "in", "partition": "0"}
    assert values[MetricName("records-lag", "consumer-fetch-manager-metrics", lag_tags)] == 5.0
    assert MetricName("records-lag", "consumer-fetch-manager-metrics", {**lag_tags, "partition": "1"}) not in values
    assert values[MetricName("records-lag-max", "consumer-fetch-manager-metrics", client)] == 5.0
    assert values[MetricName("alive-stream-threads", "stream-metrics", {"client-id": "app"})] == 1.0


# ---------------------------------------------------------------------------------------------- task counters
class _FailOn666(Processor):
    def process(self, record: Record) -> None:
        if record.value == 666:
            raise ValueError("bad value")
        self.context.forward(record)


def _topology() -> Topology:
    return (
        Topology()
        .add_source("src", "in", key_deserializer=INT, value_deserializer=INT)
        .add_processor("p", _FailOn666, "src")
        .add_sink("sink", "out", "p", key_serializer=INT, value_serializer=INT)
    )


def _run(config: dict[str, Any], records: list[ConsumerRecord]) -> Any:
    task, _, clock = make_task(_topology(), [P], config)
    task.initialize()
    task.add_records(P, records)
    while task.process():
        pass
    return task, clock


def test_a_task_counts_processed_and_dropped_records() -> None:
    """Skips by the deserialization and processing handlers are dropped records; processed counts the rest."""
    bad_bytes = ConsumerRecord("in", 0, 1, 1, INT.serialize("in", 1), b"\x00")
    config = {"deserialization.exception.handler": "log_and_continue",
              "processing.exception.handler": "log_and_continue"}
    task, clock = _run(config, [int_record(P, 0, 1), bad_bytes, int_record(P, 2, 666), int_record(P, 3, 4)])
    assert (task.processed, task.dropped) == (3, 2)
    thread = _thread(clock, {task.task_id: task})
    values = StreamsMetrics(clock, {}).read("app", [thread])
    tags = {"task-id": "0_0"}
    assert _value(values, "process-total", "stream-task-metrics", **tags) == 3
    assert _value(values, "dropped-records-total", "stream-task-metrics", **tags) == 2
    assert not [m for m in values if m.group == "stream-processor-node-metrics"]


def test_node_counts_exist_only_at_debug_level() -> None:
    """At INFO (the default) no node is wrapped (the processor's own process() is the node's entry point); at
    DEBUG each processor and sink counts what reaches it, and the single source counts what the task processed."""
    records = [int_record(P, 0, 1), int_record(P, 1, 666), int_record(P, 2, 3)]
    info, _ = _run({"processing.exception.handler": "log_and_continue"}, records)
    assert info.node_counts is None
    node = info.nodes["p"]
    assert node.run == node.processor.process
    debug, clock = _run({"processing.exception.handler": "log_and_continue", "metrics.recording.level": "DEBUG"},
                        records)
    assert debug.node_counts == {"p": [3], "sink": [2]}
    values = StreamsMetrics(clock, {}).read("app", [_thread(clock, {debug.task_id: debug})])
    nodes = {m.tags["processor-node-id"]: v for m, v in values.items()
             if m.group == "stream-processor-node-metrics" and m.name == "process-total"}
    assert nodes == {"src": 3, "p": 3, "sink": 2}
