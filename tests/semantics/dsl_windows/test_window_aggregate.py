"""Windowed aggregations on the TopologyTestDriver, value for value as Kafka's tests (streams/src/test/java/org/
apache/kafka/streams/kstream/internals/):

- KStreamWindowAggregateTest: testAggBasic, shouldLogAndMeterWhenSkippingNullKey,
  shouldLogAndMeterWhenSkippingExpiredWindow, shouldLogAndMeterWhenSkippingExpiredWindowByGrace — each for
  ON_WINDOW_UPDATE and ON_WINDOW_CLOSE (the "with cache" variants are the same: kstreams_nb has no record cache,
  and Kafka's expectations are identical with and without it). Metrics assertions are replaced by the log lines.
- TimeWindowedKStreamImplTest: shouldCountWindowed, shouldReduceWindowed, shouldAggregateWindowed (both
  strategies), shouldMaterializeCount / Reduced / Aggregated (without cache), the null-argument checks.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kstreams_nb.dsl import (
    Consumed,
    EmitStrategy,
    Grouped,
    Materialized,
    Named,
    StrategyType,
    StreamsBuilder,
    TimeWindowedKStream,
    TimeWindows,
)
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import ValueAndTimestamp
from kstreams_nb.testing import TopologyTestDriver

from ..dsl._support import STRING_ADDER, STRING_INIT, TOSTRING_ADDER, MockProcessorSupplier, streams_config
from ..dsl._support import KeyValueTimestamp as KVT

S = Serdes.string()
PROPS = streams_config(S, S)
STRATEGIES = [StrategyType.ON_WINDOW_UPDATE, StrategyType.ON_WINDOW_CLOSE]
LOGGER = "kstreams_nb.dsl.window_aggregate"


def W(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, Window(start, end))


def plus(key: Any, value: Any, agg: Any) -> str:
    """MockAggregator.toStringInstance("+")."""
    return f"{agg}+{value}"


# ---------------------------------------------------------------- KStreamWindowAggregateTest
AGG_BASIC_INPUT = [
    ("A", "1", 0), ("B", "2", 1), ("C", "3", 2), ("D", "4", 3), ("A", "1", 4),
    ("A", "1", 5), ("B", "2", 6), ("D", "4", 7), ("B", "2", 8), ("C", "3", 9),
    ("A", "1", 10), ("B", "2", 11), ("D", "4", 12), ("B", "2", 13), ("C", "3", 14),
    ("B", "1", 3), ("B", "2", 2), ("B", "3", 9),
]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_agg_basic(strategy: StrategyType) -> None:
    builder = StreamsBuilder()
    table2 = (
        builder.stream("topic1", Consumed.with_(S, S))
        .group_by_key(Grouped.with_(S, S))
        .windowed_by(TimeWindows.of_size_and_grace(10, 100).advance_by(5))
        .emit_strategy(EmitStrategy.for_type(strategy))
        .aggregate(STRING_INIT, TOSTRING_ADDER, materialized=Materialized.as_("topic1-Canonized").with_value_serde(S))
    )
    supplier = MockProcessorSupplier()
    table2.to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        topic1 = driver.create_input_topic("topic1", S, S)
        for key, value, ts in AGG_BASIC_INPUT:
            topic1.pipe_input(key, value, ts)
    processed = supplier.the_captured_processor().processed
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        assert processed == []  # nothing closes: the grace is 100
        return
    assert processed == [
        KVT(W("A", 0, 10), "0+1", 0), KVT(W("B", 0, 10), "0+2", 1), KVT(W("C", 0, 10), "0+3", 2),
        KVT(W("D", 0, 10), "0+4", 3), KVT(W("A", 0, 10), "0+1+1", 4),
        KVT(W("A", 0, 10), "0+1+1+1", 5), KVT(W("A", 5, 15), "0+1", 5),
        KVT(W("B", 0, 10), "0+2+2", 6), KVT(W("B", 5, 15), "0+2", 6),
        KVT(W("D", 0, 10), "0+4+4", 7), KVT(W("D", 5, 15), "0+4", 7),
        KVT(W("B", 0, 10), "0+2+2+2", 8), KVT(W("B", 5, 15), "0+2+2", 8),
        KVT(W("C", 0, 10), "0+3+3", 9), KVT(W("C", 5, 15), "0+3", 9),
        KVT(W("A", 5, 15), "0+1+1", 10), KVT(W("A", 10, 20), "0+1", 10),
        KVT(W("B", 5, 15), "0+2+2+2", 11), KVT(W("B", 10, 20), "0+2", 11),
        KVT(W("D", 5, 15), "0+4+4", 12), KVT(W("D", 10, 20), "0+4", 12),
        KVT(W("B", 5, 15), "0+2+2+2+2", 13), KVT(W("B", 10, 20), "0+2+2", 13),
        KVT(W("C", 5, 15), "0+3+3", 14), KVT(W("C", 10, 20), "0+3", 14),
        KVT(W("B", 0, 10), "0+2+2+2+1", 8),
        KVT(W("B", 0, 10), "0+2+2+2+1+2", 8),
        KVT(W("B", 0, 10), "0+2+2+2+1+2+3", 9),
        KVT(W("B", 5, 15), "0+2+2+2+2+3", 13),
    ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_log_and_meter_when_skipping_null_key(strategy: StrategyType, caplog: pytest.LogCaptureFixture) -> None:
    builder = StreamsBuilder()
    (
        builder.stream("topic", Consumed.with_(S, S))
        .group_by_key(Grouped.with_(S, S))
        .windowed_by(TimeWindows.of_size_with_no_grace(10).advance_by(5))
        .emit_strategy(EmitStrategy.for_type(strategy))
        .aggregate(STRING_INIT, plus, materialized=Materialized.as_("topic1-Canonicalized").with_value_serde(S))
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER), TopologyTestDriver(builder.build(), PROPS) as driver:
        driver.create_input_topic("topic", S, S).pipe_input(None, "1")
    assert "Skipping record due to null key. topic=[topic] partition=[0] offset=[0]" in caplog.messages


def _expired_window_topology(strategy: StrategyType, windows: TimeWindows, materialized: Materialized) -> Any:
    builder = StreamsBuilder()
    (
        builder.stream("topic", Consumed.with_(S, S))
        .group_by_key(Grouped.with_(S, S))
        .windowed_by(windows)
        .emit_strategy(EmitStrategy.for_type(strategy))
        .aggregate(lambda: "", plus, materialized=materialized)
        .to_stream()
        .map(lambda key, value: (str(key), value))
        .to("output")
    )
    return builder.build()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_log_and_meter_when_skipping_expired_window(
    strategy: StrategyType, caplog: pytest.LogCaptureFixture
) -> None:
    topology = _expired_window_topology(
        strategy,
        TimeWindows.of_size_and_grace(10, 90).advance_by(5),
        Materialized.as_("topic1-Canonicalized").with_value_serde(S).with_logging_disabled().with_retention(100),
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER), TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("topic", S, S)
        for value, ts in [("100", 100), ("0", 0), ("1", 1), ("2", 2), ("3", 3), ("4", 4), ("5", 5), ("6", 6),
                          ("105", 105), ("106", 106)]:
            topic.pipe_input("k", value, ts)
        expected_logs = [
            f"Skipping record for expired window. topic=[topic] partition=[0] offset=[{offset}] timestamp=[{ts}] "
            "window=[0,10) expiration=[10] streamTime=[100]"
            for offset, ts in zip(range(1, 8), range(7), strict=True)
        ]
        assert [m for m in caplog.messages if m.startswith("Skipping")] == expected_logs  # 7 dropped
        output = driver.create_output_topic("output", S, S)
        records = [(r.key, r.value, r.timestamp) for r in output.read_records_to_list()]
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        assert records == [("[k@5/15]", "+5+6", 6)]  # window close time is 15 when the timestamp is 105
    else:
        assert records == [
            ("[k@95/105]", "+100", 100), ("[k@100/110]", "+100", 100), ("[k@5/15]", "+5", 5),
            ("[k@5/15]", "+5+6", 6), ("[k@100/110]", "+100+105", 105), ("[k@105/115]", "+105", 105),
            ("[k@100/110]", "+100+105+106", 106), ("[k@105/115]", "+105+106", 106),
        ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_log_and_meter_when_skipping_expired_window_by_grace(
    strategy: StrategyType, caplog: pytest.LogCaptureFixture
) -> None:
    topology = _expired_window_topology(
        strategy,
        TimeWindows.of_size_and_grace(10, 90).advance_by(10),
        Materialized.as_("topic1-Canonicalized").with_value_serde(S).with_logging_disabled(),
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER), TopologyTestDriver(topology, PROPS) as driver:
        topic = driver.create_input_topic("topic", S, S)
        for value, ts in [("100", 200), ("0", 100), ("1", 101), ("2", 102), ("3", 103), ("4", 104), ("5", 105),
                          ("6", 6)]:
            topic.pipe_input("k", value, ts)
        expected_logs = [
            f"Skipping record for expired window. topic=[topic] partition=[0] offset=[{offset}] timestamp=[{ts}] "
            f"window=[{ts // 10 * 10},{ts // 10 * 10 + 10}) expiration=[110] streamTime=[200]"
            for offset, ts in [(1, 100), (2, 101), (3, 102), (4, 103), (5, 104), (6, 105), (7, 6)]
        ]
        assert [m for m in caplog.messages if m.startswith("Skipping")] == expected_logs
        records = [(r.key, r.value, r.timestamp) for r in driver.create_output_topic("output", S, S)
                   .read_records_to_list()]
    assert records == ([] if strategy is StrategyType.ON_WINDOW_CLOSE else [("[k@200/210]", "+100", 200)])


# ---------------------------------------------------------------- TimeWindowedKStreamImplTest
K1_W0, K1_W1 = W("1", 0, 500), W("1", 500, 1000)
K2_W1, K2_W2 = W("2", 500, 1000), W("2", 1000, 1500)


def _windowed_stream(builder: StreamsBuilder) -> TimeWindowedKStream:
    return (
        builder.stream("input", Consumed.with_(S, S))
        .group_by_key(Grouped.with_(S, S))
        .windowed_by(TimeWindows.of_size_with_no_grace(500))
    )


def _process_data(driver: TopologyTestDriver) -> None:
    topic = driver.create_input_topic("input", S, S)
    for key, value, ts in [("1", "1", 10), ("1", "2", 15), ("1", "3", 500), ("2", "10", 550), ("2", "20", 500),
                           ("2", "30", 1000)]:
        topic.pipe_input(key, value, ts)


def _run(strategy: StrategyType, aggregate: Any) -> list[KVT]:
    builder = StreamsBuilder()
    supplier = MockProcessorSupplier()
    aggregate(_windowed_stream(builder).emit_strategy(EmitStrategy.for_type(strategy))).to_stream().process(supplier)
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
    return supplier.the_captured_processor().processed


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_count_windowed(strategy: StrategyType) -> None:
    processed = _run(strategy, lambda w: w.count())
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        assert processed == [KVT(K1_W0, 2, 15), KVT(K1_W1, 1, 500), KVT(K2_W1, 2, 550)]
    else:
        assert processed == [
            KVT(K1_W0, 1, 10), KVT(K1_W0, 2, 15), KVT(K1_W1, 1, 500), KVT(K2_W1, 1, 550), KVT(K2_W1, 2, 550),
            KVT(K2_W2, 1, 1000),
        ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_reduce_windowed(strategy: StrategyType) -> None:
    processed = _run(strategy, lambda w: w.reduce(STRING_ADDER))
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        assert processed == [KVT(K1_W0, "1+2", 15), KVT(K1_W1, "3", 500), KVT(K2_W1, "10+20", 550)]
    else:
        assert processed == [
            KVT(K1_W0, "1", 10), KVT(K1_W0, "1+2", 15), KVT(K1_W1, "3", 500), KVT(K2_W1, "10", 550),
            KVT(K2_W1, "10+20", 550), KVT(K2_W2, "30", 1000),
        ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_aggregate_windowed(strategy: StrategyType) -> None:
    processed = _run(
        strategy, lambda w: w.aggregate(STRING_INIT, TOSTRING_ADDER, materialized=Materialized.with_(S, S))
    )
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        assert processed == [KVT(K1_W0, "0+1+2", 15), KVT(K1_W1, "0+3", 500), KVT(K2_W1, "0+10+20", 550)]
    else:
        assert processed == [
            KVT(K1_W0, "0+1", 10), KVT(K1_W0, "0+1+2", 15), KVT(K1_W1, "0+3", 500), KVT(K2_W1, "0+10", 550),
            KVT(K2_W1, "0+10+20", 550), KVT(K2_W2, "0+30", 1000),
        ]


def _fetched(driver: TopologyTestDriver, store_name: str) -> list[tuple[Windowed[str], Any]]:
    with driver.get_timestamped_window_store(store_name).fetch_range("1", "2", 0, 1000) as it:
        return list(it)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_should_materialize_count(strategy: StrategyType) -> None:
    builder = StreamsBuilder()
    _windowed_stream(builder).emit_strategy(EmitStrategy.for_type(strategy)).count(
        materialized=Materialized.as_("count-store").with_key_serde(S).with_value_serde(Serdes.long())
        .with_caching_disabled()
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        data = _fetched(driver, "count-store")
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        # Kafka's time-ordered store (emit on close) expires windows one ms later
        assert data == [(K1_W1, ValueAndTimestamp(1, 500)), (K2_W1, ValueAndTimestamp(2, 550)),
                        (K2_W2, ValueAndTimestamp(1, 1000))]
    else:
        # without cache, only non-expired records: observed 1000 - retention 500 + 1 = 501
        assert data == [(K2_W2, ValueAndTimestamp(1, 1000))]


def test_should_materialize_reduced() -> None:
    builder = StreamsBuilder()
    _windowed_stream(builder).reduce(
        STRING_ADDER, materialized=Materialized.as_("reduced").with_key_serde(S).with_value_serde(S)
        .with_caching_disabled()
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        assert _fetched(driver, "reduced") == [(K2_W2, ValueAndTimestamp("30", 1000))]


def test_should_materialize_aggregated() -> None:
    builder = StreamsBuilder()
    _windowed_stream(builder).aggregate(
        STRING_INIT, TOSTRING_ADDER,
        materialized=Materialized.as_("aggregated").with_key_serde(S).with_value_serde(S).with_caching_disabled(),
    )
    with TopologyTestDriver(builder.build(), PROPS) as driver:
        _process_data(driver)
        assert _fetched(driver, "aggregated") == [(K2_W2, ValueAndTimestamp("0+30", 1000))]


@pytest.mark.parametrize(
    "call",
    [
        lambda w: w.aggregate(None, TOSTRING_ADDER),
        lambda w: w.aggregate(STRING_INIT, None),
        lambda w: w.reduce(None),
        lambda w: w.aggregate(None, TOSTRING_ADDER, materialized=Materialized.as_("store")),
        lambda w: w.reduce(None, named=Named.as_("reduce"), materialized=Materialized.as_("store")),
        lambda w: w.emit_strategy("on_window_close"),
    ],
)
def test_should_throw_on_missing_callables(call: Any) -> None:
    with pytest.raises(TopologyError):
        call(_windowed_stream(StreamsBuilder()))
