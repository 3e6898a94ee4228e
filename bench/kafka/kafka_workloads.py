"""The input and the two workloads of bench_kafka.py, shared by it and the Python apps it runs.

Input record ``i``: key ``k<i % 10000>`` (UTF-8), value the JSON object ``{"id": i, "amount": ..., "kind": ...}``.
- stateless: keep values with ``amount > THRESHOLD``, add ``"big": amount > BIG``, produce the JSON;
- count: count records per key, produce each new count as an 8-byte big-endian long.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

KEYS = 10_000
THRESHOLD = 250
BIG = 750
KINDS = ("click", "view", "buy")
WORKLOADS = ("stateless", "count")


def key(i: int) -> bytes:
    return b"k%d" % (i % KEYS)


def value(i: int) -> dict[str, Any]:
    return {"id": i, "amount": (i * 7919) % 1000, "kind": KINDS[i % 3]}


def keep(value: dict[str, Any]) -> bool:
    return bool(value["amount"] > THRESHOLD)


def enrich(value: dict[str, Any]) -> dict[str, Any]:
    return {**value, "big": value["amount"] > BIG}


def expected_ids(n: int) -> set[int]:
    """The ids the stateless workload outputs for ``n`` input records."""
    return {i for i in range(n) if keep(value(i))}


def expected_counts(n: int) -> dict[bytes, int]:
    """The final count per key of the count workload for ``n`` input records."""
    return dict(Counter(key(i) for i in range(n)))


# The window workload (bench_peers.py): a 10-minute tumbling window count per key in event time. Record ``i``
# carries the Kafka timestamp ``event_time(i)`` (rising by EVENT_STEP_MS; the first window boundary falls after
# record 100, so even a tiny run spans two windows); each new count of (key, window) is produced with the key
# ``window_key(key, window start)`` as an 8-byte big-endian long.
WINDOW_MS = 600_000
EVENT_STEP_MS = 10
EVENT_BASE_MS = 1_700_000_400_000 + WINDOW_MS - 100 * EVENT_STEP_MS


def event_time(i: int) -> int:
    return EVENT_BASE_MS + i * EVENT_STEP_MS


def window_start(timestamp_ms: int) -> int:
    return timestamp_ms - timestamp_ms % WINDOW_MS


def window_key(key: bytes, start_ms: int) -> bytes:
    return b"%s@%d" % (key, start_ms)


def expected_window_counts(n: int) -> dict[bytes, int]:
    """The final count per ``window_key`` of the window workload for ``n`` input records."""
    return dict(Counter(window_key(key(i), window_start(event_time(i))) for i in range(n)))
