"""Grouped-table aggregation (Kafka's KTableRepartitionMap, KTableAggregate, KTableReduce, ChangedSerializer).

``KTable.group_by(selector)`` adds a KTABLE-SELECT processor that maps each table update to the new group's
key: the old pair is forwarded as ``Change(None, old)`` and the new pair as ``Change(new, None)`` (one
``Change(new, old)`` when the group key did not change). The Changes cross a repartition topic (framed by
:class:`ChangeSerde`), and KTABLE-AGGREGATE / KTABLE-REDUCE apply the subtractor to the old value and then the
adder to the new one.

Example::

    >>> from kstreams_nb.serdes import Serdes
    >>> from kstreams_nb.dsl.table import Change
    >>> serde = ChangeSerde(Serdes.string())
    >>> serde.serialize("t", Change("new", None))
    b'new\\x01'
    >>> serde.deserialize("t", serde.serialize("t", Change("b", "a")))
    Change(new='b', old='a')
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from kstreams_nb.dsl._graph import GraphNode
from kstreams_nb.dsl.table import Change, forward_on_flush
from kstreams_nb.errors import DeserializationError, SerializationError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes, serde_by_name
from kstreams_nb.topology._builder import InternalTopologyBuilder

__all__ = [
    "ChangeSerde",
    "GroupedTableRepartitionNode",
    "KTableAggregateSupplier",
    "KTableReduceSupplier",
    "KTableRepartitionMapSupplier",
    "count_subtractor",
]

log = logging.getLogger(__name__)

# Kafka's UPGRADE_FROM values before 3.5: the select then always splits an update into two records.
_OLD_UPGRADE_FROM = frozenset(
    ["0.10.0", "0.10.1", "0.10.2", "0.11.0", "1.0", "1.1"]
    + [f"2.{n}" for n in range(9)]
    + [f"3.{n}" for n in range(5)]
)


def _is_upgrade(app_configs: Mapping[str, Any] | None) -> bool:
    return app_configs is not None and app_configs.get("upgrade.from") in _OLD_UPGRADE_FROM


def count_subtractor(key: Any, value: Any, agg: int) -> int:
    """``KGroupedTable.count()``'s subtractor."""
    return agg - 1


# ---------------------------------------------------------------------------------------------- the serde
def _write_varint(value: int, out: bytearray) -> None:
    v = ((value << 1) ^ (value >> 31)) & 0xFFFFFFFF  # zig-zag, as Kafka's ByteUtils.writeVarint
    while v & ~0x7F:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    raw = shift = 0
    while True:
        if pos >= len(data) or shift > 28:
            raise ValueError("malformed varint in a Change frame")
        b = data[pos]
        pos += 1
        raw |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return (raw >> 1) ^ -(raw & 1), pos


class ChangeSerde:
    """Kafka's ChangedSerializer/ChangedDeserializer: a ``Change`` framed around the inner value serde's bytes.

    Written as ``old + 0x00``, ``new + 0x01`` or ``varint(len(new)) + new + old + 0x02``; the versioned
    frames 3-5 (an extra is-latest byte) are read too. So repartition topics are byte-compatible with Java.
    ``inner=None`` means the application's ``default.value.serde`` (resolved by :meth:`configure`, which the
    grouped-table processors call from ``init``; JSON until then, the library's default).

    Example::

        >>> from kstreams_nb.serdes import Serdes
        >>> ChangeSerde(Serdes.string()).serialize("t", Change("b", "a"))
        b'\\x02ba\\x02'
    """

    __slots__ = ("_resolved", "inner", "upgrade")

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner
        self._resolved: Any = inner
        self.upgrade = False

    def configure(self, app_configs: Mapping[str, Any] | None) -> None:
        """Resolve a missing inner serde from ``default.value.serde`` and read ``upgrade.from``."""
        self.upgrade = _is_upgrade(app_configs)
        if self.inner is None:
            default = app_configs.get("default.value.serde") if app_configs is not None else None
            self._resolved = serde_by_name(default) if isinstance(default, str) else default

    def _serde(self) -> Any:
        return self._resolved if self._resolved is not None else Serdes.json()

    def serialize(self, topic: str | None, data: Any) -> bytes | None:
        """The framed bytes of ``data`` (a Change; None stays None)."""
        if data is None:
            return None
        if not isinstance(data, Change):
            raise SerializationError(f"ChangeSerde expects a Change, got {type(data).__name__}", topic=topic)
        inner = self._serde()
        new: bytes | None = inner.serialize(topic, data.new) if data.new is not None else None
        old: bytes | None = inner.serialize(topic, data.old) if data.old is not None else None
        if new is not None and old is not None:
            if self.upgrade:
                raise SerializationError(
                    f"Both old and new values are not null ({data.old} : {data.new}) in ChangeSerializer, "
                    "which is not allowed unless upgrading.",
                    topic=topic,
                )
            out = bytearray()
            _write_varint(len(new), out)
            out += new
            out += old
            out.append(2)
            return bytes(out)
        if new is not None:
            return new + b"\x01"
        if old is not None:
            return old + b"\x00"
        raise SerializationError("Both old and new values are null in ChangeSerializer, which is not allowed.",
                                 topic=topic)

    def deserialize(self, topic: str | None, data: bytes | None) -> Any:
        """The Change framed in ``data`` (None for None)."""
        if data is None:
            return None
        if not data:
            raise DeserializationError("empty Change frame", topic=topic)
        flag = data[-1]
        if flag in (0, 3):
            new_b, old_b = None, data[: -1 if flag == 0 else -2]
        elif flag in (1, 4):
            new_b, old_b = data[: -1 if flag == 1 else -2], None
        elif flag in (2, 5):
            length, pos = _read_varint(data, 0)
            new_b = data[pos : pos + length]
            old_b = data[pos + length : -1 if flag == 2 else -2]
        else:
            raise DeserializationError(f"Encountered unknown byte value `{flag}` for encodingFlag in ChangeSerde.",
                                       topic=topic)
        inner = self._serde()
        return Change(inner.deserialize(topic, new_b), inner.deserialize(topic, old_b))

    def serializer(self) -> ChangeSerde:
        """This serde as a serializer."""
        return self

    def deserializer(self) -> ChangeSerde:
        """This serde as a deserializer."""
        return self

    def __repr__(self) -> str:
        return f"ChangeSerde({self.inner!r})"


