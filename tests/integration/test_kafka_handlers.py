"""Poison records on the real broker, with each handler: the behaviour tests/runtime/test_handlers.py checks on the
embedded broker (Kafka's LogAndFail / LogAndContinue handlers and KIP-1034 dead letters), here through
confluent-kafka:

- fail: the instance ends in ERROR and the group's committed offset stays before the bad record, so a restart
  with a fixed program (or a continuing handler) reads it again and nothing after it is lost;
- continue: the record is skipped and counted in ``dropped-records-total``; everything after it is processed;
- dead letter: the source record's original key, value and headers, plus the ``__streams.errors.*`` headers, are
  on the dead-letter topic.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka import TopicPartition as KafkaTP
from runtime.test_handlers import BAD, ERROR_HEADERS, _Strict, _Upper

from kstreams_nb import Serdes, Topology
from kstreams_nb.errors import ProcessingError, SerializationError
from kstreams_nb.streams import KafkaStreams, State
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import DEADLINE, admin, new_topic, read_partitions

pytestmark = pytest.mark.timeout(180)
S = Serdes.string()


class _App:
    """One application on the session broker: its own input, output and dead-letter topics and application.id."""

    def __init__(self, kafka: LocalKafka) -> None:
        self.kafka = kafka
        self.app_id = f"handlers-{uuid.uuid4().hex[:10]}"
        self.input, self.out, self.dlq = (new_topic(kafka, prefix=p) for p in ("in", "out", "dlq"))
        self.produced = 0
        self.admin = admin(kafka)  # held: a collected AdminClient never completes its futures

    def topology(self, *, strict_source: bool = False, strict_sink: bool = False, fixed: bool = False) -> Topology:
        """source -> upper-case (fails on "poison" unless ``fixed``) -> sink; strict serdes refuse the poison."""
        t = Topology().add_source("src", self.input, key_deserializer=S,
                                  value_deserializer=_Strict() if strict_source else S)
        t.add_processor("upper", lambda: _Upper(fixed), "src")
        return t.add_sink("sink", self.out, "upper", key_serializer=S,
                          value_serializer=_Strict() if strict_sink else S)

    def produce(self, *values: bytes) -> None:
        """Append records with key b"k", timestamp 1 and a header ``trace``, acknowledged before returning."""
        producer = KafkaProducer({"bootstrap.servers": self.kafka.bootstrap_servers, "linger.ms": 0})
        for v in values:
            producer.produce(self.input, key=b"k", value=v, timestamp=1, headers=[("trace", b"t-" + v)])
        assert producer.flush(DEADLINE) == 0
        self.produced += len(values)

    def config(self, **extra: Any) -> dict[str, Any]:
        return {"application.id": self.app_id, "bootstrap.servers": self.kafka.bootstrap_servers,
                "commit.interval.ms": 100, **extra}

    def run_until_processed(self, topology: Topology, **extra: Any) -> KafkaStreams:
        streams = KafkaStreams(topology, self.config(**extra))
        streams.start()
        assert streams.wait_for_state(State.RUNNING, timeout=DEADLINE), streams.state()
        assert streams.wait_until_processed(timeout=DEADLINE), streams.state()
        return streams

    def fail_on_poison(self, topology: Topology, **extra: Any) -> KafkaStreams:
        """Process two good records (committed), then a poison record and two more: the instance ends in ERROR."""
        self.produce(b"a", b"b")
        streams = self.run_until_processed(topology, **extra)
        assert self.committed() == 2
        self.produce(BAD, b"c", b"d")
        assert streams.wait_for_state(State.ERROR, timeout=DEADLINE), streams.state()
        return streams

    def committed(self) -> int | None:
        """The group's committed offset of the input partition (None: none)."""
        request = ConsumerGroupTopicPartitions(self.app_id, [KafkaTP(self.input, 0)])
        result = self.admin.list_consumer_group_offsets([request])[self.app_id].result(timeout=DEADLINE)
        [tp] = result.topic_partitions
        return tp.offset if tp.offset >= 0 else None

    def outputs(self, count: int) -> list[str]:
        """Every output value (read_committed), once ``count`` are there."""
        return [S.deserialize(self.out, m.value()) for m in self._read(self.out, count)]

    def dead_letters(self, count: int) -> list[Any]:
        """Every dead-letter record (read_committed), once ``count`` are there."""
        return self._read(self.dlq, count)

    def _read(self, topic: str, count: int) -> list[Any]:
        """Every record of ``topic``, read_committed from its start to its end (assign-only: no group join, whose
        first rebalance can take seconds on a loaded machine); re-read until ``count`` are there or the deadline
        passes, so a record beyond ``count`` shows up too."""
        deadline = time.monotonic() + DEADLINE
        while True:
            got = [m for ms in read_partitions(self.kafka, topic, read_committed=True).values() for m in ms]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.2)


def _dropped(streams: KafkaStreams) -> float:
    return sum(v for m, v in streams.metrics().items() if m.name == "dropped-records-total")


def _headers(message: Any) -> dict[str, bytes | None]:
    return dict(message.headers() or [])


