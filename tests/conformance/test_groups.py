"""Conformance: consumer groups — subscribe with rebalance listeners, two members, commits with metadata.

Kafka's eager rebalance protocol with the range assignor (the protocol kstreams_nb's engine relies on):
``on_revoke`` gets every owned partition before a rebalance, ``on_assign`` the new ones; RangeAssignor gives
each member a contiguous range of every subscribed topic. Offsets are the NEXT offsets to read and may carry a
metadata string (OffsetAndMetadata).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kstreams_nb.clients.base import Consumer
from kstreams_nb.records import TopicPartition

from ._cluster import Cluster, drain, eventually, partitions, poll_members, poll_until, values

pytestmark = pytest.mark.timeout(120)


class Listener:
    """Records the rebalance callbacks of one member, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[TopicPartition]]] = []
        self.owned: set[TopicPartition] = set()
        self.on_revoke_hook: Callable[[list[TopicPartition]], None] | None = None

    def assign(self, tps: list[TopicPartition]) -> None:
        self.calls.append(("assign", sorted(tps)))
        self.owned |= set(tps)

    def revoke(self, tps: list[TopicPartition]) -> None:
        self.calls.append(("revoke", sorted(tps)))
        if self.on_revoke_hook is not None:
            self.on_revoke_hook(tps)
        self.owned -= set(tps)

    def subscribe(self, consumer: Consumer, topics: list[str]) -> None:
        consumer.subscribe(topics, on_assign=self.assign, on_revoke=self.revoke)


def produce_round(cluster: Cluster, topic: str, count: int, parts: int) -> None:
    producer = cluster.producer()
    for i in range(count):
        producer.produce(topic, None, b"%d" % i, partition=i % parts, timestamp=i)
    producer.flush(30)


def test_a_single_member_is_assigned_every_partition_and_reads_them(cluster: Cluster) -> None:
    topic = cluster.topic(3)
    produce_round(cluster, topic, 9, 3)
    member, listener = cluster.consumer(**{"group.id": cluster.name("group")}), Listener()
    listener.subscribe(member, [topic])
    got = poll_until(member, 9)
    assert sorted(values(got), key=int) == [b"%d" % i for i in range(9)]
    assert listener.calls == [("assign", partitions(topic, 3))]
    assert sorted(member.assignment()) == partitions(topic, 3)
    metadata = member.group_metadata()
    assert metadata.generation >= 1 and metadata.member_id


def test_two_members_split_the_partitions_and_the_survivor_takes_them_back(cluster: Cluster) -> None:
    topic, group = cluster.topic(4), cluster.name("group")
    first, second = cluster.consumer(**{"group.id": group}), cluster.consumer(**{"group.id": group})
    l1, l2 = Listener(), Listener()
    l1.subscribe(first, [topic])
    assert poll_members([first], lambda: len(l1.owned) == 4)
    generation = first.group_metadata().generation
    committed_on_revoke: list[list[TopicPartition]] = []

    def commit_on_revoke(tps: list[TopicPartition]) -> None:  # Kafka Streams commits in onPartitionsRevoked
        first.commit({tp: 1 for tp in tps})
        committed_on_revoke.append(sorted(tps))

    l1.on_revoke_hook = commit_on_revoke
    l2.subscribe(second, [topic])
    assert poll_members([first, second], lambda: len(l1.owned) == 2 and len(l2.owned) == 2), (l1.calls, l2.calls)
    assert l1.owned.isdisjoint(l2.owned) and l1.owned | l2.owned == set(partitions(topic, 4))
    assert l1.calls[:2] == [("assign", partitions(topic, 4)), ("revoke", partitions(topic, 4))]
    assert l1.calls[-1] == ("assign", sorted(l1.owned))
    assert committed_on_revoke == [partitions(topic, 4)]
    assert sorted(first.assignment()) == sorted(l1.owned) and sorted(second.assignment()) == sorted(l2.owned)
    assert first.group_metadata().generation > generation
    assert second.group_metadata().generation == first.group_metadata().generation
    assert first.group_metadata().member_id != second.group_metadata().member_id
    assert second.committed(partitions(topic, 4)) == dict.fromkeys(partitions(topic, 4), 1)

    l1.on_revoke_hook = None
    second.close()  # leaves the group: its partitions go back to the first member
    assert poll_members([first], lambda: len(l1.owned) == 4), l1.calls
    assert sorted(first.assignment()) == partitions(topic, 4)


