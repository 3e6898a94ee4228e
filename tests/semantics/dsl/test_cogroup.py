"""Cogrouped streams on the TopologyTestDriver, value for value as Kafka's CogroupedKStreamImplTest,
TimeWindowedCogroupedKStreamImplTest, SessionWindowedCogroupedKStreamImplTest and
SlidingWindowedCogroupedKStreamImplTest (streams/src/test/java/org/apache/kafka/streams/kstream/internals/),
describe() texts included. Where Kafka reads fewer records than it pipes, the remaining outputs are checked too.

Left out, and why:
- The ``*WithOptimization`` describe cases (shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGrouped
  ReusedInSameCogroupsWithOptimization, ...InDifferentCogroupsWithOptimization, ...WithGroupedReusedWith
  Optimization, ...WithGroupedRemadeWithOptimization): ``topology.optimization`` other than ``none`` is refused
  by StreamsBuilder.build() for now.
- The NullPointerException cases: Python has no null argument of a given type; a None initializer, aggregator,
  merger or grouped stream raises TopologyError instead (checked in test_bad_arguments), and ``named=None`` /
  ``materialized=None`` mean "not given".

Kafka pipes several cases' records out of timestamp order across input topics; the runtime picks records across
partitions by timestamp, so those sessions are ``replay_refused``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, Grouped, Materialized, Named, StreamsBuilder
from kstreams_nb.dsl.windows import SessionWindows, SlidingWindows, TimeWindowedSerde, TimeWindows
from kstreams_nb.errors import KStreamsError, TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.state.session import SessionWindowedSerde
from kstreams_nb.testing import TopologyTestDriver

from ._support import STRING_INIT, TOSTRING_ADDER, TOSTRING_REMOVER, streams_config

S, INT = Serdes.string(), Serdes.integer()
PROPS = streams_config(S, S)
OUTPUT = "output"
OUT_OF_ORDER = "inputs piped out of timestamp order across topics; the runtime processes them in timestamp order"
NO_TOPIC2 = "topic2 is cogrouped but gets no records: the runtime needs every source topic to exist"
Rows = list[tuple[Any, Any, int | None]]


def STRING_AGGREGATOR(key: Any, value: Any, agg: Any) -> Any:
    return agg + value


def STRING_INITIALIZER() -> str:
    return ""


def STRING_SUM_AGGREGATOR(key: Any, value: Any, agg: int) -> int:
    return agg + int(value)


def SUM_AGGREGATOR(key: Any, value: int, agg: int) -> int:
    return agg + value


def SUM_INITIALIZER() -> int:
    return 0


def SESSION_MERGER(key: Any, agg1: Any, agg2: Any) -> str:
    return f"{agg1}+{agg2}"


def _swap(key: Any, value: Any) -> tuple[Any, Any]:
    return value, key


def _streams(builder: StreamsBuilder, *topics: str) -> list[Any]:
    return [builder.stream(t, Consumed.with_(S, S)) for t in topics]


def _run(builder: StreamsBuilder, inputs: list[tuple[str, Any, Any, int]], key_serde: Any = S,
         value_serde: Any = S, input_serdes: dict[str, Any] | None = None, windowed: bool = False) -> Rows:
    """Pipe ``(topic, key, value, ts)`` rows and read the output as (key, value, timestamp) (for windowed keys,
    the key inside the window, as Kafka's tests compare)."""
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topics = {t: driver.create_input_topic(t, S, (input_serdes or {}).get(t, S)) for t, *_ in inputs}
        for topic, key, value, ts in inputs:
            topics[topic].pipe_input(key, value, ts)
        out = driver.create_output_topic(OUTPUT, key_serde, value_serde).read_records_to_list()
    return [(r.key.key if windowed else r.key, r.value, r.timestamp) for r in out]


# ---------------------------------------------------------------- describe() (CogroupedKStreamImplTest)
def _describe(builder: StreamsBuilder) -> str:
    return str(builder.build().describe())


def test_name_processors_and_store_based_on_named_parameter() -> None:
    """CogroupedKStreamImplTest.shouldNameProcessorsAndStoreBasedOnNamedParameter."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    customers = (one.group_by_key().cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR)
                 .aggregate(STRING_INITIALIZER, Named.as_("test"), Materialized.as_("store")))
    customers.to_stream().to(OUTPUT)
    assert customers.queryable_store_name() == "store"
    assert _describe(b) == _DESCRIBE["shouldNameProcessorsAndStoreBasedOnNamedParameter"]


def test_name_repartition_topic() -> None:
    """CogroupedKStreamImplTest.shouldNameRepartitionTopic."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    grouped_one = one.map(_swap).group_by_key(Grouped.as_("repartition-test"))
    customers = (grouped_one.cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR)
                 .aggregate(STRING_INITIALIZER))
    customers.to_stream().to(OUTPUT)
    assert customers.queryable_store_name() is None
    assert _describe(b) == _DESCRIBE["shouldNameRepartitionTopic"]


