"""Metrics: plain counters kept on the hot path, turned into Kafka's metric names and rates when read.

The stream thread and its tasks only increment ints (no locks, no clock per record): a task counts records
processed and dropped, a thread counts loop passes' records, polls and commits (timing each commit, not each
record), and samples the consumer's lag once per poll. Node counts exist only at ``metrics.recording.level=DEBUG``,
as Kafka records its processor-node metrics only at DEBUG: each processor and sink node's entry point is then
wrapped by a counting function, so the default level pays nothing for them.

:class:`StreamsMetrics` reads the counters from any thread (``KafkaStreams.metrics()``) and computes rates as
Kafka's ``Rate`` does: the growth of a total per second over a sliding window of ``metrics.num.samples`` (2) ×
``metrics.sample.window.ms`` (30 s), and over at least ``num.samples - 1`` windows, so a counter younger than that
shows its total divided by 30 s (as Kafka's, rates ramp up over the first window).

Example::

    >>> MetricName("process-total", "stream-thread-metrics", {"thread-id": "app-StreamThread-1"})
    MetricName(name='process-total', group='stream-thread-metrics', tags={'thread-id': 'app-StreamThread-1'})
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from kstreams_nb._engine.nodes import Node, SourceNode
from kstreams_nb._time import Clock
from kstreams_nb.config import StreamsConfig
from kstreams_nb.records import Record, TopicPartition

__all__ = ["LagSource", "MetricName", "StreamsMetrics", "ThreadMetrics", "count_node_records", "task_dropped"]

THREAD_GROUP = "stream-thread-metrics"
TASK_GROUP = "stream-task-metrics"
NODE_GROUP = "stream-processor-node-metrics"
CLIENT_GROUP = "stream-metrics"
CONSUMER_GROUP = "consumer-fetch-manager-metrics"


class LagSource(Protocol):
    """The part of a :class:`~kstreams_nb.clients.base.Consumer` the lag sampling reads: its assignment and the
    lag of each assigned partition (any Consumer is one).

    Example::

        >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
        >>> broker = EmbeddedBroker()
        >>> broker.create_topic("t")
        >>> source: LagSource = MemoryClientSupplier(broker).consumer({})
        >>> source.assignment()
        []
    """

    def assignment(self) -> list[TopicPartition]: ...

    def lag(self, tp: TopicPartition) -> int | None: ...


@dataclass(frozen=True)
class MetricName:
    """The name of a metric, as Kafka's ``org.apache.kafka.common.MetricName``: a name, a group and tags (a
    read-only mapping); equal and hashable by all three (the description is not compared).

    Example::

        >>> m = MetricName("dropped-records-total", "stream-task-metrics", {"thread-id": "t-1", "task-id": "0_0"})
        >>> m == MetricName("dropped-records-total", "stream-task-metrics", {"task-id": "0_0", "thread-id": "t-1"})
        True
        >>> m.tags["task-id"]
        '0_0'
    """

    name: str
    group: str
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    def __hash__(self) -> int:
        return hash((self.name, self.group, frozenset(self.tags.items())))

    def __repr__(self) -> str:
        return f"MetricName(name={self.name!r}, group={self.group!r}, tags={dict(self.tags)!r})"


class ThreadMetrics:
    """The counters of one stream thread (written by that thread only; read by anyone)."""

    __slots__ = ("commit_ms_max", "commit_ns", "commits", "lag", "polls", "processed", "started_ms")

    def __init__(self, clock: Clock) -> None:
        self.started_ms = clock.milliseconds()
        self.processed = 0
        self.polls = 0
        self.commits = 0
        self.commit_ns = 0
        self.commit_ms_max = 0.0
        #: records lag per assigned partition, as the consumer saw it at the last poll (replaced, never mutated)
        self.lag: Mapping[TopicPartition, int] = {}

    def polled(self, consumer: LagSource) -> None:
        """Count a poll and sample the lag of every assigned partition from the consumer's cached positions."""
        self.polls += 1
        lag = consumer.lag
        sampled = {}
        for tp in consumer.assignment():
            n = lag(tp)
            if n is not None:
                sampled[tp] = n
        self.lag = sampled

    def committed(self, started_ns: int) -> None:
        """Count a commit that started at ``started_ns`` (``time.perf_counter_ns()``) and has just ended."""
        took = time.perf_counter_ns() - started_ns
        self.commits += 1
        self.commit_ns += took
        if took / 1e6 > self.commit_ms_max:
            self.commit_ms_max = took / 1e6


def task_dropped(task: Any) -> int:
    """A task's dropped records, as Kafka's task-level ``dropped-records`` sensor counts them: records the task
    skipped (a deserialization handler's skip, a negative timestamp), records its processors dropped (a null key or
    value in an aggregation or a join, a record for an expired window: each processor keeps a ``dropped`` count)
    and records its window and session stores refused as expired (``dropped_records`` of the innermost store)."""
    total = int(task.dropped)
    for node in list(task.nodes.values()):
        total += int(getattr(getattr(node, "processor", None), "dropped", 0) or 0)
    for store in list(task.stores.values()):
        while store is not None:
            dropped = getattr(store, "dropped_records", None)
            if isinstance(dropped, int):
                total += dropped
                break
            store = getattr(store, "wrapped", None)
    return total


def count_node_records(nodes: Mapping[str, Node], config: StreamsConfig) -> dict[str, list[int]] | None:
    """At ``metrics.recording.level=DEBUG``, wrap each processor and sink node's entry point with a counter and
    return name -> ``[count]``; otherwise change nothing and return None. Source nodes are not wrapped: their
    count is the task's processed count (``StreamTask.process`` forwards from the source directly)."""
    if str(config.get("metrics.recording.level", "INFO")).upper() not in ("DEBUG", "TRACE"):
        return None
    counts: dict[str, list[int]] = {}
    for name, node in nodes.items():
        if isinstance(node, SourceNode):
            continue
        counter = counts[name] = [0]
        node.run = _counting(node.run, counter)
    return counts


