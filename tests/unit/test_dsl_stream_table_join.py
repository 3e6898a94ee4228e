"""KStream.join / left_join with a KTable or GlobalKTable: dispatch, validation, value getters of unmaterialized
table operators, naming, and builder.global_table."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, GlobalKTable, Joined, JoinWindows, Materialized, Named, StreamsBuilder
from kstreams_nb.errors import TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology.description import Processor as DescribedProcessor

S = Serdes.string()
C = Consumed.with_(S, S)


def concat(left: Any, right: Any) -> str:
    return f"{left}+{right}"


def run(builder: StreamsBuilder, table_records: list[tuple[Any, Any]], stream_records: list[tuple[Any, Any]],
        table_topic: str = "table") -> list[tuple[Any, Any]]:
    with TopologyTestDriver(builder.build()) as driver:
        table_in = driver.create_input_topic(table_topic, S, S)
        for k, v in table_records:
            table_in.pipe_input(k, v)
        stream_in = driver.create_input_topic("stream", S, S)
        for k, v in stream_records:
            stream_in.pipe_input(k, v)
        return list(driver.create_output_topic("out", S, Serdes.json()).read_key_values_to_list())


def stores_of(builder: StreamsBuilder) -> dict[str, tuple[str, ...]]:
    description = builder.build().describe()
    return {n.name: tuple(n.stores) for sub in description.subtopologies for n in sub.nodes
            if isinstance(n, DescribedProcessor)}


def test_a_stream_stream_join_needs_join_windows() -> None:
    b = StreamsBuilder()
    a, other = b.stream("a"), b.stream("b")
    for join in (a.join, a.left_join, a.outer_join):
        with pytest.raises(TopologyError, match="needs windows=JoinWindows"):
            join(other, concat)
    a.left_join(other, concat, JoinWindows.of_time_difference_with_no_grace(100))  # accepted with windows


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"windows": object()}, "takes no windows"),
        ({"stream_joined": object()}, "takes no stream_joined"),
        ({"key_selector": lambda k, v: k}, "key_selector is for GlobalKTables"),
    ],
)
def test_table_join_refuses_stream_stream_options(kwargs: dict[str, Any], message: str) -> None:
    b = StreamsBuilder()
    with pytest.raises(TopologyError, match=message):
        b.stream("s").join(b.table("t"), concat, **kwargs)


def test_global_join_needs_a_key_selector_and_no_joined() -> None:
    b = StreamsBuilder()
    g = b.global_table("g")
    with pytest.raises(TopologyError, match="needs key_selector=, a callable"):
        b.stream("s").join(g, concat)
    with pytest.raises(TopologyError, match="takes no joined="):
        b.stream("s").join(g, concat, key_selector=lambda k, v: v, joined=Joined.as_("j"))


def test_other_kinds_and_bad_joiners_are_refused() -> None:
    b = StreamsBuilder()
    with pytest.raises(TopologyError, match="cannot join with dict"):
        b.stream("s").join({}, concat)
    with pytest.raises(TopologyError, match="joiner must be a callable"):
        b.stream("s").join(b.table("t"), "concat")


def test_joined_in_the_windows_position_is_the_joined_option() -> None:
    """Kafka's join(table, joiner, Joined) overload."""
    b = StreamsBuilder()
    b.stream("s").join(b.table("t"), concat, Joined.as_("my-join")).to("out")
    assert "my-join" in stores_of(b)


def test_joined_name_wins_and_named_names_otherwise() -> None:
    b = StreamsBuilder()
    s, t = b.stream("s"), b.table("t")
    assert s.join(t, concat, named="by-named").name == "by-named"
    assert s.left_join(t, concat, joined=Joined.as_("by-joined"), named="ignored").name == "by-joined"
    assert s.left_join(t, concat).name.startswith("KSTREAM-LEFTJOIN-")
    g = b.global_table("g")
    assert s.join(g, concat, key_selector=lambda k, v: v, named=Named.as_("gj")).name == "gj"


def test_global_inner_join_is_named_leftjoin_as_in_kafka() -> None:
    b = StreamsBuilder()
    g = b.global_table("g")
    joined = b.stream("s").join(g, concat, key_selector=lambda k, v: v)
    assert joined.name == "KSTREAM-LEFTJOIN-0000000004"


def test_with_key_gives_the_joiner_the_key() -> None:
    b = StreamsBuilder()
    b.stream("stream", C).join(b.table("table", C), lambda k, lv, rv: f"{k}:{lv}+{rv}", with_key=True).to("out")
    assert run(b, [("a", "A")], [("a", "x")]) == [("a", "a:x+A")]


