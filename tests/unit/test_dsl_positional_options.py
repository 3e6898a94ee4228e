"""Option objects passed positionally: Kafka's overloads are accepted, anything else gets a TypeError naming the
keyword (never an AttributeError, never a silently misused option)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kstreams_nb import Serdes, TopologyTestDriver
from kstreams_nb.dsl import (
    Branched,
    Consumed,
    Grouped,
    KStream,
    Materialized,
    Named,
    Produced,
    Repartitioned,
    StreamsBuilder,
    TimeWindows,
)

S, L = Serdes.string(), Serdes.long()


def _stream(b: StreamsBuilder) -> KStream:
    return b.stream("in", Consumed.with_(S, S))


def _describe(make: Callable[[StreamsBuilder], Any]) -> str:
    b = StreamsBuilder()
    make(b)
    return str(b.build().describe())


# Kafka overload -> the same program written with keywords
OVERLOADS: dict[str, tuple[Callable[[StreamsBuilder], Any], Callable[[StreamsBuilder], Any]]] = {
    "KGroupedStream.count(Materialized)": (
        lambda b: _stream(b).group_by_key().count(Materialized.as_("counts")),
        lambda b: _stream(b).group_by_key().count(materialized=Materialized.as_("counts")),
    ),
    "KGroupedStream.count(Materialized) unnamed": (
        lambda b: _stream(b).group_by_key().count(Materialized.with_(S, L)),
        lambda b: _stream(b).group_by_key().count(materialized=Materialized.with_(S, L)),
    ),
    "KGroupedStream.reduce(Reducer, Materialized)": (
        lambda b: _stream(b).group_by_key().reduce(lambda agg, v: agg + v, Materialized.as_("r")),
        lambda b: _stream(b).group_by_key().reduce(lambda agg, v: agg + v, materialized=Materialized.as_("r")),
    ),
    "KGroupedStream.aggregate(Initializer, Aggregator, Materialized)": (
        lambda b: _stream(b).group_by_key().aggregate(lambda: "", lambda k, v, a: a + v, Materialized.as_("a")),
        lambda b: _stream(b).group_by_key().aggregate(
            lambda: "", lambda k, v, a: a + v, materialized=Materialized.as_("a")
        ),
    ),
    "TimeWindowedKStream.count(Materialized)": (
        lambda b: _stream(b).group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=10)))
        .count(Materialized.as_("w")),
        lambda b: _stream(b).group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=10)))
        .count(materialized=Materialized.as_("w")),
    ),
    "KGroupedTable.count(Materialized)": (
        lambda b: b.table("t").group_by(lambda k, v: (v, k)).count(Materialized.as_("c")),
        lambda b: b.table("t").group_by(lambda k, v: (v, k)).count(materialized=Materialized.as_("c")),
    ),
    "KGroupedTable.aggregate(init, adder, subtractor, Materialized)": (
        lambda b: b.table("t").group_by(lambda k, v: (v, k)).aggregate(
            lambda: 0, lambda k, v, a: a + 1, lambda k, v, a: a - 1, Materialized.as_("c")
        ),
        lambda b: b.table("t").group_by(lambda k, v: (v, k)).aggregate(
            lambda: 0, lambda k, v, a: a + 1, lambda k, v, a: a - 1, materialized=Materialized.as_("c")
        ),
    ),
    "KTable.filter(Predicate, Materialized)": (
        lambda b: b.table("t").filter(lambda k, v: True, Materialized.as_("f")),
        lambda b: b.table("t").filter(lambda k, v: True, materialized=Materialized.as_("f")),
    ),
    "KTable.mapValues(ValueMapper, Materialized)": (
        lambda b: b.table("t").map_values(str, Materialized.as_("m")),
        lambda b: b.table("t").map_values(str, materialized=Materialized.as_("m")),
    ),
    "KStream.toTable(Materialized)": (
        lambda b: _stream(b).to_table(Materialized.as_("tt")),
        lambda b: _stream(b).to_table(materialized=Materialized.as_("tt")),
    ),
    "StreamsBuilder.table(topic, Materialized)": (
        lambda b: b.table("t", Materialized.as_("tbl")),
        lambda b: b.table("t", materialized=Materialized.as_("tbl")),
    ),
    "KStream.process(supplier, Named, String...)": (
        lambda b: _stream(b).process(_Noop, Named.as_("proc")),
        lambda b: _stream(b).process(_Noop, named=Named.as_("proc")),
    ),
}


class _Noop:
    def init(self, context: Any) -> None:
        return None

    def process(self, record: Any) -> None:
        return None

    def close(self) -> None:
        return None


@pytest.mark.parametrize("overload", sorted(OVERLOADS))
def test_kafka_overloads_with_a_materialized_in_first_position_are_accepted(overload: str) -> None:
    positional, keywords = OVERLOADS[overload]
    assert _describe(positional) == _describe(keywords)


def test_count_of_a_positional_materialized_counts_into_that_store() -> None:
    """Kafka's docs: ``groupedStream.count(Materialized.as("counts"))``."""
    b = StreamsBuilder()
    table = _stream(b).group_by_key().count(Materialized.as_("counts"))
    assert table.queryable_store_name() == "counts"
    table.to_stream().to("out", Produced.with_(S, L))
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("in", S, S).pipe_key_value_list([("a", "x"), ("a", "y")])
        assert driver.get_key_value_store("counts").get("a") == 2


