"""Plan and create the topics an application needs, as Kafka's StreamsPartitionAssignor and
InternalTopicManager do: check source topics exist, size repartition topics from their upstream sources, size
changelog topics by task count, enforce co-partitioning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kstreams_nb.errors import TopologyError
from kstreams_nb.topology._builder import InternalTopologyBuilder, SinkSpec, SubtopologySpec

__all__ = ["TopicPlan", "plan_topics"]


@dataclass
class TopicPlan:
    """What an application reads and must create."""

    #: sub-topology id -> number of tasks (max partitions over its source topics)
    task_counts: dict[int, int] = field(default_factory=dict)
    #: sub-topology id -> decorated source topic names (pattern matches resolved)
    source_topics: dict[int, list[str]] = field(default_factory=dict)
    #: decorated internal topic -> partitions (repartition and changelog topics)
    internal_topics: dict[str, int] = field(default_factory=dict)
    #: decorated source topic -> partitions
    partitions: dict[str, int] = field(default_factory=dict)


def _decorate(app_id: str, builder: InternalTopologyBuilder, topic: str) -> str:
    return f"{app_id}-{topic}" if topic in builder.internal_topics else topic


def plan_topics(builder: InternalTopologyBuilder, app_id: str, existing: dict[str, int]) -> TopicPlan:
    """Compute the plan; raise TopologyError for missing source topics or co-partitioning mismatches.

    ``existing`` maps every topic on the cluster to its partition count.
    """
    plan = TopicPlan()
    subs = [s for s in builder.subtopologies() if not s.is_global]
    internal = builder.internal_topics
    missing: list[str] = []
    for sub in subs:
        topics = [_decorate(app_id, builder, t) for t in sub.source_topics]
        for pattern in sub.source_patterns:
            topics.extend(sorted(t for t in existing if _matches(pattern, t) and t not in topics))
        plan.source_topics[sub.id] = topics
        missing.extend(t for t in sub.source_topics if t not in internal and t not in existing)
    for g in builder.global_stores.values():
        if g.topic not in existing:
            missing.append(g.topic)
    if missing:
        raise TopologyError(
            f"Missing source topic(s) {sorted(set(missing))}: create them before starting the application "
            f"(Kafka Streams never creates source topics)."
        )
    for t, n in existing.items():
        plan.partitions[t] = n
    _size_repartition_topics(builder, app_id, subs, plan)
    for sub in subs:
        counts = [plan.partitions[t] for t in plan.source_topics[sub.id] if t in plan.partitions]
        plan.task_counts[sub.id] = max(counts) if counts else 0
        for store in sub.stores:
            spec = builder.stores.get(store)
            if spec is not None and spec.logging_enabled:
                plan.internal_topics[f"{app_id}-{store}-changelog"] = plan.task_counts[sub.id]
    _check_copartitioning(builder, app_id, plan)
    return plan


def _matches(pattern: re.Pattern[str], topic: str) -> bool:
    return pattern.fullmatch(topic) is not None


def _size_repartition_topics(
    builder: InternalTopologyBuilder, app_id: str, subs: list[SubtopologySpec], plan: TopicPlan
) -> None:
    """Repartition topic partitions = the given count, else the max source partitions of the writer sub-topology."""
    writers: dict[str, list[SubtopologySpec]] = {}
    for sub in subs:
        for name in sub.nodes:
            spec = builder.nodes[name]
            if isinstance(spec, SinkSpec) and spec.topic in builder.internal_topics:
                writers.setdefault(spec.topic, []).append(sub)
    pending = dict(builder.internal_topics)
    for _ in range(len(pending) + 1):  # fixed point: upstream repartition topics first
        progressed = False
        for topic, fixed in list(pending.items()):
            decorated = f"{app_id}-{topic}"
            if fixed is not None:
                count: int | None = fixed
            else:
                counts: list[int] = []
                unknown = False
                for sub in writers.get(topic, []):
                    for t in plan.source_topics[sub.id]:
                        if t in plan.partitions:
                            counts.append(plan.partitions[t])
                        else:
                            unknown = True
                if unknown and not counts:
                    continue
                count = max(counts) if counts else 1
            assert count is not None
            plan.partitions[decorated] = count
            plan.internal_topics[decorated] = count
            del pending[topic]
            progressed = True
        if not pending or not progressed:
            break
    if pending:
        raise TopologyError(f"cannot size repartition topics {sorted(pending)}: they form a cycle")


def _check_copartitioning(builder: InternalTopologyBuilder, app_id: str, plan: TopicPlan) -> None:
    for group in builder.copartition_groups:
        decorated = sorted(_decorate(app_id, builder, t) for t in group)
        external = {t: plan.partitions[t] for t in decorated if t in plan.partitions and
                    not any(t == f"{app_id}-{i}" for i in builder.internal_topics)}
        if len(set(external.values())) > 1:
            shown = ", ".join(f"{t} ({n} partitions)" for t, n in sorted(external.items()))
            raise TopologyError(
                f"Topics not co-partitioned: [{shown}]. Co-partitioned topics (joined streams and tables) must "
                f"have the same number of partitions."
            )
        if external:
            n = next(iter(external.values()))
            for t in decorated:
                if t in plan.internal_topics:
                    plan.internal_topics[t] = n
                    plan.partitions[t] = n

