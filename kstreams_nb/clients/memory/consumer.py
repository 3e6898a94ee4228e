"""MemoryConsumer: the Consumer protocol over the embedded broker.

As a Kafka consumer it is used from one thread (only ``wakeup()`` may be called from another). Group work
(revoking, rejoining, picking up a new assignment) happens inside ``poll_batch``, which runs the rebalance
listeners before returning records; a poll with nothing to return waits on a Condition that appends, markers,
rebalances and ``wakeup()`` signal.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kstreams_nb.clients.base import RebalanceListener
from kstreams_nb.clients.memory.broker import check_isolation
from kstreams_nb.clients.memory.group import ASSIGN, LOST, OK, REVOKE, ConsumerGroupMetadata, Subscription
from kstreams_nb.clients.memory.log import PartitionLog, Waker
from kstreams_nb.errors import BrokerError, ConfigError, UnknownTopicError
from kstreams_nb.records import ConsumerRecord, TopicPartition

if TYPE_CHECKING:
    from kstreams_nb.clients.memory.broker import EmbeddedBroker
    from kstreams_nb.clients.memory.group import ConsumerGroup

__all__ = ["MemoryConsumer"]

_client_ids = itertools.count(1)
_OFFSET_RESETS = ("earliest", "latest", "none")
_API_TIMEOUT = 60.0  # Kafka's default.api.timeout.ms


class MemoryConsumer:
    """A consumer of the embedded broker, in a group (``subscribe``) or standalone (``assign``).

    Config keys (Kafka's): ``group.id``, ``client.id``, ``isolation.level`` (default ``read_uncommitted``),
    ``auto.offset.reset`` (``earliest`` default here, ``latest``, ``none``), ``max.poll.interval.ms``
    (default 300000). Unknown keys are ignored.

    Example::

        >>> from kstreams_nb.clients.memory import EmbeddedBroker
        >>> broker = EmbeddedBroker()
        >>> broker.create_topic("t", partitions=2)
        >>> _ = broker.produce("t", b"k", b"v", timestamp=1)
        >>> c = MemoryConsumer(broker, {"group.id": "g"})
        >>> c.subscribe(["t"])
        >>> [(r.topic, r.value) for r in c.poll_batch(10, timeout=1.0)], c.group_metadata().generation
        ([('t', b'v')], 1)
        >>> c.close()
    """

    def __init__(self, broker: EmbeddedBroker, config: Mapping[str, Any] | None = None) -> None:
        config = dict(config or {})
        self._broker = broker
        group_id = config.get("group.id")
        self._group_id: str | None = str(group_id) if group_id else None
        self._client_id = str(config.get("client.id") or f"consumer-{self._group_id or ''}-{next(_client_ids)}")
        self._read_committed = check_isolation(str(config.get("isolation.level", "read_uncommitted")))
        self._offset_reset = str(config.get("auto.offset.reset", "earliest"))
        if self._offset_reset not in _OFFSET_RESETS:
            raise ConfigError(f"auto.offset.reset must be one of {_OFFSET_RESETS}, got {self._offset_reset!r}")
        try:
            self._max_poll_interval_ms = int(config.get("max.poll.interval.ms", 300_000))
        except (TypeError, ValueError) as e:
            raise ConfigError(f"max.poll.interval.ms must be an int of milliseconds: {e}") from e
        self._mode: str | None = None  # None | "subscribe" | "assign"
        self._subscription: Subscription = ()
        self._member_id = ""
        self._generation = -1
        self._on_assign: RebalanceListener | None = None
        self._on_revoke: RebalanceListener | None = None
        self._assigned: list[TopicPartition] = []
        self._logs: dict[TopicPartition, PartitionLog | None] = {}
        self._positions: dict[TopicPartition, int] = {}
        self._unresolved: set[TopicPartition] = set()
        self._waker = Waker()
        self._next_first = 0
        self._closed = False

    # -- group membership ---------------------------------------------------------------------------------------

    def subscribe(
        self,
        topics: Sequence[str] | re.Pattern[str],
        *,
        on_assign: RebalanceListener | None = None,
        on_revoke: RebalanceListener | None = None,
    ) -> None:
        """Join the group for these topics (or every topic matching a pattern, now or created later)."""
        self._check_open()
        if self._mode == "assign":
            raise BrokerError("subscribe() after assign(): call unsubscribe() first (they cannot be mixed)")
        group = self._group()
        subscription: Subscription
        if isinstance(topics, re.Pattern):
            subscription = topics
        else:
            subscription = (topics,) if isinstance(topics, str) else tuple(topics)
        self._on_assign, self._on_revoke = on_assign, on_revoke
        self._subscription = subscription
        if self._mode == "subscribe":
            group.resubscribe(self._member_id, subscription)
            return
        self._member_id = group.join(self._client_id, subscription, self._waker, self._max_poll_interval_ms)
        self._generation = -1
        self._mode = "subscribe"

    def unsubscribe(self) -> None:
        """Leave the group (after ``on_revoke`` for the current partitions) or drop a manual assignment."""
        if self._mode == "subscribe":
            self._revoke_all()
            self._group().leave(self._member_id)
            self._member_id, self._generation = "", -1
        else:
            self._set_assignment([])
        self._mode = None

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        """Read these partitions outside any group (restore consumers); ``assign([])`` unassigns."""
        self._check_open()
        if self._mode == "subscribe":
            raise BrokerError("assign() after subscribe(): call unsubscribe() first (they cannot be mixed)")
        self._set_assignment(list(partitions))
        self._mode = "assign" if partitions else None

    def assignment(self) -> list[TopicPartition]:
        """The partitions currently assigned."""
        return list(self._assigned)

    def group_metadata(self) -> ConsumerGroupMetadata:
        """Group id, generation and member id, for ``send_offsets_to_transaction``."""
        return ConsumerGroupMetadata(self._require_group_id(), self._generation, self._member_id)

    # -- polling ------------------------------------------------------------------------------------------------

    def poll_batch(self, max_records: int, timeout: float) -> list[ConsumerRecord]:
        """Up to ``max_records`` records, round-robin over the assigned partitions, in offset order per partition.

        Runs rebalance listeners first when the group changed. Waits up to ``timeout`` seconds when nothing is
        available; returns ``[]`` on timeout or after ``wakeup()``.
        """
        self._check_open()
        if self._mode is None:
            raise BrokerError(f"consumer {self._client_id!r} is not subscribed to any topic nor assigned any partition")
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            while True:
                if self._waker.clear():
                    return []
                if self._mode != "subscribe" or self._drive_group():
                    if self._unresolved:
                        self._resolve_positions()
                    records = self._fetch(max_records)
                    if records:
                        return records
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._waker.wait(remaining)
        finally:
            if self._mode == "subscribe":
                self._group().poll_done(self._member_id)

    def wakeup(self) -> None:
        """Make a waiting (or the next) ``poll_batch`` return ``[]`` at once; safe from any thread."""
        self._waker.interrupt()

    def _drive_group(self) -> bool:
        """Follow the group protocol until the assignment is current (True) or the rebalance is pending (False)."""
        group = self._group()
        while True:
            result = group.sync(self._member_id, self._generation)
            if result.action == OK:
                return True
            if result.action == REVOKE:
                self._revoke_all()
                group.rejoin(self._member_id)
            elif result.action == LOST:
                # Kafka calls onPartitionsLost (by default onPartitionsRevoked), then rejoins as a new member.
                self._revoke_all()
                self._member_id = group.join(
                    self._client_id, self._subscription, self._waker, self._max_poll_interval_ms
                )
                self._generation = -1
            elif result.action == ASSIGN:
                self._generation = result.generation
                self._set_assignment(list(result.assignment))
                if self._on_assign is not None:
                    self._on_assign(list(result.assignment))
                return True
            else:  # WAIT
                return False

    def _revoke_all(self) -> None:
        revoked = list(self._assigned)
        try:
            if revoked and self._on_revoke is not None:
                self._on_revoke(revoked)
        finally:
            self._set_assignment([])

    def _set_assignment(self, partitions: list[TopicPartition]) -> None:
        keep = set(partitions)
        for tp, old in self._logs.items():
            if tp not in keep and old is not None:
                old.remove_listener(self._waker)
        logs: dict[TopicPartition, PartitionLog | None] = {}
        for tp in partitions:
            log = self._logs.get(tp) if tp in self._logs else self._broker.log(tp)
            if log is not None:
                log.add_listener(self._waker)
            logs[tp] = log
            if tp not in self._positions:
                self._unresolved.add(tp)
        self._positions = {tp: p for tp, p in self._positions.items() if tp in keep}
        self._unresolved &= keep
        self._logs = logs
        self._assigned = list(dict.fromkeys(partitions))
        self._next_first = 0

    def _resolve_positions(self) -> None:
        pending = [tp for tp in self._assigned if tp in self._unresolved]
        committed: dict[TopicPartition, int | None] = {}
        unstable: set[TopicPartition] = set()
        if self._group_id is not None:
            committed, unstable = self._group().committed(pending, require_stable=self._read_committed)
        for tp in pending:
            if tp in unstable:
                continue  # an open transaction holds offsets for it (KIP-447): wait for it to end
            offset = committed.get(tp)
            self._positions[tp] = offset if offset is not None else self._reset_offset(tp)
            self._unresolved.discard(tp)

    def _reset_offset(self, tp: TopicPartition) -> int:
        if self._offset_reset == "none":
            raise BrokerError(
                f"no committed offset for {tp} in group {self._group_id!r} (or it is out of range) and "
                "auto.offset.reset is 'none'"
            )
        log = self._logs.get(tp)
        if self._offset_reset == "earliest" or log is None:
            return 0
        return log.end_offset(self._read_committed)

    def _fetch(self, max_records: int) -> list[ConsumerRecord]:
        assigned = self._assigned
        n = len(assigned)
        if n == 0 or max_records <= 0:
            return []
        first = self._next_first % n
        self._next_first = first + 1
        positions, logs, read_committed = self._positions, self._logs, self._read_committed
        out: list[ConsumerRecord] = []
        quota = -(-max_records // n)  # a fair share first, then whatever is left
        for share in (quota, max_records):
            more = False
            for i in range(n):
                need = max_records - len(out)
                if need <= 0:
                    return out
                tp = assigned[(first + i) % n]
                position = positions.get(tp)
                log = logs[tp]
                if position is None:
                    continue
                if log is None or log.deleted:  # the topic is missing, or was deleted (and maybe re-created)
                    log = self._relookup(tp)
                    if log is None:
                        continue
                take = min(need, share)
                records, next_position = log.fetch(position, take, read_committed)
                if next_position < 0:
                    positions[tp] = self._reset_offset(tp)
                    continue
                positions[tp] = next_position
                out.extend(records)
                more = more or len(records) == take
            if not more:
                break
        return out

    def _relookup(self, tp: TopicPartition) -> PartitionLog | None:
        old, new = self._logs.get(tp), self._broker.log(tp)
        if new is old:
            return None
        if old is not None:
            old.remove_listener(self._waker)
        if new is not None:
            new.add_listener(self._waker)
        self._logs[tp] = new
        return new

    # -- positions and offsets ----------------------------------------------------------------------------------

    def seek(self, tp: TopicPartition, offset: int) -> None:
        """Fetch ``tp`` from ``offset`` next."""
        self._check_assigned(tp)
        if offset < 0:
            raise BrokerError(f"cannot seek {tp} to a negative offset ({offset})")
        self._positions[tp] = offset
        self._unresolved.discard(tp)

    def seek_to_beginning(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions from their first offset next."""
        for tp in partitions:
            self.seek(tp, 0)

    def position(self, tp: TopicPartition) -> int:
        """The offset of the next record to fetch from ``tp`` (resolving it from the group or the reset policy)."""
        self._check_assigned(tp)
        if tp in self._unresolved:
            if self._group_id is not None and self._read_committed:
                self._group().wait_committed([tp], True, _API_TIMEOUT)
            self._resolve_positions()
        return self._positions[tp]

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """End offsets as this consumer sees them: the LSO under read_committed, else the high watermark."""
        result: dict[TopicPartition, int] = {}
        for tp in partitions:
            log = self._broker.log(tp)
            if log is None:
                raise UnknownTopicError(f"unknown topic partition {tp}")
            result[tp] = log.end_offset(self._read_committed)
        return result

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The group's committed offsets (None where none); under read_committed waits for open transactions."""
        group = self._group()
        if self._read_committed:
            return group.wait_committed(list(partitions), True, _API_TIMEOUT)
        return group.committed(list(partitions))[0]

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit the next offsets to read; CommitFailedError when this member is no longer in the generation."""
        self._check_open()
        for tp, offset in offsets.items():
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise BrokerError(f"invalid offset {offset!r} to commit for {tp}")
        if self._mode == "subscribe":
            self._group().commit(offsets, self._generation, self._member_id)
        else:
            self._group().commit(offsets, -1, "")

    def close(self) -> None:
        """Leave the group (the others rebalance) and release the partitions; idempotent."""
        if self._closed:
            return
        try:
            self.unsubscribe()
        finally:
            self._closed = True
            self._waker.interrupt()

    # -- helpers ------------------------------------------------------------------------------------------------

    def _group(self) -> ConsumerGroup:
        return self._broker.group(self._require_group_id())

    def _require_group_id(self) -> str:
        if self._group_id is None:
            raise BrokerError(f"consumer {self._client_id!r} has no group.id; set one to use group features")
        return self._group_id

    def _check_open(self) -> None:
        if self._closed:
            raise BrokerError(f"consumer {self._client_id!r} is closed")

    def _check_assigned(self, tp: TopicPartition) -> None:
        if tp not in self._logs:
            raise BrokerError(f"{tp} is not assigned to consumer {self._client_id!r}")

    def __repr__(self) -> str:
        return (
            f"MemoryConsumer(client_id={self._client_id!r}, group_id={self._group_id!r}, assignment={self._assigned})"
        )
