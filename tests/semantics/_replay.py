"""Replay a TopologyTestDriver session on KafkaStreams over the embedded broker, and compare.

The semantics suites record, for each test, what was piped into the driver (the serialized bytes) and
everything the topology wrote. :func:`replay` then, for each processing guarantee and thread count:

1. creates every input and output topic with ``partitions`` partitions on a fresh embedded broker,
2. produces the same bytes in the same order (partition = Kafka's murmur2 of the key bytes; null keys to 0),
3. runs the same Topology with KafkaStreams (cache off, commit after every loop) until every input and
   repartition partition is committed up to its last record,
4. reads each output partition ``p`` (read_committed under exactly-once) and compares it with the expected
   output for the keys that hash to ``p``: the same records (key, value, timestamp, headers) and, for every
   key, in the same order.

Across keys, a partition's order is not compared: when several tasks write to one output partition, Kafka
defines no order between them either. Null-key outputs go to whatever partition the producer picks, so they are
compared as one multiset.

What the expected output is follows from the case itself (:func:`plan`), not from which operators it uses:

- The runtime runs one task per sub-topology and partition, each with its own stream time and state; the driver
  runs one task over everything. So the driver is run again on each task's records alone (each input partition
  of each sub-topology). When the outputs of those runs differ from the driver's output of the whole session,
  the case depends on how partitions interleave (stream time: windows with grace, suppress, stream-time
  punctuation; or state shared across keys), and the per-task outputs are what the runtime must produce.
  Otherwise the driver's own output is.
- When a sub-topology reads what another writes (a repartition topic, or a topic the topology writes and
  reads), records of one key come from several upstream tasks in an order nobody defines; there the comparison
  is per key: the same number of updates and the same final record. The case is replayed only when that holds
  for the driver itself whatever the interleaving: its output compared the same way is unchanged when the
  inputs are fed partition after partition (in both directions) instead of interleaved.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from kstreams_nb import Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.errors import ConfigError
from kstreams_nb.partitioner import default_partition
from kstreams_nb.records import ConsumerRecord, Headers, TopicPartition
from kstreams_nb.streams import KafkaStreams, State
from kstreams_nb.topology.description import Sink, Source

_ids = itertools.count()

#: internal config Kafka's driver sets so emit-on-window-close is not throttled by wall-clock time
_EMIT_INTERVAL = "__emit.interval.ms.kstreams.windowed.aggregation__"
#: and so outer stream-stream joins sweep their non-joined records on every record, not once a wall-clock second
_OUTER_JOIN_EMIT_INTERVAL = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"

AT_LEAST_ONCE, EXACTLY_ONCE = "at_least_once", "exactly_once_v2"
GUARANTEES = (AT_LEAST_ONCE, EXACTLY_ONCE)
THREADS = (1, 3)

#: Once KafkaStreams runs exactly_once_v2, set this to True: exactly-once replays (and scale-out) then FAIL when
#: the guarantee is unavailable instead of being skipped, so CI cannot pass without them.
EXACTLY_ONCE_REQUIRED = True

#: replayed sessions per guarantee when the whole semantics suite ran before this issue's replay changes
MIN_REPLAYED_SESSIONS = 157

Input = tuple[str, bytes | None, bytes | None, int, Headers]


@dataclass
class Coverage:
    """Sessions replayed in this pytest run, per guarantee, and whether every semantics test was selected."""

    replayed: Counter[str] = field(default_factory=Counter)
    files_missing: set[str] = field(default_factory=set)
    deselected: int = 0

    def whole_suite(self) -> bool:
        """True when every semantics test file was collected and no semantics test was deselected."""
        return not self.files_missing and not self.deselected


COVERAGE = Coverage()


@dataclass
class Session:
    """What one driver saw: its topology, config, piped inputs and produced outputs."""

    topology: Any
    config: Mapping[str, Any]
    app_id: str
    inputs: list[Input] = field(default_factory=list)
    outputs: list[ConsumerRecord] = field(default_factory=list)
    #: the case depends on how partitions interleave: the expected output is each task's own
    per_task: bool = False
    #: a sub-topology reads what another writes: compare per key (count and final record)
    linked: bool = False
    #: ``(inputs) -> outputs`` on a fresh driver
    rerun: Callable[[list[Input]], list[ConsumerRecord]] | None = None
    replayable: bool = True
    why_not: str = ""

    def refuse(self, why: str) -> None:
        """Mark the session as not record-in/record-out (wall-clock time, errors, global state)."""
        if self.replayable:
            self.replayable, self.why_not = False, why


@functools.cache
def exactly_once_unavailable() -> str | None:
    """None when ``KafkaStreams.start()`` accepts exactly_once_v2 on the embedded broker; else why not.

    Probed once per test session with a one-node pass-through application.
    """
    name = f"eos-probe-{next(_ids)}"
    broker = EmbeddedBroker.reset(name)
    try:
        broker.create_topic("probe-in")
        broker.create_topic("probe-out")
        topology = Topology().add_source("in", "probe-in").add_sink("out", "probe-out", "in")
        streams = KafkaStreams(topology, {
            "application.id": name, "bootstrap.servers": f"memory://{name}", "processing.guarantee": EXACTLY_ONCE,
        })
        try:
            streams.start()
        except ConfigError as e:
            return f"KafkaStreams.start() refuses {EXACTLY_ONCE}: {e}"
        finally:
            streams.close(10)
        return None
    finally:
        EmbeddedBroker.drop(name)


def require_guarantee(guarantee: str) -> None:
    """Skip (or, with :data:`EXACTLY_ONCE_REQUIRED`, fail) when ``guarantee`` cannot run yet."""
    why = exactly_once_unavailable() if guarantee == EXACTLY_ONCE else None
    if why is not None:
        if EXACTLY_ONCE_REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


def _key(r: ConsumerRecord) -> tuple[Any, ...]:
    return (r.key, r.value, r.timestamp, tuple(r.headers))


def _partition_of(key: bytes | None, partitions: int) -> int:
    return default_partition(key, partitions) if key is not None else 0


def _topics(session: Session) -> tuple[list[str], list[str]]:
    """The session's input topics and the output topics to compare (not internal, not inputs)."""
    prefix = session.app_id + "-"

    def internal(topic: str) -> bool:
        return topic.startswith(prefix) and topic.endswith(("-repartition", "-changelog"))

    inputs = list(dict.fromkeys(t for t, *_ in session.inputs))
    outputs = list(dict.fromkeys(r.topic for r in session.outputs if not internal(r.topic) and r.topic not in inputs))
    return inputs, outputs


