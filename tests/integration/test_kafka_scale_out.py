"""Scale-out over OS processes on the real broker: three processes with one application.id share the tasks of a
6-partition input, a SIGKILLed process's tasks move to the others, and under exactly_once_v2 a count survives
repeated SIGKILLs with every update in the read_committed output exactly once.

Each process runs tests/integration/_app.py (a count per key, no record cache). The group's assignment is read
from the broker (AdminClient.describe_consumer_groups): member -> partitions of the input topic. Test settings
make a kill cost seconds: ``session.timeout.ms`` 6000 (the broker allows 1000 and up), ``transaction.timeout.ms``
5000 (the broker aborts a killed producer's open transaction within a second of that), ``commit.interval.ms`` 100.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, KafkaException
from confluent_kafka import Producer as KafkaProducer

from kstreams_nb import Serdes
from kstreams_nb.partitioner import default_partition
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import DEADLINE, admin, new_topic

pytestmark = pytest.mark.timeout(300)

APP = Path(__file__).with_name("_app.py")
ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 6
FAST_FAILOVER = {
    "consumer.session.timeout.ms": 6000,
    "consumer.heartbeat.interval.ms": 1000,
    "producer.transaction.timeout.ms": 5000,
    "commit.interval.ms": 100,
}
S, L = Serdes.string(), Serdes.long()


class _Process:
    """One OS process of the application in slot ``slot``; a restart keeps the slot's state.dir (the same machine)
    and gets a new client.id, so group members name their process."""

    def __init__(self, app: _App, slot: int) -> None:
        self.app, self.slot, self.generation = app, slot, 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = app.tmp / f"p{slot}.log"

    @property
    def client_id(self) -> str:
        return f"p{self.slot}-g{self.generation}"

    def start(self) -> None:
        self.generation += 1
        config = {**self.app.config, "client.id": self.client_id, "state.dir": str(self.app.tmp / f"state-{self.slot}")}
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.client_id}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, str(APP), self.app.kafka.bootstrap_servers, self.app.app_id, self.app.input,
                 self.app.output, json.dumps(config)],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.app.tmp,
            )

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.log()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(DEADLINE)

    def stop(self) -> int | None:
        """SIGTERM (a clean close) and the exit code; SIGKILL when it does not exit within a minute."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(DEADLINE)
            return None

    def log(self) -> str:
        lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if not line.startswith("%")]
        return f"log of slot {self.slot}:\n" + "\n".join(lines[-40:])


class _App:
    """One application.id on the session broker, with its input (6 partitions) and output topics."""

    def __init__(self, kafka: LocalKafka, tmp: Path, **config: Any) -> None:
        self.kafka, self.tmp = kafka, tmp
        self.app_id = f"scale-{uuid.uuid4().hex[:10]}"
        self.input = new_topic(kafka, PARTITIONS, prefix="in")
        self.output = new_topic(kafka, PARTITIONS, prefix="out")
        self.config = {**FAST_FAILOVER, **config}
        self.admin = admin(kafka)  # held: a collected AdminClient never completes its futures
        self.processes: list[_Process] = []

    def launch(self, count: int) -> list[_Process]:
        """Start ``count`` processes, one after the other: each joins before the next starts."""
        for slot in range(count):
            process = _Process(self, slot)
            self.processes.append(process)
            process.start()
            self.wait_for_assignment(slot + 1)
        return self.processes

    def assignment(self) -> dict[str, set[int]] | None:
        """client.id of each member -> its partitions of the input topic, when the group is STABLE (else None)."""
        futures = self.admin.describe_consumer_groups([self.app_id], request_timeout=DEADLINE)
        try:
            group = futures[self.app_id].result(timeout=DEADLINE)
        except KafkaException:
            return None
        if group.state != ConsumerGroupState.STABLE:
            return None
        return {
            m.client_id.split("-StreamThread-")[0]: {tp.partition for tp in m.assignment.topic_partitions
                                                     if tp.topic == self.input}
            for m in group.members
        }

    def wait_for_assignment(self, members: int, timeout: float = 60.0) -> dict[str, set[int]]:
        """Wait until ``members`` processes share the input's partitions evenly, each partition to one member."""
        def even() -> dict[str, set[int]] | None:
            found = self.assignment()
            if found is None or len(found) != members:
                return None
            if sorted(p for ps in found.values() for p in ps) != list(range(PARTITIONS)):
                return None
            if any(len(ps) != PARTITIONS // members for ps in found.values()):  # 6 over 1, 2 or 3 members
                return None
            return found

        result = _wait(even, timeout)
        assert result is not None, (self.assignment(), *(p.log() for p in self.processes))
        return result

    def committed_total(self) -> int:
        """The group's committed input offsets, summed over the partitions."""
        request = ConsumerGroupTopicPartitions(self.app_id)
        result = self.admin.list_consumer_group_offsets([request])[self.app_id].result(timeout=DEADLINE)
        return sum(tp.offset for tp in result.topic_partitions if tp.topic == self.input and tp.offset > 0)

    def stop_all(self) -> list[int | None]:
        return [p.stop() for p in self.processes]


def _wait(condition: Callable[[], Any], timeout: float) -> Any:
    """Poll ``condition`` until it returns something truthy (returned) or ``timeout`` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


@pytest.fixture
def cleanup() -> Iterator[list[_App]]:
    """Apps whose processes are stopped after the test, whatever happens."""
    apps: list[_App] = []
    yield apps
    for app in apps:
        for p in app.processes:
            if p.proc is not None and p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait(DEADLINE)


def _keys_on(partitions: set[int], per_partition: int) -> list[str]:
    """``per_partition`` keys that Kafka's default partitioner puts on each of ``partitions``."""
    found: dict[int, list[str]] = defaultdict(list)
    i = 0
    while any(len(found[p]) < per_partition for p in partitions):
        key = f"key-{i}"
        p = default_partition(S.serialize("", key), PARTITIONS)
        if p in partitions and len(found[p]) < per_partition:
            found[p].append(key)
        i += 1
    return [k for p in sorted(partitions) for k in found[p]]


def _produce(kafka: LocalKafka, topic: str, keys: list[str]) -> None:
    producer = KafkaProducer({"bootstrap.servers": kafka.bootstrap_servers, "linger.ms": 5,
                              "partitioner": "murmur2_random"})
    for key in keys:
        producer.produce(topic, key=S.serialize(topic, key), value=b"x")
        if len(producer) > 10_000:
            producer.poll(0.05)
    assert producer.flush(DEADLINE) == 0


def _read_counts(kafka: LocalKafka, topic: str, expected: int, timeout: float) -> dict[str, list[int]]:
    """Every (key, count) of ``topic`` read_committed in offset order, per key; reads until ``expected`` records
    came and then two quiet seconds pass (so that an extra record would be seen)."""
    consumer = KafkaConsumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"check-{uuid.uuid4().hex}",
                              "auto.offset.reset": "earliest", "enable.auto.commit": False,
                              "isolation.level": "read_committed"})
    counts: dict[str, list[int]] = defaultdict(list)
    read = 0
    try:
        consumer.subscribe([topic])
        deadline, quiet_until = time.monotonic() + timeout, None
        while time.monotonic() < deadline and (quiet_until is None or time.monotonic() < quiet_until):
            batch = consumer.consume(10_000, 0.5)
            for msg in batch:
                if msg.error() is not None:
                    raise KafkaException(msg.error())
                counts[S.deserialize(topic, msg.key())].append(L.deserialize(topic, msg.value()))
            read += len(batch)
            if read >= expected and (batch or quiet_until is None):
                quiet_until = time.monotonic() + 2.0
    finally:
        consumer.close()
    return counts


