"""SHUTDOWN_APPLICATION: one instance's uncaught-exception handler stops every instance of its application.id.

Kafka Streams: the handler's SHUTDOWN_APPLICATION makes the client's threads send the assignment error code
SHUTDOWN_REQUESTED through a rebalance; every client that receives it (the requester too) runs closeToError and
ends in ERROR. kstreams_nb carries the request over the internal topic ``<application.id>-control`` instead (a
documented deviation); an instance reads it from the end offset taken when it started, so a request made before
an instance starts never stops it.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest

from kstreams_nb import Processor, Record, Topology
from kstreams_nb._engine.control import CONTROL_TOPIC_CONFIG, ShutdownRequest, send_shutdown_request
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import ConfigError, ProcessingError, StreamsStateError
from kstreams_nb.records import TopicPartition
from kstreams_nb.streams import KafkaStreams, State

from ._support import S, config, produce, read_strings, wait_until

pytestmark = pytest.mark.timeout(60)


class _Upper(Processor):
    """Upper-cases values; fails on "poison" when the topology was built with ``fail=True``."""

    fail = True

    def process(self, record: Record) -> None:
        if record.value == "poison" and self.fail:
            raise RuntimeError("cannot process the poison record")
        self.context.forward(record.with_value(record.value.upper()))


class _Fixed(_Upper):
    fail = False


def _topology(fail: bool = True) -> Topology:
    return (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("upper", _Upper if fail else _Fixed, "src")
        .add_sink("sink", "out", "upper", key_serializer=S, value_serializer=S)
    )


def _partition_of(streams: KafkaStreams) -> int | None:
    """The one input partition the instance's single thread owns, or None while it owns none or several."""
    tasks = [t for ids in streams.local_tasks().values() for t in ids]
    return int(tasks[0].split("_")[1]) if len(tasks) == 1 else None


def _committed(b: EmbeddedBroker, partition: int) -> int | None:
    return b.committed("app", TopicPartition("in", partition))


