"""Conformance: transactions — atomic records and offsets, read_committed vs read_uncommitted, fencing.

Kafka's transactional producer (KIP-98) with group metadata (KIP-447): ``send_offsets_to_transaction`` commits the
consumer group's offsets in the transaction; commit makes the records and the offsets visible together, abort
hides both; a read_committed consumer stops at the last stable offset; a second ``init_transactions`` with the
same ``transactional.id`` fences the first producer (ProducerFencedException); offsets sent with the metadata of
a generation the group has left behind are refused (CommitFailedException).
"""

from __future__ import annotations

import pytest

from kstreams_nb.clients.base import Consumer
from kstreams_nb.errors import CommitFailedError, ProducerFencedError, TransactionError
from kstreams_nb.records import TopicPartition

from ._cluster import Cluster, drain, poll_members, poll_until, values

pytestmark = pytest.mark.timeout(120)


def reader(cluster: Cluster, topic: str, isolation: str) -> Consumer:
    consumer = cluster.consumer(**{"isolation.level": isolation})
    consumer.assign([TopicPartition(topic, 0)])
    return consumer


def member(cluster: Cluster, topic: str, group: str) -> Consumer:
    """A read_committed group member that owns every partition of ``topic``."""
    consumer = cluster.consumer(**{"group.id": group, "isolation.level": "read_committed"})
    consumer.subscribe([topic])
    assert poll_members([consumer], lambda: bool(consumer.assignment()))
    return consumer


def test_commit_makes_records_and_offsets_visible_together(cluster: Cluster) -> None:
    source, out, group = cluster.topic(), cluster.topic(), cluster.name("group")
    in0 = TopicPartition(source, 0)
    consumer = member(cluster, source, group)
    committed_reader = reader(cluster, out, "read_committed")
    observer = cluster.consumer(**{"group.id": group, "isolation.level": "read_uncommitted"})
    producer = cluster.transactional_producer()
    producer.begin_transaction()
    producer.produce(out, b"k", b"a", partition=0)
    producer.produce(out, b"k", b"b", partition=0)
    producer.send_offsets_to_transaction({in0: 7}, consumer.group_metadata(), 30, {in0: "meta"})
    producer.flush(30)
    assert drain(committed_reader) == []
    assert observer.committed([in0]) == {in0: None}
    producer.commit_transaction(30)
    assert values(poll_until(committed_reader, 2)) == [b"a", b"b"]
    assert observer.committed([in0]) == {in0: 7}
    assert observer.committed_metadata([in0]) == {in0: "meta"}


def test_abort_hides_records_from_read_committed_and_keeps_the_old_offsets(cluster: Cluster) -> None:
    source, out, group = cluster.topic(), cluster.topic(), cluster.name("group")
    in0 = TopicPartition(source, 0)
    consumer = member(cluster, source, group)
    consumer.commit({in0: 1})
    committed_reader = reader(cluster, out, "read_committed")
    uncommitted_reader = reader(cluster, out, "read_uncommitted")
    producer = cluster.transactional_producer()
    producer.begin_transaction()
    producer.produce(out, None, b"aborted-1", partition=0)
    producer.produce(out, None, b"aborted-2", partition=0)
    producer.send_offsets_to_transaction({in0: 9}, consumer.group_metadata(), 30)
    producer.flush(30)
    assert values(poll_until(uncommitted_reader, 2)) == [b"aborted-1", b"aborted-2"]
    producer.abort_transaction(30)
    assert consumer.committed([in0]) == {in0: 1}
    producer.begin_transaction()
    producer.produce(out, None, b"kept", partition=0)
    producer.commit_transaction(30)
    assert values(poll_until(committed_reader, 1)) == [b"kept"]  # the aborted records are skipped
    assert drain(committed_reader) == []
    assert values(poll_until(uncommitted_reader, 1)) == [b"kept"]