def test_insert_repartition_topic_for_upstream_key_modification() -> None:
    """CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModification."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    customers = (one.map(_swap).group_by_key().cogroup(STRING_AGGREGATOR)
                 .cogroup(two.group_by_key(), STRING_AGGREGATOR)
                 .aggregate(STRING_INITIALIZER, Named.as_("test"), Materialized.as_("store")))
    customers.to_stream().to(OUTPUT)
    assert _describe(b) == _DESCRIBE["shouldInsertRepartitionsTopicForUpstreamKeyModification"]


def test_grouped_reused_in_same_cogroups() -> None:
    """CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSame
    Cogroups: each cogroup repartitions the re-keyed stream through its own topic."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    grouped_one, grouped_two = one.map(_swap).group_by_key(), two.group_by_key()
    cogrouped_two = (grouped_one.cogroup(STRING_AGGREGATOR).cogroup(grouped_two, STRING_AGGREGATOR)
                     .aggregate(STRING_INITIALIZER))
    cogrouped_one = (grouped_one.cogroup(STRING_AGGREGATOR).cogroup(grouped_two, STRING_AGGREGATOR)
                     .aggregate(STRING_INITIALIZER))
    cogrouped_one.to_stream().to(OUTPUT)
    cogrouped_two.to_stream().to("OUTPUT2")
    assert _describe(b) == _DESCRIBE[
        "shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSameCogroups"]


def test_grouped_reused_in_different_cogroups() -> None:
    """CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedIn
    DifferentCogroups."""
    b = StreamsBuilder()
    one, two, three = _streams(b, "one", "two", "three")
    grouped_one = one.map(_swap).group_by_key()
    grouped_one.cogroup(STRING_AGGREGATOR).cogroup(three.group_by_key(), STRING_AGGREGATOR).aggregate(
        STRING_INITIALIZER)
    grouped_one.cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR).aggregate(
        STRING_INITIALIZER)
    assert _describe(b) == _DESCRIBE[
        "shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInDifferentCogroups"]


