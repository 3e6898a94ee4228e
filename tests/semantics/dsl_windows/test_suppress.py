"""``KTable.suppress`` on the TopologyTestDriver, value for value as Kafka's tests (streams/src/test/java/org/apache/
kafka/streams/kstream/internals/):

- SuppressScenarioTest: shouldImmediatelyEmitEventsWithZeroEmitAfter, shouldSuppressIntermediateEventsWithTimeLimit,
  shouldSuppressIntermediateEventsWithRecordLimit, shouldSuppressIntermediateEventsWithBytesLimit,
  shouldSupportFinalResultsForTimeWindows, shouldSupportFinalResultsForTimeWindowsWithLargeJump,
  shouldWorkBeforeGroupBy (the sliding/session-window and join scenarios need operators kstreams_nb does not
  have yet).
- SuppressTopologyTest: the four describe() texts. Kafka's two "final" topologies use SessionWindows; the same
  program with TimeWindows takes the same names from the shared counter, so the expected text is unchanged.
- KTableSuppressProcessor: a full strict buffer fails the task with Kafka's message; final results drop deletes.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb.dsl import (
    BufferConfig,
    Consumed,
    Grouped,
    Materialized,
    Produced,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
)
from kstreams_nb.errors import KStreamsError, TopologyError
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver

S, L = Serdes.string(), Serdes.long()
LONG_MAX = 2**63 - 1
unbounded, max_records, max_bytes = BufferConfig.unbounded, BufferConfig.max_records, BufferConfig.max_bytes
until_time_limit, until_window_closes = Suppressed.until_time_limit, Suppressed.until_window_closes


def drain(driver: TopologyTestDriver, topic: str, value_serde: Any = L) -> list[tuple[Any, Any, int]]:
    return [(r.key, r.value, r.timestamp) for r in driver.create_output_topic(topic, S, value_serde)
            .read_records_to_list()]


def value_counts_topology(suppressed: Suppressed, count_materialized: Materialized | None = None) -> Any:
    builder = StreamsBuilder()
    value_counts = (
        builder.table("input", Consumed.with_(S, S),
                      Materialized.with_(S, S).with_caching_disabled().with_logging_disabled())
        .group_by(lambda k, v: (v, k), Grouped.with_(S, S))
        .count(materialized=count_materialized)
    )
    value_counts.suppress(suppressed).to_stream().to("output-suppressed", Produced.with_(S, L))
    value_counts.to_stream().to("output-raw", Produced.with_(S, L))
    return builder.build()


RAW_FIRST = [("v1", 1, 0), ("v1", 0, 1), ("v2", 1, 1), ("v1", 1, 2)]


def _pipe_first_three(driver: TopologyTestDriver) -> Any:
    topic = driver.create_input_topic("input", S, S)
    topic.pipe_input("k1", "v1", 0)
    topic.pipe_input("k1", "v2", 1)
    topic.pipe_input("k2", "v1", 2)
    return topic


def test_should_immediately_emit_events_with_zero_emit_after() -> None:
    with TopologyTestDriver(value_counts_topology(until_time_limit(0, unbounded()))) as driver:
        topic = _pipe_first_three(driver)
        assert drain(driver, "output-raw") == RAW_FIRST
        assert drain(driver, "output-suppressed") == RAW_FIRST
        topic.pipe_input("x", "x", 3)
        assert drain(driver, "output-raw") == [("x", 1, 3)]
        assert drain(driver, "output-suppressed") == [("x", 1, 3)]
        topic.pipe_input("x", "y", 4)
        assert drain(driver, "output-raw") == [("x", 0, 4), ("y", 1, 4)]
        assert drain(driver, "output-suppressed") == [("x", 0, 4), ("y", 1, 4)]


def test_should_suppress_intermediate_events_with_time_limit() -> None:
    with TopologyTestDriver(value_counts_topology(until_time_limit(2, unbounded()))) as driver:
        topic = _pipe_first_three(driver)
        assert drain(driver, "output-raw") == RAW_FIRST
        assert drain(driver, "output-suppressed") == [("v1", 1, 2)]
        topic.pipe_input("tick", "tick", 3)  # a dummy "tick" record just to advance stream time
        assert drain(driver, "output-raw") == [("tick", 1, 3)]
        assert drain(driver, "output-suppressed") == [("v2", 1, 1)]  # stream time is now 3: time to emit
        topic.pipe_input("tick", "tock", 4)
        assert drain(driver, "output-raw") == [("tick", 0, 4), ("tock", 1, 4)]
        # tick is still buffered, since it was first inserted at time 3, and it is only time 4 right now
        assert drain(driver, "output-suppressed") == []


@pytest.mark.parametrize(
    ("buffer_config", "count_materialized"),
    [
        (max_records(1).emit_early_when_full(), Materialized.with_(S, L)),  # ...WithRecordLimit
        (max_bytes(200).emit_early_when_full(), None),  # ...WithBytesLimit: entries are a little over 100 bytes
    ],
)
def test_should_suppress_intermediate_events_with_record_or_bytes_limit(
    buffer_config: BufferConfig, count_materialized: Materialized | None
) -> None:
    topology = value_counts_topology(until_time_limit(LONG_MAX, buffer_config), count_materialized)
    with TopologyTestDriver(topology) as driver:
        topic = _pipe_first_three(driver)
        assert drain(driver, "output-raw") == RAW_FIRST
        # consecutive updates to v1 get suppressed into only the latter; the last update stays buffered
        assert drain(driver, "output-suppressed") == [("v1", 0, 1), ("v2", 1, 1)]
        topic.pipe_input("x", "x", 3)
        assert drain(driver, "output-raw") == [("x", 1, 3)]
        # now we see that last update to v1, but we won't see the update to x until it gets evicted
        assert drain(driver, "output-suppressed") == [("v1", 1, 2)]


def windowed_counts_topology(windows: TimeWindows, count_materialized: Materialized) -> Any:
    builder = StreamsBuilder()
    value_counts = (
        builder.stream("input", Consumed.with_(S, S))
        .group_by(lambda k, v: k, Grouped.with_(S, S))
        .windowed_by(windows)
        .count(materialized=count_materialized)
    )
    (value_counts.suppress(until_window_closes(unbounded())).to_stream()
     .map(lambda k, v: (str(k), v)).to("output-suppressed", Produced.with_(S, L)))
    value_counts.to_stream().map(lambda k, v: (str(k), v)).to("output-raw", Produced.with_(S, L))
    return builder.build()


def test_should_support_final_results_for_time_windows() -> None:
    topology = windowed_counts_topology(
        TimeWindows.of_size_and_grace(2, 1), Materialized.as_("counts").with_caching_disabled()
    )
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("input", S, S)
        for ts in [0, 1, 2, 1, 0, 5]:
            topic.pipe_input("k1", "v1", ts)
        topic.pipe_input("k1", "v1", 0)  # dropped: out of the grace period
        assert drain(driver, "output-raw") == [
            ("[k1@0/2]", 1, 0), ("[k1@0/2]", 2, 1), ("[k1@2/4]", 1, 2), ("[k1@0/2]", 3, 1), ("[k1@0/2]", 4, 1),
            ("[k1@4/6]", 1, 5),
        ]
        assert drain(driver, "output-suppressed") == [("[k1@0/2]", 4, 1), ("[k1@2/4]", 1, 2)]


def test_should_support_final_results_for_time_windows_with_large_jump() -> None:
    topology = windowed_counts_topology(
        TimeWindows.of_size_and_grace(2, 2), Materialized.as_("counts").with_caching_disabled().with_key_serde(S)
    )
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("input", S, S)
        for ts in [0, 1, 2, 0, 3, 0, 4]:
            topic.pipe_input("k1", "v1", ts)
        topic.pipe_input("k1", "v1", 0)  # dropped: the previous event advanced stream time and closed the window
        topic.pipe_input("k1", "v1", 30)
        assert drain(driver, "output-raw") == [
            ("[k1@0/2]", 1, 0), ("[k1@0/2]", 2, 1), ("[k1@2/4]", 1, 2), ("[k1@0/2]", 3, 1), ("[k1@2/4]", 2, 3),
            ("[k1@0/2]", 4, 1), ("[k1@4/6]", 1, 4), ("[k1@30/32]", 1, 30),
        ]
        assert drain(driver, "output-suppressed") == [("[k1@0/2]", 4, 1), ("[k1@2/4]", 2, 3), ("[k1@4/6]", 1, 4)]


def test_should_work_before_group_by() -> None:
    builder = StreamsBuilder()
    (
        builder.table("topic", Consumed.with_(S, S))
        .suppress(until_time_limit(10, unbounded()))
        .group_by(lambda k, v: (k, v), Grouped.with_(S, S))
        .count()
        .to_stream()
        .to("output", Produced.with_(S, L))
    )
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("topic", S, S)
        topic.pipe_input("A", "a", 0)
        topic.pipe_input("tick", "tick", 10)
        assert drain(driver, "output") == [("A", 1, 0)]


def test_a_full_strict_buffer_fails_the_task() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(S, S)).group_by_key().count()
        .suppress(until_time_limit(1000, max_records(1).shut_down_when_full()).with_name("limited"))
        .to_stream().to("output", Produced.with_(S, L))
    )
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("input", S, S)
        topic.pipe_input("a", "x", 0)
        with pytest.raises(KStreamsError) as e:
            topic.pipe_input("b", "x", 1)
    text = str(e.value) + str(e.value.__cause__)
    assert "limited buffer exceeded its max capacity. Currently [2/1] records and [" in text


def test_final_results_drop_deletes() -> None:
    """safeToDropTombstones: a window whose final aggregate is a delete is not emitted at all."""
    builder = StreamsBuilder()
    reduced = (
        builder.stream("input", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .reduce(lambda agg, v: None if v == "delete" else agg + v)
    )
    (reduced.suppress(until_window_closes(unbounded())).to_stream()
     .map(lambda k, v: (str(k), v)).to("output", Produced.with_(S, S)))
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("input", S, S)
        topic.pipe_input("a", "1", 0)
        topic.pipe_input("a", "2", 1)
        topic.pipe_input("b", "1", 2)
        topic.pipe_input("b", "delete", 3)
        topic.pipe_input("c", "tick", 20)
        assert drain(driver, "output", S) == [("[a@0/10]", "12", 1)]


def test_until_window_closes_needs_a_windowed_table() -> None:
    builder = StreamsBuilder()
    table = builder.stream("input").group_by_key().count()
    with pytest.raises(TopologyError) as e:
        table.suppress(until_window_closes(unbounded()))
    assert str(e.value) == (
        "Window close time is only defined for windowed computations. Got [KSTREAM-SOURCE-0000000000->"
        "KSTREAM-AGGREGATE-0000000002]."
    )


def test_suppress_takes_a_suppressed() -> None:
    with pytest.raises(TopologyError, match="takes a Suppressed"):
        StreamsBuilder().table("t").suppress("until_window_closes")


# ---------------------------------------------------------------- SuppressTopologyTest
NAMED_FINAL_TOPOLOGY = """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> counts-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: counts-repartition-filter (stores: [])
      --> counts-repartition-sink
      <-- KSTREAM-KEY-SELECT-0000000001
    Sink: counts-repartition-sink (topic: counts-repartition)
      <-- counts-repartition-filter

  Sub-topology: 1
    Source: counts-repartition-source (topics: [counts-repartition])
      --> KSTREAM-AGGREGATE-0000000002
    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [counts])
      --> myname
      <-- counts-repartition-source
    Processor: myname (stores: [myname-store])
      --> KTABLE-TOSTREAM-0000000006
      <-- KSTREAM-AGGREGATE-0000000002
    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])
      --> KSTREAM-MAP-0000000007
      <-- myname
    Processor: KSTREAM-MAP-0000000007 (stores: [])
      --> KSTREAM-SINK-0000000008
      <-- KTABLE-TOSTREAM-0000000006
    Sink: KSTREAM-SINK-0000000008 (topic: output-suppressed)
      <-- KSTREAM-MAP-0000000007

