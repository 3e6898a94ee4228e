"""Table-table joins: ``KTable.join / left_join / outer_join`` with another KTable (Kafka's KTableKTableInnerJoin,
KTableKTableLeftJoin, KTableKTableRightJoin, KTableKTableOuterJoin and KTableKTableJoinMerger).

An update on either side looks up the other side's current value for the same key and emits the new join result
as a table update (``Change(new, old)``); the result's timestamp is the larger of the two sides' timestamps. A
delete on one side emits a delete of the result when a result existed. As in Kafka's ``KTableImpl.doJoin``:

- three processors: ``KTABLE-JOINTHIS-`` (this side's updates), ``KTABLE-JOINOTHER-`` (the other side's) and
  ``KTABLE-MERGE-`` (the result table; numbered first, written last). ``named`` names them ``<name>``,
  ``<name>-join-this`` and ``<name>-join-other``;
- each side is read through its value getter: a source table is materialized for that, a filter / map_values
  that is not reads its parent and applies the operator;
- a left join makes this table send old values, an outer join both tables (to tell a delete of an existing
  result from a delete of nothing);
- the result is materialized when ``materialized`` is given (an unnamed one gets a ``KTABLE-MERGE-STATE-STORE-``
  name), and the source topics of both sides must be co-partitioned.

A record with a null key is dropped with Kafka's warning and counted in the join processor's ``dropped``.

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder
    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> b = StreamsBuilder()
    >>> users, cities = b.table("users"), b.table("cities")
    >>> users.left_join(cities, lambda user, city: f"{user} in {city}").to_stream().to("out")
    >>> with TopologyTestDriver(b.build()) as d:
    ...     d.create_input_topic("users").pipe_input("u1", "ann")
    ...     d.create_input_topic("cities").pipe_input("u1", "Oslo")
    ...     d.create_output_topic("out").read_key_values_to_list()
    [('u1', 'ann in None'), ('u1', 'ann in Oslo')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl._graph import GraphNode
from kstreams_nb.dsl.join_stream_table import Getter, StoreValueGetter, source_topics, value_getter_supplier
from kstreams_nb.dsl.options import Materialized, _validated
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record
from kstreams_nb.state import ValueAndTimestamp
from kstreams_nb.topology._builder import InternalTopologyBuilder

if TYPE_CHECKING:
    from kstreams_nb.dsl.ktable import KTable

__all__ = ["KTableKTableJoinMerger", "KTableKTableJoinNode", "KTableKTableJoinSupplier", "table_table_join"]

MERGE_NAME = "KTABLE-MERGE-"
JOINTHIS_NAME = "KTABLE-JOINTHIS-"
JOINOTHER_NAME = "KTABLE-JOINOTHER-"

#: Kafka's UNKNOWN timestamp of a missing side
_UNKNOWN = -1

#: the join kinds, and (for a KTABLE-JOINOTHER) the kind the other side runs: a left join's other side is a right
#: join (Kafka's KTableKTableRightJoin)
INNER, LEFT, RIGHT, OUTER = "inner", "left", "right", "outer"

Joiner = Callable[[Any, Any, Any], Any]


class _JoinValueGetter:
    """The join result looked up by key (Kafka's KTableKTable*JoinValueGetter): what an unmaterialized join
    result is read through."""

    def __init__(self, kind: str, first: Any, second: Any, joiner: Joiner) -> None:
        self.kind = kind
        self.first = first
        self.second = second
        self.joiner = joiner
        self.store_names: Sequence[str] = list(dict.fromkeys([*first.store_names, *second.store_names]))

    def getter(self, context: Any) -> Getter:
        get1, get2 = self.first.getter(context), self.second.getter(context)
        joiner, kind = self.joiner, self.kind

        def joined(key: Any) -> Any:
            vt1 = get1(key)
            v1 = vt1.value if vt1 is not None else None
            if kind != OUTER and v1 is None:
                return None
            vt2 = get2(key)
            v2 = vt2.value if vt2 is not None else None
            if kind == INNER and v2 is None:
                return None
            if v1 is None and v2 is None:
                return None
            ts = max(vt1.timestamp if vt1 is not None else _UNKNOWN, vt2.timestamp if vt2 is not None else _UNKNOWN)
            return ValueAndTimestamp.make(joiner(key, v1, v2), ts)

        return joined


class KTableKTableJoinSupplier:
    """Supplier of a KTABLE-JOINTHIS / KTABLE-JOINOTHER processor: ``table1``'s updates joined with ``table2``.

    ``joiner(key, value1, value2)`` gets this side's value first (the other side's processor is given the
    reversed joiner, as in Kafka).
    """

    def __init__(self, kind: str, table1: KTable, table2: KTable, joiner: Joiner) -> None:
        self.kind = kind
        self.table1 = table1
        self.table2 = table2
        self.getter1 = value_getter_supplier(table1)
        self.getter2 = value_getter_supplier(table2)
        self.joiner = joiner
        self.send_old_values = False

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Table-table joins need their inputs' old values: both sides are asked (and materialized)."""
        self.table1.enable_sending_old_values(True)
        self.table2.enable_sending_old_values(True)
        self.send_old_values = True
        return True

    def value_getter_supplier(self) -> _JoinValueGetter:
        """The join result by key, computed from both sides (a right join is the left join seen from table2)."""
        return _JoinValueGetter(self.kind, self.getter1, self.getter2, self.joiner)

    def __call__(self) -> Processor:
        return _PROCESSORS[self.kind](self)