def test_grouped_reused_by_a_plain_aggregation() -> None:
    """CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReused: the
    grouped stream's own aggregate() makes its own repartition."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    grouped_one = one.map(_swap).group_by_key()
    grouped_one.cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR).aggregate(
        STRING_INITIALIZER)
    grouped_one.aggregate(STRING_INITIALIZER, STRING_AGGREGATOR)
    assert _describe(b) == _DESCRIBE["shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReused"]


def test_cogroup_used_twice_shares_its_repartition() -> None:
    """CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForCogroupsUsedTwice: both aggregations of one
    cogrouped stream read one repartition topic (numbers are still burnt for the second)."""
    b = StreamsBuilder()
    (one,) = _streams(b, "one")
    cogrouped = one.map(_swap).group_by_key(Grouped.as_("foo")).cogroup(STRING_AGGREGATOR)
    cogrouped.aggregate(STRING_INITIALIZER)
    cogrouped.aggregate(STRING_INITIALIZER)
    assert _describe(b) == _DESCRIBE["shouldInsertRepartitionsTopicForCogroupsUsedTwice"]


def test_time_windowed_named_param_sets_name() -> None:
    """TimeWindowedCogroupedKStreamImplTest.namedParamShouldSetName."""
    b = StreamsBuilder()
    (stream,) = _streams(b, "topic")
    (stream.group_by_key(Grouped.with_(S, S)).cogroup(TOSTRING_ADDER)
     .windowed_by(TimeWindows.of_size_with_no_grace(500)).aggregate(STRING_INIT, Named.as_("foo")))
    assert _describe(b) == _DESCRIBE_WINDOWED


def test_session_windowed_named_param_sets_name() -> None:
    """SessionWindowedCogroupedKStreamImplTest.namedParamShouldSetName."""
    b = StreamsBuilder()
    (stream,) = _streams(b, "topic")
    (stream.group_by_key(Grouped.with_(S, S)).cogroup(TOSTRING_ADDER)
     .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(1))
     .aggregate(STRING_INIT, SESSION_MERGER, Named.as_("foo")))
    assert _describe(b) == _DESCRIBE_WINDOWED


def test_sliding_windowed_named_param_sets_name() -> None:
    """SlidingWindowedCogroupedKStreamImplTest.namedParamShouldSetName."""
    b = StreamsBuilder()
    (stream,) = _streams(b, "topic")
    (stream.group_by_key(Grouped.with_(S, S)).cogroup(TOSTRING_ADDER)
     .windowed_by(SlidingWindows.of_time_difference_and_grace(500, 2000)).aggregate(STRING_INIT, Named.as_("foo")))
    assert _describe(b) == _DESCRIBE_WINDOWED


def test_bad_arguments() -> None:
    """CogroupedKStreamImplTest / TimeWindowed... / SessionWindowed...: the shouldNotHaveNull* cases, as
    TopologyErrors that say what is expected."""
    b = StreamsBuilder()
    (stream,) = _streams(b, "topic")
    grouped = stream.group_by_key()
    cogrouped = grouped.cogroup(TOSTRING_ADDER)
    bad: list[Any] = [
        lambda: grouped.cogroup(None),
        lambda: cogrouped.cogroup(None, TOSTRING_ADDER),
        lambda: cogrouped.cogroup(grouped, None),
        lambda: cogrouped.cogroup(StreamsBuilder().stream("x").group_by_key(), TOSTRING_ADDER),
        lambda: cogrouped.aggregate(None),
        lambda: cogrouped.aggregate(None, Named.as_("name")),
        lambda: cogrouped.aggregate(None, Materialized.as_("store")),
        lambda: cogrouped.windowed_by(None),
        lambda: cogrouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).aggregate(None),
        lambda: cogrouped.windowed_by(SlidingWindows.of_time_difference_with_no_grace(10)).aggregate(None),
        lambda: cogrouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)).aggregate(
            None, SESSION_MERGER),
        lambda: cogrouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)).aggregate(
            STRING_INIT, None),
    ]
    for call in bad:
        with pytest.raises(TopologyError) as info:
            call()
        assert isinstance(info.value, KStreamsError)
    with pytest.raises(TypeError, match="Materialized"):  # the DSL's usual check of option types
        cogrouped.aggregate(STRING_INIT, "name", "store")
    with pytest.raises(TopologyError, match="TimeWindows, SlidingWindows or SessionWindows"):
        cogrouped.windowed_by(object())


# ---------------------------------------------------------------- records (CogroupedKStreamImplTest)
def _two_streams(aggregator1: Any = STRING_AGGREGATOR, aggregator2: Any = STRING_AGGREGATOR,
                 initializer: Any = STRING_INITIALIZER, materialized: Materialized | None = None,
                 consumed2: Consumed | None = None) -> StreamsBuilder:
    b = StreamsBuilder()
    one = b.stream("one", Consumed.with_(S, S))
    two = b.stream("two", consumed2 or Consumed.with_(S, S))
    table = (one.group_by_key().cogroup(aggregator1).cogroup(two.group_by_key(), aggregator2)
             .aggregate(initializer, materialized=materialized))
    table.to_stream().to(OUTPUT)
    return b


def _single_stream() -> StreamsBuilder:
    b = StreamsBuilder()
    (one,) = _streams(b, "one")
    one.group_by_key().cogroup(STRING_AGGREGATOR).aggregate(STRING_INITIALIZER).to_stream().to(OUTPUT)
    return b


def test_cogroup_and_aggregate_single_stream() -> None:
    """CogroupedKStreamImplTest.shouldCogroupAndAggregateSingleKStreams."""
    rows = [("one", "k1", "A", 0), ("one", "k2", "B", 0), ("one", "k2", "B", 0), ("one", "k1", "A", 0)]
    assert _run(_single_stream(), rows) == [("k1", "A", 0), ("k2", "B", 0), ("k2", "BB", 0), ("k1", "AA", 0)]


def test_cogroup_handles_null_values() -> None:
    """CogroupedKStreamImplTest.testCogroupHandleNullValues: a null value is dropped."""
    rows = [("one", "k1", "A", 0), ("one", "k2", "B", 0), ("one", "k2", None, 0), ("one", "k2", "B", 0),
            ("one", "k1", "A", 0)]
    assert _run(_single_stream(), rows) == [("k1", "A", 0), ("k2", "B", 0), ("k2", "BB", 0), ("k1", "AA", 0)]


def test_cogroup_two_streams_with_distinct_keys() -> None:
    """CogroupedKStreamImplTest.shouldCogroupAndAggregateTwoKStreamsWithDistinctKeys."""
    rows = [("one", "k1", "A", ts) for ts in (0, 1, 10, 100)] + [
        ("two", "k2", "B", ts) for ts in (100, 200, 1, 500, 500, 100)]
    assert _run(_two_streams(), rows) == [
        ("k1", "A", 0), ("k1", "AA", 1), ("k1", "AAA", 10), ("k1", "AAAA", 100),
        ("k2", "B", 100), ("k2", "BB", 200), ("k2", "BBB", 200), ("k2", "BBBB", 500), ("k2", "BBBBB", 500),
        ("k2", "BBBBBB", 500),
    ]


SHARED_KEYS = [
    ("one", "k1", "A", 0), ("one", "k2", "A", 1), ("one", "k1", "A", 10), ("one", "k2", "A", 100),
    ("two", "k2", "B", 100), ("two", "k2", "B", 200), ("two", "k1", "B", 1), ("two", "k2", "B", 500),
    ("two", "k1", "B", 500), ("two", "k2", "B", 500), ("two", "k3", "B", 500), ("two", "k2", "B", 100),
]


@pytest.mark.replay_refused(OUT_OF_ORDER)
def test_cogroup_two_streams_with_shared_keys() -> None:
    """CogroupedKStreamImplTest.shouldCogroupAndAggregateTwoKStreamsWithSharedKeys (Kafka reads ten records,
    the last two outputs are there too)."""
    assert _run(_two_streams(), SHARED_KEYS) == [
        ("k1", "A", 0), ("k2", "A", 1), ("k1", "AA", 10), ("k2", "AA", 100), ("k2", "AAB", 100),
        ("k2", "AABB", 200), ("k1", "AAB", 10), ("k2", "AABBB", 500), ("k1", "AABB", 500), ("k2", "AABBBB", 500),
        ("k3", "B", 500), ("k2", "AABBBBB", 500),
    ]


SUMS = [("k1", 1, 0), ("k2", 1, 1), ("k1", 2, 10), ("k2", 2, 100), ("k2", 4, 100), ("k2", 6, 200), ("k1", 4, 10),
        ("k2", 8, 500), ("k1", 6, 500), ("k2", 11, 500), ("k3", 2, 500), ("k2", 13, 500)]


@pytest.mark.replay_refused(OUT_OF_ORDER)
def test_different_output_type() -> None:
    """CogroupedKStreamImplTest.shouldAllowDifferentOutputTypeInCoGroup."""
    b = _two_streams(STRING_SUM_AGGREGATOR, STRING_SUM_AGGREGATOR, SUM_INITIALIZER,
                     Materialized.as_("store1").with_value_serde(INT))
    rows = [(t, k, str(v), ts) for t, k, v, ts in zip([r[0] for r in SHARED_KEYS], [r[1] for r in SHARED_KEYS],
                                                      [1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 2, 2],
                                                      [r[3] for r in SHARED_KEYS], strict=True)]
    assert _run(b, rows, value_serde=INT) == SUMS


@pytest.mark.replay_refused(OUT_OF_ORDER)
def test_different_input_types() -> None:
    """CogroupedKStreamImplTest.shouldCoGroupStreamsWithDifferentInputTypes."""
    b = _two_streams(STRING_SUM_AGGREGATOR, SUM_AGGREGATOR, SUM_INITIALIZER,
                     Materialized.as_("store1").with_value_serde(INT), Consumed.with_(S, INT))
    values = [1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 2, 2]
    rows = [(t, k, str(v) if t == "one" else v, ts) for (t, k, _, ts), v in zip(SHARED_KEYS, values, strict=True)]
    assert _run(b, rows, value_serde=INT, input_serdes={"two": INT}) == SUMS


def test_mixed_aggregators() -> None:
    """CogroupedKStreamImplTest.testCogroupKeyMixedAggregators."""
    b = _two_streams(TOSTRING_REMOVER, TOSTRING_ADDER, STRING_INIT, Materialized.as_("store1").with_value_serde(S))
    rows = [("one", "k1", "1", 0), ("one", "k2", "1", 1), ("one", "k1", "1", 10), ("one", "k2", "1", 100),
            ("two", "k1", "2", 500), ("two", "k2", "2", 500), ("two", "k1", "2", 500), ("two", "k2", "2", 100)]
    assert _run(b, rows) == [
        ("k1", "0-1", 0), ("k2", "0-1", 1), ("k1", "0-1-1", 10), ("k2", "0-1-1", 100), ("k1", "0-1-1+2", 500),
        ("k2", "0-1-1+2", 500), ("k1", "0-1-1+2+2", 500), ("k2", "0-1-1+2+2", 500),
    ]


@pytest.mark.replay_refused(OUT_OF_ORDER)
def test_three_grouped_streams() -> None:
    """CogroupedKStreamImplTest.testCogroupWithThreeGroupedStreams."""
    b = StreamsBuilder()
    one, two, three = _streams(b, "one", "two", "three")
    (one.group_by_key().cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR)
     .cogroup(three.group_by_key(), STRING_AGGREGATOR).aggregate(STRING_INITIALIZER).to_stream().to(OUTPUT))
    rows = [("one", "k1", "A", 0), ("one", "k2", "A", 1), ("one", "k1", "A", 10), ("one", "k2", "A", 100),
            ("two", "k2", "B", 100), ("two", "k2", "B", 200), ("two", "k1", "B", 1), ("two", "k2", "B", 500),
            ("three", "k1", "B", 500), ("three", "k2", "B", 500), ("three", "k3", "B", 500),
            ("three", "k2", "B", 100)]
    assert _run(b, rows) == [
        ("k1", "A", 0), ("k2", "A", 1), ("k1", "AA", 10), ("k2", "AA", 100), ("k2", "AAB", 100),
        ("k2", "AABB", 200), ("k1", "AAB", 10), ("k2", "AABBB", 500), ("k1", "AABB", 500), ("k2", "AABBBB", 500),
        ("k3", "B", 500), ("k2", "AABBBBB", 500),
    ]


@pytest.mark.replay_refused(OUT_OF_ORDER)
def test_cogroup_with_table_table_inner_join() -> None:
    """CogroupedKStreamImplTest.testCogroupWithKTableKTableInnerJoin: the cogroup table is looked up through its
    store."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    table1 = (one.group_by_key().cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR)
              .aggregate(STRING_INITIALIZER, Named.as_("name"), Materialized.as_("store")))
    table2 = b.table("three", Consumed.with_(S, S))
    table1.join(table2, lambda v1, v2: f"{v1}+{v2}", materialized=Materialized.with_(S, S)).to_stream().to(OUTPUT)
    with TopologyTestDriver(b.build(), PROPS) as driver:
        inputs = {t: driver.create_input_topic(t, S, S) for t in ("one", "two", "three")}
        output = driver.create_output_topic(OUTPUT, S, S)
        inputs["one"].pipe_input("k1", "A", 5)
        inputs["two"].pipe_input("k2", "B", 6)
        assert output.is_empty()
        inputs["three"].pipe_input("k1", "C", 0)
        inputs["three"].pipe_input("k2", "D", 10)
        assert [(r.key, r.value, r.timestamp) for r in output.read_records_to_list()] == [
            ("k1", "A+C", 5), ("k2", "B+D", 10)]


