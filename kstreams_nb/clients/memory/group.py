"""A consumer group on the embedded broker: members, generations, eager rebalances, committed offsets.

It follows Kafka's classic group protocol with the eager rebalance strategy. A membership or metadata change
moves the group from STABLE to PREPARING_REBALANCE; every member must then rejoin from its next poll, after
giving up all its partitions (``on_revoke``). When the last member has rejoined (or members that stopped polling
for ``max.poll.interval.ms`` are removed), the generation is bumped and the RANGE assignor computes the new
assignment, which each member picks up (``on_assign``) on its next poll. Offset commits are accepted only from
members of the current generation; transactional offsets are staged until their transaction ends (KIP-447).

Example::

    >>> from kstreams_nb.clients.memory.log import Waker
    >>> g = ConsumerGroup("app", lambda: {"t": 2}, ticker=lambda: 0.0)
    >>> m = g.join("c1", ("t",), Waker(), 300_000)
    >>> r = g.sync(m, -1)
    >>> r.action, r.generation, [tp.partition for tp in r.assignment]
    ('assign', 1, [0, 1])
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from kstreams_nb.clients.memory.assignor import range_assign
from kstreams_nb.clients.memory.errors import CommitFailedError
from kstreams_nb.clients.memory.log import Waker
from kstreams_nb.errors import BrokerError
from kstreams_nb.records import TopicPartition

__all__ = ["ConsumerGroup", "ConsumerGroupMetadata", "GroupDescription", "Subscription", "SyncResult"]

log = logging.getLogger(__name__)

Subscription = tuple[str, ...] | re.Pattern[str]

EMPTY, PREPARING_REBALANCE, STABLE = "Empty", "PreparingRebalance", "Stable"
# What a member must do at the start of a poll (SyncResult.action).
OK, REVOKE, WAIT, ASSIGN, LOST = "ok", "revoke", "wait", "assign", "lost"


@dataclass(frozen=True, slots=True)
class ConsumerGroupMetadata:
    """A consumer's group identity (Kafka's ConsumerGroupMetadata); ``generation`` -1 outside a group.

    Example::

        >>> ConsumerGroupMetadata("app", 3, "c1-1").generation
        3
    """

    group_id: str
    generation: int
    member_id: str


@dataclass(frozen=True)
class GroupDescription:
    """A snapshot of a group: state, generation and the current assignment of each member.

    Example::

        >>> GroupDescription("app", "Empty", 0).members
        {}
    """

    group_id: str
    state: str
    generation: int
    members: dict[str, list[TopicPartition]] = field(default_factory=dict)


class SyncResult(NamedTuple):
    """The group's answer to a polling member: an action, the generation and (for ``assign``) its partitions.

    Example::

        >>> SyncResult("ok", 3).assignment
        ()
    """

    action: str
    generation: int
    assignment: tuple[TopicPartition, ...] = ()


class _Member:
    __slots__ = (
        "client_id",
        "joined",
        "last_seen",
        "max_poll_interval",
        "member_id",
        "polling",
        "subscription",
        "waker",
    )

    def __init__(
        self, member_id: str, client_id: str, subscription: Subscription, waker: Waker, interval: float, now: float
    ) -> None:
        self.member_id = member_id
        self.client_id = client_id
        self.subscription = subscription
        self.waker = waker
        self.max_poll_interval = interval
        self.last_seen = now
        self.polling = False
        self.joined = True

    def topics(self, existing: Collection[str]) -> set[str]:
        sub = self.subscription
        if isinstance(sub, re.Pattern):
            return {t for t in existing if sub.fullmatch(t)}
        return {t for t in sub if t in existing}


class ConsumerGroup:
    """One group's coordinator state, behind one lock (see the module docstring for the protocol).

    ``topics`` returns the broker's current ``{topic: partitions}``; ``ticker`` is a monotonic clock in seconds
    used for ``max.poll.interval.ms``.

    Example::

        >>> g = ConsumerGroup("app", lambda: {"t": 1}, ticker=lambda: 0.0)
        >>> m = g.join("c1", ("t",), Waker(), 300_000)
        >>> g.sync(m, -1).generation, g.describe().state
        (1, 'Stable')
    """

    def __init__(self, group_id: str, topics: Callable[[], dict[str, int]], ticker: Callable[[], float]) -> None:
        self.group_id = group_id
        self._topics = topics
        self._ticker = ticker
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._state = EMPTY
        self._generation = 0
        self._members: dict[str, _Member] = {}
        self._assignment: dict[str, tuple[TopicPartition, ...]] = {}
        self._assigned_topics: dict[str, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._pending: dict[object, dict[TopicPartition, int]] = {}

    # -- membership ---------------------------------------------------------------------------------------------

    def join(self, client_id: str, subscription: Subscription, waker: Waker, max_poll_interval_ms: int) -> str:
        """Add a member (which triggers a rebalance) and return its new member id."""
        member_id = f"{client_id}-{uuid.uuid4()}"
        with self._lock:
            now = self._ticker()
            self._expire(now)
            self._members[member_id] = _Member(
                member_id, client_id, subscription, waker, max_poll_interval_ms / 1000.0, now
            )
            self._prepare_rebalance(f"member {member_id} joined", joiner=member_id)
        return member_id

    def resubscribe(self, member_id: str, subscription: Subscription) -> None:
        """Change a member's subscription; every member (this one too) revokes and rejoins."""
        with self._lock:
            member = self._members.get(member_id)
            if member is not None:
                member.subscription = subscription
                self._prepare_rebalance(f"member {member_id} changed its subscription")

    def leave(self, member_id: str) -> None:
        """Remove a member (close/unsubscribe); the others rebalance."""
        with self._lock:
            if self._members.pop(member_id, None) is not None:
                self._assignment.pop(member_id, None)
                self._prepare_rebalance(f"member {member_id} left")

    def sync(self, member_id: str, generation: int) -> SyncResult:
        """What a member polling with ``generation`` (its last known one) must do now; marks it as polling."""
        with self._lock:
            now = self._ticker()
            self._expire(now)
            member = self._members.get(member_id)
            if member is None:
                return SyncResult(LOST, self._generation)
            member.polling = True
            member.last_seen = now
            if self._state == PREPARING_REBALANCE:
                return SyncResult(WAIT if member.joined else REVOKE, self._generation)
            if generation != self._generation:
                return SyncResult(ASSIGN, self._generation, self._assignment.get(member_id, ()))
            return SyncResult(OK, self._generation)

    def rejoin(self, member_id: str) -> None:
        """A member gave up its partitions and rejoins the pending rebalance."""
        with self._lock:
            member = self._members.get(member_id)
            if member is not None and not member.joined:
                member.joined = True
                self._maybe_complete()

    def poll_done(self, member_id: str) -> None:
        """The member returned from poll: the ``max.poll.interval.ms`` timer starts now."""
        with self._lock:
            member = self._members.get(member_id)
            if member is not None:
                member.polling = False
                member.last_seen = self._ticker()

    def on_metadata_change(self) -> None:
        """Topics were created or deleted: rebalance if the subscribed topics' partitions changed."""
        with self._lock:
            if self._state == STABLE and self._subscribed_topics() != self._assigned_topics:
                self._prepare_rebalance("subscribed topic metadata changed")

    def _subscribed_topics(self) -> dict[str, int]:
        existing = self._topics()
        wanted: set[str] = set()
        for member in self._members.values():
            wanted |= member.topics(existing)
        return {t: existing[t] for t in wanted}

    def _expire(self, now: float) -> None:
        # A member blocked inside poll is alive (Kafka's poll drives the join); one that has not called poll for
        # longer than max.poll.interval.ms is removed, as Kafka's heartbeat thread makes it leave.
        gone = [
            m.member_id for m in self._members.values() if not m.polling and now - m.last_seen > m.max_poll_interval
        ]
        for member_id in gone:
            log.warning(
                "group %s: removing member %s, which did not poll within max.poll.interval.ms", self.group_id, member_id
            )
            del self._members[member_id]
            self._assignment.pop(member_id, None)
        if gone:
            self._prepare_rebalance(f"members {gone} exceeded max.poll.interval.ms")

    def _prepare_rebalance(self, reason: str, joiner: str | None = None) -> None:
        if not self._members:
            self._state = EMPTY
            self._assignment = {}
            self._assigned_topics = {}
            self._cond.notify_all()
            return
        if self._state != PREPARING_REBALANCE:
            log.debug("group %s: rebalancing (%s)", self.group_id, reason)
            self._state = PREPARING_REBALANCE
            for member in self._members.values():
                member.joined = False
        if joiner is not None:
            self._members[joiner].joined = True
        self._notify()
        self._maybe_complete()

    def _maybe_complete(self) -> None:
        if self._state != PREPARING_REBALANCE or not all(m.joined for m in self._members.values()):
            return
        existing = self._topics()
        subscriptions = {m.member_id: m.topics(existing) for m in self._members.values()}
        self._assigned_topics = {t: existing[t] for topics in subscriptions.values() for t in topics}
        assignment = range_assign(subscriptions, self._assigned_topics)
        self._assignment = {member: tuple(tps) for member, tps in assignment.items()}
        self._generation += 1
        self._state = STABLE
        log.debug("group %s: generation %d assigned %s", self.group_id, self._generation, self._assignment)
        self._notify()

    def _notify(self) -> None:
        for member in self._members.values():
            member.waker.notify()
        self._cond.notify_all()

    # -- offsets ------------------------------------------------------------------------------------------------

    def commit(self, offsets: Mapping[TopicPartition, int], generation: int, member_id: str) -> None:
        """Commit offsets (the next offsets to read) for a member of the current generation.

        A consumer outside the group (``member_id`` "" and generation -1, i.e. ``assign()``) may commit only
        while the group has no members, as in Kafka.
        """
        with self._lock:
            self._expire(self._ticker())
            if not member_id and generation < 0:
                if self._members:
                    raise CommitFailedError(
                        f"group {self.group_id!r} has active members; a consumer outside the group (assign()) "
                        "can commit offsets only while the group is empty"
                    )
            else:
                self._check_member(member_id, generation)
            self._committed.update(offsets)
            self._cond.notify_all()

    def stage_txn_offsets(
        self, token: object, offsets: Mapping[TopicPartition, int], generation: int, member_id: str
    ) -> None:
        """Stage offsets sent inside a transaction; they are committed when the transaction commits.

        As Kafka's TxnOffsetCommit: an unknown member id or a stale generation (KIP-447) is rejected.
        """
        with self._lock:
            self._expire(self._ticker())
            if member_id and member_id not in self._members:
                raise CommitFailedError(
                    f"transactional offset commit rejected: member {member_id!r} is not in group {self.group_id!r} "
                    "(it was removed or left); the producer's transaction must be aborted"
                )
            if generation >= 0 and generation != self._generation:
                raise CommitFailedError(
                    f"transactional offset commit rejected: generation {generation} of group {self.group_id!r} is "
                    f"stale (current generation {self._generation}); a newer member owns these partitions"
                )
            self._pending.setdefault(token, {}).update(offsets)

    def end_txn(self, token: object, commit: bool) -> None:
        """The transaction ``token`` ended: its staged offsets are committed (or dropped)."""
        with self._lock:
            staged = self._pending.pop(token, None)
            if staged is None:
                return
            if commit:
                self._committed.update(staged)
                self._cond.notify_all()
            self._notify()

    def _check_member(self, member_id: str, generation: int) -> None:
        if member_id not in self._members:
            raise CommitFailedError(
                f"commit rejected: member {member_id!r} is no longer in group {self.group_id!r} (it left or did not "
                "poll within max.poll.interval.ms); poll again to rejoin"
            )
        if generation != self._generation:
            raise CommitFailedError(
                f"commit rejected: generation {generation} of group {self.group_id!r} is stale (current generation "
                f"{self._generation}); the group rebalanced and the partitions may belong to another member"
            )

    def committed(
        self, partitions: Collection[TopicPartition], require_stable: bool = False
    ) -> tuple[dict[TopicPartition, int | None], set[TopicPartition]]:
        """Committed offsets (None when never committed) and, when ``require_stable``, the partitions whose
        offsets are staged in an open transaction (Kafka's UNSTABLE_OFFSET_COMMIT)."""
        with self._lock:
            return self._committed_locked(partitions, require_stable)

    def wait_committed(
        self, partitions: Collection[TopicPartition], require_stable: bool, timeout: float
    ) -> dict[TopicPartition, int | None]:
        """Committed offsets, waiting up to ``timeout`` seconds for open transactions holding them to end."""
        with self._cond:
            result: list[dict[TopicPartition, int | None]] = []

            def stable() -> bool:
                offsets, unstable = self._committed_locked(partitions, require_stable)
                if unstable:
                    return False
                result.append(offsets)
                return True

            if not self._cond.wait_for(stable, timeout):
                raise BrokerError(
                    f"timed out after {timeout}s waiting for open transactions with offsets for group "
                    f"{self.group_id!r} to complete (UNSTABLE_OFFSET_COMMIT)"
                )
            return result[-1]

    def wait_until_committed(self, targets: Mapping[TopicPartition, int], timeout: float) -> bool:
        """Wait until the committed offset of every partition in ``targets`` reaches its target; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: all((self._committed.get(tp) or 0) >= end for tp, end in targets.items()), timeout
            )

    def _committed_locked(
        self, partitions: Collection[TopicPartition], require_stable: bool
    ) -> tuple[dict[TopicPartition, int | None], set[TopicPartition]]:
        unstable: set[TopicPartition] = set()
        if require_stable and self._pending:
            for staged in self._pending.values():
                unstable.update(tp for tp in partitions if tp in staged)
        return {tp: self._committed.get(tp) for tp in partitions}, unstable

    def drop_topic(self, topic: str) -> None:
        """Forget committed offsets of a deleted topic (as Kafka does)."""
        with self._lock:
            for tp in [tp for tp in self._committed if tp.topic == topic]:
                del self._committed[tp]

    # -- introspection ------------------------------------------------------------------------------------------

    def describe(self) -> GroupDescription:
        """State, generation and assignment (members map to [] while a rebalance is in progress)."""
        with self._lock:
            stable = self._state == STABLE
            members = {m: list(self._assignment.get(m, ())) if stable else [] for m in sorted(self._members)}
            return GroupDescription(self.group_id, self._state, self._generation, members)

    def committed_snapshot(self) -> dict[TopicPartition, int]:
        """Every committed offset of the group."""
        with self._lock:
            return dict(self._committed)
