"""A consumer group on the embedded broker: members, generations, eager rebalances, committed offsets.

It follows Kafka's classic group protocol with the eager rebalance strategy. A membership or metadata change
moves the group from STABLE to PREPARING_REBALANCE; every member must then rejoin from its next poll, after
giving up all its partitions (``on_revoke``). When the last member has rejoined (or members that stopped polling
for ``max.poll.interval.ms`` are removed), the generation is bumped and the assignment is computed by the
assignor of the LEADER (the member that joined first): the built-in RANGE assignor at once, under the group
lock; a client-side assignor (a callable ``partition.assignment.strategy``) by the leader itself, in its next
poll, outside the lock (state COMPLETING_REBALANCE, Kafka's SyncGroup: followers wait meanwhile), its result
checked before it is installed. Each member then picks up its partitions (``on_assign``) on its next poll.
A member that is no longer in the group learns it on its next poll (action ``lost``). Offset commits (an offset
and an optional metadata string per partition, Kafka's OffsetAndMetadata) are accepted only from members of the
current generation; transactional offsets are staged until their transaction ends (KIP-447).

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
from typing import Any, NamedTuple

from kstreams_nb.clients.memory.assignor import Assignor, check_assignment, range_assign
from kstreams_nb.clients.memory.errors import CommitFailedError
from kstreams_nb.clients.memory.log import Waker
from kstreams_nb.errors import BrokerError
from kstreams_nb.records import TopicPartition

__all__ = [
    "MAX_METADATA_LENGTH",
    "AssignmentPlan",
    "ConsumerGroup",
    "ConsumerGroupMetadata",
    "GroupDescription",
    "Subscription",
    "SyncResult",
    "check_commit_metadata",
]

log = logging.getLogger(__name__)

Subscription = tuple[str, ...] | re.Pattern[str]

EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE = (
    "Empty",
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
)
# What a member must do at the start of a poll (SyncResult.action).
OK, REVOKE, WAIT, ASSIGN, LOST, LEAD = "ok", "revoke", "wait", "assign", "lost", "lead"

MAX_METADATA_LENGTH = 4096
"""Longest offset commit metadata string (Kafka's broker default ``offset.metadata.max.bytes``)."""

# An offset commit as stored: (next offset to read, metadata string or None).
_Commit = tuple[int, str | None]


def check_commit_metadata(
    offsets: Mapping[TopicPartition, int], metadata: Mapping[TopicPartition, str] | None
) -> dict[TopicPartition, _Commit]:
    """Pair each offset with its metadata string; BrokerError for metadata of a partition not in ``offsets``, a
    non-str value or one longer than :data:`MAX_METADATA_LENGTH` (Kafka's OFFSET_METADATA_TOO_LARGE).

    Example::

        >>> tp = TopicPartition("t", 0)
        >>> check_commit_metadata({tp: 5}, {tp: "m"}), check_commit_metadata({tp: 5}, None)
        ({TopicPartition(topic='t', partition=0): (5, 'm')}, {TopicPartition(topic='t', partition=0): (5, None)})
    """
    if not metadata:
        return {tp: (offset, None) for tp, offset in offsets.items()}
    for tp, text in metadata.items():
        if tp not in offsets:
            raise BrokerError(f"commit metadata given for {tp}, which has no offset in the same commit")
        if not isinstance(text, str):
            raise BrokerError(f"commit metadata for {tp} must be a str, got {type(text).__name__}")
        if len(text) > MAX_METADATA_LENGTH:
            raise BrokerError(
                f"commit metadata for {tp} is {len(text)} characters long; the broker accepts at most "
                f"{MAX_METADATA_LENGTH} (offset.metadata.max.bytes)"
            )
    return {tp: (offset, metadata.get(tp)) for tp, offset in offsets.items()}


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


@dataclass(frozen=True)
class AssignmentPlan:
    """What the leader's client-side assignor works from (Kafka's JoinGroup response to the leader).

    ``subscriptions`` (member id → sorted topics, leader first) and ``partitions`` (subscribed topic → partition
    count) are snapshots taken when the last member rejoined; ``member_metadata`` holds each member's
    ``member.metadata`` object. :meth:`run` calls the assignor on fresh copies.

    Example::

        >>> plan = AssignmentPlan(1, "m1", lambda s, p, md: {"m1": [TopicPartition("t", 0)]}, {"m1": ("t",)},
        ...                       {"t": 1}, {"m1": None})
        >>> plan.run()
        {'m1': [TopicPartition(topic='t', partition=0)]}
    """

    generation: int
    leader: str
    assignor: Assignor
    subscriptions: dict[str, tuple[str, ...]]
    partitions: dict[str, int]
    member_metadata: dict[str, Any]

    def run(self) -> Mapping[str, Any]:
        """Call the assignor (user code: run it outside every lock)."""
        return self.assignor(
            {member: list(topics) for member, topics in self.subscriptions.items()},
            dict(self.partitions),
            dict(self.member_metadata),
        )


class SyncResult(NamedTuple):
    """The group's answer to a polling member: an action, the generation, (for ``assign``) its partitions and
    (for ``lead``) the plan its assignor must compute.

    Example::

        >>> SyncResult("ok", 3).assignment, SyncResult("ok", 3).plan
        ((), None)
    """

    action: str
    generation: int
    assignment: tuple[TopicPartition, ...] = ()
    plan: AssignmentPlan | None = None


class _Member:
    __slots__ = (
        "assignor",
        "client_id",
        "joined",
        "last_seen",
        "max_poll_interval",
        "member_id",
        "metadata",
        "polling",
        "subscription",
        "waker",
    )

    def __init__(
        self,
        member_id: str,
        client_id: str,
        subscription: Subscription,
        waker: Waker,
        interval: float,
        now: float,
        assignor: Assignor | None,
        metadata: Any,
    ) -> None:
        self.member_id = member_id
        self.client_id = client_id
        self.subscription = subscription
        self.waker = waker
        self.max_poll_interval = interval
        self.last_seen = now
        self.polling = False
        self.joined = True
        self.assignor = assignor
        self.metadata = metadata

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
        self._plan: AssignmentPlan | None = None  # while COMPLETING_REBALANCE
        self._committed: dict[TopicPartition, int] = {}
        self._metadata: dict[TopicPartition, str] = {}  # commit metadata (absent: None)
        self._pending: dict[object, dict[TopicPartition, _Commit]] = {}

    # -- membership ---------------------------------------------------------------------------------------------

    def join(
        self,
        client_id: str,
        subscription: Subscription,
        waker: Waker,
        max_poll_interval_ms: int,
        assignor: Assignor | None = None,
        metadata: Any = None,
    ) -> str:
        """Add a member (which triggers a rebalance) and return its new member id.

        ``assignor`` (None: the built-in range assignor) is used when this member leads the group; ``metadata``
        is what every leader's assignor gets for this member.
        """
        member_id = f"{client_id}-{uuid.uuid4()}"
        with self._lock:
            now = self._ticker()
            self._expire(now)
            self._members[member_id] = _Member(
                member_id, client_id, subscription, waker, max_poll_interval_ms / 1000.0, now, assignor, metadata
            )
            self._prepare_rebalance(f"member {member_id} joined", joiner=member_id)
        return member_id

    def has_member(self, member_id: str) -> bool:
        """True while ``member_id`` is in the group (members that exceeded ``max.poll.interval.ms`` are removed)."""
        with self._lock:
            self._expire(self._ticker())
            return member_id in self._members

    def leader(self) -> str | None:
        """The member id of the leader (the member that joined first), None when the group is empty."""
        with self._lock:
            return next(iter(self._members), None)

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
        """What a member polling with ``generation`` (its last known one) must do now; marks it as polling.

        ``lead``: this member must run ``result.plan`` (its assignor) and :meth:`install_assignment` the result.
        """
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
            if self._state == COMPLETING_REBALANCE:
                plan = self._plan
                if plan is not None and plan.leader == member_id:
                    return SyncResult(LEAD, self._generation, (), plan)
                return SyncResult(WAIT, self._generation)
            if generation != self._generation:
                return SyncResult(ASSIGN, self._generation, self._assignment.get(member_id, ()))
            return SyncResult(OK, self._generation)

    def install_assignment(self, member_id: str, generation: int, assignment: object) -> bool:
        """The leader's assignor returned ``assignment`` for ``generation``: check it, then make it current.

        False (nothing done) when the plan is outdated: the group started another rebalance meanwhile, or
        ``member_id`` no longer leads it. BrokerError when the assignment is invalid (see
        :func:`~kstreams_nb.clients.memory.assignor.check_assignment`); the group keeps waiting for its leader.
        """
        with self._lock:
            plan = self._plan
        if plan is None or plan.leader != member_id or plan.generation != generation:
            return False
        name = getattr(plan.assignor, "__qualname__", None) or type(plan.assignor).__name__
        checked = check_assignment(  # outside the lock: it iterates what the assignor returned
            assignment,
            plan.subscriptions,
            plan.partitions,
            f"the partition assignor {name} of group {self.group_id!r} (run by leader {member_id!r}, generation "
            f"{generation}) returned an invalid assignment",
        )
        with self._lock:
            if self._plan is not plan:  # another rebalance started meanwhile
                return False
            self._assignment = checked
            self._plan = None
            self._state = STABLE
            log.debug("group %s: generation %d assigned %s", self.group_id, self._generation, self._assignment)
            self._notify()
            return True

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
            if self._state in (STABLE, COMPLETING_REBALANCE) and self._subscribed_topics() != self._assigned_topics:
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
        self._plan = None
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
        self._assigned_topics = {t: existing[t] for t in sorted({t for ts in subscriptions.values() for t in ts})}
        self._generation += 1
        leader = next(iter(self._members.values()))
        if leader.assignor is not None:
            # Kafka's SyncGroup: the leader computes the assignment in its own poll (user code, outside this lock).
            self._state = COMPLETING_REBALANCE
            self._assignment = {}
            self._plan = AssignmentPlan(
                self._generation,
                leader.member_id,
                leader.assignor,
                {member: tuple(sorted(topics)) for member, topics in subscriptions.items()},
                dict(self._assigned_topics),
                {m.member_id: m.metadata for m in self._members.values()},
            )
            log.debug("group %s: generation %d waits for leader %s", self.group_id, self._generation, leader.member_id)
        else:
            assignment = range_assign(subscriptions, self._assigned_topics)
            self._assignment = {member: tuple(tps) for member, tps in assignment.items()}
            self._state = STABLE
            log.debug("group %s: generation %d assigned %s", self.group_id, self._generation, self._assignment)
        self._notify()

    def _notify(self) -> None:
        for member in self._members.values():
            member.waker.notify()
        self._cond.notify_all()

    # -- offsets ------------------------------------------------------------------------------------------------

    def commit(
        self,
        offsets: Mapping[TopicPartition, int],
        generation: int,
        member_id: str,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Commit offsets (the next offsets to read), each with an optional metadata string, for a member of the
        current generation. A partition committed without metadata has none afterwards.

        A consumer outside the group (``member_id`` "" and generation -1, i.e. ``assign()``) may commit only
        while the group has no members, as in Kafka.
        """
        commits = check_commit_metadata(offsets, metadata)
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
            self._apply(commits)
            self._cond.notify_all()

    def stage_txn_offsets(
        self,
        token: object,
        offsets: Mapping[TopicPartition, int],
        generation: int,
        member_id: str,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Stage offsets (and metadata) sent inside a transaction; they are committed when the transaction commits.

        As Kafka's TxnOffsetCommit: an unknown member id or a stale generation (KIP-447) is rejected.
        """
        commits = check_commit_metadata(offsets, metadata)
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
            self._pending.setdefault(token, {}).update(commits)

    def end_txn(self, token: object, commit: bool) -> None:
        """The transaction ``token`` ended: its staged offsets are committed (or dropped)."""
        with self._lock:
            staged = self._pending.pop(token, None)
            if staged is None:
                return
            if commit:
                self._apply(staged)
                self._cond.notify_all()
            self._notify()

    def _apply(self, commits: Mapping[TopicPartition, _Commit]) -> None:
        for tp, (offset, text) in commits.items():
            self._committed[tp] = offset
            if text is None:
                self._metadata.pop(tp, None)
            else:
                self._metadata[tp] = text

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
            if require_stable:
                self._wait_stable_locked(partitions, timeout)
            return {tp: self._committed.get(tp) for tp in partitions}

    def committed_metadata(
        self, partitions: Collection[TopicPartition], require_stable: bool = False, timeout: float = 0.0
    ) -> dict[TopicPartition, str | None]:
        """The metadata committed with each partition's offset (None: none); as :meth:`wait_committed`, waits up
        to ``timeout`` seconds for open transactions holding offsets of ``partitions`` when ``require_stable``."""
        with self._cond:
            if require_stable:
                self._wait_stable_locked(partitions, timeout)
            return {tp: self._metadata.get(tp) for tp in partitions}

    def _wait_stable_locked(self, partitions: Collection[TopicPartition], timeout: float) -> None:
        if not self._cond.wait_for(lambda: not self._committed_locked(partitions, True)[1], timeout):
            raise BrokerError(
                f"timed out after {timeout}s waiting for open transactions with offsets for group "
                f"{self.group_id!r} to complete (UNSTABLE_OFFSET_COMMIT)"
            )

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
                self._metadata.pop(tp, None)

    # -- introspection ------------------------------------------------------------------------------------------

    def describe(self) -> GroupDescription:
        """State, generation and assignment (members map to [] while a rebalance is in progress); the state is
        ``Empty``, ``PreparingRebalance``, ``CompletingRebalance`` (waiting for the leader's assignor) or
        ``Stable``."""
        with self._lock:
            stable = self._state == STABLE
            members = {m: list(self._assignment.get(m, ())) if stable else [] for m in sorted(self._members)}
            return GroupDescription(self.group_id, self._state, self._generation, members)

    def committed_snapshot(self) -> dict[TopicPartition, int]:
        """Every committed offset of the group."""
        with self._lock:
            return dict(self._committed)