def test_repartitioned_input() -> None:
    """A re-keyed input is aggregated after its repartition topic, with the other input's records (as in
    shouldInsertRepartitionsTopicForUpstreamKeyModification's topology); the inputs must be co-partitioned."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    (one.map(_swap).group_by_key().cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR)
     .aggregate(STRING_INITIALIZER, Named.as_("test"), Materialized.as_("store")).to_stream().to(OUTPUT))
    assert b.build().internal_builder.copartition_groups == [{"one", "two"}]
    rows = [("one", "a", "k1", 0), ("two", "k2", "B", 1), ("one", "c", "k1", 2), ("two", "k2", "D", 3)]
    assert _run(b, rows) == [("k1", "a", 0), ("k2", "B", 1), ("k1", "ac", 2), ("k2", "BD", 3)]


def test_old_values_reach_a_table_aggregation() -> None:
    """Kafka's KTablePassThrough.enableSendingOldValues: re-grouping the cogroup table asks every input's
    aggregate processor for old values, so a count moves between groups. As Kafka's KStreamAggregate, a key's
    first update carries the initializer's aggregate ("") as its old value: group "0" gets tombstones (uncached
    stores: a cache drops a null written over nothing)."""
    b = StreamsBuilder()
    one, two = _streams(b, "one", "two")
    table = (one.group_by_key().cogroup(STRING_AGGREGATOR).cogroup(two.group_by_key(), STRING_AGGREGATOR)
             .aggregate(STRING_INITIALIZER, materialized=Materialized().with_caching_disabled()))
    Long = Serdes.long()
    table.group_by(lambda k, v: (str(len(v)), k), Grouped.with_(S, S)).count(
        materialized=Materialized.with_(S, Long).with_caching_disabled()).to_stream().to(OUTPUT)
    rows = [("one", "k1", "A", 0), ("two", "k1", "B", 1), ("one", "k2", "C", 2)]
    assert _run(b, rows, value_serde=Long) == [
        ("0", None, 0), ("1", 1, 0), ("1", 0, 1), ("2", 1, 1), ("0", None, 2), ("1", 1, 2)]


# ---------------------------------------------------------------- time windows (TimeWindowedCogroupedKStreamImplTest)
def _windowed(windows: Any, *, two: bool = True, session: bool = False) -> StreamsBuilder:
    """Kafka's setup: ``topic`` cogrouped with TOSTRING_ADDER and ``topic2`` with TOSTRING_REMOVER."""
    b = StreamsBuilder()
    (stream,) = _streams(b, "topic")
    cogrouped = stream.group_by_key(Grouped.with_(S, S)).cogroup(TOSTRING_ADDER)
    if two:
        (stream2,) = _streams(b, "topic2")
        cogrouped = cogrouped.cogroup(stream2.group_by_key(Grouped.with_(S, S)), TOSTRING_REMOVER)
    windowed = cogrouped.windowed_by(windows)
    m = Materialized.with_(S, S)
    table = windowed.aggregate(STRING_INIT, SESSION_MERGER, materialized=m) if session else windowed.aggregate(
        STRING_INIT, materialized=m)
    table.to_stream().to(OUTPUT)
    return b


