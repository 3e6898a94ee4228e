"""KTable: a changelog stream read as a table (the latest value per key)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl._graph import GraphNode, InternalStreamsBuilder, ProcessorGraphNode
from kstreams_nb.dsl._signatures import expect, named_and_materialized
from kstreams_nb.dsl.kstream import KStream, _check_callable, _name
from kstreams_nb.dsl.options import Grouped, Materialized, Named, TableJoined
from kstreams_nb.errors import TopologyError
from kstreams_nb.topology._builder import InternalTopologyBuilder

if TYPE_CHECKING:
    from kstreams_nb.dsl.grouped import KGroupedTable

__all__ = ["KTable", "TableProcessorGraphNode", "table_source_node"]


def _call_enable(enable: Callable[..., Any], force_materialization: bool) -> bool:
    """Call a supplier's ``enable_sending_old_values`` (with or without the force flag); a None result is success."""
    try:
        takes_flag = bool(inspect.signature(enable).parameters)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        takes_flag = True
    result = enable(force_materialization) if takes_flag else enable()
    return result is None or bool(result)


class TableProcessorGraphNode(ProcessorGraphNode):
    """A table operator; its store is added only when the operator ends up materialized."""

    def __init__(
        self, name: str, parents: Sequence[GraphNode], supplier: Any, store_builder: Any, parent_table: Any = None
    ) -> None:
        super().__init__(name, parents, supplier)
        self.store_builder = store_builder
        self.parent_table = parent_table

    def write(self, tb: InternalTopologyBuilder) -> None:
        tb.add_processor(self.name, self.supplier, self.parent_names)
        if self.store_builder is not None and getattr(self.supplier, "materialized", False):
            tb.add_state_store(self.store_builder, [self.name])
        for store in self.store_names:
            tb.connect_processor_and_store(self.name, store)


def table_source_node(
    name: str,
    parents: Sequence[GraphNode],
    store_name: str,
    materialized: Materialized,
    key_serde: Any,
    value_serde: Any,
    *,
    queryable: str | None,
) -> TableProcessorGraphNode:
    """The processor that turns a stream into a table (KTABLE-SOURCE / KSTREAM-TOTABLE)."""
    supplier = tp.KTableSourceSupplier(store_name, queryable)
    builder = tp.materialize_kv(store_name, materialized, key_serde, value_serde)
    return TableProcessorGraphNode(name, parents, supplier, builder)


