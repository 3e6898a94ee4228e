"""The live panel (ipywidgets 8): state, records/s per task and node, committed offsets and lag per partition,
restore progress bars and recent errors of a running KafkaStreams or Job, refreshed about once a second.

Threading: a sampler thread takes a :class:`~kstreams_nb.jobs._snapshot.JobSnapshot` every ``interval`` seconds
and puts it on a queue; it never touches a widget. The widgets are updated only on the thread that created the
panel: in a kernel, the sampler asks the kernel's event loop (the running loop when the panel was made) to drain
the queue (``loop.call_soon_threadsafe``), so the panel moves while no cell runs; without a running loop (plain
Python, tests) :meth:`LivePanel.refresh` drains it. Sampling stops when the source is done (NOT_RUNNING, ERROR,
or a job STOPPED / FAILED / DEAD), after the final state was shown, and on :meth:`LivePanel.close`.

The parts carry CSS classes (``kstreams-panel``, ``kstreams-panel-title``, ``kstreams-panel-state``,
``kstreams-panel-updated``, ``kstreams-panel-rates``, ``kstreams-panel-partitions``, ``kstreams-panel-restore``,
``kstreams-panel-errors``) so a browser test can find them.

Example (in a notebook cell)::

    from kstreams_nb.jobs import panel
    panel(streams)          # or job.panel()
"""

from __future__ import annotations

import asyncio
import html
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.errors import JobError
from kstreams_nb.jobs._snapshot import JobSnapshot, snapshot_of
from kstreams_nb.streams import KafkaStreams

__all__ = ["LivePanel", "panel"]

log = logging.getLogger(__name__)

_GREEN, _AMBER, _RED, _GREY = "#2e7d32", "#b26a00", "#c62828", "#555"
_COLOURS = {
    "RUNNING": _GREEN, "CREATED": _AMBER, "STARTING": _AMBER, "REBALANCING": _AMBER, "PENDING_SHUTDOWN": _GREY,
    "STOPPING": _GREY, "NOT_RUNNING": _GREY, "STOPPED": _GREY, "PENDING_ERROR": _RED, "ERROR": _RED,
    "FAILED": _RED, "DEAD": _RED,
}
_ERROR_LINES = 10
_JOIN_TIMEOUT = 5.0


def panel(source: Any, *, interval: float = 1.0) -> LivePanel:
    """A live panel of ``source``: a KafkaStreams, or anything with ``snapshot() -> JobSnapshot`` and a ``name``
    (a Job). It samples every ``interval`` seconds until the source is done or the panel is closed.

    Example: ``p = panel(streams); ...; p.last.state`` → ``'RUNNING'``; ``p.close()``.
    """
    return LivePanel(source, interval=interval)


def _source_of(source: Any) -> tuple[str, Callable[[], JobSnapshot]]:
    """The panel's title and the callable taking a snapshot of ``source``."""
    if isinstance(source, KafkaStreams):
        return f"application {source.config.application_id}", lambda: snapshot_of(source)
    take = getattr(source, "snapshot", None)
    if not callable(take):
        raise JobError(
            f"a live panel needs a KafkaStreams or an object with a snapshot() method (a Job), got {source!r}"
        )
    return str(getattr(source, "name", None) or type(source).__name__), take


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running on this thread (the kernel's, in a notebook cell), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _sample(
    take: Callable[[], JobSnapshot], out: queue.Queue[JobSnapshot | Exception], stop: threading.Event,
    interval: float, notify: weakref.WeakMethod[Callable[[], bool]],
) -> None:
    """The sampler thread: a snapshot (or the error taking it) on ``out`` every ``interval`` s, each followed by
    ``notify()``; ends when the source is done, ``stop`` is set, the panel is gone or its loop closed."""
    while not stop.is_set():
        try:
            item: JobSnapshot | Exception = take()
        except Exception as e:  # shown in the panel; the next sample may succeed
            log.debug("live panel: taking a snapshot failed", exc_info=True)
            item = e
        out.put(item)
        wake = notify()
        if wake is None or not wake():
            return
        del wake
        if isinstance(item, JobSnapshot) and item.done:
            return
        stop.wait(interval)


