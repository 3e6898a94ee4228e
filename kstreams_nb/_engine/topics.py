"""Plan and create the topics an application needs, as Kafka's StreamsPartitionAssignor and
InternalTopicManager do: check source topics exist, size repartition topics from their upstream sources, enforce
co-partitioning, then size changelog topics by task count; internal topics get Kafka's topic configs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kstreams_nb._engine.control import CONTROL_TOPIC_CONFIG, control_topic
from kstreams_nb._engine.processor_topology import ProcessorTopology, SinkDef, SubtopologyDef
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import TopologyError

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


def plan_topics(
    topology: ProcessorTopology, existing: dict[str, int], config: StreamsConfig | None = None
) -> TopicPlan:
    """Compute the plan of a compiled topology; raise TopologyError for missing source topics or co-partitioning
    mismatches.

    ``existing`` maps every topic on the cluster to its partition count; ``config`` is the application's (for
    ``windowstore.changelog.additional.retention.ms``).
    """
    plan = TopicPlan()
    subs = list(topology.subtopologies)
    internal = topology.internal_partitions
    missing: list[str] = []
    control = control_topic(topology.application_id)
    for sub in subs:
        topics = list(sub.source_topics)
        for pattern in sub.source_patterns:
            topics.extend(sorted(t for t in existing if _matches(pattern, t) and t not in topics and t != control))
        plan.source_topics[sub.id] = topics
        missing.extend(t for t in sub.source_topics if t not in internal and t not in existing)
    missing.extend(t for t in topology.global_topics.values() if t not in existing)
    if missing:
        raise TopologyError(
            f"Missing source topic(s) {sorted(set(missing))}: create them before starting the application "
            f"(Kafka Streams never creates source topics)."
        )
    plan.partitions.update(existing)
    # repartition counts, then co-partitioning, then (since enforcement can change counts) again downstream
    fixed = _enforce_copartitioning(topology, plan, _size_repartition_topics(topology, plan, {}))
    _size_repartition_topics(topology, plan, fixed)
    for topic in internal:
        plan.topic_configs[topic] = dict(REPARTITION_CONFIG)
    plan.internal_topics[control] = 1  # SHUTDOWN_APPLICATION requests (see _engine.control)
    plan.topic_configs[control] = dict(CONTROL_TOPIC_CONFIG)
    additional = 86_400_000 if config is None else int(config["windowstore.changelog.additional.retention.ms"])
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
            spec = topology.stores.get(store)
            if spec is not None and spec.changelog is not None:
                plan.internal_topics[spec.changelog] = plan.task_counts[sub.id]
                plan.topic_configs[spec.changelog] = changelog_config(spec.builder, additional)
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


def _size_repartition_topics(topology: ProcessorTopology, plan: TopicPlan, fixed: dict[str, int]) -> dict[str, int]:
    """Repartition topic partitions: the given count (Repartitioned, or ``fixed`` by co-partitioning), else the
    max source partitions of the sub-topologies writing into it (resolved upstream first)."""
    internal = topology.internal_partitions
    writers: dict[str, list[SubtopologyDef]] = {}
    for sub in topology.subtopologies:
        for name in sub.nodes:
            spec = topology.nodes[name]
            if isinstance(spec, SinkDef) and spec.topic is not None and spec.topic in internal:
                writers.setdefault(spec.topic, []).append(sub)
    for topic in internal:
        plan.partitions.pop(topic, None)
    pending = dict(internal)
    sized: dict[str, int] = {}
    for _ in range(len(pending) + 1):  # fixed point: upstream repartition topics first
        progressed = False
        for topic, given in list(pending.items()):
            count = fixed.get(topic, given)
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
            plan.partitions[topic] = plan.internal_topics[topic] = sized[topic] = count
            del pending[topic]
            progressed = True
        if not pending or not progressed:
            break
    if pending:
        raise TopologyError(f"cannot size repartition topics {sorted(pending)}: they form a cycle")
    return sized


def _enforce_copartitioning(topology: ProcessorTopology, plan: TopicPlan, sized: dict[str, int]) -> dict[str, int]:
    """Kafka's CopartitionedTopicsEnforcer: external topics of a group must agree; repartition topics take their
    count (or, in an all-internal group, the largest count). Returns the repartition counts it fixed."""
    fixed: dict[str, int] = {}
    internal = topology.internal_partitions
    for group in topology.copartition_groups:
        decorated = sorted(group)
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