class GroupedTableRepartitionNode(GraphNode):
    """The repartition of a grouped table: a sink and a source on ``<topic>``, values framed as Changes.

    Unlike a stream repartition there is no filter processor in between (Kafka's
    GroupedTableOperationRepartitionNode); children attach to the source.
    """

    def __init__(
        self, parents: list[GraphNode], *, topic: str, sink_name: str, source_name: str, key_serde: Any,
        value_serde: Any,
    ) -> None:
        super().__init__(source_name, parents)
        self.topic = topic
        self.sink_name = sink_name
        self.key_serde = key_serde
        self.value_serde = ChangeSerde(value_serde)

    def write(self, tb: InternalTopologyBuilder) -> None:
        tb.add_internal_topic(self.topic, None)
        tb.add_sink(self.sink_name, self.topic, self.parent_names, key_serializer=self.key_serde,
                    value_serializer=self.value_serde)
        tb.add_source(self.name, [self.topic], key_deserializer=self.key_serde, value_deserializer=self.value_serde)


# ---------------------------------------------------------------------------------------------- KTABLE-SELECT
class KTableRepartitionMapSupplier:
    """Supplier of KTABLE-SELECT: ``selector(key, value) -> (new_key, new_value)`` applied to old and new."""

    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector
        #: the serdes of the repartition topics this select writes to (configured in ``init``)
        self.serdes: list[ChangeSerde] = []

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Never called: the select always needs old values from its parent."""
        raise RuntimeError("KTableRepartitionMap should always require sending old values.")

    def __call__(self) -> Processor:
        return _TableRepartitionMap(self)


def _pair(selector: Callable[[Any, Any], Any], key: Any, value: Any) -> tuple[Any, Any] | None:
    if value is None:
        return None
    pair = selector(key, value)
    if pair is None:
        return None
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise TypeError(f"group_by's selector must return a (key, value) tuple or None, got {pair!r}")
    if pair[0] is None or pair[1] is None:
        return None
    return pair


class _TableRepartitionMap(Processor):
    def __init__(self, spec: KTableRepartitionMapSupplier) -> None:
        self.spec = spec
        self.not_upgrade = True

    def init(self, context: Any) -> None:
        super().init(context)
        configs = getattr(context, "app_configs", None)
        self.not_upgrade = not _is_upgrade(configs)
        for serde in self.spec.serdes:
            serde.configure(configs)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            raise ValueError("Record key for the grouping KTable should not be null.")
        change: Change = record.value
        selector = self.spec.selector
        new_pair = _pair(selector, key, change.new)
        old_pair = _pair(selector, key, change.old)
        ts, headers, forward = record.timestamp, record.headers, self.context.forward
        # the old pair goes first, so that an aggregate subtracts before it adds
        if self.not_upgrade and old_pair is not None and new_pair is not None and old_pair[0] == new_pair[0]:
            forward(Record._unchecked(old_pair[0], Change(new_pair[1], old_pair[1]), ts, headers))
            return
        if old_pair is not None:
            forward(Record._unchecked(old_pair[0], Change(None, old_pair[1]), ts, headers))
        if new_pair is not None:
            forward(Record._unchecked(new_pair[0], Change(new_pair[1], None), ts, headers))


# ---------------------------------------------------------------------------------------------- aggregates
class _GroupedTableSupplier:
    """Common part of KTABLE-AGGREGATE and KTABLE-REDUCE suppliers (always materialized)."""

    materialized = True

    def __init__(self, store_name: str, serde: ChangeSerde | None) -> None:
        self.store_name = store_name
        self.serde = serde
        self.send_old_values = False

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Forward old aggregates too (an aggregate is always materialized, so this always succeeds)."""
        self.send_old_values = True
        return True


