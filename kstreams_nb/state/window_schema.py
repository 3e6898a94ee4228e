"""Kafka's ``WindowKeySchema`` byte layout for windowed keys: ``key bytes + window start (8 bytes, big-endian,
signed) + seqnum (4 bytes, big-endian)``. This is the key of every windowed-store changelog record; the seqnum is
0 unless the store retains duplicates.

Example::

    >>> b = to_store_key_binary(b"k", 5, 0)
    >>> b.hex(), extract_store_key_bytes(b), extract_store_timestamp(b), extract_store_sequence(b)
    ('6b000000000000000500000000', b'k', 5, 0)
"""

from __future__ import annotations

__all__ = [
    "MAX_TIMESTAMP",
    "extract_store_key_bytes",
    "extract_store_sequence",
    "extract_store_timestamp",
    "time_window_end",
    "to_store_key_binary",
]

TIMESTAMP_SIZE = 8
SEQNUM_SIZE = 4
SUFFIX_SIZE = TIMESTAMP_SIZE + SEQNUM_SIZE
#: Java's Long.MAX_VALUE: window ends are capped here, as in Kafka's ``timeWindowForSize``.
MAX_TIMESTAMP = 2**63 - 1


def to_store_key_binary(key: bytes, timestamp: int, seqnum: int) -> bytes:
    """``key + timestamp (8 bytes BE) + seqnum (4 bytes BE)``.

    Example::

        >>> to_store_key_binary(b"k", 1, 2).hex()
        '6b000000000000000100000002'
    """
    return key + timestamp.to_bytes(8, "big", signed=True) + seqnum.to_bytes(4, "big", signed=True)


def extract_store_key_bytes(binary_key: bytes) -> bytes:
    """The key part of a windowed binary key.

    Example::

        >>> extract_store_key_bytes(to_store_key_binary(b"key", 9, 0))
        b'key'
    """
    return binary_key[:-SUFFIX_SIZE]


def extract_store_timestamp(binary_key: bytes) -> int:
    """The window start of a windowed binary key.

    Example::

        >>> extract_store_timestamp(to_store_key_binary(b"key", 9, 0))
        9
    """
    return int.from_bytes(binary_key[-SUFFIX_SIZE:-SEQNUM_SIZE], "big", signed=True)


def extract_store_sequence(binary_key: bytes) -> int:
    """The seqnum of a windowed binary key.

    Example::

        >>> extract_store_sequence(to_store_key_binary(b"key", 9, 7))
        7
    """
    return int.from_bytes(binary_key[-SEQNUM_SIZE:], "big", signed=True)


def time_window_end(start: int, window_size: int) -> int:
    """``start + window_size``, capped at Long.MAX_VALUE (Kafka's ``WindowKeySchema.timeWindowForSize``).

    Example::

        >>> time_window_end(10, 5), time_window_end(MAX_TIMESTAMP - 1, 5) == MAX_TIMESTAMP
        (15, True)
    """
    end = start + window_size
    return MAX_TIMESTAMP if end > MAX_TIMESTAMP else end
