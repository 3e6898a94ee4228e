"""Notebook hygiene of KafkaStreams: origins (a re-run replaces its instance), running(), wait_for_state's fast
return, source_topics(), wait_until_processed() and the rich display (over the embedded broker)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Hashable, Iterator
from typing import Any

import pytest

from kstreams_nb import Processor, Record, Serdes, Topology
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder
from kstreams_nb.errors import StreamsStateError
from kstreams_nb.streams import KafkaStreams, State

from ._support import S, config, counting_topology, produce, read_longs, start_running, wait_until

pytestmark = pytest.mark.timeout(60)

Origin = tuple[Hashable, Hashable]


class FakeOrigins:
    """An origin provider whose answer the test sets: ``origins.now = ("cell-a", 1)``."""

    def __init__(self) -> None:
        self.now: Origin | None = None

    def __call__(self) -> Origin | None:
        return self.now


@pytest.fixture(autouse=True)
def isolated_origins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No providers but the test's own, no automatic notebook provider; every instance closed afterwards."""
    import kstreams_nb._engine.origins as origins_module

    monkeypatch.setattr(origins_module, "_providers", [])
    monkeypatch.setattr(origins_module, "_notebook_origin_loaded", True)
    yield
    for streams in KafkaStreams.running():
        streams.close(10)


@pytest.fixture
def origins() -> Iterator[FakeOrigins]:
    from kstreams_nb.streams import register_origin_provider

    fake = FakeOrigins()
    remove = register_origin_provider(fake)
    yield fake
    remove()


def _two_partitions(b: EmbeddedBroker) -> None:
    b.create_topic("in", 2)
    b.create_topic("out", 1)


def _started_by(origins: FakeOrigins, origin: Origin, name: str) -> KafkaStreams:
    """An instance of the counting topology on ``memory://name``, started (and RUNNING) from ``origin``."""
    origins.now = origin
    streams = KafkaStreams(counting_topology("in"), config(name))
    start_running(streams)
    return streams


def _split_tasks(*instances: KafkaStreams) -> bool:
    """Every instance RUNNING with exactly one task of the two."""
    tasks = [[t for ids in s.local_tasks().values() for t in ids] for s in instances]
    return all(s.state() is State.RUNNING for s in instances) and all(len(t) == 1 for t in tasks) and sorted(
        t for ts in tasks for t in ts
    ) == ["0_0", "0_1"]


def test_a_rerun_of_the_starting_code_closes_the_instance_it_started_before(
    broker: tuple[str, EmbeddedBroker], origins: FakeOrigins, caplog: pytest.LogCaptureFixture
) -> None:
    name, b = broker
    _two_partitions(b)
    first = _started_by(origins, ("cell-a", "run-1"), name)
    with caplog.at_level(logging.INFO, logger="kstreams_nb.streams"):
        second = _started_by(origins, ("cell-a", "run-2"), name)
    assert first.state() is State.NOT_RUNNING
    assert KafkaStreams.running() == [second]
    closing = [r for r in caplog.records if "earlier run" in r.getMessage()]
    assert [r.levelno for r in closing] == [logging.INFO]
    assert wait_until(lambda: sorted(t for ids in second.local_tasks().values() for t in ids) == ["0_0", "0_1"])


def test_instances_started_by_one_run_are_all_kept_and_share_the_tasks(
    broker: tuple[str, EmbeddedBroker], origins: FakeOrigins
) -> None:
    name, b = broker
    _two_partitions(b)
    origins.now = ("cell-a", "run-1")
    instances = [KafkaStreams(counting_topology("in"), config(name)) for _ in range(2)]
    for streams in instances:  # a loop in one cell: the same execution token
        streams.start()
    assert KafkaStreams.running() == instances
    assert wait_until(lambda: _split_tasks(*instances)), [s.local_tasks() for s in instances]


