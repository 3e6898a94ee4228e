"""Value objects that flow through a topology: Record, Headers, TopicPartition, TaskId, RecordMetadata, Window,
Windowed.

Example::

    >>> r = Record("k", 1, 10)
    >>> r.with_value(2)
    Record(key='k', value=2, timestamp=10, headers=Headers())
    >>> str(Windowed("k", Window(0, 2)))
    '[k@0/2]'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

__all__ = [
    "ConsumerRecord",
    "Headers",
    "Record",
    "RecordMetadata",
    "TaskId",
    "TopicPartition",
    "Window",
    "Windowed",
]

K = TypeVar("K")


class Headers:
    """An immutable, ordered list of ``(key, value)`` record headers; keys are str, values bytes or None.

    Example::

        >>> h = Headers([("a", b"1")]).add("b", b"2")
        >>> h.last_header("b"), list(h)
        (b'2', [('a', b'1'), ('b', b'2')])
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, bytes | None]] | None = None) -> None:
        self._items: tuple[tuple[str, bytes | None], ...] = tuple(items) if items else ()

    def add(self, key: str, value: bytes | None) -> Headers:
        """Return new headers with ``(key, value)`` appended."""
        return Headers((*self._items, (key, value)))

    def remove(self, key: str) -> Headers:
        """Return new headers without any header named ``key``."""
        return Headers(kv for kv in self._items if kv[0] != key)

    def last_header(self, key: str) -> bytes | None:
        """The value of the last header named ``key`` (None when absent)."""
        for k, v in reversed(self._items):
            if k == key:
                return v
        return None

    def headers(self, key: str) -> list[bytes | None]:
        """Every value of headers named ``key``, in order."""
        return [v for k, v in self._items if k == key]

    def to_list(self) -> list[tuple[str, bytes | None]]:
        """The headers as a list of pairs (what clients take)."""
        return list(self._items)

    def __iter__(self) -> Iterator[tuple[str, bytes | None]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})" if self._items else "Headers()"


EMPTY_HEADERS = Headers()


def as_headers(headers: Headers | Iterable[tuple[str, bytes | None]] | dict[str, bytes] | None) -> Headers:
    """Coerce ``None``, a list of pairs or a dict into :class:`Headers`."""
    if headers is None:
        return EMPTY_HEADERS
    if isinstance(headers, Headers):
        return headers
    if isinstance(headers, dict):
        return Headers(headers.items())
    return Headers(headers)


