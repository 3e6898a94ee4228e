"""TopologyDescription.parse(): Kafka's describe() text back into description objects."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import extractor_name
from kstreams_nb.topology.description import Processor, Sink, Source, TopologyDescription

from ._golden import FIXTURE_NAMES, fixture, topologies


def shape(d: TopologyDescription) -> dict[str, set[Any]]:
    """Node, edge, store, topic and group sets of a description (orders ignored)."""
    out: dict[str, set[Any]] = {k: set() for k in ("nodes", "edges", "stores", "topics", "groups")}
    blocks = [(s.id, False, s.nodes) for s in d.subtopologies]
    blocks += [(g.id, True, (g.source, g.processor)) for g in d.global_stores]
    for gid, is_global, nodes in blocks:
        out["groups"].add((gid, is_global, frozenset(n.name for n in nodes)))
        for n in nodes:
            out["nodes"].add((n.kind, n.name))
            out["edges"] |= {(n.name, s.name) for s in n.successors} | {(p.name, n.name) for p in n.predecessors}
            if isinstance(n, Processor):
                out["stores"] |= {(n.name, s) for s in n.stores}
            elif isinstance(n, Source):
                if n.topics is not None:
                    out["topics"] |= {("read", n.name, t) for t in n.topics}
                else:
                    assert n.topic_pattern is not None
                    out["topics"].add(("pattern", n.name, n.topic_pattern.pattern))
            elif isinstance(n, Sink):
                shown = n.topic if n.topic is not None else extractor_name(n.topic_name_extractor)
                out["topics"].add(("write", n.name, shown))
    return out


def text_shape(text: str) -> dict[str, set[Any]]:
    """The same sets read from the text with plain regexes (independent of the parser)."""
    out: dict[str, set[Any]] = {k: set() for k in ("nodes", "edges", "stores", "topics")}
    current = ""
    for line in text.splitlines():
        if m := re.match(r"^ {4}(Source|Processor|Sink): (.*) \((topics|stores|topic|extractor class): (.*)\)$", line):
            kind, current, fld, detail = m.groups()
            out["nodes"].add((kind.lower(), current))
            items = detail[1:-1].split(", ") if detail.startswith("[") and detail != "[]" else []
            if fld == "stores":
                out["stores"] |= {(current, s) for s in items}
            elif fld == "topics":
                out["topics"] |= {("read", current, t) for t in items} or {("pattern", current, detail)}
            else:
                out["topics"].add(("write", current, detail))
        elif m := re.match(r"^ {6}(-->|<--) (.*)$", line):
            names = [] if m[2] == "none" else m[2].split(", ")
            out["edges"] |= {(current, n) if m[1] == "-->" else (n, current) for n in names}
    return out


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_golden_fixture_round_trips(name: str) -> None:
    text = fixture(name)
    parsed = TopologyDescription.parse(text)
    assert str(parsed) == text
    assert str(TopologyDescription.parse(str(parsed))) == text
    built = topologies().TOPOLOGIES[name]().describe()
    assert shape(parsed) == shape(built)
    got = shape(parsed)
    assert {k: got[k] for k in ("nodes", "edges", "stores", "topics")} == text_shape(text)
    if not any(isinstance(n, Sink) and n.topic is None for s in built.subtopologies for n in s.nodes):
        assert parsed == built  # description equality (an extractor is a different callable once parsed)


def test_wiring_and_kinds() -> None:
    d = TopologyDescription.parse(fixture("dsl_wordcount"))
    first, second = d.subtopologies
    source = first.nodes[0]
    assert isinstance(source, Source) and source.topics == ("streams-plaintext-input",)
    assert [n.name for n in source.successors] == ["KSTREAM-FLATMAPVALUES-0000000001"]
    assert source.successors[0].predecessors == (source,)
    aggregate = second.nodes[1]
    assert isinstance(aggregate, Processor) and aggregate.stores == ("KSTREAM-AGGREGATE-STATE-STORE-0000000003",)
    sink = second.nodes[-1]
    assert isinstance(sink, Sink) and sink.topic == "streams-wordcount-output" and sink.successors == ()


def test_global_store_and_named_header() -> None:
    text = fixture("global_store_first").replace("Topologies:", "Topology: my-app:", 1)
    d = TopologyDescription.parse(text)
    assert d.name == "my-app" and str(d) == text
    (g,) = d.global_stores
    assert (g.id, g.source.topics, g.processor.stores) == (0, ("global-topic",), ("globalStore",))


def test_java_only_pattern_and_extractor() -> None:
    text = (
        "Topologies:\n   Sub-topology: 0\n    Source: src (topics: orders-\\p{Alpha}+)\n      --> out\n"
        "    Sink: out (extractor class: com.example.Router$$Lambda/0x0000000800c03000)\n      <-- src\n\n"
    )
    d = TopologyDescription.parse(text)
    assert str(d) == text
    source, sink = d.subtopologies[0].nodes
    assert isinstance(source, Source) and source.topic_pattern is not None
    assert source.topic_pattern.pattern == "orders-\\p{Alpha}+"
    assert isinstance(sink, Sink) and sink.topic_name_extractor is not None
    with pytest.raises(TopologyError, match="parsed from describe"):
        sink.topic_name_extractor("k", "v", None)


def test_older_topic_pattern_field_and_names_with_commas() -> None:
    text = (
        "Topologies:\n   Sub-topology: 0\n    Source: in (topicPattern: t-.*)\n      --> a, b, c\n"
        "    Processor: a, b (stores: [s1, s2])\n      --> none\n      <-- in\n"
        "    Processor: c (stores: [])\n      --> none\n      <-- in\n\n"
    )
    d = TopologyDescription.parse(text)
    source = d.subtopologies[0].nodes[0]
    assert [n.name for n in source.successors] == ["a, b", "c"]
    assert isinstance(source, Source) and source.topics is None and source.topic_pattern is not None
    assert d.subtopologies[0].nodes[1].predecessors == (source,)


def test_one_sided_arrows_are_wired_both_ways() -> None:
    d = TopologyDescription.parse(
        "Topologies:\n  Sub-topology: 0\n    Source: s (topics: [t])\n      --> k\n    Sink: k (topic: u)\n"
    )
    s, k = d.subtopologies[0].nodes
    assert k.predecessors == (s,)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("hello world", 1, "first line must be"),
        ("", 1, "first line must be"),
        ("Topologies:\n   Sub-topology: 0\n    Source: s (topics: [t])\n    what is this\n", 4, "not a line"),
        ("Topologies:\n    Source: s (topics: [t])\n", 2, "before any 'Sub-topology"),
        ("Topologies:\n  Sub-topology: 0\n      --> x\n", 3, "follows no node"),
        ("Topologies:\n  Sub-topology: 0\n    Source: s (topics: [t])\n      --> ghost\n", 4, "unknown node 'ghost'"),
        ("Topologies:\n  Sub-topology: 0\n  Sub-topology: 0\n", 3, "appears twice"),
        ("Topologies:\n  Sub-topology: 0\n    Sink: k (stores: [])\n", 3, "a Sink has no 'stores'"),
        ("Topologies:\n  Sub-topology: 0\n    Sink: k (topic: a)\n    Sink: k (topic: b)\n", 4, "declared twice"),
        ("Topologies:\n  Sub-topology: 0\n    Source: s (topics: [t])\n      --> none\n      --> none\n", 5, "second"),
        (
            "Topologies:\n  Sub-topology: 0 for global store (will not generate tasks)\n    Source: s (topics: [t])\n",
            2,
            "global store block",
        ),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(TopologyError, match=rf"^line {line}: .*{re.escape(words)}") as info:
        TopologyDescription.parse(text)
    assert "describe()" in str(info.value)
    lines = text.splitlines() or [""]
    assert repr(lines[line - 1]) in str(info.value)


def test_non_text_is_refused() -> None:
    with pytest.raises(TopologyError, match="takes the describe\\(\\) text as a str"):
        TopologyDescription.parse(b"Topologies:")  # type: ignore[arg-type]
