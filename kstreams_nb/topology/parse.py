"""Parse the ``describe()`` text of any Kafka Streams application back into a :class:`TopologyDescription`.

Java users print ``topology.describe()`` and paste the text; :func:`parse` rebuilds the same description
objects (sub-topologies, global stores, sources, processors, sinks, with predecessors and successors wired),
so the text can be drawn or exported like a description made in Python. ``str()`` of the result reproduces
Kafka's text: node, topic, store and arrow orders are kept as printed.

Accepted lines (leading spaces do not matter, blank lines are skipped):

- ``Topologies:`` or ``Topology: <name>:`` (first line);
- ``Sub-topology: <id>`` and ``Sub-topology: <id> for global store (will not generate tasks)``;
- ``Source: <name> (topics: [a, b])``, ``Source: <name> (topics: <regex>)``, ``Source: <name> (topicPattern:
  <regex>)``; ``Processor: <name> (stores: [s])``; ``Sink: <name> (topic: t)`` or ``Sink: <name> (extractor
  class: <class>)``;
- ``--> a, b`` (successors) and ``<-- a, b`` (predecessors) under a node; ``none`` for an empty list.

Example::

    >>> text = "Topologies:\\n   Sub-topology: 0\\n    Source: in (topics: [t])\\n      --> out\\n" \\
    ...        "    Sink: out (topic: u)\\n      <-- in\\n\\n"
    >>> d = parse(text)
    >>> [n.name for n in d.subtopologies[0].nodes], str(d) == text
    (['in', 'out'], True)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from kstreams_nb.errors import TopologyError

if TYPE_CHECKING:
    from kstreams_nb.topology.description import Node, TopologyDescription

__all__ = ["parse"]

_HEADER = re.compile(r"^(?:Topologies:|Topology: (?P<name>.*):)$")
_SUBTOPOLOGY = re.compile(r"^Sub-topology: (?P<id>\d+)(?P<global> for global store \(will not generate tasks\))?$")
_NODE = re.compile(
    r"^(?P<kind>Source|Processor|Sink): (?P<name>.*) "
    r"\((?P<field>topics|topicPattern|stores|topic|extractor class): (?P<detail>.*)\)$"
)
_ARROW = re.compile(r"^(?P<dir>-->|<--) ?(?P<names>.*)$")
_FIELDS = {"Source": ("topics", "topicPattern"), "Processor": ("stores",), "Sink": ("topic", "extractor class")}


class _TopicPattern:
    """A source pattern that Python's ``re`` cannot compile (Java regex syntax); kept as text."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __repr__(self) -> str:
        return f"_TopicPattern({self.pattern!r})"


def _extractor(display: str) -> Callable[..., str]:
    """A stand-in for a Java TopicNameExtractor: its display name is ``display``; calling it is an error."""

    def extractor(key: Any, value: Any, record_context: Any) -> str:
        raise TopologyError(f"the extractor {display!r} was parsed from describe() text and cannot be called")

    module, _, qualname = display.rpartition(".")
    extractor.__module__ = module or "builtins"
    extractor.__qualname__ = qualname
    return extractor


@dataclass
class _NodeDecl:
    kind: str
    name: str
    key: str
    detail: str
    line: int
    arrows: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass
class _GroupDecl:
    id: int
    is_global: bool
    line: int
    nodes: list[_NodeDecl] = field(default_factory=list)


def _error(line_no: int, line: str, what: str) -> TopologyError:
    return TopologyError(
        f"line {line_no}: {line!r}: {what}; TopologyDescription.parse() expects the text that Kafka Streams' "
        "Topology.describe() prints (Topologies:, Sub-topology: N, Source:/Processor:/Sink: lines, --> and <--)"
    )


def _split_list(text: str) -> list[str]:
    """``[a, b]`` → ``["a", "b"]``; ``[]`` → ``[]``."""
    inner = text[1:-1]
    return inner.split(", ") if inner else []


def _read_lines(text: str) -> tuple[str | None, list[_GroupDecl]]:
    lines = text.splitlines()
    if not lines or not _HEADER.match(lines[0].strip()):
        first = lines[0] if lines else ""
        raise _error(1, first, "the first line must be 'Topologies:' or 'Topology: <name>:'")
    header = _HEADER.match(lines[0].strip())
    assert header is not None
    groups: list[_GroupDecl] = []
    seen_ids: set[int] = set()
    node: _NodeDecl | None = None
    for line_no, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line:
            continue
        if m := _SUBTOPOLOGY.match(line):
            gid = int(m["id"])
            if gid in seen_ids:
                raise _error(line_no, raw, f"sub-topology {gid} appears twice")
            seen_ids.add(gid)
            groups.append(_GroupDecl(gid, m["global"] is not None, line_no))
            node = None
        elif m := _NODE.match(line):
            if not groups:
                raise _error(line_no, raw, "a node line before any 'Sub-topology: N' line")
            if m["field"] not in _FIELDS[m["kind"]]:
                raise _error(line_no, raw, f"a {m['kind']} has no {m['field']!r}")
            node = _NodeDecl(m["kind"], m["name"], m["field"], m["detail"], line_no)
            groups[-1].nodes.append(node)
        elif m := _ARROW.match(line):
            if node is None:
                raise _error(line_no, raw, "an arrow line that follows no node line")
            if m["dir"] in node.arrows:
                raise _error(line_no, raw, f"a second {m['dir']} line for node {node.name!r}")
            node.arrows[m["dir"]] = (line_no, m["names"])
        else:
            raise _error(line_no, raw, "not a line of describe() output")
    return header["name"], groups


