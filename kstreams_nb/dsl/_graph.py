"""The DSL's graph: nodes recorded as DSL calls are made, written into a Topology at ``build()``.

Like Kafka's InternalStreamsBuilder, names come from one counter shared by processors and stores, and nodes
are written in creation order (parents are always created before children), so sub-topology ids, forwarding
order and ``describe()`` match Kafka's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.processor import Processor
from kstreams_nb.topology._builder import InternalTopologyBuilder

__all__ = [
    "GraphNode",
    "InternalStreamsBuilder",
    "ProcessorGraphNode",
    "RepartitionGraphNode",
    "SinkGraphNode",
    "SourceGraphNode",
    "StateStoreGraphNode",
    "GlobalStoreGraphNode",
    "TableSourceGraphNode",
]

_GENERATED = re.compile(r"KSTREAM.*-[0-9]{10}")


class GraphNode:
    """A node of the DSL graph; ``name`` is the processor children attach to."""

    def __init__(self, name: str, parents: Sequence[GraphNode] = ()) -> None:
        self.name = name
        self.parents: list[GraphNode] = list(parents)
        self.key_changing = False

    @property
    def parent_names(self) -> list[str]:
        """The processor names of the parents."""
        return [p.name for p in self.parents]

    def write(self, tb: InternalTopologyBuilder) -> None:
        """Add this node's processors, sinks, sources and stores to ``tb``."""
        raise NotImplementedError


class SourceGraphNode(GraphNode):
    """A source reading topics or a pattern."""

    def __init__(
        self, name: str, topics: Sequence[str] | None, pattern: re.Pattern[str] | None, consumed: Any
    ) -> None:
        super().__init__(name)
        self.topics = list(topics) if topics else None
        self.pattern = pattern
        self.consumed = consumed

    def write(self, tb: InternalTopologyBuilder) -> None:
        c = self.consumed
        tb.add_source(
            self.name,
            self.topics,
            self.pattern,
            key_deserializer=c.key_serde,
            value_deserializer=c.value_serde,
            timestamp_extractor=c.timestamp_extractor,
            offset_reset=c.offset_reset,
        )


class ProcessorGraphNode(GraphNode):
    """A processor, with the stores it creates (builders) and the existing stores it uses (names)."""

    def __init__(
        self,
        name: str,
        parents: Sequence[GraphNode],
        supplier: Callable[[], Processor],
        *,
        store_builders: Sequence[Any] = (),
        store_names: Sequence[str] = (),
        fixed_key: bool = False,
    ) -> None:
        super().__init__(name, parents)
        self.supplier = supplier
        self.store_builders: list[Any] = list(store_builders)
        self.store_names = list(store_names)
        self.fixed_key = fixed_key

    def write(self, tb: InternalTopologyBuilder) -> None:
        tb.add_processor(self.name, self.supplier, self.parent_names, fixed_key=self.fixed_key)
        for builder in self.store_builders:
            if builder is not None:
                tb.add_state_store(builder, [self.name])
        for store in self.store_names:
            tb.connect_processor_and_store(self.name, store)


class SinkGraphNode(GraphNode):
    """A sink to a topic or a TopicNameExtractor."""

    def __init__(self, name: str, parents: Sequence[GraphNode], topic: Any, produced: Any) -> None:
        super().__init__(name, parents)
        self.topic = topic
        self.produced = produced

    def write(self, tb: InternalTopologyBuilder) -> None:
        p = self.produced
        tb.add_sink(
            self.name,
            self.topic,
            self.parent_names,
            key_serializer=p.key_serde,
            value_serializer=p.value_serde,
            partitioner=p.partitioner,
            cluster=p.cluster,
        )