class LivePanel:
    """The live panel's widgets and sampler; see the module docstring. ``widget`` is what a cell displays,
    ``last`` the last JobSnapshot shown (None before the first), ``sampling`` whether the sampler still runs.

    Example: ``p = LivePanel(job, interval=0.5); p.refresh(timeout=2); p.last.records_per_s_by_task``.
    """

    def __init__(self, source: Any, *, interval: float = 1.0) -> None:
        import ipywidgets as w

        if not interval > 0:
            raise JobError(f"interval must be a positive number of seconds, got {interval!r}")
        self.name, take = _source_of(source)
        self.interval = float(interval)
        self.last: JobSnapshot | None = None
        self.sample_error: str | None = None
        self._owner = threading.get_ident()
        self._loop = _running_loop()
        self._queue: queue.Queue[JobSnapshot | Exception] = queue.Queue()
        self._stop = threading.Event()
        self._bars: dict[str, Any] = {}

        def part(widget: Any, css: str) -> Any:
            widget.add_class(css)
            return widget

        self.title = part(w.HTML(f"<b>{html.escape(self.name)}</b>"), "kstreams-panel-title")
        self.state_label = part(w.HTML(_state_html("…")), "kstreams-panel-state")
        self.updated = part(w.HTML(), "kstreams-panel-updated")
        self.rates = part(w.HTML(), "kstreams-panel-rates")
        self.partitions = part(w.HTML(), "kstreams-panel-partitions")
        self.restore = part(w.VBox([]), "kstreams-panel-restore")
        self.errors = part(w.HTML(), "kstreams-panel-errors")
        gap = w.Layout(grid_gap="2em")
        self.widget = part(w.VBox([
            w.HBox([self.title, self.state_label, self.updated], layout=gap),
            w.HBox([self.rates, self.partitions], layout=gap),
            self.restore,
            self.errors,
        ]), "kstreams-panel")
        self._thread = threading.Thread(
            target=_sample, args=(take, self._queue, self._stop, self.interval, weakref.WeakMethod(self._notify)),
            name=f"kstreams-panel-{self.name}", daemon=True,
        )
        self._thread.start()

    # ------------------------------------------------------------------ control
    @property
    def sampling(self) -> bool:
        """True while the sampler thread runs (not yet done, not closed)."""
        return self._thread.is_alive()

    def refresh(self, timeout: float = 0.0) -> JobSnapshot | None:
        """Show the newest sample now, waiting up to ``timeout`` seconds for one when none is queued; returns
        ``last``. Call it from the thread that created the panel (in a kernel the panel refreshes by itself).

        Example: ``p.refresh(timeout=2).state`` → ``'RUNNING'``.
        """
        if threading.get_ident() != self._owner:
            raise JobError("refresh() updates widgets: call it from the thread that created the panel")
        first: list[JobSnapshot | Exception] = []
        if timeout > 0 and self._queue.empty():
            try:
                first.append(self._queue.get(timeout=timeout))
            except queue.Empty:
                pass
        self._drain(first)
        return self.last

    def close(self) -> None:
        """Stop sampling (the widgets keep showing the last sample). Idempotent."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(_JOIN_TIMEOUT)
        if threading.get_ident() == self._owner:
            self._drain()

    # ------------------------------------------------------------------ sampler -> owner thread
    def _notify(self) -> bool:
        """Called on the sampler thread after each sample: ask the owner's event loop to drain the queue. False
        when that loop is closed (the kernel is going away): sampling ends."""
        loop = self._loop
        if loop is None:
            return True  # no loop: refresh() drains
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed
            return False
        return True

    def _drain(self, taken: Sequence[JobSnapshot | Exception] = ()) -> None:
        """On the owner thread: apply the newest snapshot queued (after ``taken``, already dequeued), and the error
        of a later failed sample."""
        latest: JobSnapshot | None = None
        failure: Exception | None = None
        items = list(taken)
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, JobSnapshot):
                latest, failure = item, None
            else:
                failure = item
        if latest is None and failure is None:
            return
        with self.widget.hold_sync():
            if latest is not None:
                self._apply(latest)
            self.sample_error = None if failure is None else f"{type(failure).__name__}: {failure}"
            self._show_errors()

    def _apply(self, snap: JobSnapshot) -> None:
        """Show ``snap`` (on the owner thread only)."""
        self.last = snap
        self.state_label.value = _state_html(snap.state)
        stopped = " · final" if snap.done else ""
        at = time.strftime("%H:%M:%S", time.localtime(snap.taken_at))
        self.updated.value = f"<span style='color:{_GREY}'>at {at}{stopped}</span>"
        tasks = sorted({t for ids in snap.tasks.values() for t in ids} | set(snap.records_per_s_by_task))
        by_node = snap.records_per_s_by_node
        rates = _table("records/s per task", ("task", "records/s"),
                       [(t, f"{snap.records_per_s_by_task.get(t, 0.0):,.1f}") for t in tasks])
        if by_node:
            rates += _table("records/s per node", ("node", "records/s"),
                            [(n, f"{r:,.1f}") for n, r in sorted(by_node.items())])
        elif tasks:
            rates += (f"<p style='color:{_GREY}'>records/s per node: set metrics.recording.level=DEBUG to record "
                      f"them</p>")
        self.rates.value = rates
        partitions = sorted(set(snap.lag) | set(snap.committed), key=_partition_order)
        self.partitions.value = _table(
            "partitions", ("partition", "committed", "lag"),
            [(p, _number(snap.committed.get(p)), _number(snap.lag.get(p))) for p in partitions],
        )
        self._show_restore(snap)

    def _show_restore(self, snap: JobSnapshot) -> None:
        import ipywidgets as w

        for task, (restored, total) in snap.restoring.items():
            bar = self._bars.get(task)
            if bar is None:
                bar = self._bars[task] = w.IntProgress(min=0, description=task, bar_style="info")
            bar.max = max(total, 1)
            bar.value = min(restored, bar.max)
            bar.bar_style = "info"
            bar.description = f"{task}"
            bar.tooltip = f"{restored:,} of {total:,} changelog records restored"
        for task, bar in self._bars.items():  # finished restoring: full, green
            if task not in snap.restoring and bar.bar_style != "success":
                bar.value = bar.max
                bar.bar_style = "success"
                bar.tooltip = "restored"
        children = tuple(self._bars[t] for t in sorted(self._bars))
        if tuple(self.restore.children) != children:
            self.restore.children = children

    def _show_errors(self) -> None:
        lines: Sequence[str] = self.last.errors[-_ERROR_LINES:] if self.last is not None else ()
        if self.sample_error is not None:
            lines = [*lines, f"the panel could not take a sample: {self.sample_error}"]
        self.errors.value = (
            f"<pre style='white-space: pre-wrap; color: {_RED}'>{html.escape(chr(10).join(lines))}</pre>"
            if lines else ""
        )

    # ------------------------------------------------------------------ display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        state = self.last.state if self.last is not None else "no sample yet"
        return f"<LivePanel {self.name!r} state={state} sampling={self.sampling}>"


def _state_html(state: str) -> str:
    colour = _COLOURS.get(state, _GREY)
    return f"<span style='color:{colour}; font-weight:bold'>{html.escape(state)}</span>"


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _partition_order(name: str) -> tuple[str, int]:
    topic, _, partition = name.rpartition("-")
    return (topic, int(partition)) if partition.isdigit() else (name, -1)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A small HTML table with a caption (a line saying so when there are no rows)."""
    if not rows:
        return f"<p style='color:{_GREY}'>{html.escape(title)}: none</p>"
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    caption = f"<caption style='text-align:left'><b>{html.escape(title)}</b></caption>"
    return f"<table>{caption}<tr>{head}</tr>{body}</table>"
