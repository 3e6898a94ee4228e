"""The Processor API: write your own stream processors.

A processor receives each record with ``process(record)``, may keep state in connected state stores,
forwards zero or more records to its children with ``context.forward(record, child_name=None)``, and may
``schedule`` punctuations that fire on stream time or wall-clock time.

Example::

    >>> class Upper(Processor):
    ...     def process(self, record):
    ...         self.context.forward(record.with_value(record.value.upper()))
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from kstreams_nb.records import Headers, Record, RecordMetadata, TaskId

__all__ = [
    "Cancellable",
    "FixedKeyProcessor",
    "FixedKeyRecord",
    "Processor",
    "ProcessorContext",
    "ProcessorSupplier",
    "PunctuationType",
    "Punctuator",
    "RecordContext",
    "StreamPartitioner",
    "TimestampExtractor",
    "TopicNameExtractor",
    "extractor_name",
]


class PunctuationType(enum.Enum):
    """When a scheduled punctuation fires.

    STREAM_TIME: aligned to 0, fires when the task's stream time reaches the next slot (driven by data).
    WALL_CLOCK_TIME: first at now + interval, fires when the system time reaches the next slot.
    """

    STREAM_TIME = "STREAM_TIME"
    WALL_CLOCK_TIME = "WALL_CLOCK_TIME"


Punctuator = Callable[[int], None]
"""A punctuation callback: receives the current stream or system time in epoch ms."""


@runtime_checkable
class Cancellable(Protocol):
    """Handle returned by ``schedule``; ``cancel()`` stops further punctuations."""

    def cancel(self) -> None: ...


class RecordContext(Protocol):
    """What a TopicNameExtractor sees of the record being routed."""

    @property
    def topic(self) -> str | None: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def headers(self) -> Headers: ...


class ProcessorContext(Protocol):
    """What a processor can do and see (implemented by the engine).

    Attributes: ``application_id``, ``task_id``, ``record_metadata`` (None during punctuation),
    ``current_stream_time_ms``, ``current_system_time_ms``, ``app_configs``.
    """

    @property
    def application_id(self) -> str: ...
    @property
    def task_id(self) -> TaskId: ...
    @property
    def record_metadata(self) -> RecordMetadata | None: ...
    @property
    def current_stream_time_ms(self) -> int: ...
    @property
    def current_system_time_ms(self) -> int: ...
    @property
    def app_configs(self) -> Mapping[str, Any]: ...

    def forward(self, record: Record, child_name: str | None = None) -> None: ...

    def schedule(
        self, interval: int | timedelta, punctuation_type: PunctuationType, callback: Punctuator
    ) -> Cancellable: ...

    def get_state_store(self, name: str) -> Any: ...

    def commit(self) -> None: ...


class Processor:
    """Base class for a processor. Override ``process``; ``init`` keeps the context as ``self.context``.

    Example::

        >>> class Passthrough(Processor):
        ...     def process(self, record):
        ...         self.context.forward(record)
    """

    context: ProcessorContext

    def init(self, context: ProcessorContext) -> None:
        """Called once before any record; the default keeps ``context`` as ``self.context``."""
        self.context = context

    def process(self, record: Record) -> None:
        """Handle one record."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement process(record)")

    def close(self) -> None:
        """Called once when the task closes; release resources here."""


class FixedKeyRecord(Record):
    """A record whose key a FixedKeyProcessor cannot change (no ``with_key``)."""

    __slots__ = ()

    def with_key(self, key: Any) -> Record:
        """Not allowed: a FixedKeyProcessor keeps keys as they are."""
        raise TypeError("a FixedKeyRecord's key cannot be changed; use a Processor to change keys")

    @classmethod
    def of(cls, record: Record) -> FixedKeyRecord:
        """Wrap a record (its fields are shared, not copied)."""
        return tuple.__new__(cls, record)


class FixedKeyProcessor(Processor):
    """A processor that never changes keys (DSL ``process_values``); it receives FixedKeyRecords."""


ProcessorSupplier = Callable[[], Processor]
"""A zero-argument callable returning a NEW processor each call (a Processor subclass qualifies)."""

TopicNameExtractor = Callable[[Any, Any, RecordContext], str]
"""``(key, value, record_context) -> topic`` picks a sink topic per record."""

StreamPartitioner = Callable[[str, Any, Any, int], "int | None"]
"""``(topic, key, value, num_partitions) -> partition`` (None: use the default partitioner)."""


class TimestampExtractor(Protocol):
    """Picks a record's timestamp: ``extract(record, partition_time) -> epoch ms``."""

    def extract(self, record: Any, partition_time: int) -> int: ...


def extractor_name(extractor: object) -> str:
    """A deterministic display name for an extractor (its qualified name; never a memory address)."""
    target = extractor if isinstance(extractor, type) or callable(extractor) else type(extractor)
    if not hasattr(target, "__qualname__"):
        target = type(extractor)
    module = getattr(target, "__module__", None)
    qual = getattr(target, "__qualname__", type(extractor).__qualname__)
    return f"{module}.{qual}" if module and module != "builtins" else str(qual)