class RepartitionGraphNode(GraphNode):
    """A repartition through an internal topic: null-key filter → sink → topic → source (children attach here)."""

    def __init__(
        self,
        parents: Sequence[GraphNode],
        *,
        topic: str,
        filter_name: str,
        sink_name: str,
        source_name: str,
        key_serde: Any,
        value_serde: Any,
        partitioner: Any = None,
        partitions: int | None = None,
    ) -> None:
        super().__init__(source_name, parents)
        self.topic = topic
        self.filter_name = filter_name
        self.sink_name = sink_name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner
        self.partitions = partitions

    def write(self, tb: InternalTopologyBuilder) -> None:
        from kstreams_nb.dsl.stateless import NotNullKeyFilter

        tb.add_internal_topic(self.topic, self.partitions)
        tb.add_processor(self.filter_name, NotNullKeyFilter, self.parent_names)
        tb.add_sink(
            self.sink_name,
            self.topic,
            [self.filter_name],
            key_serializer=self.key_serde,
            value_serializer=self.value_serde,
            partitioner=self.partitioner,
        )
        tb.add_source(self.name, [self.topic], key_deserializer=self.key_serde, value_deserializer=self.value_serde)


class TableSourceGraphNode(GraphNode):
    """``builder.table()``: a source plus a KTABLE-SOURCE processor, with its store when materialized."""

    def __init__(
        self, source_name: str, table_name: str, topic: str, consumed: Any, supplier: Any, store_builder: Any
    ) -> None:
        super().__init__(table_name)
        self.source_name = source_name
        self.topic = topic
        self.consumed = consumed
        self.supplier = supplier
        self.store_builder = store_builder

    def write(self, tb: InternalTopologyBuilder) -> None:
        c = self.consumed
        tb.add_source(
            self.source_name,
            [self.topic],
            key_deserializer=c.key_serde,
            value_deserializer=c.value_serde,
            timestamp_extractor=c.timestamp_extractor,
            offset_reset=c.offset_reset,
        )
        tb.add_processor(self.name, self.supplier, [self.source_name])
        if getattr(self.supplier, "materialized", False):
            tb.add_state_store(self.store_builder, [self.name])


class StateStoreGraphNode(GraphNode):
    """``builder.add_state_store(store_builder)``: a store processors connect to by name."""

    def __init__(self, store_builder: Any) -> None:
        super().__init__(store_builder.name)
        self.store_builder = store_builder

    def write(self, tb: InternalTopologyBuilder) -> None:
        tb.add_state_store(self.store_builder, [])


class GlobalStoreGraphNode(GraphNode):
    """``builder.add_global_store(...)``: a global store with its source and update processor."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kwargs["processor_name"])
        self.kwargs = kwargs

    def write(self, tb: InternalTopologyBuilder) -> None:
        tb.add_global_store(**self.kwargs)


class InternalStreamsBuilder:
    """Names nodes (one counter for processors and stores) and records graph nodes in creation order."""

    def __init__(self) -> None:
        self._index = 0
        self.nodes: list[GraphNode] = []

    def new_processor_name(self, prefix: str) -> str:
        """``PREFIX + %010d`` from the shared counter."""
        name = f"{prefix}{self._index:010d}"
        self._index += 1
        return name

    def new_store_name(self, prefix: str) -> str:
        """``PREFIX + "STATE-STORE-" + %010d`` from the shared counter."""
        name = f"{prefix}STATE-STORE-{self._index:010d}"
        self._index += 1
        return name

    def name_or_generate(self, name: str | None, prefix: str) -> str:
        """The user's name (a number is still burnt, as in Kafka) or a generated one."""
        generated = self.new_processor_name(prefix)
        return name if name is not None else generated

    def add(self, node: GraphNode) -> GraphNode:
        """Record ``node`` (its parents must already be recorded)."""
        self.nodes.append(node)
        return node

    def repartition_names(self, prefix: str) -> tuple[str, str, str, str]:
        """(topic, sink, filter, source) names of a repartition; burns three numbers as Kafka does."""
        topic = prefix if prefix.endswith("-repartition") else f"{prefix}-repartition"
        gen_sink = self.new_processor_name("KSTREAM-SINK-")
        gen_filter = self.new_processor_name("KSTREAM-FILTER-")
        gen_source = self.new_processor_name("KSTREAM-SOURCE-")
        if _GENERATED.fullmatch(prefix):
            return topic, gen_sink, gen_filter, gen_source
        return topic, f"{topic}-sink", f"{topic}-filter", f"{topic}-source"

    def write_to(self, tb: InternalTopologyBuilder) -> None:
        """Write every node into ``tb`` in creation order."""
        for node in self.nodes:
            node.write(tb)
