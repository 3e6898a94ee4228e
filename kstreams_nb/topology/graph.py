"""A topology as a ``networkx.DiGraph``: processor nodes, the topics they read and write, their state stores.

A pure function of the builder; networkx is imported inside it, so importing this module stays light.

Graph nodes (ids and attributes):

- each processor node, under its own name: ``kind`` ("source" | "processor" | "sink"), ``subtopology`` (id),
  ``topics`` (list: a source's topics, a fixed-topic sink's topic, else empty), ``pattern`` (a pattern
  source's regex text, else None), ``extractor`` (an extractor sink's display name, else None), ``stores``
  (list), ``is_global``;
- each topic, as ``"topic:<name>"``: ``kind="topic"``, ``name``, ``internal`` (True for repartition topics);
- each state store, as ``"store:<name>"``: ``kind="store"``, ``name``, ``changelog`` (``"<name>-changelog"``
  when logging is enabled, else None; without the application.id prefix), ``is_global``, ``subtopology``
  (the id of its users' sub-topology, None when nothing uses it).

Edges (attribute ``kind``): parent → child "stream"; topic → source "read"; sink → topic "write";
processor → store "store". ``graph.graph["subtopologies"]`` maps each sub-topology id to its node names.

Example::

    >>> from kstreams_nb.topology import Topology
    >>> g = Topology().add_source("S", "in").add_sink("K", "out", "S").to_networkx()
    >>> sorted(g.edges)
    [('K', 'topic:out'), ('S', 'K'), ('topic:in', 'S')]
"""

from __future__ import annotations

from typing import Any

from kstreams_nb.errors import TopologyError
from kstreams_nb.topology._builder import (
    InternalTopologyBuilder,
    ProcessorSpec,
    SinkSpec,
    SourceSpec,
    StoreSpec,
)

__all__ = ["to_networkx"]

TOPIC_PREFIX = "topic:"
STORE_PREFIX = "store:"


def _node_attributes(spec: Any, subtopology: int, is_global: bool) -> dict[str, Any]:
    topics: list[str] = []
    pattern = extractor = None
    stores: list[str] = []
    if isinstance(spec, SourceSpec):
        kind = "source"
        topics = list(spec.topics or ())
        pattern = spec.pattern.pattern if spec.pattern is not None else None
    elif isinstance(spec, ProcessorSpec):
        kind = "processor"
        stores = list(spec.stores)
    else:
        assert isinstance(spec, SinkSpec)
        kind = "sink"
        if spec.topic is not None:
            topics = [spec.topic]
        else:
            extractor = spec.extractor_display
    return {
        "kind": kind,
        "subtopology": subtopology,
        "topics": topics,
        "pattern": pattern,
        "extractor": extractor,
        "stores": stores,
        "is_global": is_global,
    }


def to_networkx(builder: InternalTopologyBuilder) -> Any:
    """Build the ``networkx.DiGraph`` of ``builder``'s topology (see the module docstring for its shape).

    Example: ``g = to_networkx(topology.internal_builder); g.nodes["Process"]["stores"] == ["Counts"]``;
    most code calls ``topology.to_networkx()``.
    """
    import networkx as nx

    graph = nx.DiGraph()
    groups = builder.node_groups()
    graph.graph["subtopologies"] = {gid: list(names) for gid, names in groups.items()}
    group_of = {name: gid for gid, names in groups.items() for name in names}
    global_nodes = builder.global_node_names()

    for name, spec in builder.nodes.items():
        if name.startswith((TOPIC_PREFIX, STORE_PREFIX)):
            raise TopologyError(
                f"node {name!r} cannot be drawn: names starting with {TOPIC_PREFIX!r} or {STORE_PREFIX!r} "
                "are reserved for topic and store nodes in to_networkx(); rename the node"
            )
        graph.add_node(name, **_node_attributes(spec, group_of[name], name in global_nodes))

    def add_topic(topic: str) -> str:
        node = TOPIC_PREFIX + topic
        if node not in graph:
            graph.add_node(node, kind="topic", name=topic, internal=topic in builder.internal_topics)
        return node

    def add_store(store: StoreSpec) -> str:
        node = STORE_PREFIX + store.name
        if node not in graph:
            users = [u for u in store.users if u in group_of]
            graph.add_node(
                node,
                kind="store",
                name=store.name,
                changelog=f"{store.name}-changelog" if store.logging_enabled else None,
                is_global=store.is_global,
                subtopology=group_of[users[0]] if users else None,
            )
        return node

    for name, spec in builder.nodes.items():
        for parent in spec.predecessors:
            graph.add_edge(parent, name, kind="stream")
        if isinstance(spec, SourceSpec):
            for topic in spec.topics or ():
                graph.add_edge(add_topic(topic), name, kind="read")
        elif isinstance(spec, SinkSpec) and spec.topic is not None:
            graph.add_edge(name, add_topic(spec.topic), kind="write")

    all_stores = [*builder.stores.values(), *(g.store for g in builder.global_stores.values())]
    for store in all_stores:
        store_node = add_store(store)
        for user in store.users:
            graph.add_edge(user, store_node, kind="store")
    return graph
