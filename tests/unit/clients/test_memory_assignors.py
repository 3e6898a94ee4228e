"""Client-side partition assignors (``partition.assignment.strategy``) run by the group leader, as Kafka's
ConsumerPartitionAssignor / StreamsPartitionAssignor: inputs, leader choice, result checks, threads."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier, MemoryConsumer, range_assignor
from kstreams_nb.errors import BrokerError, ConfigError
from kstreams_nb.records import TopicPartition

from ._helpers import Ticker, read_as_a_group, settle, values

A, B = "topic-a", "topic-b"
Assignment = dict[str, list[TopicPartition]]


def tps(topic: str, *partitions: int) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in partitions]


def every_partition(partitions: Mapping[str, int]) -> list[TopicPartition]:
    return [TopicPartition(t, p) for t in sorted(partitions) for p in range(partitions[t])]


class Recorder:
    """An assignor that records its calls (and the calling thread) and delegates to ``decide``."""

    def __init__(self, decide: Callable[[dict[str, list[str]], dict[str, int], dict[str, Any]], Any]) -> None:
        self.decide = decide
        self.calls: list[tuple[dict[str, list[str]], dict[str, int], dict[str, Any]]] = []
        self.threads: list[str] = []

    def __call__(
        self, subscriptions: dict[str, list[str]], partitions: dict[str, int], metadata: dict[str, Any]
    ) -> Any:
        self.calls.append((subscriptions, partitions, metadata))
        self.threads.append(threading.current_thread().name)
        return self.decide(subscriptions, partitions, metadata)


def all_to_metadata(wanted: object) -> Recorder:
    """Every partition to the member whose ``member.metadata`` is ``wanted`` (not what range would do)."""

    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        chosen = next(m for m, value in md.items() if value == wanted)
        return {chosen: every_partition(parts)}

    return Recorder(decide)


@pytest.fixture
def make(supplier: MemoryClientSupplier, consumers: list[MemoryConsumer]) -> Callable[..., MemoryConsumer]:
    def make_consumer(
        client_id: str, topics: Sequence[str] | re.Pattern[str] | None = None, **config: object
    ) -> MemoryConsumer:
        c = supplier.consumer(
            {"group.id": "g", "client.id": client_id, **{k.replace("_", "."): v for k, v in config.items()}}
        )
        consumers.append(c)
        if topics is not None:
            c.subscribe(topics)
        return c

    return make_consumer


@pytest.fixture
def two_topics(broker: EmbeddedBroker) -> EmbeddedBroker:
    broker.create_topic(A, partitions=3)
    broker.create_topic(B, partitions=2)
    return broker


def test_the_leaders_assignor_gets_resolved_subscriptions_partition_counts_and_member_metadata(
    two_topics: EmbeddedBroker, make
) -> None:
    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        # Each member gets the topics only it subscribes to, the leader the rest (not what range would do).
        leader = next(iter(subs))
        out: Assignment = {m: [] for m in subs}
        for tp in every_partition(parts):
            takers = [m for m in subs if tp.topic in subs[m]]
            out[takers[0] if len(takers) == 1 else leader].append(tp)
        return out

    assignor = Recorder(decide)
    c1 = make("c1", [A], partition_assignment_strategy=assignor, member_metadata={"thread": 1})
    c2 = make("c2", re.compile(r"topic-.*"), partition_assignment_strategy=assignor, member_metadata=("pid", 2))
    c3 = make("c3", [A, "missing"], partition_assignment_strategy=assignor)
    settle(two_topics, "g", [c1, c2, c3])
    m1, m2, m3 = (c.group_metadata().member_id for c in (c1, c2, c3))
    subscriptions, partitions, metadata = assignor.calls[-1]
    # Patterns resolved, missing topics dropped; members in join order (leader first); subscribed topics only.
    assert list(subscriptions.items()) == [(m1, [A]), (m2, [A, B]), (m3, [A])]
    assert partitions == {A: 3, B: 2}
    assert metadata == {m1: {"thread": 1}, m2: ("pid", 2), m3: None}
    assert c1.assignment() == tps(A, 0, 1, 2) and c2.assignment() == tps(B, 0, 1) and c3.assignment() == []


def test_a_valid_custom_assignment_is_installed_and_picked_up_by_every_member(two_topics: EmbeddedBroker, make) -> None:
    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        # Unlike range: the member with metadata 1 gets every partition of A, the other every partition of B.
        by_md = {value: member for member, value in md.items()}
        return {by_md[1]: tps(A, 0, 1, 2), by_md[0]: tps(B, 0, 1)}

    assignor = Recorder(decide)
    events: list[tuple[str, list[TopicPartition]]] = []
    c1 = make("c1", partition_assignment_strategy=assignor, member_metadata=0)
    c1.subscribe([A, B], on_assign=lambda p: events.append(("c1", p)))
    c2 = make("c2", partition_assignment_strategy=assignor, member_metadata=1)
    c2.subscribe([A, B], on_assign=lambda p: events.append(("c2", p)))
    two_topics.produce(A, None, b"a", partition=2)
    two_topics.produce(B, None, b"b", partition=1)
    got = settle(two_topics, "g", [c1, c2])
    assert c1.assignment() == tps(B, 0, 1) and c2.assignment() == tps(A, 0, 1, 2)
    assert values(got[c1]) == [b"b"] and values(got[c2]) == [b"a"]
    assert events[-2:] in (
        [("c1", tps(B, 0, 1)), ("c2", tps(A, 0, 1, 2))],
        [("c2", tps(A, 0, 1, 2)), ("c1", tps(B, 0, 1))],
    )
    d = two_topics.describe_group("g")
    assert d.state == "Stable" and d.members[c2.group_metadata().member_id] == tps(A, 0, 1, 2)
    # Only the leader (the member that joined first) ran the assignor, in its own poll.
    assert two_topics.group("g").leader() == c1.group_metadata().member_id
    assert set(assignor.threads) == {threading.current_thread().name}


def test_the_leader_is_the_member_that_joined_first_and_its_assignor_is_used(two_topics: EmbeddedBroker, make) -> None:
    first, second = all_to_metadata("a"), all_to_metadata("b")
    c1 = make("c1", [A], partition_assignment_strategy=first, member_metadata="a")
    c2 = make("c2", [A], partition_assignment_strategy=second, member_metadata="b")
    settle(two_topics, "g", [c2, c1])  # polling order does not matter: joining order does
    assert first.calls and not second.calls
    assert c1.assignment() == tps(A, 0, 1, 2) and c2.assignment() == []
    c1.close()  # the leader leaves: c2 now leads and its assignor runs
    settle(two_topics, "g", [c2])
    assert second.calls and c2.assignment() == tps(A, 0, 1, 2)


def test_a_range_leader_ignores_a_followers_assignor(two_topics: EmbeddedBroker, make) -> None:
    follower = all_to_metadata("f")
    c1 = make("c1", [A], partition_assignment_strategy="range")
    c2 = make("c2", [A], partition_assignment_strategy=follower, member_metadata="f")
    settle(two_topics, "g", [c1, c2])
    assert not follower.calls
    assert c1.assignment() == tps(A, 0, 1) and c2.assignment() == tps(A, 2)


def test_range_assignor_as_a_callable_gives_what_the_built_in_default_gives(two_topics: EmbeddedBroker, make) -> None:
    c1 = make("c1", [A, B], partition_assignment_strategy=range_assignor)
    c2 = make("c2", [A, B], partition_assignment_strategy="org.apache.kafka.clients.consumer.RangeAssignor")
    settle(two_topics, "g", [c1, c2])
    assert sorted(c1.assignment()) == [*tps(A, 0, 1), *tps(B, 0)]
    assert sorted(c2.assignment()) == [*tps(A, 2), *tps(B, 1)]


def test_partition_assignment_strategy_must_be_range_or_callable(make) -> None:
    with pytest.raises(ConfigError, match=r"partition\.assignment\.strategy must be 'range' or a callable"):
        make("bad", partition_assignment_strategy="org.apache.kafka.clients.consumer.StickyAssignor")
    with pytest.raises(ConfigError, match=r"partition\.assignment\.strategy"):
        make("bad", partition_assignment_strategy=42)


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        (lambda m1, m2: {m1: tps(A, 0, 1)}, r"partition topic-a-2 is not assigned to any member"),
        (lambda m1, m2: {m1: tps(A, 0, 1, 2), m2: tps(A, 2)}, r"topic-a-2 is assigned more than once"),
        (lambda m1, m2: {m1: tps(A, 0, 1, 2), "ghost": []}, r"'ghost' is not a member of the group"),
        (lambda m1, m2: {m1: [*tps(A, 0, 1, 2), *tps(B, 0)]}, r"topic-b-0, which is not a partition of a subscribed"),
        (lambda m1, m2: {m1: [*tps(A, 0, 1), TopicPartition(A, 7)]}, r"topic-a-7, which is not a partition"),
        (lambda m1, m2: {m1: [(A, 0), (A, 1), (A, 2)]}, r"\('topic-a', 0\), which is not a TopicPartition"),
        (lambda m1, m2: [(m1, tps(A, 0, 1, 2))], r"must return a mapping of member id -> partitions, got list"),
        (lambda m1, m2: {m1: "topic-a"}, r"must be a list of TopicPartition"),
    ],
)
def test_an_invalid_assignment_raises_in_the_leaders_poll_only(
    two_topics: EmbeddedBroker, make, result: Callable[[str, str], object], problem: str
) -> None:
    broken = [True]

    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> object:
        m1, m2 = list(subs)
        return result(m1, m2) if broken[0] else {m1: tps(A, 0, 1, 2)}

    assignor = Recorder(decide)
    c1 = make("c1", [A], partition_assignment_strategy=assignor)
    c2 = make("c2", [A], partition_assignment_strategy=assignor)
    assert c2.poll_batch(10, timeout=0) == []  # the follower waits: no error for it
    with pytest.raises(BrokerError, match="returned an invalid assignment") as info:
        c1.poll_batch(10, timeout=0)
    assert re.search(problem, str(info.value)), str(info.value)
    assert "Recorder" in str(info.value) and "group 'g'" in str(info.value)
    d = two_topics.describe_group("g")
    assert d.state == "CompletingRebalance" and all(tp == [] for tp in d.members.values())
    assert c2.poll_batch(10, timeout=0) == []
    with pytest.raises(BrokerError, match="returned an invalid assignment"):  # every leader poll retries
        c1.poll_batch(10, timeout=0)
    broken[0] = False
    settle(two_topics, "g", [c1, c2])
    assert c1.assignment() == tps(A, 0, 1, 2) and c2.assignment() == []


def test_an_assignor_exception_propagates_from_the_leaders_poll_and_the_next_poll_retries(
    two_topics: EmbeddedBroker, make
) -> None:
    class TaskAssignmentError(Exception):
        pass

    failures = [1]

    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        if failures[0]:
            failures[0] -= 1
            raise TaskAssignmentError("boom")
        return {next(iter(subs)): every_partition(parts)}

    c1 = make("c1", [A], partition_assignment_strategy=Recorder(decide))
    with pytest.raises(TaskAssignmentError, match="boom"):
        c1.poll_batch(10, timeout=0)
    c1.poll_batch(10, timeout=0)
    assert c1.assignment() == tps(A, 0, 1, 2) and c1.group_metadata().generation == 1


def test_the_assignor_runs_outside_the_group_lock_and_may_change_topics(broker: EmbeddedBroker, make) -> None:
    """The assignor may call the broker (here: describe the group, create a topic). Creating a topic the group
    subscribes to while the leader assigns outdates the plan: the group rebalances and the assignor runs again."""
    broker.create_topic("in-1")
    seen_states: list[str] = []

    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        seen_states.append(broker.describe_group("g").state)  # takes the group lock: would deadlock under it
        if not broker.has_topic("in-2"):
            broker.create_topic("in-2")
        return {next(iter(subs)): every_partition(parts)}

    assignor = Recorder(decide)
    c = make("c1", re.compile(r"in-\d"), partition_assignment_strategy=assignor)
    c.poll_batch(10, timeout=0)
    assert [p for _, p, _ in assignor.calls] == [{"in-1": 1}, {"in-1": 1, "in-2": 1}]
    assert seen_states == ["CompletingRebalance", "CompletingRebalance"]
    assert c.assignment() == [*tps("in-1", 0), *tps("in-2", 0)] and c.group_metadata().generation == 2


def test_a_leader_that_stops_polling_is_replaced(two_topics: EmbeddedBroker, make, ticker: Ticker) -> None:
    """The leader's assignor fails and its thread stops polling: after max.poll.interval.ms the group drops it
    and the next member leads (its own assignor runs)."""

    def fail(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        raise RuntimeError("the leader's thread dies here")

    first, second = Recorder(fail), all_to_metadata(2)
    c1 = make("c1", [A], partition_assignment_strategy=first, member_metadata=1, max_poll_interval_ms=300_000)
    c2 = make("c2", [A], partition_assignment_strategy=second, member_metadata=2, max_poll_interval_ms=300_000)
    with pytest.raises(RuntimeError, match="dies here"):
        c1.poll_batch(10, timeout=0)
    assert c2.poll_batch(10, timeout=0) == []  # waiting for leader c1, which never polls again
    assert two_topics.describe_group("g").state == "CompletingRebalance"
    ticker.now += 301
    c2.poll_batch(10, timeout=0)  # c1 is removed; c2 rejoins alone, leads, and runs its own assignor
    assert len(first.calls) == 1 and second.calls
    assert c2.assignment() == tps(A, 0, 1, 2)
    assert list(two_topics.describe_group("g").members) == [c2.group_metadata().member_id]


@pytest.mark.timeout(60)
def test_followers_wait_on_a_condition_until_the_leader_assigns(two_topics: EmbeddedBroker, make) -> None:
    leader_may_poll = threading.Event()
    follower_got: list[list[bytes | None]] = []

    def decide(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        return {m: every_partition(parts) for m, value in md.items() if value == "follower"}

    assignor = Recorder(decide)
    leader = make("leader", [A], partition_assignment_strategy=assignor, member_metadata="leader")
    follower = make("follower", [A], partition_assignment_strategy=assignor, member_metadata="follower")
    two_topics.produce(A, None, b"x", partition=0)

    def follow() -> None:
        leader_may_poll.set()
        follower_got.append(values(follower.poll_batch(10, timeout=20)))  # wakes when the leader installs

    t = threading.Thread(target=follow, name="follower-thread")
    t.start()
    assert leader_may_poll.wait(10)
    leader.poll_batch(10, timeout=0)
    t.join(10)
    assert not t.is_alive() and follower_got == [[b"x"]]
    assert assignor.threads == ["MainThread"]


@pytest.mark.timeout(60)
def test_threaded_members_with_a_custom_assignor_read_everything_once(
    broker: EmbeddedBroker, supplier: MemoryClientSupplier
) -> None:
    """Three members in three threads, records produced meanwhile; the assignor deals partition p to the member
    whose metadata is p % 3 (the first member while that one has not joined). Committing after each batch, as
    the engine does, every record is read exactly once across the rebalances."""
    broker.create_topic("in", partitions=6)
    total = 1500

    def deal(subs: dict[str, list[str]], parts: dict[str, int], md: dict[str, Any]) -> Assignment:
        by_index = {value: member for member, value in md.items()}
        out: Assignment = {member: [] for member in subs}
        for p in range(parts.get("in", 0)):
            out[by_index.get(p % 3, next(iter(subs)))].append(TopicPartition("in", p))
        return out

    assignor = Recorder(deal)
    configs = [{"partition.assignment.strategy": assignor, "member.metadata": i} for i in range(3)]
    seen = read_as_a_group(supplier, configs, total)
    assert sorted(seen, key=lambda v: int(v or b"0")) == [b"%d" % i for i in range(total)]
    assert assignor.calls and set(assignor.threads) <= {"member-0", "member-1", "member-2"}
