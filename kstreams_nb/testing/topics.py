"""TestInputTopic, TestOutputTopic and TestRecord of the TopologyTestDriver."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kstreams_nb._time import to_millis
from kstreams_nb.errors import EmptyTopicError, SerializationError
from kstreams_nb.records import EMPTY_HEADERS, Headers, as_headers

if TYPE_CHECKING:
    from kstreams_nb.testing.driver import TopologyTestDriver

__all__ = ["TestInputTopic", "TestOutputTopic", "TestRecord"]

_MISSING: Any = object()


@dataclass(frozen=True)
class TestRecord:
    """A record read from (or piped into) a test topic: key, value, timestamp, headers.

    Example::

        >>> TestRecord("k", 1, 10) == TestRecord("k", 1, 10, Headers())
        True
    """

    __test__ = False  # not a pytest test class

    key: Any
    value: Any
    timestamp: int | None = None
    headers: Headers = field(default=EMPTY_HEADERS)

    @property
    def record_time(self) -> int | None:
        """Kafka's ``getRecordTime()``: the timestamp."""
        return self.timestamp


class TestInputTopic:
    """Pipes records into one input topic of a TopologyTestDriver.

    Records piped without a timestamp get the topic's current time, which then moves by ``auto_advance_ms``.
    """

    __test__ = False

    def __init__(
        self, driver: TopologyTestDriver, name: str, key_serde: Any, value_serde: Any, start_ms: int, advance_ms: int
    ) -> None:
        if advance_ms < 0:
            raise ValueError(f"auto_advance_ms must not be negative, got {advance_ms}")
        self.name = name
        self._driver = driver
        self._key_serde = key_serde
        self._value_serde = value_serde
        self._current_time = start_ms
        self._advance = advance_ms

    def advance_time(self, advance: int | timedelta) -> None:
        """Move this topic's current time forward."""
        ms = to_millis(advance, "advance")
        if ms < 0:
            raise ValueError(f"advance must not be negative, got {ms}")
        self._current_time += ms

    def _timestamp(self, timestamp: int | None) -> int:
        if type(timestamp) is int:
            return timestamp
        if timestamp is not None:
            return to_millis(timestamp, "timestamp")
        ts = self._current_time
        self._current_time += self._advance
        return ts

    def pipe_input(self, key: Any, value: Any = _MISSING, timestamp: int | None = None, headers: Any = None) -> None:
        """Pipe one record; ``pipe_input(value)`` pipes a value with a null key."""
        if value is _MISSING:
            if isinstance(key, TestRecord):
                rec = key
                key, value, headers = rec.key, rec.value, rec.headers
                timestamp = rec.timestamp
            else:
                key, value = None, key
        ts = self._timestamp(timestamp)
        try:
            kb = self._key_serde.serialize(self.name, key)
            vb = self._value_serde.serialize(self.name, value)
        except SerializationError:
            raise
        except Exception as e:
            raise SerializationError(f"cannot serialize a record for input topic {self.name!r}: {e}",
                                     topic=self.name) from e
        self._driver._pipe(self.name, ts, kb, vb, EMPTY_HEADERS if headers is None else as_headers(headers))

    def pipe_record(self, record: TestRecord) -> None:
        """Pipe a TestRecord (its timestamp, or the topic's current time when None)."""
        self.pipe_input(record.key, record.value, record.timestamp, record.headers)

    def pipe_value_list(self, values: Iterable[Any]) -> None:
        """Pipe values with null keys, each at the topic's current time."""
        self._pipe_list((None, v, None, None) for v in values)

    def pipe_key_value_list(self, pairs: Iterable[tuple[Any, Any]]) -> None:
        """Pipe ``(key, value)`` pairs, each at the topic's current time."""
        self._pipe_list((k, v, None, None) for k, v in pairs)

    def pipe_record_list(self, records: Iterable[TestRecord]) -> None:
        """Pipe TestRecords in order (each at its timestamp, or the topic's current time when it has none).

        The result is what piping them one by one gives; without state stores the driver processes them as a
        batch, which is several times faster for long lists."""
        self._pipe_list((r.key, r.value, r.timestamp, r.headers) for r in records)

    def _pipe_list(self, items: Iterable[tuple[Any, Any, int | None, Any]]) -> None:
        """Pipe ``(key, value, timestamp or None, headers or None)`` items as :meth:`pipe_input` would one by one:
        a record that cannot be serialized is raised once the ones before it are piped; when piping one fails,
        the ones after it are not piped and the topic's time is as it was after the failing one."""
        records: list[tuple[int, bytes | None, bytes | None, Headers]] = []
        times: list[int] = []  # the topic's current time after each record
        ks, vs, name = self._key_serde.serialize, self._value_serde.serialize, self.name
        failure: Exception | None = None
        for key, value, timestamp, headers in items:
            ts = self._timestamp(timestamp)
            try:
                kb, vb = ks(name, key), vs(name, value)
            except SerializationError as e:
                failure = e
                break
            except Exception as e:
                failure = SerializationError(f"cannot serialize a record for input topic {name!r}: {e}", topic=name)
                failure.__cause__ = e
                break
            records.append((ts, kb, vb, EMPTY_HEADERS if headers is None else as_headers(headers)))
            times.append(self._current_time)
        try:
            self._driver._pipe_many(name, records)
        except BaseException:
            self._current_time = times[len(records) - self._driver._not_piped - 1]
            raise
        if failure is not None:
            raise failure

    def __repr__(self) -> str:
        return f"TestInputTopic(name={self.name!r}, current_time={self._current_time})"


