"""Transactions on the embedded broker: read_committed, LSO, markers, fencing, offsets in transactions."""

from __future__ import annotations

import threading

import pytest

from kstreams_nb.clients.memory import (
    CommitFailedError,
    ConsumerGroupMetadata,
    EmbeddedBroker,
    MemoryClientSupplier,
    MemoryConsumer,
    MemoryProducer,
)
from kstreams_nb.clients.memory.log import PartitionLog
from kstreams_nb.errors import ProducerFencedError, TransactionError
from kstreams_nb.records import EMPTY_HEADERS, TopicPartition

from ._helpers import settle, values

T = "out"
TP0 = TopicPartition(T, 0)


@pytest.fixture(autouse=True)
def topic(broker: EmbeddedBroker) -> None:
    broker.create_topic(T)
    broker.create_topic("in", partitions=2)


def txn_producer(supplier: MemoryClientSupplier, txn_id: str = "app-0") -> MemoryProducer:
    p = supplier.producer({"transactional.id": txn_id})
    p.init_transactions()
    return p


def reader(supplier: MemoryClientSupplier, isolation: str) -> MemoryConsumer:
    c = supplier.consumer({"isolation.level": isolation})
    c.assign([TP0])
    return c


def test_read_committed_sees_only_committed_records(supplier: MemoryClientSupplier, broker: EmbeddedBroker) -> None:
    p = txn_producer(supplier)
    rc, ru = reader(supplier, "read_committed"), reader(supplier, "read_uncommitted")
    p.begin_transaction()
    p.produce(T, b"k", b"a")
    p.produce(T, b"k", b"b")
    assert rc.poll_batch(10, timeout=0) == []
    assert values(ru.poll_batch(10, timeout=0)) == [b"a", b"b"]
    assert rc.end_offsets([TP0]) == {TP0: 0} and ru.end_offsets([TP0]) == {TP0: 2}
    p.commit_transaction()
    assert values(rc.poll_batch(10, timeout=0)) == [b"a", b"b"]
    assert rc.position(TP0) == 3  # the commit marker occupies offset 2

    p.begin_transaction()
    p.produce(T, b"k", b"aborted-1")
    p.produce(T, b"k", b"aborted-2")
    p.abort_transaction()
    assert rc.poll_batch(10, timeout=0) == [] and rc.position(TP0) == 6
    assert values(ru.poll_batch(10, timeout=0)) == [b"aborted-1", b"aborted-2"]
    assert [r.offset for r in broker.read(T, isolation="read_uncommitted")] == [0, 1, 3, 4]
    assert values(broker.read(T)) == [b"a", b"b"]
    assert broker.end_offsets(T) == {0: 6}


def test_lso_blocks_later_records_until_the_open_transaction_ends(
    supplier: MemoryClientSupplier, broker: EmbeddedBroker
) -> None:
    p1, p2 = txn_producer(supplier, "p1"), txn_producer(supplier, "p2")
    plain = supplier.producer({})
    rc = reader(supplier, "read_committed")
    p1.begin_transaction()
    p1.produce(T, None, b"p1-open")  # offset 0: LSO stays here while p1's transaction is open
    plain.produce(T, None, b"plain")
    p2.begin_transaction()
    p2.produce(T, None, b"p2")
    p2.commit_transaction()
    assert rc.poll_batch(10, timeout=0) == []
    assert rc.end_offsets([TP0]) == {TP0: 0} and broker.end_offsets(T, isolation="read_committed") == {0: 0}
    p1.abort_transaction()
    assert values(rc.poll_batch(10, timeout=0)) == [b"plain", b"p2"]


