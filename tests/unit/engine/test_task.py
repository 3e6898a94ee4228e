"""StreamTask: lifecycle transitions, what prepare_commit may commit, and task-level punctuation.

Reproduces, value for value:
- streams/.../processor/internals/Task.java ``State``: CREATED(→RESTORING, SUSPENDED), RESTORING(→RUNNING,
  SUSPENDED), RUNNING(→SUSPENDED), SUSPENDED(→RESTORING, CLOSED), CLOSED(→CREATED); any other move is illegal
  (IllegalStateException → StreamsStateError)
- streams/.../processor/internals/StreamTaskTest.java: shouldTransitToRestoringThenRunningAfterCreation (CREATED →
  initialize → RESTORING → RUNNING), shouldFailOnCommitIfTaskIsClosed ("Illegal state CLOSED while preparing active
  task 0_0 for committing"), shouldRespectCommitRequested, shouldPunctuateOnceStreamTimeAfterGap,
  shouldRespectPunctuateCancellationStreamTime, shouldPunctuateSystemTimeWhenIntervalElapsed,
  shouldNotPunctuateSystemTimeWhenIntervalNotElapsed, shouldPunctuateOnceSystemTimeAfterGap,
  shouldRespectPunctuateCancellationSystemTime, shouldProcessRecordsAfterPrepareCommitWhenEosDisabled
- the commit rule of StreamTask.prepareCommit / committableOffsetsAndMetadata: only offsets of records the task has
  handled (processed, or skipped by a handler) are committed; a record whose processing failed is never passed.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kstreams_nb._engine.task import TaskState
from kstreams_nb.errors import DeserializationError, ProcessingError, StreamsStateError
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import ConsumerRecord, Record, TopicPartition
from kstreams_nb.serdes import Serdes
from kstreams_nb.topology import Topology

from ._support import int_record, make_task

INT = Serdes.integer()
P1, P2 = TopicPartition("topic1", 0), TopicPartition("topic2", 0)

KAFKA_VALID = {
    TaskState.CREATED: {TaskState.RESTORING, TaskState.SUSPENDED},
    TaskState.RESTORING: {TaskState.RUNNING, TaskState.SUSPENDED},
    TaskState.RUNNING: {TaskState.SUSPENDED},
    TaskState.SUSPENDED: {TaskState.RESTORING, TaskState.CLOSED},
    TaskState.CLOSED: {TaskState.CREATED},
}


class MockProcessor(Processor):
    """MockProcessorNode's processor: optional punctuation (interval 10), records what it processed/punctuated; a
    value of 666 makes it fail."""

    def __init__(self, punctuation: PunctuationType | None, log: dict) -> None:
        self.punctuation = punctuation
        self.log = log

    def init(self, context) -> None:
        super().init(context)
        self.log.setdefault("inits", []).append(self.punctuation)
        if self.punctuation is not None:
            punctuated = self.log.setdefault("punctuated", [])
            self.log["cancellable"] = context.schedule(10, self.punctuation, punctuated.append)

    def process(self, record: Record) -> None:
        if record.value == 666:
            raise RuntimeError("KABOOM!")
        self.log.setdefault("processed", []).append((record.value, record.timestamp))

    def close(self) -> None:
        self.log["closed"] = True


def stateless_task(punctuation: PunctuationType | None = None, config: dict | None = None):
    """StreamTaskTest.createStatelessTask: source1 (topic1) and source2 (topic2), Integer deserializers, one
    processor under both."""
    log: dict = {}
    topology = (
        Topology()
        .add_source("source1", "topic1", key_deserializer=INT, value_deserializer=INT)
        .add_source("source2", "topic2", key_deserializer=INT, value_deserializer=INT)
        .add_processor("processor", lambda: MockProcessor(punctuation, log), "source1", "source2")
    )
    task, _producer, clock = make_task(topology, [P1, P2], config)
    return task, log, clock


# ---------------------------------------------------------------------------------------------- lifecycle
def test_should_transit_to_restoring_then_running_after_creation() -> None:
    """StreamTaskTest.shouldTransitToRestoringThenRunningAfterCreation: CREATED; stores opened → RESTORING (the
    processors are not initialized yet); processors initialized → RUNNING."""
    task, log, _ = stateless_task()
    assert task.state is TaskState.CREATED
    task.initialize_stores()
    assert task.state is TaskState.RESTORING
    assert "inits" not in log
    task.initialize_processors()
    assert task.state is TaskState.RUNNING
    assert log["inits"] == [None]


@pytest.mark.parametrize(
    ("current", "new"), list(itertools.product(TaskState, TaskState)), ids=lambda s: s.name
)
def test_transition_table_is_kafkas(current: TaskState, new: TaskState) -> None:
    """Task.State: exactly Kafka's valid transitions succeed; every other one raises StreamsStateError naming the
    task and both states, and leaves the state unchanged."""
    task, _, _ = stateless_task()
    task.state = current
    if new in KAFKA_VALID[current]:
        task.transition(new)
        assert task.state is new
    else:
        with pytest.raises(StreamsStateError) as info:
            task.transition(new)
        assert task.state is current
        assert str(task.task_id) in str(info.value)
        assert current.name in str(info.value) and new.name in str(info.value)


def test_initializing_twice_is_illegal() -> None:
    """RUNNING → RESTORING is not a valid move: a task is initialized once."""
    task, _, _ = stateless_task()
    task.initialize()
    with pytest.raises(StreamsStateError):
        task.initialize()
    assert task.state is TaskState.RUNNING


def test_should_fail_on_commit_if_task_is_closed() -> None:
    """StreamTaskTest.shouldFailOnCommitIfTaskIsClosed: "Illegal state CLOSED while preparing active task 0_0 for
    committing"."""
    task, log, _ = stateless_task()
    task.initialize()
    task.close()
    assert task.state is TaskState.CLOSED
    assert log["closed"] is True
    message = r"^Illegal state CLOSED while preparing active task 0_0 for committing"
    with pytest.raises(StreamsStateError, match=message):
        task.prepare_commit()