class KTableAggregateSupplier(_GroupedTableSupplier):
    """Supplier of KTABLE-AGGREGATE: ``initializer()``, ``adder(key, value, agg)``, ``subtractor(key, value, agg)``."""

    def __init__(
        self,
        store_name: str,
        initializer: Callable[[], Any],
        adder: Callable[[Any, Any, Any], Any],
        subtractor: Callable[[Any, Any, Any], Any],
        serde: ChangeSerde | None = None,
    ) -> None:
        super().__init__(store_name, serde)
        self.initializer = initializer
        self.adder = adder
        self.subtractor = subtractor

    def __call__(self) -> Processor:
        return _TableAggregate(self)


class KTableReduceSupplier(_GroupedTableSupplier):
    """Supplier of KTABLE-REDUCE: ``adder(agg, value)`` and ``subtractor(agg, value)``."""

    def __init__(
        self,
        store_name: str,
        adder: Callable[[Any, Any], Any],
        subtractor: Callable[[Any, Any], Any],
        serde: ChangeSerde | None = None,
    ) -> None:
        super().__init__(store_name, serde)
        self.adder = adder
        self.subtractor = subtractor

    def __call__(self) -> Processor:
        return _TableReduce(self)


class _GroupedTableProcessor(Processor):
    kind = "aggregate"

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.store: Any = None
        self.cached = False

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(self.spec.store_name)
        #: the store caches: its flushes forward the updates (Kafka's TimestampedTupleForwarder)
        self.cached = forward_on_flush(context, self.store, self.spec.send_old_values)
        if self.spec.serde is not None:
            self.spec.serde.configure(getattr(context, "app_configs", None))

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            raise ValueError(f"Record key for KTable {self.kind} operator with state {self.spec.store_name} "
                             "should not be null.")
        change: Change = record.value
        old_vt = self.store.get(key)
        old_agg = old_vt.value if old_vt is not None else None
        new_agg, ts = self._apply(key, change, old_agg, old_vt.timestamp if old_vt is not None else None,
                                  record.timestamp)
        self.store.put(key, new_agg, ts)
        if self.cached:
            return
        self.context.forward(Record._unchecked(
            key, Change(new_agg, old_agg if self.spec.send_old_values else None), ts, record.headers))

    def _apply(self, key: Any, change: Change, old_agg: Any, old_ts: int | None, ts: int) -> tuple[Any, int]:
        raise NotImplementedError


class _TableAggregate(_GroupedTableProcessor):
    def _apply(self, key: Any, change: Change, old_agg: Any, old_ts: int | None, ts: int) -> tuple[Any, int]:
        spec = self.spec
        new_ts = ts
        agg = old_agg
        if change.old is not None and old_agg is not None:
            agg = spec.subtractor(key, change.old, old_agg)
            new_ts = max(ts, old_ts) if old_ts is not None else ts
        if change.new is not None:
            agg = spec.adder(key, change.new, spec.initializer() if agg is None else agg)
            if old_ts is not None:
                new_ts = max(ts, old_ts)
        return agg, new_ts


class _TableReduce(_GroupedTableProcessor):
    kind = "reduce"

    def _apply(self, key: Any, change: Change, old_agg: Any, old_ts: int | None, ts: int) -> tuple[Any, int]:
        spec = self.spec
        new_ts = ts
        agg = old_agg
        if change.old is not None and old_agg is not None:
            agg = spec.subtractor(old_agg, change.old)
            new_ts = max(ts, old_ts) if old_ts is not None else ts
        if change.new is not None:
            if agg is None:
                agg = change.new
            else:
                agg = spec.adder(agg, change.new)
                new_ts = max(ts, old_ts) if old_ts is not None else ts
        return agg, new_ts