def _time(windows: Any, rows: list[tuple[str, Any, Any, int]], two: bool = True) -> Rows:
    return _run(_windowed(windows, two=two), rows, TimeWindowedSerde(S, 500), windowed=True)


TUMBLING = TimeWindows.of_size_with_no_grace(500)


@pytest.mark.replay_refused(NO_TOPIC2)
def test_time_window_aggregate() -> None:
    """TimeWindowedCogroupedKStreamImplTest.timeWindowAggregateTestStreamsTest."""
    rows = [("topic", k, v, ts) for k, v, ts in [("k1", "A", 0), ("k2", "A", 0), ("k2", "A", 1), ("k1", "A", 2),
                                                 ("k1", "B", 3), ("k2", "B", 3), ("k2", "B", 4), ("k1", "B", 4)]]
    assert _time(TUMBLING, rows) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k2", "0+A+A", 1), ("k1", "0+A+A", 2), ("k1", "0+A+A+B", 3),
        ("k2", "0+A+A+B", 3), ("k2", "0+A+A+B+B", 4), ("k1", "0+A+A+B+B", 4),
    ]


def test_time_window_mix_aggregators() -> None:
    """TimeWindowedCogroupedKStreamImplTest.timeWindowMixAggregatorsTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 0), ("topic", "k2", "A", 1), ("topic", "k1", "A", 2),
            ("topic2", "k1", "B", 3), ("topic2", "k2", "B", 3), ("topic2", "k2", "B", 4), ("topic2", "k1", "B", 4)]
    assert _time(TUMBLING, rows) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k2", "0+A+A", 1), ("k1", "0+A+A", 2), ("k1", "0+A+A-B", 3),
        ("k2", "0+A+A-B", 3), ("k2", "0+A+A-B-B", 4), ("k1", "0+A+A-B-B", 4),
    ]


def test_time_window_many_windows() -> None:
    """TimeWindowedCogroupedKStreamImplTest.timeWindowAggregateManyWindowsTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 499), ("topic", "k2", "A", 500), ("topic", "k1", "A", 500)]
    assert _time(TUMBLING, rows, two=False) == [("k1", "0+A", 0), ("k2", "0+A", 499), ("k2", "0+A", 500),
                                                ("k1", "0+A", 500)]


