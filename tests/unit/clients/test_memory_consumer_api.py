"""Consumer API of the embedded broker used by the engine: commit metadata (OffsetAndMetadata), lag, rejoining
after unsubscribe or after being dropped (onPartitionsLost), auto.offset.reset=none and seeking."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest

from kstreams_nb.clients.base import InvalidOffsetError as BaseInvalidOffsetError
from kstreams_nb.clients.memory import (
    CommitFailedError,
    EmbeddedBroker,
    InvalidOffsetError,
    MemoryClientSupplier,
    MemoryConsumer,
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
)
from kstreams_nb.clients.memory.errors import NoOffsetForPartitionError as ErrorsNoOffset
from kstreams_nb.errors import BrokerError
from kstreams_nb.records import TopicPartition

from ._helpers import Ticker, settle, values

A = "topic-a"
TP0, TP1, TP2 = (TopicPartition(A, p) for p in range(3))


def tps(topic: str, *partitions: int) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in partitions]


class Listener:
    """Records rebalance callbacks as ("assign" | "revoke" | "lost", partitions)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, list[TopicPartition]]] = []

    def on_assign(self, partitions: list[TopicPartition]) -> None:
        self.events.append(("assign", sorted(partitions)))

    def on_revoke(self, partitions: list[TopicPartition]) -> None:
        self.events.append(("revoke", sorted(partitions)))

    def on_lost(self, partitions: list[TopicPartition]) -> None:
        self.events.append(("lost", sorted(partitions)))


@pytest.fixture
def make(supplier: MemoryClientSupplier, consumers: list[MemoryConsumer]) -> Callable[..., MemoryConsumer]:
    def make_consumer(client_id: str, group: str | None = "g", **config: object) -> MemoryConsumer:
        c = supplier.consumer(
            {
                **({"group.id": group} if group else {}),
                "client.id": client_id,
                **{k.replace("_", "."): v for k, v in config.items()},
            }
        )
        consumers.append(c)
        return c

    return make_consumer


@pytest.fixture
def topic(broker: EmbeddedBroker) -> EmbeddedBroker:
    broker.create_topic(A, partitions=3)
    return broker


# -- commit metadata --------------------------------------------------------------------------------------------


def test_commit_metadata_is_stored_per_partition_and_replaced_by_each_commit(topic: EmbeddedBroker, make) -> None:
    c = make("c1")
    c.subscribe([A])
    settle(topic, "g", [c])
    c.commit({TP0: 5, TP1: 7}, {TP0: "AQAAAAAAAABk"})
    assert c.committed([TP0, TP1, TP2]) == {TP0: 5, TP1: 7, TP2: None}
    assert c.committed_metadata([TP0, TP1, TP2]) == {TP0: "AQAAAAAAAABk", TP1: None, TP2: None}
    c.commit({TP1: 8}, metadata={TP1: ""})  # an empty string is metadata too
    assert c.committed_metadata([TP0, TP1]) == {TP0: "AQAAAAAAAABk", TP1: ""}
    c.commit({TP0: 6})  # a commit without metadata leaves none (Kafka: OffsetAndMetadata(offset))
    assert c.committed_metadata([TP0, TP1]) == {TP0: None, TP1: ""}
    assert topic.committed_metadata("g", TP1) == "" and topic.committed("g", TP0) == 6
    # A later consumer of the group reads them back (StreamTask.initializeTaskTime).
    c.close()
    other = make("c2")
    other.subscribe([A])
    assert other.committed_metadata([TP1]) == {TP1: ""}


def test_invalid_commit_metadata_is_refused_and_commits_nothing(topic: EmbeddedBroker, make) -> None:
    c = make("c1")
    c.assign([TP0])
    with pytest.raises(BrokerError, match="commit metadata given for topic-a-1, which has no offset"):
        c.commit({TP0: 1}, {TP1: "x"})
    with pytest.raises(BrokerError, match="must be a str, got bytes"):
        c.commit({TP0: 1}, {TP0: b"x"})  # type: ignore[dict-item]
    with pytest.raises(BrokerError, match="4097 characters long; the broker accepts at most 4096"):
        c.commit({TP0: 1}, {TP0: "x" * 4097})
    assert topic.committed("g", TP0) is None
    c.commit({TP0: 1}, {TP0: "x" * 4096})
    assert topic.committed_metadata("g", TP0) == "x" * 4096