def test_close_is_idempotent_and_closes_processors_once() -> None:
    """StreamTask.closeClean/closeDirty: closing a closed task does nothing."""
    task, log, _ = stateless_task()
    task.initialize()
    task.close()
    log["closed"] = "once"
    task.close()
    assert log["closed"] == "once"


def test_should_respect_commit_requested() -> None:
    """StreamTaskTest.shouldRespectCommitRequested: context.commit() sets the task's commit request; prepare_commit
    clears it."""

    class Committer(Processor):
        def process(self, record: Record) -> None:
            self.context.commit()

    topology = Topology().add_source("source1", "topic1", key_deserializer=INT, value_deserializer=INT).add_processor(
        "committer", Committer, "source1"
    )
    task, _, _ = make_task(topology, [P1])
    task.initialize()
    assert task.commit_requested is False
    task.add_records(P1, [int_record(P1, 0, 1)])
    task.process()
    assert task.commit_requested is True
    task.prepare_commit()
    assert task.commit_requested is False


# ---------------------------------------------------------------------------------------------- commit offsets
def test_committable_offsets_follow_processing() -> None:
    """StreamTaskTest.shouldProcessRecordsAfterPrepareCommitWhenEosDisabled and the commit rule: an offset is
    committable (as next-to-read) once its record is processed, never for records still buffered."""
    task, log, _ = stateless_task()
    task.initialize()
    assert task.prepare_commit() == {}
    task.add_records(P1, [int_record(P1, 10, 1), int_record(P1, 20, 2), int_record(P1, 30, 3)])
    task.add_records(P2, [int_record(P2, 5, 4, timestamp=25)])
    assert task.prepare_commit() == {}
    assert task.process()
    assert task.prepare_commit() == {P1: 11}
    assert task.process()
    assert task.prepare_commit() == {P1: 21}
    assert task.process()  # P2's record (ts 25) before P1's 30
    assert task.prepare_commit() == {P1: 21, P2: 6}
    assert task.process()
    assert not task.process()
    assert task.prepare_commit() == {P1: 31, P2: 6}
    assert log["processed"] == [(1, 10), (2, 20), (4, 25), (3, 30)]


def test_a_record_that_fails_processing_is_not_committable() -> None:
    """The failing record (offset 1) is not passed: the committable offset stays 1, the failing record's own
    offset, so it is read again after a restart."""
    task, log, _ = stateless_task()
    task.initialize()
    task.add_records(P1, [int_record(P1, 0, 1), int_record(P1, 1, 666), int_record(P1, 2, 3)])
    assert task.process()
    with pytest.raises(ProcessingError) as info:
        task.process()
    assert (info.value.offset, info.value.node) == (1, "processor")
    assert task.prepare_commit() == {P1: 1}
    assert log["processed"] == [(1, 0)]


