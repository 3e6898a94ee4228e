"""The explorer widget, driven from Python: choosing a node changes the rows shown; Step/Reset/slider move."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams_nb import StreamsBuilder
from kstreams_nb.dsl import Materialized
from kstreams_nb.notebook.inputs import records
from kstreams_nb.notebook.widgets import Explorer, explore

w = pytest.importorskip("ipywidgets")


def find(widget: Any, css_class: str) -> Any:
    """The descendant of ``widget`` carrying ``css_class``."""
    if css_class in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        found = find(child, css_class)
        if found is not None:
            return found
    return None


def counting() -> StreamsBuilder:
    b = StreamsBuilder()
    b.stream("words").filter(lambda k, v: v != "skip").group_by_key().count(
        materialized=Materialized.as_("counts")
    ).to_stream().to("counts-out")
    return b


WORDS = records([("a", "x", 0), ("b", "skip", 1), ("a", "y", 2)])


def test_explore_returns_a_box_with_stable_css_hooks() -> None:
    box = explore(counting(), {"words": WORDS})
    assert isinstance(box, w.VBox) and "kstreams-explorer" in box._dom_classes
    for hook in ("kstreams-node-select", "kstreams-node-rows", "kstreams-step", "kstreams-reset",
                 "kstreams-position", "kstreams-stores", "kstreams-error"):
        assert find(box, hook) is not None, hook


def test_choosing_a_node_shows_its_output() -> None:
    box = explore(counting(), {"words": WORDS})
    select, shown = find(box, "kstreams-node-select"), find(box, "kstreams-node-rows")
    assert select.value == "KSTREAM-SOURCE-0000000000"
    assert "KSTREAM-SOURCE-0000000000 output" in shown.value
    assert "(3 rows)" in shown.value and "skip" in shown.value
    select.value = "KSTREAM-FILTER-0000000001"
    assert "KSTREAM-FILTER-0000000001 output" in shown.value
    assert "(2 rows)" in shown.value and "skip" not in shown.value


def test_received_view_shows_what_the_node_was_given() -> None:
    e = Explorer(counting(), {"words": WORDS})
    assert list(e.view.options) == ["output", "received"] and e.view.value == "output"
    e.node_select.value = "KSTREAM-FILTER-0000000001"
    e.view.value = "received"
    assert "KSTREAM-FILTER-0000000001 received" in e.rows.value
    assert "(3 rows)" in e.rows.value and "skip" in e.rows.value
    e.view.value = "output"
    assert "(2 rows)" in e.rows.value and "skip" not in e.rows.value


def test_step_and_reset_buttons_and_slider_move_through_the_records() -> None:
    e = Explorer(counting(), {"words": WORDS})
    assert e.session.position == 3 and e.step_button.disabled
    assert "<td>a</td>" in e.stores.value and "<td>2</td>" in e.stores.value
    e.reset_button.click()
    assert e.session.position == 0 and e.slider.value == 0 and "before the first" in e.status.value
    assert "(0 rows)" in e.stores.value
    e.step_button.click()
    assert e.session.position == 1 and e.slider.value == 1
    assert "(1 rows)" in e.stores.value and "<td>1</td>" in e.stores.value
    e.node_select.value = "KSTREAM-SOURCE-0000000000"
    assert "(1 rows)" in e.rows.value
    e.slider.value = 3
    assert e.session.position == 3 and "(3 rows)" in e.rows.value
    e.slider.value = 2  # going back replays from the start
    assert e.session.position == 2 and "(2 rows)" in e.rows.value


def test_a_failing_function_is_shown_in_the_widget_not_raised() -> None:
    b = StreamsBuilder()
    b.stream("in").map_values(lambda v: 1 // v).to("out")
    e = Explorer(b, {"in": [1, 0, 2]})
    assert e.session.position == 1
    assert "ZeroDivisionError" in e.error.value and "KSTREAM-MAPVALUES-0000000001" in e.error.value
    e.reset_button.click()
    assert e.error.value == "" and e.session.position == 0
