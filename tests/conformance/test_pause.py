"""Conformance: pause and resume (Kafka's KafkaConsumer.pause / resume / paused).

A paused partition returns no records from ``poll_batch`` but keeps its position, its lag and its place in the
assignment; ``resume`` returns its records from that position. Pauses end with the assignment: a rebalance
(eager protocol: every partition is revoked) drops them all, ``assign`` keeps those of the partitions it keeps.
"""

from __future__ import annotations

import pytest

from kstreams_nb.errors import BrokerError
from kstreams_nb.records import TopicPartition

from ._cluster import Cluster, drain, eventually, partitions, poll_members, poll_until, values

pytestmark = pytest.mark.timeout(120)


def fill(cluster: Cluster, topic: str, partition: int, *vals: bytes) -> None:
    producer = cluster.producer()
    for v in vals:
        producer.produce(topic, b"k", v, partition=partition)
    producer.flush(30)


def test_a_paused_partition_returns_nothing_and_resumes_from_its_position(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    tp0, tp1 = partitions(topic, 2)
    fill(cluster, topic, 0, b"a0", b"a1")
    fill(cluster, topic, 1, b"b0")
    consumer = cluster.consumer()
    consumer.assign([tp0, tp1])
    first = poll_until(consumer, 1, max_records=1)
    assert len(first) == 1
    consumer.pause([tp0])
    assert consumer.paused() == {tp0}
    position = consumer.position(tp0)
    rest = drain(consumer)
    assert {(r.partition, r.value) for r in [*first, *rest]} >= {(1, b"b0")}
    assert all(r.partition == 1 for r in rest), "a paused partition returned records"
    fill(cluster, topic, 0, b"a2")
    fill(cluster, topic, 1, b"b1")
    assert [(r.partition, r.value) for r in drain(consumer)] == [(1, b"b1")]
    # paused: the position stays, the lag grows, the assignment is unchanged
    assert consumer.position(tp0) == position
    assert eventually(lambda: consumer.lag(tp0) == 3 - position)
    assert sorted(consumer.assignment()) == [tp0, tp1]
    consumer.resume([tp0])
    assert consumer.paused() == set()
    got = poll_until(consumer, 3 - position)
    assert [(r.partition, r.offset) for r in got] == [(0, o) for o in range(position, 3)]
    seen = [r.value for r in [*first, *rest, *got] if r.partition == 0]
    assert seen == [b"a0", b"a1", b"a2"]


def test_seeking_a_paused_partition_keeps_it_paused(cluster: Cluster) -> None:
    topic = cluster.topic()
    (tp,) = partitions(topic, 1)
    fill(cluster, topic, 0, b"x", b"y", b"z")
    consumer = cluster.consumer()
    consumer.assign([tp])
    consumer.pause([tp])
    consumer.seek(tp, 1)
    assert drain(consumer) == [] and consumer.paused() == {tp}
    assert consumer.position(tp) == 1
    consumer.resume([tp])
    assert values(poll_until(consumer, 2)) == [b"y", b"z"]


def test_pause_and_resume_are_idempotent_and_paused_is_a_copy(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    tp0, tp1 = partitions(topic, 2)
    consumer = cluster.consumer()
    consumer.assign([tp0, tp1])
    consumer.pause([tp0])
    consumer.pause([tp0, tp1])
    snapshot = consumer.paused()
    snapshot.clear()
    assert consumer.paused() == {tp0, tp1}
    consumer.resume([tp1])
    consumer.resume([tp1])
    assert consumer.paused() == {tp0}
    consumer.pause([])
    consumer.resume([])
    assert consumer.paused() == {tp0}


def test_pausing_or_resuming_a_partition_not_assigned_is_refused(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    tp0, tp1 = partitions(topic, 2)
    consumer = cluster.consumer()
    consumer.assign([tp0])
    with pytest.raises(BrokerError, match=str(tp1)):
        consumer.pause([tp0, tp1])
    assert consumer.paused() == set()  # nothing paused when one partition is refused
    consumer.pause([tp0])
    with pytest.raises(BrokerError, match=str(tp1)):
        consumer.resume([tp1])
    assert consumer.paused() == {tp0}


def test_assign_keeps_the_pauses_of_the_partitions_it_keeps(cluster: Cluster) -> None:
    topic = cluster.topic(3)
    tp0, tp1, tp2 = partitions(topic, 3)
    for p in range(3):
        fill(cluster, topic, p, b"%d" % p)
    consumer = cluster.consumer()
    consumer.assign([tp0, tp1])
    consumer.pause([tp0, tp1])
    consumer.assign([tp1, tp2])
    assert consumer.paused() == {tp1}
    assert [r.partition for r in drain(consumer, at_least=1)] == [2]
    consumer.assign([tp0, tp1])  # tp0 comes back unpaused: its pause ended when it was unassigned
    assert consumer.paused() == {tp1}
    assert [r.partition for r in drain(consumer)] == [0]
    consumer.unsubscribe()
    assert consumer.paused() == set()


def test_a_rebalance_drops_every_pause(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    group = cluster.name("group")
    first = cluster.consumer(**{"group.id": group})
    first.subscribe([topic])
    assert poll_members([first], lambda: len(first.assignment()) == 2)
    first.pause(first.assignment())
    fill(cluster, topic, 0, b"a")
    fill(cluster, topic, 1, b"b")
    assert drain(first) == [] and len(first.paused()) == 2
    second = cluster.consumer(**{"group.id": group})
    second.subscribe([topic])
    assert poll_members([first, second], lambda: len(first.assignment()) == len(second.assignment()) == 1)
    assert first.paused() == set()
    (mine,) = first.assignment()
    first.seek_to_beginning([mine])  # the polls of the rebalance may have returned its record already
    got = poll_until(first, 1)  # a real broker answers a fetch after a seek only when its current one returns
    assert [(r.partition, r.value) for r in [*got, *drain(first)]] == [(mine.partition, [b"a", b"b"][mine.partition])]


def test_a_paused_partition_is_not_fetched_but_others_still_are_in_one_poll(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    tp0, tp1 = partitions(topic, 2)
    fill(cluster, topic, 0, *[b"%d" % i for i in range(20)])
    fill(cluster, topic, 1, *[b"%d" % i for i in range(20)])
    consumer = cluster.consumer()
    consumer.assign([tp0, tp1])
    consumer.pause([tp1])
    got = poll_until(consumer, 20, max_records=20)
    assert [(r.partition, r.offset) for r in got] == [(0, o) for o in range(20)]
    assert consumer.position(tp1) == 0 and consumer.lag(tp1) == 20
    consumer.resume([tp1])
    assert TopicPartition(topic, 1) not in consumer.paused()
    assert [(r.partition, r.offset) for r in poll_until(consumer, 20)] == [(1, o) for o in range(20)]
