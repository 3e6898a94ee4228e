"""Compact storage for one partition's records: keys and values packed in one byte buffer, positions in arrays.

A Kafka log keeps records as bytes in segments; so does the embedded broker. A record costs its key and value
bytes plus 32 bytes of position data (offset, timestamp, start, key and value lengths), not a Python object per
record: ``ConsumerRecord`` objects are made when a consumer fetches. Offsets are kept per record because
transaction markers and log compaction leave gaps. Non-empty headers live in a dict by offset.

Example::

    >>> cols = RecordColumns()
    >>> cols.extend(0, [(b"k", b"v", 5, EMPTY_HEADERS), (None, None, 6, EMPTY_HEADERS)])
    >>> [(r.offset, r.key, r.value) for r in cols.records("t", 0, 0, 2)]
    [(0, b'k', b'v'), (1, None, None)]
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from operator import add

from kstreams_nb.records import EMPTY_HEADERS, ConsumerRecord, Headers

__all__ = ["RecordColumns"]

_NULL = -1  # the length of a null key or value
_CHUNK = 4096  # records sliced at once when scanning keys
_new = tuple.__new__


class RecordColumns:
    """Records by index: ``offsets[i]``, ``timestamps[i]``, and key then value bytes at ``data[starts[i]:]``."""

    __slots__ = ("data", "headers", "key_lengths", "offsets", "starts", "timestamps", "value_lengths")

    def __init__(self) -> None:
        self.data = bytearray()
        self.offsets = array("q")
        self.timestamps = array("q")
        self.starts = array("q")
        self.key_lengths = array("i")
        self.value_lengths = array("i")
        self.headers: dict[int, Headers] = {}  # offset -> headers, for records that have any

    def __len__(self) -> int:
        return len(self.offsets)

    def extend(self, base: int, batch: Sequence[tuple[bytes | None, bytes | None, int, Headers]]) -> None:
        """Append ``(key, value, timestamp, headers)`` records at offsets ``base, base + 1, ...``."""
        n = len(batch)
        if n == 0:
            return
        keys, values, timestamps, headers = zip(*batch)  # columns, transposed in C
        data = self.data
        if None not in keys and None not in values:  # the usual batch: lengths and sizes without a Python loop
            klens, vlens = list(map(len, keys)), list(map(len, values))
            sizes = list(map(add, klens, vlens))
            parts: list[bytes] = [b""] * (2 * n)
            parts[::2], parts[1::2] = keys, values
        else:
            klens = [_NULL if k is None else len(k) for k in keys]
            vlens = [_NULL if v is None else len(v) for v in values]
            sizes = [(a if a > 0 else 0) + (b if b > 0 else 0) for a, b in zip(klens, vlens)]
            parts = [p for pair in zip(keys, values) for p in pair if p]
        self.starts.extend(accumulate(sizes[:-1], initial=len(data)))
        data += b"".join(parts)
        self.offsets.extend(range(base, base + n))
        self.timestamps.extend(timestamps)
        self.key_lengths.extend(klens)
        self.value_lengths.extend(vlens)
        if headers.count(EMPTY_HEADERS) != n:  # identity first: only records with headers are looked at
            for offset, h in enumerate(headers, base):
                if h:
                    self.headers[offset] = h

    def _end(self, i: int) -> int:
        a, b = self.key_lengths[i], self.value_lengths[i]
        return self.starts[i] + (a if a > 0 else 0) + (b if b > 0 else 0)

    def records(self, topic: str, partition: int, lo: int, hi: int) -> list[ConsumerRecord]:
        """The records at indexes ``[lo, hi)``."""
        if lo >= hi:
            return []
        first = self.starts[lo]
        with memoryview(self.data) as view:
            blob = view[first : self._end(hi - 1)].tobytes()
        columns = (self.offsets[lo:hi], self.timestamps[lo:hi], self.starts[lo:hi], self.key_lengths[lo:hi],
                   self.value_lengths[lo:hi])
        if not self.headers:  # the usual log: one comprehension, key then value sliced from the blob
            h = EMPTY_HEADERS
            return [
                _new(ConsumerRecord, (
                    topic, partition, offset, ts,
                    None if a < 0 else blob[(p := s - first) : p + a],
                    None if b < 0 else blob[(q := s - first + (a if a > 0 else 0)) : q + b],
                    h,
                ))
                for offset, ts, s, a, b in zip(*columns)
            ]
        get = self.headers.get
        h = EMPTY_HEADERS
        out: list[ConsumerRecord] = []
        append = out.append
        for offset, ts, s, a, b in zip(*columns):
            s -= first
            if a < 0:
                key = None
            else:
                key = blob[s : s + a]
                s += a
            h = get(offset, EMPTY_HEADERS)
            append(_new(ConsumerRecord, (topic, partition, offset, ts, key, blob[s : s + b] if b >= 0 else None, h)))
        return out

    def keys(self, lo: int, hi: int) -> Iterator[bytes | None]:
        """The keys at indexes ``[lo, hi)``, sliced a chunk at a time."""
        for c in range(lo, hi, _CHUNK):
            d = min(hi, c + _CHUNK)
            first = self.starts[c]
            with memoryview(self.data) as view:
                blob = view[first : self._end(d - 1)].tobytes()
            for s, a in zip(self.starts[c:d], self.key_lengths[c:d]):
                yield None if a < 0 else blob[s - first : s - first + a]

    def retain(self, keep: Sequence[int]) -> None:
        """Keep only the records at indexes ``keep`` (ascending), in order; the buffer is rebuilt right-sized."""
        starts, klens, vlens = self.starts, self.key_lengths, self.value_lengths
        data, parts, new_starts, pos = self.data, [], array("q"), 0
        with memoryview(data) as view:
            for i in keep:
                s, a, b = starts[i], klens[i], vlens[i]
                size = (a if a > 0 else 0) + (b if b > 0 else 0)
                parts.append(view[s : s + size])
                new_starts.append(pos)
                pos += size
            packed = bytearray(b"".join(parts))
            parts.clear()
        offsets = self.offsets
        kept = {offsets[i] for i in keep} if self.headers else set()
        self.data = packed
        self.starts = new_starts
        self.offsets = array("q", [offsets[i] for i in keep])
        self.timestamps = array("q", [self.timestamps[i] for i in keep])
        self.key_lengths = array("i", [klens[i] for i in keep])
        self.value_lengths = array("i", [vlens[i] for i in keep])
        self.headers = {o: h for o, h in self.headers.items() if o in kept}

    def nbytes(self) -> int:
        """Bytes held by the buffer and the arrays (what the log costs, headers aside)."""
        arrays = (self.offsets, self.timestamps, self.starts, self.key_lengths, self.value_lengths)
        return len(self.data) + sum(a.itemsize * len(a) for a in arrays)