def plan(session: Session, partitions: int = 3) -> None:
    """Decide what the runtime must produce (see the module docstring); may refuse the session."""
    assert session.rerun is not None
    topology = session.topology if hasattr(session.topology, "describe") else session.topology.build()
    subtopologies = topology.describe().subtopologies
    sources = [(sub.id, n) for sub in subtopologies for n in sub.nodes if isinstance(n, Source)]
    writes = {sub.id: {n.topic for n in sub.nodes if isinstance(n, Sink)} for sub in subtopologies}
    links = {t for _, n in sources for t in n.topics or ()} & {t for ts in writes.values() for t in ts}
    session.linked = bool(links)

    def subtopology_of(topic: str) -> int:
        return next((i for i, n in sources if (n.topics and topic in n.topics)
                     or (n.topic_pattern is not None and n.topic_pattern.fullmatch(topic))), -1)

    tasks: dict[tuple[int, int], list[Input]] = defaultdict(list)
    for item in session.inputs:
        tasks[subtopology_of(item[0]), _partition_of(item[1], partitions)].append(item)
    per_task = [r for task in sorted(tasks) for r in session.rerun(tasks[task])]
    _, outputs = _topics(session)
    if not session.linked:
        if _difference(outputs, _by_partition(per_task, partitions), session.outputs, partitions, False):
            session.per_task, session.outputs = True, per_task
        return
    # What the sub-topologies fed by the inputs write into links must not depend on the split into tasks ...
    prefix = session.app_id + "-"
    fed = {t for sub_id, _ in tasks for t in writes.get(sub_id, ()) & links}

    def into_links(records: Sequence[ConsumerRecord]) -> Counter[tuple[Any, ...]]:
        return Counter((r.topic, *_key(r)) for r in records if r.topic.removeprefix(prefix) in fed)

    if into_links(per_task) != into_links(session.outputs):
        session.refuse("stream time or state per task changes what reaches a repartition")
        return
    # ... and what comes out of them must not depend on the order in which the tasks' records arrive.
    for order in (1, -1):
        reordered = sorted(session.inputs, key=lambda i: order * _partition_of(i[1], partitions))
        outcome = _by_partition(session.rerun(reordered), partitions)
        if _difference(outputs, outcome, session.outputs, partitions, True):
            session.refuse("output depends on how partitions interleave before a repartition")
            return


def replay(session: Session, guarantee: str, partitions: int = 3, timeout: float = 30.0) -> None:
    """Run the session on KafkaStreams with each of :data:`THREADS` and assert the outputs match."""
    for n in THREADS:
        broker_name = f"replay-{next(_ids)}"
        broker = EmbeddedBroker.named(broker_name)
        try:
            _replay(broker, broker_name, session, partitions, n, guarantee, timeout)
        finally:
            EmbeddedBroker.drop(broker_name)


