"""The batched task loop (StreamTask.process_batch), the batched output path (StreamsProducer over a client with
produce_batch), the metered store's key kept once and the record cache's values kept beside their bytes."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb._engine.producer import StreamsProducer
from kstreams_nb._engine.punctuation import NEVER, PunctuationQueue, PunctuationSchedule
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.errors import KStreamsError, ProcessingError
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Record, TopicPartition
from kstreams_nb.serdes import Serdes
from kstreams_nb.topology import Topology

from ._support import INT, int_record, make_task

P1, P2 = TopicPartition("topic1", 0), TopicPartition("topic2", 0)


class _Log(Processor):
    def __init__(self, log: list[Any], punctuate_every: int | None = None) -> None:
        self.log = log
        self.every = punctuate_every

    def init(self, context: Any) -> None:
        super().init(context)
        if self.every is not None:
            context.schedule(self.every, PunctuationType.STREAM_TIME, lambda t: self.log.append(("punctuate", t)))

    def process(self, record: Record) -> None:
        if record.value == 666:
            raise ValueError("boom")
        self.log.append((record.value, record.timestamp))


def _task(log: list[Any], every: int | None = None, config: dict[str, Any] | None = None) -> Any:
    topology = (
        Topology()
        .add_source("source1", "topic1", key_deserializer=INT, value_deserializer=INT)
        .add_source("source2", "topic2", key_deserializer=INT, value_deserializer=INT)
        .add_processor("processor", lambda: _Log(log, every), "source1", "source2")
    )
    task, _, _ = make_task(topology, [P1, P2], config)
    task.initialize()
    return task


def test_a_batch_processes_lowest_timestamp_first_and_punctuates_as_record_by_record() -> None:
    batched: list[Any] = []
    single: list[Any] = []
    records = {P1: [int_record(P1, 0, 1, 10), int_record(P1, 1, 2, 30), int_record(P1, 2, 3, 50)],
               P2: [int_record(P2, 0, 4, 20), int_record(P2, 1, 5, 40)]}
    for log, batch in ((batched, True), (single, False)):
        task = _task(log, every=15)
        for tp, raws in records.items():
            task.add_records(tp, raws)
        if batch:
            assert task.process_batch(100) == 5
        else:
            while task.process():
                task.maybe_punctuate_stream_time()
        assert task.prepare_commit() == {P1: 3, P2: 2}
    assert batched == single
    assert batched == [(1, 10), ("punctuate", 10), (4, 20), ("punctuate", 20), (2, 30), ("punctuate", 30),
                       (5, 40), (3, 50), ("punctuate", 50)]


def test_a_batch_stops_at_its_limit_and_at_a_failure_leaving_what_it_processed_committable() -> None:
    log: list[Any] = []
    task = _task(log)
    task.add_records(P1, [int_record(P1, 0, 1), int_record(P1, 1, 2), int_record(P1, 2, 666), int_record(P1, 3, 4)])
    assert task.process_batch(1) == 1
    assert task.processed == 1
    with pytest.raises(ProcessingError):
        task.process_batch(10)
    assert task.commit_needed
    assert task.prepare_commit() == {P1: 2}  # the failing record (offset 2) is not passed
    assert log == [(1, 0), (2, 1)]


def test_a_batch_waits_for_an_empty_partition_with_records_on_the_broker() -> None:
    log: list[Any] = []
    task = _task(log, config={"max.task.idle.ms": 0})
    lag = {P1: 0, P2: 5}
    task.set_lag_source(lambda tp: lag[tp], 0)
    task.add_records(P1, [int_record(P1, 0, 1)])
    assert task.process_batch(10) == 0  # P2 is empty but has records on the broker
    task.add_records(P2, [int_record(P2, 0, 2, 5)])
    task.add_records(P1, [int_record(P1, 1, 3, 7)])
    assert task.process_batch(10) == 2  # then P2 runs empty with records left: wait again
    assert log == [(1, 0), (2, 5)]
    lag[P2] = 0
    assert task.process_batch(10) == 1
    assert log[-1] == (3, 7)


def test_the_punctuation_queue_keeps_its_earliest_due_time() -> None:
    queue = PunctuationQueue()
    assert queue.due == NEVER
    fired: list[int] = []
    sched = queue.schedule(PunctuationSchedule(None, 10, 10, fired.append))
    queue.schedule(PunctuationSchedule(None, 25, 10, fired.append))
    assert queue.due == 10
    queue.may_punctuate(12, lambda s, now: fired.append(now))
    assert queue.due == 20
    sched.cancel()
    queue.may_punctuate(22, lambda s, now: fired.append(now))  # the cancelled one is dropped; 25 is next
    assert queue.due == 25


# ---------------------------------------------------------------------------------------------- output path
def _producer(exactly_once: bool = False) -> tuple[StreamsProducer, EmbeddedBroker]:
    broker = EmbeddedBroker()
    broker.create_topic("out", 3)
    supplier = MemoryClientSupplier(broker)
    producer = StreamsProducer(supplier.producer, {"client.id": "t"}, exactly_once=exactly_once,
                               transactional_id="app-t" if exactly_once else None)
    return producer, broker


def test_records_are_buffered_until_sent_then_appended_in_order_per_partition() -> None:
    producer, broker = _producer()
    keys = [f"k{i % 5}".encode() for i in range(40)]
    for i, key in enumerate(keys):
        producer.produce("out", key, str(i).encode(), partition=None, timestamp=i, headers=None)
    producer.produce("out", None, b"to-2", partition=2, timestamp=99, headers=None)
    assert broker.read("out", isolation="read_uncommitted") == []
    producer.send_pending()
    got = [r for p in range(3) for r in broker.read_partition("out", p)]
    assert sorted(int(r.value) for r in got if r.value != b"to-2") == list(range(40))
    for p in range(3):  # each partition holds its records in the order they were produced
        values = [r.value for r in broker.read_partition("out", p)]
        assert values == sorted(values, key=lambda v: 1000 if v == b"to-2" else int(v))
    reference = EmbeddedBroker()
    reference.create_topic("out", 3)
    for key in set(keys):  # the same partitions as unbuffered producing
        p, _ = reference.produce("out", key, b"x")
        assert {r.key for r in broker.read_partition("out", p)} >= {key}
    assert [r.value for r in broker.read_partition("out", 2) if r.key is None] == [b"to-2"]


def test_an_unknown_topic_fails_at_produce_and_flush_commit_and_abort_send_what_is_buffered() -> None:
    producer, broker = _producer()
    with pytest.raises(KStreamsError):
        producer.produce("missing", b"k", b"v", partition=None, timestamp=0, headers=None)
    producer.produce("out", b"k", b"1", partition=0, timestamp=0, headers=None)
    producer.flush()
    producer.produce("out", b"k", b"2", partition=0, timestamp=0, headers=None)
    producer.commit({}, None, None)
    producer.produce("out", b"k", b"3", partition=0, timestamp=0, headers=None)
    producer.abort()  # at-least-once: what was handed over is written
    assert [r.value for r in broker.read_partition("out", 0)] == [b"1", b"2", b"3"]


def test_exactly_once_buffers_inside_the_transaction() -> None:
    producer, broker = _producer(exactly_once=True)
    producer.produce("out", b"k", b"1", partition=0, timestamp=0, headers=None)
    producer.send_pending()
    assert broker.read_partition("out", 0) == []  # read_committed: the transaction is open
    producer.produce("out", b"k", b"2", partition=0, timestamp=0, headers=None)
    producer.abort()
    producer.produce("out", b"k", b"3", partition=0, timestamp=0, headers=None)
    producer.commit({}, None, None)
    assert [r.value for r in broker.read_partition("out", 0)] == [b"3"]


# ---------------------------------------------------------------------------------------------- stores
class _CountingSerde:
    def __init__(self) -> None:
        self.calls = 0

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        self.calls += 1
        return Serdes.json().serialize(topic, data)

    def deserialize(self, topic: str | None, data: bytes | None) -> Any:
        return Serdes.json().deserialize(topic, data)


def _store_driver(cache: int, key_serde: Any) -> Any:
    from kstreams_nb import Stores
    from kstreams_nb.testing import TopologyTestDriver

    class Nothing(Processor):
        def process(self, record: Record) -> None:
            pass

    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), key_serde, Serdes.json())
    topology = Topology().add_source("src", "in").add_processor("p", Nothing, "src").add_state_store(
        builder.with_caching_enabled(), "p")
    return TopologyTestDriver(topology, {"statestore.cache.max.bytes": cache})


@pytest.mark.parametrize("cache", [0, 1 << 20])
def test_a_key_is_serialized_once_for_a_get_then_a_put(cache: int) -> None:
    serde = _CountingSerde()
    with _store_driver(cache, serde) as driver:
        store = driver.get_state_store("s")
        key = "k"
        store.put(key, 1)
        assert store.get(key) == 1
        store.put(key, 2)
        assert serde.calls == 1
        mutable = ["k"]  # a key that may change is serialized every time
        store.put(mutable, 1)
        mutable.append("x")
        assert store.get(mutable) is None
        assert serde.calls == 3


@pytest.mark.parametrize("cache", [0, 1 << 20])
def test_values_kept_beside_their_bytes_are_what_the_bytes_give(cache: int) -> None:
    from kstreams_nb import Stores
    from kstreams_nb.testing import TopologyTestDriver

    class Agg(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            self.store = context.get_state_store("s")

        def process(self, record: Record) -> None:
            old = self.store.get(record.key)
            if record.value == "list":
                new: Any = (old if isinstance(old, list) else []) + [1]
            elif record.value == "delete":
                new = None
            else:
                new = (old if isinstance(old, int) else 0) + 1
            self.store.put(record.key, new)
            got = self.store.get(record.key)
            if isinstance(got, list):
                got.append("mutated by the caller")  # must not reach the store
            self.context.forward(record.with_value(self.store.get(record.key)))

    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.string(), Serdes.json())
    topology = (
        Topology().add_source("src", "in", key_deserializer=Serdes.string(), value_deserializer=Serdes.string())
        .add_processor("agg", Agg, "src").add_state_store(builder.with_caching_enabled(), "agg")
        .add_sink("sink", "out", "agg", key_serializer=Serdes.string(), value_serializer=Serdes.json())
    )
    with TopologyTestDriver(topology, {"statestore.cache.max.bytes": cache}) as driver:
        source = driver.create_input_topic("in", Serdes.string(), Serdes.string())
        for v in ("n", "n", "delete", "n", "list", "list"):
            source.pipe_input("k", v)
        out = driver.create_output_topic("out", Serdes.string(), Serdes.json()).read_values_to_list()
        assert out == [1, 2, None, 1, [1], [1, 1]]
        assert driver.get_key_value_store("s").get("k") == [1, 1]
