"""Interactive queries: one read-only view over a store of every local task (Kafka's Composite*Store).

Each call takes the owning stream thread's lock for each task it reads, so it never sees a store mid-update;
iterators are read completely under the lock (a snapshot). Timestamped stores are seen with plain values, as
Kafka's ``QueryableStoreTypes.keyValueStore()`` / ``windowStore()`` give them, unless ``timestamped=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from kstreams_nb.errors import InvalidStateStoreError
from kstreams_nb.state import ValueAndTimestamp

__all__ = ["CompositeReadOnlyKeyValueStore", "CompositeReadOnlyWindowStore", "StoreProvider"]

#: returns ``(lock, store)`` for every local instance of the store (raises when the client cannot be queried)
StoreProvider = Callable[[], list[tuple[AbstractContextManager[Any], Any]]]


class _Snapshot:
    """A fully read iterator of ``(key, value)`` pairs; closable and usable in ``with`` like store iterators."""

    def __init__(self, items: list[tuple[Any, Any]]) -> None:
        self._it = iter(items)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self._it

    def __next__(self) -> tuple[Any, Any]:
        return next(self._it)

    def close(self) -> None:
        """Nothing to release: the snapshot is already read."""

    def __enter__(self) -> _Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _Composite:
    def __init__(self, name: str, provider: StoreProvider, timestamped: bool) -> None:
        self.name = name
        self._provider = provider
        self._timestamped = timestamped

    def _value(self, value: Any) -> Any:
        if not self._timestamped and isinstance(value, ValueAndTimestamp):
            return value.value
        return value

    def _first(self, call: Callable[[Any], Any]) -> Any:
        for lock, store in self._provider():
            with lock:
                _check_open(store)
                found = call(store)
            if found is not None:
                return self._value(found)
        return None

    def _concat(self, call: Callable[[Any], Any]) -> _Snapshot:
        items: list[tuple[Any, Any]] = []
        for lock, store in self._provider():
            with lock:
                _check_open(store)
                with call(store) as it:
                    items.extend((k, self._value(v)) for k, v in it)
        return _Snapshot(items)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _check_open(store: Any) -> None:
    if not store.is_open():
        raise InvalidStateStoreError(
            f"State store {store.name} is not open: it may have migrated to another instance; query it again once "
            "the application is RUNNING"
        )


class CompositeReadOnlyKeyValueStore(_Composite):
    """A read-only key-value view over every local task's instance of a store.

    Iterators go store by store (each in key order), as Kafka's composite iterators do. Example:
    ``streams.store("counts").get("alice")``.
    """

    def get(self, key: Any) -> Any:
        """The value of ``key`` (None when absent)."""
        return self._first(lambda s: s.get(key))

    def range(self, key_from: Any = None, key_to: Any = None) -> _Snapshot:
        """``(key, value)`` pairs with ``key_from <= key <= key_to`` (None: open end)."""
        return self._concat(lambda s: s.range(key_from, key_to))

    def reverse_range(self, key_from: Any = None, key_to: Any = None) -> _Snapshot:
        """As :meth:`range`, each store's keys last first."""
        return self._concat(lambda s: s.reverse_range(key_from, key_to))

    def all(self) -> _Snapshot:
        """Every ``(key, value)`` pair."""
        return self._concat(lambda s: s.all())

    def reverse_all(self) -> _Snapshot:
        """Every pair, each store's keys last first."""
        return self._concat(lambda s: s.reverse_all())

    def prefix_scan(self, prefix: Any, prefix_key_serializer: Any = None) -> _Snapshot:
        """Pairs whose serialized key starts with the serialized ``prefix``."""
        return self._concat(lambda s: s.prefix_scan(prefix, prefix_key_serializer))

    def approximate_num_entries(self) -> int:
        """Roughly how many keys the local instances hold."""
        total = 0
        for lock, store in self._provider():
            with lock:
                total += int(store.approximate_num_entries())
        return total


class CompositeReadOnlyWindowStore(_Composite):
    """A read-only window view over every local task's instance of a window store.

    Example: ``streams.store("clicks-per-minute").fetch("alice", 60_000)``.
    """

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        """One window's value (``time_to`` None), or ``(window_start, value)`` pairs of windows in the range."""
        if time_to is None:
            return self._first(lambda s: s.fetch(key, time_from))
        return self._concat(lambda s: s.fetch(key, time_from, time_to))

    def fetch_all(self, time_from: int, time_to: int) -> _Snapshot:
        """``(Windowed, value)`` pairs of every window starting in the range."""
        return self._concat(lambda s: s.fetch_all(time_from, time_to))

    def all(self) -> _Snapshot:
        """Every ``(Windowed, value)`` pair."""
        return self._concat(lambda s: s.all())
