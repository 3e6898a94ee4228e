"""Core semantics on a real Apache Kafka broker agree with the TopologyTestDriver, per partition.

Each case produces its inputs to 3-partition topics (a key's partition is Kafka's murmur2 of its bytes, as a
Java producer picks it), runs the topology with KafkaStreams over confluent-kafka until every input is processed
and committed, and compares each output partition with what the TopologyTestDriver produces for the same input
records. What the driver must produce is decided as for the embedded-broker replay (tests/semantics/_replay.py
``plan``): where the outcome depends on how partitions interleave (stream time: windows, suppress, stream-time
punctuation) it is the driver run on each task's records alone, else the driver's run of the whole input.

Where every output partition is fed by one task (the keys stay where they are), the partition is compared as
an ordered list. Where several tasks feed one (the word count's repartition, windowed keys), Kafka defines no
order across keys, so a partition is compared as the same records with the same order per key
(``_replay._difference``).

Wall-clock punctuation cannot agree with a driver whose clock only moves when told; it is checked for firing
about once per interval instead. A store is restored after a restart that deleted the local state.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from runtime._support import Count
from semantics._replay import AT_LEAST_ONCE, EXACTLY_ONCE, Input, Session, _difference, _key, _partition_of, plan

from integration._kafka import new_topic, produce, read_partitions
from kstreams_nb import Processor, PunctuationType, Record, Serdes, Stores, Topology
from kstreams_nb.examples import (
    branch_by_value,
    interval_aggregate_topology,
    route_by_level,
    ten_minute_counts,
    word_count,
)
from kstreams_nb.partitioner import default_partition
from kstreams_nb.records import ConsumerRecord, Headers
from kstreams_nb.streams import KafkaStreams, State
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.testing.kafka import LocalKafka

pytestmark = pytest.mark.timeout(180)

PARTITIONS = 3
S, J, L = Serdes.string(), Serdes.json(), Serdes.long()
Outputs = dict[str, dict[int, list[ConsumerRecord]]]


# ----------------------------------------------------------------------------------------------- harness
def keys_on_each_partition(prefix: str, per_partition: int = 1) -> list[list[str]]:
    """``per_partition`` string keys for each of the partitions (murmur2 of their UTF-8 bytes)."""
    found: list[list[str]] = [[] for _ in range(PARTITIONS)]
    i = 0
    while any(len(keys) < per_partition for keys in found):
        key = f"{prefix}-{i}"
        keys = found[default_partition(key.encode(), PARTITIONS)]
        if len(keys) < per_partition:
            keys.append(key)
        i += 1
    return found


def inputs_of(topic: str, records: Sequence[tuple[str, Any, int]], value_serde: Any = S) -> list[Input]:
    """``(key, value, timestamp)`` as the serialized input records of ``topic``."""
    return [(topic, S.serialize(topic, k), value_serde.serialize(topic, v), ts, Headers()) for k, v, ts in records]


def produce_inputs(kafka: LocalKafka, inputs: Sequence[Input]) -> None:
    """Produce each input to the partition of its key, keeping the order within each partition."""
    by_partition: dict[tuple[str, int], list[Input]] = defaultdict(list)
    for item in inputs:
        by_partition[item[0], _partition_of(item[1], PARTITIONS)].append(item)
    for (topic, p), items in by_partition.items():
        produce(kafka, topic, [(k, v) for _, k, v, _, _ in items], partition=p, timestamps=[i[3] for i in items])


def driver_outputs(topology: Any, config: dict[str, Any]) -> Callable[[list[Input]], list[ConsumerRecord]]:
    """``(inputs) -> everything a fresh TopologyTestDriver writes for them`` (internal topics included)."""

    def run(inputs: list[Input]) -> list[ConsumerRecord]:
        b = Serdes.bytes()
        with TopologyTestDriver(topology, config) as driver:
            topics = {t: driver.create_input_topic(t, b, b) for t in dict.fromkeys(i[0] for i in inputs)}
            for topic, key, value, ts, headers in inputs:
                topics[topic].pipe_input(key, value, ts, headers)
            return [ConsumerRecord(t, 0, -1, r.timestamp or 0, r.key, r.value, r.headers)
                    for t in sorted(driver.produced_topic_names())
                    for r in driver.create_output_topic(t, b, b).read_records_to_list()]

    return run


def expected(topology: Any, app_id: str, inputs: list[Input]) -> Session:
    """The driver's expected outputs for ``inputs`` (per task where the outcome depends on interleaving)."""
    config = {"application.id": app_id, "statestore.cache.max.bytes": 0}
    session = Session(topology, config, app_id, inputs=list(inputs))
    session.rerun = driver_outputs(topology, config)
    session.outputs = session.rerun(session.inputs)
    plan(session, PARTITIONS)
    assert session.replayable, session.why_not
    return session


