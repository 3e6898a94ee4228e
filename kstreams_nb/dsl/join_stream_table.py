"""Stream-table joins: ``KStream.join / left_join`` with a KTable or a GlobalKTable (Kafka's KStreamKTableJoin and
KStreamGlobalKTableJoin).

Each stream record looks up the table's current value for its key (for a GlobalKTable, for
``key_selector(key, value)``); table updates never emit. The result keeps the stream record's key, timestamp and
headers. A stream record with a null value, or a null (mapped) key, is dropped with Kafka's warning and counted
in the join processor's ``dropped`` counter; a left join keeps a null-key record with a value (the table side is
then None), as Kafka does since 3.7.

As in Kafka's ``KStreamImpl``: a KTable join is named ``KSTREAM-JOIN-`` / ``KSTREAM-LEFTJOIN-`` (``Joined``'s
name wins) and connected to the store that holds the table, which is materialized if it was not (for an
unmaterialized ``filter`` / ``map_values`` the lookup reads its parent's store and applies the operator); the
stream's and the table's source topics must be co-partitioned, and a stream whose key changed is first
repartitioned through ``<name>-repartition`` (generated names share one repartition topic between joins). A
GlobalKTable join is named ``KSTREAM-LEFTJOIN-`` for both kinds, as Kafka names it, and needs no
co-partitioning.

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder
    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> b = StreamsBuilder()
    >>> users = b.table("users")
    >>> b.stream("clicks").left_join(users, lambda click, user: f"{click} by {user}").to("out")
    >>> with TopologyTestDriver(b.build()) as d:
    ...     d.create_input_topic("users").pipe_input("u1", "ann")
    ...     clicks = d.create_input_topic("clicks")
    ...     clicks.pipe_input("u1", "c1"); clicks.pipe_input("u2", "c2")
    ...     d.create_output_topic("out").read_key_values_to_list()
    [('u1', 'c1 by ann'), ('u2', 'c2 by None')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl._graph import GraphNode, ProcessorGraphNode, RepartitionGraphNode, SourceGraphNode
from kstreams_nb.dsl.aggregate import StreamAggregateSupplier
from kstreams_nb.dsl.options import Joined
from kstreams_nb.dsl.table_aggregate import _GroupedTableSupplier
from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

if TYPE_CHECKING:
    from kstreams_nb.dsl.global_table import GlobalKTable
    from kstreams_nb.dsl.kstream import KStream
    from kstreams_nb.dsl.ktable import KTable

__all__ = [
    "KStreamKTableJoinSupplier",
    "ValueGetterSupplier",
    "global_table_join",
    "join_table",
    "repartition_for_join",
    "stream_table_join",
    "value_getter_supplier",
]

JOIN_NAME = "KSTREAM-JOIN-"
LEFTJOIN_NAME = "KSTREAM-LEFTJOIN-"

#: a lookup of the table's current ValueAndTimestamp (None when absent) by key
Getter = Callable[[Any], Any]


class ValueGetterSupplier(Protocol):
    """What a join needs of a table: the stores to connect, and a per-task lookup (Kafka's
    KTableValueGetterSupplier). A table operator's supplier may provide one as ``value_getter_supplier()``."""

    store_names: Sequence[str]

    def getter(self, context: Any) -> Getter:
        """The lookup for the task of ``context`` (called from the join processor's ``init``)."""
        ...


class StoreValueGetter:
    """Reads a timestamped key-value store (a materialized table, or a global table's store)."""

    def __init__(self, store_name: str, connect: bool = True) -> None:
        self.store_name = store_name
        self.store_names: Sequence[str] = [store_name] if connect else []

    def getter(self, context: Any) -> Getter:
        get: Getter = context.get_state_store(self.store_name).get
        return get


class _FilterValueGetter:
    """An unmaterialized KTABLE-FILTER: the parent's value when it passes the predicate, else None."""

    def __init__(self, parent: ValueGetterSupplier, predicate: Callable[[Any, Any], Any], negate: bool) -> None:
        self.parent = parent
        self.predicate = predicate
        self.negate = negate
        self.store_names = parent.store_names

    def getter(self, context: Any) -> Getter:
        get = self.parent.getter(context)
        predicate, negate = self.predicate, self.negate

        def filtered(key: Any) -> Any:
            vt = get(key)
            if vt is None or vt.value is None or bool(predicate(key, vt.value)) is negate:
                return None
            return vt

        return filtered


