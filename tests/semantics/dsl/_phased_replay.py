"""Replay a TopologyTestDriver session phase by phase on KafkaStreams over the embedded broker.

The generic replay (``tests/semantics/_replay.py``) produces every input at once and plans the expected output
by rerunning the driver per task; that model does not fit a foreign-key join, whose records go from the left
table's task to the foreign table's and back. Here the inputs are produced one phase at a time (a phase is what
a Kafka test pipes between two checks), each processed before the next is produced, and the outputs must hold
the same updates per key as the driver's (value and timestamp, in the same order unless ``ordered`` is false).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams, State

from .._replay import EXACTLY_ONCE, THREADS, _partition_of, _wait_until_processed
from ..conftest import REPLAY

__all__ = ["Phase", "Updates", "replay_phases"]

#: (topic, key, value, timestamp) records piped between two checks
Phase = list[tuple[str, Any, Any, int]]
#: topic -> key -> [(value, timestamp)] in output order
Updates = dict[str, dict[Any, list[tuple[Any, int]]]]

PARTITIONS = 3
_ids = itertools.count()


def replay_phases(
    topology: Callable[[], Any], config: dict[str, Any], phases: Sequence[Phase], expected: Updates,
    key_serde: Any, value_serde: Any, guarantee: str, *, inputs: Sequence[str], ordered: bool = True,
) -> None:
    """Run ``phases`` on KafkaStreams (1 and 3 threads, 3 partitions, the ``inputs`` topics and those of
    ``expected`` created first) and compare with ``expected``."""
    if not REPLAY:
        return
    for threads in THREADS:
        name = f"phased-replay-{next(_ids)}"
        broker = EmbeddedBroker.named(name)
        try:
            actual = _run(broker, name, topology(), config, phases, list(inputs), list(expected), key_serde,
                          value_serde, guarantee, threads)
        finally:
            EmbeddedBroker.drop(name)
        for topic, want in expected.items():
            got = actual[topic]
            if not ordered:
                got = {k: sorted(v, key=repr) for k, v in got.items()}
                want = {k: sorted(v, key=repr) for k, v in want.items()}
            assert got == want, f"{topic}, {guarantee}, {threads} thread(s)"


def _run(
    broker: EmbeddedBroker, broker_name: str, topology: Any, config: dict[str, Any], phases: Sequence[Phase],
    inputs: list[str], outputs: list[str], key_serde: Any, value_serde: Any, guarantee: str, threads: int,
) -> Updates:
    for topic in inputs + outputs:
        broker.create_topic(topic, PARTITIONS)
    app_id = f"phased-replay-app-{next(_ids)}"
    isolation = "read_committed" if guarantee == EXACTLY_ONCE else "read_uncommitted"
    streams = KafkaStreams(topology, {
        **config, "application.id": app_id, "bootstrap.servers": f"memory://{broker_name}",
        "commit.interval.ms": 0, "num.stream.threads": threads, "processing.guarantee": guarantee,
        "statestore.cache.max.bytes": 0,
    })
    streams.start()
    try:
        for phase in phases:
            for topic, key, value, ts in phase:
                kb = key_serde.serialize(topic, key)
                broker.produce(topic, kb, value_serde.serialize(topic, value), timestamp=ts,
                               partition=_partition_of(kb, PARTITIONS))
            _wait_until_processed(broker, streams, app_id, isolation, 30.0)
    finally:
        streams.close(10)
    assert streams.state() is State.NOT_RUNNING, f"runtime ended in {streams.state()}: {streams.exception!r}"
    actual: Updates = {}
    for topic in outputs:
        per_key = actual.setdefault(topic, {})
        for p in range(PARTITIONS):
            for r in broker.read_partition(topic, p, isolation):
                per_key.setdefault(key_serde.deserialize(topic, r.key), []).append(
                    (value_serde.deserialize(topic, r.value), r.timestamp))
    return actual
