"""Conformance: topic administration (Kafka's Admin createTopics / deleteTopics / listTopics / describeTopics)."""

from __future__ import annotations

import pytest

from kstreams_nb.errors import TopicExistsError, UnknownTopicError
from kstreams_nb.records import TopicPartition

from ._cluster import Cluster, eventually, poll_members

pytestmark = pytest.mark.timeout(120)


def test_create_list_describe_and_delete_topics(cluster: Cluster) -> None:
    admin = cluster.admin
    name = cluster.name("topic")
    assert admin.partitions_for(name) is None
    assert name not in admin.list_topics()
    admin.create_topic(name, 3, {"cleanup.policy": "compact"})
    assert eventually(lambda: admin.partitions_for(name) == 3)
    assert name in admin.list_topics()
    assert cluster.producer().partitions_for(name) == 3
    admin.delete_topic(name)
    assert eventually(lambda: admin.partitions_for(name) is None and name not in admin.list_topics())


def test_creating_an_existing_topic_is_refused(cluster: Cluster) -> None:
    name = cluster.topic(2)
    with pytest.raises(TopicExistsError):
        cluster.admin.create_topic(name, 2)
    with pytest.raises(TopicExistsError):
        cluster.admin.create_topic(name, 5)
    assert cluster.admin.partitions_for(name) == 2


def test_deleting_a_missing_topic_is_refused(cluster: Cluster) -> None:
    with pytest.raises(UnknownTopicError):
        cluster.admin.delete_topic(cluster.name("missing"))


def test_a_deleted_topic_can_be_created_again_empty(cluster: Cluster) -> None:
    name = cluster.topic(1)
    producer = cluster.producer()
    producer.produce(name, None, b"old", partition=0)
    producer.flush(30)
    cluster.admin.delete_topic(name)
    assert eventually(lambda: cluster.admin.partitions_for(name) is None)
    cluster.admin.create_topic(name, 2)
    assert eventually(lambda: cluster.admin.partitions_for(name) == 2)
    consumer = cluster.consumer()
    assert consumer.end_offsets([TopicPartition(name, 0), TopicPartition(name, 1)]) == {
        TopicPartition(name, 0): 0, TopicPartition(name, 1): 0
    }


def test_group_members_lists_the_active_members(cluster: Cluster) -> None:
    """Kafka's describeConsumerGroups: one id per member of the group; none for an unknown or emptied group."""
    topic = cluster.topic(2)
    group = cluster.name("group")
    admin = cluster.admin
    assert admin.group_members(group) == []
    first, second = cluster.consumer(**{"group.id": group}), cluster.consumer(**{"group.id": group})
    first.subscribe([topic])
    assert poll_members([first], lambda: len(first.assignment()) == 2)
    assert eventually(lambda: len(admin.group_members(group)) == 1)
    second.subscribe([topic])
    assert poll_members([first, second], lambda: len(first.assignment()) == len(second.assignment()) == 1)
    assert eventually(lambda: len(admin.group_members(group)) == 2)
    members = admin.group_members(group)
    assert members == sorted(members) and len(set(members)) == 2
    first.close()
    second.close()
    assert eventually(lambda: admin.group_members(group) == [])


def test_committed_offsets_lists_every_partition_the_group_committed(cluster: Cluster) -> None:
    """Kafka's listConsumerGroupOffsets: each committed partition with its next offset to read."""
    one, two = cluster.topic(2), cluster.topic(1)
    group = cluster.name("group")
    assert cluster.admin.committed_offsets(group) == {}
    producer = cluster.producer()
    for topic, partition in ((one, 0), (one, 1), (one, 1), (two, 0)):
        producer.produce(topic, None, b"x", partition=partition)
    producer.flush(30)
    consumer = cluster.consumer(**{"group.id": group})  # outside the group (no subscription): commits while empty
    consumer.assign([TopicPartition(one, 1), TopicPartition(two, 0)])
    consumer.commit({TopicPartition(one, 1): 2, TopicPartition(two, 0): 1})
    expected = {TopicPartition(one, 1): 2, TopicPartition(two, 0): 1}
    assert eventually(lambda: cluster.admin.committed_offsets(group) == expected)
    consumer.commit({TopicPartition(one, 1): 0})
    expected[TopicPartition(one, 1)] = 0
    assert eventually(lambda: cluster.admin.committed_offsets(group) == expected)
