"""Kafka's default partitioner: ``toPositive(murmur2(keyBytes)) % numPartitions``.

Shared by the embedded broker and the engine so that records keyed here land on the same partition as
records a Java producer writes with the same key bytes.

Example::

    >>> murmur2(b"21")
    -973932308
    >>> default_partition(b"21", 3)
    0
"""

from __future__ import annotations

__all__ = ["default_partition", "murmur2", "to_positive"]

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's 32-bit murmur2 hash of ``data`` (``Utils.murmur2``), as a signed int."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    end4 = length - (length & 3)
    for i in range(0, end4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rem = length & 3
    if rem == 3:
        h ^= data[end4 + 2] << 16
    if rem >= 2:
        h ^= data[end4 + 1] << 8
    if rem >= 1:
        h ^= data[end4]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def to_positive(n: int) -> int:
    """Kafka's ``Utils.toPositive``: clear the sign bit."""
    return n & 0x7FFFFFFF


def default_partition(key_bytes: bytes, num_partitions: int) -> int:
    """The partition Kafka's producer picks for a non-null serialized key."""
    return (murmur2(key_bytes) & 0x7FFFFFFF) % num_partitions
