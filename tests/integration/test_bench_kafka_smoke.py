"""A tiny run of bench/bench_kafka.py on the session's broker, so the real-broker benchmark keeps working."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from kstreams_nb.testing.kafka import LocalKafka

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.timeout(240)
def test_bench_kafka_smoke(
    kafka_broker: LocalKafka, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_kafka", BENCH / "bench_kafka.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_kafka", module)
    spec.loader.exec_module(module)

    results = module.main(["--records", "3000", "--partitions", "2", "--bootstrap", kafka_broker.bootstrap_servers])

    systems = [("loop", "at_least_once"), ("kstreams_nb", "at_least_once"), ("kstreams_nb", "exactly_once_v2")]
    if all(shutil.which(tool) for tool in ("java", "javac", "mvn")):
        systems += [("java", "at_least_once"), ("java", "exactly_once_v2")]
    expected = {f"{system} {guarantee} {workload}" for system, guarantee in systems
                for workload in ("stateless", "count")}
    out = capsys.readouterr().out
    assert expected <= set(results), out  # every run finished and its output checked out
    assert all(rate > 0 for rate in results.values())
    assert "target kstreams_nb ALOS / loop (count) >= 0.7:" in out
