"""export(): the cells that built a notebook topology, run in a real IPython shell, become a standalone module.

Each test runs cells through ``InteractiveShell.run_cell(..., store_history=True)`` (with a ``cell_id`` where a
cell is edited and re-run, as JupyterLab sends it), exports, and checks the module's text and what it builds
when run on its own in a fresh interpreter: the same describe() and the same preview output as the builder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import JobError
from kstreams_nb.jobs._export import ExportResult, export, properties_text

pytestmark = pytest.mark.timeout(120)

INPUT = ['{"n": 1}', '{"n": 7}', '{"n": 3}', '{"n": 16}']


@pytest.fixture
def shell(ipython_shell: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    return ipython_shell


def run(shell: Any, code: str, cell_id: str | None = None) -> Any:
    kwargs = {"cell_id": cell_id} if cell_id else {}
    result = shell.run_cell(textwrap.dedent(code), store_history=True, **kwargs)
    result.raise_error()
    return result.result


def run_module(path: Path, script: str) -> str:
    """Run ``script`` in a fresh interpreter with ``topology`` loaded from ``path``; its stdout."""
    code = f"import runpy, sys\ntopology = runpy.run_path({str(path)!r})['topology']\n{script}"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


SETUP = """
import json
from kstreams_nb.notebook import NotebookBuilder, preview
THRESHOLD = 5
"""


def _build_orders(shell: Any) -> None:
    run(shell, SETUP)
    run(shell, "def parse(text):\n    return json.loads(text)['n']")
    run(shell, "nb = NotebookBuilder()")
    run(shell, "orders = nb.stream('orders')\nnb", cell_id="source")
    run(shell, "big = orders.map_values(parse).filter(lambda k, v: v > 100)", cell_id="big")
    # the same cell edited and run again: only this run's source is exported
    run(shell, "big = orders.map_values(parse).filter(lambda k, v: v > THRESHOLD)\nbig.to('big')", cell_id="big")
    run(shell, "p = preview(nb, {'orders': ['{\"n\": 9}']})\nprint(p.topic('big'))\np", cell_id="look")
    run(shell, "import math\nroots = big.map_values(math.sqrt)\nroots.to('roots')\nprint(nb)\nnb.describe()",
        cell_id="roots")


def test_the_module_holds_the_cells_and_the_helpers_they_use(shell: Any, tmp_path: Path) -> None:
    _build_orders(shell)
    result = run(shell, "from kstreams_nb.jobs._export import export\nexport(nb, 'orders_app.py')")
    assert isinstance(result, ExportResult)
    assert result.module == Path("orders_app.py") and result.properties == Path("orders_app.properties")
    assert result.cells == ("source", "big", "roots")
    assert set(result.helpers) == {"json", "parse", "THRESHOLD"}
    text = (tmp_path / "orders_app.py").read_text()
    assert text.count("def parse(text):") == 1 and text.count("import json") == 1
    assert text.count("THRESHOLD = 5") == 1 and "import math" in text
    assert "v > THRESHOLD" in text and "v > 100" not in text  # the latest run of the re-run cell, once
    assert text.count("big.to('big')") == 1
    assert "nb = StreamsBuilder()" in text and "NotebookBuilder" not in text
    assert text.rstrip().endswith("topology = nb.build()")
    for display_only in ("preview", "print(", "describe()", "\nnb\n"):
        assert display_only not in text
    # the helpers come before their first use, and the module compiles
    assert text.index("def parse") < text.index("map_values(parse)") and text.index("THRESHOLD = 5") < text.index(
        "v > THRESHOLD")
    compile(text, "orders_app.py", "exec")


def test_the_module_on_its_own_builds_the_same_topology_and_preview(shell: Any, tmp_path: Path) -> None:
    _build_orders(shell)
    run(shell, "from kstreams_nb.jobs._export import export\nexport(nb, 'orders_app.py')")
    nb = shell.user_ns["nb"]
    preview = shell.user_ns["preview"]
    expected = preview(nb, {"orders": INPUT})
    script = (
        "import json\nfrom kstreams_nb.notebook import preview\n"
        f"p = preview(topology, {{'orders': {INPUT!r}}})\n"
        "print(json.dumps({'describe': str(topology.describe()), 'big': p.topic('big')['value'].tolist(),"
        " 'roots': p.topic('roots')['value'].tolist()}))"
    )
    got = json.loads(run_module(tmp_path / "orders_app.py", script))
    assert got["describe"] == str(nb.describe())
    assert got["big"] == expected.topic("big")["value"].tolist() == [7, 16]
    assert got["roots"] == expected.topic("roots")["value"].tolist() == pytest.approx([7 ** 0.5, 4.0])


def test_a_lambda_an_alias_import_and_a_builder_made_in_a_cell(shell: Any, tmp_path: Path) -> None:
    run(shell, "import kstreams_nb.notebook as knb\nimport operator as op")
    run(shell, "b = knb.NotebookBuilder()\nwords = b.stream('lines').flat_map_values(lambda line: line.split())")
    run(shell, "lengths = words.map_values(len).filter(lambda k, v: op.gt(v, 2))\nlengths.to('long')")
    run(shell, "from kstreams_nb.jobs._export import export\nexport(b, 'words.py')")
    text = (tmp_path / "words.py").read_text()
    assert "b = StreamsBuilder()" in text and "import operator as op" in text
    assert "knb" not in text  # the notebook builder was the only use of the notebook module
    out = run_module(tmp_path / "words.py", "print(topology.describe())")
    assert out.rstrip("\n") == str(shell.user_ns["b"].describe()).rstrip("\n")


def test_a_preview_looking_at_a_stream_in_a_building_cell_is_left_out(shell: Any, tmp_path: Path) -> None:
    run(shell, "from kstreams_nb.notebook import NotebookBuilder, preview\nb = NotebookBuilder()")
    run(shell, "big = b.stream('in').filter(lambda k, v: v > 1)\nbig.to('out')\n"
               "p = preview(b, {'in': [1, 2]})\np.node(big)  # a look at the stream: not part of the program")
    run(shell, "from kstreams_nb.jobs._export import export\nexport(b, 'look.py')")
    text = (tmp_path / "look.py").read_text()
    assert "p.node" not in text and "preview" not in text and "big.to('out')" in text


def test_star_imports_splits_and_a_function_given_the_builder(shell: Any, tmp_path: Path) -> None:
    run(shell, "from kstreams_nb.dsl import *\nfrom kstreams_nb.notebook import NotebookBuilder")
    run(shell, "nb = NotebookBuilder()\ndef copy(b, topic):\n    b.stream(topic).to(topic + '-copy')")
    run(shell, "copy(nb, 'x')")
    run(shell, "parts = nb.stream('in').split('p-').branch(lambda k, v: v > 0, Branched.as_('pos')).default_branch()")
    run(shell, "parts['p-pos'].group_by_key().count(Materialized.as_('counts')).to_stream().to('counts')")
    result = run(shell, "from kstreams_nb.jobs._export import export\nexport(nb, 'misc.py')")
    text = (tmp_path / "misc.py").read_text()
    assert {"copy", "Branched", "Materialized"} <= set(result.helpers)
    assert "from kstreams_nb.dsl import Branched" in text and "from kstreams_nb.dsl import Materialized" in text
    assert "copy(nb, 'x')" in text and "import *" not in text
    out = run_module(tmp_path / "misc.py", "print(topology.describe())")
    assert out.rstrip("\n") == str(shell.user_ns["nb"].describe()).rstrip("\n")


PROCESSOR = """
from kstreams_nb.processor import Processor
from kstreams_nb.notebook import NotebookTopology

