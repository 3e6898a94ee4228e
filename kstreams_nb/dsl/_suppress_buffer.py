"""The suppression buffer store (Kafka's ``InMemoryTimeOrderedKeyValueChangeBuffer``).

Entries are keyed by the serialized table key and ordered by (buffer time, key bytes). Re-buffering a key keeps
its place and its *prior* value (the old value of its first update) and replaces the rest. ``buffer_size`` is
Kafka's estimate: 8 + key bytes + prior/old/new value bytes (the old value only when it is not the prior one)
+ the record context (timestamp, offset, topic, partition, headers).

Each entry keeps the record context of its latest update (timestamp, headers, topic, partition, offset: Kafka's
``ProcessorRecordContext``); eviction hands it back with the record, so what is emitted carries its own context.

With logging on, dirty keys are written to ``<application.id>-<store>-changelog`` on ``flush()`` in Kafka's v3
format with its ``v`` header (see ``_suppress_changelog``); evicted keys get tombstones. The changelog records are
stamped with the buffered record's timestamp (Kafka leaves it to the producer's clock; restoring ignores it).

Example::

    >>> b = SuppressionBufferBuilder("buf", None, None).with_logging_disabled()
    >>> b.name, b.logging_enabled, type(b.build()).__name__
    ('buf', False, 'InMemorySuppressionBuffer')
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.dsl._suppress_changelog import (
    CHANGELOG_HEADERS,
    check_changelog_version,
    decode_buffer_value,
    encode_buffer_value,
)
from kstreams_nb.dsl.table import Change
from kstreams_nb.dsl.windows import TimeWindowedSerde
from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import Headers, Record, RecordMetadata
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import StateStore, StateStoreContext, StoreBuilder, changelog_topic_name

__all__ = ["EvictionCallback", "InMemorySuppressionBuffer", "SuppressionBufferBuilder"]

#: called with each evicted record and the metadata (topic, partition, offset) of its input record, None when it
#: had none (Kafka's ``Eviction``: the record and its ``ProcessorRecordContext``)
EvictionCallback = Callable[[Record, "RecordMetadata | None"], None]

_NO_MIN = 2**63 - 1


def _java_length(text: str) -> int:
    """``String.toCharArray().length``: UTF-16 code units, what Kafka's size estimate counts."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


class _Entry:
    __slots__ = ("key_bytes", "new", "offset", "old", "old_is_prior", "partition", "prior", "record", "size", "time",
                 "topic")

    def __init__(self, time: int, key_bytes: bytes) -> None:
        self.time = time
        self.key_bytes = key_bytes
        self.record: Record | None = None
        self.prior: bytes | None = None
        self.old: bytes | None = None
        self.new: bytes | None = None
        self.old_is_prior = False
        self.topic: str | None = None
        self.partition = -1
        self.offset = -1
        self.size = 0

    def compute_size(self) -> int:
        size = 8 + len(self.key_bytes)
        size += len(self.prior) if self.prior is not None else 0
        size += 0 if self.old is None or self.old_is_prior else len(self.old)
        size += len(self.new) if self.new is not None else 0
        size += 8 + 8 + 4 + (_java_length(self.topic) if self.topic is not None else 0)  # ProcessorRecordContext
        assert self.record is not None
        for hkey, hvalue in self.record.headers:
            size += _java_length(hkey) + (len(hvalue) if hvalue is not None else 0)
        self.size = size
        return size

    @property
    def metadata(self) -> RecordMetadata | None:
        return None if self.topic is None else RecordMetadata(self.topic, self.partition, self.offset)