def _assert_dead_letter(message: Any, offset: int, exception: bytes, text: bytes) -> None:
    """The dead letter holds the source record as read (key, value, timestamp, headers) and KIP-1034 headers."""
    assert (message.key(), message.value(), message.timestamp()[1]) == (b"k", BAD, 1)
    assert [k for k, _ in message.headers()] == ["trace", *ERROR_HEADERS]
    h = _headers(message)
    assert h["trace"] == b"t-poison"
    assert (h["__streams.errors.partition"], h["__streams.errors.offset"]) == (b"0", str(offset).encode())
    assert h["__streams.errors.topic"] is not None and h["__streams.errors.topic"].decode().startswith("in-")
    assert (h["__streams.errors.exception"], h["__streams.errors.message"]) == (exception, text)
    assert b"ValueError: " + text in (h["__streams.errors.stacktrace"] or b"")


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_deserialization_fail_keeps_the_offset_before_the_record_and_a_continuing_restart_loses_nothing(
    kafka_broker: LocalKafka, guarantee: str
) -> None:
    app = _App(kafka_broker)
    failed = app.fail_on_poison(app.topology(strict_source=True), **{"processing.guarantee": guarantee})
    assert "b'poison'" in repr(failed.exception.__cause__)
    assert app.committed() == 2  # before the poison record (offset 2)
    assert app.outputs(2) == ["A", "B"]
    extra = {"processing.guarantee": guarantee, "deserialization.exception.handler": "log_and_continue"}
    with app.run_until_processed(app.topology(strict_source=True), **extra) as again:
        assert _dropped(again) == 1
        assert app.committed() == 5
    assert app.outputs(4) == ["A", "B", "C", "D"]


def test_processing_fail_then_a_fixed_restart_processes_the_bad_record_and_everything_after(
    kafka_broker: LocalKafka,
) -> None:
    app = _App(kafka_broker)
    failed = app.fail_on_poison(app.topology())
    error = failed.exception
    assert isinstance(error, ProcessingError)
    assert (error.node, error.topic, error.partition, error.offset) == ("upper", app.input, 0, 2)
    assert app.committed() == 2
    with app.run_until_processed(app.topology(fixed=True)) as again:
        assert _dropped(again) == 0
    assert app.outputs(5) == ["A", "B", "POISON", "C", "D"]


@pytest.mark.parametrize("handler", ["deserialization", "processing"])
def test_continue_skips_counts_and_processes_everything_after(kafka_broker: LocalKafka, handler: str) -> None:
    app = _App(kafka_broker)
    app.produce(b"a", BAD, b"b", BAD, b"c")
    topology = app.topology(strict_source=handler == "deserialization")
    with app.run_until_processed(topology, **{f"{handler}.exception.handler": "log_and_continue"}) as streams:
        assert _dropped(streams) == 2
        assert app.committed() == 5
    assert app.outputs(3) == ["A", "B", "C"]
    assert app.dead_letters(0) == []  # no dead-letter topic configured: nothing written there


@pytest.mark.parametrize(("handler", "text"), [("deserialization", b"not a record: b'poison'"),
                                               ("processing", b"cannot process 'poison'")])
def test_dead_letter_holds_the_original_bytes_and_kip_1034_headers(
    kafka_broker: LocalKafka, handler: str, text: bytes
) -> None:
    app = _App(kafka_broker)
    app.produce(b"a", BAD, b"b")
    extra = {f"{handler}.exception.handler": "log_and_continue", "errors.dead.letter.queue.topic.name": app.dlq}
    with app.run_until_processed(app.topology(strict_source=handler == "deserialization"), **extra) as streams:
        assert _dropped(streams) == 1
    assert app.outputs(2) == ["A", "B"]
    [dead] = app.dead_letters(1)
    _assert_dead_letter(dead, 1, b"ValueError", text)


def test_dead_letter_under_exactly_once_is_committed_with_the_transaction(kafka_broker: LocalKafka) -> None:
    app = _App(kafka_broker)
    app.produce(b"a", BAD, b"b")
    extra = {"processing.exception.handler": "log_and_continue", "errors.dead.letter.queue.topic.name": app.dlq,
             "processing.guarantee": "exactly_once_v2"}
    with app.run_until_processed(app.topology(), **extra):
        pass
    assert app.outputs(2) == ["A", "B"]
    [dead] = app.dead_letters(1)  # read_committed: visible only because its transaction committed
    _assert_dead_letter(dead, 1, b"ValueError", b"cannot process 'poison'")


def test_a_sink_serialization_failure_fails_then_continue_drops_it_with_a_dead_letter(
    kafka_broker: LocalKafka,
) -> None:
    app = _App(kafka_broker)
    failed = app.fail_on_poison(app.topology(strict_sink=True, fixed=True))
    assert isinstance(failed.exception, SerializationError)
    assert app.committed() == 2
    extra = {"production.exception.handler": "continue", "errors.dead.letter.queue.topic.name": app.dlq}
    with app.run_until_processed(app.topology(strict_sink=True, fixed=True), **extra) as again:
        assert _dropped(again) == 1
        assert app.committed() == 5
    assert app.outputs(4) == ["A", "B", "C", "D"]
    [dead] = app.dead_letters(1)
    assert (dead.key(), dead.value()) == (b"k", BAD)
    h = _headers(dead)
    assert h["__streams.errors.exception"] == b"kstreams_nb.errors.SerializationError"
    assert h["__streams.errors.offset"] == b"2"