class Doubler(Processor):
    def init(self, context):
        self.context = context

    def process(self, record):
        self.context.forward(record.with_value(record.value * FACTOR))
"""


def test_a_processor_api_topology_with_named_cells(shell: Any, tmp_path: Path) -> None:
    run(shell, "FACTOR = 2")
    run(shell, PROCESSOR)
    run(shell, "t = NotebookTopology()")
    run(shell, """
        with t.cell("io"):
            t = t.add_source("Source", "numbers").add_processor("Double", Doubler, "Source")
        with t.cell("sink"):
            t = t.add_sink("Sink", "doubled", "Double")
        t
        """)
    result = run(shell, "from kstreams_nb.jobs._export import export\nexport(t, 'doubler.py')")
    assert result.cells == ("io", "sink") and {"Doubler", "FACTOR", "Processor"} <= set(result.helpers)
    text = (tmp_path / "doubler.py").read_text()
    assert "t = Topology()" in text and ".cell(" not in text and text.rstrip().endswith("topology = t")
    script = (
        "from kstreams_nb.testing import TopologyTestDriver\n"
        "with TopologyTestDriver(topology) as d:\n"
        "    d.create_input_topic('numbers').pipe_input('k', 21)\n"
        "    print(d.create_output_topic('doubled').read_value())"
    )
    assert run_module(tmp_path / "doubler.py", script).strip() == "42"


def test_a_name_defined_nowhere_is_named_in_the_error(shell: Any) -> None:
    run(shell, "from kstreams_nb.notebook import NotebookBuilder\nnb = NotebookBuilder()")
    run(shell, "nb.stream('a').map_values(lambda v: rescale(v)).to('b')")
    with pytest.raises(JobError, match=r"uses 'rescale', which is defined nowhere in this kernel"):
        export(shell.user_ns["nb"], "app.py", verify=False)


def test_a_name_defined_by_a_notebook_only_call_is_refused(shell: Any) -> None:
    run(shell, "from kstreams_nb.notebook import NotebookBuilder, preview\nnb = NotebookBuilder()")
    run(shell, "nb.stream('a').to('b')")
    run(shell, "LIMIT = len(preview(nb, {'a': [1, 2]}).topic('b'))")
    run(shell, "nb.stream('c').filter(lambda k, v: v < LIMIT).to('d')")
    with pytest.raises(JobError, match=r"uses 'LIMIT', which cell In\[3\] defines with a notebook-only call"):
        export(shell.user_ns["nb"], "app.py", verify=False)


def test_a_module_failing_on_its_own_names_the_missing_name(shell: Any, tmp_path: Path) -> None:
    run(shell, "from kstreams_nb.notebook import NotebookBuilder\nnb = NotebookBuilder()")
    run(shell, "globals()['hidden'] = str.upper")  # no statement defines it: the analysis cannot see it
    run(shell, "nb.stream('a').map_values(eval('hidden')).to('b')")
    with pytest.raises(JobError, match=r"fails when run on its own: NameError.*'hidden' is not defined there"):
        export(shell.user_ns["nb"], "app.py")
    assert (tmp_path / "app.py").exists()  # left to look at


def test_properties_file_holds_the_config_but_never_a_secret(shell: Any, tmp_path: Path) -> None:
    from kstreams_nb.jobs._properties import read_properties

    run(shell, "from kstreams_nb.notebook import NotebookBuilder\nnb = NotebookBuilder()")
    run(shell, "nb.stream('a').to('b')")
    config = StreamsConfig({"application.id": "orders", "bootstrap.servers": "broker:9092",
                            "sasl.password": "hunter2", "enable.idempotence": True, "num.stream.threads": 2})
    result = export(shell.user_ns["nb"], "app.py", config=config)
    text = result.properties.read_text()
    assert "hunter2" not in text and "# sasl.password=" in text
    assert read_properties(result.properties) == {
        "application.id": "orders", "bootstrap.servers": "broker:9092", "enable.idempotence": "true",
        "num.stream.threads": "2",
    }  # only the keys given, not StreamsConfig's defaults
    result.properties.write_text("application.id=orders\nbootstrap.servers=edited:9092\n")  # the user's edit
    again = export(shell.user_ns["nb"], "app.py", config=config)
    assert again.properties == Path("app.properties.new")
    assert "edited:9092" in result.properties.read_text()  # kept
    replaced = export(shell.user_ns["nb"], "app.py", config=config, overwrite_properties=True)
    assert replaced.properties == Path("app.properties") and "edited" not in replaced.properties.read_text()


def test_properties_text_marks_what_is_missing_or_not_text() -> None:
    text = properties_text({"application.id": "a", "default.key.serde": object(), "ssl.key.password": "x"},
                           "app:topology")
    assert "# bootstrap.servers=   (required" in text
    assert "# default.key.serde=   (a object value" in text
    assert "# ssl.key.password=   (secret" in text and "=x" not in text
    assert "kstreams-nb run app:topology" in text


def test_wrong_uses_are_refused(shell: Any) -> None:
    from kstreams_nb.dsl import StreamsBuilder

    with pytest.raises(JobError, match="expected a NotebookBuilder or NotebookTopology"):
        export(StreamsBuilder(), "app.py")
    run(shell, "from kstreams_nb.notebook import NotebookBuilder\nnb = NotebookBuilder()")
    with pytest.raises(JobError, match="no cells yet"):
        export(shell.user_ns["nb"], "app.py")
    with pytest.raises(JobError, match=r"must end in \.py"):
        export(shell.user_ns["nb"], "app.txt")


def test_outside_ipython_export_says_where_to_call_it() -> None:
    from kstreams_nb.notebook import NotebookBuilder

    nb = NotebookBuilder()
    nb.stream("a").to("b")
    with pytest.raises(JobError, match="no IPython shell"):
        export(nb, "app.py")