def test_time_window_overlapping_windows() -> None:
    """TimeWindowedCogroupedKStreamImplTest.timeWindowAggregateOverlappingWindowsTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 0), ("topic", "k1", "B", 250), ("topic", "k2", "B", 250),
            ("topic", "k2", "A", 500), ("topic", "k1", "A", 500)]
    assert _time(TUMBLING.advance_by(200), rows, two=False) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k1", "0+A+B", 250), ("k1", "0+B", 250), ("k2", "0+A+B", 250),
        ("k2", "0+B", 250), ("k2", "0+B+A", 500), ("k2", "0+A", 500), ("k1", "0+B+A", 500), ("k1", "0+A", 500),
    ]


def test_time_window_mix_aggregators_many_windows() -> None:
    """TimeWindowedCogroupedKStreamImplTest.timeWindowMixAggregatorsManyWindowsTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 0), ("topic", "k2", "A", 1), ("topic", "k1", "A", 2),
            ("topic2", "k1", "B", 3), ("topic2", "k2", "B", 3), ("topic2", "k2", "B", 501),
            ("topic2", "k1", "B", 501)]
    assert _time(TUMBLING, rows) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k2", "0+A+A", 1), ("k1", "0+A+A", 2), ("k1", "0+A+A-B", 3),
        ("k2", "0+A+A-B", 3), ("k2", "0-B", 501), ("k1", "0-B", 501),
    ]


# ---------------------------------------------------------------- sliding (SlidingWindowedCogroupedKStreamImplTest)
SLIDING = SlidingWindows.of_time_difference_and_grace(500, 2000)


@pytest.mark.replay_refused(NO_TOPIC2)
def test_sliding_window_aggregate() -> None:
    """SlidingWindowedCogroupedKStreamImplTest.slidingWindowAggregateStreamsTest (windows compared too)."""
    b = _windowed(SLIDING)
    rows = [("k1", "A", 500), ("k2", "A", 500), ("k2", "A", 501), ("k1", "A", 502), ("k1", "B", 503),
            ("k2", "B", 503), ("k2", "B", 504), ("k1", "B", 504)]
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("topic", S, S)
        for k, v, ts in rows:
            topic.pipe_input(k, v, ts)
        out = driver.create_output_topic(OUTPUT, TimeWindowedSerde(S, 500), S).read_records_to_list()
    assert [(r.key.key, r.key.window.start, r.key.window.end, r.value, r.timestamp) for r in out] == [
        ("k1", 0, 500, "0+A", 500),
        ("k2", 0, 500, "0+A", 500),
        ("k2", 501, 1001, "0+A", 501), ("k2", 1, 501, "0+A+A", 501),
        ("k1", 501, 1001, "0+A", 502), ("k1", 2, 502, "0+A+A", 502),
        ("k1", 501, 1001, "0+A+B", 503), ("k1", 503, 1003, "0+B", 503), ("k1", 3, 503, "0+A+A+B", 503),
        ("k2", 501, 1001, "0+A+B", 503), ("k2", 502, 1002, "0+B", 503), ("k2", 3, 503, "0+A+A+B", 503),
        ("k2", 502, 1002, "0+B+B", 504), ("k2", 501, 1001, "0+A+B+B", 504), ("k2", 504, 1004, "0+B", 504),
        ("k2", 4, 504, "0+A+A+B+B", 504),
        ("k1", 503, 1003, "0+B+B", 504), ("k1", 501, 1001, "0+A+B+B", 504), ("k1", 504, 1004, "0+B", 504),
        ("k1", 4, 504, "0+A+A+B+B", 504),
    ]


