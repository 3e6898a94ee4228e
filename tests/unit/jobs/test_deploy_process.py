"""Process jobs that cannot start: deploy gives up at its start timeout (the child killed, its registry entry
gone), and a child that exits at once is reported with the end of its logs. No broker is reached: the child never
gets that far."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kstreams_nb.errors import JobError
from kstreams_nb.jobs import Registry, _deploy, deploy
from kstreams_nb.jobs._job import job_processes

pytestmark = pytest.mark.timeout(60)
CONFIG = {"application.id": "stuck", "bootstrap.servers": "127.0.0.1:1"}


def _module(tmp_path: Path, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(body)
    return f"{name}:topology"


def test_a_job_that_does_not_start_in_time_is_killed_and_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_deploy, "START_TIMEOUT", 2.0)
    ref = _module(tmp_path, "slow_app", "import time\ntime.sleep(60)\ntopology = None\n")
    before = job_processes()
    started = time.monotonic()
    with pytest.raises(JobError, match="did not start within 2 s"):
        deploy(ref, CONFIG, mode="process", home=tmp_path / "home")
    assert time.monotonic() - started < 15
    assert Registry(tmp_path / "home").records() == []
    assert not (job_processes() - before)


def test_a_job_that_fails_to_load_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ref = _module(tmp_path, "broken_app", "raise RuntimeError('no topology here')\n")
    with pytest.raises(JobError, match="no topology here"):
        deploy(ref, CONFIG, mode="process", home=tmp_path / "home")
    assert Registry(tmp_path / "home").records() == []


def test_a_config_value_that_cannot_be_sent_is_named(tmp_path: Path) -> None:
    import threading

    from kstreams_nb import Topology

    topology = Topology().add_source("s", "in").add_sink("k", "out", "s")
    with pytest.raises(JobError, match=r"config key 'my\.lock' holds a lock"):
        deploy(topology, {**CONFIG, "my.lock": threading.Lock()}, mode="process", home=tmp_path / "home")
    assert Registry(tmp_path / "home").records() == []
