"""The embedded broker under threads: concurrent producers, waiting polls, wakeups; a produce/read property."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier, MemoryConsumer
from kstreams_nb.records import ConsumerRecord, TopicPartition

from ._helpers import read_as_a_group

DEADLINE = 20.0  # generous: the waits under test should end in milliseconds


def run_threads(*targets: threading.Thread) -> None:
    for t in targets:
        t.start()
    for t in targets:
        t.join(timeout=DEADLINE * 2)
        assert not t.is_alive(), f"{t.name} did not finish"


@pytest.mark.timeout(60)
def test_concurrent_producers_lose_nothing(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("t", partitions=3)
    n_plain, n_txn, per_thread = 6, 2, 400
    errors: list[BaseException] = []

    def plain(i: int) -> None:
        try:
            producer = supplier.producer({})
            for seq in range(per_thread):
                producer.produce("t", b"k%d" % (seq % 7), b"plain-%d-%d" % (i, seq))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def transactional(i: int) -> None:
        try:
            producer = supplier.producer({"transactional.id": f"txn-{i}"})
            producer.init_transactions()
            for start in range(0, per_thread, 50):
                producer.begin_transaction()
                for seq in range(start, start + 50):
                    producer.produce("t", None, b"txn-%d-%d" % (i, seq))
                producer.commit_transaction()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    run_threads(
        *(threading.Thread(target=plain, args=(i,), name=f"plain-{i}") for i in range(n_plain)),
        *(threading.Thread(target=transactional, args=(i,), name=f"txn-{i}") for i in range(n_txn)),
    )
    assert not errors
    records = broker.read("t", isolation="read_uncommitted")
    assert len(records) == (n_plain + n_txn) * per_thread
    assert len(broker.read("t")) == len(records)  # every transaction committed
    markers = n_txn * (per_thread // 50)  # one commit marker per transaction on every partition it wrote to
    total_offsets = sum(broker.end_offsets("t").values())
    assert len(records) <= total_offsets <= len(records) + markers * 3
    for p in range(3):
        offsets = [r.offset for r in records if r.partition == p]
        assert offsets == sorted(set(offsets))  # unique, increasing; gaps only where markers are
        assert broker.end_offsets("t")[p] - len(offsets) <= markers
    # Each producer's records keep their order within a partition.
    last: dict[tuple[int, bytes], int] = {}
    for r in records:
        assert r.value is not None
        kind, producer, seq = r.value.split(b"-")
        key = (r.partition, kind + producer)
        assert last.get(key, -1) < int(seq)
        last[key] = int(seq)


@pytest.mark.timeout(60)
def test_consumer_group_threads_read_everything_once(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("in", partitions=6)
    total = 3000
    seen = read_as_a_group(supplier, [{"client.id": f"c{i}"} for i in range(3)], total)
    assert sorted(seen, key=lambda v: int(v or b"0")) == [b"%d" % i for i in range(total)]


@pytest.mark.timeout(60)
def test_a_waiting_poll_wakes_when_a_record_is_produced(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("t")
    consumer = supplier.consumer({"group.id": "g"})
    consumer.subscribe(["t"])
    assert consumer.poll_batch(10, timeout=0) == []  # joined and assigned, nothing to read
    polling = threading.Event()
    result: list[list[ConsumerRecord]] = []

    def poll() -> None:
        polling.set()
        result.append(consumer.poll_batch(10, timeout=60))

    t = threading.Thread(target=poll)
    t.start()
    assert polling.wait(DEADLINE)
    started = time.monotonic()
    broker.produce("t", None, b"wake")
    t.join(DEADLINE)
    assert not t.is_alive() and time.monotonic() - started < DEADLINE
    assert [r.value for r in result[0]] == [b"wake"]
    consumer.close()


@pytest.mark.timeout(60)
def test_wakeup_interrupts_a_waiting_poll(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("t")
    consumer = supplier.consumer({"group.id": "g"})
    consumer.subscribe(["t"])
    polling = threading.Event()
    result: list[list[ConsumerRecord]] = []

    def poll() -> None:
        polling.set()
        result.append(consumer.poll_batch(10, timeout=60))

    t = threading.Thread(target=poll)
    t.start()
    assert polling.wait(DEADLINE)
    consumer.wakeup()
    t.join(DEADLINE)
    assert not t.is_alive() and result == [[]]
    consumer.close()


@pytest.mark.timeout(60)
def test_a_waiting_poll_wakes_for_a_rebalance(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("t", partitions=2)
    c1 = supplier.consumer({"group.id": "g", "client.id": "c1"})
    c1.subscribe(["t"])
    c1.poll_batch(10, timeout=0)
    stop = threading.Event()

    def keep_polling() -> None:
        while not stop.is_set():
            c1.poll_batch(10, timeout=60)  # woken by the rebalance, not by the timeout

    t = threading.Thread(target=keep_polling)
    t.start()
    c2 = supplier.consumer({"group.id": "g", "client.id": "c2"})
    c2.subscribe(["t"])
    started = time.monotonic()
    while c2.group_metadata().generation < 2:
        c2.poll_batch(10, timeout=1.0)
        assert time.monotonic() - started < DEADLINE, "the rebalance did not complete"
    assert c2.assignment() == [TopicPartition("t", 1)]
    stop.set()
    c1.wakeup()
    t.join(DEADLINE)
    assert not t.is_alive() and c1.assignment() == [TopicPartition("t", 0)]
    c1.close()
    c2.close()


# -- property: what is produced is what is read, in per-partition order -----------------------------------------

_records = st.lists(
    st.tuples(
        st.one_of(st.none(), st.binary(max_size=8)),
        st.binary(max_size=8),
        st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(records=_records, batch=st.integers(min_value=1, max_value=7))
def test_records_produced_equal_records_read_in_partition_order(
    records: list[tuple[bytes | None, bytes, int | None]], batch: int
) -> None:
    broker = EmbeddedBroker()
    broker.create_topic("t", partitions=4)
    supplier = MemoryClientSupplier(broker)
    producer = supplier.producer({})
    expected: dict[int, list[tuple[bytes | None, bytes]]] = defaultdict(list)
    for key, value, partition in records:
        p, _ = broker.produce("t", key, value, partition=partition, timestamp=1)
        expected[p].append((key, value))
        producer.produce("t", key, value, partition=p, timestamp=2)
        expected[p].append((key, value))
    consumer: MemoryConsumer = supplier.consumer({"group.id": "prop"})
    consumer.subscribe(["t"])
    got: dict[int, list[tuple[bytes | None, bytes | None]]] = defaultdict(list)
    offsets: dict[int, list[int]] = defaultdict(list)
    while polled := consumer.poll_batch(batch, timeout=0):
        assert len(polled) <= batch
        for r in polled:
            got[r.partition].append((r.key, r.value))
            offsets[r.partition].append(r.offset)
    consumer.close()
    assert dict(got) == dict(expected)
    assert all(o == list(range(len(o))) for o in offsets.values())
    read_back = broker.read("t")
    assert [(r.partition, r.offset) for r in read_back] == sorted((r.partition, r.offset) for r in read_back)
