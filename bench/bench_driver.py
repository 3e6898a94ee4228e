"""Benchmark: TopologyTestDriver throughput beside a plain Python loop doing the same work.

Two pipelines, each on the same input bytes (JSON keys and values):
- stateless: 3 processors (parse → filter → enrich) then a sink;
- counting: a processor counting per key in a key-value store, forwarding the new count.

The plain loop deserializes, calls the same functions, serializes, and appends outputs to a list.
Run: ``.venv/bin/python bench/bench_driver.py [--records N]``. Prints records/s and the ratio.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from kstreams_nb import Processor, Record, Serdes, Stores, Topology, TopologyTestDriver


def parse(value: dict[str, Any]) -> dict[str, Any]:
    return {"user": value["user"], "amount": value["amount"] * 2}


def keep(value: dict[str, Any]) -> bool:
    return value["amount"] % 3 != 0


def enrich(value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "big": value["amount"] > 100}


class Map(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(parse(record.value)))


class Filter(Processor):
    def process(self, record: Record) -> None:
        if keep(record.value):
            self.context.forward(record)


class Enrich(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(enrich(record.value)))


class Count(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


def make_input(n: int) -> list[tuple[bytes, bytes]]:
    return [
        (json.dumps(f"user-{i % 1000}").encode(), json.dumps({"user": f"user-{i % 1000}", "amount": i % 250}).encode())
        for i in range(n)
    ]


def stateless_topology() -> Topology:
    return (
        Topology()
        .add_source("src", "in")
        .add_processor("map", Map, "src")
        .add_processor("filter", Filter, "map")
        .add_processor("enrich", Enrich, "filter")
        .add_sink("sink", "out", "enrich")
    )


def counting_topology() -> Topology:
    store = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("counts"), Serdes.json(), Serdes.json()
    ).with_logging_disabled()
    return (
        Topology()
        .add_source("src", "in")
        .add_processor("count", Count, "src")
        .add_state_store(store, "count")
        .add_sink("sink", "out", "count")
    )


def plain_stateless(data: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    loads, dumps = Serdes.json().deserialize, Serdes.json().serialize
    out = []
    for kb, vb in data:
        key, value = loads("in", kb), loads("in", vb)
        value = parse(value)
        if not keep(value):
            continue
        value = enrich(value)
        out.append((dumps("out", key), dumps("out", value)))
    return out


def plain_counting(data: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The same work without the framework: a dict of serialized keys to serialized counts."""
    serde = Serdes.json()
    loads, dumps = serde.deserialize, serde.serialize
    store: dict[bytes, bytes] = {}
    out = []
    for kb, vb in data:
        key, _value = loads("in", kb), loads("in", vb)
        k = dumps("counts", key)
        old = store.get(k)  # type: ignore[arg-type]
        count = (loads("counts", old) if old is not None else 0) + 1
        store[k] = dumps("counts", count)  # type: ignore[index]
        out.append((dumps("out", key), dumps("out", count)))
    return out


def run_driver(topology: Topology, data: list[tuple[bytes, bytes]]) -> int:
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("in", Serdes.bytes(), Serdes.bytes())
        for kb, vb in data:
            source.pipe_input(kb, vb, 0)
        return driver.create_output_topic("out", Serdes.bytes(), Serdes.bytes()).get_queue_size()


def best_rates(a: Callable[[], object], b: Callable[[], object], n: int, repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` records/s of ``a`` and ``b``, measured alternately so machine noise hits both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((a, b)):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return n / best[0], n / best[1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = make_input(args.records)
    results: dict[str, float] = {}
    assert len(plain_stateless(data)) == run_driver(stateless_topology(), data)
    assert len(plain_counting(data)) == run_driver(counting_topology(), data)
    for name, plain, topo in (
        ("stateless 3-processor", plain_stateless, stateless_topology),
        ("key-value counting", plain_counting, counting_topology),
    ):
        loop_rate, driver_rate = best_rates(
            lambda p=plain: p(data),  # type: ignore[misc]
            lambda t=topo: run_driver(t(), data),  # type: ignore[misc]
            args.records,
            args.repeat,
        )
        ratio = driver_rate / loop_rate
        results[name] = ratio
        print(
            f"{name:<22} driver {driver_rate:>10,.0f} rec/s   plain loop {loop_rate:>10,.0f} rec/s   "
            f"ratio {ratio:.2f}"
        )
    print("target: stateless ratio >= 0.40")
    return results


if __name__ == "__main__":
    main()
