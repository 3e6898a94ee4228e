"""In a real kernel: re-running builder cells, as JupyterLab, nbclient or named cells do, builds a fresh run.

Each case runs the same cells once into a plain StreamsBuilder (or Topology) for the fresh top-to-bottom
reference, then into a notebook builder with cells re-run (one three times) and out of order, and compares the
describe() text, the node count and the outputs of a fixed input run through a TopologyTestDriver in the kernel.
"""

from __future__ import annotations

import textwrap

import pytest

from ._support import CellError, Kernel

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(180)]

SETUP = '''
from datetime import timedelta
from kstreams_nb.dsl import Branched, Materialized, StreamsBuilder, TimeWindows
from kstreams_nb.notebook import NotebookBuilder, NotebookTopology
from kstreams_nb.processor import Processor
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology

class Doubler(Processor):
    def init(self, context):
        self.context = context

    def process(self, record):
        self.context.forward(record.with_value(record.value * 2))

def report(topology, topics=("huge", "small", "counts", "big")):
    with TopologyTestDriver(topology) as driver:
        orders = driver.create_input_topic("orders")
        for ts, (k, v) in enumerate([("a", 5), ("b", 12), ("a", 60), ("c", 30), ("a", 1), ("b", 200)]):
            orders.pipe_input(k, v, ts * 4)
        outputs = {t: driver.create_output_topic(t).read_key_values_to_list() for t in topics}
    nodes = list(topology.internal_builder.nodes)
    print(topology.describe())
    print("nodes:", len(nodes), "distinct:", len(set(nodes)))
    print("outputs:", outputs)
'''

CELLS = {
    "source": 'orders = nb.stream("orders")',
    "big": "big = orders.filter(lambda k, v: v >= 10).map_values(lambda v: v * 2)",
    "split": textwrap.dedent('''\
        branches = big.split("split-").branch(lambda k, v: v > 100, Branched.as_("huge")).default_branch(
            Branched.as_("small"))
        branches["split-huge"].to("huge")
        branches["split-small"].to("small")'''),
    "counts": textwrap.dedent('''\
        windows = TimeWindows.of_size_with_no_grace(timedelta(milliseconds=10))
        counted = orders.group_by_key().windowed_by(windows).count(materialized=Materialized.as_("counts"))
        counted.to_stream().map(lambda k, v: (k.key, v)).to("counts")'''),
    "sink": 'big.to("big")',
}
ORDER = list(CELLS)
RERUNS = ["big", "split", "big", "counts", "source", "sink", "split", "big"]  # "big" three times more


def _fresh_report(kernel: Kernel) -> str:
    kernel.run(SETUP)
    kernel.run("nb = StreamsBuilder()")
    for name in ORDER:
        kernel.run(CELLS[name])
    return kernel.run("report(nb.build())")


def _check(report: str, fresh: str) -> None:
    assert report == fresh
    assert "Sink: KSTREAM-SINK-" in fresh and "outputs: {'huge': [('a', 120), ('b', 400)]," in fresh
    nodes_line = next(line for line in fresh.splitlines() if line.startswith("nodes:"))
    _, count, _, distinct = nodes_line.split()
    assert count == distinct


def test_cells_with_jupyterlab_cell_ids_rerun_and_out_of_order(kernel: Kernel) -> None:
    fresh = _fresh_report(kernel)
    kernel.run("nb = NotebookBuilder()", cell_id="setup-id")
    for name in [*ORDER, *RERUNS]:
        kernel.run(CELLS[name], cell_id=f"id-{name}")
    _check(_fresh_report_of(kernel), fresh)
    assert kernel.run("print(nb.cells)") == str([f"id-{name}" for name in ORDER]) + "\n"
    assert kernel.run('print(nb.source_of("id-sink"))') == CELLS["sink"] + "\n"
    # the sink cell edited to build nothing, then restored: its sink goes, then comes back
    kernel.run("# no sink for now", cell_id="id-sink")
    assert "(topic: big)" not in kernel.run("print(nb.describe())")
    kernel.run(CELLS["sink"], cell_id="id-sink")
    _check(_fresh_report_of(kernel), fresh)


def _fresh_report_of(kernel: Kernel) -> str:
    return kernel.run("report(nb.build())")


def test_unchanged_cells_rerun_without_ids_as_nbclient_does(kernel: Kernel) -> None:
    fresh = _fresh_report(kernel)
    kernel.run("nb = NotebookBuilder()")
    for name in [*ORDER, *RERUNS]:
        kernel.run(CELLS[name])
    _check(_fresh_report_of(kernel), fresh)
    assert kernel.run("print(all(c.startswith('source:') for c in nb.cells), len(nb.cells))") == "True 5\n"


def test_named_cells_rerun_and_out_of_order(kernel: Kernel) -> None:
    fresh = _fresh_report(kernel)
    kernel.run("nb = NotebookBuilder()")
    named = {name: f"with nb.cell({name!r}):\n" + textwrap.indent(code, "    ") for name, code in CELLS.items()}
    for i, name in enumerate([*ORDER, *RERUNS]):
        kernel.run(named[name], cell_id=f"lab-{i}")  # the explicit name wins over the frontend's cell id
    _check(_fresh_report_of(kernel), fresh)
    assert kernel.run("print(nb.cells)") == str(ORDER) + "\n"


P_CELLS = {
    "nodes": 't = t.add_source("Source", "orders").add_processor("Double", Doubler, "Source")',
    "sink": 't.add_sink("Sink", "big", "Double")',
}


def test_processor_api_cells_rerun_without_already_added(kernel: Kernel) -> None:
    kernel.run(SETUP)
    kernel.run("t = Topology()")
    for name in P_CELLS:
        kernel.run(P_CELLS[name])
    fresh = kernel.run('report(t, topics=("big",))')
    with pytest.raises(CellError, match="already added"):  # what a plain Topology does on a re-run
        kernel.run(P_CELLS["sink"])
    kernel.run("t = NotebookTopology()")
    for name in ["nodes", "sink", "sink", "nodes", "sink", "nodes"]:
        kernel.run(P_CELLS[name], cell_id=f"p-{name}")
    assert kernel.run('report(t.build(), topics=("big",))') == fresh
    assert "outputs: {'big': [('a', 10), ('b', 24)" in fresh
