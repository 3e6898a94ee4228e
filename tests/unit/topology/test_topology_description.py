"""TopologyDescription objects: Kafka's TopologyDescription interface, snake_cased."""

from __future__ import annotations

import random
import re

import pytest

from kstreams_nb.topology import Topology
from kstreams_nb.topology._java import to_int32
from kstreams_nb.topology.description import (
    GlobalStore,
    Node,
    Processor,
    Sink,
    Source,
    Subtopology,
    TopologyDescription,
    describe,
)

from ._support import Noop, route, store_builder


def build() -> Topology:
    t = Topology()
    t.add_global_store(store_builder("g", False), "gsrc", "gtopic", "gproc", Noop)
    t.add_source("src", "b-topic", "a-topic")
    t.add_source("pat", pattern=re.compile(r"p-\d+"))
    t.add_processor("proc", Noop, "src", "pat")
    t.add_state_store(store_builder("counts"), "proc")
    t.add_sink("fixed", "out", "proc")
    t.add_sink("dynamic", route, "proc")
    return t


def test_structure() -> None:
    d = build().describe()
    assert isinstance(d, TopologyDescription)
    assert [s.id for s in d.subtopologies] == [1]
    assert [g.id for g in d.global_stores] == [0]

    g = d.global_stores[0]
    assert isinstance(g, GlobalStore)
    assert g.source.name == "gsrc" and g.source.topics == ("gtopic",)
    assert g.processor.name == "gproc" and g.processor.stores == ("g",)
    assert g.source.successors == (g.processor,) and g.processor.predecessors == (g.source,)

    sub = d.subtopologies[0]
    assert isinstance(sub, Subtopology)
    by_name = {n.name: n for n in sub.nodes}
    assert sub.nodes[0].name in {"src", "pat"}  # sources are the largest sub-trees
    src, pat, proc = by_name["src"], by_name["pat"], by_name["proc"]
    fixed, dynamic = by_name["fixed"], by_name["dynamic"]
    assert isinstance(src, Source) and src.topics is not None and set(src.topics) == {"a-topic", "b-topic"}
    assert src.topic_set == src.topics and src.topic_pattern is None
    assert isinstance(pat, Source) and pat.topics is None
    assert pat.topic_pattern is not None and pat.topic_pattern.pattern == r"p-\d+"
    assert isinstance(proc, Processor) and proc.stores == ("counts",)
    assert {p.name for p in proc.predecessors} == {"src", "pat"}
    assert [s.name for s in proc.successors] == ["dynamic", "fixed"]
    assert isinstance(fixed, Sink) and fixed.topic == "out" and fixed.topic_name_extractor is None
    assert isinstance(dynamic, Sink) and dynamic.topic is None and dynamic.topic_name_extractor is route
    assert src.predecessors == () and fixed.successors == ()
    assert TopologyDescription.Source is Source and TopologyDescription.Sink is Sink


def test_text_of_each_node_kind() -> None:
    d = build().describe()
    by_name = {n.name: n for n in d.subtopologies[0].nodes}
    assert str(by_name["pat"]) == "Source: pat (topics: p-\\d+)\n      --> proc"
    assert str(by_name["proc"]).startswith("Processor: proc (stores: [counts])\n      --> dynamic, fixed\n      <-- ")
    assert str(by_name["fixed"]) == "Sink: fixed (topic: out)\n      <-- proc"
    ext = str(by_name["dynamic"])
    assert ext == f"Sink: dynamic (extractor class: {route.__module__}.route)\n      <-- proc"
    text = str(d)
    assert text.startswith("Topologies:\n   Sub-topology: 0 for global store (will not generate tasks)\n")
    assert "\n  Sub-topology: 1\n" in text and text.endswith("<-- proc\n\n")


def test_equality() -> None:
    assert build().describe() == build().describe()
    assert hash(build().describe()) == hash(build().describe())
    other = build().add_sink("extra", "x", "proc").describe()
    assert build().describe() != other
    assert build().describe() != "Topologies:\n "
    assert Topology().describe() == TopologyDescription()
    a, b = build().describe(), build().describe()
    assert a.subtopologies[0] == b.subtopologies[0]
    assert a.global_stores[0] == b.global_stores[0]
    assert a.subtopologies[0].nodes[0] == b.subtopologies[0].nodes[0]
    assert a.subtopologies[0].nodes[0] != a.subtopologies[0].nodes[1]


def test_named_header_and_reprs() -> None:
    assert str(TopologyDescription(name="app")) == "Topology: app:\n "
    d = build().describe()
    assert "1 sub-topologies, 1 global" in repr(d)
    assert repr(d.global_stores[0]) == "<GlobalStore 0: gsrc -> gproc>"
    assert repr(d.subtopologies[0]).startswith("<Subtopology 1: [")
    assert repr(d.global_stores[0].source) == "<Source 'gsrc'>"


def test_describe_function_and_facade_agree() -> None:
    t = build()
    assert describe(t.internal_builder) == t.describe()
    assert str(describe(t.internal_builder)) == str(t.describe())


def test_global_stores_merge_with_subtopologies_by_id() -> None:
    t = Topology()
    t.add_source("a", "ta")
    t.add_global_store(store_builder("g1", False), "gs1", "gt1", "gp1", Noop)
    t.add_global_store(store_builder("g2", False), "gs2", "gt2", "gp2", Noop)
    t.add_source("b", "tb")
    text = str(t.describe())
    heads = [line for line in text.splitlines() if "Sub-topology" in line]
    assert heads == [
        "   Sub-topology: 0",
        "  Sub-topology: 1 for global store (will not generate tasks)",
        "  Sub-topology: 2 for global store (will not generate tasks)",
        "  Sub-topology: 3",
    ]


def test_deep_diamonds_stay_fast() -> None:
    # every layer doubles the number of paths: a literal port of Kafka's recursive updateSize walks each one
    t = Topology().add_source("s", "in")
    prev = ["s"]
    for layer in range(25):
        left, right = f"l{layer}", f"r{layer}"
        t.add_processor(left, Noop, *prev)
        t.add_processor(right, Noop, *prev)
        prev = [left, right]
    d = t.describe()
    assert d.subtopologies[0].nodes[0].name == "s"
    assert len(d.subtopologies[0].nodes) == 51
    assert d.subtopologies[0].nodes[0]._size == 2**26 - 1


def test_path_counting_update_size_equals_kafkas_recursion(monkeypatch: pytest.MonkeyPatch) -> None:
    import kstreams_nb.topology.description as description

    def recursive(node: Node, delta: int) -> None:  # Kafka's updateSize, literally
        node._size = to_int32(node._size + delta)
        for p in node._preds:
            recursive(p, delta)

    rng = random.Random(7)
    for _ in range(20):
        t = Topology().add_source("s0", "t0").add_source("s1", "t1")
        pool = ["s0", "s1"]
        for i in range(25):
            parents = rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
            name = f"n{rng.randint(0, 99)}-{i}"
            t.add_processor(name, Noop, *parents)
            pool.append(name)
        fast = str(t.describe())
        monkeypatch.setattr(description, "_update_size", recursive)
        assert str(t.describe()) == fast
        monkeypatch.undo()
