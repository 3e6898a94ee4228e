"""Sinks that write to another cluster: one plain producer per cluster and stream thread, flushed before commits.

A sink added with ``cluster="name"`` (``Topology.add_sink`` or ``Produced(cluster="name")``) writes to the cluster
configured under ``cluster.<name>.`` (``bootstrap.servers`` and any client keys, SASL/SSL included). No
transaction spans two clusters, so such a sink is **at-least-once**, also under ``exactly_once_v2``: its records
go through a plain (never transactional) producer, which the thread's :class:`StreamsProducer` flushes before
every commit of the input offsets; a committed offset therefore never runs ahead of a record written to the other
cluster, and a crash before the commit makes the records since the last commit be written again (duplicates, no
loss).

Example::

    >>> from kstreams_nb.clients.memory import EmbeddedBroker
    >>> from kstreams_nb.config import StreamsConfig
    >>> from kstreams_nb.topology import Topology
    >>> from kstreams_nb._engine.processor_topology import compile_topology
    >>> other = EmbeddedBroker.reset("doc-remote")
    >>> other.create_topic("archive")
    >>> t = Topology().add_source("src", "in").add_sink("arch", "archive", "src", cluster="dw")
    >>> compiled = compile_topology(t.internal_builder, "app")
    >>> config = StreamsConfig({"application.id": "app", "cluster.dw.bootstrap.servers": "memory://doc-remote"})
    >>> check_remote_sinks(compiled, config)
    >>> sinks = RemoteSinks(compiled, config, "app-StreamThread-1")
    >>> sinks.writer("dw").produce("archive", b"k", b"v", timestamp=1)
    >>> sinks.flush(); sinks.close(); len(other.read("archive"))
    1
    >>> EmbeddedBroker.drop("doc-remote")
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kstreams_nb._engine.processor_topology import ProcessorTopology
from kstreams_nb.clients.base import ClientSupplier, Producer, supplier_for
from kstreams_nb.config import BOOTSTRAP_SERVERS, StreamsConfig
from kstreams_nb.errors import ConfigError, TopologyError

__all__ = ["RemoteSinks", "check_remote_sinks"]

log = logging.getLogger(__name__)

SupplierFor = Callable[[str], ClientSupplier]


def _cluster_configs(topology: ProcessorTopology, config: StreamsConfig) -> dict[str, dict[str, object]]:
    """The client config of every cluster the topology's sinks write to; ConfigError naming a sink whose cluster
    the config lacks."""
    clusters = config.cluster_configs()
    used = topology.sink_clusters()
    for name, sinks in used.items():
        if name not in clusters:
            raise ConfigError(
                f"sink {', '.join(s.name for s in sinks)} writes to cluster {name!r}, but the config has no "
                f"'cluster.{name}.bootstrap.servers': add that cluster's address (and its client keys under "
                f"'cluster.{name}.') or drop cluster={name!r} from the sink"
            )
    return {name: clusters[name] for name in used}


def check_remote_sinks(
    topology: ProcessorTopology, config: StreamsConfig, suppliers: SupplierFor = supplier_for
) -> None:
    """Refuse to start when a sink names a cluster the config lacks (ConfigError) or a sink's fixed topic is
    missing on its cluster (TopologyError; topics an extractor picks are known only per record). Each cluster's
    admin client is made from ``suppliers(bootstrap.servers)`` with the cluster's client keys, and closed."""
    for name, client_config in _cluster_configs(topology, config).items():
        topics = sorted({s.topic for s in topology.sink_clusters()[name] if s.topic is not None})
        if not topics:
            continue
        servers = str(client_config[BOOTSTRAP_SERVERS])
        admin = suppliers(servers).admin(client_config)
        try:
            existing = set(admin.list_topics())
        finally:
            admin.close()
        missing = [t for t in topics if t not in existing]
        if missing:
            raise TopologyError(
                f"Missing sink topic(s) {missing} on cluster {name!r} ({servers}): create them there before starting "
                f"the application (sinks that write to another cluster never create topics)."
            )


class RemoteSinks:
    """The producers of one stream thread for its sinks that write to other clusters: one plain producer per
    cluster the topology's sinks name (made by ``suppliers(bootstrap.servers)`` with the cluster's client keys),
    none when no sink names one. Owned by the thread's StreamsProducer: flushed before each commit, closed with
    it."""

    def __init__(
        self, topology: ProcessorTopology, config: StreamsConfig, client_id: str, suppliers: SupplierFor = supplier_for
    ) -> None:
        self.producers: dict[str, Producer] = {}
        try:
            for name, client_config in _cluster_configs(topology, config).items():
                plain = {k: v for k, v in client_config.items() if k != "transactional.id"}
                plain["client.id"] = f"{client_id}-{name}-producer"
                self.producers[name] = suppliers(str(client_config[BOOTSTRAP_SERVERS])).producer(plain)
        except BaseException:
            self.close()
            raise

    def __bool__(self) -> bool:
        return bool(self.producers)

    def writer(self, cluster: str) -> Producer:
        """The producer of ``cluster`` (ConfigError when no sink of the topology names it)."""
        producer = self.producers.get(cluster)
        if producer is None:
            raise ConfigError(f"no producer for cluster {cluster!r}: configure 'cluster.{cluster}.bootstrap.servers'")
        return producer

    def flush(self) -> None:
        """Wait until every record sent to the other clusters is written (errors propagate: no commit follows)."""
        for producer in self.producers.values():
            producer.flush()

    def close(self) -> None:
        """Close every producer (errors logged, so each one is closed)."""
        producers, self.producers = self.producers, {}
        for name, producer in producers.items():
            try:
                producer.close()
            except Exception:
                log.exception("error while closing the producer of cluster %r", name)

    def __repr__(self) -> str:
        return f"RemoteSinks({sorted(self.producers)})"
