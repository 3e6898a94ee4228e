"""The hand-written baseline of bench_kafka.py: a confluent-kafka consume -> transform -> produce loop.

At-least-once (the default): every 100 ms the producer is flushed, then the consumed positions are committed
(synchronously). Exactly-once: a transactional producer (``transactional.id`` ``<GROUP>-loop``) and a
``read_committed`` consumer without auto-commit; every 100 ms the consumed positions go into the open transaction
(``send_offsets_to_transaction``), which is committed, and the next one begins. The count workload keeps counts in
a dict and writes each new count to the output topic and to a changelog topic (inside the transaction under
exactly-once), as a Kafka Streams store does. Runs until SIGTERM, then commits once more.
Usage: ``python loop_app.py BOOTSTRAP GROUP stateless|count INPUT OUTPUT [CHANGELOG [at_least_once|exactly_once]]``.
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


GUARANTEES = ("at_least_once", "exactly_once")


def clients(bootstrap: str, group: str, guarantee: str) -> tuple[Any, Any]:
    """The loop's consumer and producer for ``guarantee``; under exactly-once the first transaction is begun."""
    if guarantee not in GUARANTEES:
        raise SystemExit(f"unknown guarantee {guarantee!r}: expected one of {', '.join(GUARANTEES)}")
    eos = guarantee == "exactly_once"
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", **({"isolation.level": "read_committed"} if eos else {}),
    })  # fmt: skip
    producer = Producer({
        "bootstrap.servers": bootstrap, "delivery.report.only.error": True, "on_delivery": _delivery_failed,
        **({"transactional.id": f"{group}-loop"} if eos else {}),
    })  # fmt: skip
    if eos:
        producer.init_transactions(30)
        producer.begin_transaction()
    return consumer, producer


def commit(consumer: Any, producer: Any, guarantee: str, again: bool = True) -> None:
    """Commit what was consumed and produced: at-least-once, flush the producer, then commit the consumer's
    positions; exactly-once, put the positions into the open transaction, commit it and (``again``) begin the
    next one."""
    if guarantee != "exactly_once":
        producer.flush()
        consumer.commit(asynchronous=False)
        return
    positions = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
    if positions:
        producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
    producer.commit_transaction(30)
    if again:
        producer.begin_transaction()


def main(argv: list[str]) -> int:
    bootstrap, group, workload, input_topic, output = argv[:5]
    changelog = argv[5] if len(argv) > 5 else None
    guarantee = argv[6] if len(argv) > 6 else "at_least_once"
    if workload == "count" and changelog is None:
        raise SystemExit("the count workload needs a CHANGELOG topic")
    consumer, producer = clients(bootstrap, group, guarantee)
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
            commit(consumer, producer, guarantee)
            uncommitted, last_commit = False, time.monotonic()
    if uncommitted or guarantee == "exactly_once":
        commit(consumer, producer, guarantee, again=False)
    producer.flush()
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
