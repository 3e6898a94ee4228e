"""Built-in stateless processors of the DSL (filter, map, flat_map, peek, print, branch, ...).

Each class is a Processor; the DSL passes a zero-argument supplier (``functools.partial``) to the topology.
The one-record-in, at-most-one-out ones describe their step with ``fusion()`` (``(kind, function)``), so a task
can run a chain of them as one callable (see ``kstreams_nb._engine.fusion``); a subclass that overrides
``process`` describes none.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

__all__ = [
    "Branch",
    "Filter",
    "FlatMap",
    "FlatMapValues",
    "FlatMapValuesWithKey",
    "Foreach",
    "KeySelect",
    "Map",
    "MapValues",
    "MapValuesWithKey",
    "NotNullKeyFilter",
    "PassThrough",
    "Peek",
    "Print",
    "value_mapper",
]


def _step(processor: Processor, cls: type[Processor], kind: str, fn: Any) -> tuple[str, Any] | None:
    """``(kind, fn)`` unless ``processor``'s class overrides ``cls.process``."""
    return (kind, fn) if type(processor).process is cls.process else None


def value_mapper(fn: Callable[..., Any], with_key: bool) -> Callable[[Any, Any], Any]:
    """A ValueMapper as ``(key, value) -> new_value`` whether or not it takes the key."""
    if with_key:
        return fn
    return lambda _key, value: fn(value)


class Filter(Processor):
    """Forward records for which ``predicate(key, value)`` is true (false with ``negate``)."""

    def __init__(self, predicate: Callable[[Any, Any], Any], negate: bool = False) -> None:
        self.predicate = predicate
        self.negate = negate

    def process(self, record: Record) -> None:
        if bool(self.predicate(record.key, record.value)) is not self.negate:
            self.context.forward(record)

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, Filter, "filter_not" if self.negate else "filter", self.predicate)


class NotNullKeyFilter(Processor):
    """Drops records with a null key (in front of every repartition topic)."""

    def process(self, record: Record) -> None:
        if record.key is not None:
            self.context.forward(record)

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, NotNullKeyFilter, "not_null_key", None)


class Map(Processor):
    """``mapper(key, value) -> (new_key, new_value)``."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        pair = self.mapper(record.key, record.value)
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"map's mapper must return a (key, value) tuple, got {pair!r}")
        self.context.forward(Record._unchecked(pair[0], pair[1], record.timestamp, record.headers))

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, Map, "map", self.mapper)


class MapValues(Processor):
    """``mapper(value) -> new_value``; the key stays (a ValueMapper is called directly: no per-record wrapper)."""

    def __init__(self, mapper: Callable[[Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(self.mapper(record.value)))

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, MapValues, "map_values", self.mapper)


class MapValuesWithKey(Processor):
    """``mapper(key, value) -> new_value``; the key stays."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(self.mapper(record.key, record.value)))

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, MapValuesWithKey, "map_values_with_key", self.mapper)


class KeySelect(Processor):
    """``selector(key, value) -> new_key``; the value stays."""

    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector

    def process(self, record: Record) -> None:
        self.context.forward(record.with_key(self.selector(record.key, record.value)))

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, KeySelect, "select_key", self.selector)


class FlatMap(Processor):
    """``mapper(key, value) -> iterable of (key, value)``."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        ts, headers = record.timestamp, record.headers
        for pair in self.mapper(record.key, record.value):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TypeError(f"flat_map's mapper must yield (key, value) tuples, got {pair!r}")
            self.context.forward(Record._unchecked(pair[0], pair[1], ts, headers))


def _values(result: Any) -> Any:
    """A flat_map_values mapper's result; a str or bytes is refused (iterating it would split it per character)."""
    if isinstance(result, (str, bytes)):
        raise TypeError(
            f"flat_map_values' mapper must return an iterable of values (e.g. a list), not {type(result).__name__} "
            f"{result!r:.40}"
        )
    return result


class FlatMapValues(Processor):
    """``mapper(value) -> iterable of values``; each keeps the key."""

    def __init__(self, mapper: Callable[[Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        forward = self.context.forward
        for value in _values(self.mapper(record.value)):
            forward(record.with_value(value))


class FlatMapValuesWithKey(Processor):
    """``mapper(key, value) -> iterable of values``; each keeps the key."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        forward = self.context.forward
        for value in _values(self.mapper(record.key, record.value)):
            forward(record.with_value(value))


class Peek(Processor):
    """Calls ``action(key, value)`` and forwards the record unchanged."""

    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record.key, record.value)
        self.context.forward(record)

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, Peek, "peek", self.action)


class Foreach(Processor):
    """Calls ``action(key, value)``; a terminal node."""

    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record.key, record.value)


class Print(Processor):
    """Prints ``[label]: key, value`` (or ``mapper(key, value)``) per record, like Kafka's KStreamPrint."""

    def __init__(self, label: str, mapper: Callable[[Any, Any], str] | None, file_path: str | None) -> None:
        self.label = label
        self.mapper = mapper
        self.file_path = file_path
        self._out: TextIO | None = None

    def init(self, context: Any) -> None:
        super().init(context)
        self._out = open(self.file_path, "a", encoding="utf-8") if self.file_path else None

    def process(self, record: Record) -> None:
        text = self.mapper(record.key, record.value) if self.mapper else f"{record.key}, {record.value}"
        out = self._out or sys.stdout
        out.write(f"[{self.label}]: {text}\n")
        out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


class PassThrough(Processor):
    """Forwards every record (merge, branch children)."""

    def process(self, record: Record) -> None:
        self.context.forward(record)

    def fusion(self) -> tuple[str, Any] | None:
        """The step this processor runs (for chain fusion)."""
        return _step(self, PassThrough, "pass", None)


class Branch(Processor):
    """Sends each record to the child of the FIRST matching predicate, else to the default child (if any)."""

    def __init__(self, predicates: Sequence[Callable[[Any, Any], Any]], children: Sequence[str]) -> None:
        # the lists are filled while the DSL adds branches; read them at process time
        self.predicates = predicates
        self.children = children

    def process(self, record: Record) -> None:
        key, value = record.key, record.value
        for i, predicate in enumerate(self.predicates):
            if predicate(key, value):
                self.context.forward(record, self.children[i])
                return
        if len(self.children) > len(self.predicates):
            self.context.forward(record, self.children[-1])