class InMemorySuppressionBuffer:
    """A time-ordered buffer of the latest ``Change`` per key (what KTABLE-SUPPRESS holds back).

    ``windowed_key_size_ms`` says the keys are time-windowed (of that window size): a key serde left to the
    application's default then wraps the default in a :class:`TimeWindowedSerde`, so restored keys are ``Windowed``
    again (the default serde alone cannot read a Windowed key back).

    Example::

        >>> buffer = InMemorySuppressionBuffer("buf", Serdes.string(), Serdes.long(), logging_enabled=False)
        >>> buffer.num_records, buffer.min_timestamp == 2**63 - 1
        (0, True)
    """

    def __init__(
        self, name: str, key_serde: Any, value_serde: Any, logging_enabled: bool,
        windowed_key_size_ms: int | None = None,
    ) -> None:
        self._name = name
        self._windowed_key_size_ms = windowed_key_size_ms
        self._key_serde = key_serde
        self._value_serde = value_serde
        self._logging = logging_enabled
        self._index: dict[bytes, _Entry] = {}
        self._heap: list[tuple[int, bytes]] = []
        self._size = 0
        self._dirty: set[bytes] = set()
        self._open = False
        self._context: StateStoreContext | None = None
        self._topic = name

    # ---- StateStore
    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def persistent(self) -> bool:
        """False: the buffer lives in memory (and in its changelog)."""
        return False

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Resolve default serdes and register with the engine."""
        self._context = context
        if self._key_serde is None:
            default = context.key_serde or Serdes.json()
            size = self._windowed_key_size_ms
            self._key_serde = default if size is None else TimeWindowedSerde(default, size)
        self._value_serde = self._value_serde or context.value_serde or Serdes.json()
        self._topic = changelog_topic_name(context.application_id, self._name)
        self._open = True
        context.register(root, self.restore_batch, logged=self._logging)

    def flush(self) -> None:
        """Write the changes since the last flush to the changelog."""
        context = self._context
        if not self._logging or context is None or not self._dirty:
            return
        for key_bytes in sorted(self._dirty):
            entry = self._index.get(key_bytes)
            if entry is None:
                context.log_change(self._name, key_bytes, None, None)
            else:
                assert entry.record is not None
                record = entry.record
                value = encode_buffer_value(
                    record.timestamp, entry.offset, entry.topic, entry.partition, record.headers,
                    entry.prior, entry.old, entry.new, entry.time,
                )
                context.log_change(self._name, key_bytes, value, record.timestamp, CHANGELOG_HEADERS)
        self._dirty.clear()

    def close(self) -> None:
        """Forget everything."""
        self._open = False
        self._index.clear()
        self._heap.clear()
        self._dirty.clear()
        self._size = 0

    def is_open(self) -> bool:
        """Whether the store is initialised and not closed."""
        return self._open

    # ---- the buffer
    @property
    def num_records(self) -> int:
        """How many keys are buffered."""
        return len(self._index)

    @property
    def buffer_size(self) -> int:
        """Kafka's estimate of the buffer's size in bytes."""
        return self._size

    @property
    def min_timestamp(self) -> int:
        """The smallest buffer time (2**63 - 1 when empty)."""
        return self._heap[0][0] if self._heap else _NO_MIN

    def put(self, time: int, record: Record, topic: str | None, partition: int, offset: int) -> None:
        """Buffer ``record`` (its value a Change) at ``time``; a buffered key keeps its time and prior value."""
        if not self._open:
            raise StateStoreError(f"suppression buffer {self._name} is not open")
        change: Change = record.value
        if change is None:
            raise StateStoreError("a suppression buffer takes Change values, got None")
        key_bytes = self._key_serde.serialize(self._topic, record.key)
        if key_bytes is None:
            raise StateStoreError(f"the key serde of {self._name} serialized {record.key!r} to null")
        entry = self._index.get(key_bytes)
        old = self._value_serde.serialize(self._topic, change.old)
        if entry is None:
            entry = _Entry(time, key_bytes)
            entry.prior = old
            self._index[key_bytes] = entry
            heapq.heappush(self._heap, (time, key_bytes))
        else:
            self._size -= entry.size
        # Kafka's BufferValue de-duplicates the prior and old values by content (Arrays.equals), not by reference:
        # an old value equal to the prior one is not counted twice in the size estimate
        entry.old_is_prior = old == entry.prior
        entry.old = old
        entry.new = self._value_serde.serialize(self._topic, change.new)
        entry.record = record
        entry.topic, entry.partition, entry.offset = topic, partition, offset
        self._size += entry.compute_size()
        if self._logging:
            self._dirty.add(key_bytes)

    def evict_while(self, predicate: Callable[[], bool], callback: EvictionCallback) -> None:
        """While ``predicate()``: hand the oldest entry's record and its input metadata to ``callback`` and remove
        it."""
        heap, index = self._heap, self._index
        while heap and predicate():
            _, key_bytes = heap[0]
            entry = index[key_bytes]
            assert entry.record is not None
            callback(entry.record, entry.metadata)
            heapq.heappop(heap)
            del index[key_bytes]
            self._size -= entry.size
            if self._logging:
                self._dirty.add(key_bytes)

    def prior_value_for_buffered(self, key: Any) -> tuple[bool, Any]:
        """``(True, prior value)`` when ``key`` is buffered (the value downstream last saw), else ``(False, None)``."""
        entry = self._index.get(self._key_serde.serialize(self._topic, key))
        if entry is None:
            return False, None
        return True, self._value_serde.deserialize(self._topic, entry.prior)

    # ---- changelog
    def restore_batch(self, records: Sequence[tuple[Any, ...]]) -> None:
        """Rebuild entries from changelog records ``(key, value[, timestamp[, headers]])``; a None value removes
        the key. With headers, a value must carry Kafka's version header ``v`` = 3."""
        for rec in records:
            key_bytes, value = bytes(rec[0]), rec[1]
            old_entry = self._index.pop(key_bytes, None)
            if old_entry is not None:
                self._size -= old_entry.size
            if value is not None:
                if len(rec) > 3 and rec[3] is not None:
                    check_changelog_version(self._name, Headers(rec[3]))
                entry = self._decode(key_bytes, bytes(value))
                self._index[key_bytes] = entry
                self._size += entry.compute_size()
        self._heap = sorted((e.time, k) for k, e in self._index.items())

    def _decode(self, key_bytes: bytes, data: bytes) -> _Entry:
        value = decode_buffer_value(data)
        entry = _Entry(value.time, key_bytes)
        entry.prior, entry.old, entry.new, entry.old_is_prior = value.prior, value.old, value.new, value.old_is_prior
        entry.topic, entry.partition, entry.offset = value.topic, value.partition, value.offset
        vs, topic = self._value_serde, self._topic
        change = Change(vs.deserialize(topic, value.new), vs.deserialize(topic, value.old))
        key = self._key_serde.deserialize(topic, key_bytes)
        entry.record = Record(key, change, value.timestamp, value.headers)
        return entry

    def __repr__(self) -> str:
        return f"InMemorySuppressionBuffer({self._name!r}, records={len(self._index)}, bytes={self._size})"


class SuppressionBufferBuilder(StoreBuilder):
    """Builds :class:`InMemorySuppressionBuffer` (Kafka's ``InMemoryTimeOrderedKeyValueChangeBuffer.Builder``);
    None serdes come from the application's defaults.

    Example::

        >>> SuppressionBufferBuilder("KTABLE-SUPPRESS-STATE-STORE-0000000004", None, None).logging_enabled
        True
    """

    __slots__ = ("key_serde", "value_serde", "windowed_key_size_ms")

    def __init__(
        self, name: str, key_serde: Any, value_serde: Any, windowed_key_size_ms: int | None = None
    ) -> None:
        super().__init__(name)
        self.key_serde = key_serde
        self.value_serde = value_serde
        #: the window size when the buffered keys are time-windowed (see InMemorySuppressionBuffer)
        self.windowed_key_size_ms = windowed_key_size_ms

    def build(self) -> InMemorySuppressionBuffer:
        """A new, empty buffer."""
        return InMemorySuppressionBuffer(
            self.name, self.key_serde, self.value_serde, self.logging_enabled, self.windowed_key_size_ms
        )
