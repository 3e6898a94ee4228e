"""The hand-written baseline of bench_kafka.py: a confluent-kafka consume -> transform -> produce loop.

At-least-once: every 100 ms the producer is flushed, then the consumed positions are committed (synchronously).
The count workload keeps counts in a dict and writes each new count to the output topic and to a changelog
topic, as a Kafka Streams store does. Runs until SIGTERM, then flushes and commits once more.
Usage: ``python loop_app.py BOOTSTRAP GROUP stateless|count INPUT OUTPUT [CHANGELOG]``.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaException, Producer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kafka_workloads import BIG, THRESHOLD

COMMIT_INTERVAL_S = 0.1
BATCH = 1000


def _delivery_failed(err: Any, msg: Any) -> None:
    if err is not None:  # only errors are reported (delivery.report.only.error)
        raise KafkaException(err)


def main(argv: list[str]) -> int:
    bootstrap, group, workload, input_topic, output = argv[:5]
    changelog = argv[5] if len(argv) > 5 else None
    if workload == "count" and changelog is None:
        raise SystemExit("the count workload needs a CHANGELOG topic")
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })  # fmt: skip
    producer = Producer({
        "bootstrap.servers": bootstrap, "delivery.report.only.error": True, "on_delivery": _delivery_failed,
    })  # fmt: skip
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer.subscribe([input_topic])
    produce = producer.produce
    loads, dumps = orjson.loads, orjson.dumps
    counts: dict[bytes, int] = {}
    uncommitted = False
    last_commit = time.monotonic()

    def send(topic: str, key: bytes | None, value: bytes) -> None:
        while True:
            try:
                produce(topic, value, key)
                return
            except BufferError:  # librdkafka's local queue is full: serve deliveries, then retry
                producer.poll(0.05)

    while not stopping:
        messages = consumer.consume(BATCH, 0.1)
        for msg in messages:
            if msg.error() is not None:
                raise KafkaException(msg.error())
            if workload == "stateless":
                value = loads(msg.value())
                amount = value["amount"]
                if amount > THRESHOLD:
                    value["big"] = amount > BIG
                    send(output, msg.key(), dumps(value))
            else:
                key = msg.key()
                count = counts[key] = counts.get(key, 0) + 1
                encoded = count.to_bytes(8, "big")
                send(output, key, encoded)
                send(changelog, key, encoded)  # type: ignore[arg-type]
        uncommitted = uncommitted or bool(messages)
        producer.poll(0)
        if uncommitted and time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
            producer.flush()
            consumer.commit(asynchronous=False)
            uncommitted, last_commit = False, time.monotonic()
    producer.flush()
    if uncommitted:
        consumer.commit(asynchronous=False)
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
