"""The embedded broker's topics, partitioning, offsets and logs."""

from __future__ import annotations

import threading

import pytest

from kstreams_nb._time import ManualClock
from kstreams_nb.clients.base import supplier_for
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.clients.memory.log import PartitionLog
from kstreams_nb.errors import BrokerError, SerializationError, TopicExistsError, UnknownTopicError
from kstreams_nb.partitioner import default_partition
from kstreams_nb.records import EMPTY_HEADERS, Headers, TopicPartition

# Expected partitions computed by Kafka itself: Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % n
# (kafka-clients 4.4.0; murmur2 values also in Kafka's UtilsTest.testMurmur2).
JAVA_PARTITIONS = {
    "21": (0, 0),
    "foobar": (0, 2),
    "a": (1, 0),
    "b": (2, 0),
    "c": (1, 2),
    "key-1": (0, 0),
    "key-2": (2, 2),
    "hello": (0, 1),
    "": (0, 1),
}


# -- topics -----------------------------------------------------------------------------------------------------


def test_create_list_delete_topics(broker: EmbeddedBroker) -> None:
    broker.create_topic("a", partitions=3, config={"cleanup.policy": "compact"})
    broker.create_topic("b")
    assert broker.topics() == {"a": 3, "b": 1}
    assert broker.partitions_for("a") == 3
    assert broker.topic_config("a") == {"cleanup.policy": "compact"}
    with pytest.raises(TopicExistsError, match="'a' already exists"):
        broker.create_topic("a")
    broker.delete_topic("a")
    assert broker.topics() == {"b": 1}
    with pytest.raises(UnknownTopicError, match="'a'"):
        broker.delete_topic("a")
    with pytest.raises(UnknownTopicError, match="'a'"):
        broker.partitions_for("a")


@pytest.mark.parametrize("name", ["", ".", "..", "has space", "slash/no", "ü", "x" * 250, "a:b"])
def test_illegal_topic_names_are_refused_like_kafka(broker: EmbeddedBroker, name: str) -> None:
    with pytest.raises(BrokerError, match="invalid topic name"):
        broker.create_topic(name)


def test_legal_topic_names(broker: EmbeddedBroker) -> None:
    for name in ["A-z_0.9", "x" * 249, "...a", "app-KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog"]:
        broker.create_topic(name)
    assert len(broker.topics()) == 4


def test_topic_names_colliding_on_dot_and_underscore_are_refused(broker: EmbeddedBroker) -> None:
    broker.create_topic("a.b")
    with pytest.raises(BrokerError, match=r"collides with existing topic 'a\.b'"):
        broker.create_topic("a_b")


@pytest.mark.parametrize("partitions", [0, -1, True])
def test_partition_count_must_be_positive(broker: EmbeddedBroker, partitions: int) -> None:
    with pytest.raises(BrokerError, match="partitions"):
        broker.create_topic("t", partitions=partitions)


def test_producing_to_a_missing_topic_names_it(broker: EmbeddedBroker) -> None:
    with pytest.raises(UnknownTopicError, match="unknown topic 'nope'"):
        broker.produce("nope", None, b"v")
    with pytest.raises(UnknownTopicError, match="'nope'"):
        MemoryClientSupplier(broker).producer({}).produce("nope", None, b"v")


def test_auto_create_topics_when_enabled(clock: ManualClock) -> None:
    broker = EmbeddedBroker(clock=clock, auto_create_topics=True)
    assert broker.produce("auto", None, b"v") == (0, 0)
    assert broker.topics() == {"auto": 1}


def test_keys_and_values_must_be_bytes(broker: EmbeddedBroker) -> None:
    broker.create_topic("t")
    with pytest.raises(SerializationError, match="key must be bytes"):
        broker.produce("t", "k", b"v")  # type: ignore[arg-type]
    with pytest.raises(SerializationError, match="value must be bytes"):
        broker.produce("t", None, 1)  # type: ignore[arg-type]
    with pytest.raises(BrokerError, match="negative"):
        broker.produce("t", None, None, timestamp=-1)


