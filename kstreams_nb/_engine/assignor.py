"""The task assignor: Kafka's StreamsPartitionAssignor, reduced to what one application needs.

Consumer-group members are stream threads. Partitions are grouped into tasks (sub-topology × partition: task p
reads partition p of every source topic of its sub-topology, Kafka's PartitionGrouper) and each task goes, with
ALL its partitions, to one member: the member that ran it before when that keeps the load balanced (sticky),
otherwise the least loaded one. The group's leader runs it (``partition.assignment.strategy``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb.records import TaskId, TopicPartition

__all__ = ["MemberInfo", "TaskAssignor"]


@dataclass(eq=False)
class MemberInfo:
    """What a stream thread tells the assignor (its ``member.metadata``): who it is and what it runs now."""

    process_id: str
    thread_index: int
    owned: Callable[[], set[TaskId]] = field(default=lambda: set())

    def sort_key(self) -> tuple[str, int]:
        """Members are ordered by process, then thread."""
        return (self.process_id, self.thread_index)


class TaskAssignor:
    """``assignor(subscriptions, partitions, member_metadata) -> {member: [TopicPartition]}``."""

    def __init__(self, subtopology_of: Callable[[str], int]) -> None:
        self._subtopology_of = subtopology_of

    def tasks(self, topics: Mapping[str, int]) -> dict[TaskId, list[TopicPartition]]:
        """Every task and its partitions, for the subscribed topics and their partition counts."""
        out: dict[TaskId, list[TopicPartition]] = {}
        for topic in sorted(topics):
            sub = self._subtopology_of(topic)
            for p in range(topics[topic]):
                out.setdefault(TaskId(sub, p), []).append(TopicPartition(topic, p))
        return out

    def __call__(
        self,
        subscriptions: Mapping[str, Sequence[str]],
        partitions: Mapping[str, int],
        member_metadata: Mapping[str, Any],
    ) -> dict[str, list[TopicPartition]]:
        members = sorted(subscriptions, key=lambda m: _sort_key(member_metadata.get(m), m))
        out: dict[str, list[TopicPartition]] = {m: [] for m in members}
        if not members:
            return out
        subscribed = {t for topics in subscriptions.values() for t in topics}
        tasks = self.tasks({t: n for t, n in partitions.items() if t in subscribed})
        capacity = math.ceil(len(tasks) / len(members))
        load = dict.fromkeys(members, 0)
        owner: dict[TaskId, str] = {}
        for m in members:  # sticky: a task stays with its current owner while that keeps the load balanced
            info = member_metadata.get(m)
            owned = info.owned() if isinstance(info, MemberInfo) else set()
            for task in sorted(owned & tasks.keys()):
                if task not in owner and load[m] < capacity:
                    owner[task] = m
                    load[m] += 1
        for task in sorted(tasks):
            if task not in owner:
                m = min(members, key=lambda x: (load[x], members.index(x)))
                owner[task] = m
                load[m] += 1
        for task, m in owner.items():
            out[m].extend(tasks[task])
        return out


def _sort_key(info: Any, member_id: str) -> tuple[str, int, str]:
    if isinstance(info, MemberInfo):
        return (*info.sort_key(), member_id)
    return ("", 0, member_id)
