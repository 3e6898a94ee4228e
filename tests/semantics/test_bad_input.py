"""Bad input and failing user code: deserialization errors (fail / skip / dead-letter queue) and processing errors
(in process, init, punctuation and a TopicNameExtractor).

Reproduces, value for value:
- streams/.../processor/internals/RecordQueueTest.java: shouldThrowStreamsExceptionWhenKeyDeserializationFails,
  shouldThrowStreamsExceptionWhenValueDeserializationFails, shouldNotThrowStreamsExceptionWhenKeyDeserialization
  FailsWithSkipHandler, shouldNotThrowStreamsExceptionWhenValueDeserializationFailsWithSkipHandler (a Long-serialized
  key or value read by an Integer deserializer)
- streams/.../errors/ExceptionHandlerUtils.java (KIP-1034): with ``errors.dead.letter.queue.topic.name`` the failed
  record's raw key/value go to that topic with the ``__streams.errors.{exception,message,stacktrace,topic,partition,
  offset}`` headers (after the record's own headers, as KIP-1034 specifies)
- streams/integration-tests/.../ProcessingExceptionHandlerIntegrationTest.java:
  shouldFailWhenProcessingExceptionOccursIfExceptionHandlerReturnsFail ("Exception caught in process. taskId=0_0,
  processor=KSTREAM-PROCESSOR-0000000003, topic=TOPIC_NAME, partition=0, offset=1"),
  shouldContinueWhenProcessingExceptionOccursIfExceptionHandlerReturnsContinue (ID123-1, -3, -4, -6 processed),
  shouldStopOnFailedProcessorWhenProcessingExceptionOccursInContinueProcessingExceptionHandler
- streams/.../processor/internals/StreamTaskTest.java: shouldWrapKafkaExceptionsWithStreamsExceptionAndAddContextWhen
  PunctuatingStreamTime / ...WallClockTimeTime (the error names the processor)
"""

from __future__ import annotations

import pytest

from kstreams_nb.errors import DeserializationError, KStreamsError, ProcessingError
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Headers, Record, RecordMetadata, TaskId
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

INT, S, B = Serdes.integer(), Serdes.string(), Serdes.bytes()
TIMESTAMP = 1_700_000_000_000  # ProcessingExceptionHandlerIntegrationTest.TIMESTAMP (any fixed instant)


class Capture(Processor):
    """MockProcessorSupplier's processor: keeps (key, value, timestamp) and where the record came from."""

    def __init__(self, processed: list) -> None:
        self.processed = processed

    def process(self, record: Record) -> None:
        self.processed.append((record.key, record.value, record.timestamp, self.context.record_metadata))


def int_topology(processed: list) -> Topology:
    """A source reading Integer keys and values (RecordQueueTest's MockSourceNode(intDeserializer, ...))."""
    return (
        Topology()
        .add_source("source", "topic", key_deserializer=INT, value_deserializer=INT)
        .add_processor("capture", lambda: Capture(processed), "source")
    )


def pipe_raw(driver: TopologyTestDriver, key: bytes | None, value: bytes | None, ts: int, headers=None) -> None:
    driver.create_input_topic("topic", B, B).pipe_input(key, value, ts, headers=headers)


INT_1 = (1).to_bytes(4, "big")
INT_10 = (10).to_bytes(4, "big")
LONG_1 = (1).to_bytes(8, "big")


