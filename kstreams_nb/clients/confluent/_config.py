"""Client settings for librdkafka: what passes through, what is mapped, what is refused.

KafkaStreams hands its clients Java-client keys (Kafka's ``consumer.``/``producer.``/``admin.`` prefixes already
removed). Most mean the same in librdkafka and pass through, SASL and SSL keys included. The rest are in
:data:`JAVA_ONLY_KEYS`, the documented table: mapped to librdkafka's key, dropped (the engine does that work
itself), or refused with what to use instead. Keys librdkafka does not know at all are refused when the client is
made (:func:`client_error`), naming the key but never its value (values may be secrets).

Example::

    >>> librdkafka_config({"bootstrap.servers": "PLAINTEXT://h:9092", "max.poll.records": 500,
    ...                    "send.buffer.bytes": 1024}, "consumer")
    {'bootstrap.servers': 'h:9092', 'socket.send.buffer.bytes': 1024, 'security.protocol': 'plaintext'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kstreams_nb.errors import ConfigError

__all__ = ["JAVA_ONLY_KEYS", "SCHEMES", "librdkafka_config", "split_bootstrap"]

#: ``SCHEME://host:port`` prefixes of a bootstrap list that mean a Kafka cluster, and their security protocol
SCHEMES = {"plaintext": "plaintext", "ssl": "ssl", "sasl_ssl": "sasl_ssl", "sasl_plaintext": "sasl_plaintext"}

_DROP = None
_PEM = "librdkafka reads PEM files: give ssl.ca.location instead of a JKS truststore"
#: Java client keys librdkafka lacks: key -> librdkafka key (mapped), None (dropped: the engine does this itself),
#: or ``("refuse", what to use instead)``.
JAVA_ONLY_KEYS: dict[str, str | tuple[str, str] | None] = {
    # the engine's own work
    "max.poll.records": _DROP,  # the stream thread polls at most this many records per batch itself
    "key.serializer": _DROP,
    "value.serializer": _DROP,
    "key.deserializer": _DROP,
    "value.deserializer": _DROP,
    "default.api.timeout.ms": _DROP,
    "metrics.recording.level": _DROP,  # the engine records its own metrics (KafkaStreams.metrics())
    "metrics.num.samples": _DROP,
    "metrics.sample.window.ms": _DROP,
    "allow.auto.create.topics": "allow.auto.create.topics",
    "metadata.max.age.ms": "metadata.max.age.ms",
    # renamed in librdkafka
    "send.buffer.bytes": "socket.send.buffer.bytes",
    "fetch.max.wait.ms": "fetch.wait.max.ms",
    "receive.buffer.bytes": "socket.receive.buffer.bytes",
    "reconnect.backoff.max.ms": "reconnect.backoff.max.ms",
    "max.block.ms": _DROP,  # librdkafka never blocks a produce() call; a full queue is retried by the client
    # refused: no librdkafka equivalent, say what to use
    "ssl.truststore.location": ("refuse", _PEM),
    "ssl.truststore.password": ("refuse", _PEM),
    "ssl.keystore.type": ("refuse", "librdkafka reads a PKCS#12 ssl.keystore.location, or PEM files: "
                                    "ssl.certificate.location and ssl.key.location"),
    "interceptor.classes": ("refuse", "Java interceptors cannot run in Python"),
    "metric.reporters": ("refuse", "Java metric reporters cannot run in Python; read KafkaStreams.metrics()"),
    "buffer.memory": ("refuse", "use queue.buffering.max.kbytes (librdkafka's producer queue size)"),
}

#: keys the engine passes that librdkafka must not see (they are ours, or handled by the wrapper)
_INTERNAL = frozenset({"partition.assignment.strategy", "auto.offset.reset", "member.metadata"})

_JAAS = re.compile(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"')


def split_bootstrap(servers: str) -> tuple[str, str | None]:
    """``(host:port list, security protocol or None)``: an optional ``SCHEME://`` prefix on each address (one
    scheme for the whole list) is removed and becomes the security protocol.

    Example::

        >>> split_bootstrap("SASL_SSL://a:9093,SASL_SSL://b:9093")
        ('a:9093,b:9093', 'sasl_ssl')
    """
    hosts: list[str] = []
    protocols: set[str] = set()
    for part in (p.strip() for p in servers.split(",")):
        if not part:
            continue
        if "://" in part:
            scheme, _, part = part.partition("://")
            if scheme.lower() not in SCHEMES:
                raise ConfigError(
                    f"bootstrap.servers: unknown scheme {scheme!r}://; use memory://NAME for the embedded broker or "
                    f"host:port[,host:port] (optionally prefixed by {', '.join(s.upper() + '://' for s in SCHEMES)})"
                )
            protocols.add(SCHEMES[scheme.lower()])
        hosts.append(part)
    if not hosts:
        raise ConfigError("bootstrap.servers is empty; give host:port[,host:port] or memory://NAME")
    if len(protocols) > 1:
        raise ConfigError(f"bootstrap.servers mixes security protocols {sorted(protocols)}; use one")
    return ",".join(hosts), (protocols.pop() if protocols else None)


def _jaas(value: str) -> dict[str, str]:
    """``sasl.jaas.config`` of the PLAIN and SCRAM login modules -> librdkafka's ``sasl.username``/``password``."""
    if "PlainLoginModule" not in value and "ScramLoginModule" not in value:
        raise ConfigError(
            "sasl.jaas.config: only the PLAIN and SCRAM login modules can be mapped to librdkafka; give "
            "sasl.mechanism with sasl.username and sasl.password (or sasl.oauthbearer.* keys) instead"
        )
    fields = dict(_JAAS.findall(value))
    if "username" not in fields or "password" not in fields:
        raise ConfigError("sasl.jaas.config: username=\"...\" and password=\"...\" are required")
    return {"sasl.username": fields["username"], "sasl.password": fields["password"]}


def librdkafka_config(config: Mapping[str, Any], role: str) -> dict[str, Any]:
    """The librdkafka settings of a ``role`` ("consumer", "producer" or "admin") client for Java-style
    ``config``: Java-only keys mapped or dropped (:data:`JAVA_ONLY_KEYS`), a refused key raises ConfigError."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in _INTERNAL or value is None:
            continue
        if key == "bootstrap.servers":
            hosts, protocol = split_bootstrap(str(value))
            out[key] = hosts
            if protocol is not None:
                out.setdefault("security.protocol", protocol)
            continue
        if key == "sasl.jaas.config":
            out.update(_jaas(str(value)))
            continue
        if key in JAVA_ONLY_KEYS:
            mapped = JAVA_ONLY_KEYS[key]
            if isinstance(mapped, tuple):
                raise ConfigError(f"{key} is a Java client setting librdkafka does not have: {mapped[1]}")
            if mapped is not None and (role == "consumer" or not mapped.startswith("allow.auto")):
                out[mapped] = value
            continue
        out[key] = value
    if "security.protocol" in config and "security.protocol" in out:
        out["security.protocol"] = str(config["security.protocol"]).lower()
    return out
