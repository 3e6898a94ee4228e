"""Plan and create the topics an application needs, as Kafka's StreamsPartitionAssignor and
InternalTopicManager do: check source topics exist, size repartition topics from their upstream sources, enforce
co-partitioning, then size changelog topics by task count; internal topics get Kafka's topic configs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb._engine.control import CONTROL_TOPIC_CONFIG, control_topic
from kstreams_nb.errors import TopologyError
from kstreams_nb.topology._builder import InternalTopologyBuilder, SinkSpec, SubtopologySpec

__all__ = ["TopicPlan", "plan_topics"]

#: RepartitionTopicConfig: records are purged once committed, so time-based retention is off
REPARTITION_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1", "segment.bytes": "52428800"}
#: UnwindowedUnversionedChangelogTopicConfig
KV_CHANGELOG_CONFIG = {"cleanup.policy": "compact"}


@dataclass
class TopicPlan:
    """What an application reads and must create."""

    #: sub-topology id -> number of tasks (max partitions over its source topics)
    task_counts: dict[int, int] = field(default_factory=dict)
    #: sub-topology id -> decorated source topic names (pattern matches resolved)
    source_topics: dict[int, list[str]] = field(default_factory=dict)
    #: decorated internal topic -> partitions (repartition and changelog topics)
    internal_topics: dict[str, int] = field(default_factory=dict)
    #: decorated internal topic -> topic config to create it with
    topic_configs: dict[str, dict[str, str]] = field(default_factory=dict)
    #: decorated source topic -> partitions
    partitions: dict[str, int] = field(default_factory=dict)


def _decorate(app_id: str, builder: InternalTopologyBuilder, topic: str) -> str:
    return f"{app_id}-{topic}" if topic in builder.internal_topics else topic


def plan_topics(
    builder: InternalTopologyBuilder, app_id: str, existing: dict[str, int], config: dict[str, Any] | None = None
) -> TopicPlan:
    """Compute the plan; raise TopologyError for missing source topics or co-partitioning mismatches.

    ``existing`` maps every topic on the cluster to its partition count; ``config`` is the application's (for
    ``windowstore.changelog.additional.retention.ms``).
    """
    plan = TopicPlan()
    subs = [s for s in builder.subtopologies() if not s.is_global]
    internal = builder.internal_topics
    missing: list[str] = []
    control = control_topic(app_id)
    for sub in subs:
        topics = [_decorate(app_id, builder, t) for t in sub.source_topics]
        for pattern in sub.source_patterns:
            topics.extend(sorted(t for t in existing if _matches(pattern, t) and t not in topics and t != control))
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
    plan.partitions.update(existing)
    # repartition counts, then co-partitioning, then (since enforcement can change counts) again downstream
    fixed = _enforce_copartitioning(builder, app_id, plan, _size_repartition_topics(builder, app_id, subs, plan, {}))
    _size_repartition_topics(builder, app_id, subs, plan, fixed)
    for topic in internal:
        plan.topic_configs[f"{app_id}-{topic}"] = dict(REPARTITION_CONFIG)
    plan.internal_topics[control] = 1  # SHUTDOWN_APPLICATION requests (see _engine.control)
    plan.topic_configs[control] = dict(CONTROL_TOPIC_CONFIG)
    additional = int((config or {}).get("windowstore.changelog.additional.retention.ms", 86_400_000))
    for sub in subs:
        sized = {t: plan.partitions[t] for t in plan.source_topics[sub.id] if t in plan.partitions}
        if len(set(sized.values())) > 1:
            # a task is (sub-topology, partition); the consumer group's range assignment keeps partition i of
            # equally sized topics on one member only, so a task over topics of other sizes could run twice
            shown = ", ".join(f"{t} ({n} partitions)" for t, n in sorted(sized.items()))
            raise TopologyError(
                f"Sub-topology {sub.id} reads topics with different partition counts: {shown}. Give them the same "
                f"number of partitions, or repartition one of them (KStream.repartition) before they meet."
            )
        plan.task_counts[sub.id] = max(sized.values()) if sized else 0
        for store in sub.stores:
            spec = builder.stores.get(store)
            if spec is not None and spec.logging_enabled:
                topic = f"{app_id}-{store}-changelog"
                plan.internal_topics[topic] = plan.task_counts[sub.id]
                plan.topic_configs[topic] = changelog_config(spec.builder, additional)
    return plan


def changelog_config(store_builder: Any, additional_retention_ms: int) -> dict[str, str]:
    """Kafka's changelog topic config for a store: compact for key-value stores, compact,delete with retention
    (store retention + ``windowstore.changelog.additional.retention.ms``) for window stores, then the store's
    own ``with_logging_enabled(config)`` on top."""
    retention = getattr(store_builder, "retention_period", None)
    if retention is not None:
        out = {"cleanup.policy": "compact,delete", "retention.ms": str(int(retention) + additional_retention_ms)}
    else:
        out = dict(KV_CHANGELOG_CONFIG)
    out.update({str(k): str(v) for k, v in (getattr(store_builder, "log_config", None) or {}).items()})
    return out


def _matches(pattern: re.Pattern[str], topic: str) -> bool:
    return pattern.fullmatch(topic) is not None


def _size_repartition_topics(
    builder: InternalTopologyBuilder,
    app_id: str,
    subs: list[SubtopologySpec],
    plan: TopicPlan,
    fixed: dict[str, int],
) -> dict[str, int]:
    """Repartition topic partitions: the given count (Repartitioned, or ``fixed`` by co-partitioning), else the
    max source partitions of the sub-topologies writing into it (resolved upstream first)."""
    writers: dict[str, list[SubtopologySpec]] = {}
    for sub in subs:
        for name in sub.nodes:
            spec = builder.nodes[name]
            if isinstance(spec, SinkSpec) and spec.topic in builder.internal_topics:
                writers.setdefault(spec.topic, []).append(sub)
    for topic in builder.internal_topics:
        plan.partitions.pop(f"{app_id}-{topic}", None)
    pending = dict(builder.internal_topics)
    sized: dict[str, int] = {}
    for _ in range(len(pending) + 1):  # fixed point: upstream repartition topics first
        progressed = False
        for topic, given in list(pending.items()):
            decorated = f"{app_id}-{topic}"
            count = fixed.get(decorated, given)
            if count is None:
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
            plan.partitions[decorated] = plan.internal_topics[decorated] = sized[decorated] = count
            del pending[topic]
            progressed = True
        if not pending or not progressed:
            break
    if pending:
        raise TopologyError(f"cannot size repartition topics {sorted(pending)}: they form a cycle")
    return sized


def _enforce_copartitioning(
    builder: InternalTopologyBuilder, app_id: str, plan: TopicPlan, sized: dict[str, int]
) -> dict[str, int]:
    """Kafka's CopartitionedTopicsEnforcer: external topics of a group must agree; repartition topics take their
    count (or, in an all-internal group, the largest count). Returns the repartition counts it fixed."""
    fixed: dict[str, int] = {}
    internal = {f"{app_id}-{t}": given for t, given in builder.internal_topics.items()}
    for group in builder.copartition_groups:
        decorated = sorted(_decorate(app_id, builder, t) for t in group)
        external = {t: plan.partitions[t] for t in decorated if t not in internal and t in plan.partitions}
        if len(set(external.values())) > 1:
            shown = ", ".join(f"{t} ({n} partitions)" for t, n in sorted(external.items()))
            raise TopologyError(
                f"Topics not co-partitioned: [{shown}]. Co-partitioned topics (joined streams and tables) must "
                f"have the same number of partitions."
            )
        repartition = [t for t in decorated if t in internal]
        if external:
            n = next(iter(external.values()))
        elif repartition:
            n = max(sized.get(t, 1) for t in repartition)
        else:
            continue
        for t in repartition:
            if internal[t] is not None and internal[t] != n:
                raise TopologyError(
                    f"Repartition topic {t} asks for {internal[t]} partitions but is co-partitioned with topics of "
                    f"{n} partitions; drop the number_of_partitions or make them agree."
                )
            fixed[t] = n
    return fixed