# ---------------------------------------------------------------------------------------------- deserialization
@pytest.mark.parametrize("bad", ["key", "value"])
def test_deserialization_failure_names_topic_partition_offset(bad: str) -> None:
    """RecordQueueTest.shouldThrowStreamsExceptionWhen{Key,Value}DeserializationFails: the Long bytes of 1 cannot
    be read by the Integer deserializer; the error says where (topic, partition, offset) and chains the cause."""
    processed: list = []
    with TopologyTestDriver(int_topology(processed)) as driver:
        pipe_raw(driver, INT_1, INT_10, 5)
        with pytest.raises(DeserializationError) as info:
            pipe_raw(driver, LONG_1 if bad == "key" else INT_1, INT_10 if bad == "key" else LONG_1, 6)
    err = info.value
    assert (err.topic, err.partition, err.offset) == ("topic", 0, 1)
    assert "topic topic, partition 0, offset 1" in str(err)
    assert isinstance(err.__cause__, ValueError)
    assert str(err.__cause__) == "size of data received by the integer deserializer is not 4 but 8"
    assert processed == [(1, 10, 5, RecordMetadata("topic", 0, 0))]


@pytest.mark.parametrize("bad", ["key", "value"])
def test_log_and_continue_skips_the_bad_record(bad: str) -> None:
    """RecordQueueTest.shouldNotThrowStreamsExceptionWhen{Key,Value}DeserializationFailsWithSkipHandler: with
    LogAndContinueExceptionHandler the record is dropped and the next one is processed."""
    processed: list = []
    config = {"deserialization.exception.handler": "log_and_continue"}
    with TopologyTestDriver(int_topology(processed), config) as driver:
        pipe_raw(driver, INT_1, INT_10, 5)
        pipe_raw(driver, LONG_1 if bad == "key" else INT_1, INT_10 if bad == "key" else LONG_1, 6)
        pipe_raw(driver, (2).to_bytes(4, "big"), (20).to_bytes(4, "big"), 7)
    assert processed == [(1, 10, 5, RecordMetadata("topic", 0, 0)), (2, 20, 7, RecordMetadata("topic", 0, 2))]


def test_a_callable_deserialization_handler_gets_the_error_context() -> None:
    """DeserializationExceptionHandler.handleError(ErrorHandlerContext, record, exception): the context has topic,
    partition, offset, headers, the source node's name, the task id and the timestamp."""
    calls: list = []

    def handler(ctx, exc) -> str:
        calls.append((ctx.topic, ctx.partition, ctx.offset, ctx.headers, ctx.processor_node_id, ctx.task_id,
                      ctx.timestamp, type(exc).__name__))
        return "continue"

    processed: list = []
    config = {"deserialization.exception.handler": handler}
    with TopologyTestDriver(int_topology(processed), config) as driver:
        pipe_raw(driver, INT_1, LONG_1, 9, headers=[("h", b"1")])
        pipe_raw(driver, INT_1, INT_10, 10)
    assert calls == [("topic", 0, 0, Headers([("h", b"1")]), "source", TaskId(0, 0), 9, "ValueError")]
    assert processed == [(1, 10, 10, RecordMetadata("topic", 0, 1))]


def test_dead_letter_queue_gets_the_raw_record_with_error_headers() -> None:
    """ExceptionHandlerUtils.buildDeadLetterQueueRecord (KIP-1034): the raw key and value bytes, the record's
    timestamp, its own headers, then __streams.errors.exception / message / stacktrace / topic / partition /
    offset; processing goes on with the next record."""
    processed: list = []
    config = {"deserialization.exception.handler": "log_and_continue", "errors.dead.letter.queue.topic.name": "dlq"}
    with TopologyTestDriver(int_topology(processed), config) as driver:
        pipe_raw(driver, INT_1, INT_10, 5)
        pipe_raw(driver, INT_1, LONG_1, 6, headers=[("trace-id", b"t-1")])
        pipe_raw(driver, INT_1, (11).to_bytes(4, "big"), 7)
        dead = driver.create_output_topic("dlq", B, B).read_records_to_list()
        assert driver.produced_topic_names() == {"dlq"}
    assert processed == [(1, 10, 5, RecordMetadata("topic", 0, 0)), (1, 11, 7, RecordMetadata("topic", 0, 2))]
    assert len(dead) == 1
    record = dead[0]
    assert (record.key, record.value, record.timestamp) == (INT_1, LONG_1, 6)
    assert [k for k, _ in record.headers] == [
        "trace-id",
        "__streams.errors.exception",
        "__streams.errors.message",
        "__streams.errors.stacktrace",
        "__streams.errors.topic",
        "__streams.errors.partition",
        "__streams.errors.offset",
    ]
    h = record.headers
    assert h.last_header("trace-id") == b"t-1"
    assert h.last_header("__streams.errors.topic") == b"topic"
    assert h.last_header("__streams.errors.partition") == b"0"
    assert h.last_header("__streams.errors.offset") == b"1"
    assert b"ValueError" in h.last_header("__streams.errors.exception")
    message = b"size of data received by the integer deserializer is not 4 but 8"
    assert h.last_header("__streams.errors.message") == message
    assert b"ValueError" in h.last_header("__streams.errors.stacktrace")