"""

ANONYMOUS_FINAL_TOPOLOGY = """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> counts-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: counts-repartition-filter (stores: [])
      --> counts-repartition-sink
      <-- KSTREAM-KEY-SELECT-0000000001
    Sink: counts-repartition-sink (topic: counts-repartition)
      <-- counts-repartition-filter

  Sub-topology: 1
    Source: counts-repartition-source (topics: [counts-repartition])
      --> KSTREAM-AGGREGATE-0000000002
    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [counts])
      --> KTABLE-SUPPRESS-0000000006
      <-- counts-repartition-source
    Processor: KTABLE-SUPPRESS-0000000006 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000007])
      --> KTABLE-TOSTREAM-0000000008
      <-- KSTREAM-AGGREGATE-0000000002
    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])
      --> KSTREAM-MAP-0000000009
      <-- KTABLE-SUPPRESS-0000000006
    Processor: KSTREAM-MAP-0000000009 (stores: [])
      --> KSTREAM-SINK-0000000010
      <-- KTABLE-TOSTREAM-0000000008
    Sink: KSTREAM-SINK-0000000010 (topic: output-suppressed)
      <-- KSTREAM-MAP-0000000009

"""

NAMED_INTERMEDIATE_TOPOLOGY = """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-AGGREGATE-0000000002
    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])
      --> asdf
      <-- KSTREAM-SOURCE-0000000000
    Processor: asdf (stores: [asdf-store])
      --> KTABLE-TOSTREAM-0000000003
      <-- KSTREAM-AGGREGATE-0000000002
    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- asdf
    Sink: KSTREAM-SINK-0000000004 (topic: output)
      <-- KTABLE-TOSTREAM-0000000003

