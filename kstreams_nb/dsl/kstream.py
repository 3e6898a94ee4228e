"""KStream: a record stream, and the split() helper (BranchedKStream)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from kstreams_nb.dsl import stateless as st
from kstreams_nb.dsl._graph import (
    GraphNode,
    InternalStreamsBuilder,
    ProcessorGraphNode,
    RepartitionGraphNode,
    SinkGraphNode,
)
from kstreams_nb.dsl._signatures import expect, named_and_materialized
from kstreams_nb.dsl.options import (
    Branched,
    Grouped,
    Joined,
    Materialized,
    Named,
    Printed,
    Produced,
    Repartitioned,
    _validated,
)
from kstreams_nb.errors import TopologyError

if TYPE_CHECKING:
    from kstreams_nb.dsl.global_table import GlobalKTable
    from kstreams_nb.dsl.grouped import KGroupedStream
    from kstreams_nb.dsl.ktable import KTable

__all__ = ["BranchedKStream", "KStream"]


def _name(named: Named | str | None) -> str | None:
    if named is None:
        return None
    expect("named", named, Named, str)
    if isinstance(named, str):
        return _validated(named)  # a str is Named.as_(str): Kafka's name rules apply
    return named.name


def _named_first(named: Named | str | None, store_names: tuple[Any, ...]) -> tuple[Named | str | None, tuple[str, ...]]:
    """Kafka's ``process(supplier, Named, String...)``: a Named before the store names is the name."""
    if named is None and store_names and isinstance(store_names[0], Named):
        named, store_names = store_names[0], store_names[1:]
    for store in store_names:
        expect("store_names", store, str)
    return named, store_names


def _check_callable(fn: Any, what: str, shape: str) -> None:
    if not callable(fn):
        raise TopologyError(f"{what} must be a callable {shape}, got {type(fn).__name__}")


