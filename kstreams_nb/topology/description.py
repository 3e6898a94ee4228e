"""TopologyDescription: what ``Topology.describe()`` returns; ``str()`` of it is Kafka's text, byte for byte.

The objects mirror Kafka's ``TopologyDescription`` interface (snake_cased): a description has
``subtopologies`` and ``global_stores``; a sub-topology has an ``id`` and ``nodes``; a node has a ``name``,
``predecessors`` and ``successors``; a :class:`Source` has ``topics`` (or ``topic_pattern``), a
:class:`Processor` has ``stores``, a :class:`Sink` has ``topic`` (or ``topic_name_extractor``).

Every order is the order Kafka prints: nodes by sub-tree size then name, ``-->``/``<--`` lists as Kafka's
TreeSets leave them, topics and stores in Java ``HashSet`` order (see :mod:`kstreams_nb.topology._java`).

Example::

    >>> from kstreams_nb.topology import Topology
    >>> t = Topology().add_source("Source", "input").add_sink("Sink", "output", "Source")
    >>> d = t.describe()
    >>> [n.name for n in d.subtopologies[0].nodes]
    ['Source', 'Sink']
    >>> print(str(d).splitlines()[2])
        Source: Source (topics: [input])
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from kstreams_nb.processor import extractor_name
from kstreams_nb.topology._builder import InternalTopologyBuilder, ProcessorSpec, SinkSpec, SourceSpec
from kstreams_nb.topology._java import (
    JavaHashSet,
    JavaTreeSet,
    compare_strings,
    java_collection_str,
    to_int32,
)

__all__ = ["GlobalStore", "Node", "Processor", "Sink", "Source", "Subtopology", "TopologyDescription", "describe"]


def _node_names(nodes: Sequence[Node]) -> str:
    return ", ".join(n.name for n in nodes) if nodes else "none"


class Node:
    """A node of a described sub-topology (Kafka's ``TopologyDescription.Node``).

    ``predecessors`` and ``successors`` are tuples of nodes in the order Kafka prints them. Example:
    ``[s.name for s in description.subtopologies[0].nodes[0].successors]``.
    """

    kind: ClassVar[str] = "node"

    def __init__(self, name: str) -> None:
        self.name = name
        self.predecessors: tuple[Node, ...] = ()
        self.successors: tuple[Node, ...] = ()
        # Kafka's AbstractNode.size: 1 + the sizes of the successors, counted along every path (a Java int)
        self._size = 1
        self._preds: JavaTreeSet[Node] = JavaTreeSet(_node_comparator)
        self._succs: JavaTreeSet[Node] = JavaTreeSet(_node_comparator)

    def _key(self) -> tuple[Any, ...]:
        return (
            self.kind,
            self.name,
            frozenset(p.name for p in self.predecessors),
            frozenset(s.name for s in self.successors),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.kind, self.name))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _node_comparator(a: Node, b: Node) -> int:
    """Kafka's NODE_COMPARATOR: larger sub-tree first, then name; read at comparison time."""
    if a is b:
        return 0
    diff = to_int32(b._size - a._size)
    return diff if diff != 0 else compare_strings(a.name, b.name)


class Source(Node):
    """A source node: ``topics`` (Java HashSet order) or ``topic_pattern``.

    Example: ``description.subtopologies[0].nodes[0].topics == ("input",)``.
    """

    kind: ClassVar[str] = "source"

    def __init__(self, name: str, topics: Sequence[str] | None, topic_pattern: re.Pattern[str] | None) -> None:
        super().__init__(name)
        self.topics: tuple[str, ...] | None = tuple(topics) if topics is not None else None
        self.topic_pattern = topic_pattern

    @property
    def topic_set(self) -> tuple[str, ...] | None:
        """Kafka's ``topicSet()``: the same as :attr:`topics`."""
        return self.topics

    def _key(self) -> tuple[Any, ...]:
        pattern = None if self.topic_pattern is None else self.topic_pattern.pattern
        topics = None if self.topics is None else frozenset(self.topics)
        return (*super()._key(), topics, pattern)

    def __str__(self) -> str:
        if self.topics is not None:
            topics = java_collection_str(self.topics)
        else:
            assert self.topic_pattern is not None
            topics = self.topic_pattern.pattern
        return f"Source: {self.name} (topics: {topics})\n      --> {_node_names(self.successors)}"


class Processor(Node):
    """A processor node and the names of its state stores (Java HashSet order).

    Example: ``description.subtopologies[0].nodes[1].stores == ("Counts",)``.
    """

    kind: ClassVar[str] = "processor"

    def __init__(self, name: str, stores: Sequence[str]) -> None:
        super().__init__(name)
        self.stores: tuple[str, ...] = tuple(stores)

    def _key(self) -> tuple[Any, ...]:
        return (*super()._key(), frozenset(self.stores))

    def __str__(self) -> str:
        return (
            f"Processor: {self.name} (stores: {java_collection_str(self.stores)})\n"
            f"      --> {_node_names(self.successors)}\n      <-- {_node_names(self.predecessors)}"
        )


class Sink(Node):
    """A sink node writing to ``topic``, or to the topic ``topic_name_extractor`` picks per record.

    Example: ``description.subtopologies[0].nodes[-1].topic == "output"``.
    """

    kind: ClassVar[str] = "sink"

    def __init__(self, name: str, topic: str | None, topic_name_extractor: Callable[..., str] | None) -> None:
        super().__init__(name)
        self.topic = topic
        self.topic_name_extractor = topic_name_extractor

    def _key(self) -> tuple[Any, ...]:
        return (*super()._key(), self.topic, self.topic_name_extractor)

    def __str__(self) -> str:
        if self.topic is not None:
            target = f"topic: {self.topic}"
        else:
            target = f"extractor class: {extractor_name(self.topic_name_extractor)}"
        return f"Sink: {self.name} ({target})\n      <-- {_node_names(self.predecessors)}"


class Subtopology:
    """A sub-topology: its ``id`` and its ``nodes`` in Kafka's print order.

    Example: ``[n.name for n in description.subtopologies[0].nodes]``.
    """

    def __init__(self, id: int, nodes: Sequence[Node]) -> None:
        self.id = id
        self.nodes: tuple[Node, ...] = tuple(nodes)

    def __str__(self) -> str:
        return f"Sub-topology: {self.id}\n" + "".join(f"    {n}\n" for n in self.nodes) + "\n"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Subtopology):
            return NotImplemented
        return self.id == other.id and set(self.nodes) == set(other.nodes)

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Subtopology {self.id}: {[n.name for n in self.nodes]}>"


