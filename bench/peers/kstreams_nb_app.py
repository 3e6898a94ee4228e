"""kstreams_nb's app in bench_peers.py: the stateless and count workloads of ``bench/kafka/ours_app.py``, plus the
window workload (``group_by_key → windowed_by(10-minute tumbling, no grace) → count``, keyed ``<key>@<start>``).

Usage: ``python kstreams_nb_app.py BOOTSTRAP APPLICATION_ID GUARANTEE stateless|count|window INPUT OUTPUT STATE_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kafka"))

import ours_app as kafka_app  # type: ignore[import-not-found]
from kafka_workloads import WINDOW_MS, window_key  # type: ignore[import-not-found]

from kstreams_nb import Serdes, Topology
from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder, TimeWindows

stateless_or_count = kafka_app.topology


def topology(workload: str, input_topic: str, output: str) -> Topology:
    if workload != "window":
        built: Topology = stateless_or_count(workload, input_topic, output)
        return built
    builder = StreamsBuilder()

    def rekey(windowed: Any, count: int) -> tuple[bytes, int]:
        return window_key(windowed.key, windowed.window.start), count

    (
        builder.stream(input_topic, Consumed.with_(Serdes.bytes(), Serdes.bytes()))
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(WINDOW_MS))
        .count()
        .to_stream()
        .map(rekey)
        .to(output, Produced.with_(Serdes.bytes(), Serdes.long()))
    )
    return builder.build()


if __name__ == "__main__":
    kafka_app.topology = topology  # the same runner, with the window workload added
    sys.exit(kafka_app.main(sys.argv[1:]))
