"""The local Apache Kafka broker: it starts, serves topics, survives restarts and crashes, and reports failures."""

from __future__ import annotations

import socket

import pytest
from confluent_kafka import KafkaError, Producer

from kstreams_nb.errors import BrokerError, KStreamsError
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import DEADLINE, admin, consume, new_topic, produce


def test_broker_serves_metadata(kafka_broker: LocalKafka) -> None:
    assert kafka_broker.is_running()
    host, port = kafka_broker.bootstrap_servers.split(":")
    assert host == "127.0.0.1"
    brokers = admin(kafka_broker).list_topics(timeout=DEADLINE).brokers
    assert [(b.host, b.port) for b in brokers.values()] == [("127.0.0.1", int(port))]


def test_topic_created_produced_and_consumed(kafka_broker: LocalKafka) -> None:
    topic = new_topic(kafka_broker, partitions=3)
    produce(kafka_broker, topic, [(b"k1", b"v1"), (None, b"v2")], partition=2)
    got = consume(kafka_broker, [topic], 2)
    assert [(m.key(), m.value(), m.partition(), m.offset()) for m in got] == [
        (b"k1", b"v1", 2, 0),
        (None, b"v2", 2, 1),
    ]


def test_topics_are_not_created_on_first_use(kafka_broker: LocalKafka) -> None:
    producer = Producer(
        {
            "bootstrap.servers": kafka_broker.bootstrap_servers,
            "message.timeout.ms": 2000,
            "topic.metadata.propagation.max.ms": 500,
        }
    )
    errors: list[KafkaError] = []
    producer.produce("never-created-topic", b"x", on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(DEADLINE) == 0
    assert [e.code() for e in errors] in ([KafkaError._UNKNOWN_TOPIC], [KafkaError.UNKNOWN_TOPIC_OR_PART])
    assert "never-created-topic" not in admin(kafka_broker).list_topics(timeout=DEADLINE).topics


def test_second_broker_runs_alongside_and_keeps_data_over_restart_and_crash(kafka_broker: LocalKafka) -> None:
    with LocalKafka(overrides={"num.partitions": "2"}) as other:
        assert other.port != kafka_broker.port and other.port is not None
        port, data_dir = other.port, other.data_dir
        topic = new_topic(other)
        produce(other, topic, [(b"a", b"1")])

        other.restart()
        assert (other.port, other.data_dir) == (port, data_dir)
        produce(other, topic, [(b"b", b"2")])

        other.kill()
        assert not other.is_running()
        other.restart()
        assert other.is_running() and other.port == port
        got = consume(other, [topic], 2)
        assert [(m.key(), m.value()) for m in got] == [(b"a", b"1"), (b"b", b"2")]
        # the session broker never saw the other broker's topic
        assert topic not in admin(kafka_broker).list_topics(timeout=DEADLINE).topics
    assert not other.is_running()
    assert not data_dir.exists()


def test_start_failure_names_the_log(kafka_broker: LocalKafka) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        kafka = LocalKafka(port=taken.getsockname()[1])
        with pytest.raises(BrokerError) as failure:
            kafka.start(timeout=60)
    assert isinstance(failure.value, KStreamsError)
    message = str(failure.value)
    assert str(kafka.log_path) in message
    assert "exited during start-up" in message
    assert "Address already in use" in message
    assert not kafka.is_running()
    kafka.stop()
