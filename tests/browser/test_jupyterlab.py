"""The notebooks in a real browser: JupyterLab, Debian's chromium, Playwright.

Each test opens a notebook from the server's temporary copy of notebooks/, runs every cell from the Run menu, waits
until every code cell has an execution count and the kernel is idle, and then asserts on the DOM: the topology
picture is an SVG image that loaded, a preview table has rows, and choosing each node in the explorer widget shows
that node's rows: the same table, cell for cell, as a preview computed in this process from the same program (the
notebook's cells run here up to the explore() call). Selectors may fall back between JupyterLab versions; assertions
do not.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import NOTEBOOKS, Lab

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from kstreams_nb.notebook import Preview

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

RUN_TIMEOUT_MS = 240_000  # a whole notebook, kernel start included (each notebook targets under 60 s)
# The notebooks the browser must pass: the workshop's topology notebook (1) and its DSL notebook (3).
BROWSER_NOTEBOOKS = ("01_topology.ipynb", "03_dsl.ipynb")
# The notebook in view (other tabs a workspace restores stay in the DOM, hidden).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
EXPLORER = ".kstreams-explorer"
NODE_SELECT = ".kstreams-node-select select"
NODE_ROWS = ".kstreams-node-rows"
# The title the explorer's rows area gives a node in its default view (the node's output).
OUTPUT_TITLE = "{} output"

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
    """Run > Run All Cells, from JupyterLab's menu bar, once the notebook is current and the item enabled."""
    page.locator(f"{PANEL} .jp-Cell").first.click()  # the notebook becomes JupyterLab's current widget
    run_from_menu(page, "Run All Cells")


def run_from_menu(page: Page, item: str) -> None:
    """Run > ``item``, from JupyterLab's menu bar, on the current notebook once the item is enabled.

    Returns when a cell is queued or ran (prompt ``[*]`` or ``[n]``), so a click the UI was not yet ready for is
    never mistaken for a run; such a click is made again, until a deadline.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    menu_item = page.locator(
        ".lm-Menu-item:not(.lm-mod-disabled)",
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")),
    )
    deadline = time.monotonic() + 90
    while True:
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        if menu_item.count():
            menu_item.first.click()
            try:
                page.wait_for_function(_STARTED, timeout=15_000)
                return
            except PlaywrightTimeout:
                pass
        else:
            page.keyboard.press("Escape")
        if time.monotonic() > deadline:
            raise AssertionError(f"{item} did not start the notebook: {describe_cells(page)}")


STALL_CHECK_MS = 30_000
MAX_RUN_ALL_REISSUES = 2


def _stalled(page: Page) -> bool:
    """Nothing queued or running, the kernel idle, no error, yet some code cell never ran."""
    state: Any = page.evaluate(_CELL_PROMPTS)
    prompts = state["prompts"]
    return (
        state["kernel"] == "idle"
        and not any("*" in p for p in prompts)
        and any(not re.search(r"\[\d+\]", p) for p in prompts)
        and page.locator(f"{PANEL} .jp-OutputArea-output:has-text('Traceback (most recent call last)')").count() == 0
    )


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
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    reissued = 0
    while True:
        try:
            handle = page.wait_for_function(_EXECUTION_STATE, arg=len(code), timeout=STALL_CHECK_MS)
            break
        except PlaywrightTimeout as timeout:
            if time.monotonic() > deadline:
                waited = RUN_TIMEOUT_MS // 1000
                raise AssertionError(
                    f"{name}: cells still running after {waited} s: {describe_cells(page)}"
                ) from timeout
            # On a loaded machine JupyterLab can drop the rest of a Run All queue (seen: cell 1 ran, the kernel
            # idle, every other prompt empty, no error). The notebooks are made to be run again, so ask again.
            if _stalled(page) and reissued < MAX_RUN_ALL_REISSUES:
                reissued += 1
                run_all_cells(page)
    state: dict[str, Any] = handle.json_value()
    unexpected = [(i, text) for i, text in state["errors"] if not cells[i].may_raise]
    assert not unexpected, f"{name}: cell {unexpected[0][0]} raised:\n{unexpected[0][1][-2000:]}"
    not_run = [(i, text) for i, text in state["prompts"] if cells[i].source.strip() and not re.search(r"\[\d+\]", text)]
    assert not not_run, f"{name}: cells never ran (a cell before them failed?): {not_run}"
    wait_kernel_idle(page)
    return cells


# Outputs render after the cell's execution count is set (renderers are asynchronous, images load later): each
# probe below waits, up to a deadline, until it sees at least one match, and then counts.
RENDER_TIMEOUT_MS = 60_000


def rendered_count(page: Page, expression: str, at_least: int = 1) -> int:
    """The value of the JavaScript ``expression`` (a count) once it reaches ``at_least``, or at the deadline."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => ({expression}) >= {at_least}", timeout=RENDER_TIMEOUT_MS)
    except PlaywrightTimeout:
        pass  # the count says what there is; the caller's assertion fails with it
    count: int = page.evaluate(f"() => {expression}")
    return count


