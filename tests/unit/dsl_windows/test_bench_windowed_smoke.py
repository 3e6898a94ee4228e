"""A tiny run of bench/bench_windowed.py, so the benchmark keeps working (ARCHITECTURE §7)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_windowed.py"


def test_bench_windowed_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_windowed", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--records", "300", "--repeat", "1"])
    assert set(results) == {"tumbling 1 min", "hopping 10 min / 1 min"}
    assert all(ratio > 0 for ratio in results.values())
    assert "plain loop" in capsys.readouterr().out
