"""Command line: ``kstreams-nb demo`` (also ``python -m kstreams_nb demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta

__all__ = ["main"]


def _demo() -> int:
    from kstreams_nb.examples import interval_aggregate_topology, routing_topology
    from kstreams_nb.processor import PunctuationType
    from kstreams_nb.serdes import Serdes
    from kstreams_nb.testing import TopologyTestDriver

    out = sys.stdout
    out.write("kstreams_nb demo: the seed's Processor API examples on the TopologyTestDriver\n\n")

    out.write("== 1. Route each record to a topic chosen from its value\n")
    topology = routing_topology()
    out.write(f"{topology.describe()}\n")
    logs = [
        ("web-1", "info: started"),
        ("db-1", "error: disk full"),
        ("web-2", "warn: slow response"),
        ("web-1", "info: request served"),
        ("db-1", "error: replica lag"),
    ]
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("logs", Serdes.string(), Serdes.string())
        for key, value in logs:
            source.pipe_input(key, value)
        for topic in sorted(driver.produced_topic_names()):
            records = driver.create_output_topic(topic, Serdes.string(), Serdes.string()).read_key_values_to_list()
            out.write(f"  {topic:<11} {records}\n")

    readings = [("sensor-a", 3, 0), ("sensor-b", 5, 2_000), ("sensor-a", 4, 4_000), ("sensor-c", 1, 11_000),
                ("sensor-a", 2, 12_000), ("sensor-b", 7, 25_000)]
    for kind in (PunctuationType.STREAM_TIME, PunctuationType.WALL_CLOCK_TIME):
        out.write(f"\n== 2. Per-key aggregates emitted every 10 s of {kind.name.lower().replace('_', ' ')}\n")
        topology = interval_aggregate_topology(timedelta(seconds=10), kind)
        if kind is PunctuationType.STREAM_TIME:
            out.write(f"{topology.describe()}\n")
        with TopologyTestDriver(topology) as driver:
            source = driver.create_input_topic("readings", Serdes.string(), Serdes.json())
            sink = driver.create_output_topic("reading-aggregates", Serdes.string(), Serdes.json())
            for sensor, reading, ts in readings:
                source.pipe_input(sensor, reading, ts)
                if kind is PunctuationType.WALL_CLOCK_TIME:
                    driver.advance_wall_clock_time(5_000)
                for record in sink.read_records_to_list():
                    out.write(f"  after {sensor}@{ts:>6} ms: {record.key} {record.value} (t={record.timestamp})\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kstreams-nb`` command."""
    parser = argparse.ArgumentParser(prog="kstreams-nb", description="Kafka Streams for Python and Jupyter")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the demo on the embedded broker and print topologies and results")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo()
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse exits first
    return 2