def test_metadata_is_dropped_with_a_deleted_topic(topic: EmbeddedBroker, make) -> None:
    c = make("c1")
    c.assign([TP0])
    c.commit({TP0: 1}, {TP0: "m"})
    topic.delete_topic(A)
    topic.create_topic(A, partitions=3)
    assert c.committed_metadata([TP0]) == {TP0: None}


def test_transactional_offsets_carry_metadata(topic: EmbeddedBroker, supplier: MemoryClientSupplier, make) -> None:
    member = make("c1")
    member.subscribe([A])
    settle(topic, "g", [member])
    producer = supplier.producer({"transactional.id": "app-0"})
    producer.init_transactions()
    producer.begin_transaction()
    producer.send_offsets_to_transaction({TP0: 3, TP1: 4}, member.group_metadata(), metadata={TP0: "t=30"})
    assert topic.committed_metadata("g", TP0) is None  # staged until the transaction commits
    group = topic.group("g")
    with pytest.raises(BrokerError, match="UNSTABLE_OFFSET_COMMIT"):
        group.committed_metadata([TP0], require_stable=True, timeout=0.01)
    producer.commit_transaction()
    assert member.committed_metadata([TP0, TP1]) == {TP0: "t=30", TP1: None}
    assert member.committed([TP0, TP1]) == {TP0: 3, TP1: 4}

    producer.begin_transaction()
    producer.send_offsets_to_transaction({TP0: 9}, member.group_metadata(), None, {TP0: "aborted"})
    producer.abort_transaction()
    assert member.committed_metadata([TP0]) == {TP0: "t=30"} and member.committed([TP0]) == {TP0: 3}

    producer.begin_transaction()  # a bad metadata map fails the call only; the transaction goes on
    with pytest.raises(BrokerError, match="no offset in the same commit"):
        producer.send_offsets_to_transaction({TP0: 10}, member.group_metadata(), metadata={TP2: "x"})
    producer.send_offsets_to_transaction({TP0: 10}, member.group_metadata())  # metadata keyword is optional
    producer.commit_transaction()
    assert member.committed_metadata([TP0]) == {TP0: None} and member.committed([TP0]) == {TP0: 10}
    producer.close()


@pytest.mark.timeout(30)
def test_committed_metadata_under_read_committed_waits_for_the_open_transaction(
    topic: EmbeddedBroker, supplier: MemoryClientSupplier, make
) -> None:
    reader = make("reader", isolation_level="read_committed")
    reader.assign([TP0])
    producer = supplier.producer({"transactional.id": "app-0"})
    producer.init_transactions()
    producer.begin_transaction()
    producer.send_offsets_to_transaction(
        {TP0: 1}, supplier.consumer({"group.id": "g"}).group_metadata(), metadata={TP0: "m"}
    )
    got: list[dict[TopicPartition, str | None]] = []
    t = threading.Thread(target=lambda: got.append(reader.committed_metadata([TP0])))
    t.start()
    t.join(0.2)
    assert t.is_alive() and not got  # blocked on the group's condition, not spinning
    producer.commit_transaction()
    t.join(10)
    assert got == [{TP0: "m"}]


# -- lag --------------------------------------------------------------------------------------------------------


def test_lag_is_end_offset_minus_position(topic: EmbeddedBroker, make) -> None:
    topic.produce_batch(A, [(None, b"%d" % i) for i in range(9)])  # 3 per partition, round-robin
    c = make("c1", auto_offset_reset="earliest")
    c.subscribe([A])
    assert c.lag(TP0) is None  # not assigned yet
    c.poll_batch(3, timeout=0)  # one record from each partition
    assert [c.lag(tp) for tp in (TP0, TP1, TP2)] == [2, 2, 2]
    assert c.lag(TopicPartition("other", 0)) is None
    topic.produce(A, None, b"more", partition=0)
    assert c.lag(TP0) == 3
    c.seek(TP1, 100)  # beyond the end: never negative
    assert c.lag(TP1) == 0
    while c.poll_batch(100, timeout=0):
        pass
    assert c.lag(TP0) == 0 and c.lag(TP2) == 0


def test_lag_is_none_until_the_position_is_resolved(topic: EmbeddedBroker, make) -> None:
    c = make("c1")
    c.assign([TP0])
    assert c.lag(TP0) is None
    assert c.position(TP0) == 0 and c.lag(TP0) == 0
    c.assign([TopicPartition("later", 0)])  # a topic that does not exist yet
    assert c.position(TopicPartition("later", 0)) == 0 and c.lag(TopicPartition("later", 0)) == 0


