"""Partition assignment: Kafka's RangeAssignor (the classic consumer default) and the check of a client-side
assignor's result.

Range (``org.apache.kafka.clients.consumer.RangeAssignor``), per topic: the partitions in order, the members
subscribed to it sorted by member id; each member gets a contiguous range of ``n // m`` partitions and the first
``n % m`` members one more.

Example::

    >>> a = range_assign({"m1": {"t"}, "m2": {"t"}}, {"t": 3})
    >>> [(tp.topic, tp.partition) for tp in a["m1"]], [tp.partition for tp in a["m2"]]
    ([('t', 0), ('t', 1)], [2])
    >>> check_assignment({"m1": [TopicPartition("t", 0)]}, {"m1": ["t"], "m2": ["t"]}, {"t": 2}, "demo")
    Traceback (most recent call last):
    ...
    kstreams_nb.errors.BrokerError: demo: partition t-1 is not assigned to any member
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from kstreams_nb.errors import BrokerError
from kstreams_nb.records import TopicPartition

__all__ = ["Assignor", "check_assignment", "range_assign", "range_assignor"]

Assignor = Callable[[dict[str, list[str]], dict[str, int], dict[str, Any]], Mapping[str, Sequence[TopicPartition]]]
"""A client-side partition assignor (Kafka's ConsumerPartitionAssignor, e.g. StreamsPartitionAssignor), given as
the consumer config ``partition.assignment.strategy``.

``assignor(subscriptions, partitions, member_metadata)`` gets member id → subscribed topics (patterns already
resolved to the existing topics they match; members in join order, the leader first), topic → partition count
(every subscribed topic that exists) and member id → the member's ``member.metadata`` config (the object itself,
not a copy). It returns member id → partitions. The group runs the assignor of its LEADER (the member that
joined first) inside the leader's ``poll_batch``, outside every broker lock; followers wait meanwhile.

Example: everything to the member whose metadata is 0::

    >>> def first_thread(subscriptions, partitions, member_metadata):
    ...     chosen = next(m for m, md in member_metadata.items() if md == 0)
    ...     return {chosen: [TopicPartition(t, p) for t in sorted(partitions) for p in range(partitions[t])]}
    >>> first_thread({"m1": ["t"], "m2": ["t"]}, {"t": 2}, {"m1": 1, "m2": 0})["m2"]
    [TopicPartition(topic='t', partition=0), TopicPartition(topic='t', partition=1)]
"""



def range_assign(
    subscriptions: Mapping[str, Collection[str]], partitions_per_topic: Mapping[str, int]
) -> dict[str, list[TopicPartition]]:
    """Assign partitions to members: ``subscriptions`` maps member id → topics; returns member id → partitions.

    Topics missing from ``partitions_per_topic`` are ignored (Kafka assigns only topics that exist). Each
    member's list is sorted by (topic, partition).
    """
    assignment: dict[str, list[TopicPartition]] = {member: [] for member in subscriptions}
    members_per_topic: dict[str, list[str]] = {}
    for member, topics in subscriptions.items():
        for topic in topics:
            if topic in partitions_per_topic:
                members_per_topic.setdefault(topic, []).append(member)
    for topic, members in members_per_topic.items():
        members.sort()
        n, m = partitions_per_topic[topic], len(members)
        per_member, extra = divmod(n, m)
        for i, member in enumerate(members):
            start = per_member * i + min(i, extra)
            length = per_member + (1 if i < extra else 0)
            assignment[member].extend(TopicPartition(topic, p) for p in range(start, start + length))
    for tps in assignment.values():
        tps.sort(key=lambda tp: (tp.topic, tp.partition))
    return assignment


def range_assignor(
    subscriptions: Mapping[str, Collection[str]], partitions: Mapping[str, int], member_metadata: Mapping[str, Any]
) -> dict[str, list[TopicPartition]]:
    """:func:`range_assign` in the shape of an ``Assignor`` (``partition.assignment.strategy``); ignores metadata.

    Example::

        >>> range_assignor({"a": ["t"], "b": ["t"]}, {"t": 2}, {"a": None, "b": None})["b"]
        [TopicPartition(topic='t', partition=1)]
    """
    return range_assign(subscriptions, partitions)


def check_assignment(
    assignment: object,
    subscriptions: Mapping[str, Collection[str]],
    partitions: Mapping[str, int],
    context: str,
) -> dict[str, tuple[TopicPartition, ...]]:
    """Check an assignor's result and return it as member id → partitions (every member present, [] if absent).

    Every partition of the subscribed topics (``partitions``) must go to exactly one member of ``subscriptions``
    that subscribes to its topic; otherwise BrokerError, its message starting with ``context``.

    Example::

        >>> check_assignment({"m": (TopicPartition("t", 0),)}, {"m": ["t"], "n": ["t"]}, {"t": 1}, "x")["n"]
        ()
    """

    def fail(problem: str) -> BrokerError:
        return BrokerError(f"{context}: {problem}")

    if not isinstance(assignment, Mapping):
        raise fail(f"it must return a mapping of member id -> partitions, got {type(assignment).__name__}")
    owner: dict[TopicPartition, str] = {}
    result: dict[str, tuple[TopicPartition, ...]] = {member: () for member in subscriptions}
    for member, tps in assignment.items():
        if member not in subscriptions:
            raise fail(f"{member!r} is not a member of the group (members: {sorted(subscriptions)})")
        if isinstance(tps, str | bytes) or not isinstance(tps, Iterable):
            raise fail(f"the partitions of member {member!r} must be a list of TopicPartition, got {tps!r}")
        taken = tuple(tps)
        for tp in taken:
            if not isinstance(tp, TopicPartition):
                raise fail(f"member {member!r} was given {tp!r}, which is not a TopicPartition")
            if not 0 <= tp.partition < partitions.get(tp.topic, 0):
                raise fail(f"member {member!r} was given {tp}, which is not a partition of a subscribed topic")
            if tp.topic not in subscriptions[member]:
                raise fail(f"member {member!r} was given {tp} but does not subscribe to topic {tp.topic!r}")
            if tp in owner:
                raise fail(f"partition {tp} is assigned more than once (to {owner[tp]!r} and {member!r})")
            owner[tp] = member
        result[member] = taken
    missing = [TopicPartition(t, p) for t in sorted(partitions) for p in range(partitions[t])]
    missing = [tp for tp in missing if tp not in owner]
    if missing:
        shown = ", ".join(str(tp) for tp in missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        raise fail(
            f"partition{'s' if len(missing) > 1 else ''} {shown} {'are' if len(missing) > 1 else 'is'} not "
            "assigned to any member"
        )
    return result
