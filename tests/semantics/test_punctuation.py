"""Punctuation: STREAM_TIME and WALL_CLOCK_TIME schedules, missed slots, cancellation, the punctuation context.

Reproduces, value for value:
- streams/test-utils/.../TopologyTestDriverTest.java: shouldPunctuateOnStreamsTime, shouldPunctuateOnWallClockTime
- streams/.../processor/internals/PunctuationQueueTest.java: testPunctuationInterval,
  testPunctuationIntervalCustomAlignment, testPunctuationIntervalCancelFromPunctuator
- streams/.../processor/internals/StreamTaskTest.java: shouldPunctuateOnceStreamTimeAfterGap,
  shouldRespectPunctuateCancellationStreamTime, shouldRespectPunctuateCancellationSystemTime,
  shouldPunctuateSystemTimeWhenIntervalElapsed, shouldNotPunctuateSystemTimeWhenIntervalNotElapsed,
  shouldPunctuateOnceSystemTimeAfterGap (driven through the TopologyTestDriver: one record per pipe, so the
  piped order is the order StreamTask's PartitionGroup would pick)
- streams/.../processor/internals/ProcessorContextImpl.java ``schedule``: an interval under 1 ms is rejected
  with "The minimum supported scheduling interval is 1 millisecond."
- streams/.../processor/internals/StreamTask.java ``punctuate``: there is no input record while punctuating
  (kstreams_nb exposes that as ``record_metadata is None``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kstreams_nb._engine.punctuation import PunctuationQueue, PunctuationSchedule
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Record, RecordMetadata
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

SOURCE_TOPIC_1 = "source-topic-1"
STREAM_TIME = PunctuationType.STREAM_TIME
WALL_CLOCK_TIME = PunctuationType.WALL_CLOCK_TIME


class MockPunctuator:
    """TopologyTestDriverTest's MockPunctuator: records every time it is called with."""

    def __init__(self) -> None:
        self.punctuated_at: list[int] = []

    def __call__(self, timestamp: int) -> None:
        self.punctuated_at.append(timestamp)


class SchedulingProcessor(Processor):
    """TopologyTestDriverTest's MockProcessor: schedules its punctuations in init, forwards every record."""

    def __init__(self, punctuations: list[tuple[int | timedelta, PunctuationType, MockPunctuator]]) -> None:
        self.punctuations = punctuations
        self.cancellables: list = []

    def init(self, context) -> None:
        super().init(context)
        for interval, kind, callback in self.punctuations:
            self.cancellables.append(context.schedule(interval, kind, callback))

    def process(self, record: Record) -> None:
        self.context.forward(record)


def single_processor_topology(processors: list[SchedulingProcessor], *punctuations) -> Topology:
    """TopologyTestDriverTest.setupSingleProcessorTopology(interval, type, callback)."""

    def supplier() -> SchedulingProcessor:
        p = SchedulingProcessor(list(punctuations))
        processors.append(p)
        return p

    return Topology().add_source("source", SOURCE_TOPIC_1).add_processor("processor", supplier, "source")


# ---------------------------------------------------------------------------------------------- stream time
def test_should_punctuate_on_streams_time() -> None:
    """TopologyTestDriverTest.shouldPunctuateOnStreamsTime: interval 10, aligned to 0, gets the stream time."""
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, STREAM_TIME, punctuator))
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        steps = [
            (42, [42]),
            (42, [42]),
            (51, [42, 51]),
            (52, [42, 51]),
            (61, [42, 51, 61]),
            (65, [42, 51, 61]),
            (71, [42, 51, 61, 71]),
            (72, [42, 51, 61, 71]),
            (95, [42, 51, 61, 71, 95]),
            (101, [42, 51, 61, 71, 95, 101]),
            (102, [42, 51, 61, 71, 95, 101]),
        ]
        for timestamp, expected in steps:
            topic.pipe_input("key1", "value1", timestamp)
            assert punctuator.punctuated_at == expected, f"after the record at {timestamp}"


