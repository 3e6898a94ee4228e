"""RecordQueue and PartitionGroup on raw ConsumerRecords, and a StreamTask reading two topics.

Reproduces, value for value:
- streams/.../processor/internals/PartitionGroupTest.java: testTimeTracking, shouldChooseNextRecordBasedOnHead
  Timestamp (two partitions of "topic"; MockTimestampExtractor: timestamp = offset)
- streams/.../processor/internals/RecordQueueTest.java: shouldTrackPartitionTimeAsMaxProcessedTimestamp,
  shouldPassPartitionTimeToTimestampExtractor, shouldNotThrowStreamsExceptionWhenKeyDeserializationFailsWithSkip
  Handler (a skipped record is not buffered)
- streams/.../processor/internals/StreamTaskTest.java: shouldProcessInOrder (topic1 and topic2, partition 0 each,
  feeding one task; values 101..103 at 10, 20, 30 and 201..203 at 25, 35, 45)
"""

from __future__ import annotations

from kstreams_nb._engine.partition_group import UNKNOWN, PartitionGroup, RecordQueue
from kstreams_nb._time import ManualClock
from kstreams_nb.processor import Processor
from kstreams_nb.records import ConsumerRecord, Record, TopicPartition
from kstreams_nb.serdes import Serdes
from kstreams_nb.topology import Topology

from ._support import int_record, make_task

INT = Serdes.integer()
RECORD_KEY = INT.serialize(None, 1)
RECORD_VALUE = INT.serialize(None, 10)
PARTITION_1 = TopicPartition("topic", 1)
PARTITION_2 = TopicPartition("topic", 2)


def raw(partition: int, offset: int) -> ConsumerRecord:
    """``new ConsumerRecord<>("topic", partition, offset, recordKey, recordValue)`` (no timestamp: -1)."""
    return ConsumerRecord("topic", partition, offset, -1, RECORD_KEY, RECORD_VALUE)


class MockTimestampExtractor:
    """MockTimestampExtractor: the record's offset is its timestamp; remembers every partition time it was given."""

    def __init__(self) -> None:
        self.partition_times: list[int] = []

    def decode(self, record: ConsumerRecord, partition_time: int) -> Record:
        self.partition_times.append(partition_time)
        return Record(INT.deserialize(record.topic, record.key), INT.deserialize(record.topic, record.value),
                      record.offset)


def group_of_two() -> tuple[PartitionGroup, RecordQueue, RecordQueue]:
    extractor = MockTimestampExtractor()
    q1 = RecordQueue(PARTITION_1, "source", extractor.decode)
    q2 = RecordQueue(PARTITION_2, "source", extractor.decode)
    group = PartitionGroup()
    group.add_queue(q1)
    group.add_queue(q2)
    return group, q1, q2


def buffered(group: PartitionGroup) -> tuple[int, int, int]:
    """PartitionGroupTest.verifyBuffered: (total, partition 1, partition 2)."""
    return group.num_buffered(), group.queues[PARTITION_1].size(), group.queues[PARTITION_2].size()


def next_of(group: PartitionGroup) -> tuple[TopicPartition, int, int]:
    """(partition, record timestamp, stream time after) of the next record."""
    nxt = group.next_record()
    assert nxt is not None
    queue, record, _ = nxt
    return queue.tp, record.timestamp, group.stream_time


