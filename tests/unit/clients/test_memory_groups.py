"""Consumer groups on the embedded broker: generations, eager rebalances, range assignment, committed offsets."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from kstreams_nb.clients.memory import CommitFailedError, EmbeddedBroker, MemoryClientSupplier, MemoryConsumer
from kstreams_nb.clients.memory.assignor import range_assign
from kstreams_nb.errors import BrokerError, ConfigError
from kstreams_nb.records import TopicPartition

from ._helpers import Ticker, settle, values

A, B = "topic-a", "topic-b"


def tps(topic: str, *partitions: int) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in partitions]


class Listener:
    """Records rebalance callbacks as ("assign" | "revoke", partitions)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, list[TopicPartition]]] = []

    def on_assign(self, partitions: list[TopicPartition]) -> None:
        self.events.append(("assign", sorted(partitions, key=lambda tp: (tp.topic, tp.partition))))

    def on_revoke(self, partitions: list[TopicPartition]) -> None:
        self.events.append(("revoke", sorted(partitions, key=lambda tp: (tp.topic, tp.partition))))


@pytest.fixture
def make(
    supplier: MemoryClientSupplier, consumers: list[MemoryConsumer]
) -> Callable[..., tuple[MemoryConsumer, Listener]]:
    def make_consumer(client_id: str, topics: list[str] | re.Pattern[str] | None = None, **config: object):
        c = supplier.consumer(
            {"group.id": "g", "client.id": client_id, **{k.replace("_", "."): v for k, v in config.items()}}
        )
        consumers.append(c)
        listener = Listener()
        if topics is not None:
            c.subscribe(topics, on_assign=listener.on_assign, on_revoke=listener.on_revoke)
        return c, listener

    return make_consumer


@pytest.fixture
def two_topics(broker: EmbeddedBroker) -> EmbeddedBroker:
    broker.create_topic(A, partitions=3)
    broker.create_topic(B, partitions=4)
    return broker


# -- the range assignor (cases of Kafka's RangeAssignorTest) -----------------------------------------------------


def test_range_assignor_kafka_cases() -> None:
    # testOneConsumerOneTopic / testTwoConsumersOneTopicThreePartitions
    assert range_assign({"c": {"t"}}, {"t": 3}) == {"c": tps("t", 0, 1, 2)}
    assert range_assign({"c0": {"t"}, "c1": {"t"}}, {"t": 3}) == {"c0": tps("t", 0, 1), "c1": tps("t", 2)}
    # testOnlyAssignsPartitionsFromSubscribedTopics / testOneConsumerNonexistentTopic
    assert range_assign({"c": {"t"}}, {"t": 3, "other": 3}) == {"c": tps("t", 0, 1, 2)}
    assert range_assign({"c": {"missing"}}, {}) == {"c": []}
    # testMultipleConsumersMixedTopics
    assert range_assign(
        {"consumer1": {"topic1"}, "consumer2": {"topic1", "topic2"}, "consumer3": {"topic1"}},
        {"topic1": 3, "topic2": 2},
    ) == {
        "consumer1": tps("topic1", 0),
        "consumer2": [*tps("topic1", 1), *tps("topic2", 0, 1)],
        "consumer3": tps("topic1", 2),
    }
    # testTwoConsumersTwoTopicsSixPartitions
    assert range_assign({"c0": {"t1", "t2"}, "c1": {"t1", "t2"}}, {"t1": 3, "t2": 3}) == {
        "c0": [*tps("t1", 0, 1), *tps("t2", 0, 1)],
        "c1": [*tps("t1", 2), *tps("t2", 2)],
    }
    # more members than partitions: the last ones get nothing
    assert range_assign({"a": {"t"}, "b": {"t"}, "c": {"t"}}, {"t": 2}) == {"a": tps("t", 0), "b": tps("t", 1), "c": []}


# -- joining and leaving ----------------------------------------------------------------------------------------


def test_single_member_gets_every_partition_in_generation_1(two_topics: EmbeddedBroker, make) -> None:
    c1, l1 = make("c1", [A, B])
    assert c1.poll_batch(10, timeout=0) == []
    assert l1.events == [("assign", [*tps(A, 0, 1, 2), *tps(B, 0, 1, 2, 3)])]
    meta = c1.group_metadata()
    assert (meta.group_id, meta.generation) == ("g", 1) and meta.member_id.startswith("c1-")
    assert two_topics.describe_group("g").generation == 1