def test_should_punctuate_once_stream_time_after_gap() -> None:
    """StreamTaskTest.shouldPunctuateOnceStreamTimeAfterGap (interval 10): records at 20, 25, 142, 145, 155, 159,
    160, 161 (the order the PartitionGroup picks them from its two partitions) punctuate at 20, 142, 155, 160:
    one punctuation after the 100 ms gap, still aligned to 0."""
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, STREAM_TIME, punctuator))
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        fired_after: list[bool] = []
        for ts in (20, 25, 142, 145, 155, 159, 160, 161):
            before = len(punctuator.punctuated_at)
            topic.pipe_input("k", "v", ts)
            fired_after.append(len(punctuator.punctuated_at) > before)
        assert fired_after == [True, False, True, False, True, False, True, False]
        assert punctuator.punctuated_at == [20, 142, 155, 160]


def test_should_respect_punctuate_cancellation_stream_time() -> None:
    """StreamTaskTest.shouldRespectPunctuateCancellationStreamTime: punctuate at 20; nothing at 25; cancel; nothing
    at 30."""
    punctuator = MockPunctuator()
    processors: list[SchedulingProcessor] = []
    topology = single_processor_topology(processors, (10, STREAM_TIME, punctuator))
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        topic.pipe_input("k", "v", 20)
        assert punctuator.punctuated_at == [20]
        topic.pipe_input("k", "v", 25)
        assert punctuator.punctuated_at == [20]
        processors[0].cancellables[0].cancel()
        topic.pipe_input("k", "v", 30)
        topic.pipe_input("k", "v", 40)
        assert punctuator.punctuated_at == [20]


def test_stream_time_punctuation_needs_a_record() -> None:
    """StreamTaskTest.shouldPunctuateOnceStreamTimeAfterGap (first step): while stream time is unknown (-1),
    nothing punctuates, however far the wall clock moves."""
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, STREAM_TIME, punctuator))
    with TopologyTestDriver(topology) as driver:
        driver.advance_wall_clock_time(1_000)
        assert punctuator.punctuated_at == []
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input("k", "v", 0)
        assert punctuator.punctuated_at == [0]


def test_stream_time_does_not_go_backwards_for_out_of_order_records() -> None:
    """PartitionGroupTest.testTimeTracking: stream time is the largest timestamp processed, so a late record
    neither fires nor re-arms a stream-time punctuation."""
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, STREAM_TIME, punctuator))
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        for ts in (35, 3, 12, 39, 40):
            topic.pipe_input("k", "v", ts)
        assert punctuator.punctuated_at == [35, 40]


# ---------------------------------------------------------------------------------------------- wall clock
def test_should_punctuate_on_wall_clock_time() -> None:
    """TopologyTestDriverTest.shouldPunctuateOnWallClockTime: first slot at now + 10, missed slots skipped, the
    callback gets the current wall-clock time."""
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, WALL_CLOCK_TIME, punctuator))
    with TopologyTestDriver(topology, initial_wall_clock_ms=0) as driver:
        steps = [(5, []), (9, [14]), (1, [14]), (20, [14, 35]), (5, [14, 35, 40])]
        for advance, expected in steps:
            driver.advance_wall_clock_time(timedelta(milliseconds=advance))
            assert punctuator.punctuated_at == expected, f"after advancing {advance} ms"


def test_should_punctuate_system_time_when_interval_elapsed() -> None:
    """StreamTaskTest.shouldPunctuateSystemTimeWhenIntervalElapsed (now = 1000 here): +10, +10, +9 (no), +1, +20
    (one punctuation only) → now+10, now+20, now+30, now+50."""
    now = 1_000
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, WALL_CLOCK_TIME, punctuator))
    with TopologyTestDriver(topology, initial_wall_clock_ms=now) as driver:
        fired = []
        for advance in (10, 10, 9, 1, 20):
            before = len(punctuator.punctuated_at)
            driver.advance_wall_clock_time(advance)
            fired.append(len(punctuator.punctuated_at) - before)
        assert fired == [1, 1, 0, 1, 1]
        assert punctuator.punctuated_at == [now + 10, now + 20, now + 30, now + 50]