def _resolve_names(text: str, known: set[str], line_no: int, line: str) -> list[str]:
    """Split an arrow list on ', ', re-joining pieces until each is a known name (names may contain ', ')."""
    if text == "none" and "none" not in known:
        return []
    names: list[str] = []
    pending: list[str] = []
    for piece in text.split(", "):
        pending.append(piece)
        candidate = ", ".join(pending)
        if candidate in known:
            names.append(candidate)
            pending = []
    if pending:
        raise _error(line_no, line, f"unknown node {', '.join(pending)!r} (not declared in this sub-topology)")
    return names


def _make_node(decl: _NodeDecl) -> Node:
    from kstreams_nb.topology.description import Processor, Sink, Source

    if decl.kind == "Source":
        if decl.key == "topics" and decl.detail.startswith("[") and decl.detail.endswith("]"):
            return Source(decl.name, _split_list(decl.detail), None)
        try:
            pattern: Any = re.compile(decl.detail)
        except re.error:
            pattern = _TopicPattern(decl.detail)
        return Source(decl.name, None, cast("re.Pattern[str]", pattern))
    if decl.kind == "Processor":
        if not (decl.detail.startswith("[") and decl.detail.endswith("]")):
            raise _error(decl.line, decl.detail, "stores must be a list like [a, b]")
        return Processor(decl.name, _split_list(decl.detail))
    if decl.key == "topic":
        return Sink(decl.name, decl.detail, None)
    return Sink(decl.name, None, _extractor(decl.detail))


def _wire(group: _GroupDecl, lines: list[str]) -> list[Node]:
    by_name: dict[str, Node] = {}
    for decl in group.nodes:
        if decl.name in by_name:
            raise _error(decl.line, lines[decl.line - 1], f"node {decl.name!r} is declared twice")
        by_name[decl.name] = _make_node(decl)
    known = set(by_name)
    succs: dict[str, list[str]] = {n: [] for n in by_name}
    preds: dict[str, list[str]] = {n: [] for n in by_name}
    for decl in group.nodes:
        for direction, (line_no, names) in decl.arrows.items():
            target = succs if direction == "-->" else preds
            target[decl.name] = _resolve_names(names, known, line_no, lines[line_no - 1])
    # each edge may be printed on one side only (a source has no <--, a sink no -->): take the union
    for name in by_name:
        for succ in succs[name]:
            if name not in preds[succ]:
                preds[succ].append(name)
        for pred in preds[name]:
            if name not in succs[pred]:
                succs[pred].append(name)
    for name, node in by_name.items():
        node.successors = tuple(by_name[s] for s in succs[name])
        node.predecessors = tuple(by_name[p] for p in preds[name])
    return list(by_name.values())


def parse(text: str) -> TopologyDescription:
    """Parse Kafka Streams ``describe()`` text into a :class:`TopologyDescription` (see the module docstring).

    Raises :class:`~kstreams_nb.errors.TopologyError` naming the line number and content of the first line
    that is not ``describe()`` output. Example: ``draw(TopologyDescription.parse(java_text))``.
    """
    from kstreams_nb.topology.description import GlobalStore, Processor, Source, Subtopology, TopologyDescription

    if not isinstance(text, str):
        raise TopologyError(f"TopologyDescription.parse() takes the describe() text as a str, not {type(text)!r}")
    name, groups = _read_lines(text)
    lines = text.splitlines()
    subtopologies: list[Subtopology] = []
    global_stores: list[GlobalStore] = []
    for group in groups:
        nodes = _wire(group, lines)
        if not group.is_global:
            subtopologies.append(Subtopology(group.id, nodes))
            continue
        sources = [n for n in nodes if isinstance(n, Source)]
        processors = [n for n in nodes if isinstance(n, Processor)]
        if (
            len(nodes) != 2
            or len(sources) != 1
            or len(processors) != 1
            or sources[0].topics is None
            or len(sources[0].topics) != 1
            or len(processors[0].stores) != 1
        ):
            raise _error(
                group.line,
                lines[group.line - 1],
                "a global store block needs one Source with one topic and one Processor with one store",
            )
        source, processor = sources[0], processors[0]
        assert source.topics is not None
        global_stores.append(GlobalStore(source.name, processor.name, processor.stores[0], source.topics[0], group.id))
    return TopologyDescription(subtopologies, global_stores, name=name)