def test_shutdown_application_stops_every_running_instance_but_not_a_later_one(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    b.create_topic("in", 2)
    b.create_topic("out", 1)
    answers: list[BaseException] = []
    a = KafkaStreams(_topology(), config(name))
    a.set_uncaught_exception_handler(lambda e: answers.append(e) or "shutdown_application")
    # the other instance drops records it cannot process: when A's partition moves to it before it reads the
    # request, it must not fail on the poison record itself (that would end it in ERROR for another reason)
    other = KafkaStreams(_topology(), config(name, **{"processing.exception.handler": "log_and_continue"}))
    c = KafkaStreams(_topology(fail=False), config(name))
    try:
        a.start()
        other.start()
        assert wait_until(lambda: _partition_of(a) is not None and _partition_of(other) is not None
                          and a.state() is other.state() is State.RUNNING), (a.local_tasks(), other.local_tasks())
        pa, pb = _partition_of(a), _partition_of(other)
        assert pa is not None and pb is not None and pa != pb
        produce(b, "in", "k", "a0", 1, partition=pa)
        produce(b, "in", "k", "b0", 1, partition=pb)
        assert a.wait_until_processed(timeout=10)
        assert (_committed(b, pa), _committed(b, pb)) == (1, 1)

        produce(b, "in", "k", "poison", 2, partition=pa)
        assert a.wait_for_state(State.ERROR, timeout=10), a.state()
        assert other.wait_for_state(State.ERROR, timeout=10), other.state()
        # the requester keeps its own exception; the other instance says who asked and why
        assert len(answers) == 1 and a.exception is answers[0] and isinstance(a.exception, ProcessingError)
        assert isinstance(other.exception, StreamsStateError)
        assert str(a.process_id) in str(other.exception) and "ProcessingError" in str(other.exception)
        [request] = b.read("app-control")
        assert request.key == b"app"
        body = json.loads(request.value)
        assert body["type"] == "SHUTDOWN_APPLICATION" and body["process_id"] == str(a.process_id)
        assert "poison" not in body["reason"]  # the reason names the exception type and thread, not record data

        # the stopped instances process nothing more: records produced now stay unprocessed, offsets stay put
        committed = (_committed(b, pa), _committed(b, pb))
        assert committed[1] == 1
        produce(b, "in", "k", "b1", 3, partition=pb)
        produce(b, "in", "k", "a1", 3, partition=pa)
        assert sorted(read_strings(b, "out")) == ["A0", "B0"]
        assert (_committed(b, pa), _committed(b, pb)) == committed
        assert a.state() is other.state() is State.ERROR

        # an instance started after the request is not stopped by it: it processes the rest and keeps running
        c.start()
        assert c.wait_until_processed(timeout=10)
        assert c.state() is State.RUNNING
        # (the poison record is processed here unless the other instance got A's partition and dropped it)
        poison = ["POISON"] if committed[0] == 1 else []
        assert sorted(read_strings(b, "out")) == ["A0", "A1", "B0", "B1", *poison]
        assert (_committed(b, pa), _committed(b, pb)) == (3, 2)
        # a request made while it runs does stop it, and it is that request (not the old one) it acts on
        send_shutdown_request(MemoryClientSupplier(b), StreamsConfig(config(name)), "test", "process-d",
                              "RuntimeError in test", 4)
        assert c.wait_for_state(State.ERROR, timeout=10), c.state()
        assert "process-d" in str(c.exception) and str(a.process_id) not in str(c.exception)
    finally:
        for s in (a, other, c):
            s.close(10)


def test_the_control_topic_is_created_at_start_with_internal_topic_configs(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    b.create_topic("in", 3)
    b.create_topic("out", 1)
    with KafkaStreams(_topology(fail=False), config(name)) as streams:
        streams.start()
        assert streams.wait_for_state(State.RUNNING, timeout=10)
        assert b.topics()["app-control"] == 1
        assert b.topic_config("app-control") == CONTROL_TOPIC_CONFIG
        assert "app-control" not in streams.source_topics()


class _Response(enum.Enum):
    REPLACE_THREAD = 1
    SHUTDOWN_CLIENT = 2
    SHUTDOWN_APPLICATION = 3


def _fail_with_answer(broker: tuple[str, EmbeddedBroker], answer: Any) -> KafkaStreams:
    """An instance whose only thread fails on a poison record and whose handler answers ``answer``, in ERROR."""
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    produce(b, "in", "k", "poison", 1)
    streams = KafkaStreams(_topology(), config(name))
    streams.set_uncaught_exception_handler(lambda e: answer)
    streams.start()
    assert streams.wait_for_state(State.ERROR, timeout=10), streams.state()
    return streams


@pytest.mark.parametrize("answer", ["SHUTDOWN_CLIENT", "shutdown_client", "Shutdown_Client",
                                    _Response.SHUTDOWN_CLIENT])
def test_handler_answers_are_kafkas_names_in_any_case(broker: tuple[str, EmbeddedBroker], answer: Any) -> None:
    _, b = broker
    streams = _fail_with_answer(broker, answer)
    assert isinstance(streams.exception, ProcessingError)
    assert b.read("app-control") == []  # SHUTDOWN_CLIENT asks nobody else


@pytest.mark.parametrize("answer", ["SHUTDOWN", "", None, 3])
def test_any_other_handler_answer_closes_the_instance_with_a_config_error(
    broker: tuple[str, EmbeddedBroker], answer: Any
) -> None:
    _, b = broker
    error = _fail_with_answer(broker, answer).exception
    assert isinstance(error, ConfigError)
    assert "REPLACE_THREAD, SHUTDOWN_CLIENT, SHUTDOWN_APPLICATION" in str(error) and repr(answer) in str(error)
    assert isinstance(error.__cause__, ProcessingError)
    assert b.read("app-control") == []


def test_shutdown_request_round_trips_and_other_records_are_no_request() -> None:
    request = ShutdownRequest("app", "p1", "RuntimeError in app-p1-StreamThread-1", 42)
    assert ShutdownRequest.decode(*request.encode()) == request
    assert ShutdownRequest.decode(b"app", b"not json") is None
    assert ShutdownRequest.decode(b"app", b'{"type": "OTHER", "process_id": "p1"}') is None
    assert ShutdownRequest.decode(None, request.encode()[1]) is None
    assert ShutdownRequest.decode(b"app", None) is None
