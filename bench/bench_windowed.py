"""Benchmark: a windowed count on the TopologyTestDriver beside a plain Python loop doing the same work.

Two pipelines on the same input bytes (string keys, 1,000 users; string values; timestamps 10 ms apart):
- tumbling: 1-minute tumbling windows (one window per record);
- hopping: 10-minute windows advancing by 1 minute (ten windows per record, the seed's "last 10 minutes").

The DSL program is ``stream → group_by_key → windowed_by → count → to_stream → to`` with a window store
without changelog. The plain loop deserializes key and value with the same serdes, computes the windows with the same
``windows_for``, counts in a dict keyed by (key, window start), serializes the windowed key and the count with the
same serdes, and appends each output to a list.
Run: ``.venv/bin/python bench/bench_windowed.py [--records N] [--repeat R]``. Prints records/s and the ratio.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import timedelta

from kstreams_nb.dsl import Consumed, Grouped, Materialized, StreamsBuilder, TimeWindowedSerde, TimeWindows
from kstreams_nb.records import Windowed
from kstreams_nb.serdes import Serdes
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

PIPELINES = {
    "tumbling 1 min": TimeWindows.of_size_with_no_grace(timedelta(minutes=1)),
    "hopping 10 min / 1 min": TimeWindows.of_size_with_no_grace(timedelta(minutes=10)).advance_by(timedelta(minutes=1)),
}

Input = list[tuple[bytes, bytes, int]]


def make_input(n: int) -> Input:
    return [(f"user-{i % 1000}".encode(), f"/page/{i % 37}".encode(), i * 10) for i in range(n)]


def windowed_count_topology(windows: TimeWindows) -> Topology:
    s = Serdes.string()
    builder = StreamsBuilder()
    (
        builder.stream("in", Consumed.with_(s, s))
        .group_by_key(Grouped.with_(s, s))
        .windowed_by(windows)
        .count(materialized=Materialized.as_("counts").with_logging_disabled())
        .to_stream()
        .to("out")
    )
    return builder.build()


def plain_windowed_count(data: Input, windows: TimeWindows) -> list[tuple[bytes | None, bytes | None, int]]:
    """The same work without the framework, through the same serdes."""
    string, long = Serdes.string(), Serdes.long()
    windowed = TimeWindowedSerde(string, windows.size_ms)
    windows_for = windows.windows_for
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    out = []
    for kb, vb, ts in data:
        key, _value = string.deserialize("in", kb), string.deserialize("in", vb)
        for start, window in windows_for(ts).items():
            old = counts.get((key, start))
            count, agg_ts = (1, ts) if old is None else (old[0] + 1, max(ts, old[1]))
            counts[(key, start)] = (count, agg_ts)
            out.append((windowed.serialize("out", Windowed(key, window)), long.serialize("out", count), agg_ts))
    return out


def run_driver(topology: Topology, data: Input) -> int:
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("in", Serdes.bytes(), Serdes.bytes())
        for kb, vb, ts in data:
            source.pipe_input(kb, vb, ts)
        return driver.create_output_topic("out", Serdes.bytes(), Serdes.bytes()).get_queue_size()


def best_rate(fn: Callable[[], object], n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = make_input(args.records)
    results: dict[str, float] = {}
    for name, windows in PIPELINES.items():
        plain_out = plain_windowed_count(data, windows)
        assert len(plain_out) == run_driver(windowed_count_topology(windows), data)
        loop_rate = best_rate(lambda w=windows: plain_windowed_count(data, w), args.records, args.repeat)  # type: ignore[misc]
        driver_rate = best_rate(
            lambda w=windows: run_driver(windowed_count_topology(w), data), args.records, args.repeat  # type: ignore[misc]
        )
        ratio = driver_rate / loop_rate
        results[name] = ratio
        print(
            f"{name:<24} driver {driver_rate:>10,.0f} rec/s   plain loop {loop_rate:>10,.0f} rec/s   "
            f"ratio {ratio:.2f}"
        )
    return results


if __name__ == "__main__":
    main()
