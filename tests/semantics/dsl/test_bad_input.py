"""Bad input to the DSL.

- A user function that raises surfaces as ProcessingError naming the operator's node (Kafka: StreamsException
  "Exception caught in process. taskId=..., processor=<node>, ..." from ProcessorNode / StreamTask), with the
  original exception as ``__cause__``.
- A wrong argument fails when the DSL call is made (Kafka: ``Objects.requireNonNull(..., "<argument> can't be
  null")``, ``Named.validate``), with a message naming the argument.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, Grouped, Materialized, Named, Repartitioned, StreamsBuilder
from kstreams_nb.errors import ProcessingError, TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

S = Serdes.string()


def boom(*args: Any) -> Any:
    raise RuntimeError("boom")


def _fails_at(build: Any, node: str, topic: str = "in") -> ProcessingError:
    builder = StreamsBuilder()
    build(builder)
    with TopologyTestDriver(builder.build()) as driver:
        with pytest.raises(ProcessingError) as info:
            topic_in = driver.create_input_topic(topic, S, S)
            topic_in.pipe_input("k", "v", 1)
            topic_in.pipe_input("k", "w", 2)  # a reducer is first called on the second value
    assert info.value.node == node
    assert node in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError | TypeError | ValueError)
    return info.value


@pytest.mark.parametrize(
    ("build", "node"),
    [
        (lambda b: b.stream("in", Consumed.with_(S, S)).map_values(boom), "KSTREAM-MAPVALUES-0000000001"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).filter(boom), "KSTREAM-FILTER-0000000001"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).flat_map(boom), "KSTREAM-FLATMAP-0000000001"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).peek(boom, Named.as_("spy")), "spy"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).group_by(boom).count(), "KSTREAM-KEY-SELECT-0000000001"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).group_by_key().reduce(boom), "KSTREAM-REDUCE-0000000002"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).group_by_key().aggregate(lambda: "", boom),
         "KSTREAM-AGGREGATE-0000000002"),
        (lambda b: b.table("in", Consumed.with_(S, S)).filter(boom), "KTABLE-FILTER-0000000003"),
        (lambda b: b.table("in", Consumed.with_(S, S)).map_values(boom), "KTABLE-MAPVALUES-0000000003"),
        (lambda b: b.table("in", Consumed.with_(S, S)).group_by(boom).count(), "KTABLE-SELECT-0000000003"),
        (lambda b: b.table("in", Consumed.with_(S, S)).group_by(lambda k, v: (v, v), Grouped.with_(S, S))
         .aggregate(lambda: "", boom, boom), "KTABLE-AGGREGATE-0000000007"),
        (lambda b: b.stream("in", Consumed.with_(S, S)).map(lambda k, v: v), "KSTREAM-MAP-0000000001"),
        (lambda b: b.table("in", Consumed.with_(S, S)).group_by(lambda k, v: v).count(), "KTABLE-SELECT-0000000003"),
    ],
    ids=["map_values", "filter", "flat_map", "named peek", "group_by selector", "reduce", "aggregate",
         "table filter", "table map_values", "table group_by selector", "table aggregate adder",
         "map not returning a pair", "table group_by not returning a pair"],
)
def test_user_function_failure_names_the_node(build: Any, node: str) -> None:
    _fails_at(build, node)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda s: s.map_values("upper"), "map_values' mapper"),
        (lambda s: s.filter(None), "filter's predicate"),
        (lambda s: s.flat_map(3), "flat_map's mapper"),
        (lambda s: s.select_key(None), "select_key's mapper"),
        (lambda s: s.foreach(None), "foreach's action"),
        (lambda s: s.process(None), "process' supplier"),
        (lambda s: s.group_by(None), "group_by's selector"),
        (lambda s: s.group_by_key().reduce(None), "reduce's reducer"),
        (lambda s: s.group_by_key().aggregate(None, lambda k, v, a: a), "aggregate's initializer"),
        (lambda s: s.split().branch("x"), "branch's predicate"),
        (lambda s: s.to(42), "TopicNameExtractor"),
        (lambda s: s.to_table().filter(None), "filter's predicate"),
        (lambda s: s.to_table().map_values(None), "map_values' mapper"),
        (lambda s: s.to_table().group_by(None), "group_by's selector"),
    ],
)
def test_wrong_argument_fails_at_build_time(call: Any, argument: str) -> None:
    stream = StreamsBuilder().stream("in")
    with pytest.raises(TopologyError, match=argument):
        call(stream)


def test_repartitioned_with_zero_partitions() -> None:
    """Repartitioned.withNumberOfPartitions needs a positive count."""
    with pytest.raises(TopologyError, match="number_of_partitions"):
        Repartitioned.with_number_of_partitions(0)
    with pytest.raises(TopologyError, match="number_of_partitions"):
        Repartitioned.as_("r").with_partitions(-1)


def test_merge_of_streams_from_different_builders() -> None:
    a, b = StreamsBuilder().stream("a"), StreamsBuilder().stream("b")
    with pytest.raises(TopologyError, match="merge: both streams must come from the same StreamsBuilder"):
        a.merge(b)


@pytest.mark.parametrize("name", ["~foo bar~", "", "..", "x" * 250])
def test_invalid_names(name: str) -> None:
    """Named.validate: ASCII alphanumerics, '.', '_' and '-', 1 to 249 characters (Named and Materialized.as)."""
    with pytest.raises(TopologyError, match=r"[Nn]ame"):
        Named.as_(name)
    with pytest.raises(TopologyError, match=r"[Nn]ame"):
        Materialized.as_(name)


def test_split_is_closed_by_default_branch() -> None:
    split = StreamsBuilder().stream("in").split()
    split.default_branch()
    with pytest.raises(TopologyError, match="already finished"):
        split.branch(lambda k, v: True)


def test_a_failing_call_adds_nothing_to_the_graph() -> None:
    """A rejected argument leaves the builder as it was: later names are the same as without the failed call."""
    builder = StreamsBuilder()
    s = builder.stream("in")
    with pytest.raises(TopologyError):
        s.map_values(None)
    s.map_values(str.upper).to("out")
    assert [n.name for n in builder.build().describe().subtopologies[0].nodes] == [
        "KSTREAM-SOURCE-0000000000", "KSTREAM-MAPVALUES-0000000001", "KSTREAM-SINK-0000000002",
    ]


def test_flat_map_values_refuses_a_string_result() -> None:
    """A Java ValueMapper for flatMapValues returns an Iterable; a String is not one. In Python a str is iterable,
    so returning one would silently emit one record per character: it is a ProcessingError instead."""
    from kstreams_nb.dsl import StreamsBuilder
    from kstreams_nb.errors import ProcessingError
    from kstreams_nb.testing import TopologyTestDriver

    b = StreamsBuilder()
    b.stream("in").flat_map_values(lambda v: v.upper()).to("out")
    with TopologyTestDriver(b) as driver:
        with pytest.raises(ProcessingError, match="KSTREAM-FLATMAPVALUES-0000000001") as info:
            driver.create_input_topic("in").pipe_input("k", "abc")
        assert isinstance(info.value.__cause__, TypeError)
