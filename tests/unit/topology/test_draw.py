"""draw(): one label per node, one arrow per edge, no overlapping labels, deterministic SVG."""

from __future__ import annotations

import itertools
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.topology import Topology
from kstreams_nb.topology.description import TopologyDescription
from kstreams_nb.topology.draw import Drawing, draw, drawing, mimebundle, short_label, to_svg
from kstreams_nb.topology.export import topology_graph

from ._golden import FIXTURE_NAMES, fixture, topologies
from ._support import Noop, store_builder


def dsl_chains(n: int) -> Topology:
    """``n`` word-count-like chains: each has a repartition, a store with a changelog, two sub-topologies."""
    b = StreamsBuilder()
    for i in range(n):
        (
            b.stream(f"in-{i}")
            .filter(lambda k, v: v is not None)
            .map_values(lambda v: v)
            .group_by(lambda k, v: v)
            .count()
            .to_stream()
            .to(f"out-{i}")
        )
    return b.build()


def processor_nodes(d: TopologyDescription) -> list[str]:
    return [n.name for s in d.subtopologies for n in s.nodes] + [
        x.name for g in d.global_stores for x in (g.source, g.processor)
    ]


def overlaps(boxes: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of display-space boxes that share area (touching edges allowed)."""
    bad = []
    for (na, a), (nb, b) in itertools.combinations(boxes, 2):
        if min(a.x1, b.x1) - max(a.x0, b.x0) > 0.01 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.01:
            bad.append((na, nb))
    return bad


def check_drawing(d: Drawing) -> None:
    """One label and box per graph node, one arrow per edge, nothing overlapping, nodes inside their box."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        _check_drawing(d)


def _check_drawing(d: Drawing) -> None:
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig, graph = d.figure, d.graph
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    assert set(d.labels) == set(graph.nodes) == set(d.boxes)
    texts = ax.texts
    assert len(texts) == len(graph.nodes) + len(d.titles)
    assert sorted(t.get_text() for t in texts if t not in d.titles.values()) == sorted(
        t.get_text() for t in d.labels.values()
    )
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == len(graph.edges) == len(d.arrows)
    assert set(d.arrows) == {(a, b) for a, b, _ in graph.edges}
    shapes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(shapes) == len(graph.nodes) + len(d.groups)
    assert set(d.groups) == {g.key for g in graph.groups if g.title is not None}
    labels = [(n, t.get_window_extent(renderer)) for n, t in d.labels.items()]
    titles = [(k, t.get_window_extent(renderer)) for k, t in d.titles.items()]
    boxes = [(n, p.get_window_extent(renderer)) for n, p in d.boxes.items()]
    assert overlaps(labels + titles) == []
    assert overlaps(boxes + titles) == []
    group_boxes = [(k, p.get_window_extent(renderer)) for k, p in d.groups.items()]
    assert overlaps(group_boxes) == []
    frame = fig.bbox
    for name, box in boxes + titles:
        assert frame.x0 - 0.5 <= box.x0 and box.x1 <= frame.x1 + 0.5, name
        assert frame.y0 - 0.5 <= box.y0 and box.y1 <= frame.y1 + 0.5, name
    for n, box in boxes:
        group = graph.nodes[n].group
        if group in d.groups:
            outer = d.groups[group].get_window_extent(renderer)
            assert outer.x0 <= box.x0 and box.x1 <= outer.x1 and outer.y0 <= box.y0 and box.y1 <= outer.y1, n


def test_thirty_node_random_dag() -> None:
    topology = topologies().random_dag(3, 27)
    names = processor_nodes(topology.describe())
    assert len(names) >= 30
    d = drawing(topology)
    check_drawing(d)
    labels = {d.labels[f"node:{n}"].get_text() for n in names}
    assert len(labels) == len(names)
    assert len(d.groups) == 1


def test_fifty_node_dsl_program_draws_every_kind() -> None:
    # its speed is measured by bench/bench_draw.py, not asserted here
    topology = dsl_chains(4)
    graph = topology_graph(topology)
    assert len(graph.nodes) >= 50
    d = drawing(topology)
    check_drawing(d)
    assert len(d.groups) == 8
    kinds = {n.kind for n in graph.nodes.values()}
    assert kinds >= {"source-topic", "source", "processor", "sink", "sink-topic", "repartition-topic", "store"}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_golden_fixture_draws_from_its_text(name: str) -> None:
    d = drawing(TopologyDescription.parse(fixture(name)))
    if name == "empty":
        assert d.labels == {} and d.arrows == {}
        return
    check_drawing(d)
    assert not any(n.kind == "changelog-topic" for n in d.graph.nodes.values())


def test_short_labels() -> None:
    assert short_label("KSTREAM-FILTER-0000000001") == "FILTER-1"
    assert short_label("KSTREAM-KEY-SELECT-0000000012") == "KEY-SELECT-12"
    assert short_label("KTABLE-SUPPRESS-STATE-STORE-0000000003") == "SUPPRESS-STATE-STORE-3"
    assert short_label("app-KSTREAM-MAP-0000000001-repartition") == "app-MAP-1-repartition"
    assert short_label("KSTREAM-BRANCH-0000000011empty") == "BRANCH-11/empty"
    assert short_label("my-filter") == "my-filter"
    long = "a-very-long-user-given-processor-name-that-goes-on"
    assert short_label(long) == long[:39] + "\u2026" and len(short_label(long)) == 40
    assert short_label(long, full_names=True) == long
    assert short_label("KSTREAM-FILTER-0000000001", full_names=True) == "KSTREAM-FILTER-0000000001"


def test_full_names() -> None:
    topology = topologies().dsl_wordcount()
    short = drawing(topology)
    full = drawing(topology, full_names=True)
    assert short.labels["node:KSTREAM-FILTER-0000000006"].get_text() == "FILTER-6"
    assert {n: t.get_text() for n, t in full.labels.items()} == {n: g.name for n, g in full.graph.nodes.items()}
    check_drawing(full)
    assert full.figure.get_figwidth() > short.figure.get_figwidth()


def test_changelog_topics_from_a_topology_only() -> None:
    t = Topology().add_source("s", "in").add_processor("p", Noop, "s")
    t.add_state_store(store_builder("logged"), "p").add_state_store(store_builder("quiet", False), "p")
    d = drawing(t)
    assert d.labels["changelog:logged-changelog"].get_text() == "logged-changelog"
    assert "changelog:quiet-changelog" not in d.labels
    assert ("store:logged", "changelog:logged-changelog") in d.arrows
    assert not any(n.startswith("changelog:") for n in drawing(t.describe()).labels)


def test_global_stores_are_boxed_separately() -> None:
    d = drawing(topologies().global_stores_interleaved())
    check_drawing(d)
    assert d.titles["global:1"].get_text() == "Sub-topology: 1 (global store)"
    assert d.titles["sub:0"].get_text() == "Sub-topology: 0"
    assert d.graph.nodes["store:g1"].kind == "global-store"


def test_a_topic_read_back_makes_a_cycle_and_still_draws() -> None:
    t = Topology().add_source("s", "loop").add_processor("p", Noop, "s").add_sink("k", "loop", "p")
    check_drawing(drawing(t))


def test_figsize_is_honoured_without_overlaps() -> None:
    topology = dsl_chains(2)
    d = drawing(topology, figsize=(6.0, 3.0))
    assert tuple(d.figure.get_size_inches()) == pytest.approx((6.0, 3.0))
    check_drawing(d)


def test_empty_topology() -> None:
    fig = draw(Topology())
    assert [t.get_text() for t in fig.axes[0].texts] == ["empty topology (no nodes)"]
    bundle = mimebundle(Topology())
    assert bundle["text/plain"] == "Topologies:\n " and bundle["image/svg+xml"].startswith("<?xml")


def test_svg_is_deterministic() -> None:
    topology = topologies().unicode_names()
    first, second = to_svg(topology), to_svg(topologies().unicode_names())
    assert first == second
    assert "<dc:date>" not in first and first.rstrip().endswith("</svg>")
    assert to_svg(draw(topology)) == first


def test_svg_is_the_same_in_another_process() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from _golden import topologies\n"
        "from kstreams_nb.topology.draw import to_svg\n"
        "sys.stdout.write(to_svg(topologies().dsl_wordcount()))\n"
    )
    here = str(Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, check=True)
    assert out.stdout == to_svg(topologies().dsl_wordcount())


