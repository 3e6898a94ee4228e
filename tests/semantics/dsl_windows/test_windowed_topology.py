"""Names, stores and serdes of windowed aggregations, as Kafka's tests:

- streams/src/test/java/org/apache/kafka/streams/TopologyTest.java: timeWindowZeroArgCountShouldPreserveTopology-
  Structure, timeWindowNamedMaterializedCountShouldPreserveTopologyStructure,
  timeWindowAnonymousMaterializedCountShouldPreserveTopologyStructure (the anonymous Materialized burns a name);
- streams/src/test/java/org/apache/kafka/streams/kstream/RepartitionTopicNamingTest.java:
  shouldNotFailWithSameRepartitionTopicNameUsingSameKGroupedStream,
  shouldNotFailWithSameRepartitionTopicNameUsingSameTimeWindowStream,
  shouldNotReuseRepartitionNodeWithUnnamedRepartitionTopics;
- WindowStoreMaterializer: retention = Materialized retention or size + grace, and never below size + grace;
- TimeWindowedKStreamImpl: the result's key serde wraps the known key serde (FullTimeWindowedSerde).
"""

from __future__ import annotations

import re

import pytest

from kstreams_nb.dsl import (
    Consumed,
    Grouped,
    Materialized,
    Named,
    Produced,
    StreamsBuilder,
    TimeWindowedSerde,
    TimeWindows,
)
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.testing import TopologyTestDriver

S, L = Serdes.string(), Serdes.long()
ONE_MS = TimeWindows.of_size_with_no_grace(1)


def describe(builder: StreamsBuilder) -> str:
    return str(builder.build().describe())


def test_time_window_zero_arg_count_should_preserve_topology_structure() -> None:
    builder = StreamsBuilder()
    builder.stream("input-topic").group_by_key().windowed_by(ONE_MS).count()
    assert describe(builder) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n"
    )


def test_time_window_named_materialized_count_should_preserve_topology_structure() -> None:
    builder = StreamsBuilder()
    builder.stream("input-topic").group_by_key().windowed_by(ONE_MS).count(materialized=Materialized.as_("count-store"))
    assert describe(builder) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000001\n"
        "    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [count-store])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n"
    )


def test_time_window_anonymous_materialized_count_should_preserve_topology_structure() -> None:
    builder = StreamsBuilder()
    builder.stream("input-topic").group_by_key().windowed_by(ONE_MS).count(materialized=Materialized.with_(None, L))
    assert describe(builder) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n"
    )


def test_reduce_and_named_operations() -> None:
    builder = StreamsBuilder()
    windowed = builder.stream("input-topic").group_by_key().windowed_by(ONE_MS)
    windowed.reduce(lambda a, b: a + b)
    windowed.aggregate(lambda: "", lambda k, v, a: a + v, named=Named.as_("agg"))
    text = describe(builder)
    assert "Processor: KSTREAM-REDUCE-0000000002 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000001])" in text
    # a user-named processor still burns a number (orElseGenerateWithPrefix)
    assert "Processor: agg (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])" in text


def test_a_key_changing_grouping_repartitions_through_the_store_named_topic() -> None:
    builder = StreamsBuilder()
    builder.stream("input").group_by(lambda k, v: v).windowed_by(ONE_MS).count().to_stream().to("out")
    text = describe(builder)
    assert "Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)" in text
    assert "Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])" in text
    assert "Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])" in text


REPARTITION_SINK = re.compile(r"Sink: .*-repartition")


def _grouped_by_name(builder: StreamsBuilder, grouped: Grouped | None) -> object:
    return builder.stream("topic").select_key(lambda k, v: k).group_by_key(grouped)


def test_should_not_fail_with_same_repartition_topic_name_using_same_kgrouped_stream() -> None:
    builder = StreamsBuilder()
    grouped = _grouped_by_name(builder, Grouped.as_("grouping"))
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).count().to_stream().to("output-one")  # type: ignore[attr-defined]
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(30)).count().to_stream().to("output-two")  # type: ignore[attr-defined]
    text = describe(builder)
    assert len(REPARTITION_SINK.findall(text)) == 1
    assert "grouping-repartition" in text


def test_should_not_fail_with_same_repartition_topic_name_using_same_time_window_stream() -> None:
    builder = StreamsBuilder()
    grouped = _grouped_by_name(builder, Grouped.as_("grouping"))
    windowed = grouped.windowed_by(TimeWindows.of_size_with_no_grace(10))  # type: ignore[attr-defined]
    windowed.count().to_stream().to("output-one")
    windowed.reduce(lambda v, v2: v + v2).to_stream().to("output-two")
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(30)).count().to_stream().to("output-two")  # type: ignore[attr-defined]
    text = describe(builder)
    assert len(REPARTITION_SINK.findall(text)) == 1
    assert "grouping-repartition" in text


