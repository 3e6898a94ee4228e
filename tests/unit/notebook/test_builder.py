"""NotebookBuilder / NotebookTopology: re-running a cell replaces what it built; build() equals a fresh run."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kstreams_nb.dsl import Branched, Materialized, StreamsBuilder, TimeWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.notebook import _cells
from kstreams_nb.notebook.builder import NotebookBuilder, NotebookTopology
from kstreams_nb.processor import Processor
from kstreams_nb.state import Stores
from kstreams_nb.testing import TopologyTestDriver
from kstreams_nb.topology import Topology


class Notebook:
    """Simulated notebook cells: ``run("b", code)`` runs ``code`` as the cell with id ``b``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ns: dict[str, Any] = {}
        self._info: _cells.CellInfo | None = None
        self._runs = itertools.count()
        self._listeners: list[Callable[[_cells.CellInfo], None]] = []
        monkeypatch.setattr(_cells, "current_cell", lambda: self._info)
        monkeypatch.setattr(_cells, "on_cell_start", lambda listener: self._listeners.append(listener) or True)

    def run(self, cell_id: str | None, body: Callable[[dict[str, Any]], Any], source: str = "") -> Any:
        key = cell_id or _cells.source_key(source)
        self._info = _cells.CellInfo(key, cell_id, source, f"run-{next(self._runs)}")
        for listener in self._listeners:
            listener(self._info)
        try:
            return body(self.ns)
        finally:
            self._info = None


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> Notebook:
    return Notebook(monkeypatch)


def _program(b: Any) -> dict[str, Any]:
    """One program, cell by cell, for a builder ``b`` (a StreamsBuilder or a NotebookBuilder)."""

    def source(ns: dict[str, Any]) -> None:
        ns["orders"] = b.stream("orders")

    def big(ns: dict[str, Any]) -> None:
        ns["big"] = ns["orders"].filter(lambda k, v: v >= 10).map_values(lambda v: v * 2)

    def split(ns: dict[str, Any]) -> None:
        ns["branches"] = ns["big"].split("split-").branch(lambda k, v: v > 100, Branched.as_("huge")).default_branch()
        ns["branches"]["split-huge"].to("huge")

    def counts(ns: dict[str, Any]) -> None:
        windows = TimeWindows.of_size_with_no_grace(timedelta(milliseconds=10))
        counted = ns["orders"].group_by_key().windowed_by(windows).count(materialized=Materialized.as_("counts"))
        counted.to_stream().map(lambda k, v: (k.key, v)).to("counts")

    def sink(ns: dict[str, Any]) -> None:
        ns["big"].to("big")

    return {"source": source, "big": big, "split": split, "counts": counts, "sink": sink}


ORDER = ["source", "big", "split", "counts", "sink"]


def _fresh() -> Topology:
    b = StreamsBuilder()
    ns: dict[str, Any] = {}
    for name in ORDER:
        _program(b)[name](ns)
    return b.build()


def _outputs(topology: Topology) -> dict[str, list[tuple[Any, Any]]]:
    with TopologyTestDriver(topology) as driver:
        orders = driver.create_input_topic("orders")
        for ts, (k, v) in enumerate([("a", 5), ("b", 12), ("a", 60), ("c", 30), ("a", 1)]):
            orders.pipe_input(k, v, ts * 4)
        return {t: driver.create_output_topic(t).read_key_values_to_list() for t in ("huge", "counts", "big")}


def _nodes(topology: Topology) -> list[str]:
    return list(topology.internal_builder.nodes)


