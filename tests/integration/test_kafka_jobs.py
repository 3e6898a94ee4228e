"""Process jobs on the real broker: a script acting as the kernel deploys a lambda-built stateful topology with
``mode="process"`` and exits; the job keeps processing; this test process attaches by name, reads state and
metrics, and stops it gracefully; under exactly_once_v2 the output holds every expected update exactly once.
Bad input fails within 30 s and leaves no process and no registry entry behind.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.errors import ConfigError, JobError
from kstreams_nb.jobs import JobState, Registry, attach, deploy
from kstreams_nb.jobs._job import job_processes, pid_alive
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import consume, new_topic, produce

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
S, L = Serdes.string(), Serdes.long()
SECRET = "do-not-print-this-9f2c"

KERNEL_SCRIPT = """
import sys
from kstreams_nb import Serdes, StreamsBuilder
from kstreams_nb.dsl import Consumed, Produced
from kstreams_nb.jobs import deploy

bootstrap, source, sink, app_id, home, SECRET = sys.argv[1:7]
s, long = Serdes.string(), Serdes.long()
builder = StreamsBuilder()
(builder.stream(source, Consumed.with_(s, s))
    .map_values(lambda v: v.upper())          # a lambda: travels with cloudpickle
    .filter(lambda k, v: v.startswith("X"))
    .group_by_key()
    .count()
    .to_stream()
    .to(sink, Produced.with_(s, long)))
config = {"application.id": app_id, "bootstrap.servers": bootstrap, "processing.guarantee": "exactly_once_v2",
          "commit.interval.ms": 100, "statestore.cache.max.bytes": 0, "state.dir": home + "/state",
          "sasl.password": SECRET}
job = deploy(builder, config, name="counts", mode="process", home=home)
print(job.name, job.pids[0], flush=True)
"""


def _run_kernel_script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "kernel.py"
    script.write_text(textwrap.dedent(KERNEL_SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=90,
                          env=env, cwd=tmp_path)


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_a_process_job_outlives_its_kernel_and_is_stopped_from_another_process(
    kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    source, sink = new_topic(kafka_broker, 3, prefix="in"), new_topic(kafka_broker, 3, prefix="out")
    home = tmp_path / "home"
    app_id = f"jobs-{uuid.uuid4().hex[:8]}"
    done = _run_kernel_script(tmp_path, kafka_broker.bootstrap_servers, source, sink, app_id, str(home), SECRET)
    assert done.returncode == 0, done.stderr
    name, pid = done.stdout.split()
    assert name == "counts"

    # the deploying "kernel" has exited; the job runs on
    assert pid_alive(int(pid), attach("counts", home=home).id)
    keys = [f"k{i}" for i in range(50)]
    rounds = 20
    produce(kafka_broker, source, [(S.serialize("", k), f"x-{r}".encode()) for r in range(rounds) for k in keys])
    produce(kafka_broker, source, [(S.serialize("", k), b"dropped") for k in keys])  # filtered out

    job = attach("counts", home=home)
    assert job.mode == "process" and job.application_id == app_id
    assert _wait(lambda: job.state is JobState.RUNNING, 60), job.logs()
    expected = len(keys) * rounds
    assert _wait(lambda: job.snapshot().lag and sum(job.snapshot().lag.values()) == 0
                 and sum(job.snapshot().committed.values()) >= expected + len(keys), 90), job.snapshot()
    metrics = job.metrics()
    assert any(m.name == "process-total" and v >= expected for m, v in metrics.items()), metrics

    assert job.stop(60)
    assert job.state is JobState.STOPPED
    assert not pid_alive(int(pid), job.id)
    assert Registry(home).find("counts").state == "STOPPED"

    counts: dict[str, list[int]] = defaultdict(list)
    for m in consume(kafka_broker, [sink], expected * 2, timeout=15):
        counts[S.deserialize(sink, m.key())].append(L.deserialize(sink, m.value()))
    assert counts == {k: list(range(1, rounds + 1)) for k in keys}  # every update exactly once, in order

    # the secret was in the config: not in the registry, the logs or the repr
    job_dir = Registry(home).dir_of(job.id)
    for path in job_dir.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert SECRET not in path.read_text(errors="replace"), path
    assert SECRET not in repr(job) and SECRET not in job._repr_html_()


def _no_job_left(home: Path, before: set[int]) -> None:
    registry = Registry(home)
    assert registry.records() == [], registry.records()
    children = {p for p in job_processes()} - before
    assert not children, children


def _pipe(source: str, sink: str = "out") -> StreamsBuilder:
    builder = StreamsBuilder()
    builder.stream(source).to(sink)
    return builder


@pytest.fixture
def clock() -> object:
    start = time.monotonic()
    yield None
    assert time.monotonic() - start < 30.0, "the failure took 30 s or more"


def test_bad_input_fails_fast_and_leaves_nothing(kafka_broker: LocalKafka, tmp_path: Path, clock: None) -> None:
    home = tmp_path / "home"
    before = job_processes()
    good = {"application.id": f"bad-{uuid.uuid4().hex[:6]}", "bootstrap.servers": kafka_broker.bootstrap_servers}

    with pytest.raises(ConfigError, match=r"application\.id"):
        deploy(_pipe("in"), {"bootstrap.servers": kafka_broker.bootstrap_servers}, mode="process", home=home)

    missing = f"never-{uuid.uuid4().hex[:6]}"
    with pytest.raises(JobError, match=missing):
        deploy(_pipe(missing), good, mode="process", home=home)
    _no_job_left(home, before)

    lock = threading.Lock()
    builder = StreamsBuilder()
    builder.stream(new_topic(kafka_broker, 1)).foreach(lambda k, v: lock.acquire(False))
    with pytest.raises(JobError, match="cannot be pickled") as failure:
        deploy(builder, good, mode="process", home=home)
    assert "KSTREAM-FOREACH-0000000001" in str(failure.value)  # names the node holding the object
    _no_job_left(home, before)

    with pytest.raises(JobError, match="kstreams-nb kafka start"):
        deploy(_pipe("in"), {"application.id": "x", "bootstrap.servers": "memory://x"}, mode="process", home=home)
    _no_job_left(home, before)


def test_an_unreachable_broker_fails_the_deploy(tmp_path: Path, clock: None) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    before = job_processes()
    with pytest.raises(JobError, match=f"127.0.0.1:{port}"):
        deploy(_pipe("in"), {"application.id": "unreachable", "bootstrap.servers": f"127.0.0.1:{port}"},
               mode="process", home=home)
    _no_job_left(home, before)


def _revenue_builder(orders: str, revenue: str) -> StreamsBuilder:
    """Workshop notebook 06's topology, lambdas and all: revenue per country from paid orders."""
    from kstreams_nb.dsl import Grouped, Materialized

    builder = StreamsBuilder()
    paid = builder.stream(orders).filter(lambda key, order: order["status"] == "paid")
    (paid.group_by(lambda key, order: order["country"], Grouped.as_("by-country"))
     .aggregate(lambda: 0, lambda country, order, total: total + order["amount"],
                materialized=Materialized.as_("revenue"))
     .to_stream().to(revenue))
    return builder


