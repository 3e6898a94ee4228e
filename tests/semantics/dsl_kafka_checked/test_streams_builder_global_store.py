"""``StreamsBuilder.add_global_store`` as Kafka's InternalStreamsBuilder.addGlobalStore
(streams/src/main/java/org/apache/kafka/streams/kstream/internals/InternalStreamsBuilder.java):

- ``storeFactory.withLoggingDisabled()``: "explicitly disable logging for global stores", so a store builder
  with its changelog on (the default) is accepted; kstreams_nb refused to build the topology;
- names: ``named.suffixWithOrElseGet("-source", ...)`` for the source and ``named.orElseGenerateWithPrefix(...,
  "KTABLE-SOURCE-")`` for the processor, so ``Consumed.as_("g")`` gives ``g-source`` and ``g``; kstreams_nb named
  the source ``g`` and generated the processor name.

The expected texts are what Kafka Streams 4.4.0 prints for the same programs.
"""

from __future__ import annotations

from typing import Any

from kstreams_nb.dsl import Consumed, StreamsBuilder
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import Stores
from kstreams_nb.testing import TopologyTestDriver

S = Serdes.string()


class Loader(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("gs")

    def process(self, record: Record) -> None:
        self.store.put(record.key, record.value)


def program(consumed: Consumed) -> StreamsBuilder:
    builder = StreamsBuilder()
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("gs"), S, S)  # logging on (default)
    builder.add_global_store(store, "gt", consumed, Loader)
    builder.stream("in").to("out")
    return builder


GENERATED = """Topologies:
   Sub-topology: 0 for global store (will not generate tasks)
    Source: KSTREAM-SOURCE-0000000000 (topics: [gt])
      --> KTABLE-SOURCE-0000000001
    Processor: KTABLE-SOURCE-0000000001 (stores: [gs])
      --> none
      <-- KSTREAM-SOURCE-0000000000
  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000002 (topics: [in])
      --> KSTREAM-SINK-0000000003
    Sink: KSTREAM-SINK-0000000003 (topic: out)
      <-- KSTREAM-SOURCE-0000000002

"""

NAMED = """Topologies:
   Sub-topology: 0 for global store (will not generate tasks)
    Source: g-source (topics: [gt])
      --> g
    Processor: g (stores: [gs])
      --> none
      <-- g-source
  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000002 (topics: [in])
      --> KSTREAM-SINK-0000000003
    Sink: KSTREAM-SINK-0000000003 (topic: out)
      <-- KSTREAM-SOURCE-0000000002

"""


def test_a_logged_store_builder_is_accepted_and_named_as_kafka_names_it() -> None:
    assert str(program(Consumed.with_(S, S)).build().describe()) == GENERATED


def test_a_named_consumed_names_the_source_and_the_processor() -> None:
    assert str(program(Consumed.as_("g").with_key_serde(S).with_value_serde(S)).build().describe()) == NAMED


def test_the_global_store_is_filled_and_the_users_builder_is_not_changed() -> None:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("gs"), S, S)
    builder = StreamsBuilder()
    builder.add_global_store(store, "gt", Consumed.with_(S, S), Loader)
    builder.stream("in", Consumed.with_(S, S)).to("out")
    assert store.logging_enabled
    with TopologyTestDriver(builder.build()) as driver:
        driver.create_input_topic("gt", S, S).pipe_input("k", "v")
        assert driver.get_key_value_store("gs").get("k") == "v"