def test_sliding_window_overlapping_windows() -> None:
    """SlidingWindowedCogroupedKStreamImplTest.slidingWindowAggregateOverlappingWindowsTest."""
    rows = [("topic", "k1", "A", 500), ("topic", "k2", "A", 500), ("topic", "k1", "B", 750),
            ("topic", "k2", "B", 750), ("topic", "k2", "A", 1000), ("topic", "k1", "A", 1000)]
    assert _time(SLIDING, rows, two=False) == [
        ("k1", "0+A", 500), ("k2", "0+A", 500), ("k1", "0+B", 750), ("k1", "0+A+B", 750), ("k2", "0+B", 750),
        ("k2", "0+A+B", 750), ("k2", "0+B+A", 1000), ("k2", "0+A", 1000), ("k2", "0+A+B+A", 1000),
        ("k1", "0+B+A", 1000), ("k1", "0+A", 1000), ("k1", "0+A+B+A", 1000),
    ]


# ---------------------------------------------------------------- sessions (SessionWindowedCogroupedKStreamImplTest)
SETUP_SESSIONS = SessionWindows.of_inactivity_gap_and_grace(100, 24 * 3600 * 1000)


def _sessions(windows: Any, rows: list[tuple[str, Any, Any, int]], two: bool = True) -> Rows:
    return _run(_windowed(windows, two=two, session=True), rows, SessionWindowedSerde(S), windowed=True)


def test_session_window_aggregate() -> None:
    """SessionWindowedCogroupedKStreamImplTest.sessionWindowAggregateTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 0), ("topic", "k1", "B", 599), ("topic", "k2", "B", 607)]
    assert _sessions(SessionWindows.of_inactivity_gap_with_no_grace(500), rows, two=False) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k1", "0+B", 599), ("k2", "0+B", 607)]


def test_session_window_aggregate_merging() -> None:
    """SessionWindowedCogroupedKStreamImplTest.sessionWindowAggregate2Test: a merge into the same window
    [0, 0] forwards no tombstone."""
    rows = [("topic", "k1", "A", 0), ("topic", "k1", "A", 0), ("topic", "k2", "B", 599), ("topic", "k1", "B", 607)]
    assert _sessions(SessionWindows.of_inactivity_gap_with_no_grace(500), rows, two=False) == [
        ("k1", "0+A", 0), ("k1", "0+0+A+A", 0), ("k2", "0+B", 599), ("k1", "0+B", 607)]


@pytest.mark.replay_refused(NO_TOPIC2)
def test_session_window_aggregate_two_streams() -> None:
    """SessionWindowedCogroupedKStreamImplTest.sessionWindowAggregateTest2StreamsTest."""
    rows = [("topic", "k1", "A", ts) for ts in (0, 84, 113, 199)] + [
        ("topic", "k1", "B", 300), ("topic", "k2", "B", 301), ("topic", "k2", "B", 400), ("topic", "k1", "B", 400)]
    assert _sessions(SETUP_SESSIONS, rows) == [
        ("k1", "0+A", 0), ("k1", None, 0), ("k1", "0+0+A+A", 84), ("k1", None, 84), ("k1", "0+0+0+A+A+A", 113),
        ("k1", None, 113), ("k1", "0+0+0+0+A+A+A+A", 199), ("k1", "0+B", 300), ("k2", "0+B", 301),
        ("k2", None, 301), ("k2", "0+0+B+B", 400), ("k1", None, 300), ("k1", "0+0+B+B", 400),
    ]


def test_session_window_mix_aggregators() -> None:
    """SessionWindowedCogroupedKStreamImplTest.sessionWindowMixAggregatorsTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 0), ("topic", "k2", "A", 1), ("topic", "k1", "A", 2),
            ("topic2", "k1", "B", 3), ("topic2", "k2", "B", 3), ("topic2", "k2", "B", 444),
            ("topic2", "k1", "B", 444)]
    assert _sessions(SETUP_SESSIONS, rows) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k2", None, 0), ("k2", "0+0+A+A", 1), ("k1", None, 0),
        ("k1", "0+0+A+A", 2), ("k1", None, 2), ("k1", "0+0+0+A+A-B", 3), ("k2", None, 1),
        ("k2", "0+0+0+A+A-B", 3), ("k2", "0-B", 444), ("k1", "0-B", 444),
    ]


def test_session_window_mix_aggregators_many_windows() -> None:
    """SessionWindowedCogroupedKStreamImplTest.sessionWindowMixAggregatorsManyWindowsTest."""
    rows = [("topic", "k1", "A", 0), ("topic", "k2", "A", 0), ("topic", "k2", "A", 1), ("topic", "k1", "A", 2),
            ("topic2", "k1", "B", 3), ("topic2", "k2", "B", 500), ("topic2", "k2", "B", 501),
            ("topic2", "k1", "B", 501)]
    assert _sessions(SETUP_SESSIONS, rows) == [
        ("k1", "0+A", 0), ("k2", "0+A", 0), ("k2", None, 0), ("k2", "0+0+A+A", 1), ("k1", None, 0),
        ("k1", "0+0+A+A", 2), ("k1", None, 2), ("k1", "0+0+0+A+A-B", 3), ("k2", "0-B", 500), ("k2", None, 500),
        ("k2", "0+0-B-B", 501), ("k1", "0-B", 501),
    ]