def test_read_committed_stops_at_the_last_stable_offset(cluster: Cluster) -> None:
    out = cluster.topic()
    tp = TopicPartition(out, 0)
    open_txn = cluster.transactional_producer()
    plain = cluster.producer()
    committed_reader = reader(cluster, out, "read_committed")
    uncommitted_reader = reader(cluster, out, "read_uncommitted")
    open_txn.begin_transaction()
    open_txn.produce(out, None, b"open", partition=0)
    open_txn.flush(30)
    plain.produce(out, None, b"plain", partition=0)
    plain.flush(30)
    assert values(poll_until(uncommitted_reader, 2)) == [b"open", b"plain"]
    assert drain(committed_reader) == []  # "plain" waits behind the open transaction
    assert committed_reader.end_offsets([tp]) == {tp: 0}  # the last stable offset
    assert uncommitted_reader.end_offsets([tp]) == {tp: 2}  # the high watermark
    open_txn.commit_transaction(30)
    assert values(poll_until(committed_reader, 2)) == [b"open", b"plain"]
    end = committed_reader.end_offsets([tp])[tp]
    assert end == uncommitted_reader.end_offsets([tp])[tp] >= 3  # the commit marker takes an offset
    assert committed_reader.position(tp) == end


def test_a_second_init_transactions_fences_the_first_producer(cluster: Cluster) -> None:
    out, txn_id = cluster.topic(), cluster.name("txn")
    zombie = cluster.transactional_producer(txn_id)
    zombie.begin_transaction()
    zombie.produce(out, None, b"zombie", partition=0)
    zombie.flush(30)
    successor = cluster.transactional_producer(txn_id)  # aborts the zombie's open transaction
    with pytest.raises(ProducerFencedError):
        zombie.commit_transaction(30)
    successor.begin_transaction()
    successor.produce(out, None, b"successor", partition=0)
    successor.commit_transaction(30)
    committed_reader = reader(cluster, out, "read_committed")
    assert values(poll_until(committed_reader, 1)) == [b"successor"]
    assert drain(committed_reader) == []


def test_offsets_with_a_stale_generation_are_refused(cluster: Cluster) -> None:
    source, out, group = cluster.topic(2), cluster.topic(), cluster.name("group")
    first = member(cluster, source, group)
    stale = first.group_metadata()
    second = cluster.consumer(**{"group.id": group, "isolation.level": "read_committed"})
    second.subscribe([source])
    assert poll_members([first, second], lambda: len(first.assignment()) == 1 and len(second.assignment()) == 1)
    assert first.group_metadata().generation > stale.generation
    producer = cluster.transactional_producer()
    producer.begin_transaction()
    producer.produce(out, None, b"zombie", partition=0)
    # refused when the offsets reach the group coordinator: at once (Java's client, the embedded broker) or, as
    # librdkafka sends them in the background, by commit_transaction at the latest
    try:
        producer.send_offsets_to_transaction({TopicPartition(source, 0): 1}, stale, 30)
    except CommitFailedError:
        with pytest.raises(TransactionError):  # the transaction can only be aborted now
            producer.commit_transaction(30)
    else:
        with pytest.raises(CommitFailedError):
            producer.commit_transaction(30)
    producer.abort_transaction(30)
    assert first.committed([TopicPartition(source, 0)]) == {TopicPartition(source, 0): None}
    assert drain(reader(cluster, out, "read_committed")) == []


def test_transactional_calls_out_of_order_are_refused(cluster: Cluster) -> None:
    out = cluster.topic()
    plain = cluster.producer()
    with pytest.raises(TransactionError):
        plain.init_transactions(30)
    producer = cluster.transactional_producer()
    with pytest.raises(TransactionError):
        producer.commit_transaction(30)  # no open transaction
    producer.begin_transaction()
    with pytest.raises(TransactionError):
        producer.begin_transaction()
    producer.produce(out, None, b"x", partition=0)
    producer.abort_transaction(30)
