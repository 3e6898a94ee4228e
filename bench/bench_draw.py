"""Benchmark: draw() of a 50-node topology beside networkx's plain ``nx.draw`` of the same graph.

The topology is a deterministic pseudo-random DAG built with the Processor API (three sources, processors
with one or two parents, every fifth node a sink, three shared stores). The baseline draws the same graph
(``topology.to_networkx()``: nodes, topics and stores) with ``nx.draw`` and a spring layout into a
``matplotlib.figure.Figure``: a picture with none of draw()'s text measuring or overlap avoidance.
Times are CPU seconds (``time.process_time``), best of ``--repeat`` runs, measured alternately.
Run: ``.venv/bin/python bench/bench_draw.py [--nodes N] [--repeat R]``. Target: draw() under 2 s at 50 nodes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from kstreams_nb import Processor, Record, Serdes, Stores, Topology
from kstreams_nb.topology.draw import draw, to_svg


class Noop(Processor):
    def process(self, record: Record) -> None:
        pass


def dag(nodes: int, seed: int = 7) -> Topology:
    """``nodes`` processor nodes (sources, processors, sinks) wired by a 64-bit LCG."""
    state = seed

    def pick(bound: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return (state >> 33) % bound

    t = Topology()
    pool = [f"source-{i}" for i in range(3)]
    for i, name in enumerate(pool):
        t.add_source(name, f"input-{i}")
    processors: list[str] = []
    for i in range(nodes - len(pool)):
        parents = sorted({pool[pick(len(pool))] for _ in range(1 + pick(2))})
        if i % 5 == 4:
            t.add_sink(f"sink-{i}", f"output-{i}", *parents)
        else:
            name = f"KSTREAM-MAPVALUES-{i:010d}"
            t.add_processor(name, Noop, *parents)
            pool.append(name)
            processors.append(name)
    for j in range(min(3, len(processors))):
        supplier = Stores.in_memory_key_value_store(f"store-{j}")
        store = Stores.key_value_store_builder(supplier, Serdes.string(), Serdes.long())
        t.add_state_store(store, processors[pick(len(processors))])
    return t


def networkx_draw(topology: Topology) -> object:
    import networkx as nx
    from matplotlib.figure import Figure

    graph = topology.to_networkx()
    fig = Figure(figsize=(12, 8))
    nx.draw(graph, pos=nx.spring_layout(graph, seed=1), ax=fig.add_subplot(), with_labels=True, font_size=7)
    return fig


def best_times(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` CPU seconds of ``a`` and ``b``, run alternately so machine noise hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((a, b)):
            t0 = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - t0)
    return best[0], best[1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    topology = dag(args.nodes)
    networkx_draw(topology), draw(topology)  # warm up imports and the font cache outside the timing
    draw_s, baseline_s = best_times(lambda: draw(topology), lambda: networkx_draw(topology), args.repeat)
    svg_s, _ = best_times(lambda: to_svg(topology), lambda: None, args.repeat)
    ratio = draw_s / baseline_s
    print(
        f"draw() {args.nodes} nodes: {draw_s:.3f} s CPU   nx.draw baseline: {baseline_s:.3f} s   "
        f"ratio {ratio:.2f}   (draw + SVG: {svg_s:.3f} s)"
    )
    print("target: draw() < 2 s for 50 nodes")
    return {f"draw {args.nodes} nodes": ratio}


if __name__ == "__main__":
    main()
