"""What a task commits with each input partition's offset: Kafka's TopicPartitionMetadata, byte for byte.

The offset metadata string is base64 of a magic byte (2), the partition time (8 bytes, big-endian, signed) and
the task's :class:`ProcessorMetadata` (Kafka's ``ProcessorMetadata.serialize``: a 4-byte entry count, then per
entry a 4-byte key length, the UTF-8 key and an 8-byte value; nothing at all when empty). Version 1 (magic byte
1, partition time only) is read too. Processors keep values there that must survive a restart, such as the
last window close time a windowed aggregation with ``EmitStrategy.on_window_close()`` emitted; a new task
merges the metadata of its partitions, keeping each key's largest value.

Example::

    >>> md = ProcessorMetadata()
    >>> md.put("store", 90)
    >>> encoded = encode_partition_metadata(100, md.serialize())
    >>> encoded
    'AgAAAAAAAABkAAAAAQAAAAVzdG9yZQAAAAAAAABa'
    >>> time, restored = decode_partition_metadata(encoded)
    >>> time, restored.get("store"), restored == md
    (100, 90, True)
"""

from __future__ import annotations

import base64
import binascii
import logging
import struct
from collections.abc import Iterable, Iterator, Mapping

from kstreams_nb.records import TopicPartition

__all__ = [
    "UNKNOWN_TIME",
    "ProcessorMetadata",
    "commit_metadata",
    "decode_partition_metadata",
    "encode_partition_metadata",
    "read_commit_metadata",
]

log = logging.getLogger(__name__)

#: Kafka's RecordQueue.UNKNOWN: no partition time yet
UNKNOWN_TIME = -1
_LATEST_MAGIC = 2
_TIME = struct.Struct(">bq")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")