def test_should_not_punctuate_system_time_when_interval_not_elapsed() -> None:
    """StreamTaskTest.shouldNotPunctuateSystemTimeWhenIntervalNotElapsed: 9 ms into a 10 ms interval."""
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, WALL_CLOCK_TIME, punctuator))
    with TopologyTestDriver(topology, initial_wall_clock_ms=500) as driver:
        driver.advance_wall_clock_time(0)
        driver.advance_wall_clock_time(9)
        assert punctuator.punctuated_at == []


def test_should_punctuate_once_system_time_after_gap() -> None:
    """StreamTaskTest.shouldPunctuateOnceSystemTimeAfterGap: +100, +10, +12, +7 (no), +1, +105, +5 →
    now+100, now+110, now+122, now+130, now+235, now+240 (still aligned on the initial punctuation)."""
    now = 7
    punctuator = MockPunctuator()
    topology = single_processor_topology([], (10, WALL_CLOCK_TIME, punctuator))
    with TopologyTestDriver(topology, initial_wall_clock_ms=now) as driver:
        fired = []
        for advance in (100, 10, 12, 7, 1, 105, 5):
            before = len(punctuator.punctuated_at)
            driver.advance_wall_clock_time(advance)
            fired.append(len(punctuator.punctuated_at) - before)
        assert fired == [1, 1, 1, 0, 1, 1, 1]
        assert punctuator.punctuated_at == [now + 100, now + 110, now + 122, now + 130, now + 235, now + 240]


def test_should_respect_punctuate_cancellation_system_time() -> None:
    """StreamTaskTest.shouldRespectPunctuateCancellationSystemTime: punctuate at now+10, cancel, nothing at
    now+20."""
    now = 0
    punctuator = MockPunctuator()
    processors: list[SchedulingProcessor] = []
    topology = single_processor_topology(processors, (10, WALL_CLOCK_TIME, punctuator))
    with TopologyTestDriver(topology, initial_wall_clock_ms=now) as driver:
        driver.advance_wall_clock_time(10)
        processors[0].cancellables[0].cancel()
        driver.advance_wall_clock_time(10)
        driver.advance_wall_clock_time(100)
        assert punctuator.punctuated_at == [now + 10]


def test_piping_records_never_fires_wall_clock_punctuation_and_wall_clock_never_fires_stream_time() -> None:
    """TopologyTestDriver.java: stream-time punctuation runs after every processed record, wall-clock
    punctuation only in advanceWallClockTime."""
    stream_punctuator, wall_punctuator = MockPunctuator(), MockPunctuator()
    topology = single_processor_topology(
        [], (10, STREAM_TIME, stream_punctuator), (timedelta(seconds=1), WALL_CLOCK_TIME, wall_punctuator)
    )
    with TopologyTestDriver(topology, initial_wall_clock_ms=0) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        topic.pipe_input("k", "v", 5_000)
        topic.pipe_input("k", "v", 9_000)
        assert stream_punctuator.punctuated_at == [5_000, 9_000]
        assert wall_punctuator.punctuated_at == []
        driver.advance_wall_clock_time(999)
        assert wall_punctuator.punctuated_at == []
        driver.advance_wall_clock_time(1)
        assert wall_punctuator.punctuated_at == [1_000]
        assert stream_punctuator.punctuated_at == [5_000, 9_000]


# ---------------------------------------------------------------------------------------------- the queue
class _Fired:
    """PunctuationQueueTest's ProcessorNodePunctuator: call the schedule's punctuator with the time."""

    def __call__(self, sched: PunctuationSchedule, now: int) -> None:
        sched.callback(now)


