"""Task assignment and task lifetime across rebalances (KafkaStreams over the embedded broker)."""

from __future__ import annotations

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.partitioner import default_partition
from kstreams_nb.streams import KafkaStreams, State

from ._support import S, Transitions, config, counting_topology, produce, read_longs, start_running

pytestmark = pytest.mark.timeout(60)


def test_a_task_reading_topics_of_different_sizes_runs_on_exactly_one_thread(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """Kafka assigns TASKS, not topic partitions: StreamsPartitionAssignor groups partitions with
    PartitionGrouper (task p of a sub-topology reads partition p of every source topic that has it) and gives
    each task, with all its partitions, to one consumer. The engine relies on the consumer group's per-topic
    RANGE assignor instead: with source topics of 2 and 4 partitions and two stream threads, partition a-1
    goes to one thread and b-1 to the other, so task 0_1 is created on BOTH threads with two separate
    "counts" stores, and a key seen once on a-1 and once on b-1 is counted 1 and 1 instead of 1 and 2."""
    name, b = broker
    b.create_topic("a", 2)
    b.create_topic("b", 4)
    b.create_topic("out", 1)
    key = next(f"k{i}" for i in range(1000) if default_partition(S.serialize("a", f"k{i}"), 4) == 1)
    streams = KafkaStreams(counting_topology("a", "b"), config(name, **{"num.stream.threads": 2}))
    try:
        start_running(streams)
        produce(b, "a", key, "x", 1, partition=1)
        produce(b, "b", key, "x", 2, partition=1)
        assert b.wait_until_consumed("app", ["a", "b"], timeout=10)
        tasks = [t for ids in streams.local_tasks().values() for t in ids]
        assert sorted(tasks) == ["0_0", "0_1", "0_2", "0_3"], streams.local_tasks()
        assert read_longs(b, "out") == [(key, 1), (key, 2)]
    finally:
        streams.close(10)


def test_a_rebalance_that_keeps_the_task_keeps_its_unlogged_store(broker: tuple[str, EmbeddedBroker]) -> None:
    """A rebalance must not wipe the state of a task that stays on the same thread. Kafka (cooperative
    rebalancing, the default since 2.4) does not revoke a task that keeps its owner; even under the eager
    protocol TaskManager suspends revoked tasks and resumes them when they come back ("tasks to recycle/resume",
    StreamTask.suspend()/resume() keep the stores open). Here every rebalance closes every task and builds it
    again, so a store with logging disabled starts empty: creating a second topic that matches the source
    pattern (a routine rebalance) resets the count of "k" to 1."""
    name, b = broker
    b.create_topic("in-1", 1)
    b.create_topic("out", 1)
    transitions = Transitions()
    streams = KafkaStreams(counting_topology(pattern="in-.*", logged=False), config(name))
    streams.set_state_listener(transitions)
    try:
        start_running(streams)
        produce(b, "in-1", "k", "x", 1)
        assert b.wait_until_consumed("app", ["in-1"], timeout=10)
        b.create_topic("in-2", 1)  # the pattern now matches one more topic: the group rebalances
        assert transitions.wait_for(State.REBALANCING, State.RUNNING, times=2), transitions.seen
        produce(b, "in-1", "k", "x", 2)
        assert b.wait_until_consumed("app", ["in-1", "in-2"], timeout=10)
        assert read_longs(b, "out") == [("k", 1), ("k", 2)]
    finally:
        streams.close(10)
