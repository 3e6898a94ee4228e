"""Promote: a notebook topology built in IPython cells is exported to a module, then ``kstreams-nb run`` runs it with
``--instances 2`` on a 4-partition topic of the real broker; the final value per key equals what the notebook's
preview gave for the same input. ``kstreams-nb jobs list|status|stop`` manage it from a shell."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from kstreams_nb.jobs import Registry
from kstreams_nb.jobs._job import pid_alive
from kstreams_nb.testing.kafka import LocalKafka

from ._kafka import new_topic, produce, read_partitions

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shell(ipython_shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    return ipython_shell


def _run(shell: Any, code: str, cell_id: str) -> Any:
    result = shell.run_cell(textwrap.dedent(code), store_history=True, cell_id=cell_id)
    result.raise_error()
    return result.result


def _cli(home: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KSTREAMS_NB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "kstreams_nb", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_an_exported_notebook_topology_runs_with_two_instances_as_the_preview_said(
    kafka_broker: LocalKafka, shell: Any, tmp_path: Path
) -> None:
    source, sink = new_topic(kafka_broker, 4, prefix="in"), new_topic(kafka_broker, 4, prefix="out")
    app_id = f"promote-{uuid.uuid4().hex[:8]}"
    inputs = [(f"user-{i % 7}", json.dumps({"amount": i * 3 % 11, "kind": "buy" if i % 4 else "refund"}))
              for i in range(80)]
    _run(shell, """
        import json
        from kstreams_nb import Serdes
        from kstreams_nb.dsl import Consumed, Produced
        from kstreams_nb.notebook import NotebookBuilder, preview, records
        S, L = Serdes.string(), Serdes.long()
        def signed(order):
            return order["amount"] if order["kind"] == "buy" else -order["amount"]
    """, "setup")
    _run(shell, "nb = NotebookBuilder()", "builder")
    _run(shell, f"""
        orders = nb.stream({source!r}, Consumed.with_(S, S)).map_values(json.loads)
        totals = orders.map_values(signed).group_by_key().aggregate(lambda: 0, lambda k, v, total: total + v)
        totals.to_stream().to({sink!r}, Produced.with_(S, L))
    """, "program")
    shell.user_ns["INPUTS"] = inputs
    expected = _run(shell, f"""
        p = preview(nb, {{{source!r}: records(INPUTS)}})
        p.topic({sink!r}).groupby("key")["value"].last().to_dict()
    """, "preview")
    assert len(expected) == 7
    _run(shell, f"""
        from kstreams_nb.jobs import export
        result = export(nb, "shop_app.py", config={{"application.id": {app_id!r},
                        "bootstrap.servers": {kafka_broker.bootstrap_servers!r}, "commit.interval.ms": 100,
                        "statestore.cache.max.bytes": 0}})
    """, "export")
    assert (tmp_path / "shop_app.py").is_file() and (tmp_path / "shop_app.properties").is_file()

    produce(kafka_broker, source, [(k.encode(), v.encode()) for k, v in inputs])
    home = tmp_path / "home"
    started = subprocess.Popen(  # the foreground form: it prints the log and stops the job on SIGTERM
        [sys.executable, "-m", "kstreams_nb", "run", "shop_app:topology", "--config", "shop_app.properties",
         "--instances", "2"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "KSTREAMS_NB_HOME": str(home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline, final = time.monotonic() + 120, {}
        while time.monotonic() < deadline:
            final = {}
            for messages in read_partitions(kafka_broker, sink).values():
                for m in messages:
                    final[m.key().decode()] = int.from_bytes(m.value(), "big", signed=True)
            if final == expected:
                break
            time.sleep(0.5)
        if final != expected:
            started.kill()
            out, err = started.communicate(timeout=30)
            raise AssertionError(f"output {final} != preview {expected}\nrun stdout:\n{out}\nrun stderr:\n{err}")
        deadline = time.monotonic() + 60  # the second instance's join may still be settling
        while "state RUNNING" not in (status := _cli(home, "jobs", "status", app_id)).stdout:
            assert time.monotonic() < deadline, status
            time.sleep(0.5)
        listed = _cli(home, "jobs", "list")
        assert listed.returncode == 0 and app_id in listed.stdout and "RUNNING" in listed.stdout, listed
        rows = [line.split() for line in status.stdout.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
        assert len(rows) == 2 and all(state == "RUNNING" for _pid, state in rows), status.stdout  # two processes
        stopped = _cli(home, "jobs", "stop", app_id)
        assert stopped.returncode == 0 and "STOPPED" in stopped.stdout, (stopped.stdout, stopped.stderr)
        out, err = started.communicate(timeout=60)
        assert started.returncode == 0, (out, err)
        assert f"job {app_id}: STOPPED" in out
    finally:
        if started.poll() is None:
            started.kill()
        started.communicate(timeout=30)  # reaps it and closes its pipes
        for record in Registry(home).records():  # the job's processes run in their own session: never leave one
            for pid in record.pids:
                if pid_alive(pid, record.id):
                    os.kill(pid, signal.SIGKILL)