def loaded_svg_images(page: Page) -> int:
    """Count outputs showing an SVG picture that actually rendered (an <img> that loaded with a size, or inline
    <svg>)."""
    out = f"{PANEL} .jp-OutputArea-output"
    selector = f"{out} img[src^='data:image/svg+xml'], {out} img[src^='blob:']"
    return rendered_count(
        page,
        f"""[...document.querySelectorAll({json.dumps(selector)})]
              .filter(img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0).length
            + document.querySelectorAll({json.dumps(out + '[data-mime-type="image/svg+xml"] svg')}).length""",
    )


def tables_with_rows(page: Page) -> int:
    """Count HTML tables with at least one body row in cell outputs, outside widgets."""
    return rendered_count(
        page,
        f"""[...document.querySelectorAll({json.dumps(PANEL + " .jp-OutputArea-output table")})]
              .filter(t => !t.closest('.jupyter-widgets'))
              .filter(t => t.querySelectorAll('tbody tr, tr td').length > 0).length""",
    )


def node_name(label: str) -> str:
    """The node name in an option label: the label, less a trailing " (kind)" when it has one."""
    return re.sub(r"\s+\([^()]*\)$", "", label.strip())


@dataclass
class RowsArea:
    """The texts of a rows area: its title (``<b>``), its size note (``<small>``), header and body cells."""

    title: str = ""
    note: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @classmethod
    def parse(cls, markup: str) -> RowsArea:
        """Read ``markup`` (the rows area's HTML, as the browser holds it or as the widget writes it)."""
        parser = _RowsAreaParser()
        parser.feed(markup)
        parser.close()
        return parser.area


class _RowsAreaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.area = RowsArea()
        self._tag: str | None = None
        self._text: list[str] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = []
        elif tag in {"b", "small", "th", "td"}:
            self._tag, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            text, self._tag = "".join(self._text), None
            if tag == "b":
                self.area.title = text
            elif tag == "small":
                self.area.note = text
            elif tag == "th":
                self.area.header.append(text)
            elif self._row is not None:
                self._row.append(text)
        elif tag == "tr":
            if self._row:  # a header row has no <td>
                self.area.rows.append(self._row)
            self._row = None


