"""Build the workshop notebooks from their sources in ``notebooks/_src/`` and execute them with nbclient.

Each source is a Python file in the "percent" format: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown
cell whose lines are comments (``# `` is stripped). The built ``.ipynb`` gets the ``python3`` kernelspec, stable
cell ids (so a rebuild only changes what changed) and its outputs; widget state is not saved.

Usage (from the repository root)::

    .venv/bin/python notebooks/_build.py                 # build and execute every notebook
    .venv/bin/python notebooks/_build.py 03_dsl 05       # the notebooks whose name starts with these
    .venv/bin/python notebooks/_build.py --no-execute    # cells only, no outputs

It prints each notebook's run time (the workshop's target: under 60 s each).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "_src"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def parse(text: str) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(cell_type, source)`` pairs."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '# %%' marker: {line!r}")
    out: list[tuple[str, str]] = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        source = "\n".join(lines).strip("\n")
        if source:
            out.append((kind, source))
    return out


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook (without outputs) for one source file."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for i, (kind, text) in enumerate(parse(source.read_text(encoding="utf-8"))):
        cell = nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        cell.id = f"{source.stem[:2]}-{i:02d}"
        nb.cells.append(cell)
    return nb


def execute(nb: nbformat.NotebookNode) -> float:
    """Run every cell in a fresh python3 kernel (cwd: notebooks/); returns the wall time in seconds."""
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}, record_timing=False
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop what must not be committed: widget state, per-cell execution metadata, the kernel's version."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)  # no Python version: the file stays the same everywhere
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("names", nargs="*", help="build only the notebooks whose name starts with one of these")
    parser.add_argument("--no-execute", action="store_true", help="write the cells without running them")
    args = parser.parse_args(argv)
    sources = sorted(p for p in SOURCES.glob("*.py") if not args.names or p.stem.startswith(tuple(args.names)))
    if not sources:
        print(f"no source in {SOURCES} matches {args.names}", file=sys.stderr)
        return 2
    for source in sources:
        nb = build(source)
        if not args.no_execute:
            seconds = execute(nb)
            print(f"{source.stem}: {seconds:.1f} s", flush=True)
        clean(nb)
        nbformat.validate(nb)
        target = HERE / f"{source.stem}.ipynb"
        target.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
