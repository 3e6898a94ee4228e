"""Session-windowed aggregations on the TopologyTestDriver, value for value as Kafka's
KStreamSessionWindowAggregateProcessorTest (streams/src/test/java/org/apache/kafka/streams/kstream/internals/),
each for ON_WINDOW_UPDATE and ON_WINDOW_CLOSE.

Kafka's test drives the processor directly over a session store (gap 5 minutes, no grace, count with a summing
merger, emit interval 0); here the same records go through ``windowed_by(SessionWindows).aggregate(...)`` on the
driver and the store is read back from the driver. Kafka's test store is cached, so on update it expects only the
last update per session; kstreams_nb has no record cache, so on update every update is forwarded, as in Kafka's
uncached case (shouldImmediatelyForwardRemovedSessionsWhenMerging). Metrics assertions are replaced by log lines.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams_nb.dsl import Consumed, EmitStrategy, Grouped, Materialized, Produced, StrategyType, StreamsBuilder
from kstreams_nb.dsl.session_aggregate import SessionValueGetter
from kstreams_nb.dsl.windows import SessionWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.records import Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.state.session import SessionWindowedSerde
from kstreams_nb.testing import TopologyTestDriver

from ._support import streams_config

S = Serdes.string()
L = Serdes.long()
PROPS = streams_config(S, S)
GAP = 5 * 60 * 1000
STORE = "session-store"
STRATEGIES = [StrategyType.ON_WINDOW_UPDATE, StrategyType.ON_WINDOW_CLOSE]
LOGGER = "kstreams_nb.dsl.session_aggregate"
Out = tuple[Any, Any, "int | None"]


def W(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, Window(start, end))


def _topology(strategy: StrategyType, windows: SessionWindows | None = None) -> Any:
    b = StreamsBuilder()
    sessions = b.stream("in", Consumed.with_(S, S)).group_by_key().windowed_by(
        windows or SessionWindows.of_inactivity_gap_with_no_grace(GAP)
    ).emit_strategy(EmitStrategy.for_type(strategy))
    table = sessions.aggregate(
        lambda: 0, lambda key, value, agg: agg + 1, lambda key, agg1, agg2: agg1 + agg2,
        materialized=Materialized.as_(STORE).with_value_serde(L).with_retention(GAP * 3),  # as Kafka's test store
    )
    table.to_stream().to("out", Produced.with_(SessionWindowedSerde(S), L))
    return b.build()


class _Run:
    """A driver over the session count topology; ``pipe`` then read the store or the output."""

    def __init__(self, strategy: StrategyType, windows: SessionWindows | None = None) -> None:
        self.driver = TopologyTestDriver(_topology(strategy, windows), PROPS)
        self.input = self.driver.create_input_topic("in", S, S)
        self.output = self.driver.create_output_topic("out", SessionWindowedSerde(S), L)
        self.store = self.driver.get_state_store(STORE)

    def pipe(self, key: str, value: str, ts: int) -> None:
        self.input.pipe_input(key, value, ts)

    def sessions(self, key: str, earliest_end: int, latest_start: int) -> list[tuple[Windowed[str], int]]:
        with self.store.find_sessions(key, earliest_end, latest_start) as it:
            return list(it)

    def results(self) -> list[Out]:
        return [(str(r.key), r.value, r.timestamp) for r in self.output.read_records_to_list()]

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.driver.close()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_create_single_session_when_within_gap(strategy: StrategyType) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldCreateSingleSessionWhenWithinGap."""
    with _Run(strategy) as run:
        run.pipe("john", "first", 0)
        run.pipe("john", "second", 500)
        assert run.sessions("john", 0, 2000) == [(W("john", 0, 500), 2)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_merge_sessions(strategy: StrategyType) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldMergeSessions."""
    with _Run(strategy) as run:
        run.pipe("mel", "first", 0)
        assert run.sessions("mel", 0, 0) == [(W("mel", 0, 0), 1)]
        run.pipe("mel", "second", GAP + 1)  # beyond the gap: a second session
        assert run.sessions("mel", GAP + 1, GAP + 1) == [(W("mel", GAP + 1, GAP + 1), 1)]
        assert run.sessions("mel", 0, 0) == [(W("mel", 0, 0), 1)]
        run.pipe("mel", "third", GAP // 2)  # back in time: bridges both sessions
        assert run.sessions("mel", 0, GAP + 1) == [(W("mel", 0, GAP + 1), 3)]
        if strategy is StrategyType.ON_WINDOW_UPDATE:
            assert run.results() == [
                ("[mel@0/0]", 1, 0),
                (f"[mel@{GAP + 1}/{GAP + 1}]", 1, GAP + 1),
                ("[mel@0/0]", None, 0),
                (f"[mel@{GAP + 1}/{GAP + 1}]", None, GAP + 1),
                (f"[mel@0/{GAP + 1}]", 3, GAP + 1),
            ]
        else:
            # [0, 0] closed (and was emitted) once stream time reached GAP + 1; the late record still merges it,
            # as the merged session [0, GAP + 1] is open
            assert run.results() == [("[mel@0/0]", 1, 0)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_update_session_if_the_same_time(strategy: StrategyType) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldUpdateSessionIfTheSameTime."""
    with _Run(strategy) as run:
        run.pipe("mel", "first", 0)
        run.pipe("mel", "second", 0)
        assert run.sessions("mel", 0, 0) == [(W("mel", 0, 0), 2)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_multiple_sessions_for_same_id_when_timestamp_apart_by_session_gap(strategy: StrategyType) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldHaveMultipleSessionsForSameIdWhenTimestampApartBySessionGap
    (on update: every update, as without Kafka's cache)."""
    with _Run(strategy) as run:
        now = 0
        run.pipe("mel", "first", now)
        now += GAP + 1
        run.pipe("mel", "second", now)
        run.pipe("mel", "second", now)
        now += GAP + 1
        for _ in range(3):
            run.pipe("mel", "third", now)
        t1 = GAP + 1
        if strategy is StrategyType.ON_WINDOW_CLOSE:
            assert run.results() == [("[mel@0/0]", 1, 0), (f"[mel@{t1}/{t1}]", 2, t1)]
        else:
            assert run.results() == [
                ("[mel@0/0]", 1, 0),
                (f"[mel@{t1}/{t1}]", 1, t1),
                (f"[mel@{t1}/{t1}]", 2, t1),
                (f"[mel@{now}/{now}]", 1, now),
                (f"[mel@{now}/{now}]", 2, now),
                (f"[mel@{now}/{now}]", 3, now),
            ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_remove_merged_sessions_from_state_store(strategy: StrategyType) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldRemoveMergedSessionsFromStateStore."""
    with _Run(strategy) as run:
        run.pipe("a", "1", 0)
        assert run.sessions("a", 0, 0) == [(W("a", 0, 0), 1)]
        run.pipe("a", "2", 100)
        assert run.sessions("a", 0, 100) == [(W("a", 0, 100), 2)]


MULTI_INPUT = [
    ("a", "1", 0), ("b", "1", 0), ("c", "1", 0), ("d", "1", 0), ("d", "2", GAP // 2), ("a", "2", GAP + 1),
    ("b", "2", GAP + 1), ("a", "3", GAP + 1 + GAP // 2), ("c", "3", GAP + 1 + GAP // 2),
]


@pytest.mark.replay_refused("emits once stream time passes: on 3 partitions each key has its own stream time")
def test_handle_multiple_sessions_and_merging_on_window_close() -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldHandleMultipleSessionsAndMerging (ON_WINDOW_CLOSE)."""
    with _Run(StrategyType.ON_WINDOW_CLOSE) as run:
        for key, value, ts in MULTI_INPUT:
            run.pipe(key, value, ts)
        assert run.results() == [
            ("[a@0/0]", 1, 0), ("[b@0/0]", 1, 0), ("[c@0/0]", 1, 0), (f"[d@0/{GAP // 2}]", 2, GAP // 2),
        ]


def test_handle_multiple_sessions_and_merging_on_window_update() -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldHandleMultipleSessionsAndMerging (ON_WINDOW_UPDATE,
    every update and tombstone as without Kafka's cache; the last per session are Kafka's cached results)."""
    t1, t2 = GAP + 1, GAP + 1 + GAP // 2
    with _Run(StrategyType.ON_WINDOW_UPDATE) as run:
        for key, value, ts in MULTI_INPUT:
            run.pipe(key, value, ts)
        assert run.results() == [
            ("[a@0/0]", 1, 0), ("[b@0/0]", 1, 0), ("[c@0/0]", 1, 0), ("[d@0/0]", 1, 0),
            ("[d@0/0]", None, 0), (f"[d@0/{GAP // 2}]", 2, GAP // 2),
            (f"[a@{t1}/{t1}]", 1, t1), (f"[b@{t1}/{t1}]", 1, t1),
            (f"[a@{t1}/{t1}]", None, t1), (f"[a@{t1}/{t2}]", 2, t2),
            (f"[c@{t2}/{t2}]", 1, t2),
        ]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_get_aggregated_values_from_value_getter(strategy: StrategyType) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldGetAggregatedValuesFromValueGetter."""
    with _Run(strategy) as run:
        get = SessionValueGetter(STORE).getter(SimpleNamespace(get_state_store=run.driver.get_state_store))
        run.pipe("a", "1", 0)
        run.pipe("a", "1", GAP + 1)
        run.pipe("a", "2", GAP + 1)
        assert get(W("a", 0, 0)).value == 1
        assert get(W("a", GAP + 1, GAP + 1)).value == 2
        assert get(W("a", GAP + 1, GAP + 1)).timestamp == GAP + 1
        assert get(W("a", 1, 1)) is None


def test_immediately_forward_removed_sessions_when_merging() -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldImmediatelyForwardRemovedSessionsWhenMerging."""
    with _Run(StrategyType.ON_WINDOW_UPDATE) as run:
        run.pipe("a", "1", 0)
        run.pipe("a", "1", 5)
        assert run.results() == [("[a@0/0]", 1, 0), ("[a@0/0]", None, 0), ("[a@0/5]", 2, 5)]


@pytest.mark.replay_refused("a late record: on 3 partitions each key has its own stream time")
@pytest.mark.parametrize("grace", [0, 1])
def test_log_when_skipping_late_record(grace: int, caplog: pytest.LogCaptureFixture) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithZeroGrace and
    ...WithNonzeroGrace (gap 10): a session ending before stream time - gap - grace is skipped."""
    windows = SessionWindows.of_inactivity_gap_and_grace(10, grace)
    with _Run(StrategyType.ON_WINDOW_UPDATE, windows) as run, caplog.at_level(logging.WARNING, LOGGER):
        run.pipe("dummy", "dummy", 0)
        run.pipe("OnTime1", "1", 0)
        run.pipe("dummy", "dummy", 11 + grace)  # stream time past the gap (and grace)
        run.pipe("Late1", "1", 0)
        run.pipe("OnTime2", "1", 1)  # still within: 1 >= 11 + grace - 10 - grace
        expiration = 1
        assert (
            "Skipping record for expired window. topic=[in] partition=[0] offset=[3] timestamp=[0] window=[0,0] "
            f"expiration=[{expiration}] streamTime=[{11 + grace}]"
        ) in caplog.messages
        assert [k for k, _, _ in run.results()] == [
            "[dummy@0/0]", "[OnTime1@0/0]", f"[dummy@{11 + grace}/{11 + grace}]", "[OnTime2@1/1]",
        ]


def test_null_key_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingNullKeyWithBuiltInMetrics."""
    with _Run(StrategyType.ON_WINDOW_UPDATE) as run, caplog.at_level(logging.WARNING):
        run.input.pipe_input(None, "1", 0)
        assert run.results() == []
        assert "Skipping record due to null key. topic=[in] partition=[0] offset=[0]" in caplog.messages


# ---------------------------------------------------------------- SessionWindowedKStreamImplTest
IMPL_INPUT = [("1", "1", 10), ("1", "2", 15), ("1", "3", 600), ("2", "1", 600), ("2", "2", 599)]


def _impl_stream(strategy: StrategyType) -> tuple[StreamsBuilder, Any]:
    b = StreamsBuilder()
    grouped = b.stream("input", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    stream = grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(500))
    return b, stream.emit_strategy(EmitStrategy.for_type(strategy))


def _impl_run(b: StreamsBuilder, value_serde: Any) -> list[Out]:
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        for key, value, ts in IMPL_INPUT:
            topic.pipe_input(key, value, ts)
        out = driver.create_output_topic("out", SessionWindowedSerde(S), value_serde)
        return [(str(r.key), r.value, r.timestamp) for r in out.read_records_to_list()]


def _impl_expected(strategy: StrategyType, merged1: Any, single3: Any, merged2: Any, single: Any) -> list[Out]:
    if strategy is StrategyType.ON_WINDOW_CLOSE:
        return [("[1@10/15]", merged1, 15)]
    return [
        ("[1@10/10]", single, 10), ("[1@10/10]", None, 10), ("[1@10/15]", merged1, 15),
        ("[1@600/600]", single3, 600), ("[2@600/600]", single, 600), ("[2@600/600]", None, 600),
        ("[2@599/600]", merged2, 600),
    ]


@pytest.mark.replay_refused("emit on close follows stream time: on 3 partitions each key has its own")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_count_session_windowed(strategy: StrategyType) -> None:
    """SessionWindowedKStreamImplTest.shouldCountSessionWindowedWithCachingDisabled (gap 500)."""
    b, stream = _impl_stream(strategy)
    stream.count().to_stream().to("out", Produced.with_(SessionWindowedSerde(S), L))
    assert _impl_run(b, L) == _impl_expected(strategy, 2, 1, 2, 1)


@pytest.mark.replay_refused("emit on close follows stream time: on 3 partitions each key has its own")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_reduce_windowed(strategy: StrategyType) -> None:
    """SessionWindowedKStreamImplTest.shouldReduceWindowed."""
    b, stream = _impl_stream(strategy)
    stream.reduce(lambda agg, value: f"{agg}+{value}").to_stream().to(
        "out", Produced.with_(SessionWindowedSerde(S), S))
    assert _impl_run(b, S) == _impl_expected(strategy, "1+2", "3", "1+2", "1")


@pytest.mark.replay_refused("emit on close follows stream time: on 3 partitions each key has its own")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_aggregate_session_windowed(strategy: StrategyType) -> None:
    """SessionWindowedKStreamImplTest.shouldAggregateSessionWindowed."""
    b, stream = _impl_stream(strategy)
    stream.aggregate(
        lambda: "0", lambda key, value, agg: f"{agg}+{value}", lambda key, agg1, agg2: f"{agg1}+{agg2}",
        Materialized.with_(S, S),
    ).to_stream().to("out", Produced.with_(SessionWindowedSerde(S), S))
    assert _impl_run(b, S) == _impl_expected(strategy, "0+0+1+2", "0+3", "0+0+1+2", "0+1")


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("op", ["count", "reduce", "aggregate"])
def test_materialize(strategy: StrategyType, op: str) -> None:
    """SessionWindowedKStreamImplTest.shouldMaterializeCount / Reduced / Aggregated. Kafka's on-update store is
    a segmented RocksDB store that still holds the expired session [10, 15]; kstreams_nb's default session store
    expires sessions as Kafka's in-memory (and time-ordered) session store does, so both strategies hold what
    Kafka's emit-on-close store holds."""
    b, stream = _impl_stream(strategy)
    if op == "count":
        stream.count(Materialized.as_("store"))
        expected: list[Any] = [(W("1", 600, 600), 1), (W("2", 599, 600), 2)]
    elif op == "reduce":
        stream.reduce(lambda agg, value: f"{agg}+{value}", Materialized.as_("store"))
        expected = [(W("1", 600, 600), "3"), (W("2", 599, 600), "1+2")]
    else:
        stream.aggregate(lambda: "0", lambda key, value, agg: f"{agg}+{value}",
                         lambda key, agg1, agg2: f"{agg1}+{agg2}", Materialized.as_("store").with_value_serde(S))
        expected = [(W("1", 600, 600), "0+3"), (W("2", 599, 600), "0+0+1+2")]
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        for key, value, ts in IMPL_INPUT:
            topic.pipe_input(key, value, ts)
        with driver.get_state_store("store").fetch("1", "2") as it:
            assert list(it) == expected


@pytest.mark.parametrize("op", ["count", "reduce", "aggregate"])
def test_null_callables_are_refused(op: str) -> None:
    """SessionWindowedKStreamImplTest.shouldThrowNullPointerOn{Aggregate,Reduce,...}If*IsNull."""
    _, stream = _impl_stream(StrategyType.ON_WINDOW_UPDATE)
    with pytest.raises(TopologyError):
        if op == "reduce":
            stream.reduce(None)
        elif op == "aggregate":
            stream.aggregate(lambda: "0", lambda k, v, a: a, None)
        else:
            stream.count(materialized=Materialized.as_("s").with_retention(10))  # retention < gap + grace


@pytest.mark.replay_refused("final results follow stream time: on 3 partitions each key has its own")
def test_final_results_for_session_windows() -> None:
    """SuppressScenarioTest.shouldSupportFinalResultsForSessionWindows: suppress(until_window_closes) waits
    gap + grace after a session's end."""
    from kstreams_nb.dsl.suppress import BufferConfig, Suppressed

    b = StreamsBuilder()
    counts = b.stream("input", Consumed.with_(S, S)).group_by(lambda k, v: k, Grouped.with_(S, S)).windowed_by(
        SessionWindows.of_inactivity_gap_with_no_grace(5)
    ).count(materialized=Materialized.as_("counts").with_caching_disabled())
    counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded())).to_stream().map(
        lambda k, v: (str(k), v)).to("output-suppressed", Produced.with_(S, L))
    counts.to_stream().map(lambda k, v: (str(k), v)).to("output-raw", Produced.with_(S, L))
    with TopologyTestDriver(b.build(), PROPS) as driver:
        topic = driver.create_input_topic("input", S, S)
        for ts in (0, 5, 1):
            topic.pipe_input("k1", "v1", ts)
        topic.pipe_input("k2", "v1", 11)
        topic.pipe_input("k1", "v1", 5)  # late: [0, 5] closed at stream time 11
        topic.pipe_input("k1", "v1", 30)

        def read(name: str) -> list[Out]:
            out = driver.create_output_topic(name, S, L)
            return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]

        assert read("output-raw") == [
            ("[k1@0/0]", 1, 0), ("[k1@0/0]", None, 0), ("[k1@0/5]", 2, 5), ("[k1@0/5]", None, 5),
            ("[k1@0/5]", 3, 5), ("[k2@11/11]", 1, 11), ("[k1@30/30]", 1, 30),
        ]
        assert read("output-suppressed") == [("[k1@0/5]", 3, 5), ("[k2@11/11]", 1, 11)]


def test_describe() -> None:
    """Names as Kafka's SessionWindowedKStreamImpl: the store number first, then the processor's; a key change
    upstream adds the repartition topic named after the store."""
    b = StreamsBuilder()
    b.stream("input").select_key(lambda k, v: v).group_by_key().windowed_by(
        SessionWindows.of_inactivity_gap_with_no_grace(5)).reduce(lambda a, v: a + v).to_stream().to("out")
    assert str(b.build().describe()) == """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [input])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> KSTREAM-FILTER-0000000005
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-FILTER-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000004
      <-- KSTREAM-KEY-SELECT-0000000001
    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-REDUCE-STATE-STORE-0000000002-repartition)
      <-- KSTREAM-FILTER-0000000005

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-REDUCE-STATE-STORE-0000000002-repartition])
      --> KSTREAM-REDUCE-0000000003
    Processor: KSTREAM-REDUCE-0000000003 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000002])
      --> KTABLE-TOSTREAM-0000000007
      <-- KSTREAM-SOURCE-0000000006
    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])
      --> KSTREAM-SINK-0000000008
      <-- KSTREAM-REDUCE-0000000003
    Sink: KSTREAM-SINK-0000000008 (topic: out)
      <-- KTABLE-TOSTREAM-0000000007

"""


def test_driver_gives_the_session_store_by_name() -> None:
    """TopologyTestDriver.getSessionStore: the count's session store holds the merged session."""
    from kstreams_nb.dsl import Materialized, SessionWindows, StreamsBuilder
    from kstreams_nb.errors import UnknownStateStoreError
    from kstreams_nb.testing import TopologyTestDriver

    builder = StreamsBuilder()
    grouped = builder.stream("in").group_by_key()
    grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)).count(Materialized.as_("sessions"))
    grouped.count(Materialized.as_("totals"))
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("a", "1", 0)
        topic.pipe_input("a", "2", 5)
        store = driver.get_session_store("sessions")
        assert [(w.key, w.window.start, w.window.end, v) for w, v in store.fetch("a")] == [("a", 0, 5, 2)]
        with pytest.raises(UnknownStateStoreError, match="not a session store"):
            driver.get_session_store("totals")