class ProcessorMetadata:
    """Kafka's ProcessorMetadata: string keys to 64-bit integers, committed with a task's offsets.

    Example::

        >>> a, b = ProcessorMetadata({"x": 5, "y": 1}), ProcessorMetadata({"x": 3, "z": 2})
        >>> a.update(b)
        >>> dict(a.items())
        {'x': 5, 'y': 1, 'z': 2}
        >>> ProcessorMetadata.deserialize(a.serialize()) == a
        True
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, int] | None = None) -> None:
        self._values: dict[str, int] = dict(values or {})

    def put(self, key: str, value: int) -> None:
        """Set ``key`` to ``value`` (a 64-bit signed integer, as Kafka's long)."""
        if isinstance(value, bool) or not isinstance(value, int) or not -(1 << 63) <= value < 1 << 63:
            raise TypeError(f"processor metadata values are 64-bit integers, got {value!r} for key {key!r}")
        self._values[key] = value

    def get(self, key: str) -> int | None:
        """The value of ``key``, or None."""
        return self._values.get(key)

    def items(self) -> Iterator[tuple[str, int]]:
        """The entries, in the order they were first put."""
        return iter(self._values.items())

    def update(self, other: ProcessorMetadata) -> None:
        """Merge ``other`` in: new keys are added, existing ones keep the larger value (Kafka's ``update``)."""
        values = self._values
        for key, value in other._values.items():
            current = values.get(key)
            if current is None or current < value:
                values[key] = value

    def serialize(self) -> bytes:
        """Kafka's bytes; entries in the iteration order of the Java HashMap Kafka Streams keeps them in."""
        if not self._values:
            return b""
        parts = [_INT.pack(len(self._values))]
        for key in _java_hash_map_order(list(self._values)):
            raw = key.encode("utf-8")
            parts += (_INT.pack(len(raw)), raw, _LONG.pack(self._values[key]))
        return b"".join(parts)

    @classmethod
    def deserialize(cls, data: bytes) -> ProcessorMetadata:
        """Read :meth:`serialize`'s bytes; ValueError when they end early (trailing bytes are ignored, as Kafka)."""
        if not data:
            return cls()
        try:
            (count,) = _INT.unpack_from(data, 0)
            pos = _INT.size
            values: dict[str, int] = {}
            for _ in range(count):
                (size,) = _INT.unpack_from(data, pos)
                pos += _INT.size
                if size < 0 or pos + size > len(data):
                    raise ValueError(f"a key of {size} bytes does not fit")
                key = data[pos : pos + size].decode("utf-8", errors="replace")
                pos += size
                (values[key],) = _LONG.unpack_from(data, pos)
                pos += _LONG.size
        except struct.error as e:
            raise ValueError(f"processor metadata ends early: {e}") from e
        return cls(values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProcessorMetadata) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"ProcessorMetadata({self._values!r})"


def encode_partition_metadata(partition_time: int, processor_metadata: bytes = b"") -> str:
    """Kafka's ``TopicPartitionMetadata.encode`` (version 2): ``processor_metadata`` is
    :meth:`ProcessorMetadata.serialize`'s output (empty: none)."""
    return base64.b64encode(_TIME.pack(_LATEST_MAGIC, partition_time) + processor_metadata).decode("ascii")


def decode_partition_metadata(metadata: str | None) -> tuple[int | None, ProcessorMetadata]:
    """The partition time (None when the metadata has none) and processor metadata (empty when none) in an
    offset's metadata written by Kafka Streams, versions 1 and 2. Like Kafka's ``decode`` it never raises:
    unreadable metadata (another writer's, or a newer version) is logged and read as far as it goes."""
    if not metadata:
        return None, ProcessorMetadata()
    try:
        raw = base64.b64decode(metadata, validate=True)
    except (binascii.Error, ValueError):
        log.warning("ignoring committed offset metadata that is not base64: %r", metadata[:80])
        return None, ProcessorMetadata()
    if len(raw) < _TIME.size or raw[0] not in (1, _LATEST_MAGIC):
        log.warning(
            "ignoring committed offset metadata that is not Kafka Streams' TopicPartitionMetadata version 1 or %d "
            "(a newer version, or another writer's): %r", _LATEST_MAGIC, metadata[:80],
        )
        return None, ProcessorMetadata()
    _, partition_time = _TIME.unpack_from(raw, 0)
    if raw[0] == 1:
        return partition_time, ProcessorMetadata()
    try:
        return partition_time, ProcessorMetadata.deserialize(raw[_TIME.size :])
    except ValueError as e:
        log.warning("ignoring the processor metadata of committed offset metadata %r: %s", metadata[:80], e)
        return partition_time, ProcessorMetadata()


def commit_metadata(
    partitions: Iterable[TopicPartition], times: Mapping[TopicPartition, int], processor_metadata: ProcessorMetadata
) -> dict[TopicPartition, str]:
    """The metadata a task commits with the offsets of ``partitions``: each one's time (UNKNOWN_TIME when it has
    none) and the task's processor metadata; partitions with neither get none.

    Example::

        >>> tp = TopicPartition("in", 0)
        >>> commit_metadata([tp], {tp: 100}, ProcessorMetadata())
        {TopicPartition(topic='in', partition=0): 'AgAAAAAAAABk'}
        >>> commit_metadata([tp], {}, ProcessorMetadata())
        {}
    """
    serialized = processor_metadata.serialize()
    return {
        tp: encode_partition_metadata(times.get(tp, UNKNOWN_TIME), serialized)
        for tp in partitions
        if serialized or tp in times
    }


def read_commit_metadata(
    committed: Mapping[TopicPartition, str | None],
) -> tuple[dict[TopicPartition, int], ProcessorMetadata]:
    """What a task gets back from its partitions' committed metadata (Kafka's StreamTask
    ``initializeTaskTimeAndProcessorMetadata``): each partition's time, where known, and the processor
    metadata of all of them merged (the largest value of each key).

    Example::

        >>> a, b = TopicPartition("in", 0), TopicPartition("in", 1)
        >>> times, md = read_commit_metadata({a: 'AgAAAAAAAABkAAAAAQAAAAVzdG9yZQAAAAAAAABa', b: None})
        >>> times, md
        ({TopicPartition(topic='in', partition=0): 100}, ProcessorMetadata({'store': 90}))
    """
    times: dict[TopicPartition, int] = {}
    merged = ProcessorMetadata()
    for tp, metadata in committed.items():
        time, processor_metadata = decode_partition_metadata(metadata)
        if time is not None and time != UNKNOWN_TIME:
            times[tp] = time
        merged.update(processor_metadata)
    return times, merged


def _java_hash_map_order(keys: list[str]) -> list[str]:
    """``keys`` (in insertion order) in the order a ``java.util.HashMap<String, Long>`` filled by putting them
    in that order iterates them: by bucket (the spread String.hashCode masked by the table size, 16 doubled
    while more than 3/4 full), insertion order within a bucket."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    mask = capacity - 1
    return sorted(keys, key=lambda k: _spread(_java_string_hash(k)) & mask)  # stable: insertion order kept


def _java_string_hash(s: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units, as a 32-bit int)."""
    h = 0
    data = s.encode("utf-16-be", errors="surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def _spread(h: int) -> int:
    """HashMap.hash: the high half folded into the low half (on the unsigned 32 bits)."""
    return h ^ (h >> 16)
