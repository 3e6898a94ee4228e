"""Iterators over stores: Python iterators of ``(key, value)`` pairs that are also Kafka ``KeyValueIterator``\\ s
(``close()``, ``peek_next_key()``, ``has_next()``, usable as context managers).

Example::

    >>> it = ListKeyValueIterator("s", [(b"a", b"1"), (b"b", b"2")])
    >>> it.peek_next_key(), list(it)
    (b'a', [(b'a', b'1'), (b'b', b'2')])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

from kstreams_nb.errors import InvalidStateStoreError, StateStoreError

__all__ = ["KeyValueIterator", "ListKeyValueIterator", "MappedKeyValueIterator", "SnapshotKeyIterator"]

K = TypeVar("K")
V = TypeVar("V")
K2 = TypeVar("K2")
V2 = TypeVar("V2")


class KeyValueIterator(Generic[K, V]):
    """Base of every store iterator: iterate it (``for key, value in it``) or use Kafka's methods.

    Subclasses implement ``_next_item()`` (the next pair, or None when exhausted). After ``close()`` the
    iterator raises :class:`InvalidStateStoreError` naming the store.

    Example::

        >>> with ListKeyValueIterator("s", [(1, "a")]) as it:
        ...     it.has_next(), next(it), it.has_next()
        (True, (1, 'a'), False)
    """

    __slots__ = ("__weakref__", "_closed", "_peeked", "store_name")

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self._peeked: tuple[K, V] | None = None
        self._closed = False

    def _next_item(self) -> tuple[K, V] | None:
        raise NotImplementedError

    def __iter__(self) -> KeyValueIterator[K, V]:
        return self

    def _recheck(self, item: tuple[K, V]) -> tuple[K, V] | None:
        """Re-validate a pair taken ahead by ``has_next``/``peek_next_key`` (None: it is gone)."""
        return item

    def __next__(self) -> tuple[K, V]:
        item = self._peeked
        if item is not None:
            self._peeked = None
            item = self._recheck(item)
            if item is not None:
                return item
        if self._closed:
            raise InvalidStateStoreError(f"Iterator for store {self.store_name} has already been closed.")
        item = self._next_item()
        if item is None:
            raise StopIteration
        return item

    def has_next(self) -> bool:
        """True when another pair follows (Kafka's ``hasNext``)."""
        if self._closed:
            raise InvalidStateStoreError(f"Iterator for store {self.store_name} has already been closed.")
        item = self._peeked
        if item is not None:
            item = self._recheck(item)
        if item is None:
            item = self._next_item()
        self._peeked = item
        return item is not None

    def peek_next_key(self) -> K:
        """The key of the next pair without consuming it (Kafka's ``peekNextKey``)."""
        if not self.has_next():
            raise StateStoreError(f"no next key: the iterator over store {self.store_name} is exhausted")
        assert self._peeked is not None
        return self._peeked[0]

    def close(self) -> None:
        """Release the iterator; further use raises InvalidStateStoreError."""
        self._closed = True
        self._peeked = None

    def __enter__(self) -> KeyValueIterator[K, V]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class ListKeyValueIterator(KeyValueIterator[K, V]):
    """An iterator over a list of pairs taken beforehand (a full snapshot).

    Example::

        >>> list(ListKeyValueIterator("s", [(1, 2)]))
        [(1, 2)]
    """

    __slots__ = ("_it",)

    def __init__(self, store_name: str, items: Iterable[tuple[K, V]]) -> None:
        super().__init__(store_name)
        self._it: Iterator[tuple[K, V]] = iter(items)

    def _next_item(self) -> tuple[K, V] | None:
        return next(self._it, None)


class SnapshotKeyIterator(KeyValueIterator[bytes, bytes]):
    """Kafka's in-memory iterator semantics: the KEYS are a snapshot taken when the iterator was created; each
    value is read when its pair is produced, so a key deleted meanwhile is skipped and an updated key yields its
    latest value. Keys added meanwhile are not seen. Writes to the store never break the iteration.

    Example::

        >>> data = {b"a": b"1", b"b": b"2"}
        >>> it = SnapshotKeyIterator("s", [b"a", b"b"], data, False)
        >>> del data[b"a"]; list(it)
        [(b'b', b'2')]
    """

    __slots__ = ("_data", "_keys")

    def __init__(self, store_name: str, keys: list[bytes], data: Mapping[bytes, bytes], reverse: bool) -> None:
        super().__init__(store_name)
        self._keys: Iterator[bytes] = reversed(keys) if reverse else iter(keys)
        self._data = data

    def _recheck(self, item: tuple[bytes, bytes]) -> tuple[bytes, bytes] | None:
        value = self._data.get(item[0])
        return None if value is None else (item[0], value)

    def _next_item(self) -> tuple[bytes, bytes] | None:
        get = self._data.get
        for key in self._keys:
            value = get(key)
            if value is not None:
                return key, value
        return None


class MappedKeyValueIterator(KeyValueIterator[K2, V2]):
    """Wraps an inner iterator, turning each of its pairs with ``fn`` (the metered layer's deserialization).

    Example::

        >>> inner = ListKeyValueIterator("s", [(b"1", b"x")])
        >>> list(MappedKeyValueIterator(inner, lambda k, v: (int(k), v.decode())))
        [(1, 'x')]
    """

    __slots__ = ("_fn", "_inner")

    def __init__(self, inner: KeyValueIterator[Any, Any], fn: Callable[[Any, Any], tuple[K2, V2]]) -> None:
        super().__init__(inner.store_name)
        self._inner = inner
        self._fn = fn

    def _next_item(self) -> tuple[K2, V2] | None:
        item = next(self._inner, None)
        if item is None:
            return None
        return self._fn(item[0], item[1])

    # Look-ahead stays in the inner iterator, so what it re-validates (deletes, a closed store) shows here too.
    def __next__(self) -> tuple[K2, V2]:
        if self._closed:
            raise InvalidStateStoreError(f"Iterator for store {self.store_name} has already been closed.")
        item = next(self._inner)
        return self._fn(item[0], item[1])

    def has_next(self) -> bool:
        """True when another pair follows."""
        if self._closed:
            raise InvalidStateStoreError(f"Iterator for store {self.store_name} has already been closed.")
        return self._inner.has_next()

    def peek_next_key(self) -> K2:
        """The (deserialized) key of the next pair, without consuming it."""
        if not self.has_next():
            raise StateStoreError(f"no next key: the iterator over store {self.store_name} is exhausted")
        peeked = self._inner._peeked
        assert peeked is not None
        return self._fn(peeked[0], peeked[1])[0]

    def close(self) -> None:
        """Close this iterator and the inner one."""
        super().close()
        self._inner.close()


EMPTY: tuple[()] = ()


def empty_iterator(store_name: str) -> ListKeyValueIterator[Any, Any]:
    """An iterator with nothing in it.

    Example::

        >>> empty_iterator("s").has_next()
        False
    """
    return ListKeyValueIterator(store_name, EMPTY)
