"""What foreign-key joins send through their internal topics, byte-compatible with Kafka Streams.

- :class:`SubscriptionWrapper` (left table → foreign table, keyed by the foreign key): the left row's key, the
  128-bit murmur3 hash of its serialized value, an :class:`Instruction` and the left row's partition. Framed as
  Kafka's SubscriptionWrapperSerde (version 1): ``version | 0x80 if no hash``, instruction byte, two big-endian
  hash longs when there is a hash, the primary key's bytes, then the partition as a big-endian int.
- :class:`SubscriptionResponseWrapper` (foreign table → left table, keyed by the left key): the hash the
  subscription carried and the foreign value. Framed as Kafka's SubscriptionResponseWrapperSerde (version 0):
  ``version | 0x80 if no hash``, the two hash longs, then the foreign value's bytes (none for a null value).
- :class:`CombinedKeySchema`: the subscription store's keys, ``int32 len(fk bytes) + fk bytes + pk bytes``, so
  the subscriptions of one foreign key are one prefix scan.

Serdes left None resolve to the application's ``default.key.serde`` / ``default.value.serde`` when the join's
processors call ``configure(app_configs)`` from ``init`` (as Kafka's ``setIfUnset`` does).

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> serde = SubscriptionWrapperSerde(DefaultedSerde(Serdes.string(), "default.key.serde"))
    >>> w = SubscriptionWrapper((1, -2), Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, "pk", 0)
    >>> serde.deserialize("t", serde.serialize("t", w)) == w
    True
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kstreams_nb.errors import SerializationError
from kstreams_nb.serdes import Serdes, serde_by_name

__all__ = [
    "CombinedKey",
    "CombinedKeySchema",
    "DefaultedSerde",
    "JoinSerdes",
    "Instruction",
    "SubscriptionResponseWrapper",
    "SubscriptionResponseWrapperSerde",
    "SubscriptionWrapper",
    "SubscriptionWrapperSerde",
]

Hash = tuple[int, int]

_HASH = struct.Struct(">qq")
_INT = struct.Struct(">i")

#: SubscriptionWrapper.CURRENT_VERSION and SubscriptionResponseWrapper.CURRENT_VERSION
SUBSCRIPTION_VERSION = 1
RESPONSE_VERSION = 0


class Instruction(enum.IntEnum):
    """What the foreign side does with a subscription (Kafka's SubscriptionWrapper.Instruction)."""

    #: remove the subscription, send nothing back (the left row moved to another foreign key)
    DELETE_KEY_NO_PROPAGATE = 0
    #: remove the subscription and send back a null foreign value (the left row was deleted)
    DELETE_KEY_AND_PROPAGATE = 1
    #: keep the subscription, send back the foreign value even when null (left joins, changed rows)
    PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE = 2
    #: keep the subscription, send back the foreign value only when there is one (a new inner-join row)
    PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE = 3


class DefaultedSerde:
    """A serde, or (when None) the application's default one named by ``config_key``, resolved by
    :meth:`configure`; JSON, the library's default, until then."""

    __slots__ = ("config_key", "given", "serde")

    def __init__(self, given: Any, config_key: str) -> None:
        self.given = given
        self.config_key = config_key
        self.serde: Any = given if given is not None else Serdes.json()

    def configure(self, app_configs: Mapping[str, Any] | None) -> None:
        """Resolve a missing serde from the application's config."""
        if self.given is not None:
            return
        value = app_configs.get(self.config_key) if app_configs is not None else None
        if isinstance(value, str):
            value = serde_by_name(value)
        self.serde = value if value is not None else Serdes.json()

    def to_bytes(self, topic: str | None, data: Any) -> bytes | None:
        """``data`` serialized by the resolved serde."""
        result: bytes | None = self.serde.serialize(topic, data)
        return result

    def from_bytes(self, topic: str | None, data: bytes | None) -> Any:
        """``data`` deserialized by the resolved serde."""
        return self.serde.deserialize(topic, data)


@dataclass(frozen=True)
class SubscriptionWrapper:
    """A left row's subscription to a foreign key."""

    hash: Hash | None
    instruction: Instruction
    primary_key: Any
    primary_partition: int | None
    version: int = SUBSCRIPTION_VERSION


@dataclass(frozen=True)
class SubscriptionResponseWrapper:
    """The foreign value sent back to a subscribed left row, with the hash its subscription carried."""

    original_value_hash: Hash | None
    foreign_value: Any
    primary_partition: int | None = None
    version: int = RESPONSE_VERSION


@dataclass(frozen=True)
class CombinedKey:
    """The subscription store's key: the foreign key, then the left row's key."""

    foreign_key: Any
    primary_key: Any


class SubscriptionWrapperSerde:
    """Kafka's SubscriptionWrapperSerde (the subscription topic's and store's values)."""

    def __init__(self, primary_key_serde: DefaultedSerde, pseudo_topic: str | None = None) -> None:
        self.primary_key_serde = primary_key_serde
        self.pseudo_topic = pseudo_topic

    def serialize(self, topic: str | None, data: SubscriptionWrapper | None) -> bytes | None:
        """The framed bytes of ``data`` (None stays None)."""
        if data is None:
            return None
        if data.version > 0x7F:
            raise SerializationError("SubscriptionWrapper version is larger than maximum supported 0x7F", topic=topic)
        pk = self.primary_key_serde.to_bytes(self.pseudo_topic, data.primary_key) or b""
        first = data.version if data.hash is not None else data.version | 0x80
        parts = [bytes((first, int(data.instruction)))]
        if data.hash is not None:
            parts.append(_HASH.pack(*data.hash))
        parts.append(pk)
        if data.version > 0:
            parts.append(_INT.pack(data.primary_partition if data.primary_partition is not None else -1))
        return b"".join(parts)

    def deserialize(self, topic: str | None, data: bytes | None) -> SubscriptionWrapper | None:
        """The SubscriptionWrapper framed in ``data``."""
        if data is None:
            return None
        version, hash_null = data[0] & 0x7F, bool(data[0] & 0x80)
        instruction = Instruction(data[1])
        pos = 2
        hash_: Hash | None = None
        if not hash_null:
            hash_ = _HASH.unpack_from(data, pos)
            pos += _HASH.size
        end = len(data) - (_INT.size if version > 0 else 0)
        pk = self.primary_key_serde.from_bytes(self.pseudo_topic, bytes(data[pos:end]))
        partition = _INT.unpack_from(data, end)[0] if version > 0 else None
        return SubscriptionWrapper(hash_, instruction, pk, partition, version)


class SubscriptionResponseWrapperSerde:
    """Kafka's SubscriptionResponseWrapperSerde (the response topic's values)."""

    def __init__(self, foreign_value_serde: DefaultedSerde) -> None:
        self.foreign_value_serde = foreign_value_serde

    def serialize(self, topic: str | None, data: SubscriptionResponseWrapper | None) -> bytes | None:
        """The framed bytes of ``data`` (None stays None)."""
        if data is None:
            return None
        value = None if data.foreign_value is None else self.foreign_value_serde.to_bytes(topic, data.foreign_value)
        if data.original_value_hash is None:
            head = bytes((data.version | 0x80,))
        else:
            head = bytes((data.version,)) + _HASH.pack(*data.original_value_hash)
        return head + value if value else head

    def deserialize(self, topic: str | None, data: bytes | None) -> SubscriptionResponseWrapper | None:
        """The SubscriptionResponseWrapper framed in ``data`` (no value bytes: a null foreign value)."""
        if data is None:
            return None
        version, hash_null = data[0] & 0x7F, bool(data[0] & 0x80)
        pos = 1
        hash_: Hash | None = None
        if not hash_null:
            hash_ = _HASH.unpack_from(data, pos)
            pos += _HASH.size
        value = self.foreign_value_serde.from_bytes(topic, bytes(data[pos:])) if len(data) > pos else None
        return SubscriptionResponseWrapper(hash_, value, None, version)


class CombinedKeySchema:
    """The subscription store's key bytes (Kafka's CombinedKeySchema): ``int32 len(fk) + fk + pk``."""

    def __init__(
        self, foreign_key_serde: DefaultedSerde, primary_key_serde: DefaultedSerde,
        fk_topic: str | None = None, pk_topic: str | None = None,
    ) -> None:
        self.foreign_key_serde = foreign_key_serde
        self.primary_key_serde = primary_key_serde
        self.fk_topic = fk_topic
        self.pk_topic = pk_topic

    def to_bytes(self, foreign_key: Any, primary_key: Any) -> bytes:
        """The store key of ``primary_key``'s subscription to ``foreign_key``."""
        pk = self.primary_key_serde.to_bytes(self.pk_topic, primary_key) or b""
        return self.prefix_bytes(foreign_key) + pk

    def prefix_bytes(self, foreign_key: Any) -> bytes:
        """The common prefix of every subscription to ``foreign_key``."""
        fk = self.foreign_key_serde.to_bytes(self.fk_topic, foreign_key) or b""
        return _INT.pack(len(fk)) + fk

    def from_bytes(self, data: bytes) -> CombinedKey:
        """The CombinedKey of store key ``data``."""
        (n,) = _INT.unpack_from(data, 0)
        fk = self.foreign_key_serde.from_bytes(self.fk_topic, bytes(data[4:4 + n]))
        pk = self.primary_key_serde.from_bytes(self.pk_topic, bytes(data[4 + n:]))
        return CombinedKey(fk, pk)


class JoinSerdes:
    """Every serde of one foreign-key join, resolved and given their pseudo-topics (``<app>-<subscription
    topic>-pk``, ``-fk``, ``-vh``, as Kafka's ``decoratePseudoTopic``) when a join processor calls :meth:`init`."""

    def __init__(self, subscription_topic: str, key_serde: Any, foreign_key_serde: Any, value_serde: Any,
                 foreign_value_serde: Any) -> None:
        self.subscription_topic = subscription_topic
        self.primary_key = DefaultedSerde(key_serde, "default.key.serde")
        self.foreign_key = DefaultedSerde(foreign_key_serde, "default.key.serde")
        self.value = DefaultedSerde(value_serde, "default.value.serde")
        self.foreign_value = DefaultedSerde(foreign_value_serde, "default.value.serde")
        self.subscription = SubscriptionWrapperSerde(self.primary_key)
        self.response = SubscriptionResponseWrapperSerde(self.foreign_value)
        self.schema = CombinedKeySchema(self.foreign_key, self.primary_key)
        self.hash_topic = ""
        self.fk_topic = ""

    def init(self, context: Any) -> None:
        """Resolve default serdes from the application's config and decorate the pseudo-topics."""
        configs = getattr(context, "app_configs", None)
        for serde in (self.primary_key, self.foreign_key, self.value, self.foreign_value):
            serde.configure(configs)
        base = f"{context.application_id}-{self.subscription_topic}"
        self.subscription.pseudo_topic = self.schema.pk_topic = f"{base}-pk"
        self.fk_topic = self.schema.fk_topic = f"{base}-fk"
        self.hash_topic = f"{base}-vh"
