"""StreamsConfig: Kafka's dotted configuration keys, their defaults and validation.

Values that look like secrets (passwords, keys, JAAS configs) never appear in ``repr()``, ``str()`` or
logs.

Example::

    >>> c = StreamsConfig({"application.id": "wc", "sasl.password": "hunter2"})
    >>> c["num.stream.threads"], "hunter2" in repr(c)
    (1, False)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from kstreams_nb.errors import ConfigError

__all__ = ["StreamsConfig"]

log = logging.getLogger(__name__)

APPLICATION_ID = "application.id"
BOOTSTRAP_SERVERS = "bootstrap.servers"
PROCESSING_GUARANTEE = "processing.guarantee"
AT_LEAST_ONCE = "at_least_once"
EXACTLY_ONCE_V2 = "exactly_once_v2"

#: key -> (default, type). Types: int, str, or None (any).
_DEFINITIONS: dict[str, tuple[Any, type | None]] = {
    APPLICATION_ID: (None, str),
    BOOTSTRAP_SERVERS: ("memory://default", str),
    "client.id": ("", str),
    "num.stream.threads": (1, int),
    PROCESSING_GUARANTEE: (AT_LEAST_ONCE, str),
    "commit.interval.ms": (None, int),  # 30000, or 100 under exactly-once
    "statestore.cache.max.bytes": (10_485_760, int),
    "default.key.serde": (None, None),
    "default.value.serde": (None, None),
    "default.timestamp.extractor": (None, None),
    "deserialization.exception.handler": ("log_and_fail", None),
    "production.exception.handler": ("fail", None),
    "processing.exception.handler": ("log_and_fail", None),
    "errors.dead.letter.queue.topic.name": (None, str),
    "state.dir": (None, str),
    "max.task.idle.ms": (0, int),
    "poll.ms": (100, int),
    "buffered.records.per.partition": (1000, int),
    "max.poll.records": (1000, int),
    "replication.factor": (-1, int),
    "num.standby.replicas": (0, int),
    "topology.optimization": ("none", str),
    "application.server": ("", str),
    "auto.offset.reset": ("earliest", str),
    "windowstore.changelog.additional.retention.ms": (86_400_000, int),
    "task.timeout.ms": (300_000, int),
}

#: key -> (lowest allowed value, what the value means); Kafka's ConfigDef ``atLeast`` ranges
_AT_LEAST: dict[str, tuple[int, str]] = {
    "num.stream.threads": (1, "threads per instance"),
    "commit.interval.ms": (0, "0 commits after every loop"),
    "statestore.cache.max.bytes": (0, "bytes"),
    "max.task.idle.ms": (-1, "-1 never waits for empty partitions"),
    "poll.ms": (1, "milliseconds"),
    "buffered.records.per.partition": (1, "records"),
    "max.poll.records": (1, "records"),
    "num.standby.replicas": (0, "replicas"),
    "windowstore.changelog.additional.retention.ms": (0, "milliseconds"),
    "task.timeout.ms": (0, "milliseconds"),
    "replication.factor": (-1, "-1 takes the broker default; 0 is not allowed"),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    PROCESSING_GUARANTEE: (AT_LEAST_ONCE, EXACTLY_ONCE_V2),
}

_SECRET_MARKERS = ("password", "secret", "jaas", "ssl.key", "token", "credential", "api.key", "apikey")
_CLIENT_PREFIXES = ("consumer.", "producer.", "admin.", "main.consumer.", "restore.consumer.", "global.consumer.")
#: ``cluster.<name>.<client key>``: the clients of sinks that write to another cluster (see cluster_configs())
CLUSTER_PREFIX = "cluster."
#: prefixes of keys that are passed on (to clients or internal topics) or name families of client settings
_KNOWN_PREFIXES = (*_CLIENT_PREFIXES, "topic.", "client.tag.", "ssl.", "sasl.", "security.", "socket.", "metrics.",
                   "enable.", "queue.", "queued.", "message.", "statistics.", "api.version.", "broker.", "reconnect.",
                   "retry.", "oauthbearer.", "partitioner.", "compression.", "fetch.", "group.")
#: Kafka Streams keys this library accepts without acting on them, and Kafka / librdkafka client keys
_KNOWN_KEYS = frozenset("""
    acceptable.recovery.lag built.in.metrics.version cache.max.bytes.buffering default.client.supplier
    default.deserialization.exception.handler default.dsl.store default.production.exception.handler
    default.windowed.key.serde.inner default.windowed.value.serde.inner dsl.store.suppliers.class
    ensure.explicit.internal.resource.naming log.summary.interval.ms max.warmup.replicas
    probing.rebalance.interval.ms processor.wrapper.class rack.aware.assignment.non_overlap_cost
    rack.aware.assignment.strategy rack.aware.assignment.tags rack.aware.assignment.traffic_cost
    repartition.purge.interval.ms rocksdb.config.setter state.cleanup.delay.ms task.assignor.class upgrade.from
    window.size.ms windowed.inner.class.serde
    auto.include.jmx.reporter client.dns.lookup client.rack connections.max.idle.ms default.api.timeout.ms
    metadata.max.age.ms metadata.max.idle.ms metadata.recovery.strategy metric.reporters receive.buffer.bytes
    request.timeout.ms send.buffer.bytes allow.auto.create.topics auto.commit.interval.ms check.crcs
    exclude.internal.topics heartbeat.interval.ms
    interceptor.classes isolation.level key.deserializer max.partition.fetch.bytes max.poll.interval.ms
    member.metadata partition.assignment.strategy session.timeout.ms value.deserializer acks batch.size
    buffer.memory delivery.timeout.ms key.serializer linger.ms max.block.ms max.in.flight.requests.per.connection
    max.request.size retries transaction.timeout.ms transactional.id value.serializer
    debug log_level log.connection.close log.queue api.version.request broker.version.fallback
    client.software.name client.software.version
