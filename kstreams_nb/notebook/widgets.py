"""The explorer widget (ipywidgets 8, opt-in): pick a node, see its rows, step through the input records.

A node's rows are its output (what it sent on: :meth:`Preview.node`) or, with the toggle, what it received
(:meth:`Preview.received`).

Everything runs in the widget callbacks on the kernel's side, synchronously: no threads, no pyplot. The widget
parts carry CSS classes (``kstreams-explorer``, ``kstreams-node-select``, ``kstreams-node-view``,
``kstreams-node-rows``, ``kstreams-step``, ``kstreams-reset``, ``kstreams-position``, ``kstreams-stores``,
``kstreams-punctuations``, ``kstreams-error``, ``kstreams-topology``) so a browser test can find them.

Example (in a notebook cell)::

    from kstreams_nb.notebook import explore
    explore(builder, {"orders": sample("orders", 20)})
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

from kstreams_nb.errors import KStreamsError
from kstreams_nb.notebook._frames import html_table
from kstreams_nb.notebook._result import Preview
from kstreams_nb.notebook.preview import PreviewSession

__all__ = ["Explorer", "explore"]

log = logging.getLogger(__name__)

_ROWS = 20
_OUTPUT, _RECEIVED = "output", "received"


def explore(topology: Any, inputs: Mapping[str, Any], *, config: Mapping[str, Any] | None = None) -> Any:
    """An ipywidgets box to explore a preview of ``topology`` on ``inputs`` (see :func:`preview`).

    Shows the topology picture (when ``kstreams_nb.topology.draw`` can draw it), a node list with the chosen
    node's rows (its output, or what it received), and Step / Reset buttons and a slider over the input
    records, with the stores' contents and the punctuations fired so far. It opens on the last record; Reset
    goes back to before the first.

    Example: ``explore(builder, {"clicks": records([("a", 1, 0), ("a", 1, 5)])})``.
    """
    return Explorer(topology, inputs, config=config).widget


class Explorer:
    """The explorer's state and widgets; :attr:`widget` is what a cell displays."""

    def __init__(self, topology: Any, inputs: Mapping[str, Any], *, config: Mapping[str, Any] | None = None) -> None:
        import ipywidgets as w

        self.session = PreviewSession(topology, inputs, config=config)
        total = self.session.total
        self.picture = w.HTML(_picture(self.session.topology))
        self.picture.add_class("kstreams-topology")
        self.node_select = w.Dropdown(description="node", layout=w.Layout(width="max-content"))
        self.node_select.add_class("kstreams-node-select")
        self.view = w.ToggleButtons(options=[_OUTPUT, _RECEIVED], value=_OUTPUT)
        self.view.add_class("kstreams-node-view")
        self.rows = w.HTML()
        self.rows.add_class("kstreams-node-rows")
        self.step_button = w.Button(description="Step", tooltip="process the next input record")
        self.step_button.add_class("kstreams-step")
        self.reset_button = w.Button(description="Reset", tooltip="back to before the first input record")
        self.reset_button.add_class("kstreams-reset")
        self.slider = w.IntSlider(value=0, min=0, max=total, description="records", continuous_update=False)
        self.slider.add_class("kstreams-position")
        self.status = w.HTML()
        self.stores = w.HTML()
        self.stores.add_class("kstreams-stores")
        self.punctuations = w.HTML()
        self.punctuations.add_class("kstreams-punctuations")
        self.error = w.HTML()
        self.error.add_class("kstreams-error")
        self.widget = w.VBox([
            self.picture,
            w.HBox([self.step_button, self.reset_button, self.slider, self.status]),
            w.HBox([self.node_select, self.view]),
            self.error,
            self.rows,
            self.stores,
            self.punctuations,
        ])
        self.widget.add_class("kstreams-explorer")
        self._snapshot: Preview | None = None
        self._syncing = False
        self.node_select.observe(self._on_node, names="value")
        self.view.observe(self._on_node, names="value")
        self.slider.observe(self._on_slider, names="value")
        self.step_button.on_click(self._on_step)
        self.reset_button.on_click(self._on_reset)
        self.go_to(total)

    # ------------------------------------------------------------------ actions
    def go_to(self, position: int) -> None:
        """Show the state after ``position`` input records (resetting first when going back)."""
        session = self.session
        try:
            if position < session.position or session._failed is not None:
                session.reset()
            session.run(position)
            self.error.value = ""
        except KStreamsError as e:
            self.error.value = f"<pre style='white-space: pre-wrap; color: #b00'>{html.escape(str(e))}</pre>"
        self._refresh()

    def step(self) -> None:
        """Process the next input record."""
        self.go_to(self.session.position + 1)

    def reset(self) -> None:
        """Back to before the first input record."""
        self.go_to(0)

    # ------------------------------------------------------------------ callbacks
    def _on_step(self, _button: Any) -> None:
        self.step()

    def _on_reset(self, _button: Any) -> None:
        self.reset()

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if not self._syncing:
            self.go_to(int(change["new"]))

    def _on_node(self, _change: Mapping[str, Any]) -> None:
        self._show_rows()

    # ------------------------------------------------------------------ rendering
    def _refresh(self) -> None:
        session = self.session
        snap = self._snapshot = session.snapshot()
        with self.widget.hold_sync():
            options = [(f"{name} ({snap.kind(name)})", name) for name in snap.node_names]
            if list(self.node_select.options) != options:
                chosen = self.node_select.value
                self.node_select.options = options
                names = snap.node_names
                self.node_select.value = chosen if chosen in names else (names[0] if names else None)
            self._syncing = True
            try:
                self.slider.value = session.position
            finally:
                self._syncing = False
            self.step_button.disabled = session.done
            self.status.value = _status(session)
            stores = snap.stores
            self.stores.value = "".join(html_table(df, f"store {n}", _ROWS) for n, df in stores.items())
            punctuations = snap.punctuations
            self.punctuations.value = html_table(punctuations, "punctuations", _ROWS) if len(punctuations) else ""
            self._show_rows()

    def _show_rows(self) -> None:
        snap, name = self._snapshot, self.node_select.value
        if snap is None or not name:
            self.rows.value = ""
            return
        if self.view.value == _RECEIVED:
            self.rows.value = html_table(snap.received(name), f"{name} received", _ROWS)
        else:
            self.rows.value = html_table(snap.node(name), f"{name} output", _ROWS)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _status(session: PreviewSession) -> str:
    if session.position == 0:
        return f"before the first of {session.total} records"
    topic, offset, record = session.inputs[session.position - 1]
    return (
        f"{session.position}/{session.total} records; last: {html.escape(topic)}@{offset} "
        f"key={html.escape(repr(record[0]))} t={record[2]}"
    )


def _picture(topology: Any) -> str:
    """The topology as inline SVG, or "" when the picture cannot be made here (no matplotlib, no draw module)."""
    try:
        from kstreams_nb.topology import draw

        svg = draw.to_svg(topology)
    except (ImportError, AttributeError):
        return ""
    except Exception as e:  # the explorer works without its picture; say why it is missing
        log.warning("the explorer shows no topology picture: drawing failed with %r", e)
        return ""
    # scaled down to the output's width (the SVG keeps its viewBox), never up
    return str(svg).replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)
