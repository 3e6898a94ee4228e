"""A stream-stream outer join across a restart: the records waiting in its shared store (restored from the
changelog by the new task) are emitted once their window closes, although the new task's time tracker has not
seen them. Kafka's emitNonJoinedOuterRecords adds ``minTime + after + grace`` as longs: a fresh tracker's
``Long.MAX_VALUE`` wraps negative, so the store is looked at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, JoinWindows, Produced, StreamsBuilder
from kstreams_nb.streams import KafkaStreams

from ._support import S, config, produce, start_running

pytestmark = pytest.mark.timeout(60)
EMIT_INTERVAL = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"


def _topology() -> Any:
    b = StreamsBuilder()
    left = b.stream("left", Consumed.with_(S, S))
    right = b.stream("right", Consumed.with_(S, S))
    left.outer_join(right, lambda a, c: f"{a}+{c}", JoinWindows.of_time_difference_with_no_grace(
        timedelta(milliseconds=10))).to("out", Produced.with_(S, S))
    return b.build()


def _run(b: EmbeddedBroker, name: str, guarantee: str, records: list[tuple[str, str, str, int]]) -> None:
    streams = KafkaStreams(_topology(), config(name, **{"processing.guarantee": guarantee, EMIT_INTERVAL: 0}))
    try:
        start_running(streams)
        for topic, key, value, ts in records:
            produce(b, topic, key, value, ts)
        assert b.wait_until_consumed("app", ["left", "right"], timeout=10)
    finally:
        assert streams.close(10)


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_a_waiting_record_is_emitted_by_the_restarted_task(broker: tuple[str, EmbeddedBroker], guarantee: str) -> None:
    name, b = broker
    for topic in ("left", "right", "out"):
        b.create_topic(topic, 1)
    _run(b, name, guarantee, [("left", "k", "a", 100)])  # waits in the shared store for a right record
    _run(b, name, guarantee, [("right", "other", "z", 200)])  # a new task: stream time 200 closes a's window
    out = [(S.deserialize("out", r.key), S.deserialize("out", r.value), r.timestamp)
           for r in b.read("out", isolation="read_committed")]
    assert out == [("k", "a+None", 100)]