def test_cells_rerun_three_times_and_out_of_order_build_what_a_fresh_run_builds(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    cells = _program(nb)
    for name in [*ORDER, "big", "big", "sink", "big", "source", "split", "counts", "sink", "counts"]:
        notebook.run(name, cells[name])
    built, fresh = nb.build(), _fresh()
    assert str(built.describe()) == str(fresh.describe())
    assert len(_nodes(built)) == len(set(_nodes(built))) == len(_nodes(fresh))
    assert _outputs(built) == _outputs(fresh)
    assert _outputs(built)["huge"]  # the program does produce something
    assert nb.cells == ORDER


def test_cells_known_by_source_text_are_replaced_when_run_again_unchanged(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    cells = _program(nb)
    for name in [*ORDER, *ORDER, "big", "sink"]:
        notebook.run(None, cells[name], source=f"# cell {name}")
    assert str(nb.describe()) == str(_fresh().describe())
    assert nb.cells == [_cells.source_key(f"# cell {name}") for name in ORDER]
    assert nb.source_of(nb.cells[1]) == "# cell big"


def test_named_cells_are_replaced_when_their_block_runs_again() -> None:
    nb = NotebookBuilder()
    cells = _program(nb)
    ns: dict[str, Any] = {}
    for name in [*ORDER, "big", "counts", "big"]:
        with nb.cell(name):
            cells[name](ns)
    assert str(nb.describe()) == str(_fresh().describe())
    assert nb.cells == ORDER


def test_an_explicit_name_wins_over_the_notebook_cell(notebook: Notebook) -> None:
    nb = NotebookBuilder()

    def body(ns: dict[str, Any]) -> None:
        with nb.cell("named"):
            ns["s"] = nb.stream("in")
        ns["s"].to("out")

    notebook.run("c1", body, source="the cell")
    notebook.run("c1", body, source="the cell")
    assert nb.cells == ["named", "c1"]
    assert nb.source_of("named") == "the cell"
    assert _nodes(nb.build()) == ["KSTREAM-SOURCE-0000000000", "KSTREAM-SINK-0000000001"]


def test_in_a_script_nothing_is_replaced_as_with_streams_builder() -> None:
    nb, b = NotebookBuilder(), StreamsBuilder()
    for builder in (nb, b):
        s = builder.stream("in")
        s.to("out")
        s.to("out")
    assert str(nb.describe()) == str(b.build().describe())
    assert nb.cells == ["<script>"]
    assert nb.source_of("<script>") == ""


def test_handles_of_later_cells_follow_the_rerun_cell_by_position(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in").filter(lambda k, v: True)))
    notebook.run("b", lambda ns: ns["s"].map_values(str).to("out"))
    # cell a edited: its handle #1 is now a peek; cell b's handle still means "a's second handle"
    notebook.run("a", lambda ns: ns.update(t=nb.stream("other").peek(print)))
    assert _nodes(nb.build()) == ["KSTREAM-SOURCE-0000000000", "KSTREAM-PEEK-0000000001",
                                  "KSTREAM-MAPVALUES-0000000002", "KSTREAM-SINK-0000000003"]
    assert nb.cell_of_node("KSTREAM-SINK-0000000003") == "b"
    assert nb.cell_of_node("KSTREAM-PEEK-0000000001") == "a"
    assert nb.cell_of_node("nope") is None


def test_handle_attributes_come_from_the_latest_replay(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in")))
    notebook.run("b", lambda ns: ns.update(f=ns["s"].filter(lambda k, v: v)))
    assert ns_name(notebook, "f") == "KSTREAM-FILTER-0000000001"
    notebook.run("a", lambda ns: nb.stream("in").peek(print))  # a makes one more node before b's filter
    assert ns_name(notebook, "f") == "KSTREAM-FILTER-0000000002"
    f = notebook.ns["f"]
    assert "filter" in dir(f) and "_node" not in dir(f)
    assert repr(f) == "<KStream KSTREAM-FILTER-0000000002 from cell 'b'>"
    assert getattr(f, "_repr_html_", None) is None  # IPython's display probes must not record calls
    with pytest.raises(AttributeError):
        _ = f.no_such_method


def ns_name(notebook: Notebook, var: str) -> str:
    name: str = notebook.ns[var].name
    return name


def test_split_results_are_handles_and_non_dsl_results_pass_through(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    branches = nb.stream("in").split().branch(lambda k, v: v, Branched.as_("yes")).default_branch()
    assert sorted(branches) == ["KSTREAM-BRANCH-00000000010", "KSTREAM-BRANCH-0000000001yes"]
    branches["KSTREAM-BRANCH-0000000001yes"].to("yes")
    table = nb.table("t", materialized=Materialized.as_("t-store"))
    assert table.queryable_store_name() == "t-store"
    assert nb.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"))) is nb
    assert "Sink: KSTREAM-SINK-0000000004 (topic: yes)" in str(nb.describe())


def test_a_call_that_is_wrong_fails_in_the_cell_that_made_it(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in")))
    with pytest.raises(TopologyError, match="filter's predicate must be a callable"):
        notebook.run("b", lambda ns: ns["s"].filter(3))
    with pytest.raises(TypeError):
        notebook.run("b", lambda ns: ns["s"].filter(lambda k, v: v, no_such_option=1))
    notebook.run("b", lambda ns: ns["s"].filter(lambda k, v: v).to("out"))
    assert _nodes(nb.build()) == ["KSTREAM-SOURCE-0000000000", "KSTREAM-FILTER-0000000001",
                                  "KSTREAM-SINK-0000000002"]


def test_a_cell_broken_by_an_earlier_rerun_is_named_at_build(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in").filter(lambda k, v: v)))
    notebook.run("b", lambda ns: ns["s"].to("out"))
    notebook.run("a", lambda ns: nb.stream("in"))  # a no longer makes its second handle
    with pytest.raises(TopologyError, match=r"cell 'b': to\('out'\) failed on replay.*run cell 'b' again"):
        nb.build()
    assert "cannot replay" in repr(nb)
    assert "cannot build yet" in nb._repr_mimebundle_()["text/plain"]
    nb.remove("b")
    assert _nodes(nb.build()) == ["KSTREAM-SOURCE-0000000000"]


def test_rechaining_a_handle_made_by_an_earlier_run_of_the_same_cell_is_refused(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in")))
    notebook.run("b", lambda ns: ns.update(s=ns["s"].filter(lambda k, v: v)))
    with pytest.raises(TopologyError, match=r"earlier run of cell 'b'.*as in `s = s.filter"):
        notebook.run("b", lambda ns: ns.update(s=ns["s"].filter(lambda k, v: v)))


def test_a_handle_from_a_cell_that_first_ran_later_is_refused(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: nb.stream("in"))
    notebook.run("b", lambda ns: ns.update(s=nb.stream("other")))
    with pytest.raises(TopologyError, match="cell 'b', which first ran after this cell 'a'"):
        notebook.run("a", lambda ns: ns["s"].to("out"))


def test_handles_of_removed_cells_and_other_builders_are_refused(notebook: Notebook) -> None:
    nb, other = NotebookBuilder(), NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in")))
    with pytest.raises(TopologyError, match="another notebook builder"):
        notebook.run("x", lambda ns: other.stream("x").merge(ns["s"]))
    nb.reset()
    assert nb.cells == []
    with pytest.raises(TopologyError, match="removed or reset"):
        notebook.run("b", lambda ns: ns["s"].to("out"))
    with pytest.raises(TopologyError, match=r"remove\('zzz'\): no such cell"):
        nb.remove("zzz")
    with pytest.raises(TopologyError, match="no such cell"):
        nb.source_of("zzz")


def test_repr_lists_each_cell_and_what_it_added(notebook: Notebook) -> None:
    nb = NotebookBuilder()
    notebook.run("a", lambda ns: ns.update(s=nb.stream("in")))
    notebook.run("b", lambda ns: ns["s"].group_by_key().count(materialized=Materialized.as_("n")))
    assert repr(nb) == (
        "NotebookBuilder with 2 cells:\n"
        "  a: KSTREAM-SOURCE-0000000000\n"
        "  b: KSTREAM-AGGREGATE-0000000001; stores: n"
    )
    bundle = nb._repr_mimebundle_(include={"text/plain"})
    assert list(bundle) == ["text/plain"] and "KSTREAM-AGGREGATE-0000000001" in bundle["text/plain"]
    assert nb.to_networkx().has_node("KSTREAM-AGGREGATE-0000000001")


def test_each_build_is_a_new_topology() -> None:
    nb = NotebookBuilder()
    nb.stream("in").to("out")
    first = nb.build()
    nb.stream("more")
    assert len(_nodes(first)) == 2 and len(_nodes(nb.build())) == 3


class _Count(Processor):
    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store("counts")

    def process(self, record: Any) -> None:
        n = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, n)
        self.context.forward(record.with_value(n))


def test_processor_api_cells_rerun_without_already_added(notebook: Notebook) -> None:
    t = NotebookTopology()
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"))

    def nodes(ns: dict[str, Any]) -> None:
        ns["t"] = t.add_source("Source", "in").add_processor("Count", _Count, "Source")

    def sink(ns: dict[str, Any]) -> None:
        t.add_state_store(store, "Count").add_sink("Sink", "out", "Count")

    for name, body in [("n", nodes), ("s", sink), ("s", sink), ("n", nodes), ("n", nodes)]:
        notebook.run(name, body)
    assert notebook.ns["t"] is t
    topology = t.build()
    assert _nodes(topology) == ["Source", "Count", "Sink"]
    assert t.build() is not topology
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("in").pipe_key_value_list([("k", "x"), ("k", "y")])
        assert driver.create_output_topic("out").read_values_to_list() == [1, 2]
    assert repr(t) == "NotebookTopology with 2 cells:\n  n: Source, Count\n  s: Sink; stores: counts"
    with pytest.raises(TopologyError, match="already added"):  # within one run, Topology's own checks apply
        notebook.run("x", lambda ns: t.add_source("Source", "again"))
    assert t.cells == ["n", "s", "x"]


def test_handles_passed_as_arguments_follow_reruns(notebook: Notebook) -> None:
    nb, fresh = NotebookBuilder(), StreamsBuilder()
    fresh.stream("x").merge(fresh.stream("y")).to("m")
    notebook.run("a", lambda ns: ns.update(s1=nb.stream("x")))
    notebook.run("b", lambda ns: ns.update(s2=nb.stream("y")))
    notebook.run("c", lambda ns: ns["s1"].merge(ns["s2"]).to("m"))
    assert ns_method_doc(notebook, "s1", "merge").startswith("The union of this stream")
    notebook.run("b", lambda ns: ns.update(s2=nb.stream("y")))
    notebook.run("a", lambda ns: ns.update(s1=nb.stream("x")))
    assert str(nb.describe()) == str(fresh.build().describe())
    notebook.run("b", lambda ns: None)  # b runs again and builds nothing: c's argument is gone
    with pytest.raises(TopologyError, match=r"cell 'c': merge\(<KStream #0 from cell 'b'>\) failed on replay"):
        nb.build()


def ns_method_doc(notebook: Notebook, var: str, method: str) -> str:
    doc: str = getattr(notebook.ns[var], method).__doc__
    return doc