def test_time_tracking() -> None:
    """PartitionGroupTest.testTimeTracking: lowest head timestamp first across partitions; stream time is the
    largest timestamp processed (late records 2 and 4 do not move it back)."""
    group, _, _ = group_of_two()
    assert group.num_buffered() == 0

    group.add_records(PARTITION_1, [raw(1, 1), raw(1, 3), raw(1, 5)])
    group.add_records(PARTITION_2, [raw(2, 2), raw(2, 4), raw(2, 6)])
    # 1:[1, 3, 5]  2:[2, 4, 6]  st: -1 since no records was being processed yet
    assert buffered(group) == (6, 3, 3)
    assert group.stream_time == UNKNOWN == -1

    assert next_of(group) == (PARTITION_1, 1, 1)  # 1:[3, 5] 2:[2, 4, 6]
    assert buffered(group) == (5, 2, 3)
    assert next_of(group) == (PARTITION_2, 2, 2)  # 1:[3, 5] 2:[4, 6]
    assert buffered(group) == (4, 2, 2)

    group.add_records(PARTITION_1, [raw(1, 2), raw(1, 4)])
    # 1:[3, 5, 2, 4]  2:[4, 6]  st: 2 (just adding records shouldn't change it)
    assert buffered(group) == (6, 4, 2)
    assert group.stream_time == 2

    assert next_of(group) == (PARTITION_1, 3, 3)
    assert buffered(group) == (5, 3, 2)
    assert next_of(group) == (PARTITION_2, 4, 4)
    assert buffered(group) == (4, 3, 1)
    assert next_of(group) == (PARTITION_1, 5, 5)
    assert buffered(group) == (3, 2, 1)
    assert next_of(group) == (PARTITION_1, 2, 5)  # time should not be advanced
    assert buffered(group) == (2, 1, 1)
    assert next_of(group) == (PARTITION_1, 4, 5)
    assert buffered(group) == (1, 0, 1)
    assert next_of(group) == (PARTITION_2, 6, 6)
    assert buffered(group) == (0, 0, 0)
    assert group.next_record() is None


def test_should_choose_next_record_based_on_head_timestamp() -> None:
    """PartitionGroupTest.shouldChooseNextRecordBasedOnHeadTimestamp: partition 1 has seen 5 but its head is 3, so
    3 comes before partition 2's 4."""
    group, _, _ = group_of_two()
    group.add_records(PARTITION_1, [raw(1, 1), raw(1, 5), raw(1, 3)])
    assert buffered(group) == (3, 3, 0)
    assert group.stream_time == -1
    assert next_of(group)[1] == 1
    assert next_of(group)[1] == 5

    group.add_records(PARTITION_2, [raw(2, 2), raw(2, 4), raw(2, 6)])
    # 1:[3]  2:[2, 4, 6]
    assert next_of(group) == (PARTITION_2, 2, 5)
    assert next_of(group) == (PARTITION_1, 3, 5)
    assert [next_of(group)[1] for _ in range(2)] == [4, 6]


def test_records_are_decoded_with_the_partition_time() -> None:
    """RecordQueueTest.shouldTrackPartitionTimeAsMaxProcessedTimestamp and shouldPassPartitionTimeToTimestamp
    Extractor: out-of-order 2, 1, 3, 4; partition time is the max popped so far and is what the extractor gets."""
    extractor = MockTimestampExtractor()
    queue = RecordQueue(TopicPartition("topic", 1), "source", extractor.decode)
    assert (queue.size(), queue.head, queue.partition_time) == (0, None, UNKNOWN)

    queue.add([raw(1, 2), raw(1, 1), raw(1, 3), raw(1, 4)])
    assert queue.partition_time == UNKNOWN
    assert extractor.partition_times == [UNKNOWN]  # only the head is decoded, with no known time yet

    popped = []
    for expected_time in (2, 2, 3):
        popped.append(queue.pop()[0].timestamp)
        assert queue.partition_time == expected_time
    assert popped == [2, 1, 3]
    assert extractor.partition_times == [UNKNOWN, 2, 2, 3]


def test_skipped_record_is_not_buffered_and_is_committable() -> None:
    """RecordQueueTest.shouldNotThrowStreamsExceptionWhen{Key,Value}DeserializationFailsWithSkipHandler: a record the
    handler skips leaves the queue empty; as it is handled, the next offset to commit moves past it."""

    def skip_odd(record: ConsumerRecord, partition_time: int) -> Record | None:
        return None if record.offset % 2 else Record(1, 10, record.offset)

    queue = RecordQueue(TopicPartition("topic", 1), "source", skip_odd)
    queue.add([raw(1, 1)])
    assert (queue.size(), queue.head, queue.committable) == (0, None, 2)
    queue.add([raw(1, 3), raw(1, 4), raw(1, 5)])
    assert queue.size() == 2 and queue.head is not None and queue.head.timestamp == 4
    assert queue.committable == 4