class _TableJoinProcessor(Processor):
    """Joins one side's updates with the other side's current value (looked up through its getter)."""

    def __init__(self, spec: KTableKTableJoinSupplier) -> None:
        self.spec = spec
        self.joiner = spec.joiner
        self.get: Getter = _absent
        #: records dropped for a null key
        self.dropped = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.get = self.spec.getter2.getter(context)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            tp.warn_skipped_record(self.context, "Skipping record due to null key.")
            self.dropped += 1
            return
        vt = self.get(key)
        result = self.join(key, record.value, vt.value if vt is not None else None)
        if result is not None:
            ts = record.timestamp
            if vt is not None and vt.value is not None and vt.timestamp > ts:
                ts = vt.timestamp
            self.context.forward(Record._unchecked(key, result, ts, record.headers))

    def join(self, key: Any, change: tp.Change, other: Any) -> tp.Change | None:
        """The result update for ``change`` on this side given ``other``'s value, or None to emit nothing."""
        raise NotImplementedError

    def joined(self, key: Any, change: tp.Change, other: Any) -> tp.Change:
        """The new and (when sent) old results, None where this side's value is None."""
        joiner = self.joiner
        new = joiner(key, change.new, other) if change.new is not None else None
        old = joiner(key, change.old, other) if self.spec.send_old_values and change.old is not None else None
        return tp.Change(new, old)


class _InnerJoin(_TableJoinProcessor):
    def join(self, key: Any, change: tp.Change, other: Any) -> tp.Change | None:
        return None if other is None else self.joined(key, change, other)


class _LeftJoin(_TableJoinProcessor):
    def join(self, key: Any, change: tp.Change, other: Any) -> tp.Change | None:
        if other is None and change.new is None and change.old is None:
            return None
        return self.joined(key, change, other)


class _RightJoin(_TableJoinProcessor):
    """The other side of a left join: emits only when this side's key exists on the left."""

    def join(self, key: Any, change: tp.Change, other: Any) -> tp.Change | None:
        if other is None:
            return None
        joiner = self.joiner
        return tp.Change(joiner(key, change.new, other),
                         joiner(key, change.old, other) if self.spec.send_old_values else None)


class _OuterJoin(_TableJoinProcessor):
    def join(self, key: Any, change: tp.Change, other: Any) -> tp.Change | None:
        if other is None and change.new is None and change.old is None:
            return None
        joiner = self.joiner
        new = joiner(key, change.new, other) if other is not None or change.new is not None else None
        old = None
        if self.spec.send_old_values and (other is not None or change.old is not None):
            old = joiner(key, change.old, other)
        return tp.Change(new, old)


_PROCESSORS: dict[str, type[_TableJoinProcessor]] = {
    INNER: _InnerJoin, LEFT: _LeftJoin, RIGHT: _RightJoin, OUTER: _OuterJoin,
}


def _absent(key: Any) -> None:
    return None


class KTableKTableJoinMerger:
    """Supplier of KTABLE-MERGE: forwards both join processors' results as one table, kept in a store when
    materialized (Kafka's KTableKTableJoinMerger)."""

    def __init__(
        self, this_join: KTableKTableJoinSupplier, other_join: KTableKTableJoinSupplier, store_name: str | None
    ) -> None:
        self.this_join = this_join
        self.other_join = other_join
        self.store_name = store_name
        self.send_old_values = False

    @property
    def materialized(self) -> bool:
        """True when the join result is kept in a store."""
        return self.store_name is not None

    def enable_sending_old_values(self, force_materialization: bool = True) -> bool:
        """Both join processors send old values (which needs both input tables' old values)."""
        self.this_join.enable_sending_old_values(True)
        self.other_join.enable_sending_old_values(True)
        self.send_old_values = True
        return True

    def value_getter_supplier(self) -> Any:
        """The store when materialized, else the result computed from both sides."""
        if self.store_name is not None:
            return StoreValueGetter(self.store_name)
        view = self.this_join.value_getter_supplier()
        view.store_names = list(dict.fromkeys([*view.store_names, *self.other_join.getter1.store_names]))
        return view

    def __call__(self) -> Processor:
        return _JoinMerge(self)


