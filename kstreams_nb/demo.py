"""The main job: generate input into the embedded broker, run the seed's examples with KafkaStreams, print
their topologies and results.

Run it with ``kstreams-nb demo`` or ``python -m kstreams_nb demo``.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.examples import TEN_MINUTES, routing_topology, ten_minute_counts, word_count
from kstreams_nb.serdes import Serdes
from kstreams_nb.streams import KafkaStreams, State

__all__ = ["run_demo"]

S = Serdes.string()
MINUTE = 60_000

LINES = [
    "Kafka Streams transforms records from source topics into sink topics",
    "a topology is a tree of source stream and sink processors",
    "the streams DSL makes most stream logic easy",
    "the processor API does what the DSL cannot",
    "tasks run on threads and threads scale out over servers",
]


def _run(broker: EmbeddedBroker, broker_name: str, app_id: str, topology: Any, inputs: list[str]) -> float:
    """Run ``topology`` until it has consumed everything in ``inputs`` (and its own repartition topics)."""
    started = time.perf_counter()
    config = {"application.id": app_id, "bootstrap.servers": f"memory://{broker_name}", "commit.interval.ms": 50}
    with KafkaStreams(topology, config) as streams:
        streams.start()
        if not streams.wait_for_state(State.RUNNING, timeout=30):
            raise RuntimeError(f"{app_id} did not start: {streams.state()} {streams.exception!r}")
        plan = streams.plan
        topics = sorted({t for ts in (plan.source_topics.values() if plan else []) for t in ts} | set(inputs))
        if not broker.wait_until_consumed(app_id, topics, timeout=30):
            raise RuntimeError(f"{app_id} did not finish: {streams.state()} {streams.exception!r}")
    return time.perf_counter() - started


def _section(out: TextIO, title: str, topology: Any) -> None:
    out.write(f"\n== {title}\n{topology.describe()}")


def run_demo(out: TextIO = sys.stdout, seed: int = 7) -> int:
    """Run the demo, writing to ``out``; returns an exit code."""
    name = "demo"
    broker = EmbeddedBroker.reset(name)
    write: Callable[[str], Any] = out.write
    write("kstreams_nb demo: the seed's examples running on KafkaStreams over the embedded broker\n")
    for topic in ("text-lines", "word-counts", "clicks", "clicks-per-10-minutes", "logs"):
        broker.create_topic(topic, 3)

    # 1. Word count (Streams DSL): the records of a source topic transformed into a sink topic in real time
    topology = word_count("text-lines", "word-counts")
    _section(out, "1. Word count (Streams DSL)", topology)
    for i, line in enumerate(LINES):
        broker.produce("text-lines", None, S.serialize("text-lines", line), timestamp=i * 1000)
    took = _run(broker, name, "wordcount", topology, ["text-lines"])
    latest: dict[str, int] = {}
    for r in broker.read("word-counts"):
        latest[S.deserialize("word-counts", r.key)] = Serdes.long().deserialize("word-counts", r.value)
    top = sorted(latest.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
    write(f"  {len(LINES)} lines → {len(latest)} words in {took:.2f}s; most frequent: "
          + ", ".join(f"{w}={c}" for w, c in top) + "\n")

    # 2. Clicks per user in 10-minute windows, final results once each window closes (suppress)
    topology = ten_minute_counts("clicks", "clicks-per-10-minutes", final=True)
    _section(out, "2. Clicks per user per 10 minutes, emitted once per closed window (Streams DSL + suppress)",
             topology)
    rng = random.Random(seed)
    users = ["alice", "bob", "carol", "dave"]
    clicks = sorted((rng.randrange(0, 30 * MINUTE), rng.choice(users)) for _ in range(120))
    clicks += [(41 * MINUTE, u) for u in users]  # a later click per user moves stream time past the last window
    for ts, user in clicks:
        broker.produce("clicks", S.serialize("clicks", user), S.serialize("clicks", "/page"), timestamp=ts)
    took = _run(broker, name, "clicks", topology, ["clicks"])
    from kstreams_nb.dsl import WindowedSerdes

    keys = WindowedSerdes.time_windowed_serde_from(S, TEN_MINUTES)
    rows: list[tuple[Any, int]] = [
        (keys.deserialize("c", r.key), Serdes.long().deserialize("c", r.value))
        for r in broker.read("clicks-per-10-minutes")
    ]
    write(f"  {len(clicks)} clicks in {took:.2f}s; final count per user and window:\n")
    for windowed, count in sorted(rows, key=lambda kv: (kv[0].window.start, kv[0].key)):
        write(f"    {windowed.key:<6} [{windowed.window.start // MINUTE:>2}-{windowed.window.end // MINUTE:>2} min) "
              f"{count:>3}\n")

    # 3. Route each record to a topic chosen from its value (Processor API, TopicNameExtractor)
    topology = routing_topology("logs")
    _section(out, "3. Route each log line to a topic chosen from its value (Processor API)", topology)
    levels = ["info", "warn", "error", "debug"]
    for topic in [f"logs-{level}" for level in levels] + ["logs-unknown"]:
        broker.create_topic(topic, 1)  # Kafka Streams never creates the topics an extractor picks
    for i in range(40):
        level = levels[rng.randrange(len(levels))]
        broker.produce("logs", S.serialize("logs", f"host-{i % 5}"), S.serialize("logs", f"{level}: event {i}"),
                       timestamp=i)
    took = _run(broker, name, "router", topology, ["logs"])
    counts = {t: len(broker.read(t)) for t in sorted(broker.topics()) if t.startswith("logs-")}
    write(f"  40 lines routed in {took:.2f}s: " + ", ".join(f"{t}={n}" for t, n in counts.items()) + "\n")
    EmbeddedBroker.drop(name)
    return 0
