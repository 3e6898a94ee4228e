"""Kafka's RangeAssignor (``org.apache.kafka.clients.consumer.RangeAssignor``), the classic consumer default.

Per topic: the partitions in order, the members subscribed to it sorted by member id; each member gets a
contiguous range of ``n // m`` partitions and the first ``n % m`` members one more.

Example::

    >>> a = range_assign({"m1": {"t"}, "m2": {"t"}}, {"t": 3})
    >>> [(tp.topic, tp.partition) for tp in a["m1"]], [tp.partition for tp in a["m2"]]
    ([('t', 0), ('t', 1)], [2])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from kstreams_nb.records import TopicPartition

__all__ = ["range_assign"]


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
