"""A processor with a key-value store under the TopologyTestDriver: reads, writes, punctuation over the store,
the driver's view of the store, connection errors and changelog topics.

Reproduces, value for value:
- streams/test-utils/.../TopologyTestDriverTest.java (CustomMaxAggregator, store "aggStore", String/Long):
  shouldFlushStoreForFirstInput, shouldNotUpdateStoreForSmallerValue, shouldNotUpdateStoreForLargerValue,
  shouldUpdateStoreForNewKey, shouldPunctuateIfEvenTimeAdvances, shouldPunctuateIfWallClockTimeAdvances,
  shouldReturnAllStoresNames, shouldCaptureSinkTopicNamesIfWrittenInto, shouldCaptureInternalTopicNamesIfWrittenInto
  (the ``<application.id>-<store>-changelog`` part)
- streams/examples/.../WordCountProcessorTest.java (WordCountProcessorDemo's processor, store "Counts"): the line
  "alpha beta\\tgamma\\n\\talpha", then the punctuation forwards ("alpha", "2"), ("beta", "1"), ("gamma", "1")
- streams/.../processor/internals/ProcessorContextImpl.java ``getStateStore``: "Processor <name> has no access to
  StateStore <store> as the store is not connected to the processor. ..."
- streams/.../processor/internals/ProcessorStateManager.java ``storeChangelogTopic``: ``<application.id>-<store>-
  changelog``; a store with logging disabled has none.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kstreams_nb.errors import KStreamsError, UnknownStateStoreError
from kstreams_nb.processor import Processor, PunctuationType
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

APP_ID = "test-TopologyTestDriver"
S, L = Serdes.string(), Serdes.long()


# ---------------------------------------------------------------------------------------------- CustomMaxAggregator
class CustomMaxAggregator(Processor):
    """TopologyTestDriverTest.CustomMaxAggregator: keeps the max per key; every 60 s of wall-clock time and every
    10 s of stream time it forwards every entry of the store."""

    def init(self, context) -> None:
        super().init(context)
        context.schedule(timedelta(minutes=1), PunctuationType.WALL_CLOCK_TIME, self.flush_store)
        context.schedule(timedelta(seconds=10), PunctuationType.STREAM_TIME, self.flush_store)
        self.store = context.get_state_store("aggStore")

    def process(self, record: Record) -> None:
        old = self.store.get(record.key)
        if old is None or record.value > old:
            self.store.put(record.key, record.value)

    def flush_store(self, timestamp: int) -> None:
        with self.store.all() as it:
            for key, value in it:
                self.context.forward(Record(key, value, timestamp))


@pytest.fixture
def agg():
    """TopologyTestDriverTest.setup(): default serdes String/Long, the store pre-populated with a=21."""
    topology = (
        Topology()
        .add_source("sourceProcessor", "input-topic")
        .add_processor("aggregator", CustomMaxAggregator, "sourceProcessor")
        .add_state_store(
            Stores.key_value_store_builder(Stores.in_memory_key_value_store("aggStore"), S, L), "aggregator"
        )
        .add_sink("sinkProcessor", "result-topic", "aggregator")
    )
    config = {"application.id": APP_ID, "default.key.serde": S, "default.value.serde": L}
    with TopologyTestDriver(topology, config) as driver:
        store = driver.get_key_value_store("aggStore")
        store.put("a", 21)
        yield driver, store, driver.create_input_topic("input-topic"), driver.create_output_topic("result-topic")


def test_should_flush_store_for_first_input(agg) -> None:
    """TopologyTestDriverTest.shouldFlushStoreForFirstInput."""
    _, _, inp, out = agg
    inp.pipe_input("a", 1, 9999)
    assert out.read_key_value() == ("a", 21)
    assert out.is_empty()


def test_should_not_update_store_for_smaller_value(agg) -> None:
    """TopologyTestDriverTest.shouldNotUpdateStoreForSmallerValue."""
    _, store, inp, out = agg
    inp.pipe_input("a", 1, 9999)
    assert store.get("a") == 21
    assert out.read_key_value() == ("a", 21)
    assert out.is_empty()


def test_should_not_update_store_for_larger_value(agg) -> None:
    """TopologyTestDriverTest.shouldNotUpdateStoreForLargerValue (despite its name, 42 > 21 is stored)."""
    _, store, inp, out = agg
    inp.pipe_input("a", 42, 9999)
    assert store.get("a") == 42
    assert out.read_key_value() == ("a", 42)
    assert out.is_empty()


def test_should_update_store_for_new_key(agg) -> None:
    """TopologyTestDriverTest.shouldUpdateStoreForNewKey."""
    _, store, inp, out = agg
    inp.pipe_input("b", 21, 9999)
    assert store.get("b") == 21
    assert out.read_key_value() == ("a", 21)
    assert out.read_key_value() == ("b", 21)
    assert out.is_empty()


def test_should_punctuate_if_even_time_advances(agg) -> None:
    """TopologyTestDriverTest.shouldPunctuateIfEvenTimeAdvances: 9999 punctuates (first slot 0), 9999 again does
    not, 10000 does; the output carries the punctuation time."""
    _, _, inp, out = agg
    inp.pipe_input("a", 1, 9999)
    assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [("a", 21, 9999)]
    inp.pipe_input("a", 1, 9999)
    assert out.is_empty()
    inp.pipe_input("a", 1, 10000)
    assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [("a", 21, 10000)]


def test_should_punctuate_if_wall_clock_time_advances(agg) -> None:
    """TopologyTestDriverTest.shouldPunctuateIfWallClockTimeAdvances."""
    driver, _, _, out = agg
    driver.advance_wall_clock_time(timedelta(milliseconds=60000))
    assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [("a", 21, 60000)]
    assert out.is_empty()


def test_store_contents_through_the_driver(agg) -> None:
    """TopologyTestDriver.getKeyValueStore: the same store the processor writes; get/all/range/delete work on the
    typed keys and values, in serialized-key order."""
    driver, store, inp, _ = agg
    for key, value, ts in [("c", 5, 1), ("b", 7, 2), ("c", 3, 3), ("aa", 1, 4), ("b", 9, 5)]:
        inp.pipe_input(key, value, ts)
    assert list(store.all()) == [("a", 21), ("aa", 1), ("b", 9), ("c", 5)]
    assert list(store.range("aa", "b")) == [("aa", 1), ("b", 9)]
    assert store.approximate_num_entries() == 4
    assert store.delete("aa") == 1
    assert store.put_if_absent("a", 0) == 21
    assert store.put_if_absent("d", 0) is None
    assert list(store.all()) == [("a", 21), ("b", 9), ("c", 5), ("d", 0)]
    assert driver.get_state_store("aggStore") is store


# ---------------------------------------------------------------------------------------------- WordCount
class WordCountProcessor(Processor):
    """WordCountProcessorDemo.WordCountProcessor: counts lower-cased words split on \\W+ into "Counts"; every second
    of stream time forwards every (word, str(count)) stamped with the punctuation time."""

    def init(self, context) -> None:
        super().init(context)
        context.schedule(timedelta(seconds=1), PunctuationType.STREAM_TIME, self.punctuate)
        self.kv_store = context.get_state_store("Counts")

    def punctuate(self, timestamp: int) -> None:
        with self.kv_store.all() as it:
            for key, value in it:
                self.context.forward(Record(key, str(value), timestamp))

    def process(self, record: Record) -> None:
        for word in java_split_non_word(record.value.lower()):
            old = self.kv_store.get(word)
            self.kv_store.put(word, 1 if old is None else old + 1)


def java_split_non_word(line: str) -> list[str]:
    """Java's ``line.split("\\\\W+")``: a leading empty token is kept, trailing empty tokens are dropped."""
    parts = re.split(r"\W+", line, flags=re.ASCII)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def word_count_topology(logging: bool = True) -> Topology:
    """WordCountProcessorDemo's topology: Source → Process (store "Counts", String/Integer) → Sink."""
    counts = Stores.key_value_store_builder(Stores.in_memory_key_value_store("Counts"), S, Serdes.integer())
    return (
        Topology()
        .add_source("Source", "streams-plaintext-input")
        .add_processor("Process", WordCountProcessor, "Source")
        .add_state_store(counts if logging else counts.with_logging_disabled(), "Process")
        .add_sink("Sink", "streams-wordcount-processor-output", "Process")
    )


