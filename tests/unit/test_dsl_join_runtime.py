"""Stream-table and stream-global-table joins on KafkaStreams over the embedded broker: the global table is
filled from its whole topic before the stream is processed, and a stream-table join whose topics have different
partition counts fails at start naming both topics."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.streams import KafkaStreams, State

pytestmark = pytest.mark.timeout(60)

S = Serdes.string()
_ids = itertools.count()


@pytest.fixture
def broker() -> Iterator[tuple[str, EmbeddedBroker]]:
    name = f"join-rt-{next(_ids)}"
    yield name, EmbeddedBroker.named(name)
    EmbeddedBroker.drop(name)


def config(name: str) -> dict[str, Any]:
    return {"application.id": "joins", "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 0}


def produce(b: EmbeddedBroker, topic: str, pairs: list[tuple[str, str | None]], ts: int) -> None:
    for k, v in pairs:
        value = S.serialize(topic, v) if v is not None else None
        b.produce(topic, S.serialize(topic, k), value, timestamp=ts)


def test_global_table_is_complete_before_the_stream_is_processed(broker: tuple[str, EmbeddedBroker]) -> None:
    """The stream records are older than every table record: a task would process them first, but the global
    table is bootstrapped from its whole topic before processing starts, so each order finds its product."""
    name, b = broker
    for topic, partitions in (("products", 2), ("orders", 3), ("out", 3)):
        b.create_topic(topic, partitions)
    produce(b, "products", [("p1", "apple"), ("p2", "pear"), ("p2", "plum"), ("p3", "fig"), ("p3", None)], ts=100)
    produce(b, "orders", [("o1", "p1"), ("o2", "p2"), ("o3", "p3")], ts=1)
    builder = StreamsBuilder()
    products = builder.global_table("products", Consumed.with_(S, S))
    orders = builder.stream("orders", Consumed.with_(S, S))
    orders.left_join(products, lambda order, product: f"{order}:{product}", key_selector=lambda k, v: v).to(
        "out", Produced.with_(S, S))
    with KafkaStreams(builder.build(), config(name)) as streams:
        streams.start()
        assert streams.wait_for_state(State.RUNNING, timeout=10), streams.state()
        assert b.wait_until_consumed("joins", ["orders"], timeout=20)
    out = sorted((S.deserialize("out", r.key), S.deserialize("out", r.value)) for r in b.read("out"))
    assert out == [("o1", "p1:apple"), ("o2", "p2:plum"), ("o3", "p3:None")]


def test_a_join_of_topics_with_different_partition_counts_fails_at_start(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("clicks", 2)
    b.create_topic("users", 3)
    builder = StreamsBuilder()
    builder.stream("clicks").join(builder.table("users"), lambda c, u: (c, u)).to("out")
    with pytest.raises(TopologyError, match=r"not co-partitioned: \[clicks \(2 partitions\), users \(3 partitions\)\]"):
        KafkaStreams(builder.build(), config(name)).start()
