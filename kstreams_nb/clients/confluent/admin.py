"""ConfluentAdmin: the Admin protocol over confluent-kafka's AdminClient.

Topic creation and deletion return once the cluster's metadata shows them (a real broker applies them
asynchronously), so the next client sees what the caller expects.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import TopicPartition as _TP
from confluent_kafka.admin import AdminClient, NewTopic

from kstreams_nb.clients.confluent._config import librdkafka_config
from kstreams_nb.clients.confluent._errors import error_of, retrying, translate
from kstreams_nb.clients.confluent.producer import make_client
from kstreams_nb.errors import BrokerError
from kstreams_nb.records import TopicPartition

__all__ = ["ConfluentAdmin"]

_TIMEOUT = 30.0
#: seconds to wait for metadata: a reachable cluster answers in milliseconds, so this long without an answer
#: means no broker of ``bootstrap.servers`` can be reached (and start() fails well within half a minute)
_METADATA_TIMEOUT = 15.0


class ConfluentAdmin:
    """Creates, deletes and describes topics (and reads groups) of a Kafka cluster."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        conf = librdkafka_config(config, "admin")
        self._servers = str(conf.get("bootstrap.servers"))
        self._a: Any = make_client(AdminClient, conf, "admin")

    def _topics(self) -> dict[str, Any]:
        try:
            return dict(self._a.list_topics(timeout=_METADATA_TIMEOUT).topics)
        except KafkaException as e:
            error, err = translate(e, "list topics"), error_of(e)
            if err is not None and err.code() in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT):
                raise BrokerError(
                    f"cannot reach the Kafka cluster at bootstrap.servers={self._servers}: no metadata within "
                    f"{_METADATA_TIMEOUT:.0f} s ({error}); check the address and that its brokers are running"
                ) from None
            raise error from None

    def _until(self, what: str, condition: Any) -> None:
        deadline = time.monotonic() + _TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise BrokerError(f"{what}: the cluster's metadata did not show it within {_TIMEOUT:.0f} s")
            time.sleep(0.05)  # metadata propagates from the controller to the brokers

    def create_topic(self, name: str, partitions: int = 1, config: Mapping[str, str] | None = None) -> None:
        """Create a topic with the broker's default replication (TopicExistsError when it exists)."""
        topic = NewTopic(name, num_partitions=partitions, config={k: str(v) for k, v in (config or {}).items()})
        try:
            self._a.create_topics([topic], request_timeout=_TIMEOUT)[name].result(timeout=_TIMEOUT)
        except KafkaException as e:
            raise translate(e, f"create topic {name}") from None
        self._until(f"create topic {name}", lambda: self.partitions_for(name) == partitions)

    def delete_topic(self, name: str) -> None:
        """Delete a topic (UnknownTopicError when missing)."""
        try:
            self._a.delete_topics([name], request_timeout=_TIMEOUT)[name].result(timeout=_TIMEOUT)
        except KafkaException as e:
            raise translate(e, f"delete topic {name}") from None
        self._until(f"delete topic {name}", lambda: self.partitions_for(name) is None)

    def partitions_for(self, topic: str) -> int | None:
        """The partition count, or None when the topic does not exist."""
        found = self._topics().get(topic)
        if found is None or found.error is not None:
            return None
        return len(found.partitions)

    def list_topics(self) -> list[str]:
        """Every topic name but the cluster's own (``__consumer_offsets``, ...), sorted."""
        return sorted(t for t in self._topics() if not t.startswith("__"))

    def group_members(self, group_id: str) -> list[str]:
        """Member ids of the group's active members ([] for an empty or unknown group)."""
        def describe() -> Any:
            return self._a.describe_consumer_groups([group_id], request_timeout=_TIMEOUT)[group_id].result(
                timeout=_TIMEOUT)

        try:
            group = retrying(describe)
        except KafkaException as e:
            raise translate(e, f"describe group {group_id}") from None
        return sorted(m.member_id for m in group.members)

    def committed_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        """Every partition the group committed an offset for, and that offset."""
        from confluent_kafka import ConsumerGroupTopicPartitions

        def list_offsets() -> Any:
            futures = self._a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id)],
                                                          request_timeout=_TIMEOUT)
            return futures[group_id].result(timeout=_TIMEOUT)

        try:
            result = retrying(list_offsets)
        except KafkaException as e:
            raise translate(e, f"committed offsets of group {group_id}") from None
        parts: list[_TP] = result.topic_partitions or []
        return {TopicPartition(p.topic, p.partition): p.offset for p in parts if p.offset >= 0}

    def close(self) -> None:
        """Release the client (librdkafka's admin handle closes when its last reference goes)."""
        self._a = _Closed()


class _Closed:
    """What a closed admin holds: any call says so."""

    def __getattr__(self, name: str) -> Any:
        raise BrokerError(f"the admin client is closed ({name} called)")
