"""Recorded builder calls and the handles that stand for their results (see ``_record``).

A ``Call`` is (cell, target handle, method, args, kwargs), option objects and callables kept as given. A
``Handle`` names the n-th DSL object (stream, table, grouped stream, split...) a cell made; calling a method on
it records a call, and reading any other attribute reads the object it stands for in the latest replay.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kstreams_nb.notebook._record import Recorder

__all__ = ["Call", "Handle", "Ref"]

_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40


@dataclass(frozen=True)
class Ref:
    """The ``index``-th handle made by the current run of cell ``cell``; ``path`` indexes into a dict result."""

    cell: str
    index: int
    path: tuple[Any, ...] = ()


@dataclass(eq=False)
class Call:
    """One recorded builder call; ``target`` None is the builder itself."""

    cell: str
    target: Ref | None
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    handle: int | None = None  # the index of the handle made by this call, if its result is one

    def describe(self) -> str:
        """``method(arg, ...)`` with short reprs (functions by name), for messages."""
        parts = [_arg_repr(a) for a in self.args] + [f"{k}={_arg_repr(v)}" for k, v in self.kwargs.items()]
        return f"{self.method}({', '.join(parts)})"


def _arg_repr(value: Any) -> str:
    if isinstance(value, Handle):
        return value._label()  # not repr(): that replays, and this may run while a replay fails
    if callable(value) and hasattr(value, "__qualname__"):
        return f"<{getattr(value, '__qualname__', '?')}>"
    return _short.repr(value)


class Handle:
    """A stream, table, grouped stream... made by a notebook builder's cell: calls on it are recorded.

    Attributes that are not methods (``name``, ``key_serde``...) are read from the latest replay of every cell.

    Example::

        >>> from kstreams_nb.notebook import NotebookBuilder
        >>> nb = NotebookBuilder()
        >>> nb.stream("in").filter(lambda k, v: v).name
        'KSTREAM-FILTER-0000000001'
    """

    __slots__ = ("_execution", "_kind", "_recorder", "_ref")

    def __init__(self, recorder: Recorder, ref: Ref, execution: str, kind: str) -> None:
        self._recorder = recorder
        self._ref = ref
        self._execution = execution
        self._kind = kind

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        real = self._recorder.resolve(self)
        if callable(getattr(type(real), name, None)):
            return _Method(self, name)
        return getattr(real, name)

    def __dir__(self) -> list[str]:
        return sorted(n for n in dir(self._recorder.resolve(self)) if not n.startswith("_"))

    def _label(self, name: str | None = None) -> str:
        where = name if isinstance(name, str) else f"#{self._ref.index}"
        return f"<{self._kind} {where} from cell {self._ref.cell!r}>"

    def __repr__(self) -> str:
        try:
            name = getattr(self._recorder.resolve(self), "name", None)
        except Exception:  # a repr must not fail; the position names the handle instead
            name = None
        return self._label(name)


class _Method:
    """A bound method of a handle: calling it records the call."""

    __slots__ = ("_handle", "_name")

    def __init__(self, handle: Handle, name: str) -> None:
        self._handle = handle
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._handle._recorder.call(self._handle, self._name, args, kwargs)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return getattr(getattr(self._handle._recorder.resolve(self._handle), self._name, None), "__doc__", None)

    def __repr__(self) -> str:
        return f"<recorded method {self._name} of {self._handle!r}>"
