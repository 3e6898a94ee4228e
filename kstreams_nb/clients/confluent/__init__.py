"""The Kafka clients for a real cluster, over confluent-kafka (librdkafka): the only importer of confluent_kafka.

``bootstrap.servers`` of the form ``host:port[,host:port]`` (optionally ``PLAINTEXT://``, ``SSL://``,
``SASL_SSL://`` or ``SASL_PLAINTEXT://`` before each address) selects this supplier. Client settings are Kafka's
Java client keys; :data:`~kstreams_nb.clients.confluent._config.JAVA_ONLY_KEYS` lists those librdkafka lacks and
what becomes of them.

Example (needs a running broker; ``kstreams-nb kafka start`` gives one)::

    from kstreams_nb.clients.confluent import ConfluentClientSupplier
    supplier = ConfluentClientSupplier("127.0.0.1:9092")
    supplier.admin({}).create_topic("words", 3)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kstreams_nb.clients.confluent._config import JAVA_ONLY_KEYS, librdkafka_config, split_bootstrap
from kstreams_nb.clients.confluent.admin import ConfluentAdmin
from kstreams_nb.clients.confluent.consumer import ConfluentConsumer, ConfluentGroupMetadata
from kstreams_nb.clients.confluent.producer import ConfluentProducer

__all__ = [
    "JAVA_ONLY_KEYS",
    "ConfluentAdmin",
    "ConfluentClientSupplier",
    "ConfluentConsumer",
    "ConfluentGroupMetadata",
    "ConfluentProducer",
    "client_supplier",
    "librdkafka_config",
]


class ConfluentClientSupplier:
    """Kafka's KafkaClientSupplier for a real cluster: every client gets ``bootstrap_servers`` (and ``config``,
    e.g. SASL settings shared by all clients) under its own settings."""

    def __init__(self, bootstrap_servers: str, config: Mapping[str, Any] | None = None) -> None:
        split_bootstrap(bootstrap_servers)  # refuse a malformed address now
        self.bootstrap_servers = bootstrap_servers
        self._common = dict(config or {})

    def _with_servers(self, config: Mapping[str, Any]) -> dict[str, Any]:
        servers = config.get("bootstrap.servers") or self.bootstrap_servers
        return {**self._common, **config, "bootstrap.servers": servers}

    def producer(self, config: Mapping[str, Any]) -> ConfluentProducer:
        """A producer (transactional when ``transactional.id`` is set)."""
        return ConfluentProducer(self._with_servers(config))

    def consumer(self, config: Mapping[str, Any]) -> ConfluentConsumer:
        """A consumer (a group member when ``group.id`` is set and it subscribes)."""
        return ConfluentConsumer(self._with_servers(config))

    def restore_consumer(self, config: Mapping[str, Any]) -> ConfluentConsumer:
        """A consumer that only assigns (it never joins a group or commits)."""
        return ConfluentConsumer({k: v for k, v in self._with_servers(config).items() if k != "group.id"})

    def admin(self, config: Mapping[str, Any]) -> ConfluentAdmin:
        """An admin client."""
        return ConfluentAdmin(self._with_servers(config))

    def __repr__(self) -> str:
        return f"ConfluentClientSupplier({self.bootstrap_servers!r})"


def client_supplier(bootstrap_servers: str) -> ConfluentClientSupplier:
    """The supplier for a Kafka bootstrap list (what ``supplier_for`` calls)."""
    return ConfluentClientSupplier(bootstrap_servers)
