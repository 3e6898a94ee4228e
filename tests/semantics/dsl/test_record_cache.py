"""Record caches (``statestore.cache.max.bytes``, on by default with 10 MiB): a DSL aggregation whose store
caches forwards its updates when the cache flushes (on commit, or when it evicts), so repeated updates of a key
between two commits reach downstream once, with the final value (and, when old values are asked for, the value
before the first of them). With ``statestore.cache.max.bytes=0`` every update is forwarded.

Kafka's tests:

- KStreamAggregationDedupIntegrationTest (streams/src/test/java/org/apache/kafka/streams/integration/):
  shouldReduce, shouldReduceWindowed and shouldGroupByKey run with a 10 MiB cache and a 300 ms commit interval;
  the records of both batches of a key are folded before a commit, and each key (or window) is emitted once with
  its final aggregate. Here the same programs run on KafkaStreams over the embedded broker (all input there before
  the start, one commit for all of it), and again with the cache off, which emits every update.
- Kafka's TopologyTestDriver commits after each piped record: updates made while processing one record (a
  flatMapValues that fans out to the same key, as in KStreamAggregationDedupIntegrationTest's batches) are
  emitted once; SessionWindowedKStreamImplTest.shouldCountSessionWindowedWithCachingEnabled/Disabled shows that
  updates from different records are all emitted either way.

The driver sessions with the cache on are not replayed on the runtime (the replay runs with the cache off, which
emits every update).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kstreams_nb import KafkaStreams
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Grouped, Materialized, Produced, StreamsBuilder, TimeWindows
from kstreams_nb.dsl.windows import SessionWindows
from kstreams_nb.serdes import Serdes
from kstreams_nb.state.session import SessionWindowedSerde
from kstreams_nb.testing import TopologyTestDriver

from ._support import streams_config

S, L = Serdes.string(), Serdes.long()
CACHE_ON = "the record cache is on: the runtime replay runs with it off, which emits every update"
_ids = itertools.count()


def _fanned_out_counts(windowed: bool = False) -> Any:
    """Each input value is counted twice while one record is processed (flatMapValues to the same key)."""
    b = StreamsBuilder()
    grouped = b.stream("in", Consumed.with_(S, S)).flat_map_values(lambda v: [v, v]).group_by_key(Grouped.with_(S, S))
    if windowed:
        counts = grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).count()
        counts.to_stream(lambda wk, v: f"{wk.key}@{wk.window.start}").to("out", Produced.with_(S, L))
    else:
        grouped.count().to_stream().to("out", Produced.with_(S, L))
    return b.build()


def _run(
    topology: Any, cache_bytes: int | None, inputs: list[tuple[str, str, int]], key_serde: Any = S
) -> list[tuple[Any, Any, Any]]:
    config = streams_config(S, S) if cache_bytes is None else streams_config(
        S, S, **{"statestore.cache.max.bytes": cache_bytes})
    with TopologyTestDriver(topology, config) as driver:
        topic = driver.create_input_topic("in", S, S)
        for k, v, ts in inputs:
            topic.pipe_input(k, v, ts)
        out = driver.create_output_topic("out", key_serde, L)
        return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


@pytest.mark.replay_refused(CACHE_ON)
def test_the_driver_emits_one_update_per_key_and_input_record_with_the_default_cache() -> None:
    """Kafka's driver commits after each piped record: the two counts of one record are emitted once."""
    assert _run(_fanned_out_counts(), None, [("a", "x", 5), ("b", "y", 6), ("a", "z", 7)]) == [
        ("a", 2, 5), ("b", 2, 6), ("a", 4, 7),
    ]


def test_the_driver_emits_every_update_without_a_cache() -> None:
    """statestore.cache.max.bytes=0: every update is forwarded as it happens."""
    assert _run(_fanned_out_counts(), 0, [("a", "x", 5), ("b", "y", 6), ("a", "z", 7)]) == [
        ("a", 1, 5), ("a", 2, 5), ("b", 1, 6), ("b", 2, 6), ("a", 3, 7), ("a", 4, 7),
    ]


@pytest.mark.replay_refused(CACHE_ON)
def test_windowed_counts_are_emitted_once_per_window_and_input_record() -> None:
    """The windowed aggregation's store caches too (KStreamAggregationDedupIntegrationTest.shouldGroupByKey)."""
    assert _run(_fanned_out_counts(windowed=True), None, [("a", "x", 5), ("a", "y", 12)]) == [
        ("a@0", 2, 5), ("a@10", 2, 12),
    ]
    assert _run(_fanned_out_counts(windowed=True), 0, [("a", "x", 5)]) == [("a@0", 1, 5), ("a@0", 2, 5)]


@pytest.mark.replay_refused(CACHE_ON)
def test_old_values_are_the_last_flushed_ones() -> None:
    """A table aggregation downstream asks the count for old values: with the cache, the count sends
    ``Change(2, None)`` then ``Change(4, 2)`` (the store's value below the cache), so the total moves 2, 4;
    without it the total follows every update."""
    def program() -> Any:
        b = StreamsBuilder()
        counts = b.stream("in", Consumed.with_(S, S)).flat_map_values(lambda v: [v, v]).group_by_key().count()
        total = counts.group_by(lambda k, v: ("total", v), Grouped.with_(S, L)).reduce(
            lambda agg, v: agg + v, lambda agg, v: agg - v, materialized=Materialized.with_(S, L))
        total.to_stream().to("out", Produced.with_(S, L))
        return b.build()

    inputs = [("a", "x", 5), ("a", "y", 6)]
    assert [v for _, v, _ in _run(program(), None, inputs)] == [2, 4]
    assert [v for _, v, _ in _run(program(), 0, inputs)] == [1, 2, 3, 4]


