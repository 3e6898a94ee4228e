"""The internal topology builder: node specs, validation, sub-topologies (Kafka's InternalTopologyBuilder).

Pure data: building never starts threads, opens clients or imports the engine. The public facade is
:class:`kstreams_nb.topology.Topology`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor, extractor_name

__all__ = [
    "GlobalStoreSpec",
    "InternalTopologyBuilder",
    "NodeSpec",
    "ProcessorSpec",
    "SinkSpec",
    "SourceSpec",
    "StoreSpec",
    "SubtopologySpec",
]


@dataclass(eq=False)
class NodeSpec:
    """A node of the topology: its name and its parents' names (in the order given)."""

    name: str
    predecessors: list[str]
    #: children in the order they were connected (forwarding order)
    successors: list[str] = field(default_factory=list)


@dataclass(eq=False)
class SourceSpec(NodeSpec):
    """A source node reading ``topics`` (or every topic matching ``pattern``)."""

    topics: list[str] | None = None
    pattern: re.Pattern[str] | None = None
    key_deserializer: Any = None
    value_deserializer: Any = None
    timestamp_extractor: Any = None
    offset_reset: str | None = None
    is_global: bool = False

    def matches(self, topic: str) -> bool:
        """True when this source reads ``topic``."""
        if self.topics is not None:
            return topic in self.topics
        assert self.pattern is not None
        return self.pattern.fullmatch(topic) is not None


@dataclass(eq=False)
class ProcessorSpec(NodeSpec):
    """A processor node: a supplier of new Processor instances and the names of its state stores."""

    supplier: Callable[[], Processor] | None = None
    stores: list[str] = field(default_factory=list)
    fixed_key: bool = False


@dataclass(eq=False)
class SinkSpec(NodeSpec):
    """A sink node writing to a fixed ``topic`` or to the topic a TopicNameExtractor picks."""

    topic: str | None = None
    extractor: Callable[..., str] | None = None
    key_serializer: Any = None
    value_serializer: Any = None
    partitioner: Any = None
    #: the name of another cluster (``cluster.<name>.*`` in the config) this sink writes to; None: the application's
    cluster: str | None = None

    @property
    def extractor_display(self) -> str:
        """The extractor as describe() prints it (its qualified name)."""
        return extractor_name(self.extractor)


@dataclass(eq=False)
class StoreSpec:
    """A state store: its builder and the processors connected to it."""

    name: str
    builder: Any
    users: list[str] = field(default_factory=list)
    is_global: bool = False

    @property
    def logging_enabled(self) -> bool:
        """Whether the store writes a changelog topic."""
        return bool(getattr(self.builder, "logging_enabled", True)) and not self.is_global


@dataclass(eq=False)
class GlobalStoreSpec:
    """A global store: its source (reading every partition of ``topic``) and its update processor."""

    store: StoreSpec
    source_name: str
    processor_name: str
    topic: str


@dataclass
class SubtopologySpec:
    """A connected group of nodes (one sub-topology) and the topics and stores it touches."""

    id: int
    nodes: list[str]
    source_topics: list[str]
    source_patterns: list[re.Pattern[str]]
    sink_topics: list[str]
    repartition_topics: list[str]
    stores: list[str]
    is_global: bool = False


