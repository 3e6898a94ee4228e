"""Scale-out: KafkaStreams instances that share an application.id share its tasks.

Kafka Streams spreads the tasks of one application over every instance in its consumer group and moves them
when an instance leaves (StreamsPartitionAssignor; the revoked instance commits and closes its tasks, the new
owner restores their stores from the changelogs). A count must stay exact through the hand-over: every key's
last count equals its number of records, and no update is lost — under exactly-once, each update appears
exactly once in the read_committed output.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from semantics._replay import AT_LEAST_ONCE, EXACTLY_ONCE, require_guarantee

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams, State

from ._support import L, S, config, counting_topology, produce, start_running, wait_until

pytestmark = pytest.mark.timeout(120)

TASKS = [f"0_{p}" for p in range(6)]
KEYS = [f"key-{i}" for i in range(40)]


def tasks_of(streams: KafkaStreams) -> list[str]:
    return sorted(t for ids in streams.local_tasks().values() for t in ids)


def produce_round(b: EmbeddedBroker, sent: dict[str, int], ts: int) -> None:
    """Every key gets between 1 and 5 records (murmur2 spreads the keys over the 6 partitions)."""
    for i, key in enumerate(KEYS):
        for _ in range(1 + (i + ts) % 5):
            produce(b, "in", key, "x", ts)
            sent[key] += 1


@pytest.mark.parametrize("guarantee", [AT_LEAST_ONCE, EXACTLY_ONCE])
def test_two_instances_share_six_tasks_and_the_survivor_takes_over_with_an_exact_count(
    broker: tuple[str, EmbeddedBroker], guarantee: str
) -> None:
    require_guarantee(guarantee)
    name, b = broker
    b.create_topic("in", 6)
    b.create_topic("out", 6)
    settings = config(name, **{"processing.guarantee": guarantee})
    first = KafkaStreams(counting_topology("in"), settings)
    second = KafkaStreams(counting_topology("in"), settings)
    sent: dict[str, int] = defaultdict(int)
    try:
        start_running(first)
        start_running(second)
        assert wait_until(lambda: len(tasks_of(first)) == 3 and len(tasks_of(second)) == 3, timeout=30), (
            first.local_tasks(), second.local_tasks()
        )
        assert sorted(tasks_of(first) + tasks_of(second)) == TASKS

        produce_round(b, sent, 1)
        assert b.wait_until_consumed("app", ["in"], timeout=30)
        produce_round(b, sent, 2)  # the first instance may be in the middle of these when it closes
        assert first.close(30)
        assert first.state() is State.NOT_RUNNING
        assert wait_until(lambda: tasks_of(second) == TASKS, timeout=30), second.local_tasks()
        assert second.wait_for_state(State.RUNNING, timeout=30), second.state()
        produce_round(b, sent, 3)
        assert b.wait_until_consumed("app", ["in"], timeout=30)
        assert second.state() is State.RUNNING, second.exception
    finally:
        first.close(30)
        second.close(30)

    isolation = "read_committed" if guarantee == EXACTLY_ONCE else "read_uncommitted"
    updates: dict[str, list[int]] = defaultdict(list)
    for r in b.read("out", isolation):  # one key's updates are all in one partition, in offset order
        updates[S.deserialize("out", r.key)].append(L.deserialize("out", r.value))
    assert {k: v[-1] for k, v in updates.items()} == sent  # every key's final count is exact
    for key, counts in updates.items():
        every = list(range(1, sent[key] + 1))
        if guarantee == EXACTLY_ONCE:
            assert counts == every, f"{key}: {counts}"
        else:  # at-least-once may repeat an update after a failure, never lose one
            assert sorted(set(counts)) == every, f"{key}: {counts}"