# ---------------------------------------------------------------------------------------------- processing
class RuntimeErrorProcessor(Processor):
    """ProcessingExceptionHandlerIntegrationTest.runtimeErrorProcessorSupplierMock: keys containing "ERR" fail."""

    def process(self, record: Record) -> None:
        if "ERR" in record.key:
            raise RuntimeError("Exception should be handled by processing exception handler")
        self.context.forward(Record(record.key, record.value, record.timestamp))


class PassThrough(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record)


def processing_topology(processed: list, after_error: list | None = None) -> Topology:
    """stream(TOPIC_NAME).map(KeyValue::new).mapValues(v -> v).process(runtimeError).[map(...)].process(capture),
    with the DSL's node names written out by hand."""
    topology = (
        Topology()
        .add_source("KSTREAM-SOURCE-0000000000", "TOPIC_NAME", key_deserializer=S, value_deserializer=S)
        .add_processor("KSTREAM-MAP-0000000001", PassThrough, "KSTREAM-SOURCE-0000000000")
        .add_processor("KSTREAM-MAPVALUES-0000000002", PassThrough, "KSTREAM-MAP-0000000001")
        .add_processor("KSTREAM-PROCESSOR-0000000003", RuntimeErrorProcessor, "KSTREAM-MAPVALUES-0000000002")
    )
    last = "KSTREAM-PROCESSOR-0000000003"
    if after_error is not None:

        class Marks(Processor):
            def process(self, record: Record) -> None:
                after_error.append(record.key)
                self.context.forward(record)

        topology.add_processor("KSTREAM-MAP-0000000004", Marks, last)
        last = "KSTREAM-MAP-0000000004"
    return topology.add_processor("KSTREAM-PROCESSOR-0000000005", lambda: Capture(processed), last)


def test_processing_error_names_task_node_and_record_position() -> None:
    """ProcessingExceptionHandlerIntegrationTest.shouldFailWhenProcessingExceptionOccursIfExceptionHandlerReturns
    Fail: the second event fails; only ID123-1 was processed; the error names task 0_0, the processor, the topic,
    partition 0 and offset 1, and chains the user's exception."""
    events = [("ID123-1", "ID123-A1"), ("ID123-2-ERR", "ID123-A2"), ("ID123-3", "ID123-A3"), ("ID123-4", "ID123-A4")]
    processed: list = []
    with TopologyTestDriver(processing_topology(processed), initial_wall_clock_ms=0) as driver:
        topic = driver.create_input_topic("TOPIC_NAME", S, S, start_timestamp_ms=TIMESTAMP)
        with pytest.raises(ProcessingError) as info:
            topic.pipe_key_value_list(events)
    err = info.value
    assert (
        "Exception caught in process. taskId=0_0, processor=KSTREAM-PROCESSOR-0000000003, topic=TOPIC_NAME, "
        "partition=0, offset=1" in str(err)
    )
    assert (err.task_id, err.node, err.topic, err.partition, err.offset) == (
        TaskId(0, 0), "KSTREAM-PROCESSOR-0000000003", "TOPIC_NAME", 0, 1,
    )
    assert type(err.__cause__) is RuntimeError
    assert str(err.__cause__) == "Exception should be handled by processing exception handler"
    assert [(k, v, ts) for k, v, ts, _ in processed] == [("ID123-1", "ID123-A1", TIMESTAMP)]


