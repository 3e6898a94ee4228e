"""A tiny run of every benchmark in bench/, so the benchmarks keep working (ARCHITECTURE §7)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

# name -> (argv, the result names main() returns, a text its output must contain)
CASES: dict[str, tuple[list[str], set[str], str]] = {
    "bench_driver": (["--records", "300", "--repeat", "1"], {"stateless 3-processor", "key-value counting"}, "rec/s"),
    "bench_windowed": (["--records", "300", "--repeat", "1"], {"tumbling 1 min", "hopping 10 min / 1 min"}, "rec/s"),
    "bench_joins": (["--records", "300", "--repeat", "1"],
                    {"stream-table join", "stream-stream join", "session-windowed count"}, "rec/s"),
    "bench_runtime": (["--records", "300"], {"stateless 3-processor", "windowed count"}, "rec/s"),
    "bench_draw": (["--nodes", "8", "--repeat", "1"], {"draw 8 nodes"}, "nx.draw baseline"),
    "bench_preview": (["--records", "200", "--repeat", "1"], {"preview 10-node"}, "through 10 nodes"),
    "bench_inprocess": (["--records", "300", "--repeat", "1"],
                        {"stateless driver", "stateless driver, list", "stateless runtime", "count driver cache on",
                         "count runtime cache on",
                         "count driver cache 0", "count runtime cache 0"}, "plain loop"),
    "bench_eos": (["--records", "300", "--threads", "1"], {"stateless 1 thread", "windowed 1 thread"}, "EOS/ALOS"),
}
# these have their own smoke below: they start kernels or subprocesses, and return other kinds of results;
# bench_kafka's needs the real broker: tests/integration/test_bench_kafka_smoke.py
OWN_SMOKE = {"bench_notebooks", "bench_memory", "bench_kafka", "bench_peers"}


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """bench/<name>.py as a fresh module (benchmarks import each other's helpers, so bench/ goes on the path)."""
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_has_a_smoke() -> None:
    assert {p.stem for p in BENCH.glob("bench_*.py")} == set(CASES) | OWN_SMOKE


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(CASES))
def test_bench_smoke(name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    argv, expected, printed = CASES[name]
    results = _load(name, monkeypatch).main(argv)
    assert set(results) == expected
    assert all(ratio > 0 for ratio in results.values())
    assert printed in capsys.readouterr().out


@pytest.mark.timeout(120)
def test_bench_notebooks_smoke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient.exceptions import CellExecutionError

    module = _load("bench_notebooks", monkeypatch)
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ("x = 6", "x *= 7")]), good)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('boom')")]), bad)
    results = module.main([str(good)])
    assert set(results) == {"good.ipynb"} and results["good.ipynb"] > 0
    assert "good.ipynb" in capsys.readouterr().out
    with pytest.raises(CellExecutionError, match="boom"):
        module.main([str(bad)])


@pytest.mark.timeout(180)
def test_bench_memory_smoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    results = _load("bench_memory", monkeypatch).main(
        ["--keys", "400", "--baseline-keys", "100", "--cache-keys", "200", "--partitions", "1"])
    backends = {name for name in results if not name.endswith(" past the cache")}
    assert "json" in backends and backends <= {"orjson", "json"}
    assert set(results) == backends | {f"{name} past the cache" for name in backends}
    assert capsys.readouterr().out.count("bytes/key") == len(backends)