def test_exact_range_assignments_as_members_join_and_leave(two_topics: EmbeddedBroker, make) -> None:
    c2, l2 = make("c2", [A, B])  # joins first; assignment still follows member id order
    settle(two_topics, "g", [c2])
    c1, l1 = make("c1", [A, B])
    # c2 revokes during ITS next poll, not when c1 joins.
    assert l2.events == [("assign", [*tps(A, 0, 1, 2), *tps(B, 0, 1, 2, 3)])]
    settle(two_topics, "g", [c1, c2])
    assert l2.events[1] == ("revoke", [*tps(A, 0, 1, 2), *tps(B, 0, 1, 2, 3)])
    assert sorted(c1.assignment(), key=str) == [*tps(A, 0, 1), *tps(B, 0, 1)]
    assert sorted(c2.assignment(), key=str) == [*tps(A, 2), *tps(B, 2, 3)]
    assert l1.events == [("assign", [*tps(A, 0, 1), *tps(B, 0, 1)])]
    assert two_topics.describe_group("g").generation == 2

    c3, _ = make("c3", [A, B])
    settle(two_topics, "g", [c1, c2, c3])
    assert two_topics.describe_group("g").generation == 3
    assert [sorted(c.assignment(), key=str) for c in (c1, c2, c3)] == [
        [*tps(A, 0), *tps(B, 0, 1)],
        [*tps(A, 1), *tps(B, 2)],
        [*tps(A, 2), *tps(B, 3)],
    ]
    assert l1.events[-2:] == [("revoke", [*tps(A, 0, 1), *tps(B, 0, 1)]), ("assign", [*tps(A, 0), *tps(B, 0, 1)])]

    c2.close()  # leaving triggers a rebalance; close revokes c2's partitions first
    assert l2.events[-1] == ("revoke", [*tps(A, 1), *tps(B, 2)])
    settle(two_topics, "g", [c1, c3])
    assert two_topics.describe_group("g").generation == 4
    assert sorted(c1.assignment(), key=str) == [*tps(A, 0, 1), *tps(B, 0, 1)]
    assert sorted(c3.assignment(), key=str) == [*tps(A, 2), *tps(B, 2, 3)]
    assert list(two_topics.describe_group("g").members) == sorted(
        [c1.group_metadata().member_id, c3.group_metadata().member_id]
    )


def test_members_with_different_subscriptions(two_topics: EmbeddedBroker, make) -> None:
    c1, _ = make("c1", [A])
    c2, _ = make("c2", [A, B])
    settle(two_topics, "g", [c1, c2])
    assert sorted(c1.assignment(), key=str) == tps(A, 0, 1)
    assert sorted(c2.assignment(), key=str) == [*tps(A, 2), *tps(B, 0, 1, 2, 3)]


def test_a_member_that_stops_polling_is_removed(two_topics: EmbeddedBroker, make, ticker: Ticker) -> None:
    c1, _ = make("c1", [A], max_poll_interval_ms=300_000)
    c2, l2 = make("c2", [A], max_poll_interval_ms=300_000)
    settle(two_topics, "g", [c1, c2])
    old = c2.group_metadata()
    ticker.now += 200
    c1.poll_batch(10, timeout=0)
    ticker.now += 200  # c2 has not polled for 400 s > max.poll.interval.ms; c1 polled 200 s ago
    c1.poll_batch(10, timeout=0)
    d = two_topics.describe_group("g")
    assert d.generation == old.generation + 1 and list(d.members) == [c1.group_metadata().member_id]
    assert sorted(c1.assignment(), key=str) == tps(A, 0, 1, 2)
    with pytest.raises(CommitFailedError, match="no longer in group 'g'"):
        c2.commit({TopicPartition(A, 2): 0})
    # Its next poll finds it was removed: it gives up its partitions and rejoins as a new member.
    c2.poll_batch(10, timeout=0)
    assert l2.events[-1] == ("revoke", tps(A, 2))
    assert c2.group_metadata().member_id != old.member_id
    settle(two_topics, "g", [c1, c2])
    assert sorted(c2.assignment(), key=str) == tps(A, 2)