def test_lag_follows_the_isolation_level(topic: EmbeddedBroker, supplier: MemoryClientSupplier, make) -> None:
    rc, ru = make("rc", isolation_level="read_committed"), make("ru")
    for c in (rc, ru):
        c.assign([TP0])
        c.seek(TP0, 0)
    producer = supplier.producer({"transactional.id": "t"})
    producer.init_transactions()
    producer.begin_transaction()
    producer.produce(A, None, b"a", partition=0)
    producer.produce(A, None, b"b", partition=0)
    assert rc.lag(TP0) == 0 and ru.lag(TP0) == 2  # the LSO has not moved
    producer.commit_transaction()
    assert rc.lag(TP0) == 3 and ru.lag(TP0) == 3  # the commit marker counts, as in Kafka
    assert values(rc.poll_batch(10, timeout=0)) == [b"a", b"b"]
    assert rc.lag(TP0) == 0  # the fetch skipped the marker


# -- rejoining --------------------------------------------------------------------------------------------------


def test_unsubscribe_then_subscribe_rejoins_with_a_fresh_member_id(topic: EmbeddedBroker, make) -> None:
    topic.produce_batch(A, [(None, b"%d" % i) for i in range(6)])
    c, listener = make("c1"), Listener()
    c.subscribe([A], on_assign=listener.on_assign, on_revoke=listener.on_revoke, on_lost=listener.on_lost)
    first = c.poll_batch(2, timeout=0)
    c.commit({TopicPartition(r.topic, r.partition): r.offset + 1 for r in first})
    old = c.group_metadata()
    c.unsubscribe()
    assert listener.events == [("assign", tps(A, 0, 1, 2)), ("revoke", tps(A, 0, 1, 2))]
    assert topic.describe_group("g").state == "Empty"
    c.subscribe([A], on_assign=listener.on_assign, on_revoke=listener.on_revoke, on_lost=listener.on_lost)
    rest = c.poll_batch(100, timeout=0)
    new = c.group_metadata()
    assert new.member_id != old.member_id and new.member_id.startswith("c1-") and new.generation == old.generation + 1
    assert listener.events[-1] == ("assign", tps(A, 0, 1, 2))
    assert sorted(values(first + rest)) == sorted(b"%d" % i for i in range(6))  # resumes from the commits
    c.commit({TP0: 2})  # the new member of the current generation may commit


def test_a_dropped_member_calls_on_lost_on_its_next_poll_and_rejoins(
    topic: EmbeddedBroker, make, ticker: Ticker
) -> None:
    c1, c2, l2 = make("c1"), make("c2"), Listener()
    c1.subscribe([A])
    c2.subscribe([A], on_assign=l2.on_assign, on_revoke=l2.on_revoke, on_lost=l2.on_lost)
    settle(topic, "g", [c1, c2])
    old = c2.group_metadata()
    ticker.now += 301  # c2 stops polling for longer than max.poll.interval.ms (default 300 s)
    c1.poll_batch(10, timeout=0)  # ... so c1's poll makes the group drop it, and takes every partition
    assert c1.assignment() == tps(A, 0, 1, 2)
    with pytest.raises(CommitFailedError):
        c2.commit({TP2: 0})
    c2.poll_batch(10, timeout=0)
    assert l2.events == [("assign", tps(A, 2)), ("lost", tps(A, 2))]  # not "revoke": they may be elsewhere
    assert c2.group_metadata().member_id != old.member_id and c2.assignment() == []
    settle(topic, "g", [c1, c2])
    assert l2.events[-1] == ("assign", tps(A, 2))


def test_unsubscribe_after_being_dropped_calls_on_lost_then_subscribe_rejoins(
    topic: EmbeddedBroker, make, ticker: Ticker
) -> None:
    """The engine's TaskMigrated path: commit fails (dropped) → close tasks dirty → unsubscribe → subscribe."""
    for i in range(3):
        topic.produce(A, None, b"%d" % i, partition=0)
    c, listener = make("c1", max_poll_interval_ms=1_000), Listener()
    c.subscribe([A], on_assign=listener.on_assign, on_revoke=listener.on_revoke, on_lost=listener.on_lost)
    batch = c.poll_batch(1, timeout=0)
    c.commit({TP0: batch[0].offset + 1})
    c.poll_batch(1, timeout=0)
    ticker.now += 2  # a slow record: the member is dropped
    with pytest.raises(CommitFailedError, match="no longer in group"):
        c.commit({TP0: 2})
    c.unsubscribe()
    assert listener.events[-1] == ("lost", tps(A, 0, 1, 2))
    c.subscribe([A], on_assign=listener.on_assign, on_revoke=listener.on_revoke, on_lost=listener.on_lost)
    assert values(c.poll_batch(10, timeout=0)) == [b"1", b"2"]  # from the last commit: at least once
    assert listener.events[-1] == ("assign", tps(A, 0, 1, 2))


