"""KafkaStreams on the embedded broker: lifecycle, bad config, restore from changelogs, at-least-once."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams_nb import ConfigError, Processor, Record, Serdes, Stores, Topology, TopologyError
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.errors import ProcessingError, StreamsStateError
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams, State

pytestmark = pytest.mark.timeout(60)

S, L = Serdes.string(), Serdes.long()
_ids = itertools.count()


@pytest.fixture
def broker() -> Iterator[tuple[str, EmbeddedBroker]]:
    name = f"rt-{next(_ids)}"
    yield name, EmbeddedBroker.named(name)
    EmbeddedBroker.drop(name)


class CountProcessor(Processor):
    """Counts per key in the logged store "counts" and forwards (key, count)."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


def counting_topology() -> Topology:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), S, L)
    return (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("count", CountProcessor, "src")
        .add_state_store(store, "count")
        .add_sink("sink", "out", "count", key_serializer=S, value_serializer=L)
    )


def config(name: str, **extra: Any) -> dict[str, Any]:
    return {"application.id": "app", "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 0, **extra}


def produce(b: EmbeddedBroker, topic: str, pairs: list[tuple[str, str]], start_ts: int = 0) -> None:
    for i, (k, v) in enumerate(pairs):
        b.produce(topic, S.serialize(topic, k), S.serialize(topic, v), timestamp=start_ts + i)


def outputs(b: EmbeddedBroker, topic: str = "out") -> list[tuple[str, int]]:
    return [(S.deserialize(topic, r.key), L.deserialize(topic, r.value)) for r in b.read(topic)]


def run_until_consumed(streams: KafkaStreams, b: EmbeddedBroker, topics: list[str]) -> None:
    streams.start()
    assert streams.wait_for_state(State.RUNNING, timeout=10), streams.state()
    assert b.wait_until_consumed("app", topics, timeout=20)


# ---------------------------------------------------------------------------------------------- lifecycle
def test_states_follow_kafkas_lifecycle(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("in", 3)
    b.create_topic("out", 3)
    seen: list[tuple[State, State]] = []
    streams = KafkaStreams(counting_topology(), config(name))
    streams.set_state_listener(lambda new, old: seen.append((old, new)))
    assert streams.state() is State.CREATED
    run_until_consumed(streams, b, ["in"])
    with pytest.raises(StreamsStateError):
        streams.start()
    assert streams.close(10)
    assert streams.state() is State.NOT_RUNNING
    assert seen[0] == (State.CREATED, State.REBALANCING)
    assert (State.REBALANCING, State.RUNNING) in seen
    assert seen[-2:] == [(State.RUNNING, State.PENDING_SHUTDOWN), (State.PENDING_SHUTDOWN, State.NOT_RUNNING)]


def test_tasks_are_subtopology_times_partition(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("in", 3)
    b.create_topic("out", 3)
    with KafkaStreams(counting_topology(), config(name)) as streams:
        run_until_consumed(streams, b, ["in"])
        assert list(streams.local_tasks().values()) == [["0_0", "0_1", "0_2"]]
    assert b.topics()["app-counts-changelog"] == 3


# ---------------------------------------------------------------------------------------------- bad config
def test_missing_application_id_fails_at_start(broker: tuple[str, EmbeddedBroker]) -> None:
    name, _ = broker
    streams = KafkaStreams(counting_topology(), {"bootstrap.servers": f"memory://{name}"})
    with pytest.raises(ConfigError, match=r"application\.id"):
        streams.start()


def test_missing_source_topic_fails_at_start(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("out", 1)
    with pytest.raises(TopologyError, match=r"Missing source topic\(s\) \['in'\]"):
        KafkaStreams(counting_topology(), config(name)).start()


def test_copartitioned_topics_with_different_partition_counts_fail_at_start(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    b.create_topic("left", 2)
    b.create_topic("right", 3)
    t = Topology().add_source("l", "left").add_source("r", "right").add_sink("sink", "out", "l", "r")
    t.internal_builder.copartition(["left", "right"])
    with pytest.raises(TopologyError, match=r"not co-partitioned: \[left \(2 partitions\), right \(3 partitions\)\]"):
        KafkaStreams(t, config(name)).start()


# ---------------------------------------------------------------------------------------------- restore
def test_restarted_instance_restores_stores_from_the_changelog(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("in", 3)
    b.create_topic("out", 3)
    produce(b, "in", [("a", "x"), ("b", "x"), ("a", "x"), ("c", "x")])
    first = KafkaStreams(counting_topology(), config(name))
    run_until_consumed(first, b, ["in"])
    assert first.close(10)
    changelog = b.read("app-counts-changelog")
    assert sorted((S.deserialize("c", r.key), L.deserialize("c", r.value)) for r in changelog) == [
        ("a", 1), ("a", 2), ("b", 1), ("c", 1)
    ]
    # a new instance (fresh in-memory stores) restores, then continues counting exactly
    produce(b, "in", [("a", "x"), ("c", "x"), ("d", "x")], start_ts=100)
    second = KafkaStreams(counting_topology(), config(name))
    run_until_consumed(second, b, ["in"])
    stores = second.store("counts")
    found = {k: v for s in (stores if isinstance(stores, list) else [stores]) for k, v in s.all()}
    assert second.close(10)
    assert found == {"a": 3, "b": 1, "c": 2, "d": 1}
    assert sorted(outputs(b)) == sorted([("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3), ("c", 2), ("d", 1)])


# ---------------------------------------------------------------------------------------------- at-least-once
class FailOnce(Processor):
    """Fails on the value "poison" while ``armed``; forwards everything else."""

    armed = True

    def process(self, record: Record) -> None:
        if record.value == "poison" and FailOnce.armed:
            raise RuntimeError("poison record")
        self.context.forward(record)


def failing_topology() -> Topology:
    return (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("maybe-fail", FailOnce, "src")
        .add_sink("sink", "out", "maybe-fail", key_serializer=S, value_serializer=S)
    )


@pytest.mark.parametrize("commit_interval", [0, 60_000])
def test_a_processing_failure_loses_nothing_under_at_least_once(
    broker: tuple[str, EmbeddedBroker], commit_interval: int
) -> None:
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    values = ["v0", "v1", "poison", "v3"]
    produce(b, "in", [("k", v) for v in values])
    FailOnce.armed = True
    first = KafkaStreams(failing_topology(), config(name, **{"commit.interval.ms": commit_interval}))
    errors: list[BaseException] = []
    first.set_uncaught_exception_handler(lambda e: errors.append(e) or "SHUTDOWN_CLIENT")
    first.start()
    assert first.wait_for_state(State.ERROR, timeout=10), first.state()
    assert isinstance(first.exception, ProcessingError) and first.exception.offset == 2
    assert isinstance(first.exception.__cause__, RuntimeError)
    assert errors == [first.exception]
    committed = b.committed("app", TopicPartition("in", 0))
    assert committed is None or committed <= 2  # never past the record that failed
    FailOnce.armed = False
    second = KafkaStreams(failing_topology(), config(name))
    run_until_consumed(second, b, ["in"])
    assert second.close(10)
    seen = [S.deserialize("out", r.value) for r in b.read("out")]
    assert set(seen) == set(values)  # every input's effect is there, at least once
    assert seen[-2:] == ["poison", "v3"]
    assert b.committed("app", TopicPartition("in", 0)) == 4
