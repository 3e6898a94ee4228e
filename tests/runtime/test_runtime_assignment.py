"""Task assignment and task lifetime across rebalances (KafkaStreams over the embedded broker)."""

from __future__ import annotations

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.errors import TopologyError
from kstreams_nb.streams import KafkaStreams, State

from ._support import Transitions, config, counting_topology, produce, read_longs, start_running, wait_until

pytestmark = pytest.mark.timeout(60)


def test_a_sub_topology_reading_topics_of_different_sizes_is_refused_at_start(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    """Kafka assigns TASKS (StreamsPartitionAssignor's PartitionGrouper: task p reads partition p of every source
    topic that has it). A real client's group assignment (librdkafka has no pluggable assignor) hands out topic
    partitions with the range assignor, which keeps partition i of EQUALLY sized topics on one member only: with
    topics of 2 and 4 partitions, a-1 and b-1 could land on two threads and task 0_1 would count twice. So start()
    refuses such a sub-topology, naming both topics (a documented deviation), and starts nothing."""
    name, b = broker
    b.create_topic("a", 2)
    b.create_topic("b", 4)
    b.create_topic("out", 1)
    streams = KafkaStreams(counting_topology("a", "b"), config(name, **{"num.stream.threads": 2}))
    with pytest.raises(TopologyError, match=r"different partition counts: a \(2 partitions\), b \(4 partitions\)"):
        streams.start()
    assert streams.state() is State.CREATED
    assert KafkaStreams.running() == []


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


def test_tasks_come_from_the_range_assignors_partitions(broker: tuple[str, EmbeddedBroker]) -> None:
    """Tasks are derived from the partitions the group's RANGE assignor hands out (what every Kafka client can do):
    for equally sized co-partitioned topics, partition p of each lands on one member, which runs task 0_p with
    both. Two instances × two threads share the 4 tasks of a sub-topology reading a and b, one task per thread,
    and a key's count over both topics is exact (no task runs on two threads)."""
    name, b = broker
    b.create_topic("a", 4)
    b.create_topic("b", 4)
    b.create_topic("out", 1)
    first = KafkaStreams(counting_topology("a", "b"), config(name, **{"num.stream.threads": 2}))
    second = KafkaStreams(counting_topology("a", "b"), config(name, **{"num.stream.threads": 2}))
    try:
        start_running(first)
        start_running(second)
        assert wait_until(lambda: sum(len(ts) for s in (first, second) for ts in s.local_tasks().values()) == 4
                          and all(len(ts) == 1 for s in (first, second) for ts in s.local_tasks().values()))
        assert sorted(t for s in (first, second) for ts in s.local_tasks().values() for t in ts) == [
            "0_0", "0_1", "0_2", "0_3"]
        for p in range(4):
            produce(b, "a", f"k{p}", "x", 1, partition=p)
            produce(b, "b", f"k{p}", "y", 2, partition=p)
        assert b.wait_until_consumed("app", ["a", "b"], timeout=10)
        assert wait_until(lambda: len(read_longs(b, "out")) == 8)
        assert sorted(read_longs(b, "out")) == sorted((f"k{p}", n) for p in range(4) for n in (1, 2))
        for member, tps in b.describe_group("app").members.items():  # each member holds a-p and b-p together
            assert sorted(tp.partition for tp in tps if tp.topic == "a") == sorted(
                tp.partition for tp in tps if tp.topic == "b"), (member, tps)
    finally:
        first.close(10)
        second.close(10)
