"""Internal topics: their configs and partition counts (Kafka's InternalTopicManager, RepartitionTopics,
CopartitionedTopicsEnforcer)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kstreams_nb import Processor, Record, Serdes, Stores, Topology
from kstreams_nb._engine.processor_topology import compile_topology
from kstreams_nb._engine.topics import plan_topics
from kstreams_nb.clients.memory import EmbeddedBroker
from kstreams_nb.dsl import Grouped, Materialized, StreamsBuilder, TimeWindows
from kstreams_nb.streams import KafkaStreams

from ._support import config, start_running

pytestmark = pytest.mark.timeout(60)


def test_internal_topics_are_created_with_kafkas_topic_configs(broker: tuple[str, EmbeddedBroker]) -> None:
    """InternalTopicManager.makeReady creates internal topics with InternalTopicConfig.properties():
    key-value changelogs get cleanup.policy=compact (UnwindowedUnversionedChangelogTopicConfig), window-store
    changelogs cleanup.policy=compact,delete with retention.ms = store retention +
    windowstore.changelog.additional.retention.ms (WindowedChangelogTopicConfig), repartition topics
    cleanup.policy=delete, retention.ms=-1, segment.bytes=52428800 (RepartitionTopicConfig), and the store's
    own Materialized.withLoggingEnabled(config) overrides on top. KafkaStreams.start() calls
    admin.create_topic(topic, partitions) with no config at all, so on a real broker a changelog gets the
    broker default cleanup.policy=delete (7 days): state older than that is lost on the next restore."""
    name, b = broker
    b.create_topic("in", 1)
    sb = StreamsBuilder()
    words = sb.stream("in")
    words.group_by(lambda k, v: v, Grouped.as_("by-value")).count(
        materialized=Materialized.as_("counts").with_logging_enabled({"min.compaction.lag.ms": "100"})
    )
    words.group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=10))).count(
        materialized=Materialized.as_("windowed")
    )
    streams = KafkaStreams(sb, config(name))
    try:
        start_running(streams)
        kv = b.topic_config("app-counts-changelog")
        assert kv.get("cleanup.policy") == "compact"
        assert kv.get("min.compaction.lag.ms") == "100"
        windowed = b.topic_config("app-windowed-changelog")
        assert windowed.get("cleanup.policy") == "compact,delete"
        assert "retention.ms" in windowed
        repartition = b.topic_config("app-by-value-repartition")
        assert repartition.get("cleanup.policy") == "delete"
        assert repartition.get("retention.ms") == "-1"
    finally:
        streams.close(10)


class _Noop(Processor):
    def process(self, record: Record) -> None:
        pass


def _two_sided(left: str, right: str) -> Topology:
    """Sources ``left`` and ``right`` feeding processors that share the store "s" (one sub-topology)."""
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.string(), Serdes.string())
    return (
        Topology()
        .add_source("left-src", left)
        .add_source("right-src", right)
        .add_processor("left", _Noop, "left-src")
        .add_processor("right", _Noop, "right-src")
        .add_state_store(store, "left", "right")
    )


def test_copartitioned_repartition_topics_get_the_largest_count_when_no_external_topic_is_in_the_group() -> None:
    """CopartitionedTopicsEnforcer.enforce: "If all topics for this co-partition group are repartition
    topics, then set the number of partitions to be the maximum of the number of partitions", and coerce
    every repartition topic of the group to it. _check_copartitioning only acts when the group holds an
    external topic, so two repartition topics fed from topics of 2 and 4 partitions keep 2 and 4: keys hash
    modulo 2 on one side and modulo 4 on the other and a join misses matches."""
    t = _two_sided("ra", "rb")
    t.add_source("a-src", "a").add_sink("to-ra", "ra", "a-src")
    t.add_source("b-src", "b").add_sink("to-rb", "rb", "b-src")
    builder = t.internal_builder
    builder.add_internal_topic("ra")
    builder.add_internal_topic("rb")
    builder.copartition(["ra", "rb"])
    plan = plan_topics(compile_topology(builder, "app"), {"a": 2, "b": 4})
    assert plan.internal_topics["app-ra"] == plan.internal_topics["app-rb"] == 4


def test_changelog_partitions_follow_the_enforced_repartition_count() -> None:
    """StreamsPartitionAssignor: repartition topic counts are computed AND co-partitioned
    (RepartitionTopics.setup -> CopartitionedTopicsEnforcer) before tasks are made and before changelog topics
    are sized from the task count (ChangelogTopics.setup, one partition per task). plan_topics sizes changelogs
    from the repartition count BEFORE enforcement: a 4-partition stream re-keyed into a repartition topic that
    is co-partitioned with a 2-partition table gets 2 partitions, 2 tasks, but a 4-partition changelog."""
    t = _two_sided("r", "table")
    t.add_source("a-src", "a").add_sink("to-r", "r", "a-src")
    builder = t.internal_builder
    builder.add_internal_topic("r")
    builder.copartition(["r", "table"])
    plan = plan_topics(compile_topology(builder, "app"), {"a": 4, "table": 2})
    assert plan.internal_topics["app-r"] == 2
    assert plan.internal_topics["app-s-changelog"] == 2
