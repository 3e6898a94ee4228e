"""Exactly-once v2 on the embedded broker: a DSL count whose read_committed output holds every update exactly once
through processor failures (the thread replaced), abrupt thread crashes (the test hook) and a zombie instance."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kstreams_nb import TopologyTestDriver
from kstreams_nb._engine import thread as thread_module
from kstreams_nb._engine.thread import StreamThread, ThreadCrash
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryConsumer, MemoryProducer
from kstreams_nb.dsl import Consumed, Grouped, Produced, StreamsBuilder
from kstreams_nb.errors import ProducerFencedError
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams

from ._support import L, S, fresh_broker, start_running, wait_until

KEYS = 100


def _count_topology(after_count: Callable[[Any, Any], None] | None = None) -> Any:
    """in (string, string) -> group_by_key().count() -> [after_count] -> out (string, long)."""
    b = StreamsBuilder()
    counts = b.stream("in", Consumed.with_(S, S)).group_by_key().count().to_stream()
    if after_count is not None:
        counts = counts.peek(after_count)
    counts.to("out", Produced.with_(S, L))
    return b.build()


def _eos_config(name: str, threads: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "application.id": "eos-app",
        "bootstrap.servers": f"memory://{name}",
        "processing.guarantee": "exactly_once_v2",
        "num.stream.threads": threads,
        "statestore.cache.max.bytes": 0,  # every update reaches the output, so the check is record by record
        **extra,
    }


def _produce_input(b: EmbeddedBroker, n: int, start: int = 0) -> Counter[str]:
    """``n`` records over KEYS keys; returns how many each key got."""
    b.produce_batch(
        "in", [(S.serialize("in", f"k{i % KEYS}"), S.serialize("in", f"v{i}")) for i in range(start, start + n)]
    )
    return Counter(f"k{i % KEYS}" for i in range(start, start + n))


def _updates(b: EmbeddedBroker, isolation: str = "read_committed") -> list[tuple[str, int]]:
    return [(S.deserialize("out", r.key), L.deserialize("out", r.value)) for r in b.read("out", isolation=isolation)]


def _assert_exactly_once(b: EmbeddedBroker, expected: Counter[str]) -> None:
    """For each key, the committed counts are exactly 1..n, in order: no gap, no duplicate."""
    per_key: dict[str, list[int]] = {}
    for key, count in _updates(b):
        per_key.setdefault(key, []).append(count)
    for key, n in expected.items():
        assert per_key.get(key) == list(range(1, n + 1)), f"{key}: {per_key.get(key, [])[:20]}... (expected 1..{n})"
    assert set(per_key) == set(expected)


def _all_committed(b: EmbeddedBroker, expected: Counter[str]) -> Callable[[], bool]:
    total = sum(expected.values())
    return lambda: len(b.read("out")) >= total


def _input_committed(b: EmbeddedBroker) -> Callable[[], bool]:
    """The group's committed offsets reached the end of the input."""
    return lambda: all(b.committed("eos-app", TopicPartition("in", p)) == end for p, end in b.end_offsets("in").items())


@pytest.fixture
def eos_broker() -> Iterator[tuple[str, EmbeddedBroker]]:
    name, b = fresh_broker()
    b.create_topic("in", 3)
    b.create_topic("out", 3)
    yield name, b
    EmbeddedBroker.drop(name)


@pytest.fixture
def crash_hook() -> Iterator[Callable[[Callable[[StreamThread], None]], None]]:
    """Install a stream-thread crash hook for one test."""

    def install(hook: Callable[[StreamThread], None]) -> None:
        thread_module.crash_hook = hook

    yield install
    thread_module.crash_hook = None


@pytest.mark.parametrize("threads", [1, 3])
def test_eos_count_agrees_with_the_driver(eos_broker: tuple[str, EmbeddedBroker], threads: int) -> None:
    name, b = eos_broker
    expected = _produce_input(b, 3_000)
    with KafkaStreams(_count_topology(), _eos_config(name, threads)) as streams:
        start_running(streams)
        assert wait_until(_all_committed(b, expected), timeout=60), streams.state()
    _assert_exactly_once(b, expected)
    with TopologyTestDriver(_count_topology(), {"application.id": "eos-app"}) as driver:
        topic = driver.create_input_topic("in", S, S)
        for i in range(3_000):
            topic.pipe_input(f"k{i % KEYS}", f"v{i}", 0)
        from_driver = dict(driver.create_output_topic("out", S, L).read_key_values_to_map())
    assert dict(_updates(b)) == from_driver
    # offsets and output were committed together: the group's offsets cover the whole input
    assert _input_committed(b)()