def test_lso_moves_to_the_next_oldest_open_transaction(supplier: MemoryClientSupplier) -> None:
    p1, p2 = txn_producer(supplier, "p1"), txn_producer(supplier, "p2")
    rc = reader(supplier, "read_committed")
    p1.begin_transaction()
    p2.begin_transaction()
    p1.produce(T, None, b"1a")
    p2.produce(T, None, b"2a")
    p1.produce(T, None, b"1b")
    p1.commit_transaction()
    assert values(rc.poll_batch(10, timeout=0)) == [b"1a"]  # stops at p2's first offset
    p2.commit_transaction()
    assert values(rc.poll_batch(10, timeout=0)) == [b"2a", b"1b"]


def test_init_transactions_fences_the_older_producer(supplier: MemoryClientSupplier, broker: EmbeddedBroker) -> None:
    zombie = txn_producer(supplier, "app-0")
    zombie.begin_transaction()
    zombie.produce(T, None, b"zombie")
    successor = txn_producer(supplier, "app-0")  # aborts the zombie's transaction
    rc = reader(supplier, "read_committed")
    assert rc.poll_batch(10, timeout=0) == [] and rc.position(TP0) == 2
    with pytest.raises(ProducerFencedError, match="fenced"):
        zombie.produce(T, None, b"again")
    for call in (zombie.commit_transaction, zombie.abort_transaction, zombie.begin_transaction):
        with pytest.raises(ProducerFencedError):
            call()
    other = txn_producer(supplier, "app-1")
    other.begin_transaction()
    other.produce(T, None, b"o")
    fenced_elsewhere = txn_producer(supplier, "app-1")
    with pytest.raises(ProducerFencedError):  # fenced on a partition it had not written to yet
        other.produce("in", None, b"x", partition=1)
    del fenced_elsewhere
    successor.begin_transaction()
    successor.produce(T, None, b"new")
    successor.commit_transaction()
    assert values(broker.read(T)) == [b"new"]
    assert values(broker.read(T, isolation="read_uncommitted")) == [b"zombie", b"o", b"new"]


def test_a_stale_epoch_is_refused_by_the_log() -> None:
    log = PartitionLog("t", 0)
    log.append_batch([(None, b"v", 0, EMPTY_HEADERS)], producer_id=3, epoch=0)
    log.write_marker(3, 1, commit=False)  # written by the coordinator for the new epoch
    with pytest.raises(ProducerFencedError, match="epoch 0 was fenced"):
        log.append_batch([(None, b"late", 0, EMPTY_HEADERS)], producer_id=3, epoch=0)


def test_offsets_commit_with_the_transaction(supplier: MemoryClientSupplier, broker: EmbeddedBroker) -> None:
    c = supplier.consumer({"group.id": "app", "client.id": "c1", "isolation.level": "read_committed"})
    c.subscribe(["in"])
    c.poll_batch(10, timeout=0)
    p = txn_producer(supplier)
    in0 = TopicPartition("in", 0)
    p.begin_transaction()
    p.produce(T, None, b"x")
    p.send_offsets_to_transaction({in0: 5}, c.group_metadata())
    assert broker.committed("app", in0) is None
    p.commit_transaction()
    assert broker.committed("app", in0) == 5 and c.committed([in0]) == {in0: 5}
    p.begin_transaction()
    p.send_offsets_to_transaction({in0: 9}, c.group_metadata())
    p.abort_transaction()
    assert broker.committed("app", in0) == 5
    c.close()


def test_stale_generation_offsets_are_rejected(supplier: MemoryClientSupplier, broker: EmbeddedBroker) -> None:
    c1 = supplier.consumer({"group.id": "app", "client.id": "c1"})
    c1.subscribe(["in"])
    settle(broker, "app", [c1])
    stale = c1.group_metadata()
    c2 = supplier.consumer({"group.id": "app", "client.id": "c2"})
    c2.subscribe(["in"])
    settle(broker, "app", [c1, c2])
    p = txn_producer(supplier)
    p.begin_transaction()
    p.produce(T, None, b"from-zombie")
    with pytest.raises(CommitFailedError, match="generation 1 of group 'app' is stale"):
        p.send_offsets_to_transaction({TopicPartition("in", 0): 1}, stale)
    with pytest.raises(TransactionError, match="abort_transaction"):
        p.commit_transaction()
    p.abort_transaction()
    assert values(broker.read(T)) == []
    gone = ConsumerGroupMetadata("app", c2.group_metadata().generation, "no-such-member")
    p.begin_transaction()
    with pytest.raises(CommitFailedError, match="not in group"):
        p.send_offsets_to_transaction({TopicPartition("in", 0): 1}, gone)
    p.abort_transaction()
    c1.close()
    c2.close()


