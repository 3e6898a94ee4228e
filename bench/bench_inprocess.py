"""Benchmark: the DSL in process (TopologyTestDriver, and KafkaStreams on the embedded broker) against a plain loop.

Two workloads on the same input bytes (JSON keys and values, keys spread over 6 partitions):
- stateless: ``stream → map_values(parse) → filter(keep) → map_values(enrich) → to``;
- count: ``group_by_key().count().to_stream().to()`` with its changelog, the record cache at its default
  (10 MB) and at 0.

The plain loop does the same work without the framework: deserialize key and value with the same serdes, call
the same functions, count in a dict, serialize the output and append it to a list (no store, no changelog).
The driver runs twice on the stateless workload: one ``pipe_input`` call per record, and one ``pipe_record_list``
call for the whole input (its TestRecords made beforehand, as the runtime's input is produced beforehand), which
the driver processes as one batch when the topology has no state stores; with stores (the count) the list is
piped record by record, so the count has only the first row.
Figures are CPU time (``time.process_time``), best of ``--repeat`` runs alternating with the loop; the runtime's
figure covers start-up, consuming a 6-partition topic, processing, producing and committing every 100 ms until
every input is committed (producing the input is not counted). Target (in-process acceptance): at least 0.5 of
the loop on the stateless workload and 0.25 on the count.
Run: ``.venv/bin/python bench/bench_inprocess.py [--records N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

from kstreams_nb import Serdes, Topology, TopologyTestDriver
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import StreamsBuilder
from kstreams_nb.streams import KafkaStreams, State
from kstreams_nb.testing import TestRecord

PARTITIONS = 6
CACHE_ON = 10_485_760  # Kafka's default statestore.cache.max.bytes
_ids = itertools.count()

Data = list[tuple[bytes, bytes, int]]


def parse(value: dict[str, Any]) -> dict[str, Any]:
    return {"user": value["user"], "amount": value["amount"] * 2}


def keep(_key: Any, value: dict[str, Any]) -> bool:
    return bool(value["amount"] % 3 != 0)


def enrich(value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "big": value["amount"] > 100}


def make_input(n: int) -> Data:
    serde = Serdes.json()
    return [
        (
            serde.serialize("in", f"user-{i % 1000}") or b"",
            serde.serialize("in", {"user": f"user-{i % 1000}", "amount": i % 250}) or b"",
            i,
        )
        for i in range(n)
    ]


def stateless_topology() -> Topology:
    b = StreamsBuilder()
    b.stream("in").map_values(parse).filter(keep).map_values(enrich).to("out")
    return b.build()


def count_topology() -> Topology:
    b = StreamsBuilder()
    b.stream("in").group_by_key().count().to_stream().to("out")
    return b.build()


def plain_stateless(data: Data) -> int:
    serde = Serdes.json()
    loads, dumps = serde.deserialize, serde.serialize
    out: list[tuple[bytes | None, bytes | None]] = []
    append = out.append
    for kb, vb, _ts in data:
        key, value = loads("in", kb), loads("in", vb)
        value = parse(value)
        if not keep(key, value):
            continue
        append((dumps("out", key), dumps("out", enrich(value))))
    return len(out)


def plain_count(data: Data) -> int:
    serde = Serdes.json()
    loads, dumps = serde.deserialize, serde.serialize
    counts: dict[Any, int] = {}
    out: list[tuple[bytes | None, bytes | None]] = []
    append = out.append
    for kb, vb, _ts in data:
        key, _value = loads("in", kb), loads("in", vb)
        count = counts[key] = counts.get(key, 0) + 1
        append((dumps("out", key), dumps("out", count)))
    return len(out)


def run_driver(topology: Topology, data: Data, config: dict[str, Any] | None = None) -> int:
    with TopologyTestDriver(topology, config) as driver:
        pipe = driver.create_input_topic("in", Serdes.bytes(), Serdes.bytes()).pipe_input
        for kb, vb, ts in data:
            pipe(kb, vb, ts)
        return driver.create_output_topic("out", Serdes.bytes(), Serdes.bytes()).get_queue_size()


def run_driver_list(topology: Topology, records: list[TestRecord], config: dict[str, Any] | None = None) -> int:
    with TopologyTestDriver(topology, config) as driver:
        driver.create_input_topic("in", Serdes.bytes(), Serdes.bytes()).pipe_record_list(records)
        return driver.create_output_topic("out", Serdes.bytes(), Serdes.bytes()).get_queue_size()


def run_runtime(topology: Topology, data: Data, config: dict[str, Any] | None = None) -> tuple[float, int]:
    """CPU seconds of the process while KafkaStreams runs to completion, and the records it wrote to ``out``."""
    name = f"bench-inprocess-{next(_ids)}"
    broker = EmbeddedBroker.named(name)
    try:
        broker.create_topic("in", PARTITIONS)
        broker.create_topic("out", PARTITIONS)
        for kb, vb, ts in data:
            broker.produce("in", kb, vb, timestamp=ts)
        app = f"bench-inprocess-app-{next(_ids)}"
        full: dict[str, Any] = {
            "application.id": app, "bootstrap.servers": f"memory://{name}", "commit.interval.ms": 100,
            **(config or {}),
        }
        t0 = time.process_time()
        with KafkaStreams(topology, full) as streams:
            streams.start()
            assert streams.wait_for_state(State.RUNNING, timeout=60)
            plan = streams.plan
            assert plan is not None
            topics = sorted({t for ts in plan.source_topics.values() for t in ts})
            if not broker.wait_until_consumed(app, topics, timeout=600):
                raise RuntimeError(f"runtime did not finish: {streams.state()} {streams.exception!r}")
        cpu = time.process_time() - t0
        return cpu, sum(len(broker.read_partition("out", p)) for p in range(PARTITIONS))
    finally:
        EmbeddedBroker.drop(name)


def _cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print records/s (CPU time) and the ratio to the plain loop of each system and workload; return the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.records
    data = make_input(n)
    records = [TestRecord(k, v, ts) for k, v, ts in data]
    # (name, plain loop, system run returning CPU seconds and the outputs it wrote, target)
    cases: list[tuple[str, Callable[[Data], int], Callable[[], tuple[float, int]], float]] = []
    for label, plain, factory, configs, target in (
        ("stateless", plain_stateless, stateless_topology, [("", {})], 0.5),
        ("count", plain_count, count_topology,
         [(" cache on", {"statestore.cache.max.bytes": CACHE_ON}), (" cache 0", {"statestore.cache.max.bytes": 0})],
         0.25),
    ):
        for suffix, config in configs:
            def driver(f: Callable[[], Topology] = factory, c: dict[str, Any] = config) -> tuple[float, int]:
                out: list[int] = []
                cpu = _cpu(lambda: out.append(run_driver(f(), data, c)))
                return cpu, out[0]

            def runtime(f: Callable[[], Topology] = factory, c: dict[str, Any] = config) -> tuple[float, int]:
                return run_runtime(f(), data, c)

            def driver_list(f: Callable[[], Topology] = factory, c: dict[str, Any] = config) -> tuple[float, int]:
                out: list[int] = []
                cpu = _cpu(lambda: out.append(run_driver_list(f(), records, c)))
                return cpu, out[0]

            cases.append((f"{label} driver{suffix}", plain, driver, target))
            if label == "stateless":
                cases.append((f"{label} driver, list{suffix}", plain, driver_list, target))
            cases.append((f"{label} runtime{suffix}", plain, runtime, target))
    results: dict[str, float] = {}
    for name, plain, system, target in cases:
        expected = plain(data)
        best_loop = best_system = float("inf")
        for _ in range(args.repeat):
            best_loop = min(best_loop, _cpu(lambda p=plain: p(data)))  # type: ignore[misc]
            cpu, produced = system()
            best_system = min(best_system, cpu)
            # a count with the record cache on emits fewer updates; every other case emits one per loop output
            if "cache on" not in name and produced != expected:
                raise RuntimeError(f"{name}: wrote {produced} records, the plain loop {expected}")
        ratio = results[name] = best_loop / max(best_system, 1e-9)
        print(
            f"{name:<24} {n / max(best_system, 1e-9):>10,.0f} rec/s   plain loop {n / max(best_loop, 1e-9):>10,.0f} "
            f"rec/s   ratio {ratio:.2f} (target {target})"
        )
    return results


if __name__ == "__main__":
    main()