def test_without_on_lost_a_lost_partition_goes_to_on_revoke(topic: EmbeddedBroker, make, ticker: Ticker) -> None:
    c, listener = make("c1", max_poll_interval_ms=1_000), Listener()
    c.subscribe([A], on_assign=listener.on_assign, on_revoke=listener.on_revoke)
    c.poll_batch(1, timeout=0)
    ticker.now += 2
    c.unsubscribe()
    assert listener.events == [("assign", tps(A, 0, 1, 2)), ("revoke", tps(A, 0, 1, 2))]


def test_unsubscribe_and_close_leave_the_group_even_when_the_listener_raises(topic: EmbeddedBroker, make) -> None:
    def boom(partitions: list[TopicPartition]) -> None:
        raise RuntimeError("on_revoke failed")

    c1, c2 = make("c1"), make("c2")
    c1.subscribe([A], on_revoke=boom)
    c2.subscribe([A])
    settle(topic, "g", [c1, c2])
    with pytest.raises(RuntimeError, match="on_revoke failed"):
        c1.unsubscribe()
    assert c1.assignment() == [] and list(topic.describe_group("g").members) == [c2.group_metadata().member_id]
    settle(topic, "g", [c2])  # c2 need not wait for c1 (max.poll.interval.ms) to rebalance
    assert c2.assignment() == tps(A, 0, 1, 2)
    c1.subscribe([A], on_revoke=boom)  # and c1 may join again
    settle(topic, "g", [c1, c2])
    with pytest.raises(RuntimeError, match="on_revoke failed"):
        c1.close()
    settle(topic, "g", [c2])
    assert c2.assignment() == tps(A, 0, 1, 2)
    with pytest.raises(BrokerError, match="closed"):
        c1.poll_batch(1, timeout=0)


# -- auto.offset.reset=none and seeking -------------------------------------------------------------------------


def test_no_offset_error_names_every_partition_without_a_committed_offset(topic: EmbeddedBroker, make) -> None:
    assert NoOffsetForPartitionError is ErrorsNoOffset and InvalidOffsetError is BaseInvalidOffsetError
    for p in range(3):
        topic.produce(A, None, b"x", partition=p)
        topic.produce(A, None, b"p%d" % p, partition=p)
    setup = make("setup")
    setup.assign([TP1])
    setup.commit({TP1: 1})
    c = make("c1", auto_offset_reset="none")
    c.subscribe([A])
    with pytest.raises(NoOffsetForPartitionError) as info:
        c.poll_batch(10, timeout=0)
    error = info.value
    assert isinstance(error, InvalidOffsetError) and isinstance(error, BrokerError)
    assert error.partitions == [TP0, TP2]
    assert "no committed offset for topic-a-0, topic-a-2 in group 'g'" in str(error)
    assert c.position(TP1) == 1  # the committed one has its position
    with pytest.raises(NoOffsetForPartitionError):  # every poll raises until they are sought
        c.poll_batch(10, timeout=0)
    with pytest.raises(NoOffsetForPartitionError) as one:
        c.position(TP2)
    assert one.value.partitions == [TP2]
    c.seek_to_beginning([TP0])
    c.seek_to_end([TP2])  # per-partition policies, as StreamThread.resetOffsets does
    topic.produce(A, None, b"new", partition=2)
    got = c.poll_batch(10, timeout=0)
    assert sorted((r.partition, r.value) for r in got) == [(0, b"p0"), (0, b"x"), (1, b"p1"), (2, b"new")]


def test_seeking_inside_on_assign_resolves_the_partitions(topic: EmbeddedBroker, make) -> None:
    topic.produce_batch(A, [(None, b"old-%d" % i) for i in range(6)])
    c = make("c1", auto_offset_reset="none")
    seen_lag: list[int | None] = []

    def on_assign(partitions: list[TopicPartition]) -> None:
        seen_lag.append(c.lag(TP0))  # no position yet
        committed = c.committed(partitions)
        c.seek_to_end([tp for tp in partitions if tp.partition != 1 and committed[tp] is None])
        c.seek(TP1, 1)
        seen_lag.append(c.lag(TP0))

    c.subscribe([A], on_assign=on_assign)
    assert values(c.poll_batch(10, timeout=0)) == [b"old-4"]  # partition 1 holds old-1 and old-4
    assert seen_lag == [None, 0]


