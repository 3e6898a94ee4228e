"""A tiny run of every benchmark in bench/, so the benchmarks keep working (ARCHITECTURE §7)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

CASES = {
    "bench_driver": (["--records", "300", "--repeat", "1"], {"stateless 3-processor", "key-value counting"}),
    "bench_windowed": (["--records", "300", "--repeat", "1"], {"tumbling 1 min", "hopping 10 min / 1 min"}),
    "bench_runtime": (["--records", "300"], {"stateless 3-processor", "windowed count"}),
}


def test_every_benchmark_has_a_smoke() -> None:
    assert {p.stem for p in BENCH.glob("bench_*.py")} == set(CASES)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(CASES))
def test_bench_smoke(name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    argv, expected = CASES[name]
    results = module.main(argv)
    assert set(results) == expected
    assert all(ratio > 0 for ratio in results.values())
    assert "rec/s" in capsys.readouterr().out
