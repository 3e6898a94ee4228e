"""A suppressed WINDOWED table whose key serde is left to the default keeps its keys ``Windowed`` through the
buffer's changelog.

Kafka's KTableImpl.suppress gives the buffer the table's key serde; a time-windowed aggregation's table has
``FullTimeWindowedSerde(inner, windowSize)`` (TimeWindowedKStreamImpl: ``new FullTimeWindowedSerde<>(keySerde,
windows.size())``) whenever the grouped key serde is known, and Kafka fails when it is not (no default serde).
kstreams_nb defaults to JSON instead, and the buffer used plain JSON for Windowed keys: it wrote
``{"key": ..., "window": {...}}`` and, after a restart, restored the keys as dicts, so the records it emitted
later had dict keys (``key.window`` / ``key.key`` failed downstream). With the default serde, the buffer now wraps
the default in a TimeWindowedSerde of the aggregation's window size, the bytes Kafka writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import BufferConfig, Change, StreamsBuilder, Suppressed, TimeWindows
from kstreams_nb.dsl._suppress_buffer import SuppressionBufferBuilder
from kstreams_nb.records import Record, Window, Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.streams import KafkaStreams, State

pytestmark = pytest.mark.timeout(60)

J = Serdes.json()
_ids = itertools.count()


@pytest.fixture
def broker() -> Iterator[tuple[str, EmbeddedBroker]]:
    name = f"suppress-restart-{next(_ids)}"
    yield name, EmbeddedBroker.named(name)
    EmbeddedBroker.drop(name)


def final_counts(until_time_limit: bool = False) -> Any:
    builder = StreamsBuilder()  # no serdes anywhere: JSON keys and values
    counts = builder.stream("in").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).count()
    suppressed = (
        Suppressed.until_time_limit(5, BufferConfig.unbounded())
        if until_time_limit
        else Suppressed.until_window_closes(BufferConfig.unbounded())
    )
    (
        counts.filter(lambda k, v: True)
        .suppress(suppressed)
        .to_stream()
        .map(lambda k, v: (f"{k.key}@{k.window.start}/{k.window.end}", v))
        .to("out")
    )
    return builder.build()


def run(b: EmbeddedBroker, name: str, topology: Any) -> None:
    streams = KafkaStreams(topology, {"application.id": "app", "bootstrap.servers": f"memory://{name}",
                                      "commit.interval.ms": 0})
    streams.start()
    try:
        assert streams.wait_for_state(State.RUNNING, timeout=10), streams.state()
        assert b.wait_until_consumed("app", ["in"], timeout=20)
        assert streams.state() is State.RUNNING, streams.exception
    finally:
        assert streams.close(10)


@pytest.mark.parametrize("until_time_limit", [False, True])
def test_buffered_windowed_keys_survive_a_restart(broker: tuple[str, EmbeddedBroker], until_time_limit: bool) -> None:
    name, b = broker
    b.create_topic("in", 1)
    b.create_topic("out", 1)
    for ts in (1, 2):
        b.produce("in", J.serialize("in", "a"), J.serialize("in", "x"), timestamp=ts)
    run(b, name, final_counts(until_time_limit))  # both updates wait in the buffer (and its changelog)
    assert b.read("out") == []
    b.produce("in", J.serialize("in", "b"), J.serialize("in", "x"), timestamp=15)
    run(b, name, final_counts(until_time_limit))  # a new instance restores the buffer, then emits from it
    out = [(J.deserialize("out", r.key), J.deserialize("out", r.value)) for r in b.read("out")]
    assert out == [("a@0/10", 2)]


def buffer_builders(topology: Any) -> list[SuppressionBufferBuilder]:
    specs = topology.internal_builder.stores.values()
    return [s.builder for s in specs if isinstance(s.builder, SuppressionBufferBuilder)]


class _Ctx:
    application_id = "app"
    task_id: Any = None
    app_configs: ClassVar[dict[str, Any]] = {}
    key_serde = value_serde = None

    def __init__(self) -> None:
        self.changelog: list[tuple[bytes, bytes | None, int | None]] = []
        self.restore: Any = None

    def register(self, store: Any, restore_callback: Any, *, logged: bool) -> None:
        self.restore = restore_callback

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None,
                   headers: Any = None) -> None:
        self.changelog.append((key, value, timestamp))


def test_the_dsl_gives_a_windowed_tables_buffer_a_windowed_default_key_serde() -> None:
    topology = final_counts()
    builders = buffer_builders(topology)
    assert [b.windowed_key_size_ms for b in builders] == [10]
    ctx = _Ctx()
    buffer = builders[0].build()
    buffer.init(ctx, buffer)  # type: ignore[arg-type]
    key = Windowed("a", Window(0, 10))
    buffer.put(10, Record(key, Change(2, 1), 2), "in", 0, 1)
    buffer.flush()
    # Kafka's FullTimeWindowedSerde bytes: the inner (default) key's bytes + the window start
    assert [c[0] for c in ctx.changelog] == [J.serialize("t", "a") + (0).to_bytes(8, "big")]
    restored = builders[0].build()
    ctx2 = _Ctx()
    restored.init(ctx2, restored)  # type: ignore[arg-type]
    ctx2.restore([(k, v, ts) for k, v, ts in ctx.changelog])
    emitted: list[Any] = []
    restored.evict_while(lambda: True, lambda r, _: emitted.append(r))
    assert [(r.key, r.value) for r in emitted] == [(key, Change(2, 1))]


def test_non_windowed_tables_keep_the_plain_default_key_serde() -> None:
    builder = StreamsBuilder()
    builder.table("t").suppress(Suppressed.until_time_limit(5, BufferConfig.unbounded())).to_stream().to("o")
    topology = builder.build()
    builders = buffer_builders(topology)
    assert [b.windowed_key_size_ms for b in builders] == [None]
