"""The suppression buffer's changelog format: Kafka's version 3 (``InMemoryTimeOrderedKeyValueChangeBuffer``).

A buffered key is written as one changelog record: the key is the serialized table key, the headers are exactly
``[("v", b"\\x03")]``, and the value is Kafka's ``BufferValue`` followed by the buffer time, all big-endian:

- the record context (``ProcessorRecordContext.serialize``): timestamp (8), offset (8), topic length (4) and UTF-8
  topic, partition (4), header count (4), then per header the key length (4) and UTF-8 key, the value length (4,
  -1 for a null value) and value;
- the prior value, the old value and the new value, each a length (4, -1 for null) and bytes, except that an old
  value equal to the prior one is written as the length -2 alone;
- the buffer time (8).

An evicted key is a tombstone without headers. Kafka Streams 2.6 and later write and read this format, so a
buffer written by either side restores on the other. Records without the ``v`` header, or with versions 1 and 2
(written by Kafka Streams 2.1 to 2.5), are refused with a message saying so.

Example::

    >>> data = encode_buffer_value(5, 7, "in", 0, Headers([("h", b"1")]), None, None, b"n", 5)
    >>> decode_buffer_value(data)[:4], decode_buffer_value(data).time
    ((5, 7, 'in', 0), 5)
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import Headers

__all__ = ["CHANGELOG_HEADERS", "BufferedValue", "check_changelog_version", "decode_buffer_value",
           "encode_buffer_value"]

#: the headers of every changelog record that is not a tombstone (Kafka's ``CHANGELOG_HEADERS``)
CHANGELOG_HEADERS = Headers([("v", b"\x03")])

_NULL = -1
_DUPLICATE_OF_PRIOR = -2
_INT = struct.Struct(">i")
_CONTEXT_HEAD = struct.Struct(">qqi")
_LONG = struct.Struct(">q")


class BufferedValue(NamedTuple):
    """One decoded changelog value: the buffered record's context, its three values and its buffer time.

    ``topic`` is None when the record was buffered without an input topic (Kafka writes an empty topic then).
    """

    timestamp: int
    offset: int
    topic: str | None
    partition: int
    headers: Headers
    prior: bytes | None
    old: bytes | None
    old_is_prior: bool
    new: bytes | None
    time: int


def _sized(data: bytes | None) -> bytes:
    return _INT.pack(_NULL) if data is None else _INT.pack(len(data)) + data


def encode_buffer_value(
    timestamp: int, offset: int, topic: str | None, partition: int, headers: Headers,
    prior: bytes | None, old: bytes | None, new: bytes | None, time: int,
) -> bytes:
    """Kafka's v3 changelog value of a buffered record (see the module docstring)."""
    topic_bytes = (topic or "").encode("utf-8")
    items = headers.to_list()
    parts = [_CONTEXT_HEAD.pack(timestamp, offset, len(topic_bytes)), topic_bytes,
             struct.pack(">ii", partition, len(items))]
    for hkey, hvalue in items:
        parts.append(_sized(hkey.encode("utf-8")))
        parts.append(_sized(hvalue))
    parts.append(_sized(prior))
    if old is None:
        parts.append(_INT.pack(_NULL))
    elif old == prior:
        parts.append(_INT.pack(_DUPLICATE_OF_PRIOR))
    else:
        parts.append(_sized(old))
    parts.append(_sized(new))
    parts.append(_LONG.pack(time))
    return b"".join(parts)


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise StateStoreError(
                f"a suppression buffer changelog value ends early: {n} bytes wanted at byte {self.pos} of "
                f"{len(self.data)}; the changelog topic holds records this buffer did not write"
            )
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def int32(self) -> int:
        value: int = _INT.unpack(self.take(4))[0]
        return value

    def int64(self) -> int:
        value: int = _LONG.unpack(self.take(8))[0]
        return value

    def sized(self, length: int | None = None) -> bytes | None:
        n = self.int32() if length is None else length
        return None if n == _NULL else self.take(n)


def decode_buffer_value(data: bytes) -> BufferedValue:
    """Read back a value written by :func:`encode_buffer_value` (or by Kafka Streams)."""
    reader = _Reader(data)
    timestamp, offset = reader.int64(), reader.int64()
    topic = (reader.sized() or b"").decode("utf-8")
    partition, n_headers = reader.int32(), reader.int32()
    headers: list[tuple[str, bytes | None]] = []
    for _ in range(max(n_headers, 0)):  # Kafka reads a count of -1 as "no headers"
        hkey = reader.sized()
        headers.append(((hkey or b"").decode("utf-8"), reader.sized()))
    prior = reader.sized()
    old_len = reader.int32()
    old_is_prior = old_len == _DUPLICATE_OF_PRIOR
    old = prior if old_is_prior else reader.sized(old_len)
    new = reader.sized()
    time = reader.int64()
    return BufferedValue(timestamp, offset, topic or None, partition, Headers(headers), prior, old, old_is_prior,
                         new, time)


def check_changelog_version(store: str, headers: Headers) -> None:
    """Refuse a changelog record whose ``v`` header is not Kafka's version 3."""
    version = headers.last_header("v")
    if version == b"\x03":
        return
    what = "has no 'v' header (version 0)" if version is None else f"has version header v={version!r}"
    raise StateStoreError(
        f"cannot restore suppression buffer {store!r}: a changelog record {what}; only version 3 (b'\\x03', written "
        "by Kafka Streams 2.6 and later and by kstreams_nb) is supported. Let the buffer drain with the old "
        "version, or reset the application (delete its changelog topic) before upgrading"
    )