class GlobalStore:
    """A global store's sub-topology: its ``source`` and its update ``processor`` (no tasks are made for it).

    Example: ``description.global_stores[0].processor.stores == ("globalStore",)``.
    """

    def __init__(self, source_name: str, processor_name: str, store_name: str, topic: str, id: int) -> None:
        self.id = id
        self.source = Source(source_name, [topic], None)
        self.processor = Processor(processor_name, [store_name])
        self.source.successors = (self.processor,)
        self.processor.predecessors = (self.source,)

    def __str__(self) -> str:
        return (
            f"Sub-topology: {self.id} for global store (will not generate tasks)\n"
            f"    {self.source}\n    {self.processor}\n"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GlobalStore):
            return NotImplemented
        return self.id == other.id and self.source == other.source and self.processor == other.processor

    def __hash__(self) -> int:
        return hash((self.id, self.source.name))

    def __repr__(self) -> str:
        return f"<GlobalStore {self.id}: {self.source.name} -> {self.processor.name}>"


# the names annotations use inside TopologyDescription, whose class attributes shadow the classes
_SubtopologyT = Subtopology
_GlobalStoreT = GlobalStore


class TopologyDescription:
    """A topology's description (Kafka's ``TopologyDescription``); ``str()`` is Kafka's ``describe()`` text.

    ``subtopologies`` and ``global_stores`` are tuples in id order; ids are shared between the two.

    Example::

        >>> from kstreams_nb.topology import Topology
        >>> str(Topology().describe())
        'Topologies:\\n '
    """

    Node = Node
    Source = Source
    Processor = Processor
    Sink = Sink
    Subtopology = Subtopology
    GlobalStore = GlobalStore

    def __init__(
        self,
        subtopologies: Sequence[_SubtopologyT] = (),
        global_stores: Sequence[_GlobalStoreT] = (),
        *,
        name: str | None = None,
    ) -> None:
        self.subtopologies: tuple[_SubtopologyT, ...] = tuple(sorted(subtopologies, key=lambda s: s.id))
        self.global_stores: tuple[_GlobalStoreT, ...] = tuple(sorted(global_stores, key=lambda g: g.id))
        #: a named topology prints ``Topology: <name>:`` instead of ``Topologies:``
        self.name = name

    def __str__(self) -> str:
        parts = ["Topologies:\n " if self.name is None else f"Topology: {self.name}:\n "]
        subs, globs = list(self.subtopologies), list(self.global_stores)
        # Kafka's merge: while both remain, take the sub-topology when its id is the next expected id
        i = j = expected = 0
        while i < len(subs) and j < len(globs):
            if subs[i].id == expected:
                parts.append(f"  {subs[i]}")
                i += 1
            else:
                parts.append(f"  {globs[j]}")
                j += 1
            expected += 1
        parts.extend(f"  {s}" for s in subs[i:])
        parts.extend(f"  {g}" for g in globs[j:])
        return "".join(parts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopologyDescription):
            return NotImplemented
        return self.subtopologies == other.subtopologies and self.global_stores == other.global_stores

    def __hash__(self) -> int:
        return hash((self.subtopologies, self.global_stores))

    def __repr__(self) -> str:
        return f"<TopologyDescription {len(self.subtopologies)} sub-topologies, {len(self.global_stores)} global>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's rich display: the describe text and an SVG picture (see :mod:`kstreams_nb.topology.draw`)."""
        from kstreams_nb.topology.draw import mimebundle

        return mimebundle(self, include=include, exclude=exclude)

    @classmethod
    def parse(cls, text: str) -> TopologyDescription:
        """Parse the ``describe()`` text of any Kafka Streams application (Java included) into a description.

        Example: ``draw(TopologyDescription.parse(open("java-topology.txt").read()))``.
        """
        from kstreams_nb.topology.parse import parse

        return parse(text)

    def to_dot(self) -> str:
        """Graphviz ``digraph`` text of this description (a ``cluster`` per sub-topology).

        Example: ``open("topology.dot", "w").write(description.to_dot())``.
        """
        from kstreams_nb.topology.export import to_dot

        return to_dot(self)

    def to_mermaid(self) -> str:
        """Mermaid ``flowchart LR`` text of this description (a ``subgraph`` per sub-topology).

        Example: ``print(description.to_mermaid())``.
        """
        from kstreams_nb.topology.export import to_mermaid

        return to_mermaid(self)


