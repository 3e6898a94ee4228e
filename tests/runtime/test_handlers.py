"""Poison records on KafkaStreams over the embedded broker: each handler (deserialization, processing, production)
with fail, continue and the dead-letter queue.

Kafka's behaviour, from streams/.../errors and processor/internals:
- fail (LogAndFailExceptionHandler, LogAndFailProcessingExceptionHandler, DefaultProductionExceptionHandler): the
  stream thread dies with the error and commits nothing more, so the group's committed offset stays before the bad
  record; a restart with a fixed program or handler reads it again.
- continue (LogAndContinue*, a production handler answering CONTINUE): the record is skipped and counted in the
  task's dropped-records metric; every record after it is processed.
- KIP-1034 (``errors.dead.letter.queue.topic.name``, ExceptionHandlerUtils.buildDeadLetterQueueRecord): the failed
  source record's raw key and value (as read from its topic) with its headers and the ``__streams.errors.*``
  headers go to the dead-letter topic, then the handler's answer applies.
- ProductionExceptionHandler.handleSerializationError: a sink's serialization failure goes to the production
  handler (not the processing handler); so does a failed send.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb import Processor, PunctuationType, Record, Serdes, Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.errors import ProcessingError, SerializationError, UnknownTopicError
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams, MetricName, State
from kstreams_nb.testing import TopologyTestDriver

from ._support import S, config, read_strings, start_running

BAD = b"poison"
ERROR_HEADERS = [
    "__streams.errors.exception",
    "__streams.errors.message",
    "__streams.errors.stacktrace",
    "__streams.errors.topic",
    "__streams.errors.partition",
    "__streams.errors.offset",
]


class _Strict:
    """A string serde that refuses the bytes b"poison" (deserializing) and the value "POISON" (serializing)."""

    def deserialize(self, topic: str, data: bytes | None) -> str | None:
        if data == BAD:
            raise ValueError("not a record: b'poison'")
        return None if data is None else data.decode()

    def serialize(self, topic: str, value: str | None) -> bytes | None:
        if value == "POISON":
            raise ValueError("cannot write 'POISON'")
        return None if value is None else value.encode()


class _Upper(Processor):
    """Upper-cases values; raises on "poison" unless built fixed."""

    def __init__(self, fixed: bool = False) -> None:
        self.fixed = fixed

    def process(self, record: Record) -> None:
        if record.value == "poison" and not self.fixed:
            raise ValueError("cannot process 'poison'")
        self.context.forward(record.with_value(record.value.upper()))


def _topology(*, strict_source: bool = False, strict_sink: bool = False, fixed: bool = False,
              extractor: Any = None) -> Topology:
    t = Topology().add_source("src", "in", key_deserializer=S, value_deserializer=_Strict() if strict_source else S)
    t.add_processor("upper", lambda: _Upper(fixed), "src")
    sink_serde = _Strict() if strict_sink else S
    return t.add_sink("sink", extractor or "out", "upper", key_serializer=S, value_serializer=sink_serde)


def _setup(b: EmbeddedBroker) -> None:
    for topic in ("in", "out", "dlq"):
        b.create_topic(topic)


def _produce(b: EmbeddedBroker, *values: bytes) -> None:
    for v in values:
        b.produce("in", b"k", v, timestamp=1, headers=[("trace", b"t-" + v)])


def _committed(b: EmbeddedBroker) -> int | None:
    return b.committed("app", TopicPartition("in", 0))


def _dropped(streams: KafkaStreams) -> float:
    return sum(v for m, v in streams.metrics().items() if m.name == "dropped-records-total")


def _run_until_processed(name: str, topology: Topology, **extra: Any) -> KafkaStreams:
    streams = KafkaStreams(topology, config(name, **extra))
    start_running(streams)
    assert streams.wait_until_processed(timeout=10), streams.state()
    return streams


def _fail_on_poison(name: str, b: EmbeddedBroker, topology: Topology, **extra: Any) -> KafkaStreams:
    """Process two good records (committed), then a poison record and two more: the instance must end in ERROR."""
    streams = _run_until_processed(name, topology, **extra)
    assert _committed(b) == 2
    _produce(b, BAD, b"c", b"d")
    assert streams.wait_for_state(State.ERROR, timeout=10), streams.state()
    return streams


# ---------------------------------------------------------------------------------------------- deserialization
def test_deserialization_fail_stops_and_a_restart_that_continues_loses_nothing_after_it(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", b"b")
    failed = _fail_on_poison(name, b, _topology(strict_source=True))
    assert "b'poison'" in repr(failed.exception.__cause__)
    assert _committed(b) == 2  # the committed offset stays before the poison record (offset 2)
    assert read_strings(b, "out") == ["A", "B"]
    with _run_until_processed(name, _topology(strict_source=True),
                              **{"deserialization.exception.handler": "log_and_continue"}) as again:
        assert _dropped(again) == 1
        assert _committed(b) == 5
    assert read_strings(b, "out") == ["A", "B", "C", "D"]


def test_deserialization_continue_skips_counts_and_processes_everything_after(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", BAD, b"b", BAD, b"c")
    with _run_until_processed(name, _topology(strict_source=True),
                              **{"deserialization.exception.handler": "log_and_continue"}) as streams:
        assert _dropped(streams) == 2
        assert _committed(b) == 5
    assert read_strings(b, "out") == ["A", "B", "C"]
    assert b.read("dlq") == []


def test_deserialization_dead_letter_holds_the_original_bytes_and_kip_1034_headers(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", BAD, b"b")
    extra = {"deserialization.exception.handler": "log_and_continue", "errors.dead.letter.queue.topic.name": "dlq"}
    with _run_until_processed(name, _topology(strict_source=True), **extra):
        pass
    assert read_strings(b, "out") == ["A", "B"]
    [dead] = b.read("dlq")
    assert (dead.key, dead.value, dead.timestamp) == (b"k", BAD, 1)
    assert [k for k, _ in dead.headers] == ["trace", *ERROR_HEADERS]
    h = dead.headers
    assert h.last_header("trace") == b"t-poison"
    assert (h.last_header("__streams.errors.topic"), h.last_header("__streams.errors.partition"),
            h.last_header("__streams.errors.offset")) == (b"in", b"0", b"1")
    assert h.last_header("__streams.errors.exception") == b"ValueError"
    assert h.last_header("__streams.errors.message") == b"not a record: b'poison'"
    assert b"ValueError: not a record" in h.last_header("__streams.errors.stacktrace")


def test_dead_letter_then_fail_writes_the_record_and_stops(broker: tuple[str, EmbeddedBroker]) -> None:
    """The dead letter is written first, then the handler's answer (the default: fail) applies."""
    name, b = broker
    _setup(b)
    _produce(b, b"a", b"b")
    _fail_on_poison(name, b, _topology(strict_source=True), **{"errors.dead.letter.queue.topic.name": "dlq"})
    assert _committed(b) == 2
    assert [(r.value, r.headers.last_header("__streams.errors.offset")) for r in b.read("dlq")] == [(BAD, b"2")]


