"""Which notebook cell is running: ``current_cell()``.

A cell is identified, in order, by the ``cellId`` that JupyterLab and Notebook 7 put in the execute request's
metadata (IPython also hands it to ``pre_run_cell`` handlers as ``info.cell_id``), else by its source text (so an
unchanged cell re-run under nbclient, nbval or a terminal IPython keeps its identity). ``execution`` differs for
every execution of a cell, so callers can tell "the same run" from "a re-run". Outside IPython there is no cell.

IPython is never imported here: it is looked up only when it is already loaded.

Example::

    >>> current_cell() is None  # a plain script
    True
"""

from __future__ import annotations

import hashlib
import itertools
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CellInfo", "current_cell", "on_cell_start"]


@dataclass(frozen=True)
class CellInfo:
    """The running cell: ``key`` names it across re-runs, ``execution`` differs for each run.

    ``key`` is the frontend's cell id when there is one, else ``"source:"`` and a short hash of the source.

    Example::

        >>> CellInfo("3a27d988", "3a27d988", "x = 1", "run-1").key
        '3a27d988'
    """

    key: str
    cell_id: str | None
    source: str
    execution: str


def source_key(source: str) -> str:
    """The key of a cell known only by its source text: ``"source:"`` and 12 hex digits of its SHA-1."""
    return "source:" + hashlib.sha1(source.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class _RunWatcher:
    """``pre_run_cell``/``post_run_cell`` handlers: the ExecutionInfo of the cell running now, and a run number."""

    _numbers = itertools.count(1)

    def __init__(self) -> None:
        self.info: Any = None
        self.run = 0
        self.listeners: list[weakref.WeakMethod[Callable[[CellInfo], None]]] = []

    def pre(self, info: Any) -> None:
        self.info = info
        self.run = next(self._numbers)
        self.listeners = [ref for ref in self.listeners if ref() is not None]
        if self.listeners:
            cell = current_cell()
            for ref in list(self.listeners):
                listener = ref()
                if listener is not None and cell is not None:
                    listener(cell)

    def post(self, result: Any) -> None:
        self.info = None


_watchers: weakref.WeakKeyDictionary[Any, _RunWatcher] = weakref.WeakKeyDictionary()


def _watcher(shell: Any) -> _RunWatcher | None:
    """The shell's watcher, registered on first use (it sees the cells that start after that)."""
    try:
        watcher = _watchers.get(shell)
    except TypeError:  # a shell that cannot be weakly referenced: go without (parent message and history remain)
        return None
    if watcher is None:
        events = getattr(shell, "events", None)
        register = getattr(events, "register", None)
        if not callable(register):
            return None
        watcher = _RunWatcher()
        try:
            register("pre_run_cell", watcher.pre)
            register("post_run_cell", watcher.post)
        except (KeyError, TypeError, ValueError):  # a shell without these events
            return None
        _watchers[shell] = watcher
    return watcher


def _shell() -> Any:
    """The running IPython shell, or None; IPython is looked up only if something already imported it."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def _history_source(shell: Any) -> str | None:
    """The raw source of the cell IPython stored last (the running one: inputs are stored before they run)."""
    hist = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if hist:
        last = hist[-1]
        return last if isinstance(last, str) else None
    return None


def current_cell() -> CellInfo | None:
    """The cell running now, or ``None`` outside IPython (a script, a worker thread without a shell).

    Example::

        >>> info = current_cell()
        >>> info is None or info.key.startswith("source:") or info.cell_id == info.key
        True
    """
    shell = _shell()
    if shell is None:
        return None
    watcher = _watcher(shell)
    info = watcher.info if watcher is not None else None
    parent = getattr(shell, "parent_header", None)
    parent = parent if isinstance(parent, dict) else {}
    header = parent.get("header") or {}
    executing = header.get("msg_type") == "execute_request"
    cell_id = (parent.get("metadata") or {}).get("cellId") if executing else None
    if not cell_id and info is not None:
        cell_id = getattr(info, "cell_id", None)
    source: str | None = (parent.get("content") or {}).get("code") if executing else None
    if source is None and info is not None:
        source = getattr(info, "raw_cell", None)
    if source is None:
        source = _history_source(shell)
    if not cell_id and source is None:
        return None
    source = source or ""
    if executing and header.get("msg_id"):
        execution = f"msg:{header['msg_id']}"
    elif watcher is not None and info is not None:
        execution = f"run:{watcher.run}"
    else:
        execution = f"count:{getattr(shell, 'execution_count', 0)}"
    key = str(cell_id) if cell_id else source_key(source)
    return CellInfo(key, str(cell_id) if cell_id else None, source, execution)


def on_cell_start(listener: Callable[[CellInfo], None]) -> bool:
    """Call the bound method ``listener`` with each cell's ``CellInfo`` as the cell starts; False outside IPython.

    The method is held weakly: its object can be collected, and then it is no longer called. A cell that does
    nothing else is still seen, so a re-run that removed a cell's code can drop what that code built.

    Example: ``on_cell_start(builder._cell_started)``.
    """
    shell = _shell()
    watcher = _watcher(shell) if shell is not None else None
    if watcher is None:
        return False
    watcher.listeners.append(weakref.WeakMethod(listener))
    return True
