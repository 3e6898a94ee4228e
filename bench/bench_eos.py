"""Benchmark: exactly-once v2 against at-least-once, end to end on the embedded broker.

The pipelines and the measurement are bench_runtime.py's (start-up, consuming a 3-partition topic, processing,
producing and committing until every input is committed), both guarantees committing every 100 ms (exactly-once's
default), with 1 and 3 stream threads. Under exactly-once every commit is a transaction: records, changelog writes
and offsets become visible together. Target: exactly-once at least 0.8 of at-least-once. The ratio is printed on
wall time (records/s) and on the process's CPU time (steadier on a busy machine).
Run: ``.venv/bin/python bench/bench_eos.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_driver import stateless_topology
from bench_runtime import make_input, run_runtime, windowed_topology

PIPELINES = (("stateless", stateless_topology), ("windowed", windowed_topology))
GUARANTEES = ("at_least_once", "exactly_once_v2")


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print records/s per pipeline, thread count and guarantee; return the EOS/ALOS ratio of each pair."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 3])
    args = parser.parse_args(argv)
    data = make_input(args.records)
    results: dict[str, float] = {}
    for name, factory in PIPELINES:
        for threads in args.threads:
            rates: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for guarantee in GUARANTEES:
                config = {"processing.guarantee": guarantee, "num.stream.threads": threads}
                started = time.process_time()
                seconds, _ = run_runtime(factory(), data, extra_config=config)
                cpu[guarantee] = time.process_time() - started
                rates[guarantee] = args.records / seconds
            label = f"{name} {threads} thread{'s' if threads > 1 else ''}"
            ratio = results[label] = rates["exactly_once_v2"] / rates["at_least_once"]
            cpu_ratio = cpu["at_least_once"] / max(cpu["exactly_once_v2"], 1e-9)
            print(
                f"{label:<20} at-least-once {rates['at_least_once']:>10,.0f} rec/s   exactly-once "
                f"{rates['exactly_once_v2']:>10,.0f} rec/s   EOS/ALOS {ratio:.2f} (CPU time {cpu_ratio:.2f})"
            )
    return results


if __name__ == "__main__":
    main()
