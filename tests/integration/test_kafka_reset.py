"""Application reset on the real broker: refused while the application runs; after it closes, the group's input
offsets go back to the start and its internal topics are deleted, so a new run counts from the beginning."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions

from kstreams_nb import KafkaStreams, Serdes, StreamsBuilder
from kstreams_nb.dsl import Consumed, Grouped, Produced
from kstreams_nb.errors import StreamsStateError
from kstreams_nb.records import TopicPartition
from kstreams_nb.reset import reset_application
from kstreams_nb.streams import State
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import DEADLINE, admin, new_topic, produce, read_partitions

pytestmark = pytest.mark.timeout(180)
S, L = Serdes.string(), Serdes.long()
WORDS = ["a", "b", "a", "c", "a", "b"]


def _streams(kafka: LocalKafka, app_id: str, source: str, sink: str, state_dir: Path) -> KafkaStreams:
    builder = StreamsBuilder()
    (builder.stream(source, Consumed.with_(S, S))
     .group_by(lambda k, v: v, Grouped.with_(S, S).with_name("by-word"))
     .count().to_stream().to(sink, Produced.with_(S, L)))
    return KafkaStreams(builder.build(), {
        "application.id": app_id, "bootstrap.servers": kafka.bootstrap_servers, "commit.interval.ms": 100,
        "statestore.cache.max.bytes": 0, "state.dir": str(state_dir)})


def _internal(kafka: LocalKafka, app_id: str) -> list[str]:
    return sorted(t for t in admin(kafka).list_topics(timeout=DEADLINE).topics if t.startswith(f"{app_id}-"))


def _committed(kafka: LocalKafka, app_id: str, source: str) -> dict[int, int]:
    client = admin(kafka)  # held until the future resolves: a collected AdminClient never completes it
    result = client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(app_id)])[app_id]
    return {tp.partition: tp.offset for tp in result.result(timeout=DEADLINE).topic_partitions if tp.topic == source}


def _counts(kafka: LocalKafka, sink: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for messages in read_partitions(kafka, sink).values():
        for m in messages:
            out[S.deserialize(sink, m.key())].append(L.deserialize(sink, m.value()))
    return {k: sorted(v) for k, v in out.items()}


def _run_to_end(streams: KafkaStreams) -> None:
    streams.start()
    assert streams.wait_for_state(State.RUNNING, timeout=60)
    assert streams.wait_until_processed(timeout=60)


def test_reset_on_the_real_broker(kafka_broker: LocalKafka, tmp_path: Path) -> None:
    source, sink = new_topic(kafka_broker, 2, prefix="in"), new_topic(kafka_broker, 2, prefix="out")
    app_id = f"reset-{uuid.uuid4().hex[:8]}"
    produce(kafka_broker, source, [(f"k{i}".encode(), w.encode()) for i, w in enumerate(WORDS)])
    streams = _streams(kafka_broker, app_id, source, sink, tmp_path)
    try:
        _run_to_end(streams)
        internal = _internal(kafka_broker, app_id)
        assert f"{app_id}-by-word-repartition" in internal
        with pytest.raises(StreamsStateError, match="active member"):
            reset_application(app_id, kafka_broker.bootstrap_servers)
        assert _internal(kafka_broker, app_id) == internal
    finally:
        assert streams.close(30)
    assert _counts(kafka_broker, sink) == {"a": [1, 2, 3], "b": [1, 2], "c": [1]}

    deadline = time.monotonic() + 60  # the group empties once the broker has seen the member leave
    while True:
        try:
            report = reset_application(app_id, kafka_broker.bootstrap_servers)
            break
        except StreamsStateError:
            assert time.monotonic() < deadline, "the group still had members a minute after close"
            time.sleep(0.5)
    assert report.offsets == {TopicPartition(source, 0): 0, TopicPartition(source, 1): 0}
    assert set(report.deleted_topics) == set(internal)
    assert _committed(kafka_broker, app_id, source) == {0: 0, 1: 0}
    deadline = time.monotonic() + 30
    while _internal(kafka_broker, app_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _internal(kafka_broker, app_id) == []

    again = _streams(kafka_broker, app_id, source, sink, tmp_path)
    again.clean_up()
    try:
        _run_to_end(again)
    finally:
        assert again.close(30)
    # the second run counted from the input's beginning: each count once more from 1, not continuing at 4
    assert _counts(kafka_broker, sink) == {"a": [1, 1, 2, 2, 3, 3], "b": [1, 1, 2, 2], "c": [1, 1]}