def choose_each_node(page: Page, explorer_index: int = 0) -> tuple[list[str], dict[str, RowsArea]]:
    """Choose every node the explorer offers, in turn; return the option labels and node name -> its rows area.

    The rows area's title names the node it shows, so waiting for that exact title is waiting for the kernel's
    answer to this choice (not an earlier one: one node's name may begin another's).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    explorer = page.locator(f"{PANEL} {EXPLORER}").nth(explorer_index)
    explorer.scroll_into_view_if_needed()
    select = explorer.locator(NODE_SELECT).first
    rows = explorer.locator(NODE_ROWS).first
    try:
        select.locator("option").nth(1).wait_for(state="attached")
    except PlaywrightTimeout:
        pass  # fewer than two options: the assertion below says which
    options = select.locator("option").all_inner_texts()  # as shown: the dropdown writes spaces as U+00A0
    labels = [option.replace("\xa0", " ").strip() for option in options]
    assert len(labels) >= 2, f"the explorer offers fewer than two nodes: {labels}"
    shown: dict[str, RowsArea] = {}
    for i in [*range(1, len(labels)), 0]:  # the first is chosen already: come back to it last
        name = node_name(labels[i])
        select.select_option(label=options[i].strip())
        expect(rows.locator("b").first).to_have_text(OUTPUT_TITLE.format(name), timeout=30_000)
        shown[name] = RowsArea.parse(rows.inner_html())
    return labels, shown


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
    HEAD = "<thead><tr><th>key</th><th>value</th></tr></thead>"
    def area(name, *rows):
        body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        table = f"<table>{HEAD}<tbody>{body}</tbody></table>"
        return f"<div><b>{name} output</b> <small>({len(rows)} rows)</small>{table}</div>"
    ROWS = {  # "level-" begins "level-error": choosing it must wait for its own rows
        "level-error": area("level-error", ("a", "1")),
        "level-": area("level-", ("b", "x &amp; y"), ("c", "2")),
        "sink": area("sink"),
    }
    select = w.Dropdown(options=[(f"{name} (kind)", name) for name in ROWS]).add_class("kstreams-node-select")
    rows = w.HTML(ROWS["level-error"]).add_class("kstreams-node-rows")
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
    labels, shown = choose_each_node(page)
    assert labels == ["level-error (kind)", "level- (kind)", "sink (kind)"]
    header = ["key", "value"]
    assert shown == {
        "level-error": RowsArea("level-error output", "(1 rows)", header, [["a", "1"]]),
        "level-": RowsArea("level- output", "(2 rows)", header, [["b", "x & y"], ["c", "2"]]),
        "sink": RowsArea("sink output", "(0 rows)", header, []),
    }


# ---------------------------------------------------------------------------------------------------------------
# The workshop notebooks.


def test_the_browser_covers_the_topology_and_dsl_notebooks() -> None:
    missing = [n for n in BROWSER_NOTEBOOKS if not (NOTEBOOKS / n).exists()]
    assert not missing, f"notebooks/ lacks {missing}"
    sources = "\n".join(c.source for n in BROWSER_NOTEBOOKS for c in read_cells(NOTEBOOKS / n))
    assert "explore(" in sources, "neither browser notebook shows the explorer widget"


def expected_explorer(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> Preview:
    """The preview the notebook's first explorer shows, computed in this process from the same program.

    Runs the notebook's code cells here, in order (from its folder, as the kernel does), up to and including the
    first that calls ``explore(...)``, with ``explore`` replaced by a stub that keeps its arguments; then previews
    those arguments. The explorer opens on its last input record, where it shows what ``preview`` returns.
    """
    import kstreams_nb.notebook as notebook_api
    from kstreams_nb.notebook import widgets

    calls: list[tuple[Any, Any, Any]] = []

    def explore(topology: Any, inputs: Any, *, config: Any = None) -> None:
        calls.append((topology, inputs, config))

    # The package first: on first use it loads `explore` from `widgets`, which must still be the real one then, so
    # that the undo puts the real one back. The cells' `from kstreams_nb.notebook import explore` gets the stub.
    monkeypatch.setattr(notebook_api, "explore", explore)
    monkeypatch.setattr(widgets, "explore", explore)
    monkeypatch.chdir(notebook.parent)
    namespace: dict[str, Any] = {"__name__": "__main__", "display": lambda *objects, **options: None}
    for cell in read_cells(notebook):
        if cell.kind != "code" or not cell.source.strip() or cell.may_raise:
            continue
        exec(compile(cell.source, f"{notebook.name}, cell {cell.index}", "exec"), namespace)
        if calls:
            break
    assert len(calls) == 1, f"{notebook.name}: expected one explore() call in a cell, saw {len(calls)}"
    topology, inputs, config = calls[0]
    result: Preview = notebook_api.preview(topology, inputs, config=config)
    return result


def cell_text(value: Any) -> str:
    """How a table cell shows a key, value or timestamp (pandas' to_html with ``na_rep=""``): empty for a missing
    number or string (NaN, NA), else its str(): a None in an object column (a tombstone's value) shows as None."""
    import pandas as pd

    return "" if value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def explorer_mismatches(labels: list[str], shown: dict[str, RowsArea], expected: Preview) -> list[str]:
    """What the explorer showed that differs from ``expected``: its node list, and each chosen node's rows (the
    node's output, as many rows as the widget shows, in the widget's table format)."""
    from kstreams_nb.notebook._frames import html_table
    from kstreams_nb.notebook.widgets import _ROWS as SHOWN_ROWS

    want_labels = [f"{n} ({expected.kind(n)})" for n in expected.node_names]
    if labels != want_labels:
        return [f"node list {labels} != {want_labels}"]
    problems = []
    for node, area in shown.items():
        df = expected.node(node)
        head = df.head(SHOWN_ROWS)
        if len(area.rows) != min(len(df), SHOWN_ROWS):
            problems.append(f"{node}: {len(area.rows)} rows shown, expected {min(len(df), SHOWN_ROWS)} of {len(df)}")
            continue
        if area.header != [str(c) for c in df.columns]:
            problems.append(f"{node}: columns {area.header} != {list(df.columns)}")
            continue
        for column in ("key", "value", "timestamp"):
            got = [row[area.header.index(column)] for row in area.rows]
            want = [cell_text(v) for v in head[column]]
            if got != want:
                problems.append(f"{node}: {column} column {got} != {want}")
        if area != (want_area := RowsArea.parse(html_table(df, OUTPUT_TITLE.format(node), SHOWN_ROWS))):
            problems.append(f"{node}: shown {area} != expected {want_area}")
    return problems


@pytest.mark.parametrize("name", BROWSER_NOTEBOOKS)
def test_notebook_runs_and_renders(page: Page, lab: Lab, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (lab.root / name).exists():
        pytest.fail(f"notebook {name} does not exist", pytrace=False)
    cells = run_notebook(page, lab, name)
    sources = "\n".join(c.source for c in cells if c.kind == "code")
    assert loaded_svg_images(page) >= 1, f"{name}: no topology picture rendered"
    assert tables_with_rows(page) >= 1, f"{name}: no preview table rendered"
    if "explore(" not in sources:
        return
    explorers = rendered_count(page, f"document.querySelectorAll({json.dumps(f'{PANEL} {EXPLORER}')}).length")
    assert explorers >= 1, f"{name}: explore() ran but no explorer widget rendered"
    labels, shown = choose_each_node(page)
    problems = explorer_mismatches(labels, shown, expected_explorer(lab.root / name, monkeypatch))
    assert not problems, f"{name}: the explorer's rows differ from the preview of the same program:\n" + "\n".join(
        problems
    )
    distinct = {tuple(map(tuple, area.rows)) for area in shown.values() if area.rows}
    assert len(distinct) >= 2, f"{name}: fewer than two nodes show rows, or all show the same rows: {shown}"
