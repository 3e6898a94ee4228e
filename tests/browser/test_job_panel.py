"""The live job panel in a real browser: JupyterLab, Debian's chromium, Playwright.

Notebook 06 runs up to and including the cell that displays ``job.panel()`` (Run > Run All Above Selected Cell,
with the ``job.stop()`` cell selected). Then, as a user would, without running the panel's cell again:

1. the panel is in that cell's output and shows RUNNING, and its "at HH:MM:SS" line moves while no cell runs
   (the kernel's event loop refreshes it);
2. a new cell inserted below produces one more order; the panel's committed offsets of ``orders`` go up by exactly
   that one record;
3. running the ``job.stop()`` cell turns the panel to a final state (NOT_RUNNING: the job's KafkaStreams closed)
   marked "final"; the kernel's panel stops sampling by itself, and the browser shows nothing newer.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import Lab
from .test_jupyterlab import (
    _EXECUTION_STATE,
    PANEL,
    STALL_CHECK_MS,
    Cell,
    _stalled,
    describe_cells,
    open_notebook,
    read_cells,
    run_from_menu,
    wait_kernel_idle,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

NOTEBOOK = "06_preview_to_running.ipynb"
# The copy the test opens: notebook 06 without its saved outputs and execution counts, so that a prompt or panel
# seen in the page comes from this run.
FRESH_COPY = "_06_job_panel.ipynb"
PANEL_CELL = "live = job.panel()"
STOP_CELL = "job.stop()"
RUN_TIMEOUT_MS = 150_000  # the cells above the stop cell, kernel start included
UPDATE_TIMEOUT_MS = 30_000  # the panel samples once a second
FINAL_STATES = ("NOT_RUNNING", "STOPPED")
ONE_MORE_ORDER = (
    'produce("orders", records([("o9", {"country": "FR", "amount": 5, "status": "paid"}, 9_000)]), config=config)'
)
# Waits until the kernel's panel sampler has ended (it ends by itself once it showed a final state).
SAMPLER_ENDED = """\
import time
_deadline = time.monotonic() + 20
while live.sampling and time.monotonic() < _deadline:
    time.sleep(0.05)
print(f"sampling={live.sampling} state={live.last.state}")"""

# The indexes of the code cells above `upto` that have not run.
_NOT_RUN_ABOVE = """
(upto) => [...document.querySelectorAll('PANEL .jp-Notebook .jp-Cell')]
  .map((cell, index) => [cell, index])
  .filter(([cell, index]) => index < upto && cell.classList.contains('jp-CodeCell'))
  .filter(([cell]) => !/\\[\\d+\\]/.test((cell.querySelector('.jp-InputPrompt') || {}).textContent || ''))
  .map(([, index]) => index)
""".replace("PANEL", PANEL)

# The panel's committed offsets, summed over the partitions of `topic` (null when the table shows none).
_COMMITTED = """
([panel, topic]) => {
  let total = null;
  for (const row of panel.querySelectorAll('.kstreams-panel-partitions tr')) {
    const cells = [...row.querySelectorAll('td')].map(td => td.textContent.trim());
    if (cells.length < 2 || !new RegExp('^' + topic + '-\\\\d+$').test(cells[0])) continue;
    total = (total || 0) + Number(cells[1].replace(/,/g, '') || 0);
  }
  return total;
}
"""


def fresh_copy(lab: Lab) -> str:
    """Write notebook 06, outputs and execution counts cleared, beside it in the server's folder; its name."""
    notebook = json.loads((lab.root / NOTEBOOK).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (lab.root / FRESH_COPY).write_text(json.dumps(notebook), encoding="utf-8")
    return FRESH_COPY


def code_cell(page: Page, index: int) -> Locator:
    return page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index)


def select_cell(page: Page, index: int) -> None:
    """Make cell ``index`` the active cell, in command mode (a click on its prompt, as a user would)."""
    cell = code_cell(page, index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "([sel, i]) => document.querySelectorAll(sel)[i].classList.contains('jp-mod-active')",
        arg=[f"{PANEL} .jp-Notebook .jp-Cell", index],
    )


def run_cell(page: Page, index: int) -> None:
    """Run cell ``index`` (selected, Ctrl+Enter) and wait until it ran and the kernel is idle."""
    from playwright.sync_api import expect

    select_cell(page, index)
    page.keyboard.press("Control+Enter")
    expect(code_cell(page, index).locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=60_000)
    wait_kernel_idle(page)