def test_three_processes_share_six_tasks_and_a_killed_ones_tasks_move_to_the_others(
    kafka_broker: LocalKafka, tmp_path: Path, cleanup: list[_App]
) -> None:
    app = _App(kafka_broker, tmp_path)
    cleanup.append(app)
    first, second, third = app.launch(3)
    shared = app.wait_for_assignment(3)
    assert set(shared) == {"p0-g1", "p1-g1", "p2-g1"}  # each process runs 2 of the 6 tasks
    moved = shared["p1-g1"]

    second.kill()
    after = app.wait_for_assignment(2)
    assert set(after) == {"p0-g1", "p2-g1"}
    assert moved <= after["p0-g1"] | after["p2-g1"]
    assert after["p0-g1"] != shared["p0-g1"] or after["p2-g1"] != shared["p2-g1"]

    # the survivors process the moved partitions: keys on the killed process's partitions get counted
    keys = _keys_on(moved, 3)
    _produce(kafka_broker, app.input, keys)
    counts = _read_counts(kafka_broker, app.output, len(keys), timeout=60)
    assert {k: v for k, v in counts.items() if k in keys} == {k: [1] for k in keys}, (first.log(), third.log())
    assert app.stop_all() == [0, -signal.SIGKILL, 0]


KEYS = 500
ROUNDS = 101  # 500 keys x 101 rounds = 50,500 records
KILLS = 3


def test_exactly_once_count_survives_repeated_sigkills_with_every_update_exactly_once(
    kafka_broker: LocalKafka, tmp_path: Path, cleanup: list[_App]
) -> None:
    app = _App(kafka_broker, tmp_path, **{"processing.guarantee": "exactly_once_v2"})
    cleanup.append(app)
    processes = app.launch(3)
    keys = [f"key-{i}" for i in range(KEYS)]
    total = KEYS * ROUNDS
    stop = threading.Event()
    failures: list[BaseException] = []

    def produce_paced() -> None:
        """A round of every key at a time, paced so that the input keeps coming through all the kills."""
        try:
            for _ in range(ROUNDS):
                _produce(kafka_broker, app.input, keys)
                if stop.wait(0.2):
                    return
        except BaseException as e:
            failures.append(e)

    producer = threading.Thread(target=produce_paced, name="paced-producer", daemon=True)
    producer.start()
    killed_at: list[int] = []
    for kill in range(KILLS):
        threshold = (kill + 1) * total // (KILLS + 2)
        reached = _wait(lambda t=threshold: app.committed_total() >= t, 90)
        assert reached, (app.committed_total(), *(p.log() for p in processes))
        victim = processes[kill % len(processes)]
        victim.kill()
        killed_at.append(app.committed_total())
        victim.start()  # the same slot (and state.dir), a new process
        app.wait_for_assignment(3, timeout=90)
    producer.join(120)
    stop.set()
    assert not producer.is_alive() and not failures, failures
    assert all(at < total for at in killed_at), killed_at  # every kill happened mid-run

    counts = _read_counts(kafka_broker, app.output, total, timeout=120)
    exits = app.stop_all()
    sent = Counter({key: ROUNDS for key in keys})
    wrong = {k: v for k, v in counts.items() if v != list(range(1, sent[k] + 1))}
    assert not wrong, {k: _describe(v, sent[k]) for k, v in list(wrong.items())[:10]}
    assert set(counts) == set(keys)
    assert sum(len(v) for v in counts.values()) == total
    assert exits == [0, 0, 0], [p.log() for p in processes]


def _describe(counts: list[int], expected: int) -> str:
    """Where a key's sequence of counts first differs from 1..expected."""
    first = next((i for i, c in enumerate(counts) if c != i + 1), len(counts))
    return f"{len(counts)} updates for {expected} records, update #{first + 1} on: {counts[first:first + 5]}"