class KTable:
    """A table; operations return new KTables (values between table operators are ``Change``s).

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> b.table("users").filter(lambda k, v: v["active"]).to_stream().to("active-users")
    """

    def __init__(
        self,
        builder: InternalStreamsBuilder,
        node: GraphNode,
        key_serde: Any = None,
        value_serde: Any = None,
        queryable_store_name: str | None = None,
    ) -> None:
        self._builder = builder
        self._node = node
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._queryable = queryable_store_name

    @property
    def name(self) -> str:
        """The processor name this table comes out of."""
        return self._node.name

    def queryable_store_name(self) -> str | None:
        """The name of the store holding this table, when it is queryable (named)."""
        return self._queryable

    @property
    def _supplier(self) -> Any:
        return getattr(self._node, "supplier", None)

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Make this table's updates carry old values; True when they will (Kafka's ``enableSendingOldValues``).

        A source table must be materialized for that: it is when ``force_materialization`` is true, otherwise
        an unmaterialized source (and any unmaterialized operator reading it) returns False.
        """
        node = self._node
        if getattr(node, "send_old_values_enabled", False):
            return True
        supplier = self._supplier
        if isinstance(supplier, tp.KTableSourceSupplier):
            if not force_materialization and not supplier.materialized:
                return False
            supplier.enable_sending_old_values()
        elif supplier is not None and callable(getattr(supplier, "enable_sending_old_values", None)):
            if not _call_enable(supplier.enable_sending_old_values, force_materialization):
                return False
        elif supplier is not None and hasattr(supplier, "send_old_values"):
            supplier.send_old_values = True  # stream aggregations: always materialized
        node.send_old_values_enabled = True  # type: ignore[attr-defined]
        return True

    def sending_old_value_enabled(self) -> bool:
        """True once :meth:`enable_sending_old_values` succeeded on this table."""
        return bool(getattr(self._node, "send_old_values_enabled", False))

    def _table_op(
        self,
        prefix: str,
        named: Named | str | None,
        make_supplier: Callable[[str | None, str | None], Any],
        materialized: Materialized | None,
        value_serde: Any,
    ) -> KTable:
        store_name = None
        builder = None
        key_serde = self.key_serde
        if materialized is not None:
            # only a named Materialized materializes; an unnamed one still burns a store number first, as Kafka
            store_name = materialized.store_name
            if store_name is None:
                self._builder.new_store_name(prefix)
            key_serde = materialized.key_serde if materialized.key_serde is not None else self.key_serde
            if materialized.value_serde is not None:
                value_serde = materialized.value_serde
            if store_name is not None:
                builder = tp.materialize_kv(store_name, materialized, key_serde, value_serde)
        name = self._builder.name_or_generate(_name(named), prefix)
        supplier = make_supplier(store_name, store_name)
        supplier.parent = self
        node = TableProcessorGraphNode(name, [self._node], supplier, builder, parent_table=self)
        self._builder.add(node)
        return KTable(self._builder, node, key_serde, value_serde, store_name)

    def filter(
        self, predicate: Callable[[Any, Any], Any], named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Keep rows where ``predicate(key, value)``; a filtered-out update is forwarded as a delete."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(predicate, "filter's predicate", "(key, value) -> bool")
        return self._filter(predicate, False, named, materialized)

    def filter_not(
        self, predicate: Callable[[Any, Any], Any], named: Named | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Drop rows where ``predicate(key, value)`` (forwarded as deletes)."""
        named, materialized = named_and_materialized(named, materialized)
        _check_callable(predicate, "filter_not's predicate", "(key, value) -> bool")
        return self._filter(predicate, True, named, materialized)

    def _filter(
        self, predicate: Callable[[Any, Any], Any], negate: bool, named: Named | str | None,
        materialized: Materialized | None,
    ) -> KTable:
        def make(store: str | None, queryable: str | None) -> tp.KTableFilterSupplier:
            supplier = tp.KTableFilterSupplier(predicate, negate, store, queryable)
            # Kafka's KTableFilter: when the parent is already materialized, send old values to avoid
            # forwarding needless tombstones
            supplier.send_old_values = self.enable_sending_old_values(False)
            return supplier

        return self._table_op("KTABLE-FILTER-", named, make, materialized, self.value_serde)

    def map_values(
        self, mapper: Callable[..., Any], named: Named | str | None = None,
        materialized: Materialized | None = None, *, with_key: bool = False,
    ) -> KTable:
        """New value per key: ``mapper(value)`` (``mapper(key, value)`` with ``with_key=True``)."""
        named, materialized = named_and_materialized(named, materialized)
        from kstreams_nb.dsl.stateless import value_mapper

        _check_callable(mapper, "map_values' mapper", "(value) -> new_value")
        fn = value_mapper(mapper, with_key)
        return self._table_op(
            "KTABLE-MAPVALUES-", named, lambda s, q: tp.KTableMapValuesSupplier(fn, s, q), materialized, None
        )

    def to_stream(
        self, mapper: Callable[[Any, Any], Any] | None = None, named: Named | str | None = None
    ) -> KStream:
        """The table's changelog as a stream (deletes are None values); ``mapper`` picks a new key."""
        if isinstance(mapper, Named) and named is None:  # Kafka's toStream(Named) overload
            mapper, named = None, mapper
        if mapper is not None:  # checked before any node is added, as Kafka's requireNonNull comes first
            _check_callable(mapper, "to_stream's mapper", "(key, value) -> new_key")
        name = self._builder.name_or_generate(_name(named), "KTABLE-TOSTREAM-")
        node = ProcessorGraphNode(name, [self._node], tp.ToStream)
        self._builder.add(node)
        stream = KStream(self._builder, node, self.key_serde, self.value_serde)
        return stream.select_key(mapper) if mapper is not None else stream

    def group_by(
        self, selector: Callable[[Any, Any], tuple[Any, Any]], grouped: Grouped | None = None
    ) -> KGroupedTable:
        """Re-group rows by ``selector(key, value) -> (new_key, new_value)`` (always repartitions)."""
        from kstreams_nb.dsl.grouped import KGroupedTable

        _check_callable(selector, "group_by's selector", "(key, value) -> (new_key, new_value)")
        expect("grouped", grouped, Grouped)
        return KGroupedTable.from_table(self, selector, grouped or Grouped())

    def join(
        self, other: KTable, joiner: Callable[..., Any], named: Named | str | None = None,
        materialized: Materialized | None = None, *, with_key: bool = False,
        foreign_key_extractor: Callable[[Any], Any] | None = None, table_joined: TableJoined | None = None,
    ) -> KTable:
        """Inner join with ``other`` on the key: ``joiner(value, other_value)`` for keys present in both tables
        (``joiner(key, value, other_value)`` with ``with_key=True``); a delete on either side deletes the result.

        With ``foreign_key_extractor(value) -> other_key`` it is a foreign-key join: each row is joined with the
        row of ``other`` whose key the extractor picks (``table_joined`` names it and sets partitioners; see
        :mod:`kstreams_nb.dsl.join_foreign_key`).

        Example::

            >>> from kstreams_nb.dsl import StreamsBuilder
            >>> b = StreamsBuilder()
            >>> b.table("users").join(b.table("cities"), lambda user, city: f"{user} in {city}").to_stream().to("out")
            >>> b.table("orders").join(b.table("customers"), lambda order, customer: (order, customer),
            ...                        foreign_key_extractor=lambda order: order["customer"])
            <KTable KTABLE-FK-JOIN-OUTPUT-0000000029>
        """
        if foreign_key_extractor is not None or table_joined is not None:
            return self._fk_join(other, joiner, named, materialized, with_key, foreign_key_extractor, table_joined,
                                 False)
        return self._join(other, joiner, "inner", named, materialized, with_key)

    def left_join(
        self, other: KTable, joiner: Callable[..., Any], named: Named | str | None = None,
        materialized: Materialized | None = None, *, with_key: bool = False,
        foreign_key_extractor: Callable[[Any], Any] | None = None, table_joined: TableJoined | None = None,
    ) -> KTable:
        """Left join with ``other``: every key of this table, ``joiner(value, None)`` while ``other`` lacks it
        (a foreign-key left join with ``foreign_key_extractor``, as :meth:`join`)."""
        if foreign_key_extractor is not None or table_joined is not None:
            return self._fk_join(other, joiner, named, materialized, with_key, foreign_key_extractor, table_joined,
                                 True)
        return self._join(other, joiner, "left", named, materialized, with_key)

    def _fk_join(
        self, other: KTable, joiner: Callable[..., Any], named: Named | str | None,
        materialized: Materialized | None, with_key: bool, extractor: Callable[[Any], Any] | None,
        table_joined: TableJoined | None, left: bool,
    ) -> KTable:
        from kstreams_nb.dsl.join_foreign_key import foreign_key_join

        kind = "foreign-key left join" if left else "foreign-key join"
        named, materialized = named_and_materialized(named, materialized)
        if named is not None:
            raise TopologyError(f"a {kind} is named by table_joined=TableJoined.as_(name), not by named")
        if other is None:
            raise TopologyError(f"a {kind} needs the other KTable, got None")
        expect("other", other, KTable)
        expect("table_joined", table_joined, TableJoined)
        if extractor is None:
            raise TopologyError(f"a {kind} needs foreign_key_extractor=(value) -> key of the other table")
        _check_callable(extractor, f"the {kind}'s foreign_key_extractor", "(value) -> other_key")
        _check_callable(joiner, f"the {kind}'s joiner", "(value, other_value) -> result")
        fn = joiner if with_key else (lambda _key, value, other_value: joiner(value, other_value))
        return foreign_key_join(self, other, extractor, fn, table_joined or TableJoined(), materialized, left)

    def outer_join(
        self, other: KTable, joiner: Callable[..., Any], named: Named | str | None = None,
        materialized: Materialized | None = None, *, with_key: bool = False,
    ) -> KTable:
        """Outer join with ``other``: every key of either table (the missing side is None)."""
        return self._join(other, joiner, "outer", named, materialized, with_key)

    def _join(
        self, other: KTable, joiner: Callable[..., Any], kind: str, named: Named | str | None,
        materialized: Materialized | None, with_key: bool,
    ) -> KTable:
        from kstreams_nb.dsl.join_table_table import table_table_join

        named, materialized = named_and_materialized(named, materialized)
        expect("other", other, KTable)
        if other is None:
            raise TopologyError(f"{kind} join needs the other KTable, got None")
        _check_callable(joiner, f"the {kind} join's joiner", "(value, other_value) -> result")
        fn = joiner if with_key else (lambda _key, value, other_value: joiner(value, other_value))
        return table_table_join(self, other, fn, kind, _name(named), materialized)

    def suppress(self, suppressed: Any) -> KTable:
        """Hold back updates until a window closes or a time limit passes (see ``Suppressed``)."""
        from kstreams_nb.dsl.suppress import suppress

        result: KTable = suppress(self, suppressed)
        return result

    def __repr__(self) -> str:
        return f"<KTable {self.name}>"