def streams_config(kafka: LocalKafka, app_id: str, state_dir: Path, guarantee: str) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "bootstrap.servers": kafka.bootstrap_servers,
        "processing.guarantee": guarantee,
        "commit.interval.ms": 50,
        "statestore.cache.max.bytes": 0,
        "state.dir": str(state_dir),
    }


def run_until_processed(topology: Any, config: dict[str, Any], timeout: float = 60.0) -> KafkaStreams:
    """Start KafkaStreams, wait until it processed and committed every input, close it; return it (closed)."""
    streams = KafkaStreams(topology, config)
    streams.start()
    try:
        assert streams.wait_for_state(State.RUNNING, timeout=timeout), streams.state()
        assert streams.wait_until_processed(timeout=timeout), f"not processed: {streams.state()} {streams.exception}"
    finally:
        assert streams.close(timeout=30)
    assert streams.state() is State.NOT_RUNNING, f"{streams.state()}: {streams.exception!r}"
    return streams


def read_outputs(kafka: LocalKafka, topics: Sequence[str], guarantee: str) -> Outputs:
    """Each output topic's records by partition (read_committed under exactly-once)."""
    out: Outputs = {}
    for topic in topics:
        parts = read_partitions(kafka, topic, read_committed=guarantee == EXACTLY_ONCE)
        out[topic] = {p: [ConsumerRecord(m.topic(), p, m.offset(), m.timestamp()[1], m.key(), m.value(),
                                         Headers(m.headers() or ())) for m in msgs]
                      for p, msgs in parts.items()}
    return out


def assert_agree(actual: Outputs, session: Session, *, ordered: bool) -> None:
    """Each output partition holds what the driver expects: the same list (``ordered``), or the same records
    with the same order per key."""
    topics = list(actual)
    assert any(r.topic in topics for r in session.outputs), "the driver wrote nothing: the case tests nothing"
    if not ordered:
        problem = _difference(topics, actual, session.outputs, PARTITIONS, False)
        assert problem is None, problem
        return
    for topic, partitions in actual.items():
        for p, records in partitions.items():
            want = [_key(r) for r in session.outputs if r.topic == topic and _partition_of(r.key, PARTITIONS) == p]
            assert [_key(r) for r in records] == want, f"{topic}[{p}]"


def check_case(
    kafka: LocalKafka, tmp_path: Path, topology: Any, app_id: str, inputs: list[Input], outputs: Sequence[str],
    *, guarantee: str = AT_LEAST_ONCE, ordered: bool = True,
) -> Outputs:
    """Produce ``inputs``, run ``topology`` until processed, and compare ``outputs`` with the driver."""
    session = expected(topology, app_id, inputs)
    produce_inputs(kafka, inputs)
    run_until_processed(topology, streams_config(kafka, app_id, tmp_path, guarantee))
    actual = read_outputs(kafka, outputs, guarantee)
    assert_agree(actual, session, ordered=ordered)
    return actual


