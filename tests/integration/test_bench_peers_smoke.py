"""A tiny run of bench/bench_peers.py on the session's broker: every system on every workload under every
guarantee it has (exactly-once: kstreams_nb, the loop, Java Kafka Streams, Quix Streams), outputs checked.

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
from types import ModuleType

import pytest

from kstreams_nb.testing.kafka import LocalKafka

BENCH = Path(__file__).resolve().parents[2] / "bench"
WORKLOADS = ("stateless", "count", "window")
EXACTLY_ONCE = {"kstreams_nb", "loop", "java", "quix"}


def _bench_peers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_peers", BENCH / "bench_peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_peers", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(1800)  # under 5 minutes once the environments are cached; building them takes longer
def test_bench_peers_smoke(
    kafka_broker: LocalKafka, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _bench_peers(monkeypatch)

    results = module.main(["--records", "300", "--latency-seconds", "2", "--eos-latency-seconds", "2",
                           "--bootstrap", kafka_broker.bootstrap_servers, "--out", str(tmp_path)])

    systems = ["kstreams_nb", "loop", "quix", "bytewax", "faust"]
    if os.environ.get("CI", "").lower() == "true" or all(shutil.which(t) for t in ("java", "javac", "mvn")):
        systems.append("java")
    expected = {f"{system} {workload} {guarantee}" for system in systems for workload in WORKLOADS
                for guarantee in ("at_least_once", "exactly_once")
                if guarantee == "at_least_once" or system in EXACTLY_ONCE}
    out = capsys.readouterr().out
    assert expected <= set(results), out  # every run finished and its output checked out
    assert not {name for name in results if name.endswith("exactly_once")} - {
        f"{s} {w} exactly_once" for s in EXACTLY_ONCE for w in WORKLOADS
    }, "exactly-once ran for a system without it"
    assert all(rate > 0 for rate in results.values())

    written = json.loads((tmp_path / "peers.json").read_text())
    assert written["partitions"] == 6 and written["machine"]["cores"] >= 1
    assert written["guarantees"] == ["at_least_once", "exactly_once"]
    mode = {"exactly_once": "exactly_once"}  # any other guarantee (at_least_once, Bytewax's auto-commit): at-least-once
    by_run = {f"{r['system']} {r['workload']} {mode.get(r['guarantee'], 'at_least_once')}": r for r in written["runs"]}
    assert by_run["bytewax count at_least_once"]["guarantee"] == "auto-commit"
    for name in expected:
        run = by_run[name]
        assert run["status"] == "ok" and run["records"] == 300, run
        assert run["cpu_s_per_million"] > 0 and run["peak_rss_mb"] > 0
        assert 0 < run["latency_p50_ms"] <= run["latency_p99_ms"] < 30_000 and run["latency_samples"] >= 10
        if run["system"] != "kstreams_nb":
            assert run["ratios"]["speed"] > 0
        if run["guarantee"] == "exactly_once":
            ours = by_run[f"{run['system']} {run['workload']} at_least_once"]
            assert run["ratios"]["eos_over_alos"] == pytest.approx(run["records_per_s"] / ours["records_per_s"])
        else:
            assert "eos_over_alos" not in run["ratios"]
    table = (tmp_path / "peers.md").read_text()
    assert "| window | at-least-once | Quix Streams |" in table and "| window | exactly-once | Quix Streams |" in table
    assert "Machine:" in table
    assert "kstreams_nb exactly-once records/s over its at-least-once (target at least 0.8): stateless " in table
    assert (tmp_path / "peers.png").read_bytes()[:4] == b"\x89PNG"


def test_count_checks_are_strict_under_exactly_once(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _bench_peers(monkeypatch)
    long = [n.to_bytes(8, "big") for n in range(4)]
    for workload in ("count", "window"):
        for guarantee in ("at_least_once", "exactly_once"):
            check = module.check_for(workload, 20_000, guarantee)
            twice = next(k for k, n in check.expected.items() if n == 2)
            for k, n in check.expected.items():
                if k != twice:
                    check.add(k, long[n])
            for n in (1, 2, 1, 2):  # a replay: the right last count, but 1 then 2 output again
                check.add(twice, long[n])
            assert check.done()
            if guarantee == "exactly_once":
                assert check.problem() == "1 outputs repeat or lower a count already output for their key"
            else:
                assert check.problem() is None
            check.add(twice, long[3])
            assert check.problem() == f"1 of {len(check.expected)} keys with a wrong final count"


def test_stateless_check_wants_each_id_once(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _bench_peers(monkeypatch)
    check = module.check_for("stateless", 4, "exactly_once")
    assert check.expected == {1, 2, 3}  # amounts 0, 919, 838, 757 against the threshold 250
    outputs = [(b"k1", b'{"id": 1, "amount": 919, "kind": "view", "big": true}'),
               (b"k2", b'{"id": 2, "amount": 838, "kind": "buy", "big": true}'),
               (b"k3", b'{"id": 3, "amount": 757, "kind": "click", "big": true}')]
    for k, v in outputs:
        check.add(k, v)
    assert check.done() and check.problem() is None
    check.add(*outputs[0])
    assert check.problem() == "1 duplicate outputs"
