"""The recorder behind NotebookBuilder and NotebookTopology: builder calls kept as data, per cell, and replayed.

Every call is stored as (cell, target handle, method, args, kwargs), with option objects and callables as given.
A call's result, when it is a DSL object (a stream, table, grouped stream, split...), is represented by a
``Handle``: the n-th handle the cell made. Replaying the calls of every cell, in the order the cells first ran,
into a fresh builder rebuilds exactly what a top-to-bottom run builds, names included. When a cell runs again
its calls are dropped first, so a re-run replaces what the cell built; handles held by later cells name a
position in the cell (its n-th handle), so they keep working.

Each new call is also applied to a live replay of the calls before it (the cells before its own, then its own
calls so far), so a call that is wrong fails in the cell that made it. The live replay grows call by call
while cells run top to bottom, and is rebuilt when an earlier cell runs again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb.errors import TopologyError
from kstreams_nb.notebook import _cells
from kstreams_nb.notebook._handle import Call, Handle, Ref

__all__ = ["SCRIPT_CELL", "Handle", "Recorder"]

SCRIPT_CELL = "<script>"
_SCALARS = (str, bytes, int, float, bool, type(None))


@dataclass(eq=False)
class Cell:
    """A cell's recorded calls, from its latest run."""

    key: str
    source: str
    execution: str
    calls: list[Call] = field(default_factory=list)
    handles: int = 0


@dataclass(eq=False)
class _Replay:
    """A target builder with calls applied, and the object each handle stands for in it."""

    target: Any
    applied: list[Call] = field(default_factory=list)
    objects: dict[tuple[str, int], Any] = field(default_factory=dict)