class Record(tuple):  # type: ignore[type-arg]
    """An immutable record: ``key``, ``value``, ``timestamp`` (epoch ms, never negative) and ``headers``.

    A tuple underneath (cheap to create on the hot path); compare records with ``==`` as usual.

    Example::

        >>> Record("k", "v", 5).with_timestamp(7).timestamp
        7
    """

    __slots__ = ()

    key: Any = property(itemgetter(0), doc="The key.")
    value: Any = property(itemgetter(1), doc="The value.")
    timestamp: int = property(itemgetter(2), doc="Epoch milliseconds.")  # type: ignore[assignment]
    headers: Headers = property(itemgetter(3), doc="The headers.")  # type: ignore[assignment]

    def __new__(cls, key: Any, value: Any, timestamp: int, headers: Any = None) -> Record:
        if timestamp < 0:
            raise ValueError(f"Record timestamp must not be negative, got {timestamp}")
        return tuple.__new__(cls, (key, value, timestamp, headers if type(headers) is Headers else as_headers(headers)))

    @classmethod
    def _unchecked(cls, key: Any, value: Any, timestamp: int, headers: Headers) -> Record:
        return tuple.__new__(cls, (key, value, timestamp, headers))

    def with_key(self, key: Any) -> Record:
        """A copy with a new key."""
        return tuple.__new__(Record, (key, self[1], self[2], self[3]))

    def with_value(self, value: Any) -> Record:
        """A copy with a new value."""
        return tuple.__new__(type(self), (self[0], value, self[2], self[3]))

    def with_timestamp(self, timestamp: int) -> Record:
        """A copy with a new timestamp (must not be negative)."""
        if timestamp < 0:
            raise ValueError(f"Record timestamp must not be negative, got {timestamp}")
        return tuple.__new__(type(self), (self[0], self[1], timestamp, self[3]))

    def with_headers(self, headers: Any) -> Record:
        """A copy with new headers."""
        return tuple.__new__(type(self), (self[0], self[1], self[2], as_headers(headers)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return tuple.__eq__(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Record):
            return tuple.__ne__(self, other)
        return NotImplemented

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return (
            f"Record(key={self[0]!r}, value={self[1]!r}, timestamp={self[2]}, "
            f"headers={self[3]!r})"
        )


class TopicPartition(NamedTuple):
    """A topic and a partition index (a named tuple: hashing and equality run at C speed on the hot path)."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True, slots=True, order=True)
class TaskId:
    """A task: sub-topology id × partition; ``str()`` is Kafka's ``<subtopology>_<partition>``.

    Example::

        >>> str(TaskId(0, 1))
        '0_1'
    """

    subtopology: int
    partition: int

    def __str__(self) -> str:
        return f"{self.subtopology}_{self.partition}"

    @classmethod
    def parse(cls, text: str) -> TaskId:
        """Parse ``"0_1"`` back into a TaskId."""
        a, _, b = text.partition("_")
        return cls(int(a), int(b))


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where the record being processed came from."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A time window ``[start, end)`` in epoch ms (session windows are inclusive at both ends)."""

    start: int
    end: int

    @property
    def start_time(self) -> int:
        """Alias of ``start`` (Kafka's ``startTime()`` is an Instant)."""
        return self.start

    @property
    def end_time(self) -> int:
        """Alias of ``end``."""
        return self.end

    def overlap(self, other: Window) -> bool:
        """True when the two half-open windows share any instant."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Windowed(Generic[K]):
    """A key together with its window; ``str()`` is Kafka's ``[key@start/end]``."""

    key: K
    window: Window

    def __str__(self) -> str:
        return f"[{self.key}@{self.window.start}/{self.window.end}]"


class ConsumerRecord(tuple):  # type: ignore[type-arg]
    """A raw record as read from a topic partition: bytes key and value, with its position.

    A tuple underneath (cheap to create: brokers and tasks make one per record).

    Example::

        >>> ConsumerRecord("t", 0, 5, 100, b"k", b"v").offset
        5
    """

    __slots__ = ()

    topic: str = property(itemgetter(0), doc="The topic.")  # type: ignore[assignment]
    partition: int = property(itemgetter(1), doc="The partition.")  # type: ignore[assignment]
    offset: int = property(itemgetter(2), doc="The offset in the partition.")  # type: ignore[assignment]
    timestamp: int = property(itemgetter(3), doc="Epoch milliseconds.")  # type: ignore[assignment]
    key: bytes | None = property(itemgetter(4), doc="The key bytes.")  # type: ignore[assignment]
    value: bytes | None = property(itemgetter(5), doc="The value bytes.")  # type: ignore[assignment]
    headers: Headers = property(itemgetter(6), doc="The headers.")  # type: ignore[assignment]

    def __new__(
        cls,
        topic: str,
        partition: int,
        offset: int,
        timestamp: int,
        key: bytes | None,
        value: bytes | None,
        headers: Headers | None = None,
    ) -> ConsumerRecord:
        return tuple.__new__(cls, (topic, partition, offset, timestamp, key, value,
                                   EMPTY_HEADERS if headers is None else headers))

    def __repr__(self) -> str:
        return (
            f"ConsumerRecord(topic={self[0]!r}, partition={self[1]}, offset={self[2]}, "
            f"timestamp={self[3]}, key={self[4]!r}, value={self[5]!r})"
        )
