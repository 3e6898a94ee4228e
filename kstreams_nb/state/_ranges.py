"""The range queries every key-value and window store answers the same way, over the store's own ``_range``.

A store class lists the mixin first among its bases and implements ``_range``; the mixins hold no state
(``__slots__ = ()``).

Example::

    >>> from kstreams_nb.state.memory import InMemoryKeyValueStore
    >>> issubclass(InMemoryKeyValueStore, KeyRangeQueries)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kstreams_nb.records import Windowed
from kstreams_nb.state._api import RestoreRecord
from kstreams_nb.state._iterators import KeyValueIterator
from kstreams_nb.state.window_schema import extract_store_key_bytes, extract_store_timestamp

__all__ = ["KeyRangeQueries", "WindowRangeQueries"]


class KeyRangeQueries:
    """``range``, ``reverse_range``, ``all`` and ``reverse_all`` of a key-value store."""

    __slots__ = ()

    def _range(self, key_from: bytes | None, key_to: bytes | None, reverse: bool) -> KeyValueIterator[bytes, bytes]:
        raise NotImplementedError

    def range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Pairs with ``key_from <= key <= key_to`` in key order; a None bound is open. ``from > to`` is empty."""
        return self._range(key_from, key_to, False)

    def reverse_range(self, key_from: bytes | None, key_to: bytes | None) -> KeyValueIterator[bytes, bytes]:
        """Like ``range`` in descending key order."""
        return self._range(key_from, key_to, True)

    def all(self) -> KeyValueIterator[bytes, bytes]:
        """Every pair in key order."""
        return self._range(None, None, False)

    def reverse_all(self) -> KeyValueIterator[bytes, bytes]:
        """Every pair in descending key order."""
        return self._range(None, None, True)


class WindowRangeQueries:
    """What window stores share: ``fetch_range``, ``backward_fetch_range``, ``fetch_all``, ``backward_fetch_all``,
    the size/retention/duplicates/stream-time attributes, and applying changelog records through ``put``."""

    __slots__ = ()
    _window_size: int
    _retention: int
    _dups: bool
    _observed: int

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        raise NotImplementedError

    @property
    def window_size(self) -> int:
        """Window size (ms)."""
        return self._window_size

    @property
    def retention_period(self) -> int:
        """Retention (ms)."""
        return self._retention

    @property
    def retain_duplicates(self) -> bool:
        """Whether every put is kept (stream-stream join stores)."""
        return self._dups

    @property
    def observed_stream_time(self) -> int:
        """The largest window start put so far (-1 before the first)."""
        return self._observed

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        """Apply changelog records keyed by ``key + window start + seqnum`` (see window_schema)."""
        for record in records:
            binary_key = record[0]
            self.put(extract_store_key_bytes(binary_key), record[1], extract_store_timestamp(binary_key))


    def _range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int, backward: bool
    ) -> KeyValueIterator[Windowed[Any], bytes]:
        raise NotImplementedError

    def fetch_range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """``(Windowed(key, window), value)`` for keys in ``[key_from, key_to]`` (None = open) and window starts in
        ``[time_from, time_to]``; by window start, then key bytes."""
        return self._range(key_from, key_to, time_from, time_to, False)

    def backward_fetch_range(
        self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int
    ) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Like ``fetch_range`` in reverse order."""
        return self._range(key_from, key_to, time_from, time_to, True)

    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Every key with a window start in ``[time_from, time_to]``."""
        return self._range(None, None, time_from, time_to, False)

    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[bytes], bytes]:
        """Like ``fetch_all`` in reverse order."""
        return self._range(None, None, time_from, time_to, True)
