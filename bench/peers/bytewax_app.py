"""Bytewax's app in bench_peers.py (run with the bytewax environment's Python): one worker, its Kafka connector
(``KafkaSource`` from the earliest offset, batches of 1000; ``KafkaSink``):
- stateless: ``filter_map`` parsing, filtering and enriching the JSON;
- count: ``key_on → stateful_map`` counting per key, each count produced as an 8-byte big-endian long;
- window: ``stateful_map`` keyed by (key, 10-minute window of the record's timestamp). Bytewax's own window
  operators emit a window only when the watermark passes its end, which here comes 10 minutes of wall time after
  the last record, so the windowed count is written with ``stateful_map`` and emits every new count.

Bytewax keeps its source offsets in its own recovery store (not enabled here) and commits none to Kafka; so that
the harness can see its progress, its consumer commits the consumed offsets to the group automatically every
100 ms (``enable.auto.commit``): no delivery guarantee across a restart.

Usage: ``python bytewax_app.py BOOTSTRAP GROUP stateless|count|window INPUT OUTPUT``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import bytewax.operators as op  # type: ignore[import-not-found]
import orjson
from bytewax.connectors.kafka import (  # type: ignore[import-not-found]
    KafkaSink,
    KafkaSinkMessage,
    KafkaSource,
)
from bytewax.dataflow import Dataflow  # type: ignore[import-not-found]
from bytewax.testing import run_main  # type: ignore[import-not-found]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kafka"))

from kafka_workloads import BIG, THRESHOLD, WINDOW_MS, window_key  # type: ignore[import-not-found]


def stateless(msg: Any) -> Any:
    value = orjson.loads(msg.value)
    amount = value["amount"]
    if amount > THRESHOLD:
        value["big"] = amount > BIG
        return KafkaSinkMessage(msg.key, orjson.dumps(value))
    return None


def counter(state: int | None, _item: Any) -> tuple[int, int]:
    n = (state or 0) + 1
    return n, n


def window_of(msg: Any) -> str:
    timestamp: int = msg.timestamp[1]  # (type, milliseconds)
    name: str = window_key(msg.key, timestamp - timestamp % WINDOW_MS).decode()
    return name


def flow(bootstrap: str, group: str, workload: str, input_topic: str, output: str) -> Any:
    dataflow = Dataflow("bench")
    config = {"group.id": group, "enable.auto.commit": "true", "auto.commit.interval.ms": "100"}
    messages = op.input("in", dataflow, KafkaSource([bootstrap], [input_topic], add_config=config))
    if workload == "stateless":
        out = op.filter_map("stateless", messages, stateless)
    else:
        keyed = op.key_on("key", messages, (lambda m: m.key.decode()) if workload == "count" else window_of)
        counts = op.stateful_map("count", keyed, counter)
        out = op.map("encode", counts, lambda kv: KafkaSinkMessage(kv[0].encode(), kv[1].to_bytes(8, "big")))
    op.output("out", out, KafkaSink([bootstrap], output))
    return dataflow


def main(argv: list[str]) -> int:
    run_main(flow(*argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