def test_log_and_continue_processing_handler_skips_failed_records() -> None:
    """ProcessingExceptionHandlerIntegrationTest.shouldContinueWhenProcessingExceptionOccursIfExceptionHandlerReturns
    Continue: ERR records are dropped at the failing processor; the rest reach the end."""
    events = [
        ("ID123-1", "ID123-A1"),
        ("ID123-2-ERR", "ID123-A2"),
        ("ID123-3", "ID123-A3"),
        ("ID123-4", "ID123-A4"),
        ("ID123-5-ERR", "ID123-A5"),
        ("ID123-6", "ID123-A6"),
    ]
    processed: list = []
    after_error: list = []
    config = {"processing.exception.handler": "log_and_continue"}
    with TopologyTestDriver(processing_topology(processed, after_error), config, initial_wall_clock_ms=0) as driver:
        driver.create_input_topic("TOPIC_NAME", S, S, start_timestamp_ms=TIMESTAMP).pipe_key_value_list(events)
    assert [(k, v, ts) for k, v, ts, _ in processed] == [
        ("ID123-1", "ID123-A1", TIMESTAMP),
        ("ID123-3", "ID123-A3", TIMESTAMP),
        ("ID123-4", "ID123-A4", TIMESTAMP),
        ("ID123-6", "ID123-A6", TIMESTAMP),
    ]
    # shouldStopOnFailedProcessorWhenProcessingExceptionOccursInContinueProcessingExceptionHandler
    assert after_error == ["ID123-1", "ID123-3", "ID123-4", "ID123-6"]


def test_a_callable_processing_handler_gets_the_error_context() -> None:
    """ProcessingExceptionHandlerIntegrationTest.assertProcessingExceptionHandlerInputs: topic TOPIC_NAME, processor
    node id KSTREAM-PROCESSOR-0000000003, the record's timestamp, the exception; the answer "continue" skips."""
    calls: list = []

    def handler(ctx, exc) -> str:
        calls.append((ctx.topic, ctx.partition, ctx.offset, ctx.processor_node_id, ctx.task_id, ctx.timestamp,
                      str(exc)))
        return "continue"

    events = [("ID123-1", "ID123-A1"), ("ID123-2-ERR", "ID123-A2"), ("ID123-3", "ID123-A3")]
    processed: list = []
    with TopologyTestDriver(processing_topology(processed), {"processing.exception.handler": handler}) as driver:
        driver.create_input_topic("TOPIC_NAME", S, S, start_timestamp_ms=TIMESTAMP).pipe_key_value_list(events)
    assert calls == [
        ("TOPIC_NAME", 0, 1, "KSTREAM-PROCESSOR-0000000003", TaskId(0, 0), TIMESTAMP,
         "Exception should be handled by processing exception handler"),
    ]
    assert [k for k, *_ in processed] == ["ID123-1", "ID123-3"]


def test_error_in_init_names_the_processor() -> None:
    """ProcessorNode.init: "failed to initialize processor <name>" with the user's exception as the cause."""

    class BadInit(Processor):
        def init(self, context) -> None:
            raise KeyError("missing-config")

        def process(self, record: Record) -> None:
            pass

    topology = Topology().add_source("source", "in").add_processor("bad-init", BadInit, "source")
    with pytest.raises(ProcessingError) as info:
        TopologyTestDriver(topology)
    assert info.value.node == "bad-init"
    assert "bad-init" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)