def test_unmaterialized_filter_and_map_values_read_the_source_store() -> None:
    """Kafka's KTableFilter / KTableMapValues value getters: the join connects to the source table's store (which
    the join materializes) and applies the operators on lookup."""
    b = StreamsBuilder()
    table = b.table("table", C).filter(lambda k, v: v != "drop").map_values(lambda v: v.upper())
    b.stream("stream", C).left_join(table, concat).to("out")
    stores = stores_of(b)
    join = next(n for n in stores if n.startswith("KSTREAM-LEFTJOIN-"))
    assert stores[join] == ("table-STATE-STORE-0000000000",)
    assert stores["KTABLE-SOURCE-0000000002"] == ("table-STATE-STORE-0000000000",)
    out = run(b, [("a", "keep"), ("b", "drop")], [("a", "x"), ("b", "y"), ("c", "z")])
    assert out == [("a", "x+KEEP"), ("b", "y+None"), ("c", "z+None")]


def test_materialized_operator_and_aggregation_tables_are_read_from_their_own_stores() -> None:
    b = StreamsBuilder()
    filtered = b.table("table", C).filter(lambda k, v: True, materialized=Materialized.as_("filtered"))
    counts = b.stream("words", C).group_by_key().count(Materialized.as_("counts"))
    stream = b.stream("stream", C)
    stream.join(filtered, concat).to("out")
    stream.join(counts, concat).to("out2")
    stores = stores_of(b)
    assert sorted(v for n, v in stores.items() if n.startswith("KSTREAM-JOIN-")) == [("counts",), ("filtered",)]
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("table", S, S).pipe_input("a", "A")
        driver.create_input_topic("words", S, S).pipe_input("a", "w")
        driver.create_input_topic("stream", S, S).pipe_input("a", "x")
        assert driver.create_output_topic("out", S, Serdes.json()).read_key_values_to_list() == [("a", "x+A")]
        out2 = driver.create_output_topic("out2", S, Serdes.json()).read_key_values_to_list()
        assert out2 == [("a", "x+1")]


def test_suppressed_tables_cannot_be_joined_yet() -> None:
    from kstreams_nb.dsl import Suppressed

    b = StreamsBuilder()
    table = b.table("t").suppress(Suppressed.until_time_limit(10, Suppressed.BufferConfig.unbounded()))
    with pytest.raises(TopologyError, match="is not supported yet"):
        b.stream("s").join(table, concat)


def test_copartitioning_is_recorded_through_upstream_operators_and_repartitions() -> None:
    b = StreamsBuilder()
    stream = b.stream("s").filter(lambda k, v: True).merge(b.stream("s2"))
    stream.join(b.table("t").map_values(str), concat)
    stream.select_key(lambda k, v: v).join(b.table("t2"), concat, joined=Joined.as_("rekeyed"))
    groups = b.build().internal_builder.copartition_groups
    assert groups == [{"s", "s2", "t"}, {"rekeyed-repartition", "t2"}]


def test_result_serdes_follow_kafka() -> None:
    """The joined stream keeps Joined's key serde (else the stream's); its value serde is unknown."""
    b = StreamsBuilder()
    joined = b.stream("s", C).join(b.table("t", C), concat, joined=Joined.with_(Serdes.integer(), S, S))
    assert (joined.key_serde, joined.value_serde) == (Serdes.integer(), None)


def test_global_table_names_and_store() -> None:
    b = StreamsBuilder()
    g = b.global_table("rates", C)
    assert isinstance(g, GlobalKTable)
    assert (g.store_name, g.queryable_store_name(), repr(g)) == (
        "rates-STATE-STORE-0000000000", None, "<GlobalKTable rates-STATE-STORE-0000000000>")
    description = b.build().describe()
    (gs,) = description.global_stores
    assert (gs.source.name, gs.processor.name, tuple(gs.processor.stores)) == (
        "KSTREAM-SOURCE-0000000001", "KTABLE-SOURCE-0000000002", ("rates-STATE-STORE-0000000000",))
    builder = b.build().internal_builder.global_stores["rates-STATE-STORE-0000000000"].store.builder
    assert builder.logging_enabled is False


def test_global_table_takes_materialized_in_the_consumed_position() -> None:
    g = StreamsBuilder().global_table("t", Materialized.as_("named"))
    assert g.queryable_store_name() == "named"