def test_eos_through_a_repartition_topic_is_fully_consumed(eos_broker: tuple[str, EmbeddedBroker]) -> None:
    """A repartition topic written in transactions ends with commit markers; the commit steps over them (the
    consumer's position), so wait_until_processed sees the application caught up and returns True."""
    name, b = eos_broker
    expected = _produce_input(b, 2_000)
    builder = StreamsBuilder()
    (
        builder.stream("in", Consumed.with_(S, S))
        .group_by(lambda k, v: k, Grouped.with_(S, S))
        .count()
        .to_stream()
        .to("out", Produced.with_(S, L))
    )
    with KafkaStreams(builder.build(), _eos_config(name, threads=2)) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=60)
        assert wait_until(_all_committed(b, expected), timeout=30)
        repartition = next(t for t in b.topics() if t.endswith("-repartition"))
        # markers sit behind the last record, so the committed offsets equal the end offsets only past them
        assert all(
            b.committed("eos-app", TopicPartition(repartition, p)) == end
            for p, end in b.end_offsets(repartition).items()
        )
    _assert_exactly_once(b, expected)


class _Injector:
    """Fails the run at chosen points: processor exceptions (thread replaced) and crashes through the hook."""

    def __init__(self, raise_at: set[int], crash_at: set[int]) -> None:
        self.lock = threading.Lock()
        self.seen = 0
        self.raise_at, self.crash_at = raise_at, crash_at
        self.crash_armed = False
        self.raised = 0
        self.crashed: list[StreamThread] = []

    def after_count(self, key: Any, value: Any) -> None:
        """Runs after count() updated its store and wrote the changelog, so the transaction is not empty."""
        with self.lock:
            self.seen += 1
            if self.seen in self.crash_at:
                self.crash_armed = True
            if self.seen not in self.raise_at:
                return
            self.raised += 1
        producer = threading.current_thread().producer  # type: ignore[attr-defined]
        assert producer.in_transaction
        raise RuntimeError(f"injected failure after {self.seen} updates")

    def hook(self, thread: StreamThread) -> None:
        with self.lock:
            if not (self.crash_armed and thread.producer.in_transaction):
                return
            self.crash_armed = False
            self.crashed.append(thread)
        raise ThreadCrash(f"{thread.name} stopped by the test")


@pytest.mark.timeout(240)
def test_eos_count_is_exact_through_failures_and_crashes(
    eos_broker: tuple[str, EmbeddedBroker], crash_hook: Callable[[Callable[[StreamThread], None]], None]
) -> None:
    """50k records, 2 threads: two processor exceptions mid-transaction (REPLACE_THREAD) and two crashes through
    the hook (REPLACE_THREAD as well: the replacement has the crashed thread's index, hence its transactional.id,
    and its init_transactions aborts what the crashed producer left open; the crashed consumer leaves the group
    when it has not polled for max.poll.interval.ms)."""
    name, b = eos_broker
    n = 50_000
    expected = _produce_input(b, n)
    injector = _Injector(raise_at={6_000, 28_000}, crash_at={16_000, 38_000})
    crash_hook(injector.hook)
    config = _eos_config(name, threads=2, **{"max.poll.interval.ms": 1_500})
    with KafkaStreams(_count_topology(injector.after_count), config) as streams:
        streams.set_uncaught_exception_handler(lambda e: "REPLACE_THREAD")
        streams.start()
        assert wait_until(_all_committed(b, expected), timeout=180), (streams.state(), injector.seen)
        assert injector.raised == 2 and len(injector.crashed) == 2
        # the crashed producer is a zombie: its transactional.id now belongs to the replacement (a newer epoch)
        zombie = injector.crashed[0].producer.client
        with pytest.raises(ProducerFencedError):
            zombie.commit_transaction()
    _assert_exactly_once(b, expected)
    uncommitted = _updates(b, isolation="read_uncommitted")
    assert len(uncommitted) > len(_updates(b))
    duplicated = [u for u, times in Counter(uncommitted).items() if times > 1]
    assert duplicated, "aborted transactions left no duplicate counts in the log"