class TestOutputTopic:
    """Reads, in order, what the topology wrote to one topic."""

    __test__ = False

    def __init__(self, driver: TopologyTestDriver, name: str, key_serde: Any, value_serde: Any) -> None:
        self.name = name
        self._driver = driver
        self._key_serde = key_serde
        self._value_serde = value_serde

    def read_record(self) -> TestRecord:
        """The next record; raises EmptyTopicError when there is none."""
        queue = self._driver._read(self.name)
        if not queue:
            raise EmptyTopicError(f"Empty topic: {self.name}")
        raw = queue.popleft()
        return TestRecord(
            self._key_serde.deserialize(self.name, raw.key),
            self._value_serde.deserialize(self.name, raw.value),
            raw.timestamp,
            raw.headers,
        )

    def read_value(self) -> Any:
        """The next record's value."""
        return self.read_record().value

    def read_key_value(self) -> tuple[Any, Any]:
        """The next record as a ``(key, value)`` tuple."""
        r = self.read_record()
        return (r.key, r.value)

    def read_records_to_list(self) -> list[TestRecord]:
        """Every remaining record."""
        out = []
        while not self.is_empty():
            out.append(self.read_record())
        return out

    def read_values_to_list(self) -> list[Any]:
        """Every remaining value."""
        return [r.value for r in self.read_records_to_list()]

    def read_key_values_to_list(self) -> list[tuple[Any, Any]]:
        """Every remaining record as ``(key, value)``."""
        return [(r.key, r.value) for r in self.read_records_to_list()]

    def read_key_values_to_map(self) -> dict[Any, Any]:
        """The last value per key of every remaining record (None values kept; null keys are an error)."""
        out: dict[Any, Any] = {}
        for r in self.read_records_to_list():
            if r.key is None:
                raise ValueError("Null keys not allowed with read_key_values_to_map")
            out[r.key] = r.value
        return out

    def get_queue_size(self) -> int:
        """How many records are waiting to be read."""
        return len(self._driver._read(self.name))

    def is_empty(self) -> bool:
        """True when nothing is waiting to be read."""
        return not self._driver._read(self.name)

    def __repr__(self) -> str:
        return f"TestOutputTopic(name={self.name!r}, size={self.get_queue_size()})"