""".split())


def is_secret_key(key: str) -> bool:
    """True when a config key names a secret that must never be shown."""
    k = key.lower()
    return any(m in k for m in _SECRET_MARKERS)


class StreamsConfig(Mapping[str, Any]):
    """An immutable mapping of Kafka Streams configuration with defaults filled in.

    Keys it does not know are kept (they are passed to the clients); a key that neither Kafka Streams nor the
    Kafka clients know is logged as a warning, as Kafka does (a likely typo). Known keys are type-checked, and a
    value outside its range (a negative ``commit.interval.ms``) raises ConfigError.

    Example::

        >>> StreamsConfig({"application.id": "a", "processing.guarantee": "exactly_once_v2"})[
        ...     "commit.interval.ms"]
        100
    """

    def __init__(self, props: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        given: dict[str, Any] = dict(props or {})
        given.update({k.replace("_", "."): v for k, v in kwargs.items()})
        self._load(given)
        _warn_unknown(given)

    def _load(self, given: dict[str, Any]) -> None:
        values: dict[str, Any] = {key: default for key, (default, _typ) in _DEFINITIONS.items()}
        for key, value in given.items():
            if not isinstance(key, str):
                raise ConfigError(f"config keys must be str, got {key!r}")
            values[key] = _in_range(key, self._check(key, value))
        _clusters(values)  # checks the cluster keys
        if values["commit.interval.ms"] is None:
            values["commit.interval.ms"] = 100 if values[PROCESSING_GUARANTEE] == EXACTLY_ONCE_V2 else 30_000
        self._values = values
        self._given = frozenset(given)

    @staticmethod
    def _check(key: str, value: Any) -> Any:
        definition = _DEFINITIONS.get(key)
        if definition is None or value is None:
            return value
        typ = definition[1]
        if typ is int:
            if isinstance(value, bool):
                raise ConfigError(f"config {key!r} must be an int, got {value!r}")
            try:
                return int(value)
            except (TypeError, ValueError):
                raise ConfigError(f"config {key!r} must be an int, got {value!r}") from None
        if typ is str and not isinstance(value, str):
            raise ConfigError(f"config {key!r} must be a str, got {type(value).__name__}")
        return value

    # Mapping protocol
    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def application_id(self) -> str | None:
        """``application.id`` (None when not set)."""
        value: str | None = self._values[APPLICATION_ID]
        return value

    @property
    def exactly_once(self) -> bool:
        """True under ``processing.guarantee=exactly_once_v2``."""
        return bool(self._values[PROCESSING_GUARANTEE] == EXACTLY_ONCE_V2)

    def is_set(self, key: str) -> bool:
        """True when the user gave ``key`` (rather than it having its default)."""
        return key in self._given

    def with_overrides(self, props: Mapping[str, Any]) -> StreamsConfig:
        """A new config with ``props`` laid over the keys the user gave."""
        merged = {k: self._values[k] for k in self._given}
        merged.update(props)
        config = StreamsConfig.__new__(StreamsConfig)
        config._load(merged)
        _warn_unknown({k: v for k, v in props.items() if k not in self._given})
        return config

    def with_prefix(self, prefix: str) -> dict[str, Any]:
        """The keys that start with ``prefix``, with the prefix stripped (e.g. ``"consumer."``)."""
        return {k[len(prefix) :]: v for k, v in self._values.items() if k.startswith(prefix)}

    def client_configs(self) -> dict[str, Any]:
        """Keys that are not Streams' own (passed through to the Kafka clients), unprefixed."""
        skipped = (*_CLIENT_PREFIXES, CLUSTER_PREFIX)
        out = {k: v for k, v in self._values.items() if k not in _DEFINITIONS and not k.startswith(skipped)}
        out[BOOTSTRAP_SERVERS] = self._values[BOOTSTRAP_SERVERS]
        return out

    def cluster_configs(self) -> dict[str, dict[str, Any]]:
        """The other clusters sinks may write to: ``cluster.<name>.<key>`` keys, grouped by name, unprefixed.

        Each has ``bootstrap.servers`` (checked when the config is made) and any client keys (SASL/SSL
        included); none of them reaches the application's own clients. A cluster name holds no dot.

        Example::

            >>> StreamsConfig({"cluster.dw.bootstrap.servers": "dw:9092", "cluster.dw.acks": "all"}).cluster_configs()
            {'dw': {'bootstrap.servers': 'dw:9092', 'acks': 'all'}}
        """
        return _clusters(self._values)

    def for_client(self, *prefixes: str) -> dict[str, Any]:
        """Kafka's client config layering: :meth:`client_configs`, then the keys of each prefix (``consumer.``,
        ``main.consumer.``, ``admin.``, ...; later prefixes win).

        Example::

            >>> StreamsConfig({"application.id": "a", "consumer.fetch.min.bytes": 1, "admin.retries": 2}).for_client(
            ...     "admin.")["retries"]
            2
        """
        out = self.client_configs()
        for prefix in prefixes:
            out.update(self.with_prefix(prefix))
        return out

    def masked(self) -> dict[str, Any]:
        """A plain dict for display, with secret values replaced by ``'******'``."""
        return {k: ("******" if is_secret_key(k) and v is not None else v) for k, v in self._values.items()}

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.masked().items() if k in self._given}
        return f"StreamsConfig({shown!r})"

    __str__ = __repr__