# -- producing and partitioning ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(JAVA_PARTITIONS))
def test_default_partition_equals_javas(broker: EmbeddedBroker, key: str) -> None:
    broker.create_topic("three", partitions=3)
    broker.create_topic("four", partitions=4)
    p3, p4 = JAVA_PARTITIONS[key]
    assert broker.produce("three", key.encode(), b"v")[0] == p3 == default_partition(key.encode(), 3)
    assert broker.produce("four", key.encode(), b"v")[0] == p4


def test_null_keys_go_round_robin(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("t", partitions=3)
    assert [broker.produce("t", None, b"v")[0] for _ in range(6)] == [0, 1, 2, 0, 1, 2]
    producer = supplier.producer({})
    for _ in range(6):
        producer.produce("t", None, b"p")
    assert [len(broker.read_partition("t", p)) for p in range(3)] == [4, 4, 4]


def test_explicit_partition_and_offsets(broker: EmbeddedBroker) -> None:
    broker.create_topic("t", partitions=2)
    assert broker.produce("t", b"k", b"0", partition=1) == (1, 0)
    assert broker.produce("t", b"k", b"1", partition=1) == (1, 1)
    assert broker.produce("t", b"k", b"2", partition=0) == (0, 0)
    with pytest.raises(BrokerError, match=r"invalid partition 2 for topic 't'"):
        broker.produce("t", b"k", b"x", partition=2)
    assert broker.end_offsets("t") == {0: 1, 1: 2}


def test_read_returns_records_by_partition_then_offset(broker: EmbeddedBroker, clock: ManualClock) -> None:
    broker.create_topic("t", partitions=2)
    broker.produce("t", b"x", b"a", partition=1, timestamp=5, headers=Headers([("h", b"1")]))
    clock.advance(10)
    broker.produce("t", None, b"b", partition=0)
    broker.produce("t", None, b"c", partition=1, timestamp=7)
    records = broker.read("t")
    assert [(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value) for r in records] == [
        ("t", 0, 0, 1_010, None, b"b"),  # default timestamp from the broker's clock
        ("t", 1, 0, 5, b"x", b"a"),
        ("t", 1, 1, 7, None, b"c"),
    ]
    assert records[1].headers == Headers([("h", b"1")])
    assert records[0].headers == EMPTY_HEADERS
    assert [r.value for r in broker.read_partition("t", 1, start=1)] == [b"c"]
    with pytest.raises(UnknownTopicError, match="no partition 2"):
        broker.read_partition("t", 2)


def test_produce_batch_appends_per_partition(broker: EmbeddedBroker) -> None:
    broker.create_topic("t", partitions=3)
    keys = [b"a", b"b", b"c", b"a", None]
    positions = broker.produce_batch("t", [(k, b"v%d" % i) for i, k in enumerate(keys)], timestamp=3)
    assert positions == [(1, 0), (2, 0), (1, 1), (1, 2), (0, 0)]
    assert [r.value for r in broker.read_partition("t", 1)] == [b"v0", b"v2", b"v3"]


# -- the partition log ------------------------------------------------------------------------------------------


def test_fetch_returns_slices_up_to_the_high_watermark() -> None:
    log = PartitionLog("t", 0)
    assert log.append_batch([(None, b"%d" % i, i, EMPTY_HEADERS) for i in range(10)]) == 0
    records, nxt = log.fetch(3, 4, read_committed=False)
    assert [r.offset for r in records] == [3, 4, 5, 6] and nxt == 7
    records, nxt = log.fetch(8, 100, read_committed=True)
    assert [r.value for r in records] == [b"8", b"9"] and nxt == 10
    assert log.fetch(10, 5, read_committed=False) == ([], 10)
    assert log.fetch(11, 5, read_committed=False) == ([], -1)  # out of range
    assert log.fetch(-1, 5, read_committed=False) == ([], -1)
    assert log.high_watermark() == log.last_stable_offset() == 10


def test_markers_occupy_offsets_but_are_never_returned() -> None:
    log = PartitionLog("t", 0)
    log.append_batch([(None, b"a", 0, EMPTY_HEADERS)], producer_id=7, epoch=0)
    log.append_batch([(None, b"b", 0, EMPTY_HEADERS)])
    assert log.last_stable_offset() == 0
    assert log.write_marker(7, 0, commit=True) == 2
    log.append_batch([(None, b"c", 0, EMPTY_HEADERS)])
    for read_committed in (True, False):
        records, nxt = log.fetch(0, 100, read_committed)
        assert [(r.offset, r.value) for r in records] == [(0, b"a"), (1, b"b"), (3, b"c")]
        assert nxt == 4
    # A fetch that ends on the marker moves past it; one that starts on it skips it.
    assert [r.offset for r in log.fetch(0, 2, read_committed=True)[0]] == [0, 1]
    assert log.fetch(0, 2, read_committed=True)[1] == 3
    assert [r.offset for r in log.fetch(2, 1, read_committed=False)[0]] == [3]


def test_aborted_records_are_hidden_from_read_committed_only() -> None:
    log = PartitionLog("t", 0)
    log.append_batch([(None, b"x1", 0, EMPTY_HEADERS)], producer_id=1, epoch=0)
    log.append_batch([(None, b"ok", 0, EMPTY_HEADERS)], producer_id=2, epoch=0)
    log.append_batch([(None, b"x2", 0, EMPTY_HEADERS)], producer_id=1, epoch=0)
    log.write_marker(1, 0, commit=False)  # offset 3
    log.write_marker(2, 0, commit=True)  # offset 4
    committed, nxt = log.fetch(0, 100, read_committed=True)
    assert [r.value for r in committed] == [b"ok"] and nxt == 5
    uncommitted, _ = log.fetch(0, 100, read_committed=False)
    assert [r.value for r in uncommitted] == [b"x1", b"ok", b"x2"]
    assert [r.value for r in log.fetch(2, 100, read_committed=True)[0]] == []


def test_deleted_topic_refuses_appends(broker: EmbeddedBroker) -> None:
    broker.create_topic("t")
    log = broker.log(TopicPartition("t", 0))
    assert log is not None
    broker.delete_topic("t")
    with pytest.raises(UnknownTopicError, match="deleted"):
        log.append_batch([(None, b"v", 0, EMPTY_HEADERS)])
    assert broker.log(TopicPartition("t", 0)) is None


def test_producer_cache_follows_a_recreated_topic(broker: EmbeddedBroker, supplier: MemoryClientSupplier) -> None:
    broker.create_topic("t")
    producer = supplier.producer({})
    producer.produce("t", None, b"old")
    broker.delete_topic("t")
    broker.create_topic("t")
    producer.produce("t", None, b"new")
    assert [r.value for r in broker.read("t")] == [b"new"]


# -- registry and supplier --------------------------------------------------------------------------------------


def test_named_brokers_are_process_wide_and_thread_safe() -> None:
    EmbeddedBroker.drop("registry-test")
    seen: list[EmbeddedBroker] = []
    lock = threading.Lock()

    def get() -> None:
        b = EmbeddedBroker.named("registry-test")
        with lock:
            seen.append(b)

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(seen) == 8 and all(b is seen[0] for b in seen)
    fresh = EmbeddedBroker.reset("registry-test")
    assert fresh is not seen[0] and EmbeddedBroker.named("registry-test") is fresh
    EmbeddedBroker.drop("registry-test")
    assert EmbeddedBroker.named("registry-test") is not fresh
    EmbeddedBroker.drop("registry-test")


def test_supplier_for_memory_scheme() -> None:
    supplier = supplier_for("memory://scheme-test")
    assert isinstance(supplier, MemoryClientSupplier)
    assert supplier.broker is EmbeddedBroker.named("scheme-test")
    admin = supplier.admin({})
    admin.create_topic("t", 2)
    assert admin.list_topics() == ["t"] and admin.partitions_for("t") == 2 and admin.partitions_for("u") is None
    assert supplier.producer({}).partitions_for("t") == 2
    admin.delete_topic("t")
    admin.close()
    EmbeddedBroker.drop("scheme-test")
    assert supplier_for("memory://").broker is EmbeddedBroker.named("default")  # type: ignore[attr-defined]
