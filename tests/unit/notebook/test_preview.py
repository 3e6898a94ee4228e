"""preview(): per-node rows (produced and received) with lineage, topics, stores, punctuations, dropped records,
and actionable errors."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kstreams_nb import Processor, PunctuationType, Record, StreamsBuilder, Topology
from kstreams_nb.dsl import Branched, BufferConfig, Materialized, Named, Suppressed, TimeWindows
from kstreams_nb.errors import ProcessingError, TopologyError, UnknownStateStoreError, UnknownTopicError
from kstreams_nb.notebook.inputs import records
from kstreams_nb.notebook.preview import PreviewSession, preview


def rows(df: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in df[list(columns)].itertuples(index=False)]


# ------------------------------------------------------------------ windowed aggregate
def windowed_counts() -> tuple[StreamsBuilder, Any]:
    b = StreamsBuilder()
    counts = (
        b.stream("clicks")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(10, 0))
        .count(materialized=Materialized.as_("counts"))
    )
    counts.to_stream().map(lambda k, v: (f"{k.key}@{k.window.start}", v)).to("counts-out")
    return b, counts


CLICKS = [("a", 1, 0), ("a", 1, 5), ("b", 1, 12), ("a", 1, 3), (None, 1, 13)]


def test_windowed_count_rows_and_lineage_per_node() -> None:
    b, counts = windowed_counts()
    p = preview(b, {"clicks": records(CLICKS)})
    source = p.received("KSTREAM-SOURCE-0000000000")
    assert rows(source, "key", "timestamp", "input", "input_topic", "input_offset") == [
        ("a", 0, 0, "clicks", 0), ("a", 5, 1, "clicks", 1), ("b", 12, 2, "clicks", 2), ("a", 3, 3, "clicks", 3),
        (None, 13, 4, "clicks", 4),
    ]
    # the aggregation's output: windowed keys split into key + window, in event time
    assert rows(p.node(counts), "key", "window_start", "window_end", "value", "input") == [
        ("a", 0, 10, 1, 0), ("a", 0, 10, 2, 1), ("b", 10, 20, 1, 2),
    ]
    assert rows(p.topic("counts-out"), "key", "value", "timestamp", "input") == [
        ("a@0", 1, 0, 0), ("a@0", 2, 5, 1), ("b@10", 1, 12, 2),
    ]
    # the late record (t=3 after stream time 12) and the null key are dropped, with reasons and lineage
    dropped = p.dropped
    assert rows(dropped, "node", "key", "timestamp", "input") == [
        ("KSTREAM-AGGREGATE-0000000001", "a", 3, 3), ("KSTREAM-AGGREGATE-0000000001", None, 13, 4),
    ]
    assert "late" in dropped["reason"][0] and dropped["reason"][1] == "null key"
    store = p.store("counts")
    assert rows(store, "key", "value", "window_start", "window_end") == [("b", 1, 10, 20)]


def test_suppressed_final_results_appear_as_stream_time_passes() -> None:
    b = StreamsBuilder()
    counts = (
        b.stream("clicks").group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 0)).count()
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
    )
    p = preview(b, {"clicks": records([("a", 1, 0), ("a", 1, 4), ("a", 1, 25)])})
    final = p.node(counts)
    assert rows(final, "key", "window_start", "value", "input") == [("a", 0, 2, 2)]


def test_inputs_of_several_topics_are_merged_by_timestamp_each_topic_in_its_order() -> None:
    b = StreamsBuilder()
    b.stream("left").merge(b.stream("right")).to("out")
    p = preview(b, {"left": records([("l", 1, 5), ("l", 2, 1)]), "right": records([("r", 3, 2), ("r", 4, 5)])})
    # lowest head timestamp first; left@1 stays behind left@5 (a topic keeps its order, so it is late)
    assert rows(p.inputs, "topic", "offset", "timestamp") == [
        ("right", 0, 2), ("left", 0, 5), ("left", 1, 1), ("right", 1, 5),
    ]
    assert p.topic("out")["value"].tolist() == [3, 1, 2, 4]


# ------------------------------------------------------------------ produced vs received
def test_a_filter_produces_what_it_lets_through_and_receives_everything() -> None:
    b = StreamsBuilder()
    evens = b.stream("numbers").filter(lambda k, v: v % 2 == 0)  # an intermediate stream: no sink reads it
    p = preview(b, {"numbers": [1, 2, 3, 4]})
    assert rows(p.node(evens), "value", "input", "input_offset") == [(2, 1, 1), (4, 3, 3)]
    assert rows(p.received(evens), "value", "input") == [(1, 0), (2, 1), (3, 2), (4, 3)]
    assert p.node("KSTREAM-FILTER-0000000001").equals(p.node(evens))
    assert list(p.nodes) == ["KSTREAM-SOURCE-0000000000", "KSTREAM-FILTER-0000000001"]
    assert p.nodes["KSTREAM-FILTER-0000000001"]["value"].tolist() == [2, 4]
    assert not hasattr(p, "output")


def test_a_sink_produces_what_it_wrote_and_summary_counts_both_sides() -> None:
    b = StreamsBuilder()
    b.stream("in").filter(lambda k, v: v > 1).to("out")
    p = preview(b, {"in": [1, 2, 3]})
    sink = "KSTREAM-SINK-0000000002"
    assert p.node(sink)["value"].tolist() == [2, 3] == p.received(sink)["value"].tolist()
    assert rows(p.summary(), "node", "kind", "received", "sent", "dropped") == [
        ("KSTREAM-SOURCE-0000000000", "source", 3, 3, 0),
        ("KSTREAM-FILTER-0000000001", "processor", 3, 2, 0),
        (sink, "sink", 2, 2, 0),
    ]
    page = p._repr_html_()
    assert "<th>sent</th>" in page and ".received(name)" in page


def test_a_node_that_sends_nothing_shows_no_rows_even_when_its_child_has_another_parent() -> None:
    b = StreamsBuilder()
    none = b.stream("left").filter(lambda k, v: False)
    merged = none.merge(b.stream("right"))
    merged.to("out")
    p = preview(b, {"left": [1, 2], "right": [3]})
    assert len(p.node(none)) == 0 and len(p.received(none)) == 2
    assert p.node(merged)["value"].tolist() == [3]


class Router(Processor):
    """Sends small values to the child named "small", others to every child; ticks go to "big" by name."""

    def init(self, context: Any) -> None:
        super().init(context)
        context.schedule(10, PunctuationType.STREAM_TIME, lambda t: self.context.forward(Record("tick", t, t), "big"))

    def process(self, record: Record) -> None:
        if record.value < 10:
            self.context.forward(record, "small")
        else:
            self.context.forward(record)


def test_named_and_punctuation_forwards_are_what_a_processor_sent() -> None:
    t = (
        Topology().add_source("src", "in").add_source("other", "in2")
        .add_processor("route", Router, "src")
        .add_sink("small", "small-out", "route", "other")  # a second parent: its records are not route's
        .add_sink("big", "big-out", "route")
    )
    p = preview(t, {"in": records([("a", 1, 0), ("b", 20, 1), ("c", 2, 12)]), "in2": records([("z", 5, 13)])})
    assert rows(p.node("route"), "key", "value", "input") == [
        ("a", 1, 0), ("tick", 0, 0), ("b", 20, 1), ("c", 2, 2), ("tick", 12, 2),
    ]
    assert rows(p.node("small"), "key", "input") == [("a", 0), ("b", 1), ("c", 2), ("z", 3)]
    assert rows(p.received("route"), "key") == [("a",), ("b",), ("c",)]


# ------------------------------------------------------------------ split / branch
def test_split_rows_per_branch_with_lineage() -> None:
    b = StreamsBuilder()
    branches = (
        b.stream("numbers").split(Named.as_("n-"))
        .branch(lambda k, v: v % 2 == 0, Branched.as_("even"))
        .default_branch(Branched.as_("odd"))
    )
    branches["n-even"].to("evens")
    branches["n-odd"].to("odds")
    p = preview(b, {"numbers": [1, 2, 3, 4]})
    assert rows(p.node(branches["n-even"]), "value", "input") == [(2, 1), (4, 3)]
    assert rows(p.node(branches["n-odd"]), "value", "input") == [(1, 0), (3, 2)]
    assert rows(p.received(branches["n-even"]), "value", "input") == [(2, 1), (4, 3)]
    # the split sends each record to one branch, by name: its output is what its branches got
    assert rows(p.node("n-"), "value", "input") == [(1, 0), (2, 1), (3, 2), (4, 3)]
    assert rows(p.received("n-"), "value", "input") == [(1, 0), (2, 1), (3, 2), (4, 3)]
    assert p.topic("evens")["value"].tolist() == [2, 4]
    assert set(p.topics) == {"evens", "odds"}


def test_unknown_node_topic_or_store_lists_what_exists() -> None:
    b = StreamsBuilder()
    b.stream("in").to("out")
    p = preview(b, {"in": [1]})
    with pytest.raises(TopologyError, match=r"no node 'nope'.*KSTREAM-SOURCE-0000000000, KSTREAM-SINK-0000000001"):
        p.node("nope")
    with pytest.raises(UnknownTopicError, match=r"'other'.*\['out'\]"):
        p.topic("other")
    with pytest.raises(UnknownStateStoreError, match="'s'"):
        p.store("s")


# ------------------------------------------------------------------ inputs
def test_dataframe_and_numpy_inputs() -> None:
    b = StreamsBuilder()
    doubled = b.stream("orders").map_values(lambda v: {**v, "amount": v["amount"] * 2})
    doubled.to("out")
    frame = pd.DataFrame({"user": ["ann", "bob"], "amount": np.array([3, 4], dtype=np.int64)})
    p = preview(b, {"orders": frame})
    assert p.topic("out")["value"].tolist() == [{"user": "ann", "amount": 6}, {"user": "bob", "amount": 8}]
    keyed = pd.DataFrame({"key": ["a"], "value": [np.float64(1.5)], "timestamp": [np.int64(40)]})
    b2 = StreamsBuilder()
    b2.stream("t").to("o")
    assert rows(preview(b2, {"t": keyed}).topic("o"), "key", "value", "timestamp") == [("a", 1.5, 40)]
    assert preview(b2, {"t": [np.int64(7), np.bool_(False)]}).topic("o")["value"].tolist() == [7, False]


# ------------------------------------------------------------------ processor API: stores, punctuations
class Counter(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("seen")
        context.schedule(10, PunctuationType.STREAM_TIME, self.tick)
        context.schedule(10, PunctuationType.WALL_CLOCK_TIME, lambda t: None)

    def tick(self, t: int) -> None:
        self.context.forward(Record("tick", t, t))

    def process(self, record: Record) -> None:
        self.store.put(record.key, (self.store.get(record.key) or 0) + 1)
        self.context.forward(record)


def counter_topology() -> Topology:
    from kstreams_nb import Stores

    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("seen")).with_logging_disabled()
    return (
        Topology().add_source("src", "in").add_processor("count", Counter, "src").add_state_store(store, "count")
        .add_sink("sink", "out", "count")
    )


def test_stores_and_punctuations() -> None:
    p = preview(counter_topology(), {"in": records([("a", 1, 0), ("b", 2, 15), ("a", 3, 31)])})
    assert rows(p.store("seen"), "key", "value") == [("a", 2), ("b", 1)]
    assert rows(p.punctuations, "node", "type", "time", "input") == [
        ("count", "STREAM_TIME", 0, 0), ("count", "WALL_CLOCK_TIME", 15, 1), ("count", "STREAM_TIME", 15, 1),
        ("count", "WALL_CLOCK_TIME", 31, 2), ("count", "STREAM_TIME", 31, 2),
    ]
    assert rows(p.topic("out"), "key", "value", "input") == [
        ("a", 1, 0), ("tick", 0, 0), ("b", 2, 1), ("tick", 15, 1), ("a", 3, 2), ("tick", 31, 2),
    ]


def test_session_steps_and_snapshots_show_state_changing() -> None:
    with PreviewSession(counter_topology(), {"in": records([("a", 1, 0), ("a", 2, 1)])}) as s:
        assert s.position == 0 and s.total == 2
        assert s.step() and s.position == 1
        first = s.snapshot()
        assert rows(first.store("seen"), "key", "value") == [("a", 1)]
        assert len(first.received("src")) == 1
        assert s.step() and not s.step()
        assert rows(s.snapshot().store("seen"), "key", "value") == [("a", 2)]
        assert len(first.received("src")) == 1  # an earlier snapshot does not change
        s.reset()
        assert s.position == 0 and len(s.snapshot().store("seen")) == 0


def test_handler_skips_are_dropped_records() -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: 10 // v).to("out")
    p = preview(b, {"in": [5, 0, 2]}, config={"processing.exception.handler": "log_and_continue"})
    assert p.topic("out")["value"].tolist() == [2, 5]
    assert rows(p.dropped, "node", "value", "input") == [("KSTREAM-MAPVALUES-0000000001", 0, 1)]
    assert "ZeroDivisionError" in p.dropped["reason"][0]


def test_preview_leaves_logging_as_it_was() -> None:
    logger = logging.getLogger("kstreams_nb")
    handlers, level = list(logger.handlers), logger.level
    b, _ = windowed_counts()
    preview(b, {"clicks": records(CLICKS)})
    assert logger.handlers == handlers and logger.level == level


# ------------------------------------------------------------------ errors
def test_a_failing_lambda_names_the_node_record_and_code() -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: 10 // v).to("out")
    with pytest.raises(ProcessingError) as info:
        preview(b, {"in": records([("k", 5), ("bad", 0)])})
    message = str(info.value)
    assert "KSTREAM-MAPVALUES-0000000001" in message
    assert "input record 1 (topic 'in', offset 1, key='bad', value=0" in message
    assert "ZeroDivisionError" in message and "test_preview.py:" in message
    assert isinstance(info.value.__cause__, ProcessingError)
    assert isinstance(info.value.__cause__.__cause__, ZeroDivisionError)


def test_a_failing_node_names_the_cell_when_the_builder_knows_it() -> None:
    class CellBuilder:
        def __init__(self) -> None:
            self.inner = StreamsBuilder()

        def build(self) -> Topology:
            return self.inner.build()

        def cell_of_node(self, node: str) -> str | None:
            return "cell-7" if "MAPVALUES" in node else None

    nb = CellBuilder()
    nb.inner.stream("in").map_values(lambda v: v["missing"]).to("out")
    with pytest.raises(ProcessingError, match=r"KSTREAM-MAPVALUES-0000000001 \(cell cell-7, .*test_preview.py:\d+\)"):
        preview(nb, {"in": [{"x": 1}]})


def test_a_topology_without_sources_is_refused() -> None:
    with pytest.raises(TopologyError, match="no source"):
        preview(Topology(), {})


def test_inputs_for_a_topic_nobody_reads_name_it_and_the_topics_read() -> None:
    b = StreamsBuilder()
    b.stream("orders").to("out")
    b.stream("payments").to("out2")
    with pytest.raises(TopologyError, match=r"'ordres'.*reads: orders, payments"):
        preview(b, {"ordres": [1]})


def test_not_a_topology_is_refused() -> None:
    with pytest.raises(TopologyError, match="needs a Topology"):
        preview(object(), {})


# ------------------------------------------------------------------ display
def test_html_and_text_repr_are_compact_and_deterministic() -> None:
    b, _ = windowed_counts()
    one, two = (preview(b, {"clicks": records(CLICKS)}) for _ in range(2))
    page = one._repr_html_()
    assert page == two._repr_html_()
    assert "topic counts-out" in page and "nodes" in page and "store counts" in page and "dropped" in page
    assert page.count("<tr>") < 40
    assert repr(one).startswith("<Preview of 5 input records: 5 nodes; topics written: counts-out (3)")


def test_the_package_exports_the_preview_function_in_any_import_order() -> None:
    # a fresh interpreter: importing the submodule first must not shadow the function with the module
    code = (
        "import types, kstreams_nb.notebook.widgets, kstreams_nb.notebook.preview\n"
        "from kstreams_nb.notebook import preview\n"
        "import kstreams_nb.notebook as nb\n"
        "print(isinstance(preview, types.FunctionType), nb.preview is preview)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


def test_a_windowed_sink_topic_splits_its_keys_like_the_node_rows() -> None:
    from datetime import timedelta

    b = StreamsBuilder()
    counts = b.stream("clicks").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=10)))
    counts.count().to_stream().to("counts")
    p = preview(b, {"clicks": records([("a", "x", 0), ("a", "x", 60_000), ("b", "x", 700_000)])})
    topic = p.topic("counts")
    assert topic[["key", "value", "window_start", "window_end"]].values.tolist() == [
        ["a", 1, 0, 600_000], ["a", 2, 0, 600_000], ["b", 1, 600_000, 1_200_000],
    ]
    plain = StreamsBuilder()
    plain.stream("in").to("out")
    assert list(preview(plain, {"in": [{"key": 1, "window": 2}]}).topic("out").columns) == [
        "key", "value", "timestamp", "input", "input_topic", "input_offset",
    ]