def test_the_workshop_topology_as_a_process_job_survives_a_kill_and_resumes(
    kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    import json
    import signal

    from kstreams_nb.jobs import panel

    orders, revenue = new_topic(kafka_broker, 2, prefix="orders"), new_topic(kafka_broker, 2, prefix="revenue")
    home = tmp_path / "home"
    config = {"application.id": f"revenue-{uuid.uuid4().hex[:8]}", "bootstrap.servers": kafka_broker.bootstrap_servers,
              "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 100,
              "statestore.cache.max.bytes": 0, "state.dir": str(tmp_path / "state")}

    def order(i: int, country: str, amount: int, status: str = "paid") -> tuple[bytes, bytes]:
        value = {"country": country, "amount": amount, "status": status}
        return json.dumps(f"o{i}").encode(), json.dumps(value).encode()

    def latest() -> dict[str, int]:
        out: dict[str, int] = {}
        for m in sorted(consume(kafka_broker, [revenue], 10_000, timeout=3), key=lambda m: m.timestamp()[1]):
            out[json.loads(m.key())] = json.loads(m.value())
        return out

    job = deploy(_revenue_builder(orders, revenue), config, name="revenue", mode="process", home=home)
    produce(kafka_broker, orders, [order(1, "KR", 120), order(2, "FR", 40), order(3, "KR", 75, "cancelled")])
    assert _wait(lambda: latest() == {"KR": 120, "FR": 40}, 60), (latest(), job.logs())
    view = panel(job)  # the live panel reads a process job through its status files
    try:
        assert view.refresh(timeout=10) is not None and view.last.state in ("RUNNING", "REBALANCING")
    finally:
        view.close()

    (pid,) = job.pids
    os.kill(pid, signal.SIGKILL)  # a crash: no close, no final status
    assert _wait(lambda: job.state is JobState.DEAD, 30), job.state
    assert "DEAD" in repr(attach("revenue", home=home))

    again = deploy(_revenue_builder(orders, revenue), config, name="revenue", mode="process", home=home)
    try:
        produce(kafka_broker, orders, [order(4, "KR", 30), order(5, "US", 60)])
        assert _wait(lambda: latest() == {"KR": 150, "FR": 40, "US": 60}, 60), (latest(), again.logs())
    finally:
        assert again.stop(60)
    # resumed from the committed offsets and the restored state: nothing counted twice
    totals: dict[str, list[int]] = defaultdict(list)
    for m in sorted(consume(kafka_broker, [revenue], 10_000, timeout=3), key=lambda m: m.timestamp()[1]):
        totals[json.loads(m.key())].append(json.loads(m.value()))
    assert totals == {"KR": [120, 150], "FR": [40], "US": [60]}
