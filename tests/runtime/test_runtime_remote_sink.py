"""Sinks that write to another cluster (``cluster.<name>.*`` config, ``Produced(cluster=...)``,
``add_sink(..., cluster=...)``) on two embedded brokers: records reach both clusters; under exactly_once_v2 the
application's output is transactional and the other cluster's is plain (at-least-once); a crash repeats records
there but loses none; a missing cluster or topic stops ``start()``; secrets under ``cluster.`` stay masked."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from kstreams_nb import Topology, TopologyTestDriver
from kstreams_nb._engine import thread as thread_module
from kstreams_nb._engine.processor_topology import compile_topology
from kstreams_nb._engine.producer import StreamsProducer
from kstreams_nb._engine.remote_sinks import RemoteSinks
from kstreams_nb._engine.thread import StreamThread, ThreadCrash
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier, MemoryProducer
from kstreams_nb.config import StreamsConfig
from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder
from kstreams_nb.errors import ConfigError, TopologyError
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams

from ._support import S, fresh_broker, start_running, wait_until

N = 300


@pytest.fixture
def clusters() -> Iterator[tuple[str, EmbeddedBroker, str, EmbeddedBroker]]:
    """The application's cluster (topics "in" and "out", 3 partitions) and another one (topic "archive")."""
    main_name, main = fresh_broker()
    other_name, other = fresh_broker()
    main.create_topic("in", 3)
    main.create_topic("out", 3)
    other.create_topic("archive", 2)
    yield main_name, main, other_name, other
    EmbeddedBroker.drop(main_name)
    EmbeddedBroker.drop(other_name)


def _config(main: str, other: str | None, **extra: Any) -> dict[str, Any]:
    config = {"application.id": "remote-app", "bootstrap.servers": f"memory://{main}", "commit.interval.ms": 0,
              **extra}
    if other is not None:
        config["cluster.other.bootstrap.servers"] = f"memory://{other}"
    return config


def _dsl_topology(after: Callable[[Any, Any], None] | None = None) -> Topology:
    """in -> upper-case values -> out (this cluster) and archive (cluster "other") [-> peek(after)]."""
    b = StreamsBuilder()
    upper = b.stream("in", Consumed.with_(S, S)).map_values(str.upper)
    upper.to("out", Produced.with_(S, S))
    upper.to("archive", Produced.with_(S, S).with_cluster("other"))
    if after is not None:
        upper.peek(after)
    return b.build()


def _produce(b: EmbeddedBroker, n: int) -> None:
    b.produce_batch("in", [(S.serialize("in", f"k{i % 7}"), S.serialize("in", f"v{i}")) for i in range(n)])


def _values(b: EmbeddedBroker, topic: str, isolation: str = "read_committed") -> list[str]:
    return [S.deserialize(topic, r.value) for r in b.read(topic, isolation=isolation)]


def _expected(n: int) -> Counter[str]:
    return Counter(f"V{i}" for i in range(n))


def test_a_stream_writes_to_its_cluster_and_to_another(
    clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker],
) -> None:
    main_name, main, other_name, other = clusters
    _produce(main, N)
    with KafkaStreams(_dsl_topology(), _config(main_name, other_name, **{"num.stream.threads": 2})) as streams:
        start_running(streams)
        assert streams.wait_until_processed(timeout=30)
        assert wait_until(lambda: len(other.read("archive")) >= N)
        remotes = [t.producer.remote_sinks for t in streams._threads]
        assert all(r is not None and list(r.producers) == ["other"] for r in remotes)
    assert all(r is not None and r.producers == {} for r in remotes)  # closed with their threads
    assert Counter(_values(main, "out")) == _expected(N)
    assert Counter(_values(other, "archive")) == _expected(N)
    # keys land on the other cluster's partitions by Kafka's partitioner, as on any cluster
    assert {r.partition for r in other.read("archive")} == {0, 1}
    assert not other.has_topic("out") and not main.has_topic("archive")


def test_processor_api_sink_with_cluster(clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker]) -> None:
    main_name, main, other_name, other = clusters
    _produce(main, 20)
    t = (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_sink("archive-sink", "archive", "src", key_serializer=S, value_serializer=S, cluster="other")
    )
    with KafkaStreams(t, _config(main_name, other_name)) as streams:
        start_running(streams)
        assert wait_until(lambda: len(other.read("archive")) >= 20)
    assert sorted(_values(other, "archive")) == sorted(f"v{i}" for i in range(20))
    assert main.read("out") == []


