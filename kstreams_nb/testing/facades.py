"""Plain-value views of timestamped stores for the test driver (Kafka's KeyValueStoreFacade / WindowStoreFacade).

``get_key_value_store`` and ``get_window_store`` give these for timestamped stores (every DSL store), so tests
read plain values; ``get_timestamped_key_value_store`` / ``get_timestamped_window_store`` give the stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kstreams_nb.state import ValueAndTimestamp

__all__ = ["KeyValueStoreFacade", "WindowStoreFacade"]

#: Kafka's ConsumerRecord.NO_TIMESTAMP, used for values written through a facade
NO_TIMESTAMP = -1


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, ValueAndTimestamp) else value


class _PlainIterator:
    """Iterates ``(key, value)`` of an iterator of ``(key, ValueAndTimestamp)``; closable like the original."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self

    def __next__(self) -> tuple[Any, Any]:
        key, value = next(self._inner)
        return key, _plain(value)

    def close(self) -> None:
        """Release the underlying iterator."""
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> _PlainIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Facade:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name: str = inner.name

    def __getattr__(self, name: str) -> Any:  # everything else (flush, approximate_num_entries, ...) as is
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} over {self._inner!r}>"


class KeyValueStoreFacade(_Facade):
    """A timestamped key-value store seen with plain values.

    Example: ``driver.get_key_value_store("counts").get("a") == 2``.
    """

    def get(self, key: Any) -> Any:
        """The value of ``key`` (None when absent)."""
        return _plain(self._inner.get(key))

    def put(self, key: Any, value: Any) -> None:
        """Write a plain value (its timestamp is Kafka's NO_TIMESTAMP, -1)."""
        self._inner.put(key, ValueAndTimestamp.make(value, NO_TIMESTAMP))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        """Write unless present; returns the previous plain value."""
        return _plain(self._inner.put_if_absent(key, ValueAndTimestamp.make(value, NO_TIMESTAMP)))

    def delete(self, key: Any) -> Any:
        """Remove ``key``; returns its previous plain value."""
        return _plain(self._inner.delete(key))

    def range(self, key_from: Any = None, key_to: Any = None) -> _PlainIterator:
        """``(key, value)`` pairs from ``key_from`` to ``key_to`` (inclusive)."""
        return _PlainIterator(self._inner.range(key_from, key_to))

    def reverse_range(self, key_from: Any = None, key_to: Any = None) -> _PlainIterator:
        """As :meth:`range`, last key first."""
        return _PlainIterator(self._inner.reverse_range(key_from, key_to))

    def all(self) -> _PlainIterator:
        """Every ``(key, value)`` pair in key order."""
        return _PlainIterator(self._inner.all())

    def reverse_all(self) -> _PlainIterator:
        """Every pair, last key first."""
        return _PlainIterator(self._inner.reverse_all())


class WindowStoreFacade(_Facade):
    """A timestamped window store seen with plain values.

    Example: ``driver.get_window_store("counts").fetch("k", 10) == 2``.
    """

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        """The plain value of one window, or ``(window_start, value)`` pairs of a time range."""
        if time_to is None:
            return _plain(self._inner.fetch(key, time_from))
        return _PlainIterator(self._inner.fetch(key, time_from, time_to))

    def put(self, key: Any, value: Any, window_start: int) -> None:
        """Write a plain value into the window starting at ``window_start``."""
        self._inner.put(key, ValueAndTimestamp.make(value, NO_TIMESTAMP), window_start)

    def fetch_all(self, time_from: int, time_to: int) -> _PlainIterator:
        """``(Windowed, value)`` pairs of every window starting in the range."""
        return _PlainIterator(self._inner.fetch_all(time_from, time_to))

    def all(self) -> _PlainIterator:
        """Every ``(Windowed, value)`` pair."""
        return _PlainIterator(self._inner.all())
