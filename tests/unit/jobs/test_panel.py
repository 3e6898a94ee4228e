"""The live panel: widgets change only on the thread that made the panel (drained from its event loop, or by
refresh() without one), sampling stops when the application stops or the panel closes, restore progress shows as
bars, errors and the per-node hint are rendered."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from kstreams_nb import Processor, Record, Serdes, Stores, Topology
from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
from kstreams_nb.errors import JobError
from kstreams_nb.jobs._panel import LivePanel, panel
from kstreams_nb.jobs._snapshot import JobSnapshot
from kstreams_nb.streams import KafkaStreams, State

from .test_snapshot import LINES, start, until, word_count_cluster, write

w = pytest.importorskip("ipywidgets")
pytestmark = pytest.mark.timeout(60)

S, L = Serdes.string(), Serdes.long()


@pytest.fixture
def servers() -> Iterator[str]:
    yield from word_count_cluster("panel")


def refreshed_until(p: LivePanel, condition: Callable[[JobSnapshot], bool], timeout: float = 15.0) -> JobSnapshot:
    """refresh() ``p`` until its last snapshot meets ``condition`` (AssertionError after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        snap = p.refresh(timeout=0.5)
        if snap is not None and condition(snap):
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(f"the panel did not show it within {timeout} s; last: {snap!r}")


def recording_threads(p: LivePanel) -> set[int]:
    """Wrap the panel's widget update so each call records the thread it ran on."""
    seen: set[int] = set()
    apply = p._apply

    def recorded(snap: JobSnapshot) -> None:
        seen.add(threading.get_ident())
        apply(snap)

    p._apply = recorded  # type: ignore[method-assign]
    return seen


def test_without_an_event_loop_refresh_shows_the_samples(servers: str) -> None:
    streams = start(servers)
    p = panel(streams, interval=0.05)
    seen = recording_threads(p)
    try:
        assert p.last is None and "no sample yet" in repr(p)
        refreshed_until(p, lambda s: s.state == "RUNNING")
        assert "RUNNING" in p.state_label.value and "#2e7d32" in p.state_label.value
        write(servers, LINES)
        assert streams.wait_until_processed(timeout=20)
        snap = refreshed_until(p, lambda s: sum(s.records_per_s_by_task.values()) > 0 and bool(s.committed))
        assert "records/s per task" in p.rates.value and "<td>0_0</td>" in p.rates.value
        assert "metrics.recording.level=DEBUG" in p.rates.value  # no per-node rates at INFO
        for partition, offset in snap.committed.items():
            assert f"<td>{partition}</td><td>{offset:,}</td>" in p.partitions.value
        assert seen == {threading.get_ident()}
    finally:
        p.close()
        assert streams.close(timeout=10)
    assert not p.sampling


def test_in_an_event_loop_the_widgets_change_on_the_loop_thread_only(servers: str) -> None:
    """The panel made inside a running loop is drained by that loop: no refresh() call, and every widget update
    runs on the loop's thread, never on the sampler's."""
    streams = start(servers)
    owner = threading.get_ident()

    async def watch() -> tuple[LivePanel, set[int], list[str]]:
        p = panel(streams, interval=0.05)
        seen = recording_threads(p)
        states: list[str] = []
        deadline = time.monotonic() + 15
        written = False
        while not (p.last is not None and sum(p.last.records_per_s_by_task.values()) > 0):
            assert time.monotonic() < deadline, p.last
            if p.last is not None and not written:
                states.append(p.state_label.value)
                await asyncio.to_thread(write, servers, LINES)
                written = True
            await asyncio.sleep(0.02)
        assert "<td>0_0</td>" in p.rates.value
        return p, seen, states

    p, seen, states = asyncio.run(watch())
    try:
        assert seen == {owner} and p._thread.ident != owner
        assert states and "RUNNING" in states[0]
    finally:
        p.close()
        assert streams.close(timeout=10)


def test_sampling_stops_when_the_streams_stop_and_shows_the_final_state(servers: str) -> None:
    streams = start(servers)
    p = panel(streams, interval=0.05)
    refreshed_until(p, lambda s: s.state == "RUNNING")
    assert p.sampling
    assert streams.close(timeout=10)
    p._thread.join(10)
    assert not p.sampling  # ended by itself, without close()
    snap = p.refresh()
    assert snap is not None and snap.state == "NOT_RUNNING" and snap.done
    assert "NOT_RUNNING" in p.state_label.value and "final" in p.updated.value


class _Source:
    """A source as a Job is: a name and snapshot(); gives its snapshots in turn (the last one repeatedly)."""

    def __init__(self, *snapshots: JobSnapshot | Exception, name: str = "my-job") -> None:
        self.name = name
        self._snapshots = list(snapshots)
        self.calls = 0

    def snapshot(self) -> JobSnapshot:
        self.calls += 1
        item = self._snapshots.pop(0) if len(self._snapshots) > 1 else self._snapshots[0]
        if isinstance(item, Exception):
            raise item
        return item


def _snap(**fields: Any) -> JobSnapshot:
    return JobSnapshot(**{"state": "RUNNING", "taken_at": 1_765_000_000.0, **fields})


def test_close_stops_sampling_and_is_idempotent() -> None:
    source = _Source(_snap())
    p = panel(source, interval=0.01)
    until(lambda: source.calls >= 3)
    p.close()
    p.close()
    calls = source.calls
    assert not p.sampling and p.last is not None  # close() showed what was sampled
    assert source.calls == calls  # nothing sampled after close


def test_a_jobs_snapshot_is_rendered() -> None:
    snap = _snap(
        tasks={"t-1": ["0_0", "1_0"]}, records_per_s_by_task={"0_0": 1234.5, "1_0": 0.0},
        records_per_s_by_node={"src": 1234.5, "sink<x>": 2.0}, lag={"in-10": 5, "in-2": 0},
        committed={"in-2": 1_000_000}, errors=("ERROR boom <b>", "ERROR second"),
    )
    p = panel(_Source(snap), interval=0.05)
    try:
        shown = p.refresh(timeout=5)
        assert shown == snap and p.last == snap
        assert "my-job" in p.title.value
        assert "<td>0_0</td><td>1,234.5</td>" in p.rates.value and "records/s per node" in p.rates.value
        assert "sink&lt;x&gt;" in p.rates.value and "DEBUG" not in p.rates.value
        rows = p.partitions.value
        assert rows.index("<td>in-2</td><td>1,000,000</td><td>0</td>") < rows.index("<td>in-10</td><td></td><td>5</td>")
        assert "ERROR boom &lt;b&gt;\nERROR second" in p.errors.value
        assert p.restore.children == ()
    finally:
        p.close()


def test_a_failed_sample_is_shown_and_a_later_one_clears_it() -> None:
    p = panel(_Source(_snap(), OSError("status file unreadable"), _snap(state="REBALANCING")), interval=0.05)
    try:
        refreshed_until(p, lambda s: s.state == "REBALANCING")
        assert p.sample_error is None and p.errors.value == ""
    finally:
        p.close()
    q = panel(_Source(OSError("status file unreadable")), interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while q.sample_error is None:
            assert time.monotonic() < deadline
            q.refresh(timeout=0.5)
        assert "OSError: status file unreadable" in q.errors.value and q.last is None
    finally:
        q.close()


def test_restore_bars_from_snapshots() -> None:
    p = panel(_Source(_snap(state="REBALANCING", restoring={"0_0": (250, 1000), "0_1": (0, 10)}),
                      _snap(restoring={}), _snap(restoring={})), interval=0.05)
    try:
        refreshed_until(p, lambda s: s.state == "REBALANCING")
        bars = {b.description: b for b in p.restore.children}
        assert set(bars) == {"0_0", "0_1"} and all(isinstance(b, w.IntProgress) for b in bars.values())
        assert (bars["0_0"].value, bars["0_0"].max, bars["0_0"].bar_style) == (250, 1000, "info")
        refreshed_until(p, lambda s: s.state == "RUNNING")
        assert [(b.description, b.value, b.max, b.bar_style) for b in p.restore.children] == [
            ("0_0", 1000, 1000, "success"), ("0_1", 10, 10, "success"),
        ]
    finally:
        p.close()


def test_refresh_from_another_thread_is_refused() -> None:
    p = panel(_Source(_snap()), interval=0.05)
    errors: list[BaseException] = []

    def other() -> None:
        try:
            p.refresh()
        except JobError as e:
            errors.append(e)

    t = threading.Thread(target=other)
    t.start()
    t.join(5)
    p.close()
    assert len(errors) == 1 and "thread that created the panel" in str(errors[0])


def test_bad_arguments() -> None:
    with pytest.raises(JobError, match="snapshot\\(\\) method"):
        panel(object())
    with pytest.raises(JobError, match="positive number of seconds"):
        panel(_Source(_snap()), interval=0)


def test_display_is_the_widget_box() -> None:
    p = panel(_Source(_snap(state="DEAD", done=True)), interval=0.05)
    p._thread.join(5)
    assert not p.sampling  # a done source is sampled once
    bundle = p._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == p.widget.model_id
    assert "kstreams-panel" in p.widget._dom_classes
    p.refresh()
    assert "DEAD" in p.state_label.value and "#c62828" in p.state_label.value


# ---------------------------------------------------------------------------------------------- a real restore
class _Gated:
    """A restore consumer that, after its first non-empty batch, waits for ``gate`` before reading more."""

    def __init__(self, inner: Any, gate: threading.Event) -> None:
        self._inner, self._gate, self._first = inner, gate, True

    def poll_batch(self, *args: Any, **kwargs: Any) -> Any:
        if not self._first:
            self._gate.wait(30)
        batch = self._inner.poll_batch(*args, **kwargs)
        if batch:
            self._first = False
        return batch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _GatedSupplier(MemoryClientSupplier):
    def __init__(self, broker: EmbeddedBroker, gate: threading.Event) -> None:
        super().__init__(broker)
        self._gate = gate

    def restore_consumer(self, config: Mapping[str, Any]) -> Any:
        return _Gated(super().restore_consumer(config), self._gate)


class _Count(Processor):
    """Counts per key in the store "counts"."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        self.store.put(record.key, (self.store.get(record.key) or 0) + 1)


def test_a_restoring_task_shows_a_progress_bar_until_it_restored() -> None:
    name = f"panel-restore-{uuid.uuid4().hex[:8]}"
    broker = EmbeddedBroker.reset(name)
    entries, batch = 500, 100
    try:
        broker.create_topic("in", 1)
        broker.create_topic("app-counts-changelog", 1)  # pre-filled: the store restores it at start
        broker.produce_batch("app-counts-changelog",
                             ((S.serialize("c", f"k{i}"), L.serialize("c", 1)) for i in range(entries)))
        store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"), S, L)
        topology = (Topology().add_source("src", "in", key_deserializer=S, value_deserializer=S)
                    .add_processor("count", _Count, "src").add_state_store(store, "count"))
        gate = threading.Event()
        streams = KafkaStreams(topology, {
            "application.id": "app", "bootstrap.servers": f"memory://{name}",
            "restore.consumer.max.poll.records": batch,
        }, client_supplier=_GatedSupplier(broker, gate))
        streams.start()
        p = panel(streams, interval=0.05)
        try:
            snap = refreshed_until(p, lambda s: s.restoring.get("0_0") == (batch, entries))
            assert snap.state == "REBALANCING"
            (bar,) = p.restore.children
            assert (bar.description, bar.value, bar.max, bar.bar_style) == ("0_0", batch, entries, "info")
            gate.set()
            assert streams.wait_for_state(State.RUNNING, timeout=20)
            refreshed_until(p, lambda s: s.state == "RUNNING" and not s.restoring)
            (bar,) = p.restore.children
            assert (bar.value, bar.max, bar.bar_style) == (entries, entries, "success")
        finally:
            gate.set()
            p.close()
            assert streams.close(timeout=10)
    finally:
        EmbeddedBroker.drop(name)