def _session_counts(fan_out: int) -> Any:
    b = StreamsBuilder()
    (b.stream("in", Consumed.with_(S, S)).flat_map_values(lambda v: [v] * fan_out).group_by_key(Grouped.with_(S, S))
     .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(500)).count()
     .to_stream().to("out", Produced.with_(SessionWindowedSerde(S), L)))
    return b.build()


SESSION_INPUT = [("1", "1", 10), ("1", "2", 15), ("1", "3", 600), ("2", "1", 600), ("2", "2", 599)]


@pytest.mark.parametrize("cache_bytes", [None, 0])
def test_session_counts_with_and_without_the_cache(cache_bytes: int | None) -> None:
    """SessionWindowedKStreamImplTest.shouldCountSessionWindowedWithCachingEnabled / WithCachingDisabled (on
    window update): one update per record either way, the merged-away session's tombstone included."""
    out = _run(_session_counts(1), cache_bytes, SESSION_INPUT, SessionWindowedSerde(S))
    out = [(str(k), v, ts) for k, v, ts in out]
    assert out == [
        ("[1@10/10]", 1, 10), ("[1@10/10]", None, 10), ("[1@10/15]", 2, 15), ("[1@600/600]", 1, 600),
        ("[2@600/600]", 1, 600), ("[2@600/600]", None, 600), ("[2@599/600]", 2, 600),
    ]


@pytest.mark.replay_refused(CACHE_ON)
def test_session_updates_of_one_record_are_emitted_once() -> None:
    """The session store caches too: two counts of the same session while one record is processed, one update."""
    assert [(str(k), v, ts) for k, v, ts in _run(_session_counts(2), None, [("1", "x", 10)], SessionWindowedSerde(S))
            ] == [("[1@10/10]", 2, 10)]
    assert [v for _, v, _ in _run(_session_counts(2), 0, [("1", "x", 10)], SessionWindowedSerde(S))] == [1, 2]


# ---------------------------------------------------------------- KafkaStreams over the embedded broker
def _reduce_by_value() -> Any:
    """KStreamAggregationDedupIntegrationTest: ``groupBy((k, v) -> v).reduce((a, b) -> a + ":" + b)``."""
    b = StreamsBuilder()
    (b.stream("in", Consumed.with_(S, S)).group_by(lambda k, v: v, Grouped.with_(S, S))
     .reduce(lambda a, v: f"{a}:{v}", materialized=Materialized.as_("reduce-by-key"))
     .to_stream().to("out", Produced.with_(S, S)))
    return b.build()


def _count_windows() -> Any:
    """KStreamAggregationDedupIntegrationTest.shouldGroupByKey: windowed counts per key."""
    b = StreamsBuilder()
    (b.stream("in", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
     .windowed_by(TimeWindows.of_size_with_no_grace(500)).count(materialized=Materialized.as_("count-windows"))
     .to_stream(lambda wk, v: f"{wk.key}@{wk.window.start}").to("out", Produced.with_(S, L)))
    return b.build()


def _on_the_runtime(
    topology: Any, cache_bytes: int, value_serde: Any, guarantee: str
) -> list[tuple[Any, Any, int]]:
    """Two batches of the five records (1, A) .. (5, E) at ts 1000, all in the input before the start; one
    commit after processing them all (the commit interval is long), then a clean close."""
    name = f"record-cache-{next(_ids)}"
    broker = EmbeddedBroker.named(name)
    try:
        broker.create_topic("in", 1)
        broker.create_topic("out", 1)
        for _ in range(2):
            for k, v in zip("12345", "ABCDE", strict=True):
                broker.produce("in", k.encode(), v.encode(), timestamp=1000)
        config = {
            "application.id": f"app-{name}", "bootstrap.servers": f"memory://{name}",
            "commit.interval.ms": 2000, "statestore.cache.max.bytes": cache_bytes, "processing.guarantee": guarantee,
            "default.key.serde": S, "default.value.serde": S,
        }
        streams = KafkaStreams(topology, config)
        streams.start()
        try:
            assert streams.wait_until_processed(timeout=30)
        finally:
            streams.close(10)
        return [(S.deserialize("out", r.key), value_serde.deserialize("out", r.value), r.timestamp)
                for r in broker.read_partition("out", 0)]
    finally:
        EmbeddedBroker.drop(name)


def test_the_runtime_emits_each_reduced_key_once_per_commit(replay_guarantee: str) -> None:
    """KStreamAggregationDedupIntegrationTest.shouldReduce: A:A, B:B, ... once each."""
    assert _on_the_runtime(_reduce_by_value(), 10 * 1024 * 1024, S, replay_guarantee) == [
        ("A", "A:A", 1000), ("B", "B:B", 1000), ("C", "C:C", 1000), ("D", "D:D", 1000), ("E", "E:E", 1000),
    ]


def test_the_runtime_emits_each_window_once_per_commit(replay_guarantee: str) -> None:
    """KStreamAggregationDedupIntegrationTest.shouldGroupByKey: every window's count 2, once."""
    assert _on_the_runtime(_count_windows(), 10 * 1024 * 1024, L, replay_guarantee) == [
        (f"{k}@1000", 2, 1000) for k in "12345"
    ]


def test_the_runtime_emits_every_update_without_a_cache(replay_guarantee: str) -> None:
    """The same program with statestore.cache.max.bytes=0: A then A:A, and so on."""
    out = _on_the_runtime(_reduce_by_value(), 0, S, replay_guarantee)
    assert sorted(out) == sorted([(v, v, 1000) for v in "ABCDE"] + [(v, f"{v}:{v}", 1000) for v in "ABCDE"])
    assert [v for k, v, _ in out if k == "A"] == ["A", "A:A"]