# ---------------------------------------------------------------- Kafka's expected describe() texts
_DESCRIBE: dict[str, str] = {
    "shouldNameProcessorsAndStoreBasedOnNamedParameter": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> test-cogroup-agg-0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> test-cogroup-agg-1\n"
        "    Processor: test-cogroup-agg-0 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: test-cogroup-agg-1 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: test-cogroup-merge (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000005\n"
        "      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"
        "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- test-cogroup-merge\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000005\n\n"
    ),
    "shouldNameRepartitionTopic": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> repartition-test-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: repartition-test-repartition-filter (stores: [])\n"
        "      --> repartition-test-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)\n"
        "      <-- repartition-test-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- repartition-test-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000010\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000011\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000009\n"
        "    Sink: KSTREAM-SINK-0000000011 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000010\n\n"
    ),
    "shouldInsertRepartitionsTopicForUpstreamKeyModification": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> store-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: store-repartition-filter (stores: [])\n"
        "      --> store-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: store-repartition-sink (topic: store-repartition)\n"
        "      <-- store-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> test-cogroup-agg-1\n"
        "    Source: store-repartition-source (topics: [store-repartition])\n"
        "      --> test-cogroup-agg-0\n"
        "    Processor: test-cogroup-agg-0 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- store-repartition-source\n"
        "    Processor: test-cogroup-agg-1 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: test-cogroup-merge (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000009\n"
        "      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"
        "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000010\n"
        "      <-- test-cogroup-merge\n"
        "    Sink: KSTREAM-SINK-0000000010 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000009\n\n"
    ),
    "shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSameCogroups": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter"
            ", COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink"
            " (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter\n"
        "    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink"
            " (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000015\n"
        "    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"
        "    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source (topics: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000014\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000014 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000016\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000016\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000019\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000016 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000017\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000014, COGROUPKSTREAM-AGGREGATE-0000000015\n"
        "    Processor: KTABLE-TOSTREAM-0000000017 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000018\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000016\n"
        "    Processor: KTABLE-TOSTREAM-0000000019 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000020\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000009\n"
        "    Sink: KSTREAM-SINK-0000000018 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000017\n"
        "    Sink: KSTREAM-SINK-0000000020 (topic: OUTPUT2)\n"
        "      <-- KTABLE-TOSTREAM-0000000019\n\n"
    ),
    "shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInDifferentCogroups": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000003\n"
        "    Processor: KSTREAM-MAP-0000000003 (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter"
            ", COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000003\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000003\n"
        "    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-sink"
            " (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-filter\n"
        "    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-sink"
            " (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition)\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-source (topics: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000015\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000016\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000017\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000016 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000017\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000017 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000015, COGROUPKSTREAM-AGGREGATE-0000000016\n\n"
        "  Sub-topology: 2\n"
        "    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-source (topics: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [three])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000009\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000010\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000009 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000010\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000010 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000009\n\n"
    ),
    "shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReused": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter, KSTREAM-FILTER-0000000013\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-FILTER-0000000013 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000012\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink"
            " (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter\n"
        "    Sink: KSTREAM-SINK-0000000012 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000013\n\n"
        "  Sub-topology: 1\n"
        "    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n\n"
        "  Sub-topology: 2\n"
        "    Source: KSTREAM-SOURCE-0000000014 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000011\n"
        "    Processor: KSTREAM-AGGREGATE-0000000011 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000010])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000014\n\n"
    ),
    "shouldInsertRepartitionsTopicForCogroupsUsedTwice": (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000001\n"
        "    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"
        "      --> foo-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: foo-repartition-filter (stores: [])\n"
        "      --> foo-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000001\n"
        "    Sink: foo-repartition-sink (topic: foo-repartition)\n"
        "      <-- foo-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: foo-repartition-source (topics: [foo-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000006, COGROUPKSTREAM-AGGREGATE-0000000012\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000006 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000007\n"
        "      <-- foo-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000012 (stores: "
            "[COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000008])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000013\n"
        "      <-- foo-repartition-source\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000007 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000006\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000013 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000012\n\n"
    ),
}

#: namedParamShouldSetName of TimeWindowedCogroupedKStreamImplTest, SessionWindowedCogroupedKStreamImplTest and
#: SlidingWindowedCogroupedKStreamImplTest
_DESCRIBE_WINDOWED = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
    "      --> foo-cogroup-agg-0\n"
    "    Processor: foo-cogroup-agg-0 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
    "      --> foo-cogroup-merge\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: foo-cogroup-merge (stores: [])\n"
    "      --> none\n"
    "      <-- foo-cogroup-agg-0\n\n"
)