class _JoinMerge(Processor):
    def __init__(self, spec: KTableKTableJoinMerger) -> None:
        self.spec = spec
        self.store: Any = None

    def init(self, context: Any) -> None:
        super().init(context)
        if self.spec.store_name is not None:
            self.store = context.get_state_store(self.spec.store_name)

    def process(self, record: Record) -> None:
        change: tp.Change = record.value
        if self.store is not None:
            self.store.put(record.key, change.new, record.timestamp)
        if self.spec.send_old_values or change.old is None:
            self.context.forward(record)
        else:
            self.context.forward(record.with_value(tp.Change(change.new, None)))


class KTableKTableJoinNode(GraphNode):
    """The join's three processors, the stores each join processor reads, the result's store and the
    co-partitioning of both sides' source topics (Kafka's KTableKTableJoinNode)."""

    def __init__(
        self,
        name: str,
        this_table: KTable,
        other_table: KTable,
        this_name: str,
        other_name: str,
        merger: KTableKTableJoinMerger,
        store_builder: Any,
    ) -> None:
        super().__init__(name, [this_table._node, other_table._node])
        self.this_name = this_name
        self.other_name = other_name
        self.supplier = merger
        self.store_builder = store_builder
        self.copartition = list(dict.fromkeys(source_topics(this_table._node) + source_topics(other_table._node)))

    def write(self, tb: InternalTopologyBuilder) -> None:
        merger = self.supplier
        this_join, other_join = merger.this_join, merger.other_join
        this_parent, other_parent = self.parent_names
        tb.add_processor(self.this_name, this_join, [this_parent])
        tb.add_processor(self.other_name, other_join, [other_parent])
        tb.add_processor(self.name, merger, [self.this_name, self.other_name])
        for store in this_join.getter2.store_names:
            tb.connect_processor_and_store(self.this_name, store)
        for store in other_join.getter2.store_names:
            tb.connect_processor_and_store(self.other_name, store)
        if self.store_builder is not None:
            tb.add_state_store(self.store_builder, [self.name])
        if len(self.copartition) > 1:
            tb.copartition(self.copartition)


def _reversed(joiner: Joiner) -> Joiner:
    return lambda key, value2, value1: joiner(key, value1, value2)


def table_table_join(
    this: KTable,
    other: KTable,
    joiner: Joiner,
    kind: str,
    name: str | None,
    materialized: Materialized | None,
) -> KTable:
    """Kafka's ``KTableImpl.doJoin``: ``joiner(key, this_value, other_value)``; ``kind`` is inner, left or outer."""
    from kstreams_nb.dsl.ktable import KTable

    b = this._builder
    store_name: str | None = None
    store_builder = None
    key_serde, value_serde = this.key_serde, None
    if materialized is not None:
        # Kafka's MaterializedInternal: an unnamed Materialized still materializes, under a generated name
        store_name = materialized.store_name or b.new_store_name(MERGE_NAME)
        if materialized.key_serde is not None:
            key_serde = materialized.key_serde
        value_serde = materialized.value_serde
        store_builder = tp.materialize_kv(store_name, materialized, key_serde, value_serde)
    merge_name = b.name_or_generate(name, MERGE_NAME)
    if kind in (LEFT, OUTER):
        this.enable_sending_old_values(True)
    if kind == OUTER:
        other.enable_sending_old_values(True)
    this_join = KTableKTableJoinSupplier(kind, this, other, joiner)
    other_join = KTableKTableJoinSupplier(RIGHT if kind == LEFT else kind, other, this, _reversed(joiner))
    this_name = b.new_processor_name(JOINTHIS_NAME)
    other_name = b.new_processor_name(JOINOTHER_NAME)
    if name is not None:  # the numbers are burnt all the same, as Kafka's suffixWithOrElseGet does
        this_name, other_name = _validated(f"{name}-join-this"), _validated(f"{name}-join-other")
    merger = KTableKTableJoinMerger(this_join, other_join, store_name)
    node = KTableKTableJoinNode(merge_name, this, other, this_name, other_name, merger, store_builder)
    b.add(node)
    return KTable(b, node, key_serde, value_serde, store_name)