# (call, the keyword the message must name, or None when the method has no place for that option)
MISUSES: dict[str, tuple[Callable[[StreamsBuilder], Any], str, str | None]] = {
    "count(Grouped)": (lambda b: _stream(b).group_by_key().count(Grouped.as_("g")), "count()", None),
    "count(Materialized, Materialized)": (
        lambda b: _stream(b).group_by_key().count(Materialized.as_("a"), Materialized.as_("b")),
        "count()", "materialized",
    ),
    "aggregate(init, agg, Named, Produced)": (
        lambda b: _stream(b).group_by_key().aggregate(lambda: 0, lambda k, v, a: a, Named.as_("n"), Produced()),
        "aggregate()", None,
    ),
    "KStream.filter(pred, Materialized)": (
        lambda b: _stream(b).filter(lambda k, v: True, Materialized.as_("x")), "filter()", None,
    ),
    "KStream.filter(pred, Grouped)": (
        lambda b: _stream(b).filter(lambda k, v: True, Grouped.as_("x")), "filter()", None,
    ),
    "KStream.map_values(mapper, Produced)": (lambda b: _stream(b).map_values(str, Produced()), "map_values()", None),
    "group_by_key(Materialized)": (lambda b: _stream(b).group_by_key(Materialized.as_("x")), "group_by_key()", None),
    "group_by_key(Named)": (lambda b: _stream(b).group_by_key(Named.as_("x")), "group_by_key()", None),
    "group_by(selector, Produced)": (lambda b: _stream(b).group_by(lambda k, v: v, Produced()), "group_by()", None),
    "KTable.group_by(selector, Materialized)": (
        lambda b: b.table("t").group_by(lambda k, v: (v, k), Materialized.as_("x")), "group_by()", None,
    ),
    "to(topic, Materialized)": (lambda b: _stream(b).to("out", Materialized.as_("x")), "to()", None),
    "repartition(Grouped)": (lambda b: _stream(b).repartition(Grouped.as_("x")), "repartition()", None),
    "stream(topic, Produced)": (lambda b: b.stream("in", Produced()), "stream()", None),
    "table(topic, Produced)": (lambda b: b.table("t", Produced()), "table()", None),
    "split().branch(pred, Named)": (
        lambda b: _stream(b).split().branch(lambda k, v: True, Named.as_("x")), "branch()", None,
    ),
    "process(supplier, store, Named)": (
        lambda b: _stream(b).process(_Noop, "store", Named.as_("x")), "process()", "named",
    ),
}


@pytest.mark.parametrize("misuse", sorted(MISUSES))
def test_an_option_in_the_wrong_position_gets_a_type_error_naming_the_keyword(misuse: str) -> None:
    call, method, keyword = MISUSES[misuse]
    with pytest.raises(TypeError) as caught:
        call(StreamsBuilder())
    message = str(caught.value)
    assert message.startswith(method), message
    if keyword is not None:
        assert f"{keyword}=" in message, message
    else:
        assert "has no place for" in message, message


def test_the_message_names_what_was_given_and_what_the_parameter_takes() -> None:
    with pytest.raises(TypeError) as caught:
        _stream(StreamsBuilder()).group_by_key(Materialized.as_("x"))
    assert str(caught.value) == (
        "group_by_key() got a Materialized as 'grouped', which takes a Grouped; "
        "group_by_key() has no place for a Materialized"
    )


def test_correct_positional_options_still_work() -> None:
    b = StreamsBuilder()
    stream = _stream(b).filter(lambda k, v: True, Named.as_("keep")).repartition(Repartitioned.as_("r"))
    grouped = stream.group_by_key(Grouped.with_(S, S))
    grouped.count(Named.as_("n"), Materialized.as_("c")).to_stream().to("out", Produced.with_(S, L))
    stream.split().branch(lambda k, v: True, Branched.as_("one")).default_branch()
    text = str(b.build().describe())
    assert "keep" in text and "(stores: [c])" in text and "r-repartition" in text