# ---------------------------------------------------------------------------------------------- punctuation
class FailingPunctuator(Processor):
    def __init__(self, kind: PunctuationType, fail_times: int, fired: list) -> None:
        self.kind = kind
        self.fail_times = fail_times
        self.fired = fired

    def init(self, context) -> None:
        super().init(context)
        context.schedule(10, self.kind, self.punctuate)

    def punctuate(self, timestamp: int) -> None:
        self.fired.append(timestamp)
        if len(self.fired) <= self.fail_times:
            raise RuntimeError("KABOOM!")
        self.context.forward(Record("tick", timestamp, timestamp))

    def process(self, record: Record) -> None:
        pass


def punctuating_topology(kind: PunctuationType, fail_times: int, fired: list) -> Topology:
    return (
        Topology()
        .add_source("source", "in")
        .add_processor("punctuating-processor", lambda: FailingPunctuator(kind, fail_times, fired), "source")
        .add_sink("sink", "out", "punctuating-processor")
    )


def test_exception_in_stream_time_punctuation_names_the_node() -> None:
    """StreamTaskTest.shouldWrapKafkaExceptionsWithStreamsExceptionAndAddContextWhenPunctuatingStreamTime: the error
    names the punctuating processor and the task; there is no record position; the cause is the user's error."""
    fired: list = []
    with TopologyTestDriver(punctuating_topology(PunctuationType.STREAM_TIME, 1, fired)) as driver:
        with pytest.raises(ProcessingError) as info:
            driver.create_input_topic("in").pipe_input("k", "v", 0)
    err = info.value
    assert (err.node, err.task_id, err.topic, err.partition, err.offset) == (
        "punctuating-processor", TaskId(0, 0), None, None, None,
    )
    assert "punctuating-processor" in str(err)
    assert type(err.__cause__) is RuntimeError and str(err.__cause__) == "KABOOM!"
    assert fired == [0]


def test_exception_in_wall_clock_punctuation_names_the_node() -> None:
    """StreamTaskTest.shouldWrapKafkaExceptionsWithStreamsExceptionAndAddContextWhenPunctuatingWallClockTimeTime."""
    fired: list = []
    with TopologyTestDriver(punctuating_topology(PunctuationType.WALL_CLOCK_TIME, 1, fired)) as driver:
        with pytest.raises(ProcessingError) as info:
            driver.advance_wall_clock_time(10)
    assert info.value.node == "punctuating-processor"
    assert info.value.task_id == TaskId(0, 0)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert fired == [10]


def test_log_and_continue_also_covers_punctuation() -> None:
    """KIP-1033: the processing exception handler also sees punctuation failures; "continue" keeps the schedule."""
    fired: list = []
    config = {"processing.exception.handler": "log_and_continue"}
    with TopologyTestDriver(punctuating_topology(PunctuationType.STREAM_TIME, 1, fired), config) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("k", "v", 0)
        topic.pipe_input("k", "v", 10)
        topic.pipe_input("k", "v", 25)
        out = driver.create_output_topic("out").read_records_to_list()
    assert fired == [0, 10, 25]
    assert [(r.key, r.value, r.timestamp) for r in out] == [("tick", 10, 10), ("tick", 25, 25)]


# ---------------------------------------------------------------------------------------------- sinks
def test_exception_in_a_topic_name_extractor_names_the_sink() -> None:
    """SinkNode.process runs the user's TopicNameExtractor; its failure is a processing error of that sink."""

    def extractor(key, value, record_context) -> str:
        return {"a": "topic-a"}[key]

    topology = Topology().add_source("source", "in").add_sink("dynamic-sink", extractor, "source")
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("a", 1, 0)
        with pytest.raises(ProcessingError) as info:
            topic.pipe_input("b", 2, 1)
        assert driver.create_output_topic("topic-a").read_key_values_to_list() == [("a", 1)]
    assert (info.value.node, info.value.offset) == ("dynamic-sink", 1)
    assert isinstance(info.value.__cause__, KeyError)


def test_every_error_is_a_kstreams_error() -> None:
    """errors.py: DeserializationError and ProcessingError share the KStreamsError root."""
    assert issubclass(DeserializationError, KStreamsError)
    assert issubclass(ProcessingError, KStreamsError)