def test_range_assignment_keeps_partition_i_of_equal_topics_on_one_member(cluster: Cluster) -> None:
    """RangeAssignor: per topic, members in order get contiguous ranges; equal sizes → the same partitions."""
    a, b, group = cluster.topic(4), cluster.topic(4), cluster.name("group")
    members = [cluster.consumer(**{"group.id": group}) for _ in range(2)]
    listeners = [Listener(), Listener()]
    for m, listener in zip(members, listeners, strict=True):
        listener.subscribe(m, [a, b])
    assert poll_members(members, lambda: all(len(x.owned) == 4 for x in listeners)), [x.calls for x in listeners]
    for listener in listeners:
        assert {tp.partition for tp in listener.owned if tp.topic == a} == {
            tp.partition for tp in listener.owned if tp.topic == b
        }


def test_a_new_subscription_starts_from_the_committed_offsets(cluster: Cluster) -> None:
    topic, group = cluster.topic(2), cluster.name("group")
    produce_round(cluster, topic, 6, 2)
    tp0, tp1 = partitions(topic, 2)
    first = cluster.consumer(**{"group.id": group})
    first.subscribe([topic])
    assert len(poll_until(first, 6)) == 6
    first.commit({tp0: 2, tp1: 1})
    first.close()
    second = cluster.consumer(**{"group.id": group})
    second.subscribe([topic])
    got = poll_until(second, 3)
    assert sorted((r.partition, r.offset) for r in got) == [(0, 2), (1, 1), (1, 2)]
    assert drain(second) == []


def test_commit_with_metadata_and_read_it_back(cluster: Cluster) -> None:
    topic, group = cluster.topic(2), cluster.name("group")
    tp0, tp1 = partitions(topic, 2)
    member = cluster.consumer(**{"group.id": group})
    member.subscribe([topic])
    assert poll_members([member], lambda: len(member.assignment()) == 2)
    assert member.committed([tp0, tp1]) == {tp0: None, tp1: None}
    assert member.committed_metadata([tp0, tp1]) == {tp0: None, tp1: None}
    member.commit({tp0: 3, tp1: 0}, {tp0: "stream-time=42"})
    assert member.committed([tp0, tp1]) == {tp0: 3, tp1: 0}
    assert member.committed_metadata([tp0, tp1]) == {tp0: "stream-time=42", tp1: None}
    member.commit({tp0: 4})  # committed again without metadata: none afterwards
    assert member.committed_metadata([tp0]) == {tp0: None}
    other = cluster.consumer(**{"group.id": group})  # another client of the group sees the same
    assert other.committed([tp0, tp1]) == {tp0: 4, tp1: 0}
    assert other.wait_for_committed({tp0: 4, tp1: 0}, timeout=30)
    assert not other.wait_for_committed({tp0: 5}, timeout=0.0)


def test_unsubscribe_revokes_and_a_new_subscription_joins_again(cluster: Cluster) -> None:
    topic = cluster.topic(1)
    member, listener = cluster.consumer(**{"group.id": cluster.name("group")}), Listener()
    listener.subscribe(member, [topic])
    assert poll_members([member], lambda: len(listener.owned) == 1)
    member.unsubscribe()
    assert listener.calls == [("assign", partitions(topic, 1)), ("revoke", partitions(topic, 1))]
    assert member.assignment() == []
    listener.subscribe(member, [topic])
    assert poll_members([member], lambda: len(listener.owned) == 1)
    assert eventually(lambda: member.assignment() == partitions(topic, 1))
