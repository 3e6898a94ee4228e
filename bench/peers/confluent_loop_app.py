"""The hand-written loop in bench_peers.py: ``bench/kafka/loop_app.py`` for stateless and count, and for the
window workload the same consume → transform → produce loop counting per (key, 10-minute window of the record's
timestamp) in a dict, writing each new count to the output and to a changelog topic. Every 100 ms, at-least-once:
flush, then commit; exactly-once: the consumed positions and the commit of the open transaction
(``loop_app.commit``).

Usage: ``python confluent_loop_app.py BOOTSTRAP GROUP stateless|count|window INPUT OUTPUT CHANGELOG
[at_least_once|exactly_once]``.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kafka"))

import loop_app as kafka_loop  # type: ignore[import-not-found]
from kafka_workloads import WINDOW_MS  # type: ignore[import-not-found]

COMMIT_INTERVAL_S = 0.1
BATCH = 1000


def window_loop(bootstrap: str, group: str, input_topic: str, output: str, changelog: str, guarantee: str) -> int:
    consumer, producer = kafka_loop.clients(bootstrap, group, guarantee)
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer.subscribe([input_topic])
    counts: dict[bytes, int] = {}
    uncommitted, last_commit = False, time.monotonic()

    def send(topic: str, key: bytes, value: bytes) -> None:
        while True:
            try:
                producer.produce(topic, value, key)
                return
            except BufferError:
                producer.poll(0.05)

    while not stopping:
        messages = consumer.consume(BATCH, 0.1)
        for msg in messages:
            if msg.error() is not None:
                raise KafkaException(msg.error())
            timestamp = msg.timestamp()[1]
            key = b"%s@%d" % (msg.key(), timestamp - timestamp % WINDOW_MS)
            count = counts[key] = counts.get(key, 0) + 1
            encoded = count.to_bytes(8, "big")
            send(output, key, encoded)
            send(changelog, key, encoded)
        uncommitted = uncommitted or bool(messages)
        producer.poll(0)
        if uncommitted and time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
            kafka_loop.commit(consumer, producer, guarantee)
            uncommitted, last_commit = False, time.monotonic()
    if uncommitted or guarantee == "exactly_once":
        kafka_loop.commit(consumer, producer, guarantee, again=False)
    producer.flush()
    consumer.close()
    return 0


def main(argv: list[str]) -> int:
    if argv[2] != "window":
        code: int = kafka_loop.main(argv)
        return code
    bootstrap, group, _, input_topic, output, changelog = argv[:6]
    return window_loop(bootstrap, group, input_topic, output, changelog, argv[6] if len(argv) > 6 else "at_least_once")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