def test_ties_go_to_the_partition_added_first() -> None:
    """kstreams_nb's documented tie rule (Kafka leaves ties to its PriorityQueue): equal head timestamps are taken
    from the partition whose queue was added first."""
    group, _, _ = group_of_two()
    group.add_records(PARTITION_2, [raw(2, 7)])
    group.add_records(PARTITION_1, [raw(1, 7)])
    assert [next_of(group)[0] for _ in range(2)] == [PARTITION_1, PARTITION_2]


# ---------------------------------------------------------------------------------------------- StreamTask level
class ValueRecorder(Processor):
    def __init__(self, values: list[int]) -> None:
        self.values = values

    def process(self, record: Record) -> None:
        self.values.append(record.value)


def test_should_process_in_order() -> None:
    """StreamTaskTest.shouldProcessInOrder: topic1 [10, 20, 30] → 101..103, topic2 [25, 35, 45] → 201..203; one
    record per process(), lowest timestamp first across the two partitions."""
    source1_values: list[int] = []
    source2_values: list[int] = []
    topology = (
        Topology()
        .add_source("source1", "topic1", key_deserializer=INT, value_deserializer=INT)
        .add_source("source2", "topic2", key_deserializer=INT, value_deserializer=INT)
        .add_processor("received1", lambda: ValueRecorder(source1_values), "source1")
        .add_processor("received2", lambda: ValueRecorder(source2_values), "source2")
    )
    partition1, partition2 = TopicPartition("topic1", 0), TopicPartition("topic2", 0)
    task, _, _ = make_task(topology, [partition1, partition2])
    task.initialize()

    task.add_records(partition1, [int_record(partition1, 10, 101), int_record(partition1, 20, 102),
                                  int_record(partition1, 30, 103)])
    task.add_records(partition2, [int_record(partition2, 25, 201), int_record(partition2, 35, 202),
                                  int_record(partition2, 45, 203)])

    expected = [
        (5, [101], []),
        (4, [101, 102], []),
        (3, [101, 102], [201]),
        (2, [101, 102, 103], [201]),
        (1, [101, 102, 103], [201, 202]),
        (0, [101, 102, 103], [201, 202, 203]),
    ]
    for num_buffered, values1, values2 in expected:
        assert task.process() is True
        assert task.partition_group.num_buffered() == num_buffered
        assert (source1_values, source2_values) == (values1, values2)
    assert task.process() is False
    assert task.stream_time == 45
    assert task.prepare_commit() == {partition1: 31, partition2: 46}


def test_ready_waits_for_an_empty_partition_with_lag_then_for_max_task_idle_ms() -> None:
    """In the manner of PartitionGroupTest.shouldWaitForPollWhenLagIsNonzero / shouldIdleAsSpecifiedWhenLagIsZero."""
    group, q1, _ = group_of_two()
    assert group.ready()  # no lag source: never waits
    lags: dict[TopicPartition, int | None] = {PARTITION_1: 0, PARTITION_2: None}
    clock = ManualClock(1_000)
    group.set_lag_source(lags.get, 100, clock)
    assert not group.ready()  # nothing buffered at all
    q1.add([raw(1, 5)])
    assert not group.ready()  # partition 2 is empty and its lag is unknown
    lags[PARTITION_2] = 3
    assert not group.ready()  # ... or records are known to be on the broker
    lags[PARTITION_2] = 0
    assert not group.ready()  # caught up: idles from now for max.task.idle.ms
    clock.advance(99)
    assert not group.ready()
    clock.advance(1)
    assert group.ready()
    assert next_of(group) == (PARTITION_1, 5, 5)


def test_ready_never_waits_with_a_negative_max_task_idle_ms() -> None:
    group, q1, _ = group_of_two()
    group.set_lag_source(lambda tp: None, -1, ManualClock())
    q1.add([raw(1, 5)])
    assert group.ready()