def _replay(
    broker: EmbeddedBroker, broker_name: str, session: Session, partitions: int, threads: int, guarantee: str,
    timeout: float,
) -> None:
    input_topics, output_topics = _topics(session)
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
        "processing.guarantee": guarantee,
        "statestore.cache.max.bytes": 0,
        _EMIT_INTERVAL: 0,
        _OUTER_JOIN_EMIT_INTERVAL: 0,
    })
    isolation = "read_committed" if guarantee == EXACTLY_ONCE else "read_uncommitted"
    streams = KafkaStreams(session.topology, config)
    streams.start()
    try:
        _wait_until_processed(broker, streams, app_id, isolation, timeout)
    finally:
        streams.close(10)
    assert streams.state() is State.NOT_RUNNING, f"runtime ended in {streams.state()}: {streams.exception!r}"
    actual = {t: {p: broker.read_partition(t, p, isolation) for p in range(partitions)} for t in output_topics}
    problem = _difference(output_topics, actual, session.outputs, partitions, session.linked)
    assert problem is None, f"{guarantee}, {threads} thread(s): {problem}"


def _wait_until_processed(
    broker: EmbeddedBroker, streams: KafkaStreams, app_id: str, isolation: str, timeout: float
) -> None:
    """Until the group committed past the last record of every source partition, and nothing more came."""
    plan_ = streams.plan
    assert plan_ is not None
    topics = sorted({t for ts in plan_.source_topics.values() for t in ts})
    group = broker.group(app_id)
    deadline = time.monotonic() + timeout
    previous: dict[TopicPartition, int] | None = None
    while True:
        targets, settled = {}, True
        for t in topics:
            if not broker.has_topic(t):
                continue
            settled &= broker.end_offsets(t, "read_committed") == broker.end_offsets(t)  # no open transaction
            for p in range(broker.partitions_for(t)):
                records = broker.read_partition(t, p, isolation)
                if records:  # committed offsets stop at the last record + 1, before any transaction marker
                    targets[TopicPartition(t, p)] = records[-1].offset + 1
        if settled and targets == previous:
            return
        previous = targets
        if streams.state() in (State.ERROR, State.PENDING_ERROR):
            raise AssertionError(f"runtime failed: {streams.exception!r}") from streams.exception
        if time.monotonic() > deadline:
            raise AssertionError(f"runtime did not process every input within {timeout}s (state {streams.state()})")
        group.wait_until_committed(targets, min(0.5, max(0.0, deadline - time.monotonic())))


def _by_partition(records: Sequence[ConsumerRecord], partitions: int) -> dict[str, dict[int, list[ConsumerRecord]]]:
    """Records grouped as the runtime's output topics hold them: by topic, then by the partition of the key."""
    out: dict[str, dict[int, list[ConsumerRecord]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        out[r.topic][_partition_of(r.key, partitions)].append(r)
    return out


def _difference(
    topics: Sequence[str],
    actual: Mapping[str, Mapping[int, Sequence[ConsumerRecord]]],
    expected: Sequence[ConsumerRecord],
    partitions: int,
    per_key: bool,
) -> str | None:
    """How ``actual`` (topic → partition → records) differs from ``expected``, or None (module docstring)."""
    for topic in topics:
        expected_by_p: dict[int, list[ConsumerRecord]] = defaultdict(list)
        null_expected: list[tuple[Any, ...]] = []
        for r in expected:
            if r.topic == topic:
                if r.key is None:
                    null_expected.append(_key(r))
                else:
                    expected_by_p[default_partition(r.key, partitions)].append(r)
        null_actual: list[tuple[Any, ...]] = []
        for p in range(partitions):
            got = actual.get(topic, {}).get(p, [])
            null_actual.extend(_key(r) for r in got if r.key is None)
            keyed = [r for r in got if r.key is not None]
            want = expected_by_p.get(p, [])
            if not per_key and Counter(map(_key, keyed)) != Counter(map(_key, want)):
                return f"{topic}[{p}]: runtime {[_key(r) for r in keyed]}\n driver {[_key(r) for r in want]}"
            for k in {r.key for r in want} | {r.key for r in keyed}:
                mine = [_key(r) for r in keyed if r.key == k]
                theirs = [_key(r) for r in want if r.key == k]
                if per_key and (len(mine), mine[-1:]) != (len(theirs), theirs[-1:]):
                    return f"{topic}[{p}] key {k!r}: runtime updates {mine} differ from the driver's {theirs}"
                if not per_key and mine != theirs:
                    return f"{topic}[{p}] key {k!r}: runtime order {mine} differs from the driver's {theirs}"
        if Counter(null_actual) != Counter(null_expected):
            return f"{topic}: null-key outputs differ: runtime {null_actual}, driver {null_expected}"
    return None