def test_under_exactly_once_the_other_cluster_is_written_outside_the_transaction(
    clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker],
) -> None:
    """While the main transaction is open, a record is already visible (read_committed) on the other cluster and
    not yet on this one; afterwards the main output carries transaction markers and the other none."""
    main_name, main, other_name, other = clusters
    _produce(main, 30)
    seen: list[tuple[bool, bool, bool]] = []

    def after(key: Any, value: str) -> None:
        producer = threading.current_thread().producer  # type: ignore[attr-defined]
        seen.append((producer.in_transaction, value in _values(other, "archive"), value in _values(main, "out")))

    config = _config(main_name, other_name, **{"processing.guarantee": "exactly_once_v2"})
    with KafkaStreams(_dsl_topology(after), config) as streams:
        start_running(streams)
        assert wait_until(lambda: len(main.read("out")) >= 30, timeout=30)
        remote = streams._threads[0].producer.remote_sinks
        assert remote is not None
        plain = remote.writer("other")
        assert isinstance(plain, MemoryProducer) and plain._transactional_id is None
    assert seen == [(True, True, False)] * 30
    assert sum(main.end_offsets("out").values()) > len(main.read("out", "read_uncommitted")) == 30  # commit markers
    assert sum(other.end_offsets("archive").values()) == len(other.read("archive", "read_uncommitted")) == 30


@pytest.mark.timeout(120)
def test_a_crash_repeats_records_on_the_other_cluster_but_loses_none(
    clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker], monkeypatch: pytest.MonkeyPatch
) -> None:
    """exactly_once_v2, 2 threads, two crashes mid-transaction (the thread replaced): the application's output
    holds each record once; the other cluster holds each at least once, and the records of the aborted
    transactions twice or more."""
    main_name, main, other_name, other = clusters
    n = 3_000
    _produce(main, n)
    lock = threading.Lock()
    processed = [0]
    crashes: list[str] = []

    def after(key: Any, value: Any) -> None:
        with lock:
            processed[0] += 1

    def hook(thread: StreamThread) -> None:
        with lock:
            due = processed[0] >= 500 * (len(crashes) + 1) and len(crashes) < 2
            if not (due and thread.producer.in_transaction):
                return
            crashes.append(thread.name)
        raise ThreadCrash(f"{thread.name} stopped by the test")

    monkeypatch.setattr(thread_module, "crash_hook", hook)
    config = _config(main_name, other_name, **{
        "processing.guarantee": "exactly_once_v2", "num.stream.threads": 2, "max.poll.interval.ms": 1_500,
        "commit.interval.ms": 50,
    })
    with KafkaStreams(_dsl_topology(after), config) as streams:
        streams.set_uncaught_exception_handler(lambda e: "REPLACE_THREAD")
        streams.start()
        assert wait_until(lambda: len(main.read("out")) >= n, timeout=90), (streams.state(), crashes)
        assert wait_until(lambda: set(_values(other, "archive")) >= set(_expected(n)), timeout=30)
    assert len(crashes) == 2
    assert Counter(_values(main, "out")) == _expected(n)
    archived = Counter(_values(other, "archive"))
    assert set(archived) == set(_expected(n))  # nothing lost
    assert sum(archived.values()) > n  # the aborted transactions' records were written there once more


class _BufferingProducer:
    """A producer of the other cluster that, like a real client sending in the background, writes records only
    when flushed (or a batch fills)."""

    def __init__(self, inner: MemoryProducer) -> None:
        self.inner = inner
        self.buffer: list[tuple[Any, ...]] = []

    def produce(self, topic: str, key: bytes | None, value: bytes | None, **kw: Any) -> None:
        self.buffer.append((topic, key, value, kw))

    def partitions_for(self, topic: str) -> int:
        return self.inner.partitions_for(topic)

    def flush(self, timeout: float | None = None) -> None:
        for topic, key, value, kw in self.buffer:
            self.inner.produce(topic, key, value, **kw)
        self.buffer.clear()

    def close(self) -> None:
        self.inner.close()


