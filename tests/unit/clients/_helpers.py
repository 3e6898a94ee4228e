"""Helpers shared by the embedded broker tests."""

from __future__ import annotations

from collections.abc import Sequence

from kstreams_nb.clients.memory import EmbeddedBroker, MemoryConsumer
from kstreams_nb.records import ConsumerRecord


class Ticker:
    """A manual monotonic clock (seconds) for ``max.poll.interval.ms``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settle(
    broker: EmbeddedBroker, group_id: str, members: Sequence[MemoryConsumer], rounds: int = 50
) -> dict[MemoryConsumer, list[ConsumerRecord]]:
    """Poll every member (timeout 0) until the group is stable and each knows the current generation.

    Single-threaded stand-in for members polling in their own threads; returns the records each one got.
    """
    got: dict[MemoryConsumer, list[ConsumerRecord]] = {c: [] for c in members}
    for _ in range(rounds):
        for c in members:
            got[c].extend(c.poll_batch(1000, timeout=0))
        d = broker.describe_group(group_id)
        if d.state == "Stable" and all(c.group_metadata().generation == d.generation for c in members):
            return got
    raise AssertionError(f"group {group_id} did not settle: {broker.describe_group(group_id)}")


def values(records: Sequence[ConsumerRecord]) -> list[bytes | None]:
    return [r.value for r in records]
