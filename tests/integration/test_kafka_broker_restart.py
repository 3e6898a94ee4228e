"""The broker stopped and restarted while an application runs: the application recovers by itself (no restart of
its own, no error state) and loses nothing.

A count per key (tests/integration/_app.py's topology, no record cache) runs in this process; records are produced
before the broker stops (some still being processed when it goes away) and after it is back. At-least-once: every
input is counted at least once (each key's counts rise by one from 1, and end at or above its number of records).
Exactly-once: each key's read_committed counts are exactly 1..n.

The session broker is restarted (same port and data) and left running for the tests after this one.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from kstreams_nb import KafkaStreams, Serdes
from kstreams_nb.streams import State
from kstreams_nb.testing.kafka import LocalKafka

from ._app import count_topology
from ._kafka import DEADLINE, consume, new_topic, produce

pytestmark = pytest.mark.timeout(300)
S, L = Serdes.string(), Serdes.long()
KEYS = [f"key-{i}" for i in range(100)]
ROUNDS = 100  # records per key before the restart (half of them just before it) and after it


def _records(rounds: int) -> list[tuple[bytes | None, bytes | None]]:
    return [(S.serialize("", key), b"x") for _ in range(rounds) for key in KEYS]


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_the_application_recovers_from_a_broker_restart_by_itself_and_loses_nothing(
    kafka_broker: LocalKafka, guarantee: str, tmp_path: Path
) -> None:
    source, sink = new_topic(kafka_broker, 3, prefix="in"), new_topic(kafka_broker, 3, prefix="out")
    config = {
        "application.id": f"restart-{uuid.uuid4().hex[:10]}",
        "bootstrap.servers": kafka_broker.bootstrap_servers,
        "processing.guarantee": guarantee,
        "statestore.cache.max.bytes": 0,
        "commit.interval.ms": 100,
        "state.dir": str(tmp_path),
    }
    transitions: list[tuple[State, State]] = []
    streams = KafkaStreams(count_topology(source, sink), config)
    streams.set_state_listener(lambda new, old: transitions.append((old, new)))
    streams.start()
    try:
        assert streams.wait_for_state(State.RUNNING, timeout=DEADLINE), streams.state()
        produce(kafka_broker, source, _records(ROUNDS // 2))
        assert streams.wait_until_processed(timeout=DEADLINE), streams.state()

        # more input, and the broker goes away while the application is processing it
        produce(kafka_broker, source, _records(ROUNDS // 2))
        kafka_broker.restart()
        produce(kafka_broker, source, _records(ROUNDS))

        deadline = time.monotonic() + 120
        while not streams.wait_until_processed(timeout=5):
            assert streams.state().is_running_or_rebalancing(), (streams.state(), streams.exception)
            assert time.monotonic() < deadline, "the application did not catch up within 120 s of the restart"
        assert streams.state().is_running_or_rebalancing(), (streams.state(), streams.exception)
    finally:
        assert streams.close(60)
    assert streams.exception is None
    assert (State.RUNNING, State.ERROR) not in transitions and (State.REBALANCING, State.ERROR) not in transitions

    expected = 2 * ROUNDS
    counts: dict[str, list[int]] = defaultdict(list)
    for m in consume(kafka_broker, [sink], len(KEYS) * expected * 2, timeout=15):
        counts[S.deserialize(sink, m.key())].append(L.deserialize(sink, m.value()))
    assert set(counts) == set(KEYS)
    for key, seen in counts.items():
        if guarantee == "exactly_once_v2":
            assert seen == list(range(1, expected + 1)), (key, seen)
        else:  # at least once: no count skipped (nothing lost), the last one covers every record
            assert sorted(set(seen)) == list(range(1, max(seen) + 1)), (key, seen)
            assert max(seen) >= expected, (key, seen)
