"""KTable.join / left_join / outer_join options: Kafka's overloads, ``with_key`` and what the join connects."""

from __future__ import annotations

from kstreams_nb.dsl import Consumed, Materialized, Produced, StreamsBuilder
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

CONSUMED = Consumed.with_(Serdes.string(), Serdes.string())


def test_materialized_in_the_named_position_is_kafkas_overload() -> None:
    """``join(other, joiner, Materialized)``: the result is kept in that store, readable from the driver."""
    b = StreamsBuilder()
    joined = b.table("a", CONSUMED).outer_join(b.table("b", CONSUMED), lambda x, y: f"{x}|{y}", Materialized.as_("ab"))  # type: ignore[arg-type]
    assert joined.queryable_store_name() == "ab"
    with TopologyTestDriver(b.build()) as d:
        d.create_input_topic("a", Serdes.string(), Serdes.string()).pipe_input("k", "1", 3)
        d.create_input_topic("b", Serdes.string(), Serdes.string()).pipe_input("k", "2", 1)
        assert d.get_key_value_store("ab").get("k") == "1|2"


def test_with_key_passes_the_key_first() -> None:
    b = StreamsBuilder()
    left, right = b.table("a", CONSUMED), b.table("b", CONSUMED)
    left.join(right, lambda k, x, y: f"{k}:{x}{y}", with_key=True).to_stream().to(
        "out", Produced.with_(Serdes.string(), Serdes.string()))
    with TopologyTestDriver(b.build()) as d:
        d.create_input_topic("a", Serdes.string(), Serdes.string()).pipe_input("k", "1")
        d.create_input_topic("b", Serdes.string(), Serdes.string()).pipe_input("k", "2")
        out = d.create_output_topic("out", Serdes.string(), Serdes.string()).read_key_values_to_list()
    assert out == [("k", "k:12")]


def test_unmaterialized_sides_read_their_source_stores() -> None:
    """A filter side is read through its parent's store (no store of its own), and the sources get stores."""
    b = StreamsBuilder()
    left = b.table("a", CONSUMED).filter(lambda k, v: v != "skip")
    joined = left.left_join(b.table("b", CONSUMED), lambda x, y: f"{x}{y}")
    assert joined.queryable_store_name() is None
    text = str(b.build().describe())
    assert "Processor: KTABLE-JOINOTHER-0000000009 (stores: [a-STATE-STORE-0000000000])" in text
    assert "Processor: KTABLE-JOINTHIS-0000000008 (stores: [b-STATE-STORE-0000000004])" in text