def test_commits_need_the_current_generation(two_topics: EmbeddedBroker, make) -> None:
    c1, _ = make("c1", [A])
    settle(two_topics, "g", [c1])
    gen1 = c1.group_metadata()
    c2, _ = make("c2", [A])
    c2.poll_batch(10, timeout=0)  # c2 waits for c1 to rejoin: the group is preparing a rebalance
    c1.commit({TopicPartition(A, 0): 1})  # accepted: generation 1 is still current (eager revoke commits work)
    settle(two_topics, "g", [c1, c2])
    assert c1.group_metadata().generation == 2
    group = two_topics.group("g")
    with pytest.raises(CommitFailedError, match="generation 1 of group 'g' is stale"):
        group.commit({TopicPartition(A, 0): 2}, gen1.generation, gen1.member_id)
    c1.commit({TopicPartition(A, 0): 2})
    assert two_topics.committed("g", TopicPartition(A, 0)) == 2


def test_topic_deletion_rebalances(two_topics: EmbeddedBroker, make) -> None:
    c1, listener = make("c1", [A, B])
    settle(two_topics, "g", [c1])
    two_topics.delete_topic(B)
    settle(two_topics, "g", [c1])
    assert sorted(c1.assignment(), key=str) == tps(A, 0, 1, 2)
    assert listener.events[-1] == ("assign", tps(A, 0, 1, 2))


# -- positions and offsets --------------------------------------------------------------------------------------


def test_on_assign_runs_before_records_are_returned(broker: EmbeddedBroker, make) -> None:
    broker.create_topic(A)
    broker.produce(A, None, b"r0")
    events: list[object] = []
    c, _ = make("c1")
    c.subscribe([A], on_assign=lambda parts: events.append(("assign", c.position(parts[0]))))
    events.extend(values(c.poll_batch(10, timeout=0)))
    assert events == [("assign", 0), b"r0"]


def test_restart_from_committed_offsets(broker: EmbeddedBroker, make) -> None:
    broker.create_topic(A, partitions=2)
    for i in range(6):
        broker.produce(A, None, b"%d" % i, partition=i % 2)
    c1, _ = make("c1", [A])
    got = c1.poll_batch(100, timeout=0)
    assert sorted(values(got)) == [b"0", b"1", b"2", b"3", b"4", b"5"]
    c1.commit({TopicPartition(A, 0): 2, TopicPartition(A, 1): 1})
    assert c1.committed(tps(A, 0, 1)) == {TopicPartition(A, 0): 2, TopicPartition(A, 1): 1}
    c1.close()
    c2, _ = make("c2", [A])
    assert sorted(values(c2.poll_batch(100, timeout=0))) == [b"3", b"4", b"5"]


def test_poll_is_round_robin_across_partitions_in_offset_order(broker: EmbeddedBroker, make) -> None:
    broker.create_topic(A, partitions=2)
    broker.produce_batch(A, [(None, b"%d" % i) for i in range(20)])
    c, _ = make("c1", [A])
    first = c.poll_batch(4, timeout=0)
    assert sorted((r.partition, r.offset) for r in first) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    seen = list(first)
    while batch := c.poll_batch(5, timeout=0):
        assert len(batch) <= 5
        seen.extend(batch)
    for p in (0, 1):
        assert [r.offset for r in seen if r.partition == p] == list(range(10))


@pytest.mark.parametrize(("reset", "first_poll"), [("earliest", [b"old"]), ("latest", [])])
def test_auto_offset_reset(broker: EmbeddedBroker, make, reset: str, first_poll: list[bytes]) -> None:
    broker.create_topic(A)
    broker.produce(A, None, b"old")
    c, _ = make("c1", [A], auto_offset_reset=reset)
    assert values(c.poll_batch(10, timeout=0)) == first_poll
    broker.produce(A, None, b"new")
    assert values(c.poll_batch(10, timeout=0)) == [b"new"]


def test_auto_offset_reset_none_raises(broker: EmbeddedBroker, make) -> None:
    broker.create_topic(A)
    c, _ = make("c1", [A], auto_offset_reset="none")
    with pytest.raises(BrokerError, match="no committed offset for topic-a-0"):
        c.poll_batch(10, timeout=0)
    with pytest.raises(ConfigError, match=r"auto\.offset\.reset"):
        make("c2", auto_offset_reset="smallest")


# -- pattern subscriptions --------------------------------------------------------------------------------------


