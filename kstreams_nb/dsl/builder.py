"""StreamsBuilder: the entry point of the Streams DSL."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from kstreams_nb.dsl._graph import (
    GlobalStoreGraphNode,
    InternalStreamsBuilder,
    SourceGraphNode,
    StateStoreGraphNode,
)
from kstreams_nb.dsl._signatures import expect
from kstreams_nb.dsl.global_table import GlobalKTable
from kstreams_nb.dsl.kstream import KStream
from kstreams_nb.dsl.ktable import KTable, table_source_node
from kstreams_nb.dsl.options import Consumed, Materialized
from kstreams_nb.dsl.table import KTableSourceSupplier, materialize_kv
from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.topology import Topology

__all__ = ["StreamsBuilder"]


class StreamsBuilder:
    """Build a topology with the DSL; ``build()`` compiles it to a Processor API Topology.

    Example::

        >>> b = StreamsBuilder()
        >>> b.stream("in").filter(lambda k, v: v is not None).to("out")
        >>> print(b.build().describe())  # doctest: +NORMALIZE_WHITESPACE
        Topologies:
           Sub-topology: 0
            Source: KSTREAM-SOURCE-0000000000 (topics: [in])
              --> KSTREAM-FILTER-0000000001
            Processor: KSTREAM-FILTER-0000000001 (stores: [])
              --> KSTREAM-SINK-0000000002
              <-- KSTREAM-SOURCE-0000000000
            Sink: KSTREAM-SINK-0000000002 (topic: out)
              <-- KSTREAM-FILTER-0000000001
    """

    def __init__(self) -> None:
        self._internal = InternalStreamsBuilder()
        self._built: Topology | None = None

    def stream(
        self,
        topics: str | Sequence[str] | None = None,
        consumed: Consumed | None = None,
        *,
        pattern: re.Pattern[str] | str | None = None,
    ) -> KStream:
        """A stream of the records of ``topics`` (or of every topic matching ``pattern``)."""
        expect("consumed", consumed, Consumed)
        c = consumed or Consumed()
        if isinstance(topics, re.Pattern):
            topics, pattern = None, topics
        topic_list = [topics] if isinstance(topics, str) else list(topics or [])
        if not topic_list and pattern is None:
            raise TopologyError("stream() needs at least one topic or a pattern")
        compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        name = self._internal.name_or_generate(c.name, "KSTREAM-SOURCE-")
        node = SourceGraphNode(name, topic_list or None, compiled, c)
        self._internal.add(node)
        return KStream(self._internal, node, c.key_serde, c.value_serde)

    def table(self, topic: str, consumed: Consumed | None = None, materialized: Materialized | None = None) -> KTable:
        """The topic read as a table (latest value per key); materialized only if named or needed downstream.

        As in Kafka, the serdes of ``consumed`` win over those of ``materialized`` when both are given.
        """
        c, m, store_name, source_name, table_name = self._table_source(topic, consumed, materialized)
        b = self._internal
        source = SourceGraphNode(source_name, [topic], None, replace(c, name=source_name))
        b.add(source)
        node = table_source_node(table_name, [source], store_name, m, c.key_serde, c.value_serde,
                                 queryable=m.store_name)
        b.add(node)
        return KTable(b, node, c.key_serde, c.value_serde, m.store_name)

    def global_table(
        self, topic: str, consumed: Consumed | None = None, materialized: Materialized | None = None
    ) -> GlobalKTable:
        """The whole topic (every partition) as a table on every instance, filled before processing starts.

        Kafka's ``globalTable``: the serdes of ``consumed`` win, the store is never logged (the topic is its
        changelog), and a named ``consumed`` names the source ``<name>-source`` and the processor ``<name>``.

        Example::

            >>> b = StreamsBuilder()
            >>> rates = b.global_table("rates", materialized=Materialized.as_("rates-store"))
            >>> rates.queryable_store_name()
            'rates-store'
        """
        c, m, store_name, source_name, processor_name = self._table_source(topic, consumed, materialized)
        b = self._internal
        store_builder = materialize_kv(store_name, m.with_logging_disabled(), c.key_serde, c.value_serde)
        b.add(
            GlobalStoreGraphNode(
                store_builder=store_builder,
                source_name=source_name,
                topic=topic,
                processor_name=processor_name,
                supplier=KTableSourceSupplier(store_name, store_name),  # always materialized, as in Kafka
                key_deserializer=c.key_serde,
                value_deserializer=c.value_serde,
                timestamp_extractor=c.timestamp_extractor,
            )
        )
        return GlobalKTable(b, store_name, m.store_name, c.key_serde, c.value_serde)

    def _table_source(
        self, topic: str, consumed: Consumed | Materialized | None, materialized: Materialized | None
    ) -> tuple[Consumed, Materialized, str, str, str]:
        """The options and names of a table read from ``topic`` (Kafka's ``table`` / ``globalTable``): the store
        name first, then the source and the KTABLE-SOURCE processor (``<name>-source`` and ``<name>`` when
        ``consumed`` is named). ``table(topic, Materialized)`` is Kafka's overload; the serdes of ``consumed`` win."""
        if isinstance(consumed, Materialized) and materialized is None:
            consumed, materialized = None, consumed
        expect("consumed", consumed, Consumed)
        expect("materialized", materialized, Materialized)
        assert not isinstance(consumed, Materialized)
        m = materialized or Materialized()
        if consumed is not None:
            m = replace(m, key_serde=consumed.key_serde, value_serde=consumed.value_serde)
        c = consumed or Consumed(m.key_serde, m.value_serde)
        b = self._internal
        store_name = m.store_name or b.new_store_name(f"{topic}-")
        source_name = b.new_processor_name("KSTREAM-SOURCE-")
        if c.name is not None:
            source_name = f"{c.name}-source"
        return c, m, store_name, source_name, b.name_or_generate(c.name, "KTABLE-SOURCE-")

    def add_state_store(self, store_builder: Any) -> StreamsBuilder:
        """Add a store that ``process(..., store_name)`` operators can use."""
        if not getattr(store_builder, "name", None):
            raise TopologyError(f"add_state_store: {store_builder!r} is not a store builder (it has no name)")
        self._internal.add(StateStoreGraphNode(store_builder))
        return self

    def add_global_store(
        self,
        store_builder: Any,
        topic: str,
        consumed: Consumed | None,
        supplier: Callable[[], Processor],
    ) -> StreamsBuilder:
        """A global store filled from every partition of ``topic`` by ``supplier``'s processor.

        As in Kafka (InternalStreamsBuilder.addGlobalStore), the store's changelog is turned off (the topic is its
        changelog; ``store_builder`` itself is not changed), and a named ``consumed`` names the source
        ``<name>-source`` and the processor ``<name>``.
        """
        c = consumed or Consumed()
        b = self._internal
        source_name = b.new_processor_name("KSTREAM-SOURCE-")
        if c.name is not None:
            source_name = f"{c.name}-source"
        processor_name = b.name_or_generate(c.name, "KTABLE-SOURCE-")
        disable_logging = getattr(store_builder, "with_logging_disabled", None)
        if callable(disable_logging):
            store_builder = disable_logging()
        self._internal.add(
            GlobalStoreGraphNode(
                store_builder=store_builder,
                source_name=source_name,
                topic=topic,
                processor_name=processor_name,
                supplier=supplier,
                key_deserializer=c.key_serde,
                value_deserializer=c.value_serde,
                timestamp_extractor=c.timestamp_extractor,
            )
        )
        return self

    def build(self, props: Mapping[str, Any] | None = None) -> Topology:
        """Compile the DSL program into a Topology (a new one per call)."""
        if props and props.get("topology.optimization", "none") not in ("none", None):
            raise TopologyError("topology.optimization other than 'none' is not supported yet")
        topology = Topology()
        self._internal.write_to(topology.internal_builder)
        return topology