def _update_size(start: Node, delta: int) -> None:
    """Kafka's recursive ``updateSize``: add ``delta`` to ``start`` and, along every path, to its ancestors.

    Done as one pass over the ancestors (each gets ``delta`` times its number of paths to ``start``) so that a
    graph with many diamonds costs polynomial time; the sizes come out as Java's recursion leaves them.
    """
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(start, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._preds if id(p) not in seen)
    paths = {id(start): 1}
    for node in reversed(order):  # every node comes before its predecessors
        count = paths.get(id(node), 0)
        node._size = to_int32(node._size + delta * count)
        for p in node._preds:
            paths[id(p)] = paths.get(id(p), 0) + count


def _describe_node(builder: InternalTopologyBuilder, name: str) -> Node:
    spec = builder.nodes[name]
    if isinstance(spec, SourceSpec):
        topics = list(JavaHashSet.copy_of(spec.topics)) if spec.topics else None
        return Source(name, topics, None if topics is not None else spec.pattern)
    if isinstance(spec, ProcessorSpec):
        return Processor(name, list(JavaHashSet.copy_of(JavaHashSet(spec.stores))))
    assert isinstance(spec, SinkSpec)
    return Sink(name, spec.topic, spec.extractor if spec.topic is None else None)


def _describe_subtopology(builder: InternalTopologyBuilder, id: int, names: Sequence[str]) -> Subtopology:
    # Kafka: the node group is a HashSet; nodesByName a HashMap filled from it and walked in its own order
    group = JavaHashSet(names)
    order = list(JavaHashSet(group))
    by_name = {n: _describe_node(builder, n) for n in order}
    for name in order:
        node = by_name[name]
        for pred_name in builder.nodes[name].predecessors:
            pred = by_name[pred_name]
            node._preds.add(pred)
            pred._succs.add(node)
            _update_size(pred, node._size)
    for node in by_name.values():
        node.predecessors = tuple(node._preds)
        node.successors = tuple(node._succs)
    nodes = sorted(by_name.values(), key=functools.cmp_to_key(_node_comparator))
    return Subtopology(id, nodes)


def _describe_global_store(builder: InternalTopologyBuilder, id: int, names: Sequence[str]) -> GlobalStore:
    group = list(JavaHashSet(names))
    source = next(n for n in group if _is_global_source(builder, n))
    processor = next(n for n in group if n != source)
    source_spec, processor_spec = builder.nodes[source], builder.nodes[processor]
    assert isinstance(source_spec, SourceSpec) and source_spec.topics
    assert isinstance(processor_spec, ProcessorSpec)
    store = next(iter(JavaHashSet(processor_spec.stores)))
    return GlobalStore(source, processor, store, source_spec.topics[0], id)


def _is_global_source(builder: InternalTopologyBuilder, name: str) -> bool:
    spec = builder.nodes[name]
    return isinstance(spec, SourceSpec) and spec.is_global and spec.topics is not None and len(spec.topics) == 1


def describe(builder: InternalTopologyBuilder) -> TopologyDescription:
    """Describe the topology held by ``builder`` as Kafka's ``InternalTopologyBuilder.describe()`` does.

    Example: ``str(describe(topology.internal_builder))``; most code calls ``topology.describe()``.
    """
    subtopologies: list[Subtopology] = []
    global_stores: list[GlobalStore] = []
    for gid, names in builder.node_groups().items():
        if any(_is_global_source(builder, n) for n in names):
            global_stores.append(_describe_global_store(builder, gid, names))
        else:
            subtopologies.append(_describe_subtopology(builder, gid, names))
    return TopologyDescription(subtopologies, global_stores)
