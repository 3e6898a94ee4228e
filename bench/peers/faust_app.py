"""Faust's (faust-streaming) app in bench_peers.py (run with the faust environment's Python): one worker, one
agent over the input topic, at-least-once, commits every 100 ms, tables in memory with their changelog topics
(JSON keys and values):
- stateless: parse, filter and enrich the JSON, ``send`` it;
- count: ``counts[key] += 1`` in a table, each count produced as an 8-byte big-endian long;
- window: a tumbling 10-minute windowed table in event time (the records' timestamps),
  ``counts[key] += 1`` then ``counts[key].current()``, produced with the key ``<key>@<window start>``.

Usage: ``python faust_app.py BOOTSTRAP GROUP stateless|count|window INPUT OUTPUT STATE_DIR PARTITIONS`` (the
input's partition count, which the tables' changelog topics must have).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import faust  # type: ignore[import-not-found]
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kafka"))

from kafka_workloads import BIG, THRESHOLD, WINDOW_MS, window_key, window_start  # type: ignore[import-not-found]


def build(bootstrap: str, group: str, workload: str, input_topic: str, output: str, state_dir: str,
          partitions: str) -> Any:
    app = faust.App(group, broker=f"kafka://{bootstrap}", key_serializer="json", value_serializer="json",
                    broker_commit_interval=0.1, processing_guarantee="at_least_once", store="memory://",
                    consumer_auto_offset_reset="earliest", topic_partitions=int(partitions), topic_replication_factor=1,
                    web_enabled=False, datadir=state_dir)
    source = app.topic(input_topic, key_type=bytes, value_type=bytes, key_serializer="raw",
                       value_serializer="raw")
    sink = app.topic(output, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    if workload == "count":
        counts: Any = app.Table("counts", default=int, key_type=str, value_type=int)
    elif workload == "window":
        counts = app.Table("wcounts", default=int, key_type=str, value_type=int).tumbling(
            timedelta(milliseconds=WINDOW_MS), expires=timedelta(days=1))

    @app.agent(source)  # type: ignore[untyped-decorator]
    async def process(stream: Any) -> None:
        async for event in stream.events():
            key, value = event.key, event.value
            if workload == "stateless":
                record = orjson.loads(value)
                amount = record["amount"]
                if amount > THRESHOLD:
                    record["big"] = amount > BIG
                    await sink.send(key=key, value=orjson.dumps(record))
                continue
            name = key.decode()  # tables' changelog keys are JSON (a windowed table's: a (key, window) pair)
            counts[name] += 1
            if workload == "count":
                await sink.send(key=key, value=counts[name].to_bytes(8, "big"))
            else:
                count = counts[name].current()
                start = window_start(round(event.message.timestamp * 1000))
                await sink.send(key=window_key(key, start), value=int(count).to_bytes(8, "big"))

    return app


def main(argv: list[str]) -> int:
    app = build(*argv)
    sys.argv = [sys.argv[0], "--loglevel", "warn", "worker"]
    app.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
