"""Topology.to_networkx(): processor nodes, topics and stores as one networkx DiGraph."""

from __future__ import annotations

import re

import pytest

from kstreams_nb.errors import TopologyError
from kstreams_nb.topology import Topology
from kstreams_nb.topology.graph import to_networkx

from ._support import Noop, route, store_builder


def build() -> Topology:
    t = Topology()
    t.add_global_store(store_builder("g", False), "gsrc", "gtopic", "gproc", Noop)
    t.add_source("src", "in-a", "in-b")
    t.add_source("pat", pattern=re.compile(r"p-\d+"))
    t.add_processor("proc", Noop, "src", "pat")
    t.add_state_store(store_builder("counts"), "proc")
    t.add_state_store(store_builder("quiet", logging_enabled=False), "proc")
    t.add_state_store(store_builder("unused"))
    t.add_sink("fixed", "out", "proc")
    t.add_sink("dynamic", route, "proc")
    t.add_sink("to-repartition", "app-KSTREAM-MAP-0000000001-repartition", "proc")
    t.internal_builder.add_internal_topic("app-KSTREAM-MAP-0000000001-repartition")
    return t


def test_processor_nodes() -> None:
    g = build().to_networkx()
    assert g.nodes["src"] == {
        "kind": "source",
        "subtopology": 1,
        "topics": ["in-a", "in-b"],
        "pattern": None,
        "extractor": None,
        "stores": [],
        "is_global": False,
    }
    assert g.nodes["pat"]["pattern"] == r"p-\d+" and g.nodes["pat"]["topics"] == []
    assert g.nodes["proc"]["kind"] == "processor"
    assert g.nodes["proc"]["stores"] == ["counts", "quiet"]
    assert g.nodes["fixed"]["kind"] == "sink" and g.nodes["fixed"]["topics"] == ["out"]
    assert g.nodes["dynamic"]["topics"] == [] and g.nodes["dynamic"]["extractor"].endswith(".route")
    assert g.nodes["gsrc"]["is_global"] and g.nodes["gproc"]["is_global"]
    assert g.nodes["gsrc"]["subtopology"] == 0 and g.nodes["gproc"]["stores"] == ["g"]


def test_topic_nodes_and_edges() -> None:
    g = build().to_networkx()
    assert g.nodes["topic:in-a"] == {"kind": "topic", "name": "in-a", "internal": False}
    assert g.nodes["topic:app-KSTREAM-MAP-0000000001-repartition"]["internal"] is True
    assert g.edges["topic:in-a", "src"]["kind"] == "read"
    assert g.edges["topic:gtopic", "gsrc"]["kind"] == "read"
    assert g.edges["fixed", "topic:out"]["kind"] == "write"
    assert not any(n.startswith("topic:p-") for n in g.nodes)  # a pattern has no topic node
    assert g.edges["src", "proc"]["kind"] == "stream"
    assert g.edges["pat", "proc"]["kind"] == "stream"
    assert g.edges["proc", "dynamic"]["kind"] == "stream"


def test_store_nodes() -> None:
    g = build().to_networkx()
    assert g.nodes["store:counts"] == {
        "kind": "store",
        "name": "counts",
        "changelog": "counts-changelog",
        "is_global": False,
        "subtopology": 1,
    }
    assert g.nodes["store:quiet"]["changelog"] is None
    assert g.nodes["store:g"]["changelog"] is None and g.nodes["store:g"]["is_global"] is True
    assert g.nodes["store:unused"]["subtopology"] is None
    assert g.edges["proc", "store:counts"]["kind"] == "store"
    assert g.edges["gproc", "store:g"]["kind"] == "store"
    assert g.in_degree("store:unused") == 0


def test_subtopologies_attribute() -> None:
    t = build()
    g = t.to_networkx()
    assert g.graph["subtopologies"] == {
        0: ["gsrc", "gproc"],
        1: ["src", "pat", "proc", "fixed", "dynamic", "to-repartition"],
    }
    assert g.graph["subtopologies"] == t.internal_builder.node_groups()


def test_shared_topic_is_one_node() -> None:
    t = Topology().add_source("s", "in").add_sink("k1", "out", "s").add_sink("k2", "out", "s")
    g = to_networkx(t.internal_builder)
    assert sorted(g.predecessors("topic:out")) == ["k1", "k2"]
    assert sum(1 for _, d in g.nodes(data=True) if d["kind"] == "topic") == 2


def test_empty_topology() -> None:
    g = Topology().to_networkx()
    assert g.number_of_nodes() == 0 and g.graph["subtopologies"] == {}


def test_reserved_name_prefix_is_rejected() -> None:
    t = Topology().add_source("topic:x", "in")
    with pytest.raises(TopologyError, match="reserved"):
        t.to_networkx()


def test_graph_is_acyclic() -> None:
    import networkx as nx

    assert nx.is_directed_acyclic_graph(build().to_networkx())