def _in_range(key: str, value: Any) -> Any:
    """``value`` when it lies in ``key``'s allowed range; ConfigError naming the key, value and range otherwise."""
    if value is None:
        return value
    bound = _AT_LEAST.get(key)
    if bound is not None and (value < bound[0] or (key == "replication.factor" and value == 0)):
        raise ConfigError(
            f"Invalid value {value!r} for configuration {key!r}: value must be at least {bound[0]} ({bound[1]})"
        )
    choices = _CHOICES.get(key)
    if choices is not None and value not in choices:
        raise ConfigError(
            f"Invalid value {value!r} for configuration {key!r}: expected one of {', '.join(map(repr, choices))}"
        )
    return value


def _clusters(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``cluster.<name>.<key>`` keys grouped by name, unprefixed; ConfigError for a ``cluster.`` key of
    another shape, or a cluster without ``bootstrap.servers``."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key.startswith(CLUSTER_PREFIX):
            name, _, client_key = key[len(CLUSTER_PREFIX) :].partition(".")
            if not name or not client_key:
                raise ConfigError(
                    f"config {key!r}: keys of another cluster are 'cluster.<name>.<client key>', e.g. "
                    f"'cluster.other.bootstrap.servers' (the name holds no dot)"
                )
            out.setdefault(name, {})[client_key] = value
    for name, client_config in sorted(out.items()):
        if not client_config.get(BOOTSTRAP_SERVERS):
            raise ConfigError(
                f"cluster {name!r} has client keys but no 'cluster.{name}.bootstrap.servers': add the address of "
                f"that cluster's brokers"
            )
    return out


def _warn_unknown(given: Mapping[str, Any]) -> None:
    """Log Kafka's warning for each key that neither Streams nor its clients know (a likely typo)."""
    for key in given:
        if (
            isinstance(key, str)
            and key not in _DEFINITIONS
            and key not in _KNOWN_KEYS
            and not key.startswith((*_KNOWN_PREFIXES, CLUSTER_PREFIX))
            and not (key.startswith("__") and key.endswith("__"))
        ):
            log.warning("The configuration '%s' was supplied but isn't a known config.", key)