def test_a_failing_record_is_not_committable_even_after_a_skipped_one() -> None:
    """A record the deserialization handler skips right after a record that then fails: the skipped offset is not
    committed past the failed one (committable stays at the failed record's offset)."""
    task, log, _ = stateless_task(config={"deserialization.exception.handler": "log_and_continue"})
    task.initialize()
    bad = long_where_int_expected(P1, 1)
    task.add_records(P1, [int_record(P1, 0, 666), bad, int_record(P1, 2, 3)])
    with pytest.raises(ProcessingError):
        task.process()
    committed = task.prepare_commit()
    assert committed.get(P1, 0) <= 0
    assert "processed" not in log


def long_where_int_expected(tp: Any, offset: int) -> ConsumerRecord:
    """A record whose value is a Long (8 bytes) where the task's deserializer expects an Integer."""
    good = int_record(tp, offset, 0)
    return ConsumerRecord(good.topic, good.partition, good.offset, good.timestamp, good.key, (1).to_bytes(8, "big"))


def test_skipped_records_are_committable_once_handled() -> None:
    """RecordQueueTest.shouldNotThrowStreamsExceptionWhenValueDeserializationFailsWithSkipHandler at task level: a
    skipped record counts as handled, so the commit moves past it with the records around it."""
    task, log, _ = stateless_task(config={"deserialization.exception.handler": "log_and_continue"})
    task.initialize()
    bad = long_where_int_expected(P1, 1)
    task.add_records(P1, [int_record(P1, 0, 7), bad])
    assert task.process()
    assert not task.process()
    assert task.prepare_commit() == {P1: 2}
    assert log["processed"] == [(7, 0)]


def test_a_record_that_fails_deserialization_is_not_committable() -> None:
    """With the default LogAndFail handler, the undecodable record (offset 1) raises DeserializationError and no
    commit passes it."""
    task, _, _ = stateless_task()
    task.initialize()
    bad = long_where_int_expected(P1, 1)
    task.add_records(P1, [int_record(P1, 0, 7)])
    assert task.process()
    with pytest.raises(DeserializationError) as info:
        task.add_records(P1, [bad, int_record(P1, 2, 8)])
    assert (info.value.topic, info.value.partition, info.value.offset) == ("topic1", 0, 1)
    assert task.prepare_commit() == {P1: 1}


def test_the_processing_handler_continue_makes_the_failed_record_committable() -> None:
    """processing.exception.handler = log_and_continue: the failing record is handled (dropped), so it is passed."""
    task, log, _ = stateless_task(config={"processing.exception.handler": "log_and_continue"})
    task.initialize()
    task.add_records(P1, [int_record(P1, 0, 1), int_record(P1, 1, 666), int_record(P1, 2, 3)])
    while task.process():
        pass
    assert task.prepare_commit() == {P1: 3}
    assert log["processed"] == [(1, 0), (3, 2)]


# ---------------------------------------------------------------------------------------------- punctuation
def test_should_punctuate_once_stream_time_after_gap() -> None:
    """StreamTaskTest.shouldPunctuateOnceStreamTimeAfterGap: p1 [20, 142, 155, 160], p2 [25, 145, 159, 161];
    punctuation (interval 10, aligned at 0) after each record: at 20, 142, 155 and 160 only."""
    task, log, _ = stateless_task(PunctuationType.STREAM_TIME)
    task.initialize()
    task.add_records(P1, [int_record(P1, o, 0) for o in (20, 142, 155, 160)])
    task.add_records(P2, [int_record(P2, o, 0) for o in (25, 145, 159, 161)])
    assert task.maybe_punctuate_stream_time() is False  # st: -1

    fired = []
    buffered = []
    for _ in range(8):
        assert task.process()
        buffered.append(task.partition_group.num_buffered())
        fired.append(task.maybe_punctuate_stream_time())
        assert task.maybe_punctuate_stream_time() is False  # never twice for one stream time
    assert buffered == [7, 6, 5, 4, 3, 2, 1, 0]
    assert fired == [True, False, True, False, True, False, True, False]
    assert log["punctuated"] == [20, 142, 155, 160]


