"""Shared helpers of the runtime tests: an embedded broker per test, serdes, waiting on conditions."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from kstreams_nb import Processor, Record, Serdes, Stores, Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.streams import KafkaStreams, State

S, L = Serdes.string(), Serdes.long()
_ids = itertools.count()


def fresh_broker() -> tuple[str, EmbeddedBroker]:
    """A new process-wide embedded broker with a unique name."""
    name = f"runtime-{next(_ids)}"
    return name, EmbeddedBroker.reset(name)


def config(name: str, **extra: Any) -> dict[str, Any]:
    """A KafkaStreams config on ``memory://name`` committing after every loop."""
    return {"application.id": "app", "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 0, **extra}


def produce(b: EmbeddedBroker, topic: str, key: str, value: str, ts: int, partition: int | None = None) -> None:
    """Append one string record."""
    b.produce(topic, S.serialize(topic, key), S.serialize(topic, value), timestamp=ts, partition=partition)


def read_longs(b: EmbeddedBroker, topic: str) -> list[tuple[str, int]]:
    """Every (string key, long value) of a topic, by partition and offset."""
    return [(S.deserialize(topic, r.key), L.deserialize(topic, r.value)) for r in b.read(topic)]


def read_strings(b: EmbeddedBroker, topic: str) -> list[str]:
    """Every string value of a topic, by partition and offset."""
    return [S.deserialize(topic, r.value) for r in b.read(topic)]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Count(Processor):
    """Counts per key in the store "counts" and forwards (key, count)."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


def counting_topology(*topics: str, pattern: str | None = None, logged: bool = True) -> Topology:
    """source(topics or pattern) -> Count (store "counts") -> sink "out"."""
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), S, L)
    if not logged:
        store = store.with_logging_disabled()
    t = Topology()
    if pattern is not None:
        t.add_source("src", pattern=pattern, key_deserializer=S, value_deserializer=S)
    else:
        t.add_source("src", *topics, key_deserializer=S, value_deserializer=S)
    return (
        t.add_processor("count", Count, "src")
        .add_state_store(store, "count")
        .add_sink("sink", "out", "count", key_serializer=S, value_serializer=L)
    )


class Transitions:
    """A state listener that counts transitions and lets a test wait for the n-th one of a kind."""

    def __init__(self) -> None:
        self.seen: list[tuple[State, State]] = []
        self._cond = threading.Condition()

    def __call__(self, new: State, old: State) -> None:
        with self._cond:
            self.seen.append((old, new))
            self._cond.notify_all()

    def wait_for(self, old: State, new: State, times: int = 1, timeout: float = 10.0) -> bool:
        """Wait until ``old -> new`` happened ``times`` times."""
        with self._cond:
            return self._cond.wait_for(lambda: self.seen.count((old, new)) >= times, timeout)


def start_running(streams: KafkaStreams) -> None:
    """Start and wait for RUNNING."""
    streams.start()
    assert streams.wait_for_state(State.RUNNING, timeout=10), streams.state()
