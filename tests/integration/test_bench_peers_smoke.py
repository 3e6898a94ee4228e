"""A tiny run of bench/bench_peers.py on the session's broker: every system on every workload, outputs checked.

The peers' virtual environments are built from PyPI on first use (minutes) and reused from the cache after
that. A peer that cannot be installed or run fails this test; Java Kafka Streams may be missing only outside CI
on a machine without java, javac and mvn.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from kstreams_nb.testing.kafka import LocalKafka

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.timeout(1800)  # under 5 minutes once the environments are cached; building them takes longer
def test_bench_peers_smoke(
    kafka_broker: LocalKafka, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_peers", BENCH / "bench_peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_peers", module)
    spec.loader.exec_module(module)

    results = module.main(["--records", "300", "--latency-seconds", "2", "--bootstrap", kafka_broker.bootstrap_servers,
                           "--out", str(tmp_path)])

    systems = ["kstreams_nb", "loop", "quix", "bytewax", "faust"]
    if os.environ.get("CI", "").lower() == "true" or all(shutil.which(t) for t in ("java", "javac", "mvn")):
        systems.append("java")
    expected = {f"{system} {workload}" for system in systems for workload in ("stateless", "count", "window")}
    out = capsys.readouterr().out
    assert expected <= set(results), out  # every run finished and its output checked out
    assert all(rate > 0 for rate in results.values())

    written = json.loads((tmp_path / "peers.json").read_text())
    assert written["partitions"] == 6 and written["machine"]["cores"] >= 1
    by_run = {(r["system"], r["workload"]): r for r in written["runs"]}
    for name in expected:
        run = by_run[tuple(name.split())]
        assert run["status"] == "ok" and run["records"] == 300
        assert run["cpu_s_per_million"] > 0 and run["peak_rss_mb"] > 0
        assert 0 < run["latency_p50_ms"] <= run["latency_p99_ms"] < 30_000 and run["latency_samples"] >= 10
        if run["system"] != "kstreams_nb":
            assert run["ratios"]["speed"] > 0
    table = (tmp_path / "peers.md").read_text()
    assert "| window | Quix Streams |" in table and "Machine:" in table
    assert (tmp_path / "peers.png").read_bytes()[:4] == b"\x89PNG"