def test_should_respect_punctuate_cancellation_stream_time() -> None:
    """StreamTaskTest.shouldRespectPunctuateCancellationStreamTime: punctuate at 20; cancel at 30 → nothing."""
    task, log, _ = stateless_task(PunctuationType.STREAM_TIME)
    task.initialize()
    task.add_records(P1, [int_record(P1, o, 0) for o in (20, 30, 40)])
    task.add_records(P2, [int_record(P2, o, 0) for o in (25, 35, 45)])
    assert task.maybe_punctuate_stream_time() is False
    assert task.process() and task.maybe_punctuate_stream_time() is True  # st 20
    assert task.process() and task.maybe_punctuate_stream_time() is False  # st 25
    assert task.process()  # st 30
    log["cancellable"].cancel()
    assert task.maybe_punctuate_stream_time() is False
    assert log["punctuated"] == [20]


def test_should_punctuate_system_time_when_interval_elapsed() -> None:
    """StreamTaskTest.shouldPunctuateSystemTimeWhenIntervalElapsed: +10 ✓, +10 ✓, +9 ✗, +1 ✓, +20 ✓ then ✗ →
    now+10, now+20, now+30, now+50."""
    task, log, clock = stateless_task(PunctuationType.WALL_CLOCK_TIME)
    clock.advance(1_234)
    now = clock.milliseconds()
    task.initialize()
    results = []
    for advance in (10, 10, 9, 1, 20):
        clock.advance(advance)
        results.append(task.maybe_punctuate_system_time())
    results.append(task.maybe_punctuate_system_time())
    assert results == [True, True, False, True, True, False]
    assert log["punctuated"] == [now + 10, now + 20, now + 30, now + 50]


def test_should_not_punctuate_system_time_when_interval_not_elapsed() -> None:
    """StreamTaskTest.shouldNotPunctuateSystemTimeWhenIntervalNotElapsed."""
    task, log, clock = stateless_task(PunctuationType.WALL_CLOCK_TIME)
    task.initialize()
    assert task.maybe_punctuate_system_time() is False
    clock.advance(9)
    assert task.maybe_punctuate_system_time() is False
    assert log["punctuated"] == []


def test_should_punctuate_once_system_time_after_gap() -> None:
    """StreamTaskTest.shouldPunctuateOnceSystemTimeAfterGap: now+100, now+110, now+122, now+130, now+235, now+240."""
    task, log, clock = stateless_task(PunctuationType.WALL_CLOCK_TIME)
    task.initialize()
    now = clock.milliseconds()
    steps = [(100, True), (0, False), (10, True), (12, True), (7, False), (1, True), (105, True), (0, False),
             (5, True), (0, False)]
    for advance, expected in steps:
        clock.advance(advance)
        assert task.maybe_punctuate_system_time() is expected, f"at now + {clock.milliseconds() - now}"
    assert log["punctuated"] == [now + 100, now + 110, now + 122, now + 130, now + 235, now + 240]


def test_should_respect_punctuate_cancellation_system_time() -> None:
    """StreamTaskTest.shouldRespectPunctuateCancellationSystemTime."""
    task, log, clock = stateless_task(PunctuationType.WALL_CLOCK_TIME)
    task.initialize()
    now = clock.milliseconds()
    clock.advance(10)
    assert task.maybe_punctuate_system_time() is True
    log["cancellable"].cancel()
    clock.advance(10)
    assert task.maybe_punctuate_system_time() is False
    assert log["punctuated"] == [now + 10]


def test_punctuation_marks_a_commit_as_needed() -> None:
    """StreamTaskTest.shouldRespectCommitNeeded: processing and punctuating set commit_needed; prepare_commit
    clears it."""
    task, _, clock = stateless_task(PunctuationType.WALL_CLOCK_TIME)
    task.initialize()
    assert task.commit_needed is False
    task.add_records(P1, [int_record(P1, 0, 1)])
    assert task.process()
    assert task.commit_needed is True
    task.prepare_commit()
    assert task.commit_needed is False
    clock.advance(10)
    assert task.maybe_punctuate_system_time() is True
    assert task.commit_needed is True
    task.prepare_commit()
    assert task.commit_needed is False
