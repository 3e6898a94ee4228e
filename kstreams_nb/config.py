"""StreamsConfig: Kafka's dotted configuration keys, their defaults and validation.

Values that look like secrets (passwords, keys, JAAS configs) never appear in ``repr()``, ``str()`` or
logs.

Example::

    >>> c = StreamsConfig({"application.id": "wc", "sasl.password": "hunter2"})
    >>> c["num.stream.threads"], "hunter2" in repr(c)
    (1, False)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kstreams_nb.errors import ConfigError

__all__ = ["StreamsConfig"]

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

_SECRET_MARKERS = ("password", "secret", "jaas", "ssl.key", "token", "credential", "api.key", "apikey")
_CLIENT_PREFIXES = ("consumer.", "producer.", "admin.", "main.consumer.", "restore.consumer.", "global.consumer.")


def is_secret_key(key: str) -> bool:
    """True when a config key names a secret that must never be shown."""
    k = key.lower()
    return any(m in k for m in _SECRET_MARKERS)


class StreamsConfig(Mapping[str, Any]):
    """An immutable mapping of Kafka Streams configuration with defaults filled in.

    Unknown dotted keys are kept (they are passed to the clients); known keys are type-checked.

    Example::

        >>> StreamsConfig({"application.id": "a", "processing.guarantee": "exactly_once_v2"})[
        ...     "commit.interval.ms"]
        100
    """

    def __init__(self, props: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        given: dict[str, Any] = dict(props or {})
        given.update({k.replace("_", "."): v for k, v in kwargs.items()})
        values: dict[str, Any] = {}
        for key, (default, _typ) in _DEFINITIONS.items():
            values[key] = default
        for key, value in given.items():
            if not isinstance(key, str):
                raise ConfigError(f"config keys must be str, got {key!r}")
            values[key] = self._check(key, value)
        guarantee = values[PROCESSING_GUARANTEE]
        if guarantee not in (AT_LEAST_ONCE, EXACTLY_ONCE_V2):
            raise ConfigError(
                f"processing.guarantee must be {AT_LEAST_ONCE!r} or {EXACTLY_ONCE_V2!r}, got {guarantee!r}"
            )
        if values["commit.interval.ms"] is None:
            values["commit.interval.ms"] = 100 if guarantee == EXACTLY_ONCE_V2 else 30_000
        if values["num.stream.threads"] < 1:
            raise ConfigError(f"num.stream.threads must be at least 1, got {values['num.stream.threads']}")
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
        return StreamsConfig(merged)

    def with_prefix(self, prefix: str) -> dict[str, Any]:
        """The keys that start with ``prefix``, with the prefix stripped (e.g. ``"consumer."``)."""
        return {k[len(prefix) :]: v for k, v in self._values.items() if k.startswith(prefix)}

    def client_configs(self) -> dict[str, Any]:
        """Keys that are not Streams' own (passed through to the Kafka clients), unprefixed."""
        out = {k: v for k, v in self._values.items() if k not in _DEFINITIONS and not k.startswith(_CLIENT_PREFIXES)}
        out[BOOTSTRAP_SERVERS] = self._values[BOOTSTRAP_SERVERS]
        return out

    def masked(self) -> dict[str, Any]:
        """A plain dict for display, with secret values replaced by ``'******'``."""
        return {k: ("******" if is_secret_key(k) and v is not None else v) for k, v in self._values.items()}

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.masked().items() if k in self._given}
        return f"StreamsConfig({shown!r})"

    __str__ = __repr__