def test_punctuation_interval() -> None:
    """PunctuationQueueTest.testPunctuationInterval: schedule at 0, interval 100, driven from now = -100."""
    punctuated_at: list[int] = []
    queue = PunctuationQueue()
    queue.schedule(PunctuationSchedule("test", 0, 100, punctuated_at.append))
    now = -100
    fire = _Fired()
    steps = [(0, 0), (99, 0), (100, 1), (199, 1), (200, 2), (1001, 3), (1002, 3), (1100, 4)]
    for offset, count in steps:
        queue.may_punctuate(now + offset, fire)
        assert len(punctuated_at) == count, f"at now + {offset}"
    assert punctuated_at == [0, 100, 901, 1000]


def test_punctuation_interval_custom_alignment() -> None:
    """PunctuationQueueTest.testPunctuationIntervalCustomAlignment: schedule at 50, interval 100, from now = 0."""
    punctuated_at: list[int] = []
    queue = PunctuationQueue()
    queue.schedule(PunctuationSchedule("test", 50, 100, punctuated_at.append))
    now = 0
    fire = _Fired()
    steps = [(0, 0), (49, 0), (50, 1), (149, 1), (150, 2), (1051, 3), (1052, 3), (1150, 4)]
    for offset, count in steps:
        queue.may_punctuate(now + offset, fire)
        assert len(punctuated_at) == count, f"at now + {offset}"
    assert punctuated_at == [50, 150, 1051, 1150]


def test_punctuation_interval_cancel_from_punctuator() -> None:
    """PunctuationQueueTest.testPunctuationIntervalCancelFromPunctuator: cancelling inside the callback stops every
    later slot."""
    punctuated_at: list[int] = []
    queue = PunctuationQueue()
    cancellable = queue.schedule(PunctuationSchedule("test", 0, 100, punctuated_at.append))

    def fire_then_cancel(sched: PunctuationSchedule, now: int) -> None:
        sched.callback(now)
        cancellable.cancel()

    now = -100
    for offset, count in [(0, 0), (100, 1), (200, 1), (1001, 1)]:
        queue.may_punctuate(now + offset, fire_then_cancel)
        assert len(punctuated_at) == count, f"at now + {offset}"
    assert punctuated_at == [0]
    assert len(queue) == 0


