"""MemoryConsumer: the Consumer protocol over the embedded broker.

As a Kafka consumer it is used from one thread (only ``wakeup()`` may be called from another). Group work
(revoking, rejoining, running the leader's client-side assignor, picking up a new assignment) happens inside
``poll_batch``, which runs the rebalance listeners before returning records; a poll with nothing to return waits
on a Condition that appends, markers, rebalances and ``wakeup()`` signal.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from kstreams_nb.clients.base import (
    NoOffsetForPartitionError,
    OffsetOutOfRangeError,
    RebalanceListener,
)
from kstreams_nb.clients.memory.assignor import Assignor
from kstreams_nb.clients.memory.broker import check_isolation
from kstreams_nb.clients.memory.group import (
    ASSIGN,
    LEAD,
    LOST,
    OK,
    REVOKE,
    ConsumerGroupMetadata,
    Subscription,
)
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
_RANGE_NAMES = ("range", "RangeAssignor", "org.apache.kafka.clients.consumer.RangeAssignor")


def _assignor_from(value: object) -> Assignor | None:
    """``partition.assignment.strategy``: None for the built-in range assignor, else the callable."""
    if value is None or (isinstance(value, str) and value.strip() in _RANGE_NAMES):
        return None
    if callable(value):
        return cast(Assignor, value)
    raise ConfigError(
        f"partition.assignment.strategy must be 'range' or a callable assignor(subscriptions, partitions, "
        f"member_metadata) -> {{member_id: [TopicPartition, ...]}}, got {value!r}"
    )


class MemoryConsumer:
    """A consumer of the embedded broker, in a group (``subscribe``) or standalone (``assign``).

    Config keys (Kafka's): ``group.id``, ``client.id``, ``isolation.level`` (default ``read_uncommitted``),
    ``auto.offset.reset`` (``earliest`` default here, ``latest``, ``none``: ``poll_batch`` / ``position`` raise
    NoOffsetForPartitionError, or OffsetOutOfRangeError, naming the partitions to ``seek``),
    ``max.poll.interval.ms`` (default 300000), ``partition.assignment.strategy`` (``"range"`` default, or a
    callable :data:`~kstreams_nb.clients.base.Assignor` run inside the poll of the group's leader — the member
    that joined first — whose result is checked: every subscribed partition exactly once, else BrokerError from
    that poll) and ``member.metadata`` (any object, handed as is to the leader's assignor). Unknown keys are
    ignored.

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
        self._assignor = _assignor_from(config.get("partition.assignment.strategy"))
        self._member_metadata: Any = config.get("member.metadata")
        self._mode: str | None = None  # None | "subscribe" | "assign"
        self._subscription: Subscription = ()
        self._member_id = ""
        self._generation = -1
        self._on_assign: RebalanceListener | None = None
        self._on_revoke: RebalanceListener | None = None
        self._on_lost: RebalanceListener | None = None
        self._assigned: list[TopicPartition] = []
        self._logs: dict[TopicPartition, PartitionLog | None] = {}
        self._positions: dict[TopicPartition, int] = {}
        self._unresolved: set[TopicPartition] = set()
        self._out_of_range: set[TopicPartition] = set()  # auto.offset.reset=none: poll raises until seek
        self._paused: set[TopicPartition] = set()
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
        on_lost: RebalanceListener | None = None,
    ) -> None:
        """Join the group for these topics (or every topic matching a pattern, now or created later).

        Listeners run inside ``poll_batch`` (and ``unsubscribe``/``close``): ``on_assign`` with the new
        partitions, ``on_revoke`` before a rebalance takes every partition away (commits still work), ``on_lost``
        when this member was dropped from the group and its partitions may already be elsewhere (default:
        ``on_revoke``; Kafka's onPartitionsLost). After ``unsubscribe()`` it joins again with a fresh member id.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("t")
            >>> c = MemoryConsumer(broker, {"group.id": "g"})
            >>> c.subscribe(["t"]); _ = c.poll_batch(1, timeout=0.0); first = c.group_metadata().member_id
            >>> c.unsubscribe(); c.subscribe(["t"]); _ = c.poll_batch(1, timeout=0.0)
            >>> c.group_metadata().member_id != first, c.group_metadata().generation, c.assignment()
            (True, 2, [TopicPartition(topic='t', partition=0)])
            >>> c.close()
        """
        self._check_open()
        if self._mode == "assign":
            raise BrokerError("subscribe() after assign(): call unsubscribe() first (they cannot be mixed)")
        group = self._group()
        subscription: Subscription
        if isinstance(topics, re.Pattern):
            subscription = topics
        else:
            subscription = (topics,) if isinstance(topics, str) else tuple(topics)
        self._on_assign, self._on_revoke, self._on_lost = on_assign, on_revoke, on_lost
        self._subscription = subscription
        if self._mode == "subscribe":
            group.resubscribe(self._member_id, subscription)
            return
        self._join(group)
        self._mode = "subscribe"

    def unsubscribe(self) -> None:
        """Leave the group or drop a manual assignment.

        In a group, the current partitions go to ``on_revoke`` first, or to ``on_lost`` when this member was
        already dropped (it did not poll within ``max.poll.interval.ms``); the member leaves the group even if the
        listener raises (the error is re-raised). ``subscribe`` may be called again afterwards.
        """
        if self._mode == "subscribe":
            group = self._group()
            try:
                if group.has_member(self._member_id):
                    self._revoke_all()
                else:
                    self._lose_all()
            finally:
                group.leave(self._member_id)
                self._member_id, self._generation = "", -1
                self._mode = None
        else:
            self._set_assignment([])
            self._mode = None

    def _join(self, group: ConsumerGroup) -> None:
        self._member_id = group.join(
            self._client_id,
            self._subscription,
            self._waker,
            self._max_poll_interval_ms,
            self._assignor,
            self._member_metadata,
        )
        self._generation = -1

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

        Runs rebalance listeners first when the group changed (and, on the leader, the client-side assignor,
        whose exceptions and invalid results — BrokerError — propagate from here; the next poll retries). A
        member dropped from the group calls ``on_lost`` (default ``on_revoke``) and rejoins as a new member.
        Waits up to ``timeout`` seconds when nothing is available; returns ``[]`` on timeout or after ``wakeup()``.

        Under ``auto.offset.reset=none`` raises NoOffsetForPartitionError (no committed offset) or
        OffsetOutOfRangeError (a position outside its log) naming the partitions, on every poll until they are
        sought.
        """
        self._check_open()
        if self._mode is None:
            raise BrokerError(f"consumer {self._client_id!r} is not subscribed to any topic nor assigned any partition")
        deadline = time.monotonic() + max(timeout, 0.0)
        if self._read_committed:  # the coordinator has no thread: time out abandoned transactions from here
            self._broker.transactions.abort_expired()
        try:
            while True:
                if self._waker.clear():
                    return []
                if self._mode != "subscribe" or self._drive_group():
                    if self._unresolved:
                        self._resolve_positions()
                    if self._out_of_range:
                        self._raise_out_of_range()
                    records = self._fetch(max_records)
                    if records:
                        return records  # a partition found out of range meanwhile raises at the next poll
                    if self._out_of_range:
                        self._raise_out_of_range()
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
                self._lose_all()
                self._join(group)
            elif result.action == LEAD:
                # The leader's SyncGroup: run this member's assignor here, outside every broker lock.
                plan = result.plan
                if plan is None:  # pragma: no cover - the group always sends a plan with LEAD
                    raise BrokerError(f"group {self._group_id!r} asked {self._member_id!r} to lead without a plan")
                group.install_assignment(self._member_id, plan.generation, plan.run())
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

    def _lose_all(self) -> None:
        lost = list(self._assigned)
        listener = self._on_lost if self._on_lost is not None else self._on_revoke
        try:
            if lost and listener is not None:
                listener(lost)
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
        self._out_of_range &= keep
        self._paused &= keep
        self._logs = logs
        self._assigned = list(dict.fromkeys(partitions))
        self._next_first = 0

    def _resolve_positions(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        """Positions of unresolved partitions (all assigned ones by default): committed offset, else the reset
        policy; NoOffsetForPartitionError for every one left without a position under ``none``."""
        pending = [tp for tp in (self._assigned if partitions is None else partitions) if tp in self._unresolved]
        if not pending:
            return
        committed: dict[TopicPartition, int | None] = {}
        unstable: set[TopicPartition] = set()
        if self._group_id is not None:
            committed, unstable = self._group().committed(pending, require_stable=self._read_committed)
        missing: list[TopicPartition] = []
        for tp in pending:
            if tp in unstable:
                continue  # an open transaction holds offsets for it (KIP-447): wait for it to end
            offset = committed.get(tp)
            if offset is None:
                if self._offset_reset == "none":
                    missing.append(tp)
                    continue
                offset = self._reset_offset(tp)
            self._positions[tp] = offset
            self._unresolved.discard(tp)
        if missing:
            where = f"in group {self._group_id!r}" if self._group_id is not None else "(the consumer has no group.id)"
            raise NoOffsetForPartitionError(
                missing,
                f"no committed offset for {', '.join(str(tp) for tp in missing)} {where} and auto.offset.reset is "
                "'none': seek(), seek_to_beginning() or seek_to_end() them, then poll again",
            )

    def _reset_offset(self, tp: TopicPartition) -> int:
        """The position the ``earliest`` / ``latest`` policy gives ``tp`` (not for ``none``)."""
        log = self._current_log(tp)
        if self._offset_reset == "earliest" or log is None:
            return 0
        return log.end_offset(self._read_committed)

    def _raise_out_of_range(self) -> None:
        tps = [tp for tp in self._assigned if tp in self._out_of_range]
        shown = ", ".join(f"{tp} (position {self._positions.get(tp)})" for tp in tps)
        raise OffsetOutOfRangeError(
            tps,
            f"the fetch positions of {shown} are outside their logs (the topic was deleted and re-created?) and "
            "auto.offset.reset is 'none': seek() them, then poll again",
        )

    def _fetch(self, max_records: int) -> list[ConsumerRecord]:
        assigned = self._assigned
        n = len(assigned)
        if n == 0 or max_records <= 0:
            return []
        first = self._next_first % n
        self._next_first = first + 1
        positions, logs, read_committed = self._positions, self._logs, self._read_committed
        skip = self._out_of_range | self._paused if self._paused else self._out_of_range
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
                if position is None or tp in skip:
                    continue
                if log is None or log.deleted:  # the topic is missing, or was deleted (and maybe re-created)
                    log = self._relookup(tp)
                    if log is None:
                        continue
                take = min(need, share)
                records, next_position = log.fetch(position, take, read_committed)
                if next_position < 0:  # out of range (Kafka's OffsetOutOfRange)
                    if self._offset_reset == "none":
                        self._out_of_range.add(tp)  # poll raises OffsetOutOfRangeError (after these records)
                        continue
                    position = positions[tp] = self._reset_offset(tp)
                    records, next_position = log.fetch(position, take, read_committed)
                    if next_position < 0:
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
        """Fetch ``tp`` from ``offset`` next (also inside ``on_assign``, before the committed offset is used)."""
        self._check_assigned(tp)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise BrokerError(f"cannot seek {tp} to offset {offset!r}: it must be an int >= 0")
        self._positions[tp] = offset
        self._unresolved.discard(tp)
        self._out_of_range.discard(tp)

    def seek_to_beginning(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions from their first offset next."""
        for tp in partitions:
            self._check_assigned(tp)
        for tp in partitions:
            self.seek(tp, 0)

    def seek_to_end(self, partitions: Sequence[TopicPartition]) -> None:
        """Fetch these partitions from their current end next: the LSO under read_committed, else the high
        watermark (0 for a topic that does not exist yet); records appended later are fetched.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("t")
            >>> _ = broker.produce("t", None, b"old")
            >>> c = MemoryConsumer(broker, {})
            >>> tp = TopicPartition("t", 0)
            >>> c.assign([tp]); c.seek_to_end([tp]); _ = broker.produce("t", None, b"new")
            >>> [r.value for r in c.poll_batch(10, timeout=0.0)]
            [b'new']
        """
        for tp in partitions:
            self._check_assigned(tp)
        for tp in partitions:
            log = self._current_log(tp)
            self.seek(tp, log.end_offset(self._read_committed) if log is not None else 0)

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        """Return no records of these assigned partitions until ``resume``; positions and assignment stay.
        A rebalance drops every pause, ``assign`` those of the partitions it drops (Kafka's SubscriptionState).

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("t", partitions=2)
            >>> _ = broker.produce("t", None, b"a", partition=0); _ = broker.produce("t", None, b"b", partition=1)
            >>> c = MemoryConsumer(broker, {})
            >>> c.assign([TopicPartition("t", 0), TopicPartition("t", 1)]); c.pause([TopicPartition("t", 0)])
            >>> [r.value for r in c.poll_batch(10, timeout=0.0)], c.paused()
            ([b'b'], {TopicPartition(topic='t', partition=0)})
        """
        for tp in partitions:
            self._check_assigned(tp, "pause")
        self._paused.update(partitions)

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        """Return records of these partitions again, from their positions (no-op for one not paused)."""
        for tp in partitions:
            self._check_assigned(tp, "resume")
        self._paused.difference_update(partitions)

    def paused(self) -> set[TopicPartition]:
        """The partitions paused now (a copy)."""
        return set(self._paused)

    def position(self, tp: TopicPartition) -> int:
        """The offset of the next record to fetch from ``tp`` (resolving it from the group or the reset policy;
        NoOffsetForPartitionError under ``auto.offset.reset=none`` when the group has no offset for it)."""
        self._check_assigned(tp, "read the position of")
        if tp in self._unresolved:
            if self._group_id is not None and self._read_committed:
                self._group().wait_committed([tp], True, _API_TIMEOUT)
            self._resolve_positions([tp])
        return self._positions[tp]

    def lag(self, tp: TopicPartition) -> int | None:
        """Offsets left to fetch from ``tp``: its end offset (LSO under read_committed, else the high watermark)
        minus the position, at least 0 (0 too while the topic does not exist). None when ``tp`` is not assigned
        or has no position yet (it is resolved by the next ``poll_batch`` or by ``position``). One lock, no
        per-record work. Markers and aborted records count, as in Kafka: a fetch skips them.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("t")
            >>> _ = broker.produce_batch("t", [(None, b"a"), (None, b"b"), (None, b"c")])
            >>> c = MemoryConsumer(broker, {})
            >>> tp = TopicPartition("t", 0)
            >>> c.assign([tp]); c.lag(tp)
            >>> _ = c.poll_batch(1, timeout=0.0); c.lag(tp), c.lag(TopicPartition("t", 1))
            (2, None)
        """
        position = self._positions.get(tp)
        if position is None or tp not in self._logs:
            return None
        log = self._current_log(tp)
        if log is None:
            return 0
        return max(0, log.end_offset(self._read_committed) - position)

    def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """End offsets as this consumer sees them: the LSO under read_committed, else the high watermark."""
        result: dict[TopicPartition, int] = {}
        for tp in partitions:
            log = self._broker.log(tp)
            if log is None:
                raise UnknownTopicError(f"unknown topic partition {tp}")
            result[tp] = log.end_offset(self._read_committed)
        return result

    def offsets_for_times(self, timestamps: Mapping[TopicPartition, int]) -> dict[TopicPartition, int | None]:
        """The earliest offset of each partition whose timestamp is >= the given one (None: no such record);
        scans the log (the embedded broker keeps no time index). UnknownTopicError for a missing partition.

        Example::

            >>> from kstreams_nb.clients.memory import EmbeddedBroker
            >>> broker = EmbeddedBroker()
            >>> broker.create_topic("t")
            >>> _ = [broker.produce("t", None, b"x", timestamp=ts) for ts in (10, 30, 20)]
            >>> MemoryConsumer(broker, {}).offsets_for_times({TopicPartition("t", 0): 15})
            {TopicPartition(topic='t', partition=0): 1}
        """
        result: dict[TopicPartition, int | None] = {}
        for tp, timestamp in timestamps.items():
            log = self._broker.log(tp)
            if log is None:
                raise UnknownTopicError(f"unknown topic partition {tp}")
            records, _ = log.fetch(0, 1 << 62, self._read_committed)
            result[tp] = next((r.offset for r in records if r.timestamp >= timestamp), None)
        return result

    def committed(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        """The group's committed offsets (None where none); under read_committed waits for open transactions."""
        group = self._group()
        if self._read_committed:
            return group.wait_committed(list(partitions), True, _API_TIMEOUT)
        return group.committed(list(partitions))[0]

    def committed_metadata(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, str | None]:
        """The metadata string committed with each partition's offset (None: no offset, or committed without
        metadata); under read_committed waits for open transactions holding offsets of ``partitions``."""
        return self._group().committed_metadata(list(partitions), self._read_committed, _API_TIMEOUT)

    def wait_for_committed(self, offsets: Mapping[TopicPartition, int], timeout: float) -> bool:
        """Block until the group's committed offsets reach ``offsets`` (True) or ``timeout`` seconds pass (False)."""
        return self._group().wait_until_committed(offsets, timeout)

    def commit(
        self, offsets: Mapping[TopicPartition, int], metadata: Mapping[TopicPartition, str] | None = None
    ) -> None:
        """Commit the next offsets to read, each with an optional metadata string (Kafka's OffsetAndMetadata);
        CommitFailedError when this member is no longer in the generation, BrokerError for metadata of a
        partition not in ``offsets`` or longer than 4096 characters."""
        self._check_open()
        for tp, offset in offsets.items():
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise BrokerError(f"invalid offset {offset!r} to commit for {tp}")
        if self._mode == "subscribe":
            self._group().commit(offsets, self._generation, self._member_id, metadata)
        else:
            self._group().commit(offsets, -1, "", metadata)

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

    def _current_log(self, tp: TopicPartition) -> PartitionLog | None:
        """The log of assigned ``tp`` now (following a deleted and re-created topic), without re-registering."""
        log = self._logs.get(tp)
        if log is None or log.deleted:
            log = self._broker.log(tp)
        return log

    def _check_assigned(self, tp: TopicPartition, action: str = "seek") -> None:
        if tp not in self._logs:
            raise BrokerError(
                f"cannot {action} {tp}: it is not assigned to consumer {self._client_id!r} (assigned: "
                f"{', '.join(map(str, self._assigned)) or 'none'})"
            )

    def __repr__(self) -> str:
        return (
            f"MemoryConsumer(client_id={self._client_id!r}, group_id={self._group_id!r}, assignment={self._assigned})"
        )