WORDCOUNT_CONFIG = {"application.id": "streams-wordcount-processor", "default.key.serde": S, "default.value.serde": S}


def test_word_count_processor() -> None:
    """WordCountProcessorTest.test: process "alpha beta\\tgamma\\n\\talpha" (nothing forwarded by process), then the
    punctuation at 0 forwards ("alpha", "2"), ("beta", "1"), ("gamma", "1") with timestamp 0."""
    with TopologyTestDriver(word_count_topology(), WORDCOUNT_CONFIG) as driver:
        out = driver.create_output_topic("streams-wordcount-processor-output")
        driver.create_input_topic("streams-plaintext-input").pipe_input("key", "alpha beta\tgamma\n\talpha", 0)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("alpha", "2", 0),
            ("beta", "1", 0),
            ("gamma", "1", 0),
        ]
        counts = driver.get_key_value_store("Counts")
        assert list(counts.all()) == [("alpha", 2), ("beta", 1), ("gamma", 1)]


def test_word_count_processor_punctuates_once_per_second_of_stream_time() -> None:
    """WordCountProcessorDemo under the driver: a line within the same second adds counts without output; the next
    slot (1000) emits every word in key (byte) order, stamped with the stream time that fired it."""
    with TopologyTestDriver(word_count_topology(), WORDCOUNT_CONFIG) as driver:
        inp = driver.create_input_topic("streams-plaintext-input")
        out = driver.create_output_topic("streams-wordcount-processor-output")
        inp.pipe_input("key", "alpha beta gamma", 0)
        assert out.read_key_values_to_list() == [("alpha", "1"), ("beta", "1"), ("gamma", "1")]
        inp.pipe_input("key", "Gamma delta", 400)
        assert out.is_empty()
        inp.pipe_input("key", "ALPHA", 1500)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("alpha", "2", 1500),
            ("beta", "1", 1500),
            ("delta", "1", 1500),
            ("gamma", "2", 1500),
        ]
        inp.pipe_input("key", "beta", 1999)
        assert out.is_empty()
        assert driver.get_key_value_store("Counts").get("beta") == 2


