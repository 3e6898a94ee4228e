"""Quix Streams' app in bench_peers.py (run with the quix environment's Python), at-least-once or exactly-once
(``processing_guarantee``), commits every 100 ms, its state in RocksDB with changelog topics (the library's
defaults):
- stateless: ``filter(keep) → apply(enrich) → to_topic`` (JSON);
- count: a stateful ``apply`` counting per key, each count produced as an 8-byte big-endian long;
- window: ``tumbling_window(10 min).count().current()`` in event time (the records' timestamps), each count
  produced with the key ``<key>@<window start>``.

Usage: ``python quix_app.py BOOTSTRAP GROUP stateless|count|window INPUT OUTPUT STATE_DIR
[at_least_once|exactly_once]`` (default at_least_once).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from quixstreams import Application, State  # type: ignore[import-not-found]
from quixstreams.models.serializers import (  # type: ignore[import-not-found]
    SerializationContext,
    Serializer,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kafka"))

from kafka_workloads import WINDOW_MS, enrich, keep, window_key  # type: ignore[import-not-found]

#: the benchmark's guarantee names and Quix Streams' own
GUARANTEES = {"at_least_once": "at-least-once", "exactly_once": "exactly-once"}


class LongSerializer(Serializer):  # type: ignore[misc]
    """An int (or a window's ``{"count": n}``) as an 8-byte big-endian long."""

    def __call__(self, value: Any, ctx: SerializationContext) -> bytes:
        count = value["count"] if isinstance(value, dict) else value
        return int(count).to_bytes(8, "big", signed=True)


def count(value: Any, state: State) -> int:
    n: int = state.get("count", 0) + 1
    state.set("count", n)
    return n


def main(argv: list[str]) -> int:
    bootstrap, group, workload, input_name, output_name, state_dir = argv[:6]
    guarantee = GUARANTEES[argv[6] if len(argv) > 6 else "at_least_once"]
    app = Application(broker_address=bootstrap, consumer_group=group, auto_offset_reset="earliest",
                      commit_interval=0.1, state_dir=state_dir, processing_guarantee=guarantee)
    stateless = workload == "stateless"
    source = app.topic(input_name, key_deserializer="bytes", value_deserializer="json" if stateless else "bytes")
    sink = app.topic(output_name, key_serializer="bytes", value_serializer="json" if stateless else LongSerializer())
    sdf = app.dataframe(source)
    if stateless:
        sdf = sdf.filter(keep).apply(enrich)
        sdf.to_topic(sink)
    elif workload == "count":
        sdf = sdf.apply(count, stateful=True)
        sdf.to_topic(sink)
    else:
        sdf = sdf.tumbling_window(WINDOW_MS).count().current()
        sdf = sdf.apply(lambda window, key, timestamp, headers: {"key": window_key(key, window["start"]),
                                                                 "count": window["value"]}, metadata=True)
        sdf.to_topic(sink, key=lambda value: value["key"])
    app.run(sdf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
