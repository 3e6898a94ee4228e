"""Topology: the tree of source, processor and sink nodes with their state stores.

Build one with the Processor API (here) or the Streams DSL (which compiles to the same thing). A topology is
pure data: building it never starts threads or opens clients.

Example::

    >>> t = Topology()
    >>> t = t.add_source("Source", "input").add_sink("Sink", "output", "Source")
    >>> print(t.describe())
    Topologies:
       Sub-topology: 0
        Source: Source (topics: [input])
          --> Sink
        Sink: Sink (topic: output)
          <-- Source
    <BLANKLINE>
    <BLANKLINE>
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.topology._builder import InternalTopologyBuilder

if TYPE_CHECKING:
    from kstreams_nb.topology.description import TopologyDescription

__all__ = ["Topology"]


class Topology:
    """A processor topology (Kafka's ``Topology``); every ``add_*`` returns the topology for chaining."""

    def __init__(self) -> None:
        self._builder = InternalTopologyBuilder()

    @property
    def internal_builder(self) -> InternalTopologyBuilder:
        """The node specs behind this facade (for the engine and the DSL)."""
        return self._builder

    def add_source(
        self,
        name: str,
        *topics: str,
        pattern: re.Pattern[str] | str | None = None,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
        timestamp_extractor: Any = None,
        offset_reset: str | None = None,
    ) -> Topology:
        """Add a source node reading ``topics`` or every topic matching ``pattern``.

        Example: ``topology.add_source("Source", "input-topic")``.
        """
        self._builder.add_source(
            name,
            list(topics) or None,
            pattern,
            key_deserializer=key_deserializer,
            value_deserializer=value_deserializer,
            timestamp_extractor=timestamp_extractor,
            offset_reset=offset_reset,
        )
        return self

    def add_processor(self, name: str, supplier: Callable[[], Processor], *parent_names: str) -> Topology:
        """Add a processor; ``supplier`` returns a NEW processor per call (a Processor subclass qualifies).

        Example: ``topology.add_processor("Process", WordCounter, "Source")``.
        """
        self._builder.add_processor(name, supplier, parent_names)
        return self

    def add_sink(
        self,
        name: str,
        topic_or_extractor: str | Callable[..., str],
        *parent_names: str,
        key_serializer: Any = None,
        value_serializer: Any = None,
        partitioner: Any = None,
        cluster: str | None = None,
    ) -> Topology:
        """Add a sink writing to a topic or to ``extractor(key, value, record_context)``'s topic.

        ``cluster`` names another cluster to write to, configured as ``cluster.<name>.bootstrap.servers`` (plus
        any client keys under ``cluster.<name>.``, SASL/SSL included); a topology reading one cluster may so write
        to another, which Kafka Streams cannot. Such a sink is **at-least-once**, also under ``exactly_once_v2``:
        no transaction spans two clusters, so its records go through a plain producer that is flushed before
        every commit of the input offsets (a crash may repeat records there, never lose them). ``start()`` refuses
        a cluster the config lacks and a topic missing on that cluster. The TopologyTestDriver has one broker: it
        treats the sink's topic as one of its own output topics. ``describe()`` does not show the cluster.

        Example: ``topology.add_sink("Sink", lambda k, v, ctx: f"out-{v}", "Process")``;
        ``topology.add_sink("Archive", "events", "Process", cluster="archive")`` with
        ``{"cluster.archive.bootstrap.servers": "archive-1:9092"}`` in the config.
        """
        self._builder.add_sink(
            name,
            topic_or_extractor,
            parent_names,
            key_serializer=key_serializer,
            value_serializer=value_serializer,
            partitioner=partitioner,
            cluster=cluster,
        )
        return self

    def add_state_store(self, builder: Any, *processor_names: str) -> Topology:
        """Add a state store (from a store builder) and connect it to ``processor_names``.

        Example: ``topology.add_state_store(Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("Counts")), "Process")``.
        """
        self._builder.add_state_store(builder, processor_names)
        return self

    def connect_processor_and_state_stores(self, processor_name: str, *store_names: str) -> Topology:
        """Let ``processor_name`` use stores already added.

        Example: ``topology.connect_processor_and_state_stores("Process2", "Counts")``.
        """
        if not store_names:
            raise TopologyError(f"connect_processor_and_state_stores({processor_name!r}) needs at least one store")
        for store in store_names:
            self._builder.connect_processor_and_store(processor_name, store)
        return self

    def add_global_store(
        self,
        store_builder: Any,
        source_name: str,
        topic: str,
        processor_name: str,
        supplier: Callable[[], Processor],
        *,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
        timestamp_extractor: Any = None,
    ) -> Topology:
        """Add a global store: every instance reads all partitions of ``topic`` through ``supplier``.

        Example: ``topology.add_global_store(builder.with_logging_disabled(), "gsource", "gtopic",
        "gproc", GlobalUpdater)``.
        """
        self._builder.add_global_store(
            store_builder,
            source_name,
            topic,
            processor_name,
            supplier,
            key_deserializer=key_deserializer,
            value_deserializer=value_deserializer,
            timestamp_extractor=timestamp_extractor,
        )
        return self

    def describe(self) -> TopologyDescription:
        """The topology's description; ``str()`` of it is Kafka's ``describe()`` text."""
        from kstreams_nb.topology.description import describe

        return describe(self._builder)

    def to_networkx(self) -> Any:
        """A ``networkx.DiGraph`` of nodes (kind, sub-topology, topics, stores), topics and stores."""
        from kstreams_nb.topology.graph import to_networkx

        return to_networkx(self._builder)

    def __repr__(self) -> str:
        return f"<Topology with {len(self._builder.nodes)} nodes, {len(self._builder.stores)} stores>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self.describe()))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's rich display: the describe text and an SVG picture (see :mod:`kstreams_nb.topology.draw`)."""
        from kstreams_nb.topology.draw import mimebundle

        return mimebundle(self, include=include, exclude=exclude)

    def to_dot(self) -> str:
        """Graphviz ``digraph`` text of this topology (store changelog topics included).

        Example: ``open("topology.dot", "w").write(topology.to_dot())``.
        """
        from kstreams_nb.topology.export import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        """Mermaid ``flowchart LR`` text of this topology (store changelog topics included).

        Example: ``print(topology.to_mermaid())``.
        """
        from kstreams_nb.topology.export import to_mermaid

        return to_mermaid(self)
