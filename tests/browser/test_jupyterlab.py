"""The notebooks in a real browser: JupyterLab, Debian's chromium, Playwright.

Each test opens a notebook from the server's temporary copy of notebooks/, runs every cell from the Run menu, waits
until every code cell has an execution count and the kernel is idle, and then asserts on the DOM: the topology
picture is an SVG image that loaded, a preview table has rows, and choosing another node in the explorer widget
replaces the rows area with that node's rows. Selectors may fall back between JupyterLab versions; assertions do not.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import NOTEBOOKS, Lab

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

RUN_TIMEOUT_MS = 240_000  # a whole notebook, kernel start included (each notebook targets under 60 s)
# The notebooks the browser must pass: the workshop's topology notebook (1) and its DSL notebook (3).
BROWSER_NOTEBOOKS = ("01_topology.ipynb", "03_dsl.ipynb")
# The notebook in view (other tabs a workspace restores stay in the DOM, hidden).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
EXPLORER = ".kstreams-explorer"
NODE_SELECT = ".kstreams-node-select select"
NODE_ROWS = ".kstreams-node-rows"

# Resolves, in the page, to the state of the notebook's code cells: null while any is queued or running, else
# {prompts, errors}. An error is a traceback in an output.
_EXECUTION_STATE = """
(expected) => {
  const cells = [...document.querySelectorAll('PANEL .jp-Notebook .jp-Cell')];
  const prompts = [], errors = [];
  cells.forEach((cell, index) => {
    if (!cell.classList.contains('jp-CodeCell')) return;
    const prompt = cell.querySelector('.jp-InputPrompt');
    const text = prompt ? prompt.textContent.trim() : '';
    prompts.push([index, text]);
    for (const out of cell.querySelectorAll('.jp-OutputArea-output')) {
      if (out.textContent.includes('Traceback (most recent call last)')) errors.push([index, out.textContent]);
    }
  });
  const busy = prompts.some(([, text]) => text.includes('*'));
  const executed = prompts.filter(([, text]) => /\\[\\d+\\]/.test(text)).length;
  if (errors.length && !busy) return {prompts, errors};
  if (busy || executed < expected) return null;
  return {prompts, errors};
}
""".replace("PANEL", PANEL)


_CELL_PROMPTS = """
() => ({
  prompts: [...document.querySelectorAll('PANEL .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim()),
  kernel: (document.querySelector('PANEL .jp-Notebook-ExecutionIndicator') || {dataset: {}}).dataset.status,
  dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText),
})
""".replace("PANEL", PANEL)
_STARTED = """
() => [...document.querySelectorAll('PANEL .jp-CodeCell .jp-InputPrompt')]
        .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))
""".replace("PANEL", PANEL)


@dataclass(frozen=True)
class Cell:
    index: int
    kind: str
    source: str
    tags: frozenset[str]

    @property
    def may_raise(self) -> bool:
        return "raises-exception" in self.tags or "NBVAL_RAISES_EXCEPTION" in self.source


def read_cells(path: Path) -> list[Cell]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tags = frozenset(cell.get("metadata", {}).get("tags", ()))
        cells.append(Cell(index, cell["cell_type"], source, tags))
    return cells




def open_notebook(page: Page, lab: Lab, name: str, cells: list[Cell]) -> None:
    """Open `name` and wait until all its cells are in the DOM and its kernel is idle."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset")  # ?reset: a fresh workspace, no tabs from earlier tests
    page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(len(cells) - 1).wait_for(state="attached")
    wait_kernel_idle(page)
    dialog = page.locator(".jp-Dialog")
    assert dialog.count() == 0, f"a dialog blocks the notebook: {dialog.first.inner_text()}"


def wait_kernel_idle(page: Page) -> None:
    """Wait until the notebook's kernel reports idle (toolbar indicator, or the status bar as a fallback)."""
    page.wait_for_function(
        """() => {
          const indicator = document.querySelector('PANEL .jp-Notebook-ExecutionIndicator');
          if (indicator && indicator.dataset.status) return indicator.dataset.status === 'idle';
          const status = document.querySelector('.jp-StatusBar-Widget, #jp-main-statusbar');
          return !!status && /\\bIdle\\b/.test(status.textContent);
        }""".replace("PANEL", PANEL),
        timeout=RUN_TIMEOUT_MS,
    )


