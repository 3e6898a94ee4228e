"""A thread job in a real kernel, on the real broker, under exactly_once_v2: shutting the kernel down closes the job
gracefully within the kernel's shutdown wait (its last work committed: the commit interval is far longer than
the test), and a restart of the same application resumes from the committed offsets with no duplicate output."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions
from kernel._support import Kernel, start_kernel  # tests/ is on sys.path (pytest prepend mode)

from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.dsl import Consumed, Produced
from kstreams_nb.jobs import JobState, deploy
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import DEADLINE, admin, new_topic, produce, read_partitions

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(240)]
S, L = Serdes.string(), Serdes.long()
KEYS = [f"k{i}" for i in range(30)]

CELL = """
from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.dsl import Consumed, Produced
from kstreams_nb.jobs import deploy, JobState
s, long = Serdes.string(), Serdes.long()
builder = StreamsBuilder()
counts = builder.stream({source!r}, Consumed.with_(s, s)).group_by_key().count()
counts.to_stream().to({sink!r}, Produced.with_(s, long))
job = deploy(builder, {config!r})
import time
deadline = time.monotonic() + 60
while job.state is not JobState.RUNNING and time.monotonic() < deadline:
    time.sleep(0.1)
print(job.state.name)
"""


def _config(kafka: LocalKafka, app_id: str, state_dir: Path) -> dict[str, object]:
    return {"application.id": app_id, "bootstrap.servers": kafka.bootstrap_servers,
            "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 600_000,
            "statestore.cache.max.bytes": 0, "state.dir": str(state_dir)}


def _committed(kafka: LocalKafka, app_id: str, topic: str) -> int:
    client = admin(kafka)  # held until the future resolves: a collected AdminClient never completes it
    result = client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(app_id)])[app_id]
    return sum(tp.offset for tp in result.result(timeout=DEADLINE).topic_partitions
               if tp.topic == topic and tp.offset > 0)


def _counts(kafka: LocalKafka, sink: str) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(list)
    for messages in read_partitions(kafka, sink, read_committed=True).values():
        for m in messages:
            counts[S.deserialize(sink, m.key())].append(L.deserialize(sink, m.value()))
    return counts


def test_kernel_shutdown_closes_a_thread_job_and_a_restart_resumes_exactly_once(
    kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    source, sink = new_topic(kafka_broker, 2, prefix="in"), new_topic(kafka_broker, 2, prefix="out")
    app_id = f"kernel-job-{uuid.uuid4().hex[:8]}"
    config = _config(kafka_broker, app_id, tmp_path / "state")
    produce(kafka_broker, source, [(S.serialize("", k), b"x") for k in KEYS])
    manager, client = start_kernel(tmp_path / "kernels", tmp_path / "ipython")
    try:
        kernel = Kernel(client)
        assert kernel.run(CELL.format(source=source, sink=sink, config=config)) == "RUNNING\n"
        kernel.run("import time\ndeadline = time.monotonic() + 60\n"
                   "while job.snapshot().lag and sum(job.snapshot().lag.values()) and time.monotonic() < deadline:\n"
                   "    time.sleep(0.1)\n"
                   "while sum(m.name == 'process-total' and v >= 30 for m, v in job.metrics().items()) == 0 "
                   "and time.monotonic() < deadline:\n    time.sleep(0.1)")
        assert _committed(kafka_broker, app_id, source) == 0  # nothing committed yet: the interval is 10 min
        process = manager.provisioner.process
        started = time.monotonic()
        manager.shutdown_kernel(now=False)  # a shutdown request; jupyter_client kills after its 5 s wait
        took = time.monotonic() - started
    finally:
        client.stop_channels()
        if manager.is_alive():
            manager.shutdown_kernel(now=True)
    assert process.returncode == 0, (process.returncode, took)  # ended by itself, not killed
    assert took < 5.0 + 1.0, took
    assert _committed(kafka_broker, app_id, source) == len(KEYS)  # the close committed the last work
    assert _counts(kafka_broker, sink) == {k: [1] for k in KEYS}

    # a restart resumes from the committed offsets: no input counted twice
    produce(kafka_broker, source, [(S.serialize("", k), b"x") for k in KEYS])
    builder = StreamsBuilder()
    (builder.stream(source, Consumed.with_(S, S)).group_by_key().count().to_stream()
     .to(sink, Produced.with_(S, L)))
    job = deploy(builder, {**config, "commit.interval.ms": 100})
    try:
        deadline = time.monotonic() + 60
        while _committed(kafka_broker, app_id, source) < 2 * len(KEYS) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert job.state is JobState.RUNNING
    finally:
        assert job.stop(30)
    assert _counts(kafka_broker, sink) == {k: [1, 2] for k in KEYS}