def test_pattern_subscription_picks_up_topics_created_later(broker: EmbeddedBroker, make) -> None:
    broker.create_topic("in-a")
    broker.create_topic("other")
    c, listener = make("c1", re.compile(r"in-.*"))
    c.poll_batch(10, timeout=0)
    assert listener.events == [("assign", tps("in-a", 0))]
    broker.create_topic("in-b", partitions=2)
    broker.produce("in-b", None, b"hello", partition=1)
    assert values(c.poll_batch(10, timeout=0)) == [b"hello"]
    assert listener.events[1:] == [("revoke", tps("in-a", 0)), ("assign", [*tps("in-a", 0), *tps("in-b", 0, 1)])]
    assert c.group_metadata().generation == 2
    broker.create_topic("not-in")  # "in-.*" must match the whole name
    c.poll_batch(10, timeout=0)
    assert c.group_metadata().generation == 2


def test_named_subscription_to_a_topic_created_later(broker: EmbeddedBroker, make) -> None:
    c, listener = make("c1", [A])
    c.poll_batch(10, timeout=0)
    assert listener.events == [("assign", [])]
    broker.create_topic(A)
    broker.produce(A, None, b"v")
    assert values(c.poll_batch(10, timeout=0)) == [b"v"]


# -- standalone consumers and misuse ----------------------------------------------------------------------------


def test_assign_seek_position_and_end_offsets(broker: EmbeddedBroker, supplier: MemoryClientSupplier, make) -> None:
    broker.create_topic(A, partitions=2)
    broker.produce_batch(A, [(None, b"%d" % i) for i in range(6)])
    restore = supplier.restore_consumer({"group.id": "ignored", "client.id": "restore"})
    tp0, tp1 = tps(A, 0, 1)
    restore.assign([tp0])
    assert restore.assignment() == [tp0] and restore.position(tp0) == 0
    restore.seek(tp0, 2)
    assert [r.offset for r in restore.poll_batch(10, timeout=0)] == [2]
    assert restore.position(tp0) == 3
    assert restore.end_offsets([tp0, tp1]) == {tp0: 3, tp1: 3}
    restore.seek_to_beginning([tp0])
    assert len(restore.poll_batch(10, timeout=0)) == 3
    with pytest.raises(BrokerError, match="not assigned"):
        restore.seek(tp1, 0)
    with pytest.raises(BrokerError, match=r"no group\.id"):
        restore.commit({tp0: 1})
    restore.close()

    standalone, _ = make("standalone")
    standalone.assign([tp0])
    standalone.commit({tp0: 3})  # allowed: the group has no members
    member, _ = make("member", [A])
    member.poll_batch(1, timeout=0)
    with pytest.raises(CommitFailedError, match="active members"):
        standalone.commit({tp0: 4})
    assert broker.committed("g", tp0) == 3


def test_subscribe_and_assign_cannot_be_mixed(broker: EmbeddedBroker, supplier: MemoryClientSupplier, make) -> None:
    broker.create_topic(A)
    c, _ = make("c1", [A])
    with pytest.raises(BrokerError, match="unsubscribe"):
        c.assign(tps(A, 0))
    c.unsubscribe()
    c.assign(tps(A, 0))
    with pytest.raises(BrokerError, match="unsubscribe"):
        c.subscribe([A])
    with pytest.raises(BrokerError, match=r"no group\.id"):
        supplier.consumer({}).subscribe([A])
    c.close()
    c.close()  # idempotent
    with pytest.raises(BrokerError, match="closed"):
        c.poll_batch(1, timeout=0)


def test_unsubscribe_revokes_and_leaves(broker: EmbeddedBroker, make) -> None:
    broker.create_topic(A)
    c, listener = make("c1", [A])
    c.poll_batch(1, timeout=0)
    c.unsubscribe()
    assert listener.events == [("assign", tps(A, 0)), ("revoke", tps(A, 0))]
    assert c.assignment() == [] and broker.describe_group("g").state == "Empty"


def test_assigned_topic_created_later_and_poll_without_assignment(
    broker: EmbeddedBroker, supplier: MemoryClientSupplier
) -> None:
    c = supplier.consumer({})
    with pytest.raises(BrokerError, match="not subscribed"):
        c.poll_batch(1, timeout=0)
    c.assign(tps("later", 0))
    assert c.poll_batch(1, timeout=0) == []
    broker.create_topic("later")
    broker.produce("later", None, b"v")
    assert values(c.poll_batch(1, timeout=0)) == [b"v"]
    broker.delete_topic("later")
    broker.create_topic("later")
    broker.produce("later", None, b"w")
    broker.produce("later", None, b"x")
    assert values(c.poll_batch(5, timeout=0)) == [b"x"]  # position 1 is still in range of the new log
    c.close()
