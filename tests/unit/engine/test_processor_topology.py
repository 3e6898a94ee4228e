"""compile_topology: an immutable copy of the topology, with broker topic names resolved in one place."""

from __future__ import annotations

import pytest

from kstreams_nb import Stores, Topology
from kstreams_nb._engine.processor_topology import (
    ProcessorDef,
    SinkDef,
    SourceDef,
    changelog_topic,
    compile_topology,
    internal_topic_name,
)
from kstreams_nb.dsl import Materialized, StreamsBuilder


class Noop:
    def init(self, context: object) -> None:
        pass

    def process(self, record: object) -> None:
        pass

    def close(self) -> None:
        pass


def test_names_of_internal_and_changelog_topics() -> None:
    assert internal_topic_name("app", "x-repartition") == "app-x-repartition"
    assert changelog_topic("app", "counts") == "app-counts-changelog"


def test_repartition_topics_and_changelogs_get_the_application_prefix() -> None:
    sb = StreamsBuilder()
    sb.stream("in").group_by(lambda k, v: v).count(materialized=Materialized.as_("counts"))
    pt = compile_topology(sb.build().internal_builder, "wc")
    sources = {t for s in pt.subtopologies for t in s.source_topics}
    repartition = [t for t in sources if t != "in"]
    assert len(repartition) == 1 and repartition[0].startswith("wc-") and repartition[0].endswith("-repartition")
    assert pt.stores["counts"].changelog == "wc-counts-changelog"
    assert pt.subtopology_of(repartition[0]) == 1 and pt.subtopology_of("in") == 0
    assert pt.subtopology_of(repartition[0].removeprefix("wc-")) is None
    sinks = [n for n in pt.nodes.values() if isinstance(n, SinkDef)]
    assert [s.topic for s in sinks] == repartition


def test_later_edits_of_the_topology_do_not_reach_the_compiled_one() -> None:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"))
    t = (
        Topology()
        .add_source("src", "in")
        .add_processor("p", Noop, "src")
        .add_state_store(store, "p")
        .add_sink("out", "o", "p")
    )
    pt = compile_topology(t.internal_builder, "app")
    t.add_sink("late", "other", "p").add_source("src2", "in2").add_processor("p2", Noop, "src2")
    t.connect_processor_and_state_stores("p2", "s")
    assert list(pt.nodes) == ["src", "p", "out"]
    assert pt.nodes["p"].successors == ("out",)
    assert [s.nodes for s in pt.subtopologies] == [("src", "p", "out")]
    assert pt.source_for_topic("in2") is None and pt.subtopology_of("in2") is None
    p = pt.nodes["p"]
    assert isinstance(p, ProcessorDef) and p.stores == ("s",)
    src = pt.nodes["src"]
    assert isinstance(src, SourceDef) and src.topics == ("in",)
    with pytest.raises(TypeError):
        pt.nodes["x"] = p  # type: ignore[index]
