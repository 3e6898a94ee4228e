"""The drawable graph of a topology, and its text exports: Graphviz DOT and Mermaid.

:func:`topology_graph` turns a :class:`~kstreams_nb.topology.Topology`, a
:class:`~kstreams_nb.topology.description.TopologyDescription` (built or parsed from Java's text), or anything
with ``build()`` or ``describe()`` (a ``StreamsBuilder``, the notebook builder) into one graph of processor
nodes, the topics they read and write, their state stores and, when the topology says which stores log,
the stores' changelog topics. :func:`to_dot` and :func:`to_mermaid` write it as text (no dependency);
:mod:`kstreams_nb.topology.draw` lays it out as a picture. Everything is deterministic: same topology, same text.

Example::

    >>> from kstreams_nb.topology import Topology
    >>> t = Topology().add_source("S", "in").add_sink("K", "out", "S")
    >>> print(to_mermaid(t).splitlines()[0])
    flowchart LR
    >>> [n.kind for n in topology_graph(t).nodes.values()]
    ['source', 'sink', 'source-topic', 'sink-topic']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import extractor_name
from kstreams_nb.topology.description import Node, Processor, Sink, Source, TopologyDescription

__all__ = ["KIND_STYLES", "Group", "GraphNode", "TopologyGraph", "to_dot", "to_mermaid", "topology_graph"]

#: kind -> (fill colour, edge colour, line style, legend text), in legend order
KIND_STYLES: dict[str, tuple[str, str, str, str]] = {
    "source-topic": ("#dcedc8", "#33691e", "solid", "source topic"),
    "source": ("#a5d6a7", "#1b5e20", "solid", "source node"),
    "processor": ("#bbdefb", "#0d47a1", "solid", "processor"),
    "sink": ("#ffcc80", "#bf360c", "solid", "sink node"),
    "sink-topic": ("#ffe0b2", "#e65100", "solid", "sink topic"),
    "repartition-topic": ("#e1bee7", "#6a1b9a", "dashed", "repartition topic"),
    "store": ("#fff59d", "#f57f17", "solid", "state store"),
    "changelog-topic": ("#eeeeee", "#616161", "dotted", "changelog topic"),
    "global-store": ("#ffca28", "#5d4037", "solid", "global store"),
}


@dataclass(frozen=True)
class GraphNode:
    """One node of the picture: ``id`` (unique), ``kind`` (a key of :data:`KIND_STYLES`), Kafka's ``name``
    (a topic, processor node or store name, a pattern's regex, an extractor's class), and its ``group`` key.

    Example: ``GraphNode("topic:in", "source-topic", "in", "sub:0")``.
    """

    id: str
    kind: str
    name: str
    group: str


@dataclass(frozen=True)
class Group:
    """A horizontal band of the picture: a sub-topology, a global store, or topics shared between them.

    ``title`` is None for an unboxed band of shared topics. Example: ``Group("sub:0", "Sub-topology: 0", 0)``.
    """

    key: str
    title: str | None
    id: int | None


@dataclass
class TopologyGraph:
    """Nodes (insertion order), edges ``(source id, target id, kind)`` and groups (drawing order).

    Edge kinds: ``read`` (topic → source), ``stream`` (parent → child), ``write`` (sink → topic), ``store``
    (processor → store), ``changelog`` (store → changelog topic). ``text`` is the describe() text.
    Example: ``len(topology_graph(topology).edges)``.
    """

    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    text: str = ""


def resolve(obj: Any) -> tuple[TopologyDescription, Any]:
    """``(description, topology or None)`` for a Topology, a description, or an object with build()/describe().

    Example: ``description, topology = resolve(streams_builder)``.
    """
    from kstreams_nb.topology import Topology

    for _ in range(4):  # a builder's build() may return something with describe(): follow a few steps
        if isinstance(obj, TopologyDescription):
            return obj, None
        if isinstance(obj, Topology):
            return obj.describe(), obj
        if callable(getattr(obj, "build", None)):
            obj = obj.build()
        elif callable(getattr(obj, "describe", None)):
            obj = obj.describe()
        else:
            break
    raise TopologyError(
        f"cannot draw {type(obj).__name__!r}: pass a Topology, a TopologyDescription (TopologyDescription.parse() "
        "reads Java's describe() text) or a builder with build()"
    )


def _processor_kind(node: Node) -> str:
    return "source" if isinstance(node, Source) else "sink" if isinstance(node, Sink) else "processor"


def topology_graph(obj: Any) -> TopologyGraph:
    """Build the :class:`TopologyGraph` of ``obj`` (see the module docstring).

    Example: ``sorted(n.name for n in topology_graph(topology).nodes.values() if n.kind == "store")``.
    """
    description, topology = resolve(obj)
    internal: set[str] = set()
    logged: set[str] = set()
    if topology is not None:
        builder = topology.internal_builder
        internal = set(builder.internal_topics)
        logged = {name for name, spec in builder.stores.items() if spec.logging_enabled}
    graph = TopologyGraph(text=str(description))
    readers: dict[str, list[str]] = {}  # topic node id -> groups reading it
    writers: dict[str, list[str]] = {}
    topic_names: dict[str, str] = {}

    def add(node_id: str, kind: str, name: str, group: str) -> str:
        if node_id not in graph.nodes:
            graph.nodes[node_id] = GraphNode(node_id, kind, name, group)
        return node_id

    def add_topic(node_id: str, name: str, group: str, uses: dict[str, list[str]]) -> str:
        graph.nodes.setdefault(node_id, GraphNode(node_id, "", name, ""))  # kind and group set below
        topic_names[node_id] = name
        uses.setdefault(node_id, []).append(group)
        return node_id

    blocks: list[tuple[int, str, str, tuple[Node, ...]]] = [
        (s.id, f"sub:{s.id}", f"Sub-topology: {s.id}", s.nodes) for s in description.subtopologies
    ]
    blocks += [
        (g.id, f"global:{g.id}", f"Sub-topology: {g.id} (global store)", (g.source, g.processor))
        for g in description.global_stores
    ]
    blocks.sort()
    global_processors = {g.processor.name for g in description.global_stores}
    for gid, key, title, nodes in blocks:
        graph.groups.append(Group(key, title, gid))
        for node in nodes:
            add(f"node:{node.name}", _processor_kind(node), node.name, key)
        for node in nodes:
            me = f"node:{node.name}"
            if isinstance(node, Source):
                if node.topics is not None:
                    for topic in node.topics:
                        graph.edges.append((add_topic(f"topic:{topic}", topic, key, readers), me, "read"))
                elif node.topic_pattern is not None:
                    regex = node.topic_pattern.pattern
                    graph.edges.append((add_topic(f"pattern:{regex}", regex, key, readers), me, "read"))
            elif isinstance(node, Sink):
                if node.topic is not None:
                    graph.edges.append((me, add_topic(f"topic:{node.topic}", node.topic, key, writers), "write"))
                else:
                    shown = extractor_name(node.topic_name_extractor)
                    graph.edges.append((me, add_topic(f"extractor:{node.name}", shown, key, writers), "write"))
            elif isinstance(node, Processor):
                for store in node.stores:
                    kind = "global-store" if node.name in global_processors else "store"
                    fresh = f"store:{store}" not in graph.nodes
                    graph.edges.append((me, add(f"store:{store}", kind, store, key), "store"))
                    if fresh and store in logged:
                        changelog = f"{store}-changelog"
                        add(f"changelog:{changelog}", "changelog-topic", changelog, key)
                        graph.edges.append((f"store:{store}", f"changelog:{changelog}", "changelog"))
            graph.edges.extend((me, f"node:{s.name}", "stream") for s in node.successors)
    _place_topics(graph, readers, writers, topic_names, internal)
    return graph


def _place_topics(
    graph: TopologyGraph,
    readers: dict[str, list[str]],
    writers: dict[str, list[str]],
    names: dict[str, str],
    internal: set[str],
) -> None:
    """Give each topic its kind and band: the band of the one group touching it, else a shared band."""
    shared_after: dict[str, list[str]] = {}
    for node_id, name in names.items():
        groups = list(dict.fromkeys(writers.get(node_id, []) + readers.get(node_id, [])))
        if name.endswith("-repartition") or name in internal:
            kind = "repartition-topic"
        else:
            kind = "source-topic" if node_id in readers else "sink-topic"
        band = groups[0]
        if len(groups) > 1:
            shared_after.setdefault(band, []).append(node_id)
            band = f"topics:{band}"
        graph.nodes[node_id] = GraphNode(node_id, kind, name, band)
    ordered: list[Group] = []
    for group in graph.groups:
        ordered.append(group)
        if group.key in shared_after:
            ordered.append(Group(f"topics:{group.key}", None, None))
    graph.groups = ordered


# ------------------------------------------------------------------------------------------------- text exports

_DOT_SHAPES = {
    "source-topic": "ellipse",
    "sink-topic": "ellipse",
    "repartition-topic": "ellipse",
    "changelog-topic": "ellipse",
    "source": "cds",
    "processor": "box",
    "sink": "cds",
    "store": "cylinder",
    "global-store": "cylinder",
}
_MERMAID_SHAPES = {
    "source-topic": ('(["', '"])'),
    "sink-topic": ('(["', '"])'),
    "repartition-topic": ('(["', '"])'),
    "changelog-topic": ('(["', '"])'),
    "source": ('>"', '"]'),
    "processor": ('["', '"]'),
    "sink": ('[["', '"]]'),
    "store": ('[("', '")]'),
    "global-store": ('[("', '")]'),
}


def _entities(text: str, safe: str) -> str:
    """Characters outside ASCII letters, digits and ``safe`` as numeric character references (``&#NN;``)."""
    return "".join(c if (c.isascii() and c.isalnum()) or c in safe else f"&#{ord(c)};" for c in text)


def _ids(graph: TopologyGraph) -> dict[str, str]:
    """Short, always-valid identifiers in node order; the names travel in (escaped) labels."""
    return {node_id: f"n{i}" for i, node_id in enumerate(graph.nodes)}


def _grouped(
    graph: TopologyGraph,
    node_line: Callable[[GraphNode, str], str],
    opening: Callable[[Group], list[str]],
    closing: str,
) -> list[str]:
    """Node lines band by band: a boxed band inside ``opening``/``closing`` lines, shared topics bare."""
    lines: list[str] = []
    for group in graph.groups:
        members = [n for n in graph.nodes.values() if n.group == group.key]
        if group.title is None:
            lines.extend(node_line(n, "  ") for n in members)
            continue
        lines.extend(opening(group))
        lines.extend(node_line(n, "    ") for n in members)
        lines.append(closing)
    return lines


def to_dot(obj: Any) -> str:
    """Graphviz DOT text: ``digraph`` with ``rankdir=LR`` and a ``subgraph cluster_N`` per sub-topology.

    Labels are HTML-like strings with every special character as an entity, so any name (unicode, quotes,
    backslashes) is safe. Example: ``subprocess.run(["dot", "-Tsvg"], input=to_dot(topology), text=True)``.
    """
    graph = topology_graph(obj)
    ids = _ids(graph)
    lines = [
        "digraph topology {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10, style=filled];',
        '  edge [color="#455a64"];',
    ]

    def node_line(node: GraphNode, indent: str) -> str:
        fill, edge, line_style, _ = KIND_STYLES[node.kind]
        style = "filled" if line_style == "solid" else f"filled,{line_style}"
        extra = ", peripheries=2" if node.kind == "global-store" else ""
        return (
            f"{indent}{ids[node.id]} [label=<{_entities(node.name, ' -_.:/')}>, shape={_DOT_SHAPES[node.kind]}, "
            f'style="{style}", fillcolor="{fill}", color="{edge}"{extra}];'
        )

    lines += _grouped(
        graph,
        node_line,
        lambda g: [f"  subgraph cluster_{g.id} {{", f'    label="{g.title}";', '    style="rounded"; color="#90a4ae";'],
        "  }",
    )
    for src, dst, kind in graph.edges:
        style = " [style=dashed]" if kind in ("store", "changelog") else ""
        lines.append(f"  {ids[src]} -> {ids[dst]}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid's entity codes are '#NN;' (decimal); quotes, '#' and markup characters must be coded
    return "".join(f"#{ord(c)};" if c in '"#&<>`\\' else c for c in text)


def to_mermaid(obj: Any) -> str:
    """Mermaid text: ``flowchart LR`` with a ``subgraph`` per sub-topology and a class per node kind.

    Example: ``print(to_mermaid(topology))`` and paste into a Markdown ```mermaid block.
    """
    graph = topology_graph(obj)
    ids = _ids(graph)
    lines = ["flowchart LR"]

    def node_line(node: GraphNode, indent: str) -> str:
        opening, closing = _MERMAID_SHAPES[node.kind]
        return f"{indent}{ids[node.id]}{opening}{_mermaid_text(node.name)}{closing}"

    lines += _grouped(graph, node_line, lambda g: [f'  subgraph {g.key.replace(":", "_")} ["{g.title}"]'], "  end")
    for src, dst, kind in graph.edges:
        arrow = "-.->" if kind in ("store", "changelog") else "-->"
        lines.append(f"  {ids[src]} {arrow} {ids[dst]}")
    for kind, (fill, edge, line_style, _) in KIND_STYLES.items():
        used = [ids[n.id] for n in graph.nodes.values() if n.kind == kind]
        if not used:
            continue
        name = kind.replace("-", "_")
        dash = {"dashed": ",stroke-dasharray:5 3", "dotted": ",stroke-dasharray:2 2"}.get(line_style, "")
        lines.append(f"  classDef {name} fill:{fill},stroke:{edge}{dash}")
        lines.append(f"  class {','.join(used)} {name}")
    return "\n".join(lines) + "\n"