def app_id(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


# ----------------------------------------------------------------------------------------------- cases
def test_word_count_exactly_once(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """WordCountDemo (flatMapValues, groupBy → repartition, count) under exactly_once_v2. Each line key stays on
    one partition with its own words, so a word's updates come from one upstream task and their order is
    defined: per word the driver's updates 1..n, with the same timestamps, in the same order."""
    source, sink = new_topic(kafka_broker, PARTITIONS), new_topic(kafka_broker, PARTITIONS)
    vocabulary = [["apple", "banana", "cherry"], ["delta", "echo", "fox"], ["golf", "hotel", "india"]]
    keys = keys_on_each_partition("doc")
    lines = []
    for i in range(30):
        p, j = i % PARTITIONS, i // PARTITIONS
        words = vocabulary[p]
        lines.append((keys[p][0], f"{words[j % 3].upper()} {words[(j + 1) % 3]}, {words[j % 3]}!", 1000 + i))
    actual = check_case(kafka_broker, tmp_path, word_count(source, sink), app_id("wordcount"),
                        inputs_of(source, lines), [sink], guarantee=EXACTLY_ONCE, ordered=False)
    finals = {S.deserialize(sink, r.key): L.deserialize(sink, r.value) for ps in actual[sink].values() for r in ps}
    assert sum(finals.values()) == 90 and set(finals) == {w for ws in vocabulary for w in ws}


def test_ten_minute_windowed_count_with_suppress(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """10-minute tumbling counts (1 minute grace) suppressed until each window closes: only final counts, once
    each task's stream time passes window end + grace; a record later than the grace is dropped."""
    source, sink = new_topic(kafka_broker, PARTITIONS), new_topic(kafka_broker, PARTITIONS)
    users = keys_on_each_partition("user", 2)
    # minutes; 9.5 comes late within the grace (stream time 10.5 < 10 + 1), 2 after its window closed
    steps = [1, 3, 9, 10.5, 9.5, 12, 14, 21, 2, 25, 33]
    records = [(keys[i % 2], f"/page-{i}", int(t * 60_000))
               for p, keys in enumerate(users) for i, t in enumerate([*steps, 45 + p])]
    actual = check_case(kafka_broker, tmp_path, ten_minute_counts(source, sink, final=True), app_id("windowed"),
                        inputs_of(source, records), [sink], ordered=False)
    windows = [r.key for ps in actual[sink].values() for r in ps]
    assert len(windows) == len(set(windows))  # one final count per window, no intermediate updates


def test_branch_by_value(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """split()/branch(): each record goes to the first branch whose predicate holds, else the default."""
    source = new_topic(kafka_broker, PARTITIONS)
    branches = {new_topic(kafka_broker, PARTITIONS, prefix=f"logs-{level}"): level for level in ("error", "warn")}
    default = new_topic(kafka_broker, PARTITIONS, prefix="logs-other")
    topology = branch_by_value(
        source, {t: lambda v, level=level: v.startswith(level) for t, level in branches.items()}, default
    )
    hosts = [k for ks in keys_on_each_partition("host", 2) for k in ks]
    levels = ["error", "warn", "info", "warn", "debug", "error", "warning"]
    records = [(hosts[i % len(hosts)], f"{levels[i % len(levels)]}: event {i}", 5000 + i) for i in range(40)]
    actual = check_case(kafka_broker, tmp_path, topology, app_id("branch"), inputs_of(source, records),
                        [*branches, default])
    assert all(any(ps.values()) for ps in actual.values())


def test_dynamic_routing_by_value(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """A TopicNameExtractor sink (the seed's routing example) writes each record to the topic its value names."""
    source = new_topic(kafka_broker, PARTITIONS)
    prefix = f"r{uuid.uuid4().hex[:8]}-"
    targets = [new_topic(kafka_broker, PARTITIONS, prefix=f"{prefix}logs-{level}")
               for level in ("debug", "info", "warn", "error", "unknown")]
    names = {t.rsplit("-", 1)[0]: t for t in targets}  # "<prefix>logs-<level>" -> the created topic

    def extractor(key: Any, value: Any, record_context: Any) -> str:
        return names[prefix + route_by_level(key, value, record_context)]

    topology = (
        Topology()
        .add_source("Source", source, key_deserializer=S, value_deserializer=S)
        .add_sink("Router", extractor, "Source", key_serializer=S, value_serializer=S)
    )
    hosts = [k for ks in keys_on_each_partition("host", 2) for k in ks]
    values = ["info: started", "ERROR: disk full", "warn : slow", "no level", "Debug: x", "fatal: unknown level"]
    records = [(hosts[i % len(hosts)], values[(i + i // len(hosts)) % len(values)], 100 + i) for i in range(36)]
    actual = check_case(kafka_broker, tmp_path, topology, app_id("routing"), inputs_of(source, records), targets)
    assert all(any(ps.values()) for ps in actual.values())


def test_stream_time_punctuation(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """Processor API: per-key aggregates forwarded by a STREAM_TIME punctuation every 10 s of each task's stream
    time (slots aligned to 0, fired as records advance stream time, stamped with the slot time)."""
    source, sink = new_topic(kafka_broker, PARTITIONS), new_topic(kafka_broker, PARTITIONS)
    topology = interval_aggregate_topology(timedelta(seconds=10), PunctuationType.STREAM_TIME,
                                           source_topic=source, sink_topic=sink)
    sensors = keys_on_each_partition("sensor", 2)
    records = [(sensors[p][i % 2], i * (p + 1), 500 + i * 3_000 + p * 700)
               for p in range(PARTITIONS) for i in range(15)]
    actual = check_case(kafka_broker, tmp_path, topology, app_id("punctuate"), inputs_of(source, records, J), [sink])
    assert all(actual[sink][p] for p in range(PARTITIONS))  # every task punctuated


class WallClockTicks(Processor):
    """Records ``(task id, punctuation time)`` at every WALL_CLOCK_TIME punctuation of ``INTERVAL_MS``."""

    INTERVAL_MS = 250
    ticks: ClassVar[list[tuple[str, int]]] = []
    lock = threading.Lock()

    def init(self, context: Any) -> None:
        super().init(context)
        context.schedule(self.INTERVAL_MS, PunctuationType.WALL_CLOCK_TIME, self.tick)

    def tick(self, timestamp: int) -> None:
        with self.lock:
            self.ticks.append((str(self.context.task_id), timestamp))

    def process(self, record: Record) -> None:
        pass


def test_wall_clock_punctuation_fires_every_interval(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """A WALL_CLOCK_TIME punctuation fires for every task (records or not) about once per interval: over 3 s,
    never more than one per elapsed slot, and not far fewer."""
    source = new_topic(kafka_broker, PARTITIONS)
    topology = Topology().add_source("src", source).add_processor("ticks", WallClockTicks, "src")
    WallClockTicks.ticks = []
    span_ms, interval = 3_000, WallClockTicks.INTERVAL_MS
    streams = KafkaStreams(topology, streams_config(kafka_broker, app_id("wallclock"), tmp_path, AT_LEAST_ONCE))
    streams.start()

    def by_task() -> dict[str, list[int]]:
        with WallClockTicks.lock:
            ticks = list(WallClockTicks.ticks)
        out: dict[str, list[int]] = defaultdict(list)
        for task, ts in ticks:
            out[task].append(ts)
        return out

    try:
        deadline = time.monotonic() + 60
        while not (len(seen := by_task()) == PARTITIONS and all(ts[-1] - ts[0] >= span_ms for ts in seen.values())):
            assert time.monotonic() < deadline, f"ticks after 60 s: {dict(seen)}"
            assert streams.state() in (State.REBALANCING, State.RUNNING), streams.exception
            time.sleep(0.05)
    finally:
        assert streams.close(timeout=30)
    for task, stamps in by_task().items():
        window = [t for t in stamps if stamps[0] <= t < stamps[0] + span_ms]
        assert stamps == sorted(stamps), task
        assert span_ms // interval // 2 <= len(window) <= span_ms // interval + 1, (task, len(window), stamps)


def persistent_count(source: str, sink: str) -> Topology:
    """source → Count (persistent key-value store "counts", changelogged) → sink."""
    store = Stores.key_value_store_builder(Stores.persistent_key_value_store("counts"), S, L)
    return (
        Topology()
        .add_source("src", source, key_deserializer=S, value_deserializer=S)
        .add_processor("count", Count, "src")
        .add_state_store(store, "count")
        .add_sink("sink", sink, "count", key_serializer=S, value_serializer=L)
    )


def test_store_restored_from_the_changelog_after_clean_up(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    """Run a count, close, delete the local state with clean_up(), run again on new input: every key's count
    continues from the changelog (restored into an empty state directory), as one driver run of both inputs."""
    pytest.importorskip("rocksdict")
    source, sink = new_topic(kafka_broker, PARTITIONS), new_topic(kafka_broker, PARTITIONS)
    topology, name = persistent_count(source, sink), app_id("restore")
    keys = [k for ks in keys_on_each_partition("key", 2) for k in ks]
    first = inputs_of(source, [(keys[i % len(keys)], "x", 1000 + i) for i in range(24)])
    second = inputs_of(source, [(keys[i % len(keys)], "y", 2000 + i) for i in range(12)])
    session = expected(topology, name, first + second)
    config = streams_config(kafka_broker, name, tmp_path, AT_LEAST_ONCE)

    produce_inputs(kafka_broker, first)
    streams = run_until_processed(topology, config)
    assert list((tmp_path / name).glob("*/rocksdb/counts")), "the count did not keep its store on disk"
    streams.clean_up()
    assert not (tmp_path / name).exists()

    produce_inputs(kafka_broker, second)
    run_until_processed(topology, config)
    actual = read_outputs(kafka_broker, [sink], AT_LEAST_ONCE)
    assert_agree(actual, session, ordered=True)
    last = {S.deserialize(sink, r.key): L.deserialize(sink, r.value) for ps in actual[sink].values() for r in ps}
    assert last == dict.fromkeys(keys, 6)  # 4 records per key before the restart, 2 after