def test_cancel_from_inside_the_callback_through_the_context() -> None:
    """PunctuationQueueTest.testPunctuationIntervalCancelFromPunctuator, through ProcessorContext.schedule: a
    processor cancels its own schedule from its punctuator."""
    punctuated_at: list[int] = []

    class SelfCancelling(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.handle = context.schedule(10, STREAM_TIME, self.punctuate)

        def punctuate(self, timestamp: int) -> None:
            punctuated_at.append(timestamp)
            self.handle.cancel()

        def process(self, record: Record) -> None:
            pass

    topology = Topology().add_source("source", SOURCE_TOPIC_1).add_processor("processor", SelfCancelling, "source")
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        for ts in (0, 10, 20, 1_000):
            topic.pipe_input("k", "v", ts)
    assert punctuated_at == [0]


def test_the_next_slot_skips_every_missed_slot() -> None:
    """PunctuationSchedule.next: after firing at ``current``, the next slot is the first one after ``current``."""
    sched = PunctuationSchedule("n", 0, 10, lambda t: None)
    assert sched.next(0).timestamp == 10
    assert sched.next(9).timestamp == 10
    assert sched.next(10).timestamp == 20
    assert sched.next(95).timestamp == 100
    assert PunctuationSchedule("n", 80, 10, lambda t: None).next(95).timestamp == 100


# ---------------------------------------------------------------------------------------------- the context
def test_schedule_interval_below_one_millisecond_is_rejected() -> None:
    """ProcessorContextImpl.schedule: ``interval.toMillis() < 1`` → IllegalArgumentException("The minimum supported
    scheduling interval is 1 millisecond.")."""
    outcomes: list[object] = []

    class TriesToSchedule(Processor):
        def process(self, record: Record) -> None:
            for interval in (0, -5, timedelta(0), timedelta(microseconds=999)):
                try:
                    self.context.schedule(interval, STREAM_TIME, lambda t: None)
                    outcomes.append(("accepted", interval))
                except ValueError as e:
                    outcomes.append(str(e))
            outcomes.append(type(self.context.schedule(timedelta(milliseconds=1), STREAM_TIME, lambda t: None)))

    topology = Topology().add_source("source", SOURCE_TOPIC_1).add_processor("processor", TriesToSchedule, "source")
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input("k", "v", 0)
    message = "The minimum supported scheduling interval is 1 millisecond."
    assert outcomes[:4] == [message] * 4
    assert outcomes[4] is PunctuationSchedule


def test_record_metadata_is_none_during_punctuation() -> None:
    """StreamTask.punctuate runs with no input record: record metadata is None there (and for records a punctuator
    forwards); during process() it names the input topic, partition and offset. The context's stream time during a
    stream-time punctuation is the time the callback gets."""
    seen: list[tuple] = []

    class Emitter(Processor):
        def init(self, context) -> None:
            super().init(context)
            context.schedule(10, STREAM_TIME, self.on_stream_time)
            context.schedule(100, WALL_CLOCK_TIME, self.on_wall_clock)

        def process(self, record: Record) -> None:
            seen.append(("process", record.value, self.context.record_metadata, self.context.current_stream_time_ms))

        def on_stream_time(self, timestamp: int) -> None:
            seen.append(("stream", timestamp, self.context.record_metadata, self.context.current_stream_time_ms))
            self.context.forward(Record("p", timestamp, timestamp))

        def on_wall_clock(self, timestamp: int) -> None:
            seen.append(("wall", timestamp, self.context.record_metadata, self.context.current_system_time_ms))
            self.context.forward(Record("w", timestamp, timestamp))

    class Child(Processor):
        def process(self, record: Record) -> None:
            seen.append(("child", record.value, self.context.record_metadata, record.timestamp))
            self.context.forward(record)

    topology = (
        Topology()
        .add_source("source", SOURCE_TOPIC_1)
        .add_processor("emitter", Emitter, "source")
        .add_processor("child", Child, "emitter")
        .add_sink("sink", "out", "child")
    )
    with TopologyTestDriver(topology, initial_wall_clock_ms=0) as driver:
        topic = driver.create_input_topic(SOURCE_TOPIC_1)
        out = driver.create_output_topic("out")
        topic.pipe_input("a", "r0", 0)
        topic.pipe_input("a", "r1", 5)
        topic.pipe_input("a", "r2", 12)
        driver.advance_wall_clock_time(100)
        topic.pipe_input("a", "r3", 13)
        assert seen == [
            ("process", "r0", RecordMetadata(SOURCE_TOPIC_1, 0, 0), 0),
            ("stream", 0, None, 0),
            ("child", 0, None, 0),
            ("process", "r1", RecordMetadata(SOURCE_TOPIC_1, 0, 1), 5),
            ("process", "r2", RecordMetadata(SOURCE_TOPIC_1, 0, 2), 12),
            ("stream", 12, None, 12),
            ("child", 12, None, 12),
            ("wall", 100, None, 100),
            ("child", 100, None, 100),
            ("process", "r3", RecordMetadata(SOURCE_TOPIC_1, 0, 3), 13),
        ]
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("p", 0, 0),
            ("p", 12, 12),
            ("w", 100, 100),
        ]


def test_schedule_outside_init_process_or_punctuation_is_rejected() -> None:
    """ProcessorContextImpl.schedule needs a current node (Kafka: "Current node is null"); kstreams_nb raises
    StreamsStateError when a processor keeps its context and schedules from outside any callback."""
    from kstreams_nb.errors import StreamsStateError

    kept: list = []

    class Keeper(Processor):
        def init(self, context) -> None:
            super().init(context)
            kept.append(context)

        def process(self, record: Record) -> None:
            pass

    topology = Topology().add_source("source", SOURCE_TOPIC_1).add_processor("processor", Keeper, "source")
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic(SOURCE_TOPIC_1).pipe_input("k", "v", 0)
        with pytest.raises(StreamsStateError):
            kept[0].schedule(10, STREAM_TIME, lambda t: None)