def test_seek_to_end_uses_the_last_stable_offset_under_read_committed(
    topic: EmbeddedBroker, supplier: MemoryClientSupplier, make
) -> None:
    topic.produce(A, None, b"committed", partition=0)
    producer = supplier.producer({"transactional.id": "t"})
    producer.init_transactions()
    producer.begin_transaction()
    producer.produce(A, None, b"open", partition=0)
    rc, ru = make("rc", None, isolation_level="read_committed"), make("ru", None)
    for c in (rc, ru):
        c.assign([TP0])
        c.seek_to_end([TP0])
    assert rc.position(TP0) == 1 and ru.position(TP0) == 2
    producer.commit_transaction()
    assert values(rc.poll_batch(10, timeout=0)) == [b"open"]
    with pytest.raises(BrokerError, match="not assigned"):
        rc.seek_to_end([TP0, TP1])
    assert rc.position(TP0) == 3  # nothing moved: the check comes first
    with pytest.raises(BrokerError, match="must be an int >= 0"):
        rc.seek(TP0, -1)


def test_a_consumer_without_group_and_reset_none_must_seek(topic: EmbeddedBroker, make) -> None:
    c = make("restore", None, auto_offset_reset="none")
    c.assign([TP0, TP1])
    with pytest.raises(NoOffsetForPartitionError, match=r"the consumer has no group\.id") as info:
        c.poll_batch(1, timeout=0)
    assert info.value.partitions == [TP0, TP1]
    c.seek_to_beginning([TP0, TP1])
    assert c.poll_batch(1, timeout=0) == []


def test_out_of_range_under_reset_none_raises_after_returning_the_records_already_fetched(
    topic: EmbeddedBroker, make
) -> None:
    topic.create_topic("b", partitions=1)
    tb = TopicPartition("b", 0)
    for i in range(3):
        topic.produce("b", None, b"b%d" % i)
    c = make("c1", None, auto_offset_reset="none")
    c.assign([tb, TP0])
    c.seek(tb, 3)
    c.seek(TP0, 0)
    topic.delete_topic("b")
    topic.create_topic("b", partitions=1)  # position 3 is beyond the new log's end
    topic.produce(A, None, b"a0", partition=0)
    assert values(c.poll_batch(10, timeout=0)) == [b"a0"]  # records of the other partitions are not lost
    with pytest.raises(OffsetOutOfRangeError, match=r"b-0 \(position 3\) are outside their logs") as info:
        c.poll_batch(10, timeout=0)
    assert info.value.partitions == [tb] and isinstance(info.value, InvalidOffsetError)
    with pytest.raises(OffsetOutOfRangeError):
        c.poll_batch(10, timeout=0)
    assert c.position(tb) == 3 and c.lag(tb) == 0
    c.seek_to_beginning([tb])
    topic.produce("b", None, b"new")
    assert values(c.poll_batch(10, timeout=0)) == [b"new"]


@pytest.mark.parametrize("reset", ["earliest", "latest"])
def test_out_of_range_with_a_reset_policy_still_resets(topic: EmbeddedBroker, make, reset: str) -> None:
    c = make("c1", None, auto_offset_reset=reset)
    c.assign([TP0])
    c.seek(TP0, 5)
    topic.produce(A, None, b"a0", partition=0)
    assert values(c.poll_batch(10, timeout=0)) == ([b"a0"] if reset == "earliest" else [])
    assert c.position(TP0) == 1


def test_pattern_subscription_with_reset_none(broker: EmbeddedBroker, make) -> None:
    broker.create_topic("in-1")
    c = make("c1", auto_offset_reset="none")
    c.subscribe(re.compile(r"in-\d"), on_assign=lambda parts: c.seek_to_beginning(parts))
    broker.produce("in-1", None, b"v")
    assert values(c.poll_batch(10, timeout=0)) == [b"v"]
    broker.create_topic("in-2")  # the new assignment is sought by the listener again
    broker.produce("in-2", None, b"w")
    assert values(c.poll_batch(10, timeout=0)) == [b"v", b"w"]  # eager: positions restart from the listener's
