"""Replay a TopologyTestDriver session on KafkaStreams over the embedded broker, and compare.

The semantics suites record, for each test, what was piped into the driver (the serialized bytes) and
everything the topology wrote. :func:`replay` then:

1. creates every input and output topic with ``partitions`` partitions on a fresh embedded broker,
2. produces the same bytes in the same order (partition = Kafka's murmur2 of the key bytes; null keys to 0),
3. runs the same Topology with KafkaStreams (once with one stream thread, once with two; no cache; commit after
   every loop) until every input and repartition partition is committed to its end,
4. compares each output partition ``p`` with the driver's output for the keys that hash to ``p``: the same
   records (key, value, timestamp, headers) and, for every key, in the same order.

Across keys, a partition's order is not compared: when several tasks write to one output partition (a key
change, or serdes that hash differently on the way in and out), Kafka defines no order between them either.
Null-key outputs go to whatever partition the producer picks, so they are compared as one multiset.

Two things the driver's single task cannot show, and how they are handled:

- Stream time is per task. Where an operator depends on it (stream-time punctuation, windows with grace,
  suppress), the expected output is what the driver gives for each input partition's records on their own
  (one driver run per partition), which is exactly what the runtime's tasks see.
- Through a repartition topic, records of one key can come from several upstream tasks, and Kafka defines no
  order between them; there the comparison is per key: the same number of updates and the same final record.
  A stream-time dependent topology with a repartition is not replayed (its output depends on scheduling).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.partitioner import default_partition
from kstreams_nb.records import ConsumerRecord, Headers
from kstreams_nb.streams import KafkaStreams, State

_ids = itertools.count()

#: internal config Kafka's driver sets so emit-on-window-close is not throttled by wall-clock time
_EMIT_INTERVAL = "__emit.interval.ms.kstreams.windowed.aggregation__"


@dataclass
class Session:
    """What one driver saw: its topology, config, piped inputs and produced outputs."""

    topology: Any
    config: Mapping[str, Any]
    app_id: str
    inputs: list[tuple[str, bytes | None, bytes | None, int, Headers]] = field(default_factory=list)
    outputs: list[ConsumerRecord] = field(default_factory=list)
    time_dependent: bool = False
    has_repartition: bool = False
    #: ``(inputs) -> outputs`` on a fresh driver: the expected output of one task's records
    rerun: Any = None
    replayable: bool = True
    why_not: str = ""

    def refuse(self, why: str) -> None:
        """Mark the session as not record-in/record-out (wall-clock time, errors, global state)."""
        if self.replayable:
            self.replayable, self.why_not = False, why


def _key(r: ConsumerRecord) -> tuple[Any, ...]:
    return (r.key, r.value, r.timestamp, tuple(r.headers))


def _partition_of(key: bytes | None, partitions: int) -> int:
    return default_partition(key, partitions) if key is not None else 0


def replay(session: Session, partitions: int = 3, threads: tuple[int, ...] = (1, 2), timeout: float = 30.0) -> None:
    """Run the session on KafkaStreams and assert the outputs match (see the module docstring)."""
    if session.time_dependent:
        if session.has_repartition:
            return
        expected: list[ConsumerRecord] = []
        for p in range(partitions):
            mine = [i for i in session.inputs if _partition_of(i[1], partitions) == p]
            if mine:
                expected.extend(session.rerun(mine))
        session.outputs = expected
    for n in threads:
        broker_name = f"replay-{next(_ids)}"
        broker = EmbeddedBroker.named(broker_name)
        try:
            _replay(broker, broker_name, session, partitions, n, timeout)
        finally:
            EmbeddedBroker.drop(broker_name)


def _replay(
    broker: EmbeddedBroker, broker_name: str, session: Session, partitions: int, threads: int, timeout: float
) -> None:
    prefix = session.app_id + "-"

    def internal(topic: str) -> bool:
        return topic.startswith(prefix) and topic.endswith(("-repartition", "-changelog"))

    input_topics = list(dict.fromkeys(t for t, *_ in session.inputs))
    output_topics = list(dict.fromkeys(
        r.topic for r in session.outputs if not internal(r.topic) and r.topic not in input_topics
    ))
    for topic in input_topics + output_topics:
        broker.create_topic(topic, partitions)
    for topic, key, value, ts, headers in session.inputs:
        broker.produce(topic, key, value, timestamp=ts, partition=_partition_of(key, partitions),
                       headers=list(headers))
    app_id = f"replay-app-{next(_ids)}"
    config = dict(session.config)
    config.update({
        "application.id": app_id,
        "bootstrap.servers": f"memory://{broker_name}",
        "commit.interval.ms": 0,
        "num.stream.threads": threads,
        "statestore.cache.max.bytes": 0,
        _EMIT_INTERVAL: 0,
    })
    streams = KafkaStreams(session.topology, config)
    streams.start()
    try:
        _wait_until_processed(broker, streams, app_id, timeout)
    finally:
        streams.close(10)
    assert streams.state() is State.NOT_RUNNING, f"runtime ended in {streams.state()}: {streams.exception!r}"
    for topic in output_topics:
        _compare(topic, broker, session, partitions)


def _wait_until_processed(broker: EmbeddedBroker, streams: KafkaStreams, app_id: str, timeout: float) -> None:
    plan = streams.plan
    assert plan is not None
    topics = sorted({t for ts in plan.source_topics.values() for t in ts})
    deadline = time.monotonic() + timeout
    while not broker.wait_until_consumed(app_id, topics, timeout=0.5):
        if streams.state() in (State.ERROR, State.PENDING_ERROR):
            raise AssertionError(f"runtime failed: {streams.exception!r}") from streams.exception
        if time.monotonic() > deadline:
            raise AssertionError(f"runtime did not process every input within {timeout}s (state {streams.state()})")


def _compare(topic: str, broker: EmbeddedBroker, session: Session, partitions: int) -> None:
    expected_by_p: dict[int, list[ConsumerRecord]] = defaultdict(list)
    null_expected: list[tuple[Any, ...]] = []
    for r in session.outputs:
        if r.topic != topic:
            continue
        if r.key is None:
            null_expected.append(_key(r))
        else:
            expected_by_p[default_partition(r.key, partitions)].append(r)
    null_actual: list[tuple[Any, ...]] = []
    for p in range(partitions):
        actual = broker.read_partition(topic, p)
        null_actual.extend(_key(r) for r in actual if r.key is None)
        actual_keyed = [r for r in actual if r.key is not None]
        expected = expected_by_p.get(p, [])
        if session.has_repartition:
            for k in {r.key for r in expected} | {r.key for r in actual_keyed}:
                mine = [_key(r) for r in actual_keyed if r.key == k]
                theirs = [_key(r) for r in expected if r.key == k]
                assert (len(mine), mine[-1:]) == (len(theirs), theirs[-1:]), (
                    f"{topic}[{p}] key {k!r}: runtime updates {mine} differ from the driver's {theirs}"
                )
            continue
        assert Counter(map(_key, actual_keyed)) == Counter(map(_key, expected)), (
            f"{topic}[{p}]: runtime output differs from the driver's\n runtime: {[_key(r) for r in actual_keyed]}\n"
            f" driver:  {[_key(r) for r in expected]}"
        )
        for k in {r.key for r in expected}:
            assert [_key(r) for r in actual_keyed if r.key == k] == [_key(r) for r in expected if r.key == k], (
                f"{topic}[{p}] key {k!r}: runtime order differs from the driver's"
            )
    assert Counter(null_actual) == Counter(null_expected), f"{topic}: null-key outputs differ"