def test_should_not_reuse_repartition_node_with_unnamed_repartition_topics() -> None:
    builder = StreamsBuilder()
    grouped = _grouped_by_name(builder, None)
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).count().to_stream().to("output-one")  # type: ignore[attr-defined]
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(30)).count().to_stream().to("output-two")  # type: ignore[attr-defined]
    assert len(REPARTITION_SINK.findall(describe(builder))) == 2


def test_retention_must_cover_size_plus_grace() -> None:
    windowed = StreamsBuilder().stream("in").group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 5))
    with pytest.raises(TopologyError) as e:
        windowed.count(materialized=Materialized.as_("store").with_retention(14))
    assert str(e.value) == (
        "The retention period of the window store store must be no smaller than its window size plus the grace "
        "period. Got size=[10], grace=[5], retention=[14]"
    )
    windowed.count(materialized=Materialized.as_("ok").with_retention(15))


def test_the_store_follows_materialized() -> None:
    builder = StreamsBuilder()
    windowed = builder.stream("in").group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 5))
    windowed.count(materialized=Materialized.as_("default"))
    windowed.count(materialized=Materialized.as_("kept").with_retention(1000).with_logging_disabled())
    supplier = Stores.in_memory_window_store("supplied", 100, 10, False)
    windowed.count(materialized=Materialized.as_(supplier))
    stores = builder.build().internal_builder.stores
    default, kept, supplied = (stores[n].builder for n in ("default", "kept", "supplied"))
    assert (default.retention_period, default.window_size, default.logging_enabled) == (15, 10, True)
    assert (kept.retention_period, kept.logging_enabled) == (1000, False)
    assert supplied.supplier is supplier
    with pytest.raises(TopologyError, match="needs a window store supplier"):
        windowed.count(materialized=Materialized.as_(Stores.in_memory_key_value_store("kv")))


def test_queryable_store_name_and_key_serde() -> None:
    builder = StreamsBuilder()
    windowed = builder.stream("in", Consumed.with_(S, S)).group_by_key().windowed_by(ONE_MS)
    named = windowed.count(materialized=Materialized.as_("counts"))
    assert named.queryable_store_name() == "counts"
    assert named.key_serde == TimeWindowedSerde(S, 1) and named.value_serde is L
    assert windowed.reduce(lambda a, b: a + b).value_serde is S
    unknown = StreamsBuilder().stream("in").group_by_key().windowed_by(ONE_MS).count()
    assert unknown.queryable_store_name() is None and unknown.key_serde is None


def test_windowed_keys_with_a_known_key_serde_are_written_with_the_windowed_serde() -> None:
    builder = StreamsBuilder()
    (builder.stream("in", Consumed.with_(S, S)).group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10))
     .count().to_stream().to("out"))
    with TopologyTestDriver(builder) as driver:
        driver.create_input_topic("in", S, S).pipe_input("k", "v", 12)
        raw = driver.create_output_topic("out", Serdes.bytes(), L).read_key_value()
        assert raw == (b"k" + (10).to_bytes(8, "big"), 1)


def test_windowed_keys_with_the_json_default_are_json_objects() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).count().to_stream().to("out")
    with TopologyTestDriver(builder) as driver:
        driver.create_input_topic("in").pipe_input("k", "v", 12)
        assert driver.create_output_topic("out", value_serde=L).read_key_value() == (
            {"key": "k", "window": {"start": 10, "end": 20}}, 1
        )


def test_windowed_store_is_queryable_in_the_driver() -> None:
    builder = StreamsBuilder()
    (builder.stream("in", Consumed.with_(S, S)).group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10))
     .count(materialized=Materialized.as_("counts")).to_stream().to("out", Produced.with_(TimeWindowedSerde(S, 10), L)))
    with TopologyTestDriver(builder) as driver:
        topic = driver.create_input_topic("in", S, S)
        topic.pipe_input("k", "v", 12)
        topic.pipe_input("k", "v", 15)
        store = driver.get_timestamped_window_store("counts")
        assert store.fetch("k", 10).value == 2 and store.fetch("k", 10).timestamp == 15
        with store.all() as entries:
            assert [(k, vt.value) for k, vt in entries] == [(Windowed("k", Window(10, 20)), 2)]
        plain = driver.get_window_store("counts")  # Kafka's WindowStoreFacade: plain values
        assert plain.fetch("k", 10) == 2
        with plain.all() as entries:
            assert list(entries) == [(Windowed("k", Window(10, 20)), 2)]
