"""Thread jobs on the embedded broker: deploy returns a running Job at once, its output is visible, a running name
is refused unless replace=True, stop() commits and closes (no thread left), and bad input fails at deploy."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from kstreams_nb import StreamsBuilder
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.errors import ConfigError, JobError
from kstreams_nb.jobs import JobState, attach, deploy, list_jobs
from kstreams_nb.notebook import produce, read

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cluster() -> Iterator[str]:
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    broker = EmbeddedBroker.reset(name)
    broker.create_topic("in", partitions=2)
    broker.create_topic("out", partitions=2)
    yield f"memory://{name}"
    EmbeddedBroker.drop(name)


def _doubler() -> StreamsBuilder:
    builder = StreamsBuilder()
    builder.stream("in").map_values(lambda v: v * 2).to("out")
    return builder


def _until(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _config(servers: str) -> dict[str, object]:
    return {"application.id": f"app-{uuid.uuid4().hex[:6]}", "bootstrap.servers": servers, "commit.interval.ms": 50}


def test_a_thread_job_runs_in_the_background_and_stops_cleanly(cluster: str) -> None:
    config = _config(cluster)
    job = deploy(_doubler(), config, name="doubler")
    try:
        assert job.mode == "thread" and job.name == "doubler"
        assert _until(lambda: job.state is JobState.RUNNING)
        produce("in", [1, 2, 3], config=config)
        assert _until(lambda: sorted(read("out", config=config)["value"]) == [2, 4, 6])
        assert sorted(job.output("out")["value"]) == [2, 4, 6]
        assert attach("doubler") is job and job in list_jobs()
        assert "doubler" in repr(job) and "RUNNING" in job._repr_html_()
        assert any(m.name == "process-total" for m in job.metrics())
        # jobs record at DEBUG: records/s per node, for the live panel
        assert _until(lambda: any(v > 0 for v in job.snapshot().records_per_s_by_node.values()))
    finally:
        assert job.stop(10)
    assert job.state is JobState.STOPPED and job.wait(1)
    prefix = str(job.streams.process_id)
    assert not [t.name for t in threading.enumerate() if prefix in t.name]


def test_a_running_name_is_refused_unless_replaced(cluster: str) -> None:
    config = _config(cluster)
    first = deploy(_doubler(), config, name="twice")
    second = None
    try:
        with pytest.raises(JobError, match=r"already running.*replace=True"):
            deploy(_doubler(), config, name="twice")
        second = deploy(_doubler(), config, name="twice", replace=True)
        assert first.state is JobState.STOPPED and second.state is not JobState.STOPPED
        assert attach("twice") is second
    finally:
        for job in (first, second):
            if job is not None:
                job.stop(10)


def test_bad_input_fails_at_deploy(cluster: str) -> None:
    with pytest.raises(ConfigError, match=r"application\.id"):
        deploy(_doubler(), {"bootstrap.servers": cluster})
    with pytest.raises(ConfigError, match="unknown scheme"):
        deploy(_doubler(), {"application.id": "a", "bootstrap.servers": "memry://x"})
    with pytest.raises(JobError, match="kstreams-nb kafka start"):
        deploy(_doubler(), {"application.id": "a", "bootstrap.servers": cluster}, mode="process")
    with pytest.raises(JobError, match="mode='process'"):
        deploy(_doubler(), _config(cluster), instances=2)
    with pytest.raises(JobError, match="takes a Topology"):
        deploy(object(), _config(cluster))
    with pytest.raises(JobError, match="mode must be"):
        deploy(_doubler(), _config(cluster), mode="fork")
