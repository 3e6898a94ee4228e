"""Every record-in/record-out semantics case also runs on KafkaStreams over the embedded broker.

An autouse fixture records what each TopologyTestDriver was given and what it produced; after a test passes,
the same inputs are replayed on the runtime with 3-partition topics and the outputs compared per partition
(see ``_replay.py``), with one and with three stream threads. Every test runs once per processing guarantee
(``at_least_once``, ``exactly_once``): the exactly-once run replays with ``processing.guarantee=exactly_once_v2``
and reads the outputs read_committed; while KafkaStreams refuses that guarantee, the exactly-once runs are
skipped with the reason (``_replay.EXACTLY_ONCE_REQUIRED`` turns the skip into a failure).

Sessions that are not record-in/record-out are not replayed, and the reason is kept on the test's report:
wall-clock time (``advance_wall_clock_time`` or wall-clock punctuations), global stores (the runtime bootstraps
them before processing, the driver applies them in pipe order), an input that raised, an output that depends on
how partitions interleave before a repartition, or a test marked ``replay_refused(reason)`` (e.g. inputs piped
out of timestamp order across topics, which the runtime processes in timestamp order). ``test_replay_coverage``
(run last) fails when a whole run of the semantics suite replays fewer than ``MIN_REPLAYED_SESSIONS`` sessions.
``KSTREAMS_NB_REPLAY=0`` turns replay off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kstreams_nb.records import ConsumerRecord
from kstreams_nb.testing import driver as driver_module
from kstreams_nb.testing.driver import TopologyTestDriver

from ._replay import AT_LEAST_ONCE, COVERAGE, EXACTLY_ONCE, Input, Session, plan, replay, require_guarantee

REPLAY = os.environ.get("KSTREAMS_NB_REPLAY", "1") != "0"
_HERE = Path(__file__).parent
_COVERAGE_TEST = "test_replay_coverage"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "replay_refused(reason): the case is not record-in/record-out on the runtime (kept on the report)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the coverage test last, and note which semantics test files were collected."""
    mine = [i for i in items if _HERE in i.path.parents]
    if not mine:
        return
    collected = {str(i.path) for i in mine}
    COVERAGE.files_missing = {str(p) for p in _HERE.rglob("test_*.py")} - collected
    last = [i for i in items if i.name.startswith(_COVERAGE_TEST)]
    items[:] = [i for i in items if not i.name.startswith(_COVERAGE_TEST)] + last


def pytest_deselected(items: list[pytest.Item]) -> None:
    COVERAGE.deselected += sum(1 for i in items if _HERE in i.path.parents)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(params=[AT_LEAST_ONCE, EXACTLY_ONCE] if REPLAY else [AT_LEAST_ONCE],
                ids=["at_least_once", "exactly_once"] if REPLAY else ["at_least_once"])
def replay_guarantee(request: pytest.FixtureRequest) -> str:
    """The processing guarantee this run of the test replays with (skipped while KafkaStreams lacks it)."""
    guarantee: str = request.param
    require_guarantee(guarantee)
    return guarantee


@pytest.fixture(autouse=True)
def runtime_replay(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, replay_guarantee: str
) -> Iterator[None]:
    sessions: list[tuple[TopologyTestDriver, Session]] = []
    recording = [True]
    orig_init = TopologyTestDriver.__init__
    orig_pipe = TopologyTestDriver._pipe
    orig_advance = TopologyTestDriver.advance_wall_clock_time

    def init(self: TopologyTestDriver, topology: Any, config: Any = None, initial_wall_clock_ms: Any = 0) -> None:
        orig_init(self, topology, config, initial_wall_clock_ms)
        if not recording[0]:
            return
        session = Session(topology, dict(config or {}), self.application_id)
        sessions.append((self, session))
        _capture(self, session.outputs)

    def pipe(self: TopologyTestDriver, topic: str, timestamp: int, key: Any, value: Any, headers: Any,
             *, process_now: bool = True) -> None:
        session = next((s for d, s in sessions if d is self), None)
        if session is not None and process_now:
            session.inputs.append((topic, key, value, timestamp, headers))
        try:
            orig_pipe(self, topic, timestamp, key, value, headers, process_now=process_now)
        except BaseException:
            if session is not None:
                session.refuse("an input raised")
            raise

    def advance(self: TopologyTestDriver, advance: Any) -> None:
        for d, s in sessions:
            if d is self:
                s.refuse("wall-clock time advanced")
        orig_advance(self, advance)

    monkeypatch.setattr(TopologyTestDriver, "__init__", init)
    monkeypatch.setattr(TopologyTestDriver, "_pipe", pipe)
    monkeypatch.setattr(TopologyTestDriver, "advance_wall_clock_time", advance)
    assert driver_module.TopologyTestDriver is TopologyTestDriver
    yield
    report = getattr(request.node, "rep_call", None)
    recording[0] = False
    if not REPLAY or report is None or not report.passed:
        return
    refused = request.node.get_closest_marker("replay_refused")
    for drv, session in sessions:
        if refused is not None:
            session.refuse(str(refused.args[0]))
        if drv._compiled.global_topics:
            session.refuse("global stores")
        if drv._task is not None and len(drv._task.wall_punctuations):
            session.refuse("wall-clock punctuation")
        if not session.inputs:
            session.refuse("no inputs")
        if session.replayable:
            session.rerun = _rerun(session)
            plan(session)
        if session.replayable:
            replay(session, replay_guarantee)
            COVERAGE.replayed[replay_guarantee] += 1
        how = " per task" if session.per_task else " per key" if session.linked else ""
        request.node.user_properties.append(("runtime_replay", session.why_not or f"replayed{how}"))


def _capture(drv: TopologyTestDriver, out: list[ConsumerRecord]) -> None:
    """Append everything ``drv`` produces (every topic, internal ones too) to ``out``."""
    producer = drv._producer
    produce = producer.produce

    def recording_produce(topic: str, key: bytes | None, value: bytes | None, **kw: Any) -> None:
        out.append(ConsumerRecord(topic, 0, -1, kw.get("timestamp") or 0, key, value, kw.get("headers")))
        produce(topic, key, value, **kw)

    producer.produce = recording_produce  # type: ignore[method-assign]


def _rerun(session: Session) -> Any:
    """A fresh driver over some of the session's inputs; returns everything it produced."""

    def run(inputs: list[Input]) -> list[ConsumerRecord]:
        out: list[ConsumerRecord] = []
        with TopologyTestDriver(session.topology, session.config) as drv:
            _capture(drv, out)
            for topic, key, value, ts, headers in inputs:
                drv._pipe(topic, ts, key, value, headers)
        return out

    return run