def test_instances_started_by_different_code_are_kept_and_share_the_tasks(
    broker: tuple[str, EmbeddedBroker], origins: FakeOrigins
) -> None:
    name, b = broker
    _two_partitions(b)
    first = _started_by(origins, ("cell-a", "run-1"), name)
    second = _started_by(origins, ("cell-b", "run-2"), name)
    assert KafkaStreams.running() == [first, second]
    assert wait_until(lambda: _split_tasks(first, second)), (first.local_tasks(), second.local_tasks())
    for i, key in enumerate(["a", "b", "c", "d"]):
        produce(b, "in", key, "x", i)
    assert second.wait_until_processed(timeout=20)
    assert sorted(read_longs(b, "out")) == [("a", 1), ("b", 1), ("c", 1), ("d", 1)]


def test_without_an_origin_nothing_is_closed(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _two_partitions(b)
    first = KafkaStreams(counting_topology("in"), config(name))
    second = KafkaStreams(counting_topology("in"), config(name))
    first.start()
    second.start()
    assert KafkaStreams.running() == [first, second]


def test_a_failing_provider_is_logged_and_ignored(
    broker: tuple[str, EmbeddedBroker], caplog: pytest.LogCaptureFixture
) -> None:
    from kstreams_nb.streams import register_origin_provider

    def broken() -> Origin | None:
        raise RuntimeError("no cell today")

    name, b = broker
    _two_partitions(b)
    remove = register_origin_provider(broken)
    try:
        streams = KafkaStreams(counting_topology("in"), config(name))
        with caplog.at_level(logging.ERROR, logger="kstreams_nb.streams"):
            start_running(streams)
    finally:
        remove()
    assert any("origin provider" in r.getMessage() for r in caplog.records)


def test_the_notebook_provider_is_loaded_when_ipython_is(
    broker: tuple[str, EmbeddedBroker], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With IPython loaded and no provider, start() loads kstreams_nb.notebook._hygiene by name; its provider
    keys instances by the running cell (here a stand-in for current_cell)."""
    import kstreams_nb._engine.origins as origins_module
    from kstreams_nb.notebook._cells import CellInfo

    monkeypatch.setattr(origins_module, "_notebook_origin_loaded", False)
    monkeypatch.setitem(sys.modules, "IPython", sys.modules.get("IPython") or type(sys)("IPython"))
    monkeypatch.delitem(sys.modules, "kstreams_nb.notebook._hygiene", raising=False)
    cells: list[CellInfo | None] = [CellInfo("cell-7", "cell-7", "streams.start()", "msg:1")]
    monkeypatch.setattr("kstreams_nb.notebook._cells.current_cell", lambda: cells[-1])

    name, b = broker
    _two_partitions(b)
    first = KafkaStreams(counting_topology("in"), config(name))
    start_running(first)
    hygiene = sys.modules["kstreams_nb.notebook._hygiene"]
    assert origins_module._providers == [hygiene.cell_origin]
    cells.append(CellInfo("cell-7", "cell-7", "streams.start()", "msg:2"))
    second = KafkaStreams(counting_topology("in"), config(name))
    start_running(second)
    assert first.state() is State.NOT_RUNNING
    assert KafkaStreams.running() == [second]


def test_running_lists_started_instances_until_they_stop(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _two_partitions(b)
    streams = KafkaStreams(counting_topology("in"), config(name))
    assert streams not in KafkaStreams.running()
    start_running(streams)
    assert streams in KafkaStreams.running()
    assert streams.close(10)
    assert streams not in KafkaStreams.running()


class Boom(Processor):
    def process(self, record: Record) -> None:
        raise ValueError("boom")


def test_wait_for_state_returns_at_once_in_a_final_state(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _two_partitions(b)
    failing = KafkaStreams(Topology().add_source("src", "in").add_processor("boom", Boom, "src"), config(name))
    failing.start()
    produce(b, "in", "k", "v", 0)
    assert failing.wait_for_state(State.ERROR, timeout=20), failing.state()
    began = time.monotonic()
    assert not failing.wait_for_state(State.RUNNING, timeout=30)
    assert time.monotonic() - began < 5

    closed = KafkaStreams(counting_topology("in"), {**config(name), "application.id": "other"})
    start_running(closed)
    closed.close(10)
    began = time.monotonic()
    assert not closed.wait_for_state(State.RUNNING, State.REBALANCING, timeout=30)
    assert closed.wait_for_state(State.NOT_RUNNING, timeout=0)
    assert time.monotonic() - began < 5


def _word_count() -> Any:
    s = Serdes.string()
    builder = StreamsBuilder()
    (
        builder.stream("lines", Consumed.with_(s, s))
        .flat_map_values(lambda line: line.split())
        .group_by(lambda key, word: word)
        .count()
        .to_stream()
        .to("counts", Produced.with_(s, Serdes.long()))
    )
    return builder.build()


REPARTITION = "wc-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition"


def test_source_topics_are_the_input_and_repartition_topics_as_named_on_the_broker(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    b.create_topic("lines", 2)
    b.create_topic("counts", 2)
    streams = KafkaStreams(_word_count(), {**config(name), "application.id": "wc"})
    assert streams.source_topics() == ["lines", REPARTITION]
    start_running(streams)
    assert streams.source_topics() == ["lines", REPARTITION]


def test_source_topics_of_a_pattern_are_known_from_start_on(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("in-1", 1)
    b.create_topic("in-2", 1)
    b.create_topic("out", 1)
    streams = KafkaStreams(counting_topology(pattern="in-.*"), config(name))
    with pytest.raises(StreamsStateError, match="pattern"):
        streams.source_topics()
    start_running(streams)
    assert streams.source_topics() == ["in-1", "in-2"]


def test_wait_until_processed_waits_for_the_input_and_the_repartition_topics(
    broker: tuple[str, EmbeddedBroker],
) -> None:
    name, b = broker
    b.create_topic("lines", 3)
    b.create_topic("counts", 3)
    for line in ["a b a", "b a", "c"]:
        b.produce("lines", None, S.serialize("lines", line))
    streams = KafkaStreams(_word_count(), {**config(name), "application.id": "wc", "commit.interval.ms": 50})
    with pytest.raises(StreamsStateError, match="start"):
        streams.wait_until_processed()
    streams.start()
    assert streams.wait_until_processed(timeout=30)
    final = dict(sorted(read_longs(b, "counts"), key=lambda kv: kv[1]))
    assert final == {"a": 3, "b": 2, "c": 1}
    assert b.wait_until_consumed("wc", ["lines", REPARTITION], timeout=0)


def test_wait_until_processed_gives_up_when_the_instance_stops(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    _two_partitions(b)
    streams = KafkaStreams(counting_topology("in"), config(name))
    start_running(streams)
    streams.close(10)
    produce(b, "in", "k", "v", 0)  # nobody will process it
    began = time.monotonic()
    assert not streams.wait_until_processed(timeout=30)
    assert time.monotonic() - began < 5


def test_rich_display_shows_state_threads_tasks_and_the_topology(broker: tuple[str, EmbeddedBroker]) -> None:
    name, b = broker
    b.create_topic("lines", 1)
    b.create_topic("counts", 1)
    topology = _word_count()
    streams = KafkaStreams(topology, {**config(name), "application.id": "wc"})
    start_running(streams)
    text = streams._repr_mimebundle_(exclude={"image/svg+xml"})
    assert set(text) == {"text/plain"}
    plain = text["text/plain"]
    assert plain.startswith("KafkaStreams application.id='wc' state=RUNNING threads=1")
    thread = next(iter(streams.local_tasks()))
    assert f"{thread}: tasks 0_0, 1_0" in plain
    assert plain.endswith(str(topology.describe()))


def test_rich_display_draws_the_topology_or_degrades_to_text(
    broker: tuple[str, EmbeddedBroker], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, b = broker
    b.create_topic("lines", 1)
    b.create_topic("counts", 1)
    streams = KafkaStreams(_word_count(), {**config(name), "application.id": "wc"})
    start_running(streams)
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "kstreams_nb.topology.draw", None)  # as if draw.py or matplotlib were missing
        assert set(streams._repr_mimebundle_()) == {"text/plain"}
    pytest.importorskip("matplotlib")
    pytest.importorskip("kstreams_nb.topology.draw")
    bundle = streams._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert bundle["text/plain"].startswith("KafkaStreams application.id='wc'")
