"""Every record-in/record-out semantics case also runs on KafkaStreams over the embedded broker.

An autouse fixture records what each TopologyTestDriver was given and what it produced; after a test passes,
the same inputs are replayed on the runtime with 3-partition topics and the outputs compared per partition
(see ``_replay.py``; once with one stream thread and once with two). Sessions that are not
record-in/record-out are not replayed, and the reason is kept on the test's report: wall-clock time
(``advance_wall_clock_time`` or wall-clock punctuations), global stores (the runtime bootstraps them before
processing, the driver applies them in pipe order), or an input that raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams_nb.records import ConsumerRecord
from kstreams_nb.testing import driver as driver_module
from kstreams_nb.testing.driver import TopologyTestDriver

from ._replay import Session, replay

REPLAY = os.environ.get("KSTREAMS_NB_REPLAY", "1") != "0"

#: processors whose output depends on the task's stream time
_TIME_MODULES = ("kstreams_nb.dsl.window_aggregate", "kstreams_nb.dsl.suppress")


def _time_dependent(drv: TopologyTestDriver) -> bool:
    task = drv._task
    if task is None:
        return False
    if len(task.stream_punctuations):
        return True
    return any(
        type(getattr(node, "processor", None)).__module__ in _TIME_MODULES for node in task.nodes.values()
    )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def runtime_replay(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
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
        producer = self._producer
        produce = producer.produce

        def recording_produce(topic: str, key: bytes | None, value: bytes | None, **kw: Any) -> None:
            session.outputs.append(
                ConsumerRecord(topic, 0, -1, kw.get("timestamp") or 0, key, value, kw.get("headers"))
            )
            produce(topic, key, value, **kw)

        producer.produce = recording_produce  # type: ignore[method-assign]

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
    for drv, session in sessions:
        builder = drv._builder
        if builder.global_stores:
            session.refuse("global stores")
        if drv._task is not None and len(drv._task.wall_punctuations):
            session.refuse("wall-clock punctuation")
        if not session.inputs:
            session.refuse("no inputs")
        session.time_dependent = _time_dependent(drv)
        session.has_repartition = bool(builder.internal_topics)
        if session.time_dependent and session.has_repartition:
            session.refuse("stream time across a repartition depends on scheduling")
        session.rerun = _rerun(session)
        if session.replayable:
            replay(session)
        request.node.user_properties.append(("runtime_replay", session.why_not or "replayed"))


def _rerun(session: Session) -> Any:
    """A fresh driver over some of the session's inputs; returns everything it produced."""

    def run(inputs: list[tuple[str, Any, Any, int, Any]]) -> list[ConsumerRecord]:
        with TopologyTestDriver(session.topology, session.config) as drv:
            drv._outputs_log = out = []  # type: ignore[attr-defined]
            producer = drv._producer
            produce = producer.produce

            def capture(topic: str, key: Any, value: Any, **kw: Any) -> None:
                out.append(ConsumerRecord(topic, 0, -1, kw.get("timestamp") or 0, key, value, kw.get("headers")))
                produce(topic, key, value, **kw)

            producer.produce = capture  # type: ignore[method-assign]
            for topic, key, value, ts, headers in inputs:
                drv._pipe(topic, ts, key, value, headers)
            return out

    return run
