"""Conformance: topic administration (Kafka's Admin createTopics / deleteTopics / listTopics / describeTopics)."""

from __future__ import annotations

import pytest

from kstreams_nb.errors import TopicExistsError, UnknownTopicError
from kstreams_nb.records import TopicPartition

from ._cluster import Cluster, eventually

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
