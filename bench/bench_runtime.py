"""Benchmark: KafkaStreams end to end on the embedded broker, beside the TopologyTestDriver on the same work.

Two pipelines over the same input bytes (JSON keys and values):
- stateless: the 3-processor pipeline of bench_driver.py (parse → filter → enrich → sink);
- windowed: a 10-minute tumbling-window count per key (the seed's "count what arrived in the last 10 minutes").

The runtime figure covers start-up, consuming from a 3-partition topic, processing, producing to the output
topic and committing, until every input is committed. Run: ``.venv/bin/python bench/bench_runtime.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_driver import stateless_topology

from kstreams_nb import Serdes, Topology, TopologyTestDriver
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import StreamsBuilder, TimeWindows
from kstreams_nb.streams import KafkaStreams, State

_ids = itertools.count()


def windowed_topology() -> Topology:
    b = StreamsBuilder()
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(timedelta(minutes=10), timedelta(minutes=1)))
        .count()
        .to_stream()
        .to("out")
    )
    return b.build()


def make_input(n: int) -> list[tuple[bytes, bytes, int]]:
    return [
        (
            json.dumps(f"user-{i % 1000}").encode(),
            json.dumps({"user": f"user-{i % 1000}", "amount": i % 250}).encode(),
            i * 100,
        )
        for i in range(n)
    ]


def run_driver(topology: Topology, data: list[tuple[bytes, bytes, int]]) -> float:
    t0 = time.perf_counter()
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("in", Serdes.bytes(), Serdes.bytes())
        for kb, vb, ts in data:
            source.pipe_input(kb, vb, ts)
    return time.perf_counter() - t0


def run_runtime(
    topology: Topology,
    data: list[tuple[bytes, bytes, int]],
    partitions: int = 3,
    extra_config: dict[str, Any] | None = None,
) -> tuple[float, int]:
    name = f"bench-{next(_ids)}"
    broker = EmbeddedBroker.named(name)
    try:
        broker.create_topic("in", partitions)
        broker.create_topic("out", partitions)
        for kb, vb, ts in data:
            broker.produce("in", kb, vb, timestamp=ts)
        app = f"bench-app-{next(_ids)}"
        # commit every 100 ms so the end is seen promptly (the default 30 s would dominate the figure)
        config: dict[str, Any] = {
            "application.id": app, "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 100,
            **(extra_config or {}),
        }
        t0 = time.perf_counter()
        with KafkaStreams(topology, config) as streams:
            streams.start()
            assert streams.wait_for_state(State.RUNNING, timeout=60)
            plan = streams.plan
            assert plan is not None
            topics = sorted({t for ts in plan.source_topics.values() for t in ts})
            if not broker.wait_until_consumed(app, topics, timeout=600):
                raise RuntimeError(f"runtime did not finish: {streams.state()} {streams.exception!r}")
        elapsed = time.perf_counter() - t0
        return elapsed, sum(len(broker.read_partition("out", p)) for p in range(partitions))
    finally:
        EmbeddedBroker.drop(name)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    data = make_input(args.records)
    results: dict[str, float] = {}
    for name, factory in (("stateless 3-processor", stateless_topology), ("windowed count", windowed_topology)):
        driver_s = run_driver(factory(), data)
        runtime_s, produced = run_runtime(factory(), data)
        ratio = driver_s / runtime_s
        results[name] = ratio
        print(
            f"{name:<22} runtime {args.records / runtime_s:>10,.0f} rec/s   driver {args.records / driver_s:>10,.0f} "
            f"rec/s   runtime/driver {ratio:.2f}   ({produced} outputs)"
        )
    return results


if __name__ == "__main__":
    main()
