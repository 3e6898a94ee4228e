"""``kstreams-nb kafka start|status|logs|stop`` through ``python -m kstreams_nb``, with a temporary home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kstreams_nb.testing.kafka import free_port

from ._kafka import consume, new_topic, produce


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KSTREAMS_NB_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "kstreams_nb", "kafka", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_background_broker_outlives_the_command(tmp_path: Path) -> None:
    port = free_port()
    address = f"127.0.0.1:{port}"
    started = _run(tmp_path, "start", "--port", str(port))
    try:
        assert started.returncode == 0, started.stderr
        assert f"started at {address}" in started.stdout

        again = _run(tmp_path, "start")
        assert again.returncode == 0 and f"already running at {address}" in again.stdout

        status = _run(tmp_path, "status")
        assert status.returncode == 0 and f"running at {address}" in status.stdout

        topic = new_topic(address)  # the broker serves although the starting command has exited
        produce(address, topic, [(b"k", b"v")])
        assert [m.value() for m in consume(address, [topic], 1)] == [b"v"]

        logs = _run(tmp_path, "logs", "-n", "1000")
        assert logs.returncode == 0 and "Kafka Server started" in logs.stdout
        last = _run(tmp_path, "logs", "-n", "1")
        assert last.returncode == 0 and last.stdout.splitlines() == logs.stdout.splitlines()[-1:]
    finally:
        stopped = _run(tmp_path, "stop")
    assert stopped.returncode == 0 and stopped.stdout == "Kafka stopped\n"
    after = _run(tmp_path, "status")
    assert after.returncode == 1 and "not running" in after.stdout