def run_all_above(page: Page, cells: list[Cell], stop_index: int) -> None:
    """Run > Run All Above Selected Cell with cell ``stop_index`` selected; wait until every code cell above it ran.

    Should JupyterLab drop the rest of the queue (seen on a loaded machine: the kernel idle, later prompts empty, no
    error), the cells it dropped are run one by one: none runs twice (the notebook deploys a named job).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select_cell(page, stop_index)
    run_from_menu(page, "Run All Above Selected Cell")
    # In the fresh copy no cell below ran: every code cell above has run once this many have.
    above = sum(1 for c in cells[:stop_index] if c.kind == "code")
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while True:
        try:
            handle = page.wait_for_function(_EXECUTION_STATE, arg=above, timeout=STALL_CHECK_MS)
            break
        except PlaywrightTimeout as timeout:
            if time.monotonic() > deadline:
                raise AssertionError(f"cells above {stop_index} did not all run: {describe_cells(page)}") from timeout
            if _stalled(page):
                not_run = page.evaluate(_NOT_RUN_ABOVE, stop_index)
                for index in not_run:
                    run_cell(page, index)
    state: dict[str, Any] = handle.json_value()
    assert not state["errors"], f"cell {state['errors'][0][0]} raised:\n{state['errors'][0][1][-2000:]}"


def run_new_cell_below(page: Page, index: int, source: str) -> Locator:
    """Insert a code cell below cell ``index`` (command mode ``b``), type ``source`` into it and run it; wait
    until it ran, without a traceback; return the new cell."""
    select_cell(page, index)
    cells_before = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").count()
    page.keyboard.press("b")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=[f"{PANEL} .jp-Notebook .jp-Cell", cells_before + 1],
    )
    new = code_cell(page, index + 1)
    new.locator(".cm-content").click()
    page.keyboard.insert_text(source)  # as typed text, without the editor's bracket auto-closing
    run_cell(page, index + 1)
    outputs = new.locator(".jp-OutputArea-output").all_inner_texts()
    assert not any("Traceback" in text for text in outputs), f"the new cell raised:\n{outputs}"
    return new


def test_live_panel_updates_in_the_browser_while_no_cell_runs(page: Page, lab: Lab) -> None:
    from playwright.sync_api import expect

    name = fresh_copy(lab)
    cells = read_cells(lab.root / name)
    panel_index = next(c.index for c in cells if c.kind == "code" and PANEL_CELL in c.source)
    stop_index = next(c.index for c in cells if c.kind == "code" and c.source.startswith(STOP_CELL))
    assert panel_index < stop_index
    open_notebook(page, lab, name, cells)
    run_all_above(page, cells, stop_index)
    assert code_cell(page, stop_index).locator(".jp-InputPrompt").inner_text().strip() in {"[ ]:", "[ ]"}

    # (1) The panel rendered in the panel cell's output, RUNNING, and refreshes while no cell runs.
    panel_cell = code_cell(page, panel_index)
    panel_prompt = panel_cell.locator(".jp-InputPrompt").inner_text().strip()
    panel = panel_cell.locator(".jp-OutputArea-output .kstreams-panel")
    expect(panel).to_have_count(1, timeout=UPDATE_TIMEOUT_MS)
    for part in ("title", "state", "updated", "rates", "partitions", "restore", "errors"):
        expect(panel.locator(f".kstreams-panel-{part}")).to_have_count(1)
    expect(panel.locator(".kstreams-panel-title")).to_have_text("revenue")
    state = panel.locator(".kstreams-panel-state")
    expect(state).to_have_text("RUNNING", timeout=UPDATE_TIMEOUT_MS)
    updated = panel.locator(".kstreams-panel-updated")
    expect(updated).to_have_text(re.compile(r"^at \d\d:\d\d:\d\d$"))
    first_update = updated.inner_text()
    expect(updated).not_to_have_text(first_update, timeout=UPDATE_TIMEOUT_MS)
    expect(panel.locator(".kstreams-panel-rates")).to_contain_text("records/s per task")
    handle = panel.element_handle()
    produced = 8  # orders o1 to o8, all processed and committed (commit.interval.ms=50) before the panel cell
    page.wait_for_function(
        f"([p, t, n]) => ({_COMMITTED})([p, t]) >= n", arg=[handle, "orders", produced], timeout=UPDATE_TIMEOUT_MS
    )
    before = page.evaluate(_COMMITTED, [handle, "orders"])
    assert before == produced, f"the panel shows {before} committed orders before o9, expected {produced}"

    # (2) One more order from a new cell: the panel's committed offsets move, the panel cell is not run again.
    run_new_cell_below(page, panel_index, ONE_MORE_ORDER)
    page.wait_for_function(
        f"([p, t, n]) => ({_COMMITTED})([p, t]) > n", arg=[handle, "orders", before], timeout=UPDATE_TIMEOUT_MS
    )
    after = page.evaluate(_COMMITTED, [handle, "orders"])
    assert after == before + 1, f"committed orders went from {before} to {after}, expected {before + 1}"
    assert state.inner_text() == "RUNNING"
    assert panel_cell.locator(".jp-InputPrompt").inner_text().strip() == panel_prompt, "the panel cell ran again"

    # (3) job.stop(): the panel shows a final state, marked final, and the kernel's sampler ends by itself.
    stop_index += 1  # the new cell sits above the stop cell now
    assert STOP_CELL in code_cell(page, stop_index).inner_text()
    run_cell(page, stop_index)
    expect(code_cell(page, stop_index).locator(".jp-OutputArea-output")).to_contain_text("STOPPED")
    expect(state).to_have_text(re.compile("^(" + "|".join(FINAL_STATES) + ")$"), timeout=UPDATE_TIMEOUT_MS)
    expect(updated).to_have_text(re.compile(r"^at \d\d:\d\d:\d\d · final$"))
    final_text = panel.inner_text()
    check = run_new_cell_below(page, stop_index, SAMPLER_ENDED)
    final_state = state.inner_text()
    expect(check.locator(".jp-OutputArea-output")).to_have_text(f"sampling=False state={final_state}")
    assert panel.inner_text() == final_text, "the panel changed after its sampler ended"
