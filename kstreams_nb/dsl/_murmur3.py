"""MurmurHash3 x64 128-bit, as Kafka Streams' ``Murmur3.hash128`` computes it (seed 104729 by default).

Foreign-key joins hash the serialized value of the left row and check the hash when the response comes back,
so a response computed for an older value is dropped. The two halves are returned as signed 64-bit ints, the
way Java's ``long[]`` holds them, so the wire format (two big-endian longs) matches Kafka's.

Example::

    >>> hash128(b"abc", seed=123)
    (1489494923063836066, -5440978547625122829)
"""

from __future__ import annotations

__all__ = ["DEFAULT_SEED", "hash128"]

DEFAULT_SEED = 104729

_MASK = 0xFFFFFFFFFFFFFFFF
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F
_N1 = 0x52DCE729
_N2 = 0x38495AB5


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK


def _fmix(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    h ^= h >> 33
    return h


def _signed(x: int) -> int:
    return x - (1 << 64) if x & (1 << 63) else x


def hash128(data: bytes, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """The 128-bit MurmurHash3 (x64 variant) of ``data`` as two signed 64-bit ints (Kafka's ``long[2]``)."""
    length = len(data)
    h1 = h2 = seed & _MASK
    nblocks = length >> 4
    for i in range(nblocks):
        base = i << 4
        k1 = int.from_bytes(data[base:base + 8], "little")
        k2 = int.from_bytes(data[base + 8:base + 16], "little")
        k1 = (_rotl((k1 * _C1) & _MASK, 31) * _C2) & _MASK
        h1 ^= k1
        h1 = (((_rotl(h1, 27) + h2) & _MASK) * 5 + _N1) & _MASK
        k2 = (_rotl((k2 * _C2) & _MASK, 33) * _C1) & _MASK
        h2 ^= k2
        h2 = (((_rotl(h2, 31) + h1) & _MASK) * 5 + _N2) & _MASK
    tail = data[nblocks << 4:]
    if len(tail) > 8:
        k2 = int.from_bytes(tail[8:], "little")
        h2 ^= (_rotl((k2 * _C2) & _MASK, 33) * _C1) & _MASK
    if tail:
        k1 = int.from_bytes(tail[:8], "little")
        h1 ^= (_rotl((k1 * _C1) & _MASK, 31) * _C2) & _MASK
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    return _signed(h1), _signed(h2)