# ---------------------------------------------------------------------------------------------- not connected
class UsesCounts(Processor):
    def init(self, context) -> None:
        super().init(context)
        self.store = context.get_state_store("Counts")

    def process(self, record: Record) -> None:
        self.store.put(record.key, 1)


def _causes(err: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cur: BaseException | None = err
    while cur is not None:
        chain.append(cur)
        cur = cur.__cause__
    return chain


NOT_CONNECTED = (
    "Processor {processor} has no access to StateStore {store} as the store is not connected to the processor."
)


def _counts_builder():
    return Stores.key_value_store_builder(Stores.in_memory_key_value_store("Counts"), S, L)


@pytest.mark.parametrize(
    "build",
    [
        # the store is in the topology but connected to no processor
        lambda t: t.add_state_store(_counts_builder()),
        # the store is connected to another processor (same task)
        lambda t: t.add_processor("Owner", UsesCounts, "Source").add_state_store(_counts_builder(), "Owner"),
    ],
    ids=["connected-to-nobody", "connected-to-another-processor"],
)
def test_store_not_connected_gives_a_clear_error(build) -> None:
    """ProcessorContextImpl.getStateStore: a processor asking for a store it is not connected to fails with a
    message naming the processor and the store (raised from init, so the driver cannot start)."""
    topology = Topology().add_source("Source", "in").add_processor("Process", UsesCounts, "Source")
    build(topology)
    with pytest.raises(KStreamsError) as info:
        TopologyTestDriver(topology)
    chain = _causes(info.value)
    unknown = [e for e in chain if isinstance(e, UnknownStateStoreError)]
    assert unknown, f"no UnknownStateStoreError in {chain!r}"
    assert str(unknown[0]).startswith(NOT_CONNECTED.format(processor="Process", store="Counts"))
    assert "connect_processor_and_state_stores" in str(unknown[0])


def test_connect_processor_and_state_stores_fixes_it() -> None:
    """Topology.connectProcessorAndStateStores: after connecting, the processor gets the store."""
    topology = (
        Topology()
        .add_source("Source", "in")
        .add_processor("Process", UsesCounts, "Source")
        .add_state_store(_counts_builder())
        .connect_processor_and_state_stores("Process", "Counts")
    )
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("in").pipe_input("k", "v", 0)
        assert driver.get_key_value_store("Counts").get("k") == 1


def test_unknown_store_name_is_rejected_when_connecting() -> None:
    """InternalTopologyBuilder.connectProcessorAndStateStores: "StateStore <name> is not added yet."."""
    from kstreams_nb.errors import TopologyError

    topology = Topology().add_source("Source", "in").add_processor("Process", UsesCounts, "Source")
    with pytest.raises(TopologyError, match="StateStore Counts is not added yet"):
        topology.connect_processor_and_state_stores("Process", "Counts")


# ---------------------------------------------------------------------------------------------- changelogs
def test_changelog_topic_is_produced_when_logging_is_enabled() -> None:
    """TopologyTestDriverTest.shouldCaptureInternalTopicNamesIfWrittenInto / ProcessorStateManager.storeChangelog
    Topic: every store write goes to ``<application.id>-<store>-changelog``; the changelog holds the serialized
    key and value of each write, stamped with the record's timestamp."""
    with TopologyTestDriver(word_count_topology(logging=True), WORDCOUNT_CONFIG) as driver:
        assert driver.produced_topic_names() == set()
        driver.create_input_topic("streams-plaintext-input").pipe_input("key", "b a b", 7)
        changelog = "streams-wordcount-processor-Counts-changelog"
        assert driver.produced_topic_names() == {changelog, "streams-wordcount-processor-output"}
        records = driver.create_output_topic(changelog, S, Serdes.integer()).read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in records] == [("b", 1, 7), ("a", 1, 7), ("b", 2, 7)]