@pytest.mark.timeout(120)
def test_a_zombie_instance_cannot_commit(
    eos_broker: tuple[str, EmbeddedBroker], caplog: pytest.LogCaptureFixture
) -> None:
    """Instance A stalls inside a processor with a transaction open, is dropped from the group (it did not poll
    within max.poll.interval.ms) and B takes every task over. When A wakes up, its commit is rejected (stale
    member, KIP-447), its transaction aborted, and none of what it produced becomes visible."""
    name, b = eos_broker
    expected = _produce_input(b, 2_000)
    stalled, release = threading.Event(), threading.Event()
    seen = [0]

    def stall_once(key: Any, value: Any) -> None:
        seen[0] += 1
        if seen[0] == 500:
            stalled.set()
            release.wait(60)

    zombie_config = _eos_config(name, **{"max.poll.interval.ms": 500, "client.id": "zombie"})
    with KafkaStreams(_count_topology(stall_once), zombie_config) as zombie:
        start_running(zombie)
        assert stalled.wait(30)
        with KafkaStreams(_count_topology(), _eos_config(name, **{"client.id": "healthy"})) as healthy:
            start_running(healthy)
            assert wait_until(lambda: sum(map(len, healthy.local_tasks().values())) == 3, timeout=30)
            assert wait_until(_input_committed(b), timeout=60)
            producer = zombie._threads[0].producer
            assert producer.in_transaction and producer.aborted == 0
            release.set()  # the zombie finishes its records and tries to commit
            assert wait_until(lambda: producer.aborted >= 1, timeout=30)
            assert any("transactional offset commit rejected" in r.getMessage() for r in caplog.records)
            _assert_exactly_once(b, expected)
            more = _produce_input(b, 1_000, start=2_000)
            expected.update(more)
            assert wait_until(_all_committed(b, expected), timeout=60)
    _assert_exactly_once(b, expected)
    assert len(_updates(b, isolation="read_uncommitted")) > len(_updates(b))


def test_a_fenced_thread_closes_its_tasks_dirty_and_rejoins(eos_broker: tuple[str, EmbeddedBroker]) -> None:
    """Another producer takes the thread's transactional.id mid-transaction: the thread's next send is refused
    (ProducerFencedError), so it drops its tasks, gets a new producer (a newer epoch) and rejoins; the state is
    restored from the committed changelog and the output stays exact."""
    name, b = eos_broker
    expected = _produce_input(b, 3_000)
    fenced = threading.Event()
    seen = [0]

    def fence_once(key: Any, value: Any) -> None:
        seen[0] += 1
        if seen[0] == 500:
            thread = threading.current_thread()
            assert isinstance(thread, StreamThread) and thread.producer.in_transaction
            MemoryProducer(b, {"transactional.id": thread.transactional_id}).init_transactions()
            fenced.set()

    with KafkaStreams(_count_topology(fence_once), _eos_config(name)) as streams:
        start_running(streams)
        assert wait_until(_all_committed(b, expected), timeout=60), streams.state()
        thread = streams._threads[0]
        assert fenced.is_set() and thread.error is None and thread.producer.aborted == 1
    _assert_exactly_once(b, expected)


def test_an_abandoned_transaction_times_out() -> None:
    """A crashed producer whose transactional.id nobody reuses holds back read_committed readers only until
    transaction.timeout.ms; then the coordinator aborts it and fences the producer."""
    now = [0.0]
    b = EmbeddedBroker(ticker=lambda: now[0])
    b.create_topic("out")
    crashed = MemoryProducer(b, {"transactional.id": "gone-1", "transaction.timeout.ms": 1_000})
    crashed.init_transactions()
    crashed.begin_transaction()
    crashed.produce("out", b"k", b"lost", partition=0)
    b.produce("out", b"k", b"later", partition=0)
    reader = MemoryConsumer(b, {"isolation.level": "read_committed"})
    tp = TopicPartition("out", 0)
    reader.assign([tp])
    assert reader.poll_batch(10, 0.0) == []  # the open transaction holds the last stable offset back
    now[0] = 0.9
    assert reader.poll_batch(10, 0.0) == []
    now[0] = 1.1
    assert [r.value for r in reader.poll_batch(10, 0.0)] == [b"later"]
    with pytest.raises(ProducerFencedError):
        crashed.commit_transaction()
    assert [r.value for r in b.read("out", isolation="read_uncommitted")] == [b"lost", b"later"]
    reader.close()
