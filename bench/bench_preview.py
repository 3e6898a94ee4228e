"""Benchmark: preview() of 10k records through a 10-node DSL topology, beside the plain TopologyTestDriver.

The topology: source → map_values → filter → map_values → peek → filter → map_values → a count per key (a
key-value store) → to_stream → sink (10 nodes, one sub-topology). The baseline pipes the same
records through a TopologyTestDriver of the same topology and reads the output topic; preview() does that
plus recording what every node received, coercing the inputs and building the sink topic's DataFrame.
CPU time (``time.process_time``), best of several runs taken alternately. Target: preview under 1 s.
Run: ``.venv/bin/python bench/bench_preview.py [--records N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench_draw import best_times  # best-of-N CPU seconds, runs alternated

from kstreams_nb import Record, Serdes, StreamsBuilder, TopologyTestDriver
from kstreams_nb.notebook import preview

TARGET_S = 1.0


def topology() -> Any:
    b = StreamsBuilder()
    (
        b.stream("orders")
        .map_values(lambda v: {"user": v["user"], "amount": v["amount"] * 2})
        .filter(lambda k, v: v["amount"] % 3 != 0)
        .map_values(lambda v: {**v, "big": v["amount"] > 100})
        .peek(lambda k, v: None)
        .filter(lambda k, v: not v["big"])
        .map_values(lambda v: v["amount"])
        .group_by_key()
        .count()
        .to_stream()
        .to("out")
    )
    return b


def make_input(n: int) -> list[Record]:
    return [Record(f"user-{i % 100}", {"user": f"user-{i % 100}", "amount": i % 250}, i) for i in range(n)]


def run_driver(records: list[Record]) -> int:
    with TopologyTestDriver(topology().build()) as driver:
        source = driver.create_input_topic("orders")
        for r in records:
            source.pipe_input(r.key, r.value, r.timestamp)
        return len(driver.create_output_topic("out", value_serde=Serdes.long()).read_records_to_list())


def run_preview(records: list[Record]) -> int:
    return len(preview(topology(), {"orders": records}).topic("out"))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    values = make_input(args.records)
    nodes = len(topology().build().internal_builder.nodes)
    assert run_driver(values) == run_preview(values)
    driver_s, preview_s = best_times(lambda: run_driver(values), lambda: run_preview(values), args.repeat)
    ratio = preview_s / driver_s
    print(
        f"preview of {args.records:,} records through {nodes} nodes: {preview_s:.3f} s CPU "
        f"({args.records / preview_s:,.0f} rec/s); plain driver {driver_s:.3f} s ({args.records / driver_s:,.0f} "
        f"rec/s); ratio {ratio:.2f}"
    )
    print(f"target: preview of 10,000 records under {TARGET_S:.0f} s")
    return {"preview 10-node": ratio}


if __name__ == "__main__":
    main()
