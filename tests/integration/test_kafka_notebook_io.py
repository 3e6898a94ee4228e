"""The notebook's ``produce``, ``sample`` and ``read`` on the real broker: serdes applied, keys on the partitions
Kafka's default partitioner picks, reads assign-only (the broker's group list and committed offsets stay as they
were), read_committed by default, and a preview fed straight from a sample.

Records are prepared and checked with confluent_kafka directly (tests/integration/_kafka.py), not through the
code under test.
"""

from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest
from confluent_kafka import Producer

from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.dsl import Consumed
from kstreams_nb.errors import UnknownTopicError
from kstreams_nb.notebook import preview, produce, read, records, sample
from kstreams_nb.partitioner import default_partition
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import DEADLINE, admin, new_topic, read_partitions
from ._kafka import produce as produce_raw

pytestmark = pytest.mark.timeout(120)
S = Serdes.string()


def _groups(kafka: LocalKafka) -> set[str]:
    listed = admin(kafka).list_consumer_groups(request_timeout=DEADLINE).result(timeout=DEADLINE)
    return {g.group_id for g in listed.valid}


def test_produce_writes_typed_records_where_kafka_puts_their_keys(kafka_broker: LocalKafka) -> None:
    topic = new_topic(kafka_broker, 3, prefix="nb")
    cfg = {"bootstrap.servers": kafka_broker.bootstrap_servers}
    frame = pd.DataFrame({"key": [f"user-{i}" for i in range(30)],
                          "value": [{"n": i, "tag": "x" * (i % 3)} for i in range(30)],
                          "timestamp": [1_000 + i for i in range(30)]})

    assert produce(topic, frame, config=cfg) == 30

    written = read_partitions(kafka_broker, topic)
    assert sum(len(ms) for ms in written.values()) == 30
    for partition, messages in written.items():
        for m in messages:
            key = json.loads(m.key())  # JSON keys and values: the notebooks' default serde
            i = int(key.split("-")[1])
            assert default_partition(m.key(), 3) == partition, key  # where a Java producer puts the key
            assert json.loads(m.value()) == {"n": i, "tag": "x" * (i % 3)}
            assert m.timestamp()[1] == 1_000 + i


def test_sample_and_read_are_assign_only_and_leave_the_groups_as_they_were(kafka_broker: LocalKafka) -> None:
    topic = new_topic(kafka_broker, 3, prefix="nb")
    cfg = {"bootstrap.servers": kafka_broker.bootstrap_servers,
           "default.key.serde": "string", "default.value.serde": "string"}
    produce_raw(kafka_broker, topic, [(f"k{i}".encode(), f"v{i}".encode()) for i in range(60)],
                timestamps=[10_000 + i for i in range(60)])
    groups_before = _groups(kafka_broker)

    first = sample(topic, 12, config=cfg)
    everything = read(topic, config=cfg)
    latest = sample(topic, 6, config=cfg, start="latest")
    from_time = sample(topic, 100, config=cfg, start=10_050)

    assert _groups(kafka_broker) == groups_before  # no group joined, so none created
    assert len(first) == 12 and first["timestamp"].is_monotonic_increasing
    assert sorted(everything["value"]) == sorted(f"v{i}" for i in range(60))
    assert everything[["partition", "offset"]].values.tolist() == sorted(everything[["partition", "offset"]]
                                                                         .values.tolist())
    # latest: the last records of each partition, 6 in all (2 per partition here)
    ends = everything.groupby("partition")["offset"].max().to_dict()
    assert len(latest) == 6
    assert all(row.offset > ends[row.partition] - 2 for row in latest.itertuples())
    assert sorted(from_time["timestamp"]) == list(range(10_050, 10_060))


def test_sample_reads_committed_records_only(kafka_broker: LocalKafka) -> None:
    topic = new_topic(kafka_broker, 1, prefix="nb")
    cfg = {"bootstrap.servers": kafka_broker.bootstrap_servers,
           "default.key.serde": "string", "default.value.serde": "string"}
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers,
                         "transactional.id": f"nb-{uuid.uuid4().hex[:8]}"})
    producer.init_transactions(DEADLINE)
    for outcome in ("commit", "abort", "commit"):
        producer.begin_transaction()
        for i in range(3):
            producer.produce(topic, key=f"{outcome}-{i}".encode(), value=outcome.encode())
        producer.flush(DEADLINE)
        if outcome == "commit":
            producer.commit_transaction(DEADLINE)
        else:
            producer.abort_transaction(DEADLINE)

    committed = sample(topic, 100, config=cfg)
    everything = sample(topic, 100, config={**cfg, "isolation.level": "read_uncommitted"})

    assert committed["value"].tolist() == ["commit"] * 6
    assert everything["value"].tolist().count("abort") == 3


def test_a_missing_topic_is_named_with_the_existing_ones(kafka_broker: LocalKafka) -> None:
    existing = new_topic(kafka_broker, 1, prefix="nb")
    missing = f"nb-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(UnknownTopicError) as failure:
        sample(missing, config={"bootstrap.servers": kafka_broker.bootstrap_servers})
    message = str(failure.value)
    assert missing in message and existing in message
    with pytest.raises(UnknownTopicError, match=missing):
        produce(missing, ["x"], config={"bootstrap.servers": kafka_broker.bootstrap_servers})


def test_a_preview_runs_on_a_sample_of_the_real_topic(kafka_broker: LocalKafka) -> None:
    topic = new_topic(kafka_broker, 3, prefix="nb")
    cfg = {"bootstrap.servers": kafka_broker.bootstrap_servers}
    produce(topic, records([("a", "to be or"), ("b", "not to be")]), config={**cfg, "default.key.serde": "string",
                                                                               "default.value.serde": "string"})
    builder = StreamsBuilder()
    (builder.stream(topic, Consumed.with_(S, S))
     .flat_map_values(lambda line: line.split())
     .group_by(lambda _k, word: word)
     .count()
     .to_stream()
     .to("counts"))

    shown = preview(builder, {topic: sample(topic, config={**cfg, "default.key.serde": "string",
                                                            "default.value.serde": "string"})})

    last = shown.topic("counts").groupby("key")["value"].last().to_dict()
    assert last == {"to": 2, "be": 2, "or": 1, "not": 1}
