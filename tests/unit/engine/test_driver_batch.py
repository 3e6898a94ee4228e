"""TestInputTopic's list pipes on the TopologyTestDriver: the same outputs, errors, offsets and times as piping the
records one by one, whether the driver batches them (no state stores) or not."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb import Serdes, TopologyTestDriver
from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder
from kstreams_nb.errors import DeserializationError, ProcessingError, SerializationError
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Record
from kstreams_nb.testing.topics import TestRecord

S = Serdes.string()


def _topology(seen: list[Any], counting: bool = False) -> Any:
    """peek → 10 // value → drop 5 → str, then (counting) a count per key, to "out"."""
    b = StreamsBuilder()
    stream = (b.stream("in", Consumed.with_(S, S))
              .peek(lambda k, v: seen.append(v))
              .map_values(lambda v: 10 // int(v))
              .filter(lambda k, v: v != 5)
              .map_values(str))
    if counting:
        stream = stream.group_by_key().count().to_stream().map_values(str)
    stream.to("out", Produced.with_(S, S))
    return b.build()


RECORDS = [TestRecord("a", "1", 5), TestRecord("b", "2", 3), TestRecord("a", "5", 9), TestRecord("c", "3", None)]


def _outputs(driver: TopologyTestDriver) -> list[tuple[Any, Any, int]]:
    return [(r.key, r.value, r.timestamp) for r in driver.create_output_topic("out", S, S).read_records_to_list()]


@pytest.mark.parametrize("counting", [False, True])
def test_a_list_gives_what_one_by_one_gives(counting: bool) -> None:
    results = []
    for one_by_one in (True, False):
        seen: list[Any] = []
        with TopologyTestDriver(_topology(seen, counting)) as driver:
            topic = driver.create_input_topic("in", S, S, start_timestamp_ms=100, auto_advance_ms=7)
            if one_by_one:
                for r in RECORDS:
                    topic.pipe_record(r)
            else:
                topic.pipe_record_list(RECORDS)
            topic.pipe_key_value_list([("d", "10"), ("e", "1")])
            topic.pipe_value_list(["4"])
            results.append((_outputs(driver), seen, repr(topic), driver._offsets["in"]))
    assert results[0] == results[1]
    outputs, seen, topic_repr, offset = results[0]
    assert seen == ["1", "2", "5", "3", "10", "1", "4"] and offset == 7
    assert topic_repr == "TestInputTopic(name='in', current_time=128)"
    if counting:  # the null-keyed last record is dropped by the count
        assert outputs == [("a", "1", 5), ("a", "2", 9), ("c", "1", 100), ("d", "1", 107), ("e", "1", 114)]
    else:
        assert outputs == [("a", "10", 5), ("a", "2", 9), ("c", "3", 100), ("d", "1", 107), ("e", "10", 114),
                           (None, "2", 121)]


def test_the_stateless_list_is_batched_and_the_counting_one_is_not() -> None:
    with TopologyTestDriver(_topology([])) as driver:
        driver.create_input_topic("in", S, S).pipe_record_list(RECORDS)
        assert driver._batchable is True
    with TopologyTestDriver(_topology([], counting=True)) as driver:
        driver.create_input_topic("in", S, S).pipe_record_list(RECORDS)
        assert driver._batchable is False


@pytest.mark.parametrize("counting", [False, True])
def test_a_failing_record_stops_the_list_there(counting: bool) -> None:
    seen: list[Any] = []
    records = [TestRecord("a", "1", 1), TestRecord("b", "0", None), TestRecord("c", "2", 2)]
    with TopologyTestDriver(_topology(seen, counting)) as driver:
        topic = driver.create_input_topic("in", S, S, start_timestamp_ms=50, auto_advance_ms=10)
        with pytest.raises(ProcessingError) as info:
            topic.pipe_record_list(records)
        assert info.value.node == "KSTREAM-MAPVALUES-0000000002" and info.value.offset == 1
        assert seen == ["1", "0"]  # the third record was never piped
        assert driver._offsets["in"] == 2 and repr(topic) == "TestInputTopic(name='in', current_time=60)"
        assert _outputs(driver) == [("a", "1" if counting else "10", 1)]
        topic.pipe_input("a", "1", 3)  # the driver goes on with the next record
        assert _outputs(driver) == [("a", "2" if counting else "10", 3)]
        assert driver._offsets["in"] == 3


def test_an_undecodable_record_fails_after_the_one_before_it_is_processed() -> None:
    seen: list[Any] = []
    b = StreamsBuilder()
    stream = b.stream("in", Consumed.with_(S, Serdes.integer()))
    stream.peek(lambda k, v: seen.append(v)).to("out", Produced.with_(S, Serdes.integer()))
    with TopologyTestDriver(b.build()) as driver:
        topic = driver.create_input_topic("in", S, Serdes.bytes())
        good, bad = (7).to_bytes(4, "big"), b"xx"
        with pytest.raises(DeserializationError):
            topic.pipe_value_list([good, good, bad, good])
        assert seen == [7, 7] and driver._offsets["in"] == 3


def test_a_record_that_cannot_be_serialized_fails_once_the_ones_before_it_are_piped() -> None:
    seen: list[Any] = []
    with TopologyTestDriver(_topology(seen)) as driver:
        topic = driver.create_input_topic("in", S, S)
        with pytest.raises(SerializationError) as info:
            topic.pipe_key_value_list([("a", "1"), ("b", 2), ("c", "1")])
        assert "'in'" in str(info.value)
        assert seen == ["1"] and driver._offsets["in"] == 1


class _Punctuating(Processor):
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def init(self, context: Any) -> None:
        super().init(context)
        context.schedule(10, PunctuationType.STREAM_TIME, lambda t: self.log.append(("tick", t)))

    def process(self, record: Record) -> None:
        self.log.append(record.value)
        self.context.forward(record)


def test_stream_time_punctuation_follows_each_record_of_a_batch() -> None:
    logs = []
    for batch in (False, True):
        log: list[Any] = []
        b = StreamsBuilder()
        b.stream("in", Consumed.with_(S, S)).process(lambda log=log: _Punctuating(log)).to("out", Produced.with_(S, S))
        with TopologyTestDriver(b.build()) as driver:
            topic = driver.create_input_topic("in", S, S)
            records = [TestRecord("k", str(t), t) for t in (0, 4, 12, 15, 31)]
            if batch:
                topic.pipe_record_list(records)
            else:
                for r in records:
                    topic.pipe_record(r)
            assert [v for _, v, _ in _outputs(driver)] == ["0", "4", "12", "15", "31"]
        logs.append(log)
    assert logs[0] == logs[1] == ["0", ("tick", 0), "4", "12", ("tick", 12), "15", "31", ("tick", 31)]