class Recorder:
    """Cells of recorded calls on a builder made by ``fresh()``; ``facade`` stands for the builder in results."""

    def __init__(
        self, fresh: Callable[[], Any], facade: Any, nodes: Callable[[Any], tuple[list[str], list[str]]]
    ) -> None:
        self._fresh = fresh
        self._facade = facade
        self._nodes = nodes
        self._cells: dict[str, Cell] = {}
        self._explicit: list[tuple[str, str]] = []  # (name, execution) of the open ``with nb.cell(name)`` blocks
        self._runs = 0
        self._live: _Replay | None = None
        self._attribution: dict[str, tuple[list[str], list[str]]] | None = None
        self._lock = threading.RLock()
        _cells.on_cell_start(self._cell_started)

    # ---- cells
    @property
    def cells(self) -> dict[str, Cell]:
        """The cells in the order they first ran."""
        return self._cells

    @contextmanager
    def named_cell(self, name: str) -> Iterator[None]:
        """Calls inside the block belong to the cell ``name``; entering the block again replaces that cell."""
        if not isinstance(name, str) or not name:
            raise TopologyError(f"cell(): a cell name is a non-empty str, got {name!r}")
        with self._lock:
            self._runs += 1
            self._explicit.append((name, f"named:{self._runs}"))
            self._current()  # replaces the cell now, even if the block makes no call
        try:
            yield
        finally:
            with self._lock:
                self._explicit.pop()

    def _current(self) -> Cell:
        """The cell making a call now; starts its new run (dropping its old calls) if this is a re-run."""
        if self._explicit:
            key, execution = self._explicit[-1]
            info = _cells.current_cell()
            source = info.source if info is not None else ""
        else:
            info = _cells.current_cell()
            if info is None:
                key, execution, source = SCRIPT_CELL, SCRIPT_CELL, ""
            else:
                key, execution, source = info.key, info.execution, info.source
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = Cell(key, source, execution)
            self._changed()
        else:
            self._restart(cell, execution, source)
        return cell

    def _cell_started(self, info: _cells.CellInfo) -> None:
        """A notebook cell starts: what it built before is dropped now, even if its new code builds nothing."""
        with self._lock:
            cell = self._cells.get(info.key)
            if cell is not None:
                self._restart(cell, info.execution, info.source)

    def _restart(self, cell: Cell, execution: str, source: str) -> None:
        if cell.execution != execution:
            cell.calls, cell.handles, cell.execution, cell.source = [], 0, execution, source
            self._changed()

    def remove(self, key: str) -> None:
        """Forget a cell and what it built."""
        with self._lock:
            if key not in self._cells:
                known = ", ".join(repr(k) for k in self._cells) or "none"
                raise TopologyError(f"remove({key!r}): no such cell (cells: {known})")
            del self._cells[key]
            self._changed()

    def reset(self) -> None:
        """Forget every cell."""
        with self._lock:
            self._cells.clear()
            self._changed()

    def _changed(self) -> None:
        self._attribution = None

    # ---- recording
    def call(self, target: Handle | None, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Record ``target.method(*args, **kwargs)`` in the running cell, check it, and return its result."""
        with self._lock:
            cell = self._current()
            order = list(self._cells)
            for handle in _handles((target, args, kwargs)):
                self._check_usable(handle, cell, order)
            call = Call(cell.key, target._ref if target is not None else None, method, args, dict(kwargs))
            call.handle = cell.handles
            prefix = [c for key in order[: order.index(cell.key)] for c in self._cells[key].calls]
            replay = self._replay(prefix + cell.calls)
            try:
                result = self._apply(replay, call)
            except BaseException:
                self._live = None  # the failed call may have changed the live builder half-way
                raise
            replay.applied.append(call)
            if _is_handle_result(result, replay.target):
                cell.handles += 1
            else:
                replay.objects.pop((cell.key, cell.handles), None)
                call.handle = None
            cell.calls.append(call)
            self._changed()
            return self._wrap(result, call, cell, replay.target)

    def _check_usable(self, handle: Handle, cell: Cell, order: list[str]) -> None:
        if handle._recorder is not self:
            raise TopologyError(f"{handle!r} comes from another notebook builder; use handles of this one")
        ref = handle._ref
        if ref.cell not in self._cells:
            raise TopologyError(
                f"{handle!r} was made by cell {ref.cell!r}, which was removed or reset: run that cell again"
            )
        if ref.cell == cell.key and handle._execution != cell.execution:
            raise TopologyError(_stale(handle))
        if order.index(ref.cell) > order.index(cell.key):
            raise TopologyError(
                f"{handle!r} was made by cell {ref.cell!r}, which first ran after this cell {cell.key!r}; cells "
                "replay in the order they first ran, so move this code below that cell (or remove this cell with "
                "remove() and run it again)"
            )

    def _wrap(self, result: Any, call: Call, cell: Cell, target: Any) -> Any:
        if result is target:
            return self._facade
        if call.handle is None:
            return result
        ref = Ref(cell.key, call.handle)
        if isinstance(result, dict):
            return {
                k: Handle(self, Ref(ref.cell, ref.index, (k,)), cell.execution, type(v).__name__)
                if _is_handle_result(v, target) else v
                for k, v in result.items()
            }
        return Handle(self, ref, cell.execution, type(result).__name__)

    # ---- replay
    def _replay(self, calls: list[Call]) -> _Replay:
        """The live replay advanced to exactly ``calls`` (rebuilt from a fresh builder unless it is a prefix)."""
        live = self._live
        if live is None or live.applied != calls[: len(live.applied)]:
            live = self._live = _Replay(self._fresh())
        for call in calls[len(live.applied):]:
            self._apply_recorded(live, call)
        return live

    def _apply_recorded(self, replay: _Replay, call: Call) -> None:
        try:
            self._apply(replay, call)
        except Exception as exc:
            if replay is self._live:
                self._live = None
            raise TopologyError(
                f"cell {call.cell!r}: {call.describe()} failed on replay: {exc}. An earlier cell changed what it "
                f"builds: run cell {call.cell!r} again (or remove it with remove({call.cell!r}))"
            ) from exc
        replay.applied.append(call)

    def _apply(self, replay: _Replay, call: Call) -> Any:
        target = replay.target if call.target is None else self._object(replay, call.target)
        args = tuple(self._real(replay, a) for a in call.args)
        kwargs = {k: self._real(replay, v) for k, v in call.kwargs.items()}
        result = getattr(target, call.method)(*args, **kwargs)
        if call.handle is not None:
            replay.objects[(call.cell, call.handle)] = result
        return result

    def _object(self, replay: _Replay, ref: Ref) -> Any:
        try:
            obj = replay.objects[(ref.cell, ref.index)]
        except KeyError:
            made = self._cells[ref.cell].handles if ref.cell in self._cells else 0
            raise TopologyError(
                f"it uses handle #{ref.index} of cell {ref.cell!r}, which that cell no longer makes "
                f"(it makes {made} now)"
            ) from None
        for key in ref.path:
            obj = obj[key]
        return obj

    def _real(self, replay: _Replay, value: Any) -> Any:
        if isinstance(value, Handle):
            return self._object(replay, value._ref)
        if type(value) in (list, tuple):
            return type(value)(self._real(replay, v) for v in value)
        if type(value) is dict:
            return {k: self._real(replay, v) for k, v in value.items()}
        return value

    def all_calls(self) -> list[Call]:
        """Every recorded call, cell by cell in first-run order."""
        return [c for cell in self._cells.values() for c in cell.calls]

    def replay_fresh(self) -> Any:
        """A new builder with every recorded call applied (not shared with anything)."""
        with self._lock:
            replay = _Replay(self._fresh())
            for call in self.all_calls():
                self._apply_recorded(replay, call)
            return replay.target

    def resolve(self, handle: Handle) -> Any:
        """The object ``handle`` stands for in the replay of the cells."""
        with self._lock:
            cell = self._cells.get(handle._ref.cell)
            if cell is None:
                raise TopologyError(f"the cell {handle._ref.cell!r} that made this handle was removed or reset")
            if handle._ref.index >= cell.handles:
                raise TopologyError(_stale(handle))
            # a handle depends only on the calls before it: replay the cells up to its own
            order = list(self._cells)
            upto = order[: order.index(handle._ref.cell) + 1]
            calls = [c for key in upto for c in self._cells[key].calls]
            live = self._live
            if live is None or live.applied[: len(calls)] != calls:  # later calls never change an earlier object
                live = self._replay(calls)
            return self._object(live, handle._ref)

    def attribution(self) -> dict[str, tuple[list[str], list[str]]]:
        """Per cell: the (node names, store names) its calls added, in a replay of every cell."""
        with self._lock:
            if self._attribution is None:
                replay = _Replay(self._fresh())
                seen_nodes: set[str] = set()
                seen_stores: set[str] = set()
                result: dict[str, tuple[list[str], list[str]]] = {}
                for key, cell in self._cells.items():
                    for call in cell.calls:
                        self._apply_recorded(replay, call)
                    nodes, stores = self._nodes(replay.target)
                    result[key] = (
                        [n for n in nodes if n not in seen_nodes], [s for s in stores if s not in seen_stores]
                    )
                    seen_nodes.update(nodes)
                    seen_stores.update(stores)
                self._attribution = result
            return self._attribution


def _stale(handle: Handle) -> str:
    cell = handle._ref.cell
    return (
        f"{handle._label()} was made by an earlier run of cell {cell!r}. If "
        f"cell {cell!r} is re-using its own result (as in `s = s.filter(...)`, which would chain again on each run), "
        f"give the result a new name; otherwise run cell {cell!r} again, then the cells that use what it makes"
    )


def _is_handle_result(result: Any, target: Any) -> bool:
    return result is not target and not isinstance(result, _SCALARS)


def _handles(value: Any) -> Iterator[Handle]:
    """Every Handle in ``value`` (nested in tuples, lists and dicts)."""
    if isinstance(value, Handle):
        yield value
    elif type(value) in (list, tuple):
        for v in value:
            yield from _handles(v)
    elif type(value) is dict:
        for v in value.values():
            yield from _handles(v)