def test_no_changelog_topic_when_logging_is_disabled() -> None:
    """Stores.keyValueStoreBuilder(...).withLoggingDisabled(): no changelog topic is ever written."""
    with TopologyTestDriver(word_count_topology(logging=False), WORDCOUNT_CONFIG) as driver:
        driver.create_input_topic("streams-plaintext-input").pipe_input("key", "b a b", 7)
        assert driver.produced_topic_names() == {"streams-wordcount-processor-output"}
        assert driver.create_output_topic("streams-wordcount-processor-Counts-changelog").is_empty()


def test_changelog_topic_uses_the_default_application_id() -> None:
    """The driver's default application.id names the changelog when none is configured."""
    topology = (
        Topology()
        .add_source("Source", "in")
        .add_processor("Process", UsesCounts, "Source")
        .add_state_store(_counts_builder(), "Process")
    )
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("in").pipe_input("k", "v", 0)
        assert driver.produced_topic_names() == {f"{driver.application_id}-Counts-changelog"}


class NoOp(Processor):
    def process(self, record: Record) -> None:
        pass


def test_should_return_all_stores() -> None:
    """TopologyTestDriverTest.shouldReturnAllStores: a store connected to a processor and a global store are both
    returned (and are stores); a store that was never added is an error."""
    topology = (
        Topology()
        .add_source("source", "source-topic-1")
        .add_sink("sink", "sink-topic-1", "source")
        .add_processor("processor", NoOp, "source")
        .add_state_store(
            Stores.key_value_store_builder(Stores.in_memory_key_value_store("store"), None, None), "processor"
        )
        .add_global_store(
            Stores.key_value_store_builder(
                Stores.in_memory_key_value_store("globalStore"), None, None
            ).with_logging_disabled(),
            "sourceProcessorName",
            "globalTopicName",
            "globalProcessorName",
            NoOp,
        )
    )
    with TopologyTestDriver(topology) as driver:
        stores = driver.get_all_state_stores()
        assert set(stores) == {"store", "globalStore"}
        assert [stores[n].name for n in ("store", "globalStore")] == ["store", "globalStore"]
        assert driver.get_key_value_store("store") is stores["store"]
        with pytest.raises(UnknownStateStoreError):
            driver.get_state_store("nope")