def run_all_cells(page: Page) -> None:
    """Run > Run All Cells, from JupyterLab's menu bar, once the notebook is current and the item enabled.

    Returns when the first cell is queued or ran (prompt ``[*]`` or ``[n]``), so a click the UI was not yet ready
    for is never mistaken for a run; such a click is made again, until a deadline.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator(f"{PANEL} .jp-Cell").first.click()  # the notebook becomes JupyterLab's current widget
    run_all = page.locator(
        ".lm-Menu-item:not(.lm-mod-disabled)",
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")),
    )
    deadline = time.monotonic() + 90
    while True:
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        if run_all.count():
            run_all.first.click()
            try:
                page.wait_for_function(_STARTED, timeout=15_000)
                return
            except PlaywrightTimeout:
                pass
        else:
            page.keyboard.press("Escape")
        if time.monotonic() > deadline:
            raise AssertionError(f"Run All Cells did not start the notebook: {describe_cells(page)}")


def describe_cells(page: Page) -> str:
    """The code cells' prompts and the kernel status, for failure messages."""
    state: Any = page.evaluate(_CELL_PROMPTS)
    return json.dumps(state)


def run_notebook(page: Page, lab: Lab, name: str) -> list[Cell]:
    """Open, run all, wait for every code cell; fail on any traceback a cell was not meant to raise."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    cells = read_cells(lab.root / name)
    code = [c for c in cells if c.kind == "code" and c.source.strip()]
    open_notebook(page, lab, name, cells)
    run_all_cells(page)
    try:
        handle = page.wait_for_function(_EXECUTION_STATE, arg=len(code), timeout=RUN_TIMEOUT_MS)
    except PlaywrightTimeout as timeout:
        waited = RUN_TIMEOUT_MS // 1000
        raise AssertionError(f"{name}: cells still running after {waited} s: {describe_cells(page)}") from timeout
    state: dict[str, Any] = handle.json_value()
    unexpected = [(i, text) for i, text in state["errors"] if not cells[i].may_raise]
    assert not unexpected, f"{name}: cell {unexpected[0][0]} raised:\n{unexpected[0][1][-2000:]}"
    not_run = [(i, text) for i, text in state["prompts"] if cells[i].source.strip() and not re.search(r"\[\d+\]", text)]
    assert not not_run, f"{name}: cells never ran (a cell before them failed?): {not_run}"
    wait_kernel_idle(page)
    return cells


def loaded_svg_images(page: Page) -> int:
    """Count outputs showing an SVG picture that actually rendered (an <img> with a size, or inline <svg>)."""
    out = f"{PANEL} .jp-OutputArea-output"
    selector = f"{out} img[src^='data:image/svg+xml'], {out} img[src^='blob:']"
    page.wait_for_function(
        f"() => [...document.querySelectorAll({json.dumps(selector)})].every(img => img.complete)",
        timeout=RUN_TIMEOUT_MS,
    )
    count: int = page.evaluate(
        f"""() => [...document.querySelectorAll({json.dumps(selector)})]
                    .filter(img => img.naturalWidth > 0 && img.naturalHeight > 0).length
                + document.querySelectorAll({json.dumps(out + '[data-mime-type="image/svg+xml"] svg')}).length"""
    )
    return count


def tables_with_rows(page: Page) -> int:
    """Count HTML tables with at least one body row in cell outputs, outside widgets."""
    count: int = page.evaluate(
        f"""() => [...document.querySelectorAll({json.dumps(PANEL + " .jp-OutputArea-output table")})]
                  .filter(t => !t.closest('.jupyter-widgets'))
                  .filter(t => t.querySelectorAll('tbody tr, tr td').length > 0).length"""
    )
    return count


def node_name(label: str) -> str:
    """The node name in an option label: the label, less a trailing " (kind)" when it has one."""
    return re.sub(r"\s+\([^()]*\)$", "", label.strip())


def choose_each_node(page: Page, explorer_index: int = 0) -> dict[str, tuple[str, int]]:
    """Choose every node the explorer offers, in turn; return node name -> (rows-area text, table rows shown).

    The rows area names the node it shows, so waiting for the name is waiting for the kernel's answer.
    """
    from playwright.sync_api import expect

    explorer = page.locator(f"{PANEL} {EXPLORER}").nth(explorer_index)
    explorer.scroll_into_view_if_needed()
    select = explorer.locator(NODE_SELECT).first
    rows = explorer.locator(NODE_ROWS).first
    labels = [label.strip() for label in select.locator("option").all_inner_texts()]
    assert len(labels) >= 2, f"the explorer offers fewer than two nodes: {labels}"
    shown: dict[str, tuple[str, int]] = {}
    for label in [*labels[1:], labels[0]]:  # the first is chosen already: come back to it last
        select.select_option(label=label)
        expect(rows).to_contain_text(node_name(label), timeout=30_000)
        shown[node_name(label)] = (rows.inner_text(), rows.locator("tr:has(td)").count())
    return shown


# ---------------------------------------------------------------------------------------------------------------
# The harness itself, on a notebook written here: the kernel is this venv's Python, and the DOM probes see an SVG
# picture, a table and a select/rows widget pair wired like the explorer's.

HARNESS_CELLS = [
    "import sys\nprint(sys.prefix)",
    """
    from IPython.display import SVG, display
    display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30"><rect width="60" height="30"/></svg>'))
    """,
    """
    import pandas as pd
    pd.DataFrame({"key": ["a", "b"], "value": [1, 2]})
    """,
    """
    import ipywidgets as w
    ROWS = {
        "source": "<table><caption>source received</caption><tr><th>key</th></tr><tr><td>a</td></tr></table>",
        "filter-1": "<table><caption>filter-1 received</caption><tr><td>b</td></tr><tr><td>c</td></tr></table>",
        "sink": "<table><caption>sink received</caption></table>",
    }
    select = w.Dropdown(options=[(f"{name} (kind)", name) for name in ROWS]).add_class("kstreams-node-select")
    rows = w.HTML(ROWS["source"]).add_class("kstreams-node-rows")
    select.observe(lambda change: setattr(rows, "value", ROWS[change["new"]]), "value")
    w.VBox([select, rows]).add_class("kstreams-explorer")
    """,
]


def _write_notebook(path: Path, sources: list[str]) -> None:
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "id": f"cell{i}", "metadata": {}, "execution_count": None, "outputs": [],
         "source": textwrap.dedent(src).strip()}
        for i, src in enumerate(sources)
    ]  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def test_harness_runs_cells_in_this_venv_and_sees_pictures_tables_and_widgets(page: Page, lab: Lab) -> None:
    import sys

    _write_notebook(lab.root / "_harness.ipynb", HARNESS_CELLS)
    run_notebook(page, lab, "_harness.ipynb")
    first_output = page.locator(f"{PANEL} .jp-CodeCell").first.locator(".jp-OutputArea-output")
    assert first_output.inner_text().strip() == sys.prefix
    assert loaded_svg_images(page) == 1
    assert tables_with_rows(page) == 1
    shown = choose_each_node(page)
    assert {name: count for name, (_, count) in shown.items()} == {"source": 1, "filter-1": 2, "sink": 0}
    assert "b\nc" in shown["filter-1"][0] and "a" in shown["source"][0]


# ---------------------------------------------------------------------------------------------------------------
# The workshop notebooks.


def test_the_browser_covers_the_topology_and_dsl_notebooks() -> None:
    missing = [n for n in BROWSER_NOTEBOOKS if not (NOTEBOOKS / n).exists()]
    assert not missing, f"notebooks/ lacks {missing}"
    sources = "\n".join(c.source for n in BROWSER_NOTEBOOKS for c in read_cells(NOTEBOOKS / n))
    assert "explore(" in sources, "neither browser notebook shows the explorer widget"


@pytest.mark.parametrize("name", BROWSER_NOTEBOOKS)
def test_notebook_runs_and_renders(page: Page, lab: Lab, name: str) -> None:
    if not (lab.root / name).exists():
        pytest.fail(f"notebook {name} does not exist", pytrace=False)
    cells = run_notebook(page, lab, name)
    sources = "\n".join(c.source for c in cells if c.kind == "code")
    assert loaded_svg_images(page) >= 1, f"{name}: no topology picture rendered"
    assert tables_with_rows(page) >= 1, f"{name}: no preview table rendered"
    if "explore(" not in sources:
        return
    assert page.locator(f"{PANEL} {EXPLORER}").count() >= 1, f"{name}: explore() ran but no explorer widget rendered"
    shown = choose_each_node(page)
    assert any(count > 0 for _, count in shown.values()), f"{name}: no node of the explorer shows a row: {shown}"
