"""Log compaction in the embedded broker, as Kafka's log cleaner does it for ``cleanup.policy=compact`` topics.

A cleaning pass works on the cleanable part of a partition's log: the records below both the last stable offset
(an open transaction's records are never cleaned) and the active segment. As in Kafka, the active segment rolls
when it reaches ``segment.bytes`` (1 GiB by default; a record counts its key and value bytes plus 32) or when it
is older than ``segment.ms`` (7 days) at an append, so a small log is never compacted with the defaults.

A pass maps each key of the dirty part (written since the last pass) to its latest committed record, then keeps,
below the limit, only the latest record of each key. Offsets are kept:
the removed records leave gaps, and a consumer fetching from a removed offset gets the next record. Records of
aborted transactions are removed. A tombstone (null value) is kept by the first pass that sees it and stamped
with a delete horizon ``now + delete.retention.ms``; a pass after the horizon removes it. Records with a null
key are kept. A pass runs when the dirty part reaches ``min.cleanable.dirty.ratio`` of the cleanable part
(checked on each append, so the work is amortised), or on demand with ``PartitionLog.compact()``.

Deviations: ``min.compaction.lag.ms`` and the time-based deletion of ``compact,delete`` topics are not applied.

Example::

    >>> policy = CompactionPolicy.from_config({"cleanup.policy": "compact"}, lambda: 0)
    >>> policy.min_cleanable_dirty_ratio, policy.delete_retention_ms
    (0.5, 86400000)
    >>> CompactionPolicy.from_config({"cleanup.policy": "delete"}, lambda: 0) is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kstreams_nb.clients.memory.storage import RecordColumns
from kstreams_nb.errors import BrokerError

__all__ = ["CompactionPolicy", "clean"]


@dataclass(frozen=True, slots=True)
class CompactionPolicy:
    """How a compacted topic is cleaned; ``clock`` gives the broker's time in epoch milliseconds."""

    clock: Callable[[], int]
    min_cleanable_dirty_ratio: float = 0.5
    delete_retention_ms: int = 86_400_000
    segment_bytes: int = 1_073_741_824
    segment_ms: int = 604_800_000

    @classmethod
    def from_config(cls, config: Mapping[str, str], clock: Callable[[], int]) -> CompactionPolicy | None:
        """The policy of a topic whose ``cleanup.policy`` includes ``compact``, else None; BrokerError for a bad
        ``min.cleanable.dirty.ratio`` or ``delete.retention.ms``."""
        policies = {p.strip() for p in str(config.get("cleanup.policy", "delete")).split(",")}
        if "compact" not in policies:
            return None
        try:
            ratio = float(config.get("min.cleanable.dirty.ratio", 0.5))
            retention = int(config.get("delete.retention.ms", 86_400_000))
            segment_bytes = int(config.get("segment.bytes", 1_073_741_824))
            segment_ms = int(config.get("segment.ms", 604_800_000))
        except ValueError as e:
            raise BrokerError(f"invalid compaction config {dict(config)!r}: {e}") from None
        if not 0.0 <= ratio <= 1.0:
            raise BrokerError(f"min.cleanable.dirty.ratio must be between 0 and 1, got {ratio}")
        if retention < 0 or segment_bytes < 1 or segment_ms < 1:
            raise BrokerError(
                f"delete.retention.ms must not be negative and segment.bytes and segment.ms must be positive, got "
                f"{retention}, {segment_bytes} and {segment_ms}"
            )
        return cls(clock, ratio, retention, segment_bytes, segment_ms)

    def is_due(self, clean: int, limit: int) -> bool:
        """True when the dirty records ``[clean, limit)`` are enough of the cleanable ``[0, limit)`` for a pass."""
        dirty = limit - clean
        return dirty > 0 and dirty >= self.min_cleanable_dirty_ratio * limit


def clean(
    cols: RecordColumns,
    clean_end: int,
    limit: int,
    aborted: Sequence[int],
    horizons: dict[int, int],
    policy: CompactionPolicy,
) -> int:
    """One pass over the records at indexes ``[0, limit)`` of ``cols``, of which ``[clean_end, limit)`` are dirty.

    ``aborted`` holds the offsets of aborted records (sorted); ``horizons`` maps a kept tombstone's offset to its
    delete horizon and is updated. Returns how many records remain below ``limit`` (the new clean end).
    """
    offsets, value_lengths = cols.offsets, cols.value_lengths
    dropped = set(aborted)
    latest: dict[bytes, int] = {}  # an aborted record never replaces a key's committed one
    for i, key in enumerate(cols.keys(clean_end, limit), clean_end):
        if key is not None and (not dropped or offsets[i] not in dropped):
            latest[key] = i
    now = policy.clock()
    keep: list[int] = []
    for i, key in enumerate(cols.keys(0, limit)):
        offset = offsets[i]
        if offset in dropped or (key is not None and latest.get(key, i) > i):
            continue
        if value_lengths[i] < 0 and key is not None:  # a tombstone
            horizon = horizons.get(offset)
            if horizon is None:
                horizons[offset] = now + policy.delete_retention_ms
            elif now >= horizon:
                del horizons[offset]
                continue
        keep.append(i)
    if len(keep) < limit:
        if horizons:  # forget the horizons of tombstones that a later record of their key replaced
            kept = {offsets[i] for i in keep}
            for o in [o for o in horizons if o not in kept]:
                del horizons[o]
        cols.retain(keep + list(range(limit, len(cols))))
    return len(keep)
