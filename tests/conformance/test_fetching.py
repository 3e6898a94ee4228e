"""Conformance: fetching with a manual assignment — batch polls, positions, seeks, end offsets, lag, time index.

Kafka's KafkaConsumer contract (poll(Duration) with max.poll.records, position, seek*, endOffsets,
offsetsForTimes); the engine reads through these calls only.
"""

from __future__ import annotations

import threading

import pytest

from kstreams_nb.errors import UnknownTopicError
from kstreams_nb.records import TopicPartition

from ._cluster import Cluster, drain, eventually, poll_until, values

pytestmark = pytest.mark.timeout(120)


def fill(cluster: Cluster, topic: str, count: int, partition: int = 0, first_ts: int = 1_000) -> None:
    producer = cluster.producer()
    for i in range(count):
        producer.produce(topic, b"k", b"%d" % i, partition=partition, timestamp=first_ts + i)
    producer.flush(30)


def test_a_batch_poll_returns_at_most_max_records_in_offset_order(cluster: Cluster) -> None:
    topic = cluster.topic()
    fill(cluster, topic, 25)
    consumer = cluster.consumer()
    consumer.assign([TopicPartition(topic, 0)])
    batches = []
    while sum(map(len, batches)) < 25:
        batch = consumer.poll_batch(10, timeout=1.0)
        assert len(batch) <= 10
        batches.append(batch)
        assert len(batches) < 200, "records never arrived"
    records = [r for b in batches for r in b]
    assert [r.offset for r in records] == list(range(25))
    assert values(records) == [b"%d" % i for i in range(25)]
    assert [(r.topic, r.partition, r.key, r.timestamp) for r in records[:2]] == [
        (topic, 0, b"k", 1_000), (topic, 0, b"k", 1_001)
    ]
    assert consumer.poll_batch(10, timeout=0.0) == []


def test_a_poll_with_a_timeout_returns_records_that_arrive_while_it_waits(cluster: Cluster) -> None:
    topic = cluster.topic()
    consumer = cluster.consumer()
    consumer.assign([TopicPartition(topic, 0)])
    assert consumer.poll_batch(10, timeout=0.0) == []
    writer = threading.Thread(target=fill, args=(cluster, topic, 3))
    writer.start()
    got = []
    while len(got) < 3:  # the test's timeout fails a poll that sleeps through arrivals until its own timeout
        got.extend(consumer.poll_batch(10, timeout=60.0))
    writer.join(30)
    assert values(got) == [b"0", b"1", b"2"]


def test_wakeup_makes_a_waiting_poll_return_empty(cluster: Cluster) -> None:
    topic = cluster.topic()
    consumer = cluster.consumer()
    consumer.assign([TopicPartition(topic, 0)])
    consumer.wakeup()
    assert consumer.poll_batch(10, timeout=60.0) == []


def test_positions_seeks_and_end_offsets(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    fill(cluster, topic, 5, partition=0)
    fill(cluster, topic, 2, partition=1)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = cluster.consumer()
    consumer.assign([tp0, tp1])
    assert sorted(consumer.assignment()) == [tp0, tp1]
    assert consumer.end_offsets([tp0, tp1]) == {tp0: 5, tp1: 2}
    assert consumer.position(tp0) == 0  # earliest: no committed offset
    assert len(poll_until(consumer, 7)) == 7
    assert (consumer.position(tp0), consumer.position(tp1)) == (5, 2)
    consumer.seek(tp0, 3)
    assert consumer.position(tp0) == 3
    assert [(r.partition, r.offset) for r in poll_until(consumer, 2)] == [(0, 3), (0, 4)]
    consumer.seek_to_beginning([tp1])
    assert [(r.partition, r.offset) for r in poll_until(consumer, 2)] == [(1, 0), (1, 1)]
    consumer.seek_to_beginning([tp0])
    consumer.seek_to_end([tp0])
    assert consumer.position(tp0) == 5
    fill(cluster, topic, 1, partition=0)
    assert [(r.partition, r.offset) for r in poll_until(consumer, 1)] == [(0, 5)]
    assert drain(consumer) == []


def test_latest_reset_starts_at_the_end(cluster: Cluster) -> None:
    topic = cluster.topic()
    fill(cluster, topic, 3)
    consumer = cluster.consumer(**{"auto.offset.reset": "latest"})
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    assert consumer.position(tp) == 3
    fill(cluster, topic, 1)
    assert [r.offset for r in poll_until(consumer, 1)] == [3]


def test_lag_is_the_end_offset_minus_the_position(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    fill(cluster, topic, 4)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = cluster.consumer()
    assert consumer.lag(tp0) is None  # not assigned
    consumer.assign([tp0])
    assert consumer.lag(tp1) is None
    batch: list = []
    assert eventually(lambda: bool(batch.extend(consumer.poll_batch(1, timeout=0.1)) or batch))
    assert consumer.lag(tp0) == 4 - consumer.position(tp0) == 4 - len(batch)
    poll_until(consumer, 4 - len(batch))
    assert consumer.lag(tp0) == 0
    fill(cluster, topic, 2)
    assert eventually(lambda: consumer.lag(tp0) == 2), consumer.lag(tp0)


def test_offsets_for_times_finds_the_earliest_offset_at_or_after_a_timestamp(cluster: Cluster) -> None:
    topic = cluster.topic(2)
    producer = cluster.producer()
    for ts in (10, 30, 20, 40):
        producer.produce(topic, None, b"%d" % ts, partition=0, timestamp=ts)
    producer.flush(30)
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer = cluster.consumer()  # the partitions need not be assigned
    assert consumer.offsets_for_times({tp0: 0, tp1: 0}) == {tp0: 0, tp1: None}
    assert consumer.offsets_for_times({tp0: 15}) == {tp0: 1}  # 30 is the first record at or after 15
    assert consumer.offsets_for_times({tp0: 31}) == {tp0: 3}
    assert consumer.offsets_for_times({tp0: 41}) == {tp0: None}


def test_unknown_partitions_are_refused(cluster: Cluster) -> None:
    consumer = cluster.consumer()
    missing = TopicPartition(cluster.name("missing"), 0)
    with pytest.raises(UnknownTopicError):
        consumer.end_offsets([missing])
    with pytest.raises(UnknownTopicError):
        consumer.offsets_for_times({missing: 0})


def test_the_restore_consumer_reads_assigned_partitions_outside_any_group(cluster: Cluster) -> None:
    topic = cluster.topic()
    fill(cluster, topic, 3)
    restore = cluster.restore_consumer()
    tp = TopicPartition(topic, 0)
    restore.assign([tp])
    restore.seek(tp, 1)
    assert [r.offset for r in poll_until(restore, 2)] == [1, 2]
    restore.assign([])
    assert restore.assignment() == []


def test_headers_and_null_keys_and_values_round_trip(cluster: Cluster) -> None:
    topic = cluster.topic()
    producer = cluster.producer()
    producer.produce(topic, None, b"v", partition=0, timestamp=5, headers=[("h", b"1"), ("h", None)])
    producer.produce(topic, b"k", None, partition=0, timestamp=6)
    producer.flush(30)
    consumer = cluster.consumer()
    consumer.assign([TopicPartition(topic, 0)])
    first, tombstone = poll_until(consumer, 2)
    assert (first.key, first.value, first.timestamp) == (None, b"v", 5)
    assert list(first.headers) == [("h", b"1"), ("h", None)]
    assert (tombstone.key, tombstone.value, tombstone.timestamp) == (b"k", None, 6)
    assert producer.partitions_for(topic) == 1
