"""The compiled, immutable form of a topology that tasks are built from (Kafka's ProcessorTopology), and the one
place that names an application's internal topics.

``KafkaStreams.start()`` and the TopologyTestDriver call :func:`compile_topology` once; every task, thread and
global thread then reads the :class:`ProcessorTopology`, never the user's (mutable) Topology, so editing the
Topology in a notebook, or a builder changed after start, cannot reach running or later-created tasks.

Example::

    >>> from kstreams_nb.topology import Topology
    >>> t = Topology().add_source("src", "in").add_sink("out", "o", "src")
    >>> pt = compile_topology(t.internal_builder, "app")
    >>> [s.nodes for s in pt.subtopologies]
    [('src', 'out')]
    >>> t = t.add_sink("late", "other", "src")  # later edits do not reach the compiled topology
    >>> pt.nodes["src"].successors
    ('out',)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kstreams_nb.state import changelog_topic_name
from kstreams_nb.topology._builder import InternalTopologyBuilder, ProcessorSpec, SinkSpec, SourceSpec

__all__ = [
    "ProcessorDef",
    "ProcessorTopology",
    "SinkDef",
    "SourceDef",
    "StoreDef",
    "SubtopologyDef",
    "changelog_topic",
    "compile_topology",
    "internal_topic_name",
    "is_internal_topic",
]


def internal_topic_name(application_id: str, name: str) -> str:
    """The broker name of an internal (repartition) topic: ``<application.id>-<name>``.

    Example::

        >>> internal_topic_name("wc", "KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition")
        'wc-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition'
    """
    return f"{application_id}-{name}"


def changelog_topic(application_id: str, store_name: str) -> str:
    """The changelog topic of a store: ``<application.id>-<store>-changelog`` (as ``state.changelog_topic_name``,
    which stores use themselves).

    Example::

        >>> changelog_topic("wc", "counts")
        'wc-counts-changelog'
    """
    return changelog_topic_name(application_id, store_name)


def is_internal_topic(application_id: str, topic: str) -> bool:
    """True for a repartition or changelog topic of the application, named as :func:`internal_topic_name` and
    :func:`changelog_topic` name them (Kafka's ``StreamsResetter.isInternalTopic``: the ``<application.id>-``
    prefix and a ``-repartition`` or ``-changelog`` suffix; an application whose id extends this one's with a
    dash, ``wc-2`` for ``wc``, matches too).

    Example::

        >>> is_internal_topic("wc", changelog_topic("wc", "counts")), is_internal_topic("wc", "wc-lines")
        (True, False)
    """
    prefix = internal_topic_name(application_id, "")
    return topic.startswith(prefix) and topic.endswith(_INTERNAL_SUFFIXES)


#: the name endings of an application's internal topics: the DSL's repartition topics and store changelogs
_INTERNAL_SUFFIXES = ("-repartition", "-changelog")


@dataclass(frozen=True)
class SourceDef:
    """A source node: the (broker) topics it reads, or its pattern, and how it decodes records."""

    name: str
    successors: tuple[str, ...]
    topics: tuple[str, ...] | None
    pattern: re.Pattern[str] | None
    key_deserializer: Any
    value_deserializer: Any
    timestamp_extractor: Any
    offset_reset: str | None


@dataclass(frozen=True)
class ProcessorDef:
    """A processor node: the supplier of its Processor instances and the stores it uses."""

    name: str
    successors: tuple[str, ...]
    supplier: Callable[[], Any]
    stores: tuple[str, ...]
    fixed_key: bool


@dataclass(frozen=True)
class SinkDef:
    """A sink node: its (broker) topic, or the extractor that picks one, how it encodes records, and the other
    cluster it writes to (``cluster.<name>.*`` in the config; None: the application's own cluster)."""

    name: str
    successors: tuple[str, ...]
    topic: str | None
    extractor: Callable[..., str] | None
    key_serializer: Any
    value_serializer: Any
    partitioner: Any
    cluster: str | None = None


NodeDef = SourceDef | ProcessorDef | SinkDef


@dataclass(frozen=True)
class StoreDef:
    """A state store: the builder of its instances and its changelog topic (None when not logged)."""

    name: str
    builder: Any
    changelog: str | None
    is_global: bool


@dataclass(frozen=True)
class SubtopologyDef:
    """One sub-topology: node names in topological order, broker source and sink topics, and its stores."""

    id: int
    nodes: tuple[str, ...]
    source_topics: tuple[str, ...]
    source_patterns: tuple[re.Pattern[str], ...]
    sink_topics: tuple[str, ...]
    stores: tuple[str, ...]


@dataclass(frozen=True)
class ProcessorTopology:
    """The compiled topology of an application (see :func:`compile_topology`)."""

    application_id: str
    #: every node, in topological order (a node comes after its parents)
    nodes: Mapping[str, NodeDef]
    #: the stream sub-topologies (global ones excluded)
    subtopologies: tuple[SubtopologyDef, ...]
    #: every store, global ones included
    stores: Mapping[str, StoreDef]
    #: the nodes of global stores' sources and update processors
    global_nodes: frozenset[str]
    #: global store name -> the topic it is loaded from
    global_topics: Mapping[str, str]
    #: internal (repartition) topics as the topology names them (without the prefix)
    internal_topics: frozenset[str]
    #: node name -> its sub-topology id (global nodes excluded)
    subtopology_of_node: Mapping[str, int]
    #: broker topic -> the source reading it by name (pattern sources are looked up by :meth:`source_for_topic`)
    topic_sources: Mapping[str, str]
    #: internal topic (broker name) -> the partition count asked for (None: sized from its writers)
    internal_partitions: Mapping[str, int | None]
    #: groups of broker topics that must have the same partition count (joins)
    copartition_groups: tuple[frozenset[str], ...]

    def decorate(self, topic: str | None) -> str | None:
        """The broker name of a topic the topology names ``topic`` (internal ones get the prefix)."""
        if topic is not None and topic in self.internal_topics:
            return internal_topic_name(self.application_id, topic)
        return topic

    def source_for_topic(self, topic: str) -> SourceDef | None:
        """The source reading the broker topic ``topic`` (fixed topics first, then patterns), or None."""
        name = self.topic_sources.get(topic)
        if name is not None:
            node = self.nodes[name]
            assert isinstance(node, SourceDef)
            return node
        for node in self.nodes.values():
            if isinstance(node, SourceDef) and node.pattern is not None and node.pattern.fullmatch(topic):
                return node
        return None

    def sink_clusters(self) -> dict[str, tuple[SinkDef, ...]]:
        """Other clusters written to: cluster name -> its sinks (stream sub-topologies only), sorted by name."""
        out: dict[str, list[SinkDef]] = {}
        for name in self.subtopology_of_node:
            node = self.nodes[name]
            if isinstance(node, SinkDef) and node.cluster is not None:
                out.setdefault(node.cluster, []).append(node)
        return {cluster: tuple(out[cluster]) for cluster in sorted(out)}

    def subtopology_of(self, topic: str) -> int | None:
        """The sub-topology reading the broker topic ``topic`` (None when no stream source reads it)."""
        source = self.source_for_topic(topic)
        return None if source is None else self.subtopology_of_node.get(source.name)


def _node_def(spec: Any, decorate: Callable[[str | None], str | None]) -> NodeDef:
    successors = tuple(spec.successors)
    if isinstance(spec, SourceSpec):
        topics = None if spec.topics is None else tuple(str(decorate(t)) for t in spec.topics)
        return SourceDef(spec.name, successors, topics, spec.pattern, spec.key_deserializer,
                         spec.value_deserializer, spec.timestamp_extractor, spec.offset_reset)
    if isinstance(spec, ProcessorSpec):
        assert spec.supplier is not None
        return ProcessorDef(spec.name, successors, spec.supplier, tuple(spec.stores), spec.fixed_key)
    assert isinstance(spec, SinkSpec)
    # another cluster's topic is never one of this application's internal topics: its name stays as given
    topic = spec.topic if spec.cluster is not None else decorate(spec.topic)
    return SinkDef(spec.name, successors, topic, spec.extractor, spec.key_serializer, spec.value_serializer,
                   spec.partitioner, spec.cluster)


def compile_topology(builder: InternalTopologyBuilder, application_id: str) -> ProcessorTopology:
    """Compile ``builder`` once for ``application_id``: copies of every node, store and sub-topology, with
    broker topic names resolved. The result shares no mutable part with the builder."""
    internal = frozenset(builder.internal_topics)

    def decorate(topic: str | None) -> str | None:
        return internal_topic_name(application_id, topic) if topic is not None and topic in internal else topic

    nodes = {name: _node_def(spec, decorate) for name, spec in builder.nodes.items()}
    stores = {
        name: StoreDef(name, spec.builder, changelog_topic(application_id, name) if spec.logging_enabled else None,
                       spec.is_global)
        for name, spec in builder.stores.items()
    }
    for name, g in builder.global_stores.items():
        stores.setdefault(name, StoreDef(name, g.store.builder, None, True))
    subs = tuple(
        SubtopologyDef(
            s.id,
            tuple(s.nodes),
            tuple(str(decorate(t)) for t in s.source_topics),
            tuple(s.source_patterns),
            tuple(str(decorate(t)) for t in s.sink_topics),
            tuple(s.stores),
        )
        for s in builder.subtopologies()
        if not s.is_global
    )
    return ProcessorTopology(
        application_id=application_id,
        nodes=MappingProxyType(nodes),
        subtopologies=subs,
        stores=MappingProxyType(stores),
        global_nodes=frozenset(builder.global_node_names()),
        global_topics=MappingProxyType({name: g.topic for name, g in builder.global_stores.items()}),
        internal_topics=internal,
        subtopology_of_node=MappingProxyType({n: s.id for s in subs for n in s.nodes}),
        topic_sources=MappingProxyType(
            {t: n.name for n in nodes.values() if isinstance(n, SourceDef) for t in n.topics or ()}
        ),
        internal_partitions=MappingProxyType(
            {internal_topic_name(application_id, t): given for t, given in builder.internal_topics.items()}
        ),
        copartition_groups=tuple(frozenset(str(decorate(t)) for t in g) for g in builder.copartition_groups),
    )
