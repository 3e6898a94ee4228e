"""In a real kernel: cells sent as JupyterLab sends them (with cell ids), one edited and re-run, then exported;
the module, loaded in this process as ``kstreams-nb run`` loads it, builds the kernel's topology."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kstreams_nb.jobs._load import load_topology
from kstreams_nb.jobs._properties import read_properties

from ._support import Kernel

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

CELLS = [
    ("setup", "import json\nfrom datetime import timedelta\nfrom kstreams_nb.notebook import NotebookBuilder, preview"),
    ("helper", "def amount(text):\n    return json.loads(text)['amount']"),
    ("builder", "nb = NotebookBuilder()"),
    ("source", "orders = nb.stream('orders').map_values(amount)"),
    ("totals", "totals = orders.group_by_key().reduce(lambda a, b: a + b)\ntotals.to_stream().to('totals')"),
    ("look", "p = preview(nb, {'orders': ['{\"amount\": 1}']})\np"),
]
INPUT = [("a", '{"amount": 5}'), ("b", '{"amount": 2}'), ("a", '{"amount": 10}')]


def test_export_from_a_real_kernel(kernel: Kernel, tmp_path: Path) -> None:
    for cell_id, code in CELLS:
        kernel.run(code, cell_id=cell_id)
    # the totals cell edited and re-run: a minimum instead of a sum
    kernel.run("totals = orders.group_by_key().reduce(lambda a, b: min(a, b))\ntotals.to_stream().to('totals')",
               cell_id="totals")
    module = tmp_path / "totals_app.py"
    out = kernel.run(
        "from kstreams_nb.jobs._export import export\nfrom kstreams_nb.notebook import records\n"
        f"result = export(nb, {str(module)!r}, config={{'application.id': 'totals', 'sasl.password': 'pw'}})\n"
        f"data = records({INPUT!r})\n"
        "print(json.dumps({'cells': list(result.cells), 'helpers': list(result.helpers), "
        "'describe': str(nb.describe()), 'totals': preview(nb, {'orders': data}).topic('totals')['value'].tolist()}))",
        cell_id="export",
    )
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["cells"] == ["source", "totals"] and set(seen["helpers"]) == {"json", "amount"}
    text = module.read_text()
    assert "min(a, b)" in text and "a + b" not in text and "preview" not in text
    topology = load_topology(f"{module}:topology")
    assert str(topology.describe()) == seen["describe"]

    from kstreams_nb.notebook import preview, records

    ours = preview(topology, {"orders": records(INPUT)}).topic("totals")["value"].tolist()
    assert ours == seen["totals"] == [5, 2, 5]
    assert read_properties(tmp_path / "totals_app.properties") == {"application.id": "totals"}