# ---------------------------------------------------------------------------------------------- processing
def test_processing_fail_stops_and_a_fixed_restart_processes_the_record(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", b"b")
    failed = _fail_on_poison(name, b, _topology())
    error = failed.exception
    assert isinstance(error, ProcessingError)
    assert (error.node, error.topic, error.partition, error.offset) == ("upper", "in", 0, 2)
    assert _committed(b) == 2
    with _run_until_processed(name, _topology(fixed=True)) as again:
        assert _dropped(again) == 0
    assert read_strings(b, "out") == ["A", "B", "POISON", "C", "D"]


def test_processing_continue_skips_counts_and_processes_everything_after(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", BAD, b"b", b"c")
    with _run_until_processed(name, _topology(), **{"processing.exception.handler": "log_and_continue"}) as streams:
        assert _dropped(streams) == 1
        assert _committed(b) == 4
    assert read_strings(b, "out") == ["A", "B", "C"]


def test_processing_dead_letter_holds_the_source_record_as_read(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", BAD, b"b")
    extra = {"processing.exception.handler": "log_and_continue", "errors.dead.letter.queue.topic.name": "dlq"}
    with _run_until_processed(name, _topology(), **extra) as streams:
        assert _dropped(streams) == 1
    assert read_strings(b, "out") == ["A", "B"]
    [dead] = b.read("dlq")
    assert (dead.key, dead.value, dead.timestamp) == (b"k", BAD, 1)
    assert [k for k, _ in dead.headers] == ["trace", *ERROR_HEADERS]
    h = dead.headers
    assert (h.last_header("__streams.errors.exception"), h.last_header("__streams.errors.message")) == (
        b"ValueError", b"cannot process 'poison'")
    assert (h.last_header("__streams.errors.topic"), h.last_header("__streams.errors.partition"),
            h.last_header("__streams.errors.offset")) == (b"in", b"0", b"1")


def test_a_punctuation_failure_dead_letter_has_no_source_record() -> None:
    """A punctuation has no source record: Kafka's error context has null raw key and value and no topic, so the
    dead letter built from it has a null key and value, no topic header, and partition and offset -1."""

    class Tick(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            context.schedule(10, PunctuationType.WALL_CLOCK_TIME, self.tick)

        def tick(self, timestamp: int) -> None:
            raise RuntimeError("tick failed")

        def process(self, record: Record) -> None:
            pass

    t = Topology().add_source("src", "in").add_processor("tick", Tick, "src").add_sink("sink", "out", "tick")
    props = {"processing.exception.handler": "log_and_continue", "errors.dead.letter.queue.topic.name": "dlq"}
    with TopologyTestDriver(t, props) as driver:
        driver.advance_wall_clock_time(10)
        [dead] = driver.create_output_topic("dlq", Serdes.bytes(), Serdes.bytes()).read_records_to_list()
    assert (dead.key, dead.value, dead.timestamp) == (None, None, 10)
    h = dead.headers
    assert [k for k, _ in h] == ERROR_HEADERS
    assert (h.last_header("__streams.errors.topic"), h.last_header("__streams.errors.partition"),
            h.last_header("__streams.errors.offset")) == (None, b"-1", b"-1")
    assert h.last_header("__streams.errors.message") == b"tick failed"


# ---------------------------------------------------------------------------------------------- production
def test_a_sink_serialization_failure_goes_to_the_production_handler(broker: tuple[str, EmbeddedBroker]) -> None:
    """handleSerializationError: fail (the default) stops the instance with a SerializationError, the committed
    offset before the record; continue drops it (counted) and the dead letter holds the source record."""
    name, b = broker
    _setup(b)
    _produce(b, b"a", b"b")
    failed = _fail_on_poison(name, b, _topology(strict_sink=True, fixed=True))
    assert isinstance(failed.exception, SerializationError)
    assert "value" in str(failed.exception) and _committed(b) == 2
    extra = {"production.exception.handler": "continue", "errors.dead.letter.queue.topic.name": "dlq"}
    with _run_until_processed(name, _topology(strict_sink=True, fixed=True), **extra) as again:
        assert _dropped(again) == 1
    assert read_strings(b, "out") == ["A", "B", "C", "D"]
    [dead] = b.read("dlq")
    assert (dead.key, dead.value) == (b"k", BAD)
    assert dead.headers.last_header("__streams.errors.exception") == b"kstreams_nb.errors.SerializationError"
    assert dead.headers.last_header("__streams.errors.offset") == b"2"


def _route(key: str, value: str, context: Any) -> str:
    return "nowhere" if value == "POISON" else "out"


def test_a_failed_send_goes_to_the_production_handler(broker: tuple[str, EmbeddedBroker]) -> None:
    """A record the producer refuses (here: its topic does not exist) fails the instance by default; with
    production.exception.handler=continue it is dropped and counted, and the processing handler is not asked."""
    name, b = broker
    _setup(b)
    _produce(b, b"a", b"b")
    failed = _fail_on_poison(name, b, _topology(fixed=True, extractor=_route))
    assert isinstance(failed.exception, ProcessingError)
    assert isinstance(failed.exception.__cause__, UnknownTopicError)
    assert "production exception handler" in str(failed.exception)
    with _run_until_processed(name, _topology(fixed=True, extractor=_route),
                              **{"production.exception.handler": "continue"}) as again:
        assert _dropped(again) == 1
    assert read_strings(b, "out") == ["A", "B", "C", "D"]


@pytest.mark.parametrize("value", ["org.apache.kafka.streams.errors.AlwaysContinueProductionExceptionHandler",
                                   "continue", "log_and_continue"])
def test_production_handler_names(broker: tuple[str, EmbeddedBroker], value: str) -> None:
    name, b = broker
    _setup(b)
    _produce(b, b"a", b"b", b"c")
    with _run_until_processed(name, _topology(fixed=True, extractor=_route),
                              **{"production.exception.handler": value}):
        pass
    assert read_strings(b, "out") == ["A", "B", "C"]


def test_dropped_records_metric_name_is_kafkas(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _setup(b)
    _produce(b, BAD)
    with _run_until_processed(name, _topology(), **{"processing.exception.handler": "log_and_continue"}) as s:
        thread = next(m.tags["thread-id"] for m in s.metrics() if m.group == "stream-thread-metrics")
        tags = {"thread-id": thread, "task-id": "0_0"}
        assert s.metrics()[MetricName("dropped-records-total", "stream-task-metrics", tags)] == 1.0
        assert s.metrics()[MetricName("dropped-records-rate", "stream-task-metrics", tags)] > 0
