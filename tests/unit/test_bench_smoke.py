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


# bench_notebooks starts a kernel per notebook, so it has its own smoke below, on tiny notebooks.
CASES["bench_notebooks"] = ([], set())


@pytest.mark.timeout(120)
def test_bench_notebooks_smoke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient.exceptions import CellExecutionError

    spec = importlib.util.spec_from_file_location("bench_notebooks", BENCH / "bench_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_notebooks", module)
    spec.loader.exec_module(module)
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ("x = 6", "x *= 7")]), good)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('boom')")]), bad)
    results = module.main([str(good)])
    assert set(results) == {"good.ipynb"} and results["good.ipynb"] > 0
    assert "good.ipynb" in capsys.readouterr().out
    with pytest.raises(CellExecutionError, match="boom"):
        module.main([str(bad)])


# bench_draw reports a time ratio rather than rec/s, so it has its own smoke below; registering it here (after
# the parametrized test above has read CASES) keeps test_every_benchmark_has_a_smoke complete.
CASES["bench_draw"] = (["--nodes", "8", "--repeat", "1"], {"draw 8 nodes"})


@pytest.mark.timeout(120)
def test_bench_draw_smoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_draw", BENCH / "bench_draw.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_draw", module)
    spec.loader.exec_module(module)
    argv, expected = CASES["bench_draw"]
    results = module.main(argv)
    assert set(results) == expected and all(ratio > 0 for ratio in results.values())
    assert "nx.draw baseline" in capsys.readouterr().out


# bench_preview: registered after the parametrized test read CASES, with its own smoke (it prints seconds).
CASES["bench_preview"] = (["--records", "200", "--repeat", "1"], {"preview 10-node"})


@pytest.mark.timeout(120)
def test_bench_preview_smoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # it imports a helper of bench_draw
    monkeypatch.delitem(sys.modules, "bench_preview", raising=False)
    module = importlib.import_module("bench_preview")
    argv, expected = CASES["bench_preview"]
    results = module.main(argv)
    assert set(results) == expected and all(ratio > 0 for ratio in results.values())
    assert "through 10 nodes" in capsys.readouterr().out


# bench_memory runs each measurement in a subprocess and prints bytes per key: its own smoke, on a few keys.
CASES["bench_memory"] = (["--keys", "400", "--baseline-keys", "100", "--partitions", "1"], set())


@pytest.mark.timeout(180)
def test_bench_memory_smoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_memory", BENCH / "bench_memory.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_memory", module)
    spec.loader.exec_module(module)
    results = module.main(CASES["bench_memory"][0])
    assert "json" in results and set(results) <= {"orjson", "json"}
    out = capsys.readouterr().out
    assert out.count("bytes/key") == len(results)


# bench_eos runs both guarantees per pipeline and thread count: its own smoke, on a few records and one thread.
CASES["bench_eos"] = (["--records", "300", "--threads", "1"], {"stateless 1 thread", "windowed 1 thread"})


@pytest.mark.timeout(120)
def test_bench_eos_smoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # it imports bench_runtime and bench_driver
    spec = importlib.util.spec_from_file_location("bench_eos", BENCH / "bench_eos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_eos", module)
    spec.loader.exec_module(module)
    argv, expected = CASES["bench_eos"]
    results = module.main(argv)
    assert set(results) == expected and all(ratio > 0 for ratio in results.values())
    assert capsys.readouterr().out.count("EOS/ALOS") == len(expected)
