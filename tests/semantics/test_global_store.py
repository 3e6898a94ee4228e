"""Global stores: filled from their topic by their own processor, readable by every processor of the topology.

Reproduces, value for value:
- streams/test-utils/.../TopologyTestDriverTest.java: shouldPopulateGlobalStore (both the MockProcessor record
  check of the older version and the store check of the newer one), shouldApplyGlobalUpdatesCorrectlyInRecursive
  Topologies, shouldCaptureGlobalTopicNameIfWrittenInto (with a Processor-API global store instead of
  globalTable), shouldReturnAllStoresNames (the global part)
- streams/.../processor/internals/InternalTopologyBuilder.java: ``connectProcessorAndStateStores`` with a global
  store → "Global StateStore <name> can be used by a Processor without being specified; it should not be
  explicitly passed."; ``addGlobalStore`` needs logging disabled.
- streams/.../processor/internals/ProcessorContextImpl.java ``getStateStore``: a global store is returned to any
  processor before the connected-stores check.
"""

from __future__ import annotations

import re

import pytest

from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Headers, Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.testing import TestRecord, TopologyTestDriver
from kstreams_nb.topology import Topology

SOURCE_TOPIC_1 = "source-topic-1"
SOURCE_TOPIC_2 = "source-topic-2"
HEADERS = Headers([("key", b"value")])


def kv_builder(name: str, key_serde=None, value_serde=None, *, logging: bool = False):
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store(name), key_serde, value_serde)
    return builder.with_logging_enabled({}) if logging else builder.with_logging_disabled()


class StoreUpdater(Processor):
    """Puts every record into the global store ``store_name`` and remembers what it saw."""

    def __init__(self, store_name: str, seen: list | None = None) -> None:
        self.store_name = store_name
        self.seen = seen if seen is not None else []

    def init(self, context) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        md = self.context.record_metadata
        assert md is not None
        self.seen.append((record.key, record.value, record.headers, record.timestamp, md.offset, md.topic))
        if record.value is None:
            self.store.delete(record.key)
        else:
            self.store.put(record.key, record.value)


def test_should_populate_global_store() -> None:
    """TopologyTestDriverTest.shouldPopulateGlobalStore / setupGlobalStoreTopology(SOURCE_TOPIC_1): the global
    store exists before any record, and the record piped to its topic reaches the global processor (topic, offset
    0, timestamp 42, headers) and the store."""
    seen: list = []
    store_name = SOURCE_TOPIC_1 + "-globalStore"
    topology = Topology().add_global_store(
        kv_builder(store_name, Serdes.bytes(), Serdes.bytes()),
        SOURCE_TOPIC_1,
        SOURCE_TOPIC_1,
        SOURCE_TOPIC_1 + "-processor",
        lambda: StoreUpdater(store_name, seen),
        key_deserializer=Serdes.bytes(),
        value_deserializer=Serdes.bytes(),
    )
    with TopologyTestDriver(topology) as driver:
        store = driver.get_key_value_store(store_name)
        assert store is driver.get_all_state_stores()[store_name]
        assert store.get(b"") is None
        driver.create_input_topic(SOURCE_TOPIC_1, Serdes.bytes(), Serdes.bytes()).pipe_input(
            TestRecord(b"", b"", 42, HEADERS)
        )
        assert seen == [(b"", b"", HEADERS, 42, 0, SOURCE_TOPIC_1)]
        assert store.get(b"") == b""
        assert set(driver.get_all_state_stores()) == {store_name}


def test_should_apply_global_updates_correctly_in_recursive_topologies() -> None:
    """TopologyTestDriverTest.shouldApplyGlobalUpdatesCorrectlyInRecursiveTopologies: "alpha" is echoed to the
    input topic as "recurse-alpha"; both go to the global topic, in that order, so the store ends with
    "recurse-alpha"."""
    s = Serdes.string()

    class RecursiveProcessor(Processor):
        def process(self, record: Record) -> None:
            if not record.value.startswith("recurse-"):
                self.context.forward(record.with_value("recurse-" + record.value), "recursiveSink")
            self.context.forward(record, "sink")
            self.context.forward(record, "globuleSink")

    topology = (
        Topology()
        .add_source("source", "input", key_deserializer=s, value_deserializer=s)
        .add_global_store(
            kv_builder("globule-store", s, s),
            "globuleSource",
            "globule-topic",
            "globuleProcessor",
            lambda: StoreUpdater("globule-store"),
            key_deserializer=s,
            value_deserializer=s,
        )
        .add_processor("recursiveProcessor", RecursiveProcessor, "source")
        .add_sink("recursiveSink", "input", "recursiveProcessor", key_serializer=s, value_serializer=s)
        .add_sink("sink", "output", "recursiveProcessor", key_serializer=s, value_serializer=s)
        .add_sink("globuleSink", "globule-topic", "recursiveProcessor", key_serializer=s, value_serializer=s)
    )
    with TopologyTestDriver(topology, {"application.id": "dummy"}) as driver:
        driver.create_input_topic("input", s, s).pipe_input("A", "alpha")
        store = driver.get_key_value_store("globule-store")
        assert store.get("A") == "recurse-alpha"
        assert driver.create_output_topic("globule-topic", s, s).read_key_values_to_list() == [
            ("A", "alpha"),
            ("A", "recurse-alpha"),
        ]
        assert driver.create_output_topic("output", s, s).read_key_values_to_list() == [
            ("A", "alpha"),
            ("A", "recurse-alpha"),
        ]