def test_new_owner_waits_for_pending_transactional_offsets(
    supplier: MemoryClientSupplier, broker: EmbeddedBroker
) -> None:
    """KIP-447: a read_committed member does not start a partition while offsets for it are in an open txn."""
    broker.produce_batch("in", [(None, b"%d" % i) for i in range(4)])  # round-robin: 2 per partition
    config = {"group.id": "app", "isolation.level": "read_committed"}
    old = supplier.consumer({**config, "client.id": "old"})
    old.subscribe(["in"])
    assert len(old.poll_batch(10, timeout=0)) == 4
    p = txn_producer(supplier)
    p.begin_transaction()
    p.send_offsets_to_transaction({TopicPartition("in", 0): 1, TopicPartition("in", 1): 2}, old.group_metadata())
    old.close()
    new = supplier.consumer({**config, "client.id": "new"})
    new.subscribe(["in"])
    assert new.poll_batch(10, timeout=0) == []  # offsets still pending
    p.commit_transaction()
    got = new.poll_batch(10, timeout=0)
    assert [(r.partition, r.offset) for r in got] == [(0, 1)]
    new.close()


def test_misuse_raises_transaction_errors(supplier: MemoryClientSupplier) -> None:
    plain = supplier.producer({})
    with pytest.raises(TransactionError, match=r"no transactional\.id"):
        plain.init_transactions()
    p = supplier.producer({"transactional.id": "x"})
    with pytest.raises(TransactionError, match="begin"):
        p.begin_transaction()  # before init_transactions
    p.init_transactions()
    with pytest.raises(TransactionError, match="already"):
        p.init_transactions()
    with pytest.raises(TransactionError, match="begin_transaction"):
        p.produce(T, None, b"v")
    with pytest.raises(TransactionError, match="needs an open transaction"):
        p.commit_transaction()
    p.begin_transaction()
    with pytest.raises(TransactionError, match="cannot begin"):
        p.begin_transaction()


def test_close_aborts_the_open_transaction(supplier: MemoryClientSupplier, broker: EmbeddedBroker) -> None:
    p = txn_producer(supplier)
    p.begin_transaction()
    p.produce(T, None, b"lost")
    p.close()
    plain = supplier.producer({})
    plain.produce(T, None, b"after")
    assert values(broker.read(T)) == [b"after"]
    assert broker.end_offsets(T, isolation="read_committed") == broker.end_offsets(T) == {0: 3}


@pytest.mark.timeout(60)
def test_committed_waits_for_an_open_transaction(supplier: MemoryClientSupplier, broker: EmbeddedBroker) -> None:
    member = supplier.consumer({"group.id": "app", "client.id": "m"})
    member.subscribe(["in"])
    member.poll_batch(1, timeout=0)
    p = txn_producer(supplier)
    p.begin_transaction()
    in0 = TopicPartition("in", 0)
    p.send_offsets_to_transaction({in0: 7}, member.group_metadata())
    reader = supplier.consumer({"group.id": "app", "isolation.level": "read_committed"})
    uncommitted_reader = supplier.consumer({"group.id": "app"})
    assert uncommitted_reader.committed([in0]) == {in0: None}  # does not wait
    result: list[dict[TopicPartition, int | None]] = []
    t = threading.Thread(target=lambda: result.append(reader.committed([in0])))
    t.start()
    p.commit_transaction()
    t.join(30)
    assert not t.is_alive() and result == [{in0: 7}]
    member.close()
