"""Benchmark: memory held per key by a DSL count on the runtime, with and without orjson.

``stream("in").group_by_key().count().to_stream().to("out")`` runs on KafkaStreams over N distinct keys, with
logging on, on the embedded broker, which keeps the input, the changelog and the output. Each measurement runs
in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own; the figure printed is

    (peak RSS over N keys - peak RSS over the baseline's keys) / (N - baseline keys)

that is, everything the process holds per key: the store entry, the changelog record, and the input and output
records kept by the broker, and also the record cache's share: the cache (``statestore.cache.max.bytes``, 10 MB
by default, counted as Kafka counts it) fills up after about 110,000 keys and then holds a fixed amount (about
67 MB of Python objects for its 10 MB), which the figure spreads over N. The second figure leaves it out: it is

    (peak RSS over N keys - peak RSS over --cache-keys keys) / (N - cache keys)

with ``--cache-keys`` past the cache's fill, that is, what each further key costs. The JSON serde uses orjson when
installed; the stdlib run sets ``KSTREAMS_NB_NO_ORJSON=1``. Target: under 400 bytes per key with either.

Run: ``.venv/bin/python bench/bench_memory.py [--keys 1000000] [--baseline-keys 1000] [--cache-keys 200000]
[--profile]``. ``--profile`` adds a tracemalloc breakdown (top allocation sites, taken while the application
still runs) of one run over ``--keys`` keys with orjson.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

_THIS = Path(__file__).resolve()
_ROOT = _THIS.parents[1]
_CHUNK = 10_000


def _run_count(keys: int, partitions: int, profile: bool = False) -> dict[str, Any]:
    """Produce ``keys`` distinct keys, count them on the runtime, and wait until the input is committed; with
    ``profile``, the top allocation sites while the application still holds its stores and cache."""
    sys.path.insert(0, str(_ROOT))
    from kstreams_nb import Serdes
    from kstreams_nb.clients.memory import EmbeddedBroker
    from kstreams_nb.dsl import StreamsBuilder
    from kstreams_nb.serdes import JSON_BACKEND
    from kstreams_nb.streams import KafkaStreams, State

    broker = EmbeddedBroker.named("bench-memory")
    broker.create_topic("in", partitions)
    broker.create_topic("out", partitions)
    key_serde, value_serde = Serdes.json(), Serdes.json()
    for start in range(0, keys, _CHUNK):
        broker.produce_batch(
            "in",
            [
                (key_serde.serialize("in", f"user-{i}"), value_serde.serialize("in", i))
                for i in range(start, min(keys, start + _CHUNK))
            ],
            timestamp=1_700_000_000_000,
        )
    b = StreamsBuilder()
    b.stream("in").group_by_key().count().to_stream().to("out")
    app = "bench-memory-app"
    config = {"application.id": app, "bootstrap.servers": "memory://bench-memory", "commit.interval.ms": 1000}
    t0 = time.perf_counter()
    with KafkaStreams(b.build(), config) as streams:
        streams.start()
        if not streams.wait_for_state(State.RUNNING, timeout=120):
            raise RuntimeError(f"the application did not start: {streams.state()} {streams.exception!r}")
        if not broker.wait_until_consumed(app, ["in"], timeout=3600):
            raise RuntimeError(f"the application did not finish: {streams.state()} {streams.exception!r}")
        elapsed = time.perf_counter() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before closing: everything still held
        snapshot = tracemalloc.take_snapshot() if profile else None
    changelog = next(t for t in broker.topics() if t.endswith("-changelog"))
    result = {
        "peak_rss": peak_kb * 1024,
        "seconds": elapsed,
        "json": JSON_BACKEND,
        "out": sum(broker.end_offsets("out").values()),
        "changelog": sum(broker.end_offsets(changelog).values()),
    }
    if snapshot is not None:
        snapshot = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        result["top"] = [
            (str(stat.traceback[0]), stat.size, stat.count) for stat in snapshot.statistics("lineno")[:25]
        ]
        result["traced"] = sum(stat.size for stat in snapshot.statistics("filename"))
    return result


def _child(keys: int, partitions: int, profile: bool) -> None:
    if profile:
        tracemalloc.start()
    print(json.dumps(_run_count(keys, partitions, profile)))


def measure(keys: int, partitions: int, stdlib: bool, profile: bool = False) -> dict[str, Any]:
    """One run in a fresh interpreter; returns its peak RSS (bytes) and what it produced."""
    env = dict(os.environ)
    env.pop("KSTREAMS_NB_NO_ORJSON", None)
    if stdlib:
        env["KSTREAMS_NB_NO_ORJSON"] = "1"
    argv = [sys.executable, str(_THIS), "--child", str(keys), "--partitions", str(partitions)]
    if profile:
        argv.append("--profile")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the measurement over {keys} keys failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["out"] != keys or result["changelog"] != keys:
        raise RuntimeError(f"a count over {keys} keys wrote {result['out']} outputs, {result['changelog']} changes")
    return result


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--baseline-keys", type=int, default=1_000)
    parser.add_argument("--cache-keys", type=int, default=200_000, help="a second baseline, past the cache's fill")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child, args.partitions, args.profile)
        return {}
    if args.keys <= args.baseline_keys:
        parser.error("--keys must be larger than --baseline-keys")
    backends = ["json"]
    if importlib.util.find_spec("orjson") is not None:
        backends.insert(0, "orjson")
    results: dict[str, float] = {}
    for backend in backends:
        stdlib = backend == "json"
        base = measure(args.baseline_keys, args.partitions, stdlib)
        full = measure(args.keys, args.partitions, stdlib)
        assert full["json"] == backend, f"the child used {full['json']}, not {backend}"
        per_key = (full["peak_rss"] - base["peak_rss"]) / (args.keys - args.baseline_keys)
        results[backend] = per_key
        past = ""
        if args.baseline_keys < args.cache_keys < args.keys:
            filled = measure(args.cache_keys, args.partitions, stdlib)
            further = (full["peak_rss"] - filled["peak_rss"]) / (args.keys - args.cache_keys)
            results[f"{backend} past the cache"] = further
            past = f", {further:,.0f} past the cache ({args.cache_keys:,} keys: {filled['peak_rss'] / 2**20:,.0f} MiB)"
        print(
            f"{backend:<7} {per_key:>8,.0f} bytes/key{past}   peak RSS {full['peak_rss'] / 2**20:>8,.0f} MiB over "
            f"{args.keys:,} keys, {base['peak_rss'] / 2**20:,.0f} MiB over {args.baseline_keys:,}   "
            f"({args.keys / full['seconds']:,.0f} rec/s)"
        )
    if args.profile:
        prof = measure(args.keys, args.partitions, stdlib=False, profile=True)
        print(f"tracemalloc over {args.keys:,} keys: {prof['traced'] / args.keys:,.0f} bytes/key traced; top sites:")
        for where, size, count in prof["top"]:
            print(f"  {size / args.keys:>7,.1f} B/key  {count:>10,} blocks  {where}")
    return results


if __name__ == "__main__":
    main()