def enrichment_topology(stream_punctuations: list[int] | None = None) -> Topology:
    """Orders (key = order id, value = {"user": id, "amount": n}) enriched with the user's region from a global
    store filled from "user-regions"; the enricher is NOT connected to the store (global stores need no
    connection)."""

    class Enricher(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.regions = context.get_state_store("regions")
            if stream_punctuations is not None:
                context.schedule(10, PunctuationType.STREAM_TIME, stream_punctuations.append)

        def process(self, record: Record) -> None:
            region = self.regions.get(record.value["user"])
            self.context.forward(record.with_value({**record.value, "region": region}))

    return (
        Topology()
        .add_global_store(
            kv_builder("regions"), "regions-source", "user-regions", "regions-updater", lambda: StoreUpdater("regions")
        )
        .add_source("orders-source", "orders")
        .add_processor("enrich", Enricher, "orders-source")
        .add_sink("sink", "enriched-orders", "enrich")
    )


def test_a_normal_processor_reads_the_global_store() -> None:
    """ProcessorContextImpl.getStateStore: a processor reads a global store it was never connected to; it sees every
    update applied so far (deletes included)."""
    with TopologyTestDriver(enrichment_topology()) as driver:
        regions = driver.create_input_topic("user-regions")
        orders = driver.create_input_topic("orders")
        out = driver.create_output_topic("enriched-orders")

        regions.pipe_input("u1", "eu", 1)
        regions.pipe_input("u2", "us", 2)
        orders.pipe_input("o1", {"user": "u1", "amount": 10}, 3)
        orders.pipe_input("o2", {"user": "u2", "amount": 20}, 4)
        orders.pipe_input("o3", {"user": "u3", "amount": 30}, 5)
        regions.pipe_input("u1", "apac", 6)
        regions.pipe_input("u2", None, 7)
        orders.pipe_input("o4", {"user": "u1", "amount": 40}, 8)
        orders.pipe_input("o5", {"user": "u2", "amount": 50}, 9)

        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("o1", {"user": "u1", "amount": 10, "region": "eu"}, 3),
            ("o2", {"user": "u2", "amount": 20, "region": "us"}, 4),
            ("o3", {"user": "u3", "amount": 30, "region": None}, 5),
            ("o4", {"user": "u1", "amount": 40, "region": "apac"}, 8),
            ("o5", {"user": "u2", "amount": 50, "region": None}, 9),
        ]
        store = driver.get_key_value_store("regions")
        assert list(store.all()) == [("u1", "apac")]


def test_global_records_do_not_drive_the_task_stream_time() -> None:
    """TopologyTestDriver.pipeRecord: global-topic records go to the global state task only; the stream task's
    stream time (and its STREAM_TIME punctuation) moves only with its own records."""
    punctuations: list[int] = []
    with TopologyTestDriver(enrichment_topology(punctuations)) as driver:
        driver.create_input_topic("user-regions").pipe_input("u1", "eu", 1_000)
        assert punctuations == []
        driver.create_input_topic("orders").pipe_input("o1", {"user": "u1", "amount": 1}, 5)
        assert punctuations == [5]


def test_should_capture_global_topic_name_if_written_into() -> None:
    """TopologyTestDriverTest.shouldCaptureGlobalTopicNameIfWrittenInto: the topology writes to the global topic;
    produced_topic_names is exactly that topic (a global store has no changelog) and the store sees the record."""
    topology = (
        Topology()
        .add_global_store(
            kv_builder("globalTable"), "g-source", SOURCE_TOPIC_1, "g-proc", lambda: StoreUpdater("globalTable")
        )
        .add_source("s2", SOURCE_TOPIC_2)
        .add_sink("to-global", SOURCE_TOPIC_1, "s2")
    )
    with TopologyTestDriver(topology) as driver:
        assert driver.produced_topic_names() == set()
        driver.create_input_topic(SOURCE_TOPIC_2).pipe_input("k", "v", 42)
        assert driver.produced_topic_names() == {SOURCE_TOPIC_1}
        assert driver.get_key_value_store("globalTable").get("k") == "v"


def test_connecting_a_processor_to_a_global_store_is_rejected() -> None:
    """InternalTopologyBuilder.connectProcessorAndStateStore: "Global StateStore <name> can be used by a Processor
    without being specified; it should not be explicitly passed."."""
    topology = enrichment_topology()
    message = "Global StateStore regions can be used by a Processor without being specified; it should not be " \
        "explicitly passed."
    with pytest.raises(TopologyError, match=f"^{re.escape(message)}"):
        topology.connect_processor_and_state_stores("enrich", "regions")


def test_a_global_store_must_not_have_logging_enabled() -> None:
    """InternalTopologyBuilder.addGlobalStore: a global store's topic is its changelog, so logging must be off."""
    with pytest.raises(TopologyError, match="gstore"):
        Topology().add_global_store(
            kv_builder("gstore", logging=True), "g-source", "g-topic", "g-proc", lambda: StoreUpdater("gstore")
        )


def test_global_store_name_cannot_be_reused() -> None:
    """InternalTopologyBuilder: "StateStore <name> is already added." for a second store of the same name."""
    topology = enrichment_topology()
    with pytest.raises(TopologyError, match="regions"):
        topology.add_state_store(kv_builder("regions"), "enrich")
