"""StreamTask record handling under the TopologyTestDriver: timestamps, extractor failures, the record context
that store changelogs see, and the driver's store accessors."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb import Processor, Record, Serdes, Stores, Topology
from kstreams_nb.dsl import Materialized, StreamsBuilder
from kstreams_nb.errors import KStreamsError
from kstreams_nb.testing import TopologyTestDriver

S, L = Serdes.string(), Serdes.long()


class _SkipBad:
    """Like Kafka's LogAndSkipOnInvalidTimestamp: returns -1 to have the record dropped."""

    def extract(self, record: Any, partition_time: int) -> int:
        return -1 if record.value == "bad" else int(record.timestamp)


class _Boom:
    def extract(self, record: Any, partition_time: int) -> int:
        raise RuntimeError("extractor bug")


def _pipe_topology(extractor: Any) -> Topology:
    return (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S, timestamp_extractor=extractor)
        .add_sink("sink", "out", "src", key_serializer=S, value_serializer=S)
    )


def test_a_negative_extracted_timestamp_drops_the_record() -> None:
    """RecordQueue.updateHead: "drop message if TS is invalid, i.e., negative" -- a record whose extracted
    timestamp is negative is skipped with a warning ("Skipping record due to negative extracted timestamp") and
    counted in dropped-records; the deserialization exception handler is not involved. That is how Kafka's
    LogAndSkipOnInvalidTimestamp works (it returns -1). StreamTask._decoder sends it to the deserialization
    handler instead, whose default (log_and_fail) raises a DeserializationError and stops the application."""
    with TopologyTestDriver(_pipe_topology(_SkipBad())) as driver:
        topic = driver.create_input_topic("in", S, S)
        topic.pipe_input("k", "bad", 1)
        topic.pipe_input("k", "good", 2)
        assert driver.create_output_topic("out", S, S).read_values_to_list() == ["good"]


def test_a_failing_timestamp_extractor_is_fatal_whatever_the_deserialization_handler() -> None:
    """RecordQueue.updateHead: an exception thrown by the TimestampExtractor is rethrown as a StreamsException
    ("Fatal user code error in TimestampExtractor callback for record ..."); it is not a deserialization error
    and the deserialization handler never sees it. StreamTask._decoder routes it to the deserialization handler,
    so with log_and_continue a bug in the extractor silently drops every record."""
    props = {"deserialization.exception.handler": "log_and_continue"}
    with TopologyTestDriver(_pipe_topology(_Boom()), props) as driver:
        topic = driver.create_input_topic("in", S, S)
        with pytest.raises(KStreamsError, match="extractor bug"):
            topic.pipe_input("k", "v", 1)


class _Shift(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record.with_timestamp(record.timestamp + 1000))


class _Remember(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("s")

    def process(self, record: Record) -> None:
        self.store.put(record.key, 1)


def test_a_changelog_record_carries_the_timestamp_of_the_record_being_processed() -> None:
    """ProcessorContextImpl.forward(Record, childName) replaces the record context with one carrying the
    forwarded record's timestamp and headers for the children's processing, and the changelogging store logs
    with internalContext.recordContext().timestamp() (ChangeLoggingKeyValueBytesStore). So a store written
    downstream of record.withTimestamp(t) logs at t. ProcessorContextImpl.forward never updates ctx.timestamp,
    and StoreContextImpl.log_change stamps the changelog with the INPUT record's time."""
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), S, L)
    t = (
        Topology()
        .add_source("src", "in", key_deserializer=S, value_deserializer=S)
        .add_processor("shift", _Shift, "src")
        .add_processor("remember", _Remember, "shift")
        .add_state_store(store, "remember")
    )
    with TopologyTestDriver(t, {"application.id": "app"}) as driver:
        driver.create_input_topic("in", S, S).pipe_input("k", "v", 5)
        changelog = driver.create_output_topic("app-s-changelog", S, L)
        assert changelog.read_record().timestamp == 1005


def test_get_key_value_store_hides_the_timestamps_of_a_timestamped_store() -> None:
    """TopologyTestDriver.getKeyValueStore: for a TimestampedKeyValueStore (every DSL store) it returns a
    KeyValueStoreFacade whose get() gives the plain value ("Method #getTimestampedKeyValueStore() should be
    used to access a TimestampedKeyValueStore"), so Kafka's tests read counts with
    driver.getKeyValueStore("counts").get(key) == 2L. get_key_value_store returns the timestamped store
    itself and get() gives a ValueAndTimestamp."""
    sb = StreamsBuilder()
    sb.stream("in").group_by_key().count(materialized=Materialized.as_("counts"))
    with TopologyTestDriver(sb) as driver:
        topic = driver.create_input_topic("in")
        topic.pipe_input("a", "x", 5)
        topic.pipe_input("a", "y", 7)
        assert driver.get_key_value_store("counts").get("a") == 2
        assert driver.get_timestamped_key_value_store("counts").get("a").value == 2