class _UnionFind:
    """Kafka's QuickUnion: unite nodes with parents and with processors that share a store."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def add(self, item: str) -> None:
        self._parent.setdefault(item, item)

    def root(self, item: str) -> str:
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def unite(self, a: str, *others: str) -> None:
        ra = self.root(a)
        for o in others:
            ro = self.root(o)
            if ro != ra:
                self._parent[ro] = ra


class InternalTopologyBuilder:
    """Holds node specs in insertion order, validates edits, and derives sub-topologies."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeSpec] = {}
        self.stores: dict[str, StoreSpec] = {}
        self.global_stores: dict[str, GlobalStoreSpec] = {}
        #: topics written and read back internally (repartition topics), without the application.id prefix
        self.internal_topics: dict[str, int | None] = {}
        #: groups of source topics that must be co-partitioned (joins)
        self.copartition_groups: list[set[str]] = []
        self._topic_to_source: dict[str, str] = {}
        self._grouper = _UnionFind()
        self._version = 0
        self._groups_cache: tuple[int, dict[int, list[str]]] | None = None

    # ------------------------------------------------------------------ editing
    def _check_new_name(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TopologyError(f"node name must be a non-empty str, got {name!r}")
        if name in self.nodes:
            raise TopologyError(f"Processor {name} is already added.")

    def _check_parents(self, name: str, parents: Sequence[str], kind: str) -> None:
        if not parents:
            raise TopologyError(f"{kind} {name} must have at least one parent")
        for parent in parents:
            if parent == name:
                raise TopologyError(f"{kind} {name} cannot be a predecessor of itself.")
            spec = self.nodes.get(parent)
            if spec is None:
                raise TopologyError(f"Predecessor processor {parent} is not added yet for {name}.")
            if isinstance(spec, SinkSpec):
                raise TopologyError(f"Sink {parent} cannot be used a parent.")
        if len(set(parents)) != len(parents):
            raise TopologyError(f"{kind} {name} lists a parent twice: {list(parents)}")

    def _link(self, spec: NodeSpec) -> None:
        self.nodes[spec.name] = spec
        self._grouper.add(spec.name)
        for parent in spec.predecessors:
            self.nodes[parent].successors.append(spec.name)
        if spec.predecessors:
            self._grouper.unite(spec.name, *spec.predecessors)
        self._version += 1

    def add_source(
        self,
        name: str,
        topics: Sequence[str] | None = None,
        pattern: re.Pattern[str] | str | None = None,
        *,
        key_deserializer: Any = None,
        value_deserializer: Any = None,
        timestamp_extractor: Any = None,
        offset_reset: str | None = None,
        is_global: bool = False,
    ) -> SourceSpec:
        """Add a source node (exactly one of ``topics`` and ``pattern``)."""
        self._check_new_name(name)
        if (topics is None or len(topics) == 0) and pattern is None:
            raise TopologyError(f"Source {name}: you must provide at least one topic or a pattern")
        if topics and pattern is not None:
            raise TopologyError(f"Source {name}: give topics or a pattern, not both")
        if offset_reset not in (None, "earliest", "latest", "none"):
            raise TopologyError(f"Source {name}: offset_reset must be 'earliest', 'latest' or 'none'")
        compiled: re.Pattern[str] | None = None
        if pattern is not None:
            compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
            for topic, other in self._topic_to_source.items():
                if compiled.fullmatch(topic):
                    raise TopologyError(
                        f"Pattern {compiled.pattern} of source {name} matches topic {topic} already "
                        f"registered by source {other}."
                    )
            for other_spec in self.nodes.values():
                if isinstance(other_spec, SourceSpec) and other_spec.pattern is not None:
                    if other_spec.pattern.pattern == compiled.pattern:
                        raise TopologyError(
                            f"Pattern {compiled.pattern} has already been registered by source {other_spec.name}."
                        )
        topic_list = list(topics) if topics else None
        for topic in topic_list or ():
            if not isinstance(topic, str) or not topic:
                raise TopologyError(f"Source {name}: topic names must be non-empty str, got {topic!r}")
            # Kafka registers each topic before checking the next, so a repeat within one call fails too
            if topic in self._topic_to_source or list(topics or ()).count(topic) > 1:
                raise TopologyError(f"Topic {topic} has already been registered by another source.")
            for other_spec in self.nodes.values():
                if isinstance(other_spec, SourceSpec) and other_spec.pattern is not None:
                    if other_spec.pattern.fullmatch(topic):
                        raise TopologyError(
                            f"Topic {topic} of source {name} matches pattern {other_spec.pattern.pattern} "
                            f"already registered by source {other_spec.name}."
                        )
        spec = SourceSpec(
            name,
            [],
            topics=topic_list,
            pattern=compiled,
            key_deserializer=key_deserializer,
            value_deserializer=value_deserializer,
            timestamp_extractor=timestamp_extractor,
            offset_reset=offset_reset,
            is_global=is_global,
        )
        for topic in topic_list or ():
            self._topic_to_source[topic] = name
        self._link(spec)
        return spec

    def add_processor(
        self, name: str, supplier: Callable[[], Processor], parents: Sequence[str], *, fixed_key: bool = False
    ) -> ProcessorSpec:
        """Add a processor node under ``parents``."""
        self._check_new_name(name)
        if not callable(supplier):
            raise TopologyError(f"Processor {name}: supplier must be a callable returning a new Processor")
        self._check_parents(name, parents, "Processor")
        spec = ProcessorSpec(name, list(parents), supplier=supplier, fixed_key=fixed_key)
        self._link(spec)
        return spec

    def add_sink(
        self,
        name: str,
        topic_or_extractor: str | Callable[..., str],
        parents: Sequence[str],
        *,
        key_serializer: Any = None,
        value_serializer: Any = None,
        partitioner: Any = None,
        cluster: str | None = None,
    ) -> SinkSpec:
        """Add a sink node writing to a topic, or to the topic an extractor picks per record (on ``cluster``, the
        name of another cluster in the config, when given)."""
        self._check_new_name(name)
        self._check_parents(name, parents, "Sink")
        if cluster is not None and (not isinstance(cluster, str) or not cluster or "." in cluster):
            raise TopologyError(
                f"Sink {name}: cluster must be the name of a cluster configured as 'cluster.<name>.bootstrap.servers' "
                f"(a non-empty name without dots), got {cluster!r}"
            )
        if isinstance(topic_or_extractor, str):
            if not topic_or_extractor:
                raise TopologyError(f"Sink {name}: topic must not be empty")
            spec = SinkSpec(name, list(parents), topic=topic_or_extractor)
        elif callable(topic_or_extractor):
            spec = SinkSpec(name, list(parents), extractor=topic_or_extractor)
        else:
            raise TopologyError(f"Sink {name}: expected a topic name or a TopicNameExtractor callable")
        spec.key_serializer = key_serializer
        spec.value_serializer = value_serializer
        spec.partitioner = partitioner
        spec.cluster = cluster
        self._link(spec)
        return spec

    def add_state_store(
        self, builder: Any, processor_names: Sequence[str] = (), *, allow_override: bool = False
    ) -> None:
        """Register a store builder and connect it to ``processor_names``."""
        name = getattr(builder, "name", None)
        if not isinstance(name, str) or not name:
            raise TopologyError(f"state store builder {builder!r} has no name")
        existing = self.stores.get(name)
        if existing is not None and not allow_override:
            raise TopologyError(f"StateStore {name} is already added.")
        if name in self.global_stores:
            raise TopologyError(f"StateStore {name} is already added as a global store.")
        self.stores[name] = existing or StoreSpec(name, builder)
        self._version += 1
        for processor in processor_names:
            self.connect_processor_and_store(processor, name)

    def connect_processor_and_store(self, processor_name: str, store_name: str) -> None:
        """Let ``processor_name`` use ``store_name`` (they then share a sub-topology)."""
        spec = self.nodes.get(processor_name)
        if spec is None:
            raise TopologyError(f"Processor {processor_name} is not added yet.")
        if not isinstance(spec, ProcessorSpec):
            raise TopologyError(f"{processor_name} is not a processor; only processors can use state stores")
        if store_name in self.global_stores:
            raise TopologyError(f"Global StateStore {store_name} can be used by a Processor without being specified; "
                                f"it should not be explicitly passed.")
        store = self.stores.get(store_name)
        if store is None:
            raise TopologyError(f"StateStore {store_name} is not added yet.")
        if store_name not in spec.stores:
            spec.stores.append(store_name)
        if processor_name not in store.users:
            store.users.append(processor_name)
        if len(store.users) > 1:
            self._grouper.unite(store.users[0], *store.users[1:])
        self._version += 1

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
    ) -> None:
        """Add a global store fed from every partition of ``topic`` by ``supplier``'s processors."""
        name = getattr(store_builder, "name", None)
        if not isinstance(name, str) or not name:
            raise TopologyError(f"global store builder {store_builder!r} has no name")
        if name in self.stores or name in self.global_stores:
            raise TopologyError(f"StateStore {name} is already added.")
        if getattr(store_builder, "logging_enabled", False):
            raise TopologyError(
                f"Global store {name} must have changelogging disabled: its topic is its changelog "
                "(use .with_logging_disabled())"
            )
        if source_name == processor_name:
            raise TopologyError(f"Global store {name}: source and processor names must differ ({source_name})")
        self.add_source(
            source_name,
            [topic],
            key_deserializer=key_deserializer,
            value_deserializer=value_deserializer,
            timestamp_extractor=timestamp_extractor,
            is_global=True,
        )
        self.add_processor(processor_name, supplier, [source_name])
        store = StoreSpec(name, store_builder, users=[processor_name], is_global=True)
        proc = self.nodes[processor_name]
        assert isinstance(proc, ProcessorSpec)
        proc.stores.append(name)
        self.global_stores[name] = GlobalStoreSpec(store, source_name, processor_name, topic)
        self._version += 1

    def add_internal_topic(self, name: str, partitions: int | None = None) -> None:
        """Mark ``name`` as an internal (repartition) topic, created by the runtime."""
        self.internal_topics[name] = partitions
        self._version += 1

    def copartition(self, topics: Sequence[str]) -> None:
        """Require ``topics`` to have the same partition count (joins)."""
        self.copartition_groups.append(set(topics))
        self._version += 1

    # ------------------------------------------------------------------ derived views
    def node_groups(self) -> dict[int, list[str]]:
        """Sub-topology id → node names, numbered in node insertion order (global stores included)."""
        if self._groups_cache is not None and self._groups_cache[0] == self._version:
            return self._groups_cache[1]
        groups: dict[int, list[str]] = {}
        by_root: dict[str, list[str]] = {}
        for name in self.nodes:
            root = self._grouper.root(name)
            group = by_root.get(root)
            if group is None:
                group = by_root[root] = []
                groups[len(groups)] = group
            group.append(name)
        self._groups_cache = (self._version, groups)
        return groups

    def global_node_names(self) -> set[str]:
        """Names of the nodes that belong to global stores."""
        out: set[str] = set()
        for g in self.global_stores.values():
            out.update((g.source_name, g.processor_name))
        return out

    def subtopologies(self) -> list[SubtopologySpec]:
        """Every sub-topology (global-store groups flagged ``is_global``), in id order."""
        global_nodes = self.global_node_names()
        out = []
        for gid, names in self.node_groups().items():
            sources: list[str] = []
            patterns: list[re.Pattern[str]] = []
            sinks: list[str] = []
            stores: list[str] = []
            for n in names:
                spec = self.nodes[n]
                if isinstance(spec, SourceSpec):
                    if spec.topics is not None:
                        sources.extend(spec.topics)
                    elif spec.pattern is not None:
                        patterns.append(spec.pattern)
                elif isinstance(spec, SinkSpec) and spec.topic is not None:
                    sinks.append(spec.topic)
                elif isinstance(spec, ProcessorSpec):
                    stores.extend(s for s in spec.stores if s not in stores)
            repartition = [t for t in sources if t in self.internal_topics]
            out.append(
                SubtopologySpec(
                    gid,
                    list(names),
                    sources,
                    patterns,
                    sinks,
                    repartition,
                    stores,
                    is_global=bool(global_nodes.intersection(names)),
                )
            )
        return out

    def source_for_topic(self, topic: str) -> SourceSpec | None:
        """The source node that reads ``topic`` (by name or pattern), if any."""
        name = self._topic_to_source.get(topic)
        if name is not None:
            spec = self.nodes[name]
            assert isinstance(spec, SourceSpec)
            return spec
        for spec in self.nodes.values():
            if isinstance(spec, SourceSpec) and spec.pattern is not None and spec.pattern.fullmatch(topic):
                return spec
        return None

    def validate(self) -> None:
        """Raise TopologyError when the topology cannot run (empty, or a store nobody uses is fine)."""
        if not self.nodes:
            raise TopologyError("Topology has no stream threads and no global threads, must subscribe to at "
                                "least one source topic or global table (the topology is empty).")
