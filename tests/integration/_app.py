"""A small KafkaStreams application that the integration tests run as its own OS process: a count per key.

    python tests/integration/_app.py BOOTSTRAP APPLICATION_ID INPUT OUTPUT [JSON_CONFIG]

It reads string keys from INPUT, counts the records of each key (no record cache: every update is written) and
writes ``(key, count)`` (string, long) to OUTPUT; JSON_CONFIG adds or overrides config keys (e.g.
``processing.guarantee``, ``state.dir``). It prints ``state <NAME>`` on every state change, exits 0 after a clean
close on SIGTERM or SIGINT, and 1 when the instance ends in ERROR. Tests SIGKILL it to simulate a crash.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any

from kstreams_nb import KafkaStreams, Serdes, StreamsBuilder
from kstreams_nb.dsl import Consumed, Produced
from kstreams_nb.streams import State


def count_topology(source: str, sink: str) -> StreamsBuilder:
    """source (string keys and values) -> count per key -> sink (string key, long count)."""
    s, long = Serdes.string(), Serdes.long()
    builder = StreamsBuilder()
    builder.stream(source, Consumed.with_(s, s)).group_by_key().count().to_stream().to(sink, Produced.with_(s, long))
    return builder


def main(argv: list[str]) -> int:
    bootstrap, app_id, source, sink = argv[:4]
    extra: dict[str, Any] = json.loads(argv[4]) if len(argv) > 4 else {}
    config = {"application.id": app_id, "bootstrap.servers": bootstrap, "statestore.cache.max.bytes": 0, **extra}
    streams = KafkaStreams(count_topology(source, sink), config)
    done = threading.Event()

    def on_state(new: State, old: State) -> None:
        print(f"state {new.name}", flush=True)
        if new in (State.ERROR, State.NOT_RUNNING):
            done.set()

    streams.set_state_listener(on_state)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    streams.start()
    while not done.wait(0.5):  # a timed wait lets the main thread run the signal handlers
        pass
    streams.close(60)
    if streams.exception is not None:
        print(f"error {streams.exception!r}", flush=True)
    return 0 if streams.state() is State.NOT_RUNNING else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
