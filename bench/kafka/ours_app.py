"""kstreams_nb's side of bench_kafka.py: the two workloads as KafkaStreams DSL topologies on a real broker.

One stream thread, commits every 100 ms; runs until SIGTERM, then closes (committing what was processed).
Exits 1 when the instance stops by itself (its exception is printed). With ``BENCH_KAFKA_PROFILE=FILE`` in the
environment, the stream threads run under cProfile and their merged statistics go to FILE at the end.
Usage: ``python ours_app.py BOOTSTRAP APPLICATION_ID GUARANTEE stateless|count INPUT OUTPUT STATE_DIR``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kafka_workloads import enrich, keep

from kstreams_nb import KafkaStreams, Serdes, Topology
from kstreams_nb.dsl import Consumed, Produced, StreamsBuilder
from kstreams_nb.streams import State


def topology(workload: str, input_topic: str, output: str) -> Topology:
    builder = StreamsBuilder()
    if workload == "stateless":
        (
            builder.stream(input_topic, Consumed.with_(Serdes.string(), Serdes.json()))
            .filter(lambda _key, value: keep(value))
            .map_values(enrich)
            .to(output, Produced.with_(Serdes.string(), Serdes.json()))
        )
    else:
        (
            builder.stream(input_topic, Consumed.with_(Serdes.string(), Serdes.bytes()))
            .group_by_key()
            .count()
            .to_stream()
            .to(output, Produced.with_(Serdes.string(), Serdes.long()))
        )
    return builder.build()


def profile_stream_threads(path: str) -> Callable[[], None]:
    """Profile each stream thread started from now on (the hot path: poll, process, produce, commit); return the
    function writing their merged statistics to ``path``."""
    profiles: list[cProfile.Profile] = []

    def start(frame: Any, event: str, arg: Any) -> None:
        sys.setprofile(None)
        if "StreamThread" not in threading.current_thread().name:
            return
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()

    def dump() -> None:
        if profiles:
            stats = pstats.Stats(profiles[0])
            for profile in profiles[1:]:
                stats.add(profile)
            stats.dump_stats(path)

    threading.setprofile(start)
    return dump


def main(argv: list[str]) -> int:
    bootstrap, application_id, guarantee, workload, input_topic, output, state_dir = argv
    config = {
        "application.id": application_id, "bootstrap.servers": bootstrap, "processing.guarantee": guarantee,
        "num.stream.threads": 1, "commit.interval.ms": 100, "state.dir": state_dir,
    }  # fmt: skip
    profile_to = os.environ.get("BENCH_KAFKA_PROFILE")
    dump_profile = profile_stream_threads(profile_to) if profile_to else None
    done = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    streams = KafkaStreams(topology(workload, input_topic, output), config)
    streams.set_state_listener(lambda new, old: done.set() if new in (State.ERROR, State.NOT_RUNNING) else None)
    streams.start()
    while not done.wait(1.0):
        pass
    failed = streams.state() in (State.ERROR, State.PENDING_ERROR, State.NOT_RUNNING)
    streams.close(timeout=30)
    if dump_profile is not None:
        dump_profile()
    if failed:
        print(f"kstreams_nb stopped by itself: {streams.state().name} {streams.exception!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