class _MapValuesValueGetter:
    """An unmaterialized KTABLE-MAPVALUES: the mapped parent value, with the parent's timestamp."""

    def __init__(self, parent: ValueGetterSupplier, mapper: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.mapper = mapper
        self.store_names = parent.store_names

    def getter(self, context: Any) -> Getter:
        from kstreams_nb.state import ValueAndTimestamp

        get = self.parent.getter(context)
        mapper = self.mapper

        def mapped(key: Any) -> Any:
            vt = get(key)
            if vt is None:
                return None
            value = mapper(key, vt.value) if vt.value is not None else None
            return ValueAndTimestamp(value, vt.timestamp)

        return mapped


def value_getter_supplier(table: KTable) -> ValueGetterSupplier:
    """How to look up ``table``'s current values (Kafka's ``KTableImpl.valueGetterSupplier``); a source table is
    materialized by this call, as in Kafka."""
    supplier = table._supplier
    own = getattr(supplier, "value_getter_supplier", None)
    if callable(own):
        result: ValueGetterSupplier = own()
        return result
    if isinstance(supplier, tp.KTableSourceSupplier):
        supplier.materialize()
        return StoreValueGetter(str(supplier.store_name))
    if isinstance(supplier, (tp.KTableFilterSupplier, tp.KTableMapValuesSupplier)):
        if supplier.materialized:
            return StoreValueGetter(str(supplier.store_name))
        parent = value_getter_supplier(supplier.parent)
        if isinstance(supplier, tp.KTableFilterSupplier):
            return _FilterValueGetter(parent, supplier.predicate, supplier.negate)
        return _MapValuesValueGetter(parent, supplier.mapper)
    if isinstance(supplier, (StreamAggregateSupplier, _GroupedTableSupplier)):
        return StoreValueGetter(supplier.store_name)
    raise TopologyError(
        f"joining a stream with table {table.name} is not supported yet: join with a table read by "
        "builder.table() / to_table(), a filter or map_values of one, or a key-value aggregation (materialize "
        "other tables first, e.g. .to_stream().to_table())"
    )


class KStreamKTableJoinSupplier:
    """Supplier of the stream-table join processor (KTable and GlobalKTable alike)."""

    def __init__(
        self,
        getter: ValueGetterSupplier,
        joiner: Callable[[Any, Any, Any], Any],
        left: bool,
        key_mapper: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        self.getter = getter
        self.joiner = joiner
        self.left = left
        self.key_mapper = key_mapper

    def __call__(self) -> Processor:
        return _StreamTableJoin(self)


class _StreamTableJoin(Processor):
    """Looks the stream record's (mapped) key up in the table and forwards the joined value."""

    def __init__(self, spec: KStreamKTableJoinSupplier) -> None:
        self.joiner = spec.joiner
        self.left = spec.left
        self.key_mapper = spec.key_mapper
        self.getter_supplier = spec.getter
        self.get: Getter = lambda key: None
        #: records dropped for a null (mapped) key or a null value
        self.dropped = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.get = self.getter_supplier.getter(context)

    def process(self, record: Record) -> None:
        key = record.key
        value = record.value
        mapper = self.key_mapper
        mapped = key if mapper is None else mapper(key, value)
        if value is None or (mapped is None and not (self.left and key is None)):
            self.dropped += 1
            tp.warn_skipped_record(self.context, "Skipping record due to null join key or value.")
            return
        other = None
        if mapped is not None:
            vt = self.get(mapped)
            if vt is not None:
                other = vt.value
        if other is not None or self.left:
            self.context.forward(record.with_value(self.joiner(key, value, other)))


def _with_key(joiner: Callable[..., Any], with_key: bool) -> Callable[[Any, Any, Any], Any]:
    if with_key:
        return joiner
    return lambda _key, left, right: joiner(left, right)


def source_topics(node: GraphNode) -> list[str]:
    """The topics the sources upstream of ``node`` read (up to the nearest repartition topics), in order."""
    topics: list[str] = []
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, RepartitionGraphNode):
            found = [n.topic]
        elif isinstance(n, SourceGraphNode):
            found = list(n.topics or [])
        else:
            stack.extend(reversed(n.parents))
            continue
        topics.extend(t for t in found if t not in topics)
    return topics


def repartition_for_join(stream: KStream, name: str, key_serde: Any, value_serde: Any) -> KStream:
    """Kafka's ``repartitionForJoin``: ``stream`` through ``<name>-repartition``; joins of one stream with
    generated names (``name`` is the stream's own) share one repartition node, though names are burnt each time."""
    from kstreams_nb.dsl.kstream import KStream

    b = stream._builder
    key_serde = key_serde if key_serde is not None else stream.key_serde
    value_serde = value_serde if value_serde is not None else stream.value_serde
    topic, sink, filt, source = b.repartition_names(name)
    node: RepartitionGraphNode | None = getattr(stream, "_join_repartition", None)
    if node is None or stream.name != name:
        node = RepartitionGraphNode(
            [stream._node], topic=topic, filter_name=filt, sink_name=sink, source_name=source,
            key_serde=key_serde, value_serde=value_serde,
        )
        b.add(node)
        stream._join_repartition = node  # type: ignore[attr-defined]
    return KStream(b, node, key_serde, value_serde, False)


def stream_table_join(
    stream: KStream,
    table: KTable,
    joiner: Callable[..., Any],
    joined: Joined | None,
    left: bool,
    *,
    with_key: bool = False,
    named: str | None = None,
) -> KStream:
    """``stream.join / left_join(table)``: Kafka's ``KStreamImpl.join(KTable)`` and ``doStreamTableJoin``."""
    from kstreams_nb.dsl.kstream import KStream

    if table._builder is not stream._builder:
        raise TopologyError("join: the stream and the table must come from the same StreamsBuilder")
    j = joined or Joined()
    if j.grace_period is not None:
        raise TopologyError(
            "a stream-table join with a grace period needs a versioned table, which is not supported yet: "
            "leave Joined's grace_period unset"
        )
    name = j.name if j.name is not None else named
    if stream._repartition_required:
        stream = repartition_for_join(stream, name if name is not None else stream.name, j.key_serde, j.value_serde)
    b = stream._builder
    getter = value_getter_supplier(table)
    node_name = b.name_or_generate(name, LEFTJOIN_NAME if left else JOIN_NAME)
    supplier = KStreamKTableJoinSupplier(getter, _with_key(joiner, with_key), left)
    node = CopartitionedJoinNode(
        node_name, [stream._node], supplier, store_names=list(getter.store_names),
        copartition=source_topics(stream._node) + source_topics(table._node),
    )
    b.add(node)
    key_serde = j.key_serde if j.key_serde is not None else stream.key_serde
    return KStream(b, node, key_serde, None, False)


def global_table_join(
    stream: KStream,
    table: GlobalKTable,
    key_selector: Callable[[Any, Any], Any],
    joiner: Callable[..., Any],
    left: bool,
    *,
    with_key: bool = False,
    named: str | None = None,
) -> KStream:
    """``stream.join / left_join(global_table, key_selector=...)``: Kafka's ``KStreamImpl.globalTableJoin``."""
    from kstreams_nb.dsl.kstream import KStream

    if table._builder is not stream._builder:
        raise TopologyError("join: the stream and the global table must come from the same StreamsBuilder")
    b = stream._builder
    node_name = b.name_or_generate(named, LEFTJOIN_NAME)  # Kafka names inner global joins LEFTJOIN too
    getter = StoreValueGetter(table.store_name, connect=False)
    supplier = KStreamKTableJoinSupplier(getter, _with_key(joiner, with_key), left, key_selector)
    node = ProcessorGraphNode(node_name, [stream._node], supplier)
    b.add(node)
    return KStream(b, node, stream.key_serde, None, stream._repartition_required)


def join_table(
    stream: KStream,
    other: Any,
    joiner: Callable[..., Any],
    op: str,
    *,
    windows: Any,
    stream_joined: Any,
    joined: Joined | None,
    key_selector: Callable[[Any, Any], Any] | None,
    named: str | None,
    with_key: bool,
) -> KStream:
    """``KStream.join / left_join`` (``op``) with a KTable or a GlobalKTable: checks the options, then joins."""
    from kstreams_nb.dsl.global_table import GlobalKTable
    from kstreams_nb.dsl.ktable import KTable

    left = op == "left_join"
    extra = [n for n, v in (("windows", windows), ("stream_joined", stream_joined)) if v is not None]
    if extra:
        raise TopologyError(f"{op} with a table takes no {' or '.join(extra)} (they are for stream-stream joins)")
    if isinstance(other, KTable):
        if key_selector is not None:
            raise TopologyError(f"{op} with a KTable joins on the record key: key_selector is for GlobalKTables")
        return stream_table_join(stream, other, joiner, joined, left, with_key=with_key, named=named)
    if isinstance(other, GlobalKTable):
        if joined is not None:
            raise TopologyError(f"{op} with a GlobalKTable takes no joined= (name it with named=)")
        if not callable(key_selector):
            raise TopologyError(
                f"{op} with a GlobalKTable needs key_selector=, a callable (key, value) -> the table's key"
            )
        return global_table_join(stream, other, key_selector, joiner, left, with_key=with_key, named=named)
    raise TopologyError(f"{op}: cannot join with {type(other).__name__}: pass a KTable or a GlobalKTable")


class CopartitionedJoinNode(ProcessorGraphNode):
    """A join processor that also records that its input topics must be co-partitioned."""

    def __init__(
        self,
        name: str,
        parents: Sequence[GraphNode],
        supplier: Callable[[], Processor],
        *,
        store_names: Sequence[str],
        copartition: Sequence[str],
    ) -> None:
        super().__init__(name, parents, supplier, store_names=store_names)
        self.copartition = list(copartition)

    def write(self, tb: Any) -> None:
        super().write(tb)
        if self.copartition:
            tb.copartition(self.copartition)