def _counting(run: Callable[[Record], None], counter: list[int]) -> Callable[[Record], None]:
    def counted(record: Record) -> None:
        counter[0] += 1
        run(record)

    return counted


class StreamsMetrics:
    """Reads the counters of a client's threads and tasks into ``{MetricName: value}``, rates included.

    Thread-safe: the rate windows are guarded by a lock; counters are read without one (ints, read whole).
    """

    def __init__(self, clock: Clock, config: StreamsConfig) -> None:
        self._clock = clock
        window = int(config.get("metrics.sample.window.ms", 30_000))
        samples = max(1, int(config.get("metrics.num.samples", 2)))
        self._span_ms = window * samples
        self._min_elapsed_ms = window * (samples - 1)
        self._lock = threading.Lock()
        #: metric -> (time ms, total) readings, oldest first
        self._history: dict[MetricName, deque[tuple[int, float]]] = {}

    def read(self, client_id: str, threads: Iterable[Any]) -> dict[MetricName, float]:
        """The metrics of ``threads`` (StreamThread-like: ``name``, ``metrics``, ``tasks.tasks``, ``is_alive()``)."""
        now = self._clock.milliseconds()
        out: dict[MetricName, float] = {}
        totals: list[tuple[MetricName, MetricName, float, int]] = []  # (rate name, total name, total, start)
        threads = list(threads)
        alive = 0
        for thread in threads:
            if thread.is_alive():
                alive += 1
            self._read_thread(thread, out, totals)
        out[MetricName("alive-stream-threads", CLIENT_GROUP, {"client-id": client_id})] = float(alive)
        with self._lock:
            seen = set()
            for rate_name, total_name, total, start in totals:
                out[total_name] = float(total)
                out[rate_name] = self._rate(rate_name, total, start, now)
                seen.add(rate_name)
            for gone in [m for m in self._history if m not in seen]:
                del self._history[gone]
        return out

    def _read_thread(
        self, thread: Any, out: dict[MetricName, float], totals: list[tuple[MetricName, MetricName, float, int]]
    ) -> None:
        tm: ThreadMetrics | None = getattr(thread, "metrics", None)
        if tm is None:
            return
        thread_tags = {"thread-id": thread.name}

        def counter(name: str, group: str, tags: dict[str, str], total: float, start: int) -> None:
            totals.append((MetricName(f"{name}-rate", group, tags), MetricName(f"{name}-total", group, tags), total,
                           start))

        counter("process", THREAD_GROUP, thread_tags, tm.processed, tm.started_ms)
        counter("poll", THREAD_GROUP, thread_tags, tm.polls, tm.started_ms)
        commits, commit_ns = tm.commits, tm.commit_ns
        counter("commit", THREAD_GROUP, thread_tags, commits, tm.started_ms)
        out[MetricName("commit-latency-avg", THREAD_GROUP, thread_tags)] = commit_ns / 1e6 / commits if commits else 0.0
        out[MetricName("commit-latency-max", THREAD_GROUP, thread_tags)] = tm.commit_ms_max
        client = {"client-id": f"{thread.name}-consumer"}
        lag = tm.lag
        for tp, n in lag.items():
            tags = {**client, "topic": tp.topic, "partition": str(tp.partition)}
            out[MetricName("records-lag", CONSUMER_GROUP, tags)] = float(n)
        out[MetricName("records-lag-max", CONSUMER_GROUP, client)] = float(max(lag.values(), default=0))
        for task in list(thread.tasks.tasks.values()):
            tags = {**thread_tags, "task-id": str(task.task_id)}
            start = task.created_ms
            counter("process", TASK_GROUP, tags, task.processed, start)
            counter("dropped-records", TASK_GROUP, tags, task_dropped(task), start)
            counter("restore", TASK_GROUP, tags, task.restored, start)
            out[MetricName("restore-remaining-records-total", TASK_GROUP, tags)] = float(
                sum(task.restore_remaining.values())
            )
            nodes = task.node_counts
            if nodes is not None:
                sources = [name for name, node in task.nodes.items() if isinstance(node, SourceNode)]
                for name in sources if len(sources) == 1 else ():  # the task's count is its one source's
                    counter("process", NODE_GROUP, {**tags, "processor-node-id": name}, task.processed, start)
                for name, (count,) in list(nodes.items()):
                    counter("process", NODE_GROUP, {**tags, "processor-node-id": name}, count, start)

    def _rate(self, name: MetricName, total: float, start: int, now: int) -> float:
        """Per second: the growth of ``total`` since the newest reading at least ``num.samples`` windows old, else
        since ``start`` (when the counter began at 0), over at least ``num.samples - 1`` windows (Kafka's
        ``Rate.windowSize``: a young counter's rate is not inflated by a tiny elapsed time)."""
        history = self._history.get(name)
        if history is None:
            history = self._history[name] = deque([(start, 0.0)])
        history.append((now, total))
        cutoff = now - self._span_ms
        while len(history) > 2 and history[1][0] <= cutoff:
            history.popleft()
        t0, v0 = history[0]
        if total < v0:  # a counter that restarted (a task re-created): start over from it
            history.clear()
            history.extend(((start, 0.0), (now, total)))
            t0, v0 = start, 0.0
        elapsed = max(now - t0, self._min_elapsed_ms)
        return (total - v0) * 1000.0 / elapsed if elapsed > 0 else 0.0