"""

ANONYMOUS_INTERMEDIATE_TOPOLOGY = """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-AGGREGATE-0000000002
    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])
      --> KTABLE-SUPPRESS-0000000003
      <-- KSTREAM-SOURCE-0000000000
    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])
      --> KTABLE-TOSTREAM-0000000005
      <-- KSTREAM-AGGREGATE-0000000002
    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000006
      <-- KTABLE-SUPPRESS-0000000003
    Sink: KSTREAM-SINK-0000000006 (topic: output)
      <-- KTABLE-TOSTREAM-0000000005

"""


def _final_topology(suppressed: Suppressed) -> str:
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(S, S))
        .group_by(lambda k, v: k, Grouped.with_(S, S))
        .windowed_by(TimeWindows.of_size_and_grace(5, 5))
        .count(materialized=Materialized.as_("counts").with_caching_disabled())
        .suppress(suppressed)
        .to_stream()
        .map(lambda k, v: (str(k), v))
        .to("output-suppressed", Produced.with_(S, L))
    )
    return str(builder.build().describe())


def _intermediate_topology(suppressed: Suppressed) -> str:
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.with_(S, S)).group_by_key().count()
        .suppress(suppressed).to_stream().to("output", Produced.with_(S, L))
    )
    return str(builder.build().describe())


def test_should_use_numbering_for_anonymous_final_suppression_node() -> None:
    assert _final_topology(until_window_closes(unbounded())) == ANONYMOUS_FINAL_TOPOLOGY


def test_should_apply_name_to_final_suppression_node() -> None:
    assert _final_topology(until_window_closes(unbounded()).with_name("myname")) == NAMED_FINAL_TOPOLOGY


def test_should_use_numbering_for_anonymous_suppression_node() -> None:
    assert _intermediate_topology(until_time_limit(1000, unbounded())) == ANONYMOUS_INTERMEDIATE_TOPOLOGY


def test_should_apply_name_to_suppression_node() -> None:
    assert _intermediate_topology(until_time_limit(1000, unbounded()).with_name("asdf")) == (
        NAMED_INTERMEDIATE_TOPOLOGY
    )