class _Supplier(MemoryClientSupplier):
    def producer(self, config: Mapping[str, Any]) -> Any:  # type: ignore[override]
        return _BufferingProducer(super().producer(config))


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_the_other_cluster_is_flushed_before_offsets_are_committed(
    clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker], guarantee: str
) -> None:
    """The commit makes the other cluster's buffered records durable before it commits the input offsets."""
    main_name, main, other_name, other = clusters
    config = StreamsConfig(_config(main_name, other_name, **{"processing.guarantee": guarantee}))
    compiled = compile_topology(_dsl_topology().internal_builder, "remote-app")
    remote = RemoteSinks(compiled, config, "t-1", suppliers=lambda servers: _Supplier(other))
    supplier = MemoryClientSupplier(main)
    producer = StreamsProducer(supplier.producer, {}, exactly_once=config.exactly_once, transactional_id="t-1",
                               remote_sinks=remote)
    consumer = supplier.consumer({"group.id": "remote-app"})
    consumer.subscribe(["in"])
    consumer.poll_batch(1, 0.0)
    seen_at_commit: list[int] = []
    commit = consumer.commit
    send_offsets = producer.client.send_offsets_to_transaction

    def commit_spy(offsets: Mapping[TopicPartition, int], metadata: Any = None) -> None:
        seen_at_commit.append(len(other.read("archive")))
        commit(offsets, metadata)

    def send_offsets_spy(offsets: Mapping[TopicPartition, int], group: Any, **kw: Any) -> None:
        seen_at_commit.append(len(other.read("archive")))
        send_offsets(offsets, group, **kw)

    consumer.commit = commit_spy  # type: ignore[method-assign]
    producer.client.send_offsets_to_transaction = send_offsets_spy  # type: ignore[method-assign]
    remote.writer("other").produce("archive", b"k", b"v", timestamp=1)
    producer.produce("out", b"k", b"v", timestamp=1)
    assert other.read("archive") == []  # still buffered
    producer.commit({TopicPartition("in", 0): 0}, None, consumer)
    assert seen_at_commit == [1]
    producer.close()
    consumer.close()
    assert remote.producers == {}  # closed with the StreamsProducer


def test_a_sink_naming_an_unconfigured_cluster_fails_at_start(
    clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker],
) -> None:
    main_name, main, _other_name, _other = clusters
    streams = KafkaStreams(_dsl_topology(), _config(main_name, None))
    with pytest.raises(ConfigError, match=r"cluster 'other'.*cluster\.other\.bootstrap\.servers"):
        streams.start()
    assert [t for t in main.topics() if t.startswith("remote-app-")] == []  # nothing created
    streams.close()


def test_a_sink_topic_missing_on_the_other_cluster_fails_at_start(
    clusters: tuple[str, EmbeddedBroker, str, EmbeddedBroker],
) -> None:
    main_name, _main, other_name, other = clusters
    other.delete_topic("archive")
    streams = KafkaStreams(_dsl_topology(), _config(main_name, other_name))
    with pytest.raises(TopologyError, match=r"\['archive'\] on cluster 'other'"):
        streams.start()
    streams.close()


def test_cluster_keys_are_masked_kept_from_the_main_clients_and_not_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="kstreams_nb.config"):
        config = StreamsConfig({
            "application.id": "a",
            "cluster.other.bootstrap.servers": "other-1:9092",
            "cluster.other.security.protocol": "SASL_SSL",
            "cluster.other.sasl.username": "archiver",
            "cluster.other.sasl.password": "hunter2",
        })
    assert caplog.records == []
    assert "hunter2" not in repr(config) and "hunter2" not in str(config)
    assert config.masked()["cluster.other.sasl.password"] == "******"
    assert not any(k.startswith("cluster.") or k.startswith("other.") for k in config.client_configs())
    assert config.cluster_configs() == {"other": {
        "bootstrap.servers": "other-1:9092", "security.protocol": "SASL_SSL", "sasl.username": "archiver",
        "sasl.password": "hunter2",
    }}


@pytest.mark.parametrize("props", [
    {"cluster.other.sasl.password": "x"},
    {"cluster.bootstrap.servers": "h:1"},
    {"cluster..bootstrap.servers": "h:1"},
])
def test_malformed_cluster_keys_are_refused(props: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="cluster"):
        StreamsConfig(props)


@pytest.mark.parametrize("cluster", ["", "a.b", 3])
def test_a_sink_cluster_must_be_a_plain_name(cluster: Any) -> None:
    with pytest.raises(TopologyError, match="cluster"):
        Topology().add_source("s", "in").add_sink("k", "out", "s", cluster=cluster)


def test_describe_does_not_show_the_cluster() -> None:
    plain = Topology().add_source("s", "in").add_sink("k", "out", "s")
    remote = Topology().add_source("s", "in").add_sink("k", "out", "s", cluster="other")
    assert str(remote.describe()) == str(plain.describe())


def test_the_test_driver_treats_another_cluster_s_topic_as_its_own_output() -> None:
    with TopologyTestDriver(_dsl_topology(), {"application.id": "remote-app"}) as driver:
        driver.create_input_topic("in", S, S).pipe_input("k", "v", 0)
        assert driver.create_output_topic("archive", S, S).read_value() == "V"
        assert driver.create_output_topic("out", S, S).read_value() == "V"

