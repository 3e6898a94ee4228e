"""to_dot() / to_mermaid() and the graph they share with draw()."""

from __future__ import annotations

import re

import pytest

from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.errors import TopologyError
from kstreams_nb.topology import Topology
from kstreams_nb.topology.description import TopologyDescription
from kstreams_nb.topology.export import to_dot, to_mermaid, topology_graph

from ._golden import fixture, topologies
from ._support import Noop, route, store_builder


def wordcount() -> Topology:
    return topologies().dsl_wordcount()  # type: ignore[no-any-return]


def test_dot_structure_of_wordcount() -> None:
    dot = wordcount().to_dot()
    lines = dot.splitlines()
    assert lines[:2] == ["digraph topology {", "  rankdir=LR;"] and lines[-1] == "}"
    assert dot.count("subgraph cluster_") == 2
    assert 'label="Sub-topology: 0";' in dot and 'label="Sub-topology: 1";' in dot
    node_lines = [line for line in lines if re.match(r"^\s+n\d+ \[label=", line)]
    edge_lines = [line for line in lines if " -> " in line]
    # 5 + 4 nodes, 3 topics (in, repartition, out), 1 store, 1 changelog
    assert len(node_lines) == 14 and len(edge_lines) == 13
    shapes = {
        re.search(r"label=<([^>]*)>", line)[1]: re.search(r"shape=(\w+)", line)[1]  # type: ignore[index]
        for line in node_lines
    }
    assert shapes["KSTREAM-SOURCE-0000000000"] == "cds"
    assert shapes["KSTREAM-FILTER-0000000006"] == "box"
    assert shapes["KSTREAM-AGGREGATE-STATE-STORE-0000000003"] == "cylinder"
    assert shapes["streams-wordcount-output"] == "ellipse"
    repartition = next(line for line in node_lines if "-repartition>" in line)
    assert "dashed" in repartition
    # the repartition topic sits between the clusters, not in one
    cluster_1 = lines.index("  subgraph cluster_1 {")
    assert lines.index(repartition) < cluster_1 and repartition.startswith("  n")
    assert sum("[style=dashed]" in line for line in edge_lines) == 2  # store access and changelog


def test_mermaid_structure_of_wordcount() -> None:
    text = wordcount().to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  subgraph sub_0 ["Sub-topology: 0"]' in lines and '  subgraph sub_1 ["Sub-topology: 1"]' in lines
    assert lines.count("  end") == 2
    assert sum(" --> " in line for line in lines) == 11 and sum(" -.-> " in line for line in lines) == 2
    assert '[("KSTREAM-AGGREGATE-STATE-STORE-0000000003")]' in text  # a store is a cylinder
    assert any(line.startswith("  classDef repartition_topic") for line in lines)


def test_description_exports_have_no_changelog() -> None:
    t = wordcount()
    assert "changelog" in t.to_dot() and "changelog" not in t.describe().to_dot()
    parsed = TopologyDescription.parse(fixture("dsl_wordcount"))
    assert parsed.to_dot() == t.describe().to_dot()
    assert parsed.to_mermaid() == t.describe().to_mermaid()


def test_exports_are_deterministic() -> None:
    assert wordcount().to_dot() == wordcount().to_dot()
    assert wordcount().to_mermaid() == wordcount().to_mermaid()


def test_awkward_names_are_escaped() -> None:
    t = (
        Topology()
        .add_source('sr"c', "in.topic", "t\\")
        .add_processor("p<b>&#1;", Noop, 'sr"c')
        .add_sink("s\u00fc\U0001f600 ]", "out-\u00e9", "p<b>&#1;")
    )
    dot = to_dot(t)
    for line in dot.splitlines():
        if "label=<" in line:
            label = re.search(r"label=<([^>]*)>", line)
            assert label is not None and not set(label[1]) & set('"<>\\')
    assert "&#34;" in dot and "&#92;" in dot and "&#128512;" in dot
    mermaid = to_mermaid(t)
    assert "sr#34;c" in mermaid and "t#92;" in mermaid and "p#60;b#62;#38;#35;1;" in mermaid
    assert "s\u00fc\U0001f600 ]" in mermaid  # unicode travels as is inside a quoted label
    for line in mermaid.splitlines():
        if re.match(r"^\s+n\d+[\[(>]", line):
            assert line.count('"') == 2


def test_graph_kinds_and_bands() -> None:
    t = Topology()
    t.add_global_store(store_builder("g", False), "gsrc", "gtopic", "gproc", Noop)
    t.add_source("pat", pattern=re.compile(r"p-\d+"))
    t.add_processor("proc", Noop, "pat")
    t.add_state_store(store_builder("counts"), "proc")
    t.add_state_store(store_builder("quiet", logging_enabled=False), "proc")
    t.add_sink("dynamic", route, "proc")
    t.add_sink("to-other", "through", "proc")
    t.add_source("other", "through")
    t.add_sink("final", "out", "other")
    g = topology_graph(t)
    kinds = {n.id: n.kind for n in g.nodes.values()}
    assert kinds["store:g"] == "global-store" and kinds["store:counts"] == "store"
    assert kinds["pattern:p-\\d+"] == "source-topic" and kinds["extractor:dynamic"] == "sink-topic"
    assert kinds["changelog:counts-changelog"] == "changelog-topic" and "changelog:quiet-changelog" not in kinds
    assert kinds["topic:through"] == "source-topic"  # written by one sub-topology, read by another
    assert [(gr.key, gr.title) for gr in g.groups] == [
        ("global:0", "Sub-topology: 0 (global store)"),
        ("sub:1", "Sub-topology: 1"),
        ("topics:sub:1", None),
        ("sub:2", "Sub-topology: 2"),
    ]
    assert g.nodes["topic:through"].group == "topics:sub:1" and g.nodes["topic:out"].group == "sub:2"
    assert len(g.edges) == len(set(g.edges))


def test_builders_and_descriptions_are_accepted() -> None:
    b = StreamsBuilder()
    b.stream("in").filter(lambda k, v: True).to("out")
    assert to_mermaid(b) == to_mermaid(b.build()) == to_mermaid(b.build().describe())

    class HasDescribe:
        def describe(self) -> TopologyDescription:
            return b.build().describe()

    assert to_dot(HasDescribe()) == to_dot(b)


def test_other_objects_are_refused() -> None:
    with pytest.raises(TopologyError, match="cannot draw 'int'"):
        to_dot(42)