class KStream:
    """A stream of records; every operation returns a new KStream (or table / grouped stream).

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> b.stream("in").filter(lambda k, v: v > 0).map_values(lambda v: v * 2).to("out")
        >>> b.build().describe().subtopologies[0].id
        0
    """

    def __init__(
        self,
        builder: InternalStreamsBuilder,
        node: GraphNode,
        key_serde: Any = None,
        value_serde: Any = None,
        repartition_required: bool = False,
    ) -> None:
        self._builder = builder
        self._node = node
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._repartition_required = repartition_required

    @property
    def name(self) -> str:
        """The processor name this stream comes out of."""
        return self._node.name

    def _processor(
        self,
        prefix: str,
        named: Named | str | None,
        supplier: Callable[[], Any],
        *,
        key_serde: Any = "same",
        value_serde: Any = "same",
        key_changing: bool = False,
        generate: bool = True,
        store_names: Iterable[str] = (),
        fixed_key: bool = False,
    ) -> KStream:
        given = _name(named)
        name = self._builder.name_or_generate(given, prefix) if generate or given is None else given
        node = ProcessorGraphNode(name, [self._node], supplier, store_names=list(store_names), fixed_key=fixed_key)
        node.key_changing = key_changing
        self._builder.add(node)
        return KStream(
            self._builder,
            node,
            self.key_serde if key_serde == "same" else key_serde,
            self.value_serde if value_serde == "same" else value_serde,
            self._repartition_required or key_changing,
        )

    # ---- stateless
    def filter(self, predicate: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """Keep records where ``predicate(key, value)`` is true."""
        _check_callable(predicate, "filter's predicate", "(key, value) -> bool")
        return self._processor("KSTREAM-FILTER-", named, partial(st.Filter, predicate))

    def filter_not(self, predicate: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """Keep records where ``predicate(key, value)`` is false."""
        _check_callable(predicate, "filter_not's predicate", "(key, value) -> bool")
        return self._processor("KSTREAM-FILTER-", named, partial(st.Filter, predicate, True))

    def select_key(self, mapper: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """New key ``mapper(key, value)``, same value (a later grouping repartitions)."""
        _check_callable(mapper, "select_key's mapper", "(key, value) -> new_key")
        return self._processor("KSTREAM-KEY-SELECT-", named, partial(st.KeySelect, mapper), key_serde=None,
                               key_changing=True)

    def map(self, mapper: Callable[[Any, Any], tuple[Any, Any]], named: Named | str | None = None) -> KStream:
        """New ``(key, value) = mapper(key, value)``."""
        _check_callable(mapper, "map's mapper", "(key, value) -> (new_key, new_value)")
        return self._processor("KSTREAM-MAP-", named, partial(st.Map, mapper), key_serde=None, value_serde=None,
                               key_changing=True)

    def map_values(
        self, mapper: Callable[..., Any], named: Named | str | None = None, *, with_key: bool = False
    ) -> KStream:
        """New value ``mapper(value)`` (``mapper(key, value)`` with ``with_key=True``); the key stays."""
        _check_callable(mapper, "map_values' mapper", "(value) -> new_value")
        return self._processor(
            "KSTREAM-MAPVALUES-", named, partial(st.MapValuesWithKey if with_key else st.MapValues, mapper),
            value_serde=None,
        )

    def flat_map(self, mapper: Callable[[Any, Any], Iterable[tuple[Any, Any]]],
                 named: Named | str | None = None) -> KStream:
        """Zero or more ``(key, value)`` pairs per record."""
        _check_callable(mapper, "flat_map's mapper", "(key, value) -> iterable of (key, value)")
        return self._processor("KSTREAM-FLATMAP-", named, partial(st.FlatMap, mapper), key_serde=None,
                               value_serde=None, key_changing=True)

    def flat_map_values(
        self, mapper: Callable[..., Iterable[Any]], named: Named | str | None = None, *, with_key: bool = False
    ) -> KStream:
        """Zero or more values per record, each with the record's key."""
        _check_callable(mapper, "flat_map_values' mapper", "(value) -> iterable of values")
        return self._processor(
            "KSTREAM-FLATMAPVALUES-", named, partial(st.FlatMapValuesWithKey if with_key else st.FlatMapValues, mapper),
            value_serde=None,
        )

    def peek(self, action: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """Call ``action(key, value)`` per record and pass the record on."""
        _check_callable(action, "peek's action", "(key, value) -> None")
        return self._processor("KSTREAM-PEEK-", named, partial(st.Peek, action))

    def foreach(self, action: Callable[[Any, Any], Any], named: Named | str | None = None) -> None:
        """Call ``action(key, value)`` per record (terminal)."""
        _check_callable(action, "foreach's action", "(key, value) -> None")
        self._processor("KSTREAM-FOREACH-", named, partial(st.Foreach, action))

    def print(self, printed: Printed | None = None) -> None:
        """Print each record as ``[label]: key, value`` (terminal)."""
        expect("printed", printed, Printed)
        printed = printed or Printed.to_sys_out()
        name = self._builder.name_or_generate(printed.name, "KSTREAM-PRINTER-")
        label = printed.label or self.name  # Kafka labels with the printed stream's name, not the printer's
        node = ProcessorGraphNode(name, [self._node], partial(st.Print, label, printed.mapper, printed.file_path))
        self._builder.add(node)

    def merge(self, other: KStream, named: Named | str | None = None) -> KStream:
        """The union of this stream and ``other``."""
        if other._builder is not self._builder:
            raise TopologyError("merge: both streams must come from the same StreamsBuilder")
        name = self._builder.name_or_generate(_name(named), "KSTREAM-MERGE-")
        node = ProcessorGraphNode(name, [self._node, other._node], st.PassThrough)
        self._builder.add(node)
        return KStream(
            self._builder, node, None, None, self._repartition_required or other._repartition_required
        )

    def split(self, named: Named | str | None = None) -> BranchedKStream:
        """Branch records by predicates: ``split().branch(p1).branch(p2).default_branch()``."""
        return BranchedKStream(self, _name(named))

    # ---- Processor API inside the DSL
    def process(self, supplier: Callable[[], Any], *store_names: str, named: Named | str | None = None) -> KStream:
        """Run a Processor (a new one per task from ``supplier``) connected to ``store_names``."""
        _check_callable(supplier, "process' supplier", "() -> Processor")
        named, store_names = _named_first(named, store_names)
        return self._processor("KSTREAM-PROCESSOR-", named, supplier, key_serde=None, value_serde=None,
                               key_changing=True, generate=False, store_names=store_names)

    def process_values(
        self, supplier: Callable[[], Any], *store_names: str, named: Named | str | None = None
    ) -> KStream:
        """Run a FixedKeyProcessor (keys cannot change) connected to ``store_names``."""
        _check_callable(supplier, "process_values' supplier", "() -> FixedKeyProcessor")
        named, store_names = _named_first(named, store_names)
        return self._processor("KSTREAM-PROCESSVALUES-", named, supplier, value_serde=None, generate=False,
                               store_names=store_names, fixed_key=True)

    # ---- sinks, repartition, tables, grouping
    def to(self, topic: str | Callable[[Any, Any, Any], str], produced: Produced | None = None) -> None:
        """Write to ``topic`` or to ``extractor(key, value, record_context)``'s topic (on another cluster with
        ``Produced(cluster="name")``: at-least-once there, see ``Produced``)."""
        expect("produced", produced, Produced)
        produced = produced or Produced()
        if not isinstance(topic, str) and not callable(topic):
            raise TopologyError(f"to() takes a topic name or a TopicNameExtractor, got {topic!r}")
        name = self._builder.name_or_generate(produced.name, "KSTREAM-SINK-")
        produced = Produced(
            produced.key_serde if produced.key_serde is not None else self.key_serde,
            produced.value_serde if produced.value_serde is not None else self.value_serde,
            produced.partitioner,
            produced.name,
            produced.cluster,
        )
        self._builder.add(SinkGraphNode(name, [self._node], topic, produced))

    def repartition(self, repartitioned: Repartitioned | None = None) -> KStream:
        """Write to and read back from ``<app>-<name>-repartition`` (re-keyed data lands on its key's partition)."""
        expect("repartitioned", repartitioned, Repartitioned)
        r = repartitioned or Repartitioned()
        prefix = r.name if r.name is not None else self._builder.new_processor_name("KSTREAM-REPARTITION-")
        key_serde = r.key_serde if r.key_serde is not None else self.key_serde
        value_serde = r.value_serde if r.value_serde is not None else self.value_serde
        # as Kafka's doRepartition: the topic's key serde is Repartitioned's own (None = the default serde)
        node = self._repartition_node(prefix, r.key_serde, value_serde, r.partitioner, r.number_of_partitions)
        return KStream(self._builder, node, key_serde, value_serde, False)

    def _repartition_node(
        self, prefix: str, key_serde: Any, value_serde: Any, partitioner: Any = None, partitions: int | None = None
    ) -> RepartitionGraphNode:
        topic, sink, filt, source = self._builder.repartition_names(prefix)
        node = RepartitionGraphNode(
            [self._node], topic=topic, filter_name=filt, sink_name=sink, source_name=source,
            key_serde=key_serde, value_serde=value_serde, partitioner=partitioner, partitions=partitions,
        )
        self._builder.add(node)
        return node

    def to_table(self, named: Named | str | None = None, materialized: Materialized | None = None) -> KTable:
        """Read the stream as a changelog: the latest value per key (None deletes)."""
        from kstreams_nb.dsl.ktable import KTable, table_source_node

        named, materialized = named_and_materialized(named, materialized)  # Kafka's toTable(Materialized)
        name = self._builder.name_or_generate(_name(named), "KSTREAM-TOTABLE-")
        m = materialized or Materialized()
        store_name = m.store_name or self._builder.new_store_name("KSTREAM-TOTABLE-")
        key_serde = m.key_serde if m.key_serde is not None else self.key_serde
        value_serde = m.value_serde if m.value_serde is not None else self.value_serde
        parent: GraphNode = self._node
        if self._repartition_required:
            parent = self._repartition_node(name, key_serde, value_serde)
        node = table_source_node(name, [parent], store_name, m, key_serde, value_serde, queryable=m.store_name)
        self._builder.add(node)
        return KTable(self._builder, node, key_serde, value_serde, store_name if m.store_name else None)

    def group_by_key(self, grouped: Grouped | None = None) -> KGroupedStream:
        """Group by the current key (repartitions only if an upstream operation changed the key)."""
        from kstreams_nb.dsl.grouped import KGroupedStream

        expect("grouped", grouped, Grouped)
        g = grouped or Grouped()
        return KGroupedStream(
            self._builder, self._node,
            g.key_serde if g.key_serde is not None else self.key_serde,
            g.value_serde if g.value_serde is not None else self.value_serde,
            self._repartition_required, g.name,
        )

    def group_by(self, selector: Callable[[Any, Any], Any], grouped: Grouped | None = None) -> KGroupedStream:
        """Group by ``selector(key, value)`` (always repartitions)."""
        from kstreams_nb.dsl.grouped import KGroupedStream

        _check_callable(selector, "group_by's selector", "(key, value) -> new_key")
        expect("grouped", grouped, Grouped)
        g = grouped or Grouped()
        name = self._builder.name_or_generate(g.name, "KSTREAM-KEY-SELECT-")
        node = ProcessorGraphNode(name, [self._node], partial(st.KeySelect, selector))
        node.key_changing = True
        self._builder.add(node)
        return KGroupedStream(
            self._builder, node, g.key_serde,
            g.value_serde if g.value_serde is not None else self.value_serde, True, g.name,
        )

    # ---- joins
    def join(
        self,
        other: KStream | KTable | GlobalKTable,
        joiner: Callable[..., Any],
        windows: Any = None,
        *,
        stream_joined: Any = None,
        joined: Joined | None = None,
        key_selector: Callable[[Any, Any], Any] | None = None,
        named: Named | str | None = None,
        with_key: bool = False,
    ) -> KStream:
        """Inner join: with a KTable (``joined=``), each record joins the table's current value for its key; with
        a GlobalKTable, the value for ``key_selector(key, value)``. Records without a match are dropped, table
        updates never emit. ``joiner(left, right)`` (``joiner(key, left, right)`` with ``with_key=True``).

        Example::

            >>> from kstreams_nb.dsl import StreamsBuilder
            >>> b = StreamsBuilder()
            >>> b.stream("orders").join(b.table("customers"), lambda order, customer: (order, customer)).name
            'KSTREAM-JOIN-0000000004'
        """
        return self._join(other, joiner, windows, stream_joined, joined, key_selector, named, with_key, "join")

    def left_join(
        self,
        other: KStream | KTable | GlobalKTable,
        joiner: Callable[..., Any],
        windows: Any = None,
        *,
        stream_joined: Any = None,
        joined: Joined | None = None,
        key_selector: Callable[[Any, Any], Any] | None = None,
        named: Named | str | None = None,
        with_key: bool = False,
    ) -> KStream:
        """Left join: as :meth:`join`, but a record without a match is joined with None."""
        return self._join(other, joiner, windows, stream_joined, joined, key_selector, named, with_key, "left_join")

    def outer_join(
        self,
        other: KStream,
        joiner: Callable[..., Any],
        windows: Any = None,
        *,
        stream_joined: Any = None,
        joined: Joined | None = None,
        key_selector: Callable[[Any, Any], Any] | None = None,
        named: Named | str | None = None,
        with_key: bool = False,
    ) -> KStream:
        """Windowed outer join of two streams: as :meth:`join`, and records of either side without a match are
        joined with None once their window closes."""
        return self._join(other, joiner, windows, stream_joined, joined, key_selector, named, with_key, "outer_join")

    def _join(
        self, other: Any, joiner: Any, windows: Any, stream_joined: Any, joined: Joined | None,
        key_selector: Any, named: Named | str | None, with_key: bool, op: str,
    ) -> KStream:
        from kstreams_nb.dsl.join_stream_stream import stream_stream_join
        from kstreams_nb.dsl.join_stream_table import _with_key, join_table

        if isinstance(windows, Joined) and joined is None:  # Kafka's join(table, joiner, Joined)
            windows, joined = None, windows
        _check_callable(joiner, f"{op}'s joiner", "(left, right) -> joined value")
        if isinstance(other, KStream):
            extra = [n for n, v in (("joined", joined), ("key_selector", key_selector), ("named", named))
                     if v is not None]
            if extra:
                raise TopologyError(
                    f"{op} of two streams takes no {' or '.join(extra)}: name it with stream_joined=StreamJoined"
                    "...with_name(...)"
                )
            return stream_stream_join(self, other, _with_key(joiner, with_key), windows, stream_joined, op)
        if op == "outer_join":
            raise TopologyError(f"outer_join needs a KStream to join with, got {type(other).__name__}")
        expect("joined", joined, Joined)
        return join_table(self, other, joiner, op, windows=windows, stream_joined=stream_joined, joined=joined,
                          key_selector=key_selector, named=_name(named), with_key=with_key)

    def __repr__(self) -> str:
        return f"<KStream {self.name}>"


class BranchedKStream:
    """What ``KStream.split()`` returns: add branches, then ``default_branch()`` or ``no_default_branch()``."""

    def __init__(self, source: KStream, name: str | None) -> None:
        self._source = source
        b = source._builder
        self._splitter = b.name_or_generate(name, "KSTREAM-BRANCH-")
        self._predicates: list[Callable[[Any, Any], Any]] = []
        self._children: list[str] = []
        self._outputs: dict[str, KStream] = {}
        self._done = False
        self._node = ProcessorGraphNode(self._splitter, [source._node], partial(st.Branch, self._predicates,
                                                                               self._children))
        b.add(self._node)

    def branch(self, predicate: Callable[[Any, Any], Any], branched: Branched | None = None) -> BranchedKStream:
        """Records matching ``predicate(key, value)`` (and no earlier branch) go to this branch."""
        _check_callable(predicate, "branch's predicate", "(key, value) -> bool")
        self._check_open()
        expect("branched", branched, Branched)
        self._predicates.append(predicate)
        self._create(branched or Branched(), len(self._predicates))
        return self

    def default_branch(self, branched: Branched | None = None) -> dict[str, KStream]:
        """Records matching no branch go here; returns the name → stream mapping."""
        self._check_open()
        expect("branched", branched, Branched)
        self._create(branched or Branched(), 0)
        self._done = True
        return dict(self._outputs)

    def no_default_branch(self) -> dict[str, KStream]:
        """Records matching no branch are dropped; returns the name → stream mapping."""
        self._check_open()
        self._done = True
        return dict(self._outputs)

    def _check_open(self) -> None:
        if self._done:
            raise TopologyError("this split() is already finished by default_branch()/no_default_branch()")

    def _create(self, branched: Branched, index: int) -> None:
        b = self._source._builder
        child = self._splitter + (branched.name if branched.name is not None else str(index))
        self._children.append(child)
        b.new_processor_name("KSTREAM-BRANCH-")
        node = ProcessorGraphNode(child, [self._node], st.PassThrough)
        b.add(node)
        src = self._source
        stream = KStream(b, node, src.key_serde, src.value_serde, src._repartition_required)
        if branched.function is not None:
            result = branched.function(stream)
            if result is not None:
                self._outputs[child] = result
        elif branched.consumer is not None:
            branched.consumer(stream)
        else:
            self._outputs[child] = stream
