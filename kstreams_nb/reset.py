"""Application reset, as Kafka's ``kafka-streams-application-reset`` tool: reprocess the input from the start.

:func:`reset_application` (and ``kstreams-nb reset --application-id ID --bootstrap-servers S``) works on the
cluster only, while no instance of the application runs:

1. it refuses (StreamsStateError) while the consumer group ``application.id`` has active members;
2. it sets the group's committed offset of every partition of every input topic the group committed to, to the
   beginning of that partition (its earliest offset), with a consumer outside the group (``assign``, no
   subscription) that commits them;
3. it deletes the application's internal topics: ``<application.id>-...-repartition`` and
   ``<application.id>-...-changelog`` (Kafka's rule: those prefixes and suffixes, so an application whose id
   extends this one's with a dash, ``wc-2`` for ``wc``, loses its internal topics too) and the control topic
   ``<application.id>-control``. ``start()`` creates them again, empty.

Local state is not touched: call ``KafkaStreams.clean_up()`` on every instance before the next start, or its
persistent stores keep their old contents (Kafka's tool gives the same advice).

Example::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker, MemoryClientSupplier
    >>> from kstreams_nb.records import TopicPartition
    >>> broker = EmbeddedBroker.reset("doc-reset")
    >>> broker.create_topic("lines"); broker.create_topic("wc-counts-changelog")
    >>> _ = broker.produce("lines", None, b"a b")
    >>> consumer = MemoryClientSupplier(broker).consumer({"group.id": "wc"})
    >>> consumer.commit({TopicPartition("lines", 0): 1}); consumer.close()
    >>> report = reset_application("wc", "memory://doc-reset")
    >>> report.offsets, report.deleted_topics
    ({TopicPartition(topic='lines', partition=0): 0}, ('wc-counts-changelog',))
    >>> broker.committed("wc", TopicPartition("lines", 0)), broker.topics()
    (0, {'lines': 1})
    >>> EmbeddedBroker.drop("doc-reset")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kstreams_nb._engine.control import control_topic
from kstreams_nb._engine.processor_topology import is_internal_topic
from kstreams_nb.clients.base import ClientSupplier, supplier_for
from kstreams_nb.config import APPLICATION_ID, BOOTSTRAP_SERVERS, StreamsConfig
from kstreams_nb.errors import ConfigError, StreamsStateError
from kstreams_nb.records import TopicPartition

__all__ = ["ResetReport", "reset_application"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResetReport:
    """What :func:`reset_application` did (or, with ``dry_run``, would do).

    ``previous`` holds the committed offsets of the input partitions before the reset, ``offsets`` those they
    are (or would be) reset to, ``deleted_topics`` the internal topics deleted (or to delete). ``str()`` gives
    the lines the command prints.

    Example::

        >>> r = ResetReport("wc", False, {TopicPartition("lines", 0): 5}, {TopicPartition("lines", 0): 0},
        ...                 ("wc-counts-changelog",))
        >>> print(r)
        Reset application 'wc'
        Input offsets reset to the beginning (group 'wc'):
          lines[0]: 5 -> 0
        Internal topics deleted:
          wc-counts-changelog
    """

    application_id: str
    dry_run: bool
    previous: Mapping[TopicPartition, int]
    offsets: Mapping[TopicPartition, int]
    deleted_topics: tuple[str, ...]

    def __str__(self) -> str:
        head = "Dry run: nothing changed for" if self.dry_run else "Reset"
        offsets = "would be reset" if self.dry_run else "reset"
        topics = "Internal topics that would be deleted:" if self.dry_run else "Internal topics deleted:"
        lines = [f"{head} application {self.application_id!r}"]
        lines.append(f"Input offsets {offsets} to the beginning (group {self.application_id!r}):")
        lines.extend(
            f"  {tp.topic}[{tp.partition}]: {self.previous.get(tp)} -> {offset}" for tp, offset in self.offsets.items()
        )
        if not self.offsets:
            lines.append("  (none: the group committed no offsets of input topics)")
        lines.append(topics)
        lines.extend(f"  {topic}" for topic in self.deleted_topics)
        if not self.deleted_topics:
            lines.append("  (none)")
        return "\n".join(lines)


def reset_application(
    application_id: str,
    bootstrap_servers: str,
    *,
    config: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> ResetReport:
    """Reset the application ``application_id`` on the cluster at ``bootstrap_servers`` (see the module doc):
    input offsets of its group to the beginning, its internal topics deleted. ``config`` holds client settings
    (SASL/SSL, ``admin.`` / ``consumer.`` prefixed keys), as for KafkaStreams. ``dry_run`` changes nothing and
    reports what would be done.

    Raises StreamsStateError while the group has active members (close every instance first, or wait until
    the group removed crashed ones), ConfigError for an empty ``application_id``, BrokerError from the clients.

    Example: ``print(reset_application("wordcount", "localhost:9092"))``, then ``streams.clean_up()`` on every
    instance and start them again.
    """
    if not application_id:
        raise ConfigError("reset_application() needs the application.id of the application to reset")
    streams_config = StreamsConfig({**(config or {}), APPLICATION_ID: application_id,
                                    BOOTSTRAP_SERVERS: bootstrap_servers})
    clients = streams_config.client_configs()
    supplier = supplier_for(bootstrap_servers)
    admin = supplier.admin({**streams_config.for_client("admin."), "client.id": f"{application_id}-reset"})
    try:
        members = admin.group_members(application_id)
        if members:
            raise StreamsStateError(
                f"cannot reset application {application_id!r}: its consumer group still has {len(members)} active "
                f"member(s) {members}; close every instance of the application (KafkaStreams.close()) and try again "
                f"(a crashed instance leaves the group once its session or poll interval expires)"
            )
        control = control_topic(application_id)
        existing = admin.list_topics()
        internal = tuple(sorted(t for t in existing if is_internal_topic(application_id, t) or t == control))
        previous = {
            tp: offset for tp, offset in sorted(admin.committed_offsets(application_id).items())
            if tp.topic in existing and tp.topic not in internal
        }
        offsets = _earliest(supplier, streams_config, clients, list(previous), commit=not dry_run)
        if not dry_run:
            for topic in internal:
                admin.delete_topic(topic)
                log.info("reset of %s: deleted internal topic %s", application_id, topic)
    finally:
        admin.close()
    return ResetReport(application_id, dry_run, previous, offsets, internal)


def _earliest(
    supplier: ClientSupplier,
    config: StreamsConfig,
    clients: dict[str, Any],
    partitions: list[TopicPartition],
    *,
    commit: bool,
) -> dict[TopicPartition, int]:
    """The beginning offset of each partition (Kafka's tool: seek to the beginning, read the position), committed
    for the group when ``commit``, by a consumer that assigns the partitions (it never joins the group)."""
    if not partitions:
        return {}
    app_id = str(config.application_id)
    consumer = supplier.consumer({
        **clients, **config.with_prefix("consumer."), "group.id": app_id, "client.id": f"{app_id}-reset-consumer",
        "enable.auto.commit": False, "auto.offset.reset": "earliest",
    })
    try:
        consumer.assign(partitions)
        consumer.seek_to_beginning(partitions)
        offsets: dict[TopicPartition, int] = {tp: consumer.position(tp) for tp in partitions}
        if commit:
            consumer.commit(offsets)
    finally:
        consumer.close()
    return offsets
