"""Benchmark: each workshop notebook run top to bottom in a fresh kernel, as a workshop attendee runs it.

For each notebook, nbclient starts a new kernel on this interpreter (whatever kernelspecs are installed), runs every
cell in the notebook's folder, and the script prints the wall time (kernel start included) and the kernel's CPU
time (its process and children). The target is under 60 s per notebook. The notebooks are read, never written.
Run: ``.venv/bin/python bench/bench_notebooks.py [NOTEBOOK ...]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TARGET_S = 60.0


class _ThisInterpreter(KernelSpecManager):
    """Every kernel name resolves to an ipykernel on the interpreter running the benchmark."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python ({sys.executable})",
            language="python",
            resource_dir=str(Path(__file__).parent),
        )


def _cpu_seconds(pid: int) -> float:
    process = psutil.Process(pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run_notebook(path: Path, *, cell_timeout: float = 600.0) -> tuple[float, float, int]:
    """Run `path` in a fresh kernel; return (wall seconds, kernel CPU seconds, code cells run)."""
    notebook: Any = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=_ThisInterpreter())
    client = NotebookClient(
        notebook, km=km, timeout=cell_timeout, resources={"metadata": {"path": str(path.parent)}}
    )
    started = time.perf_counter()
    cells = 0
    with client.setup_kernel(cleanup_kc=True):
        assert client.kc is not None
        client.wait_for_reply(client.kc.kernel_info())
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index, execution_count=cells + 1)
                cells += 1
        pid = getattr(km.provisioner, "pid", None)  # a local kernel's process id
        cpu = _cpu_seconds(pid) if isinstance(pid, int) else float("nan")
    return time.perf_counter() - started, cpu, cells


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run each notebook and print its times; return notebook name -> wall seconds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/[0-9]*.ipynb")
    parser.add_argument("--cell-timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    paths: list[Path] = args.notebooks or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    results: dict[str, float] = {}
    for path in paths:
        wall, cpu, cells = run_notebook(path, cell_timeout=args.cell_timeout)
        results[path.name] = wall
        verdict = "ok" if wall < TARGET_S else f"OVER the {TARGET_S:.0f} s target"
        print(f"{path.name:<32} wall {wall:>6.1f} s   cpu {cpu:>6.1f} s   {cells:>3} code cells   {verdict}")
    return results


if __name__ == "__main__":
    main()