def test_mimebundle_include_exclude() -> None:
    topology = topologies().source_processor_sink()
    text = str(topology.describe())
    assert set(mimebundle(topology)) == {"text/plain", "image/svg+xml"}
    assert mimebundle(topology, include={"text/plain"}) == {"text/plain": text}
    assert set(mimebundle(topology, exclude={"text/plain"})) == {"image/svg+xml"}
    assert mimebundle(topology, include=["image/png"]) == {}
    assert topology._repr_mimebundle_(exclude=["image/svg+xml"]) == {"text/plain": text}
    parsed = TopologyDescription.parse(text)
    assert parsed._repr_mimebundle_() == mimebundle(topology.describe())


def test_pretty_repr_still_prints_the_text() -> None:
    from IPython.lib.pretty import pretty

    topology = topologies().source_processor_sink()
    assert pretty(topology) == str(topology.describe()) == pretty(topology.describe())


def test_builders_are_drawn() -> None:
    b = StreamsBuilder()
    b.stream("in").filter(lambda k, v: True).to("out")
    d = drawing(b)
    assert sorted(t.get_text() for t in d.labels.values()) == ["FILTER-1", "SINK-2", "SOURCE-0", "in", "out"]


def test_draw_is_pure_and_never_loads_pyplot() -> None:
    code = (
        "import sys\n"
        "from kstreams_nb.topology import Topology\n"
        "from kstreams_nb.topology.draw import draw, to_svg\n"
        "t = Topology().add_source('s', 'in').add_sink('k', 'out', 's')\n"
        "to_svg(t)\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_figure_shows_itself_as_svg_with_a_short_text() -> None:
    from matplotlib.figure import Figure

    topology = topologies().dsl_wordcount()
    fig = draw(topology)
    assert issubclass(type(fig), Figure) and type(fig).__name__ == "TopologyFigure"
    description = topology.describe()
    nodes = len(processor_nodes(description))
    subs = len(description.subtopologies) + len(description.global_stores)
    bundle = fig._repr_mimebundle_()
    assert bundle == {
        "text/plain": f"<Topology picture: {nodes} nodes, {subs} sub-topologies>",
        "image/svg+xml": to_svg(topology),
    }
    assert set(fig._repr_mimebundle_(include=["image/svg+xml", "image/png"])) == {"image/svg+xml"}
    assert set(fig._repr_mimebundle_(exclude={"image/svg+xml"})) == {"text/plain"}
    one = draw(Topology().add_source("s", "in").add_sink("k", "out", "s"))
    assert one._repr_mimebundle_(include={"text/plain"}) == {
        "text/plain": "<Topology picture: 2 nodes, 1 sub-topology>"
    }
    copy = pickle.loads(pickle.dumps(one))
    assert type(copy) is type(one) and to_svg(copy) == to_svg(one)


def test_jupyter_gets_the_svg_with_and_without_the_inline_backend(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib_inline")
    code = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from matplotlib_inline.backend_inline import configure_inline_support\n"
        "from kstreams_nb.topology import Topology\n"
        "from kstreams_nb.topology.draw import draw, to_svg\n"
        "shell = InteractiveShell.instance()\n"
        "fig = draw(Topology().add_source('s', 'in').add_sink('k', 'out', 's'))\n"
        "bare = shell.display_formatter.format(fig)[0]\n"
        "pyplot = 'matplotlib.pyplot' in sys.modules\n"
        "configure_inline_support(shell, 'module://matplotlib_inline.backend_inline')\n"
        "inline = shell.display_formatter.format(fig)[0]\n"
        "svg = to_svg(fig)\n"
        "print(json.dumps([sorted(bare), bare['image/svg+xml'] == svg, bare['text/plain'], pyplot,\n"
        "                  'image/svg+xml' in inline and inline['image/svg+xml'] == svg]))\n"
    )
    env = {**os.environ, "IPYTHONDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout) == [
        ["image/svg+xml", "text/plain"], True, "<Topology picture: 2 nodes, 1 sub-topology>", False, True,
    ]
