"""Windowed stream-stream joins: ``KStream.join(other_stream, joiner, JoinWindows...)`` (Kafka's KStreamImplJoin
and KStreamKStreamJoin).

Each side keeps its recent records in a window store (``KSTREAM-JOINTHIS-<n>-store`` and
``KSTREAM-JOINOTHER-<n>-store``, retention = window size + grace, duplicates retained), filled by a
``KSTREAM-WINDOWED-<n>`` processor. A record arriving on one side at ``t`` joins every record of the other side
with the same key whose timestamp lies in ``[t - before, t + after]`` (the bounds mirrored for the right side);
each result has the larger of the two timestamps. ``KSTREAM-JOINTHIS-<n>`` and ``KSTREAM-JOINOTHER-<n>`` forward
into one ``KSTREAM-MERGE-<n>``. Records with a null key or value are dropped with Kafka's warning and counted in
the join processor's ``dropped`` counter. Streams whose key changed are first repartitioned (``<name>-left`` /
``<name>-right`` with a ``StreamJoined`` name, else a repartition topic shared with other joins of the stream),
and the two inputs must be co-partitioned.

Example::

    >>> from kstreams_nb.dsl import JoinWindows, StreamsBuilder
    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> b = StreamsBuilder()
    >>> views = b.stream("views")
    >>> views.join(b.stream("clicks"), lambda v, c: f"{v}/{c}", JoinWindows.of_time_difference_with_no_grace(100)
    ...            ).to("out")
    >>> with TopologyTestDriver(b.build()) as d:
    ...     d.create_input_topic("views").pipe_input("u1", "v1", 1000)
    ...     d.create_input_topic("clicks").pipe_input("u1", "c1", 1050)
    ...     d.create_output_topic("out").read_key_values_to_list()
    [('u1', 'v1/c1')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams_nb.dsl import stateless as st
from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl._graph import GraphNode, ProcessorGraphNode
from kstreams_nb.dsl.join_stream_table import repartition_for_join, source_topics
from kstreams_nb.dsl.options import StreamJoined
from kstreams_nb.dsl.windows import JoinWindows
from kstreams_nb.errors import TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record

if TYPE_CHECKING:
    from kstreams_nb.dsl.kstream import KStream

__all__ = ["KStreamJoinWindowSupplier", "KStreamKStreamJoinSupplier", "stream_stream_join"]

WINDOWED_NAME = "KSTREAM-WINDOWED-"
JOINTHIS_NAME = "KSTREAM-JOINTHIS-"
JOINOTHER_NAME = "KSTREAM-JOINOTHER-"
OUTERTHIS_NAME = "KSTREAM-OUTERTHIS-"
OUTEROTHER_NAME = "KSTREAM-OUTEROTHER-"
OUTERSHARED_NAME = "KSTREAM-OUTERSHARED-"
MERGE_NAME = "KSTREAM-MERGE-"


class KStreamJoinWindowSupplier:
    """Supplier of ``KSTREAM-WINDOWED-``: forwards every record and keeps those with a key in its window store."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def __call__(self) -> Processor:
        return _JoinWindow(self.store_name)


class _JoinWindow(Processor):
    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.window: Any = None

    def init(self, context: Any) -> None:
        super().init(context)
        self.window = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        self.context.forward(record)
        if record.key is not None:
            self.window.put(record.key, record.value, record.timestamp)


class KStreamKStreamJoinSupplier:
    """Supplier of one side's join processor: looks the other side's window store up for each record.

    ``joiner`` is always ``(key, left, right)``; ``right_side`` swaps the window bounds and the joiner's
    arguments, as Kafka's KStreamKStreamJoinRightSide does."""

    def __init__(self, other_store: str, windows: JoinWindows, joiner: Callable[[Any, Any, Any], Any],
                 right_side: bool) -> None:
        self.other_store = other_store
        self.joiner = joiner
        self.right_side = right_side
        self.before_ms = windows.after_ms if right_side else windows.before_ms
        self.after_ms = windows.before_ms if right_side else windows.after_ms

    def __call__(self) -> Processor:
        return _StreamStreamJoin(self)


class _StreamStreamJoin(Processor):
    def __init__(self, spec: KStreamKStreamJoinSupplier) -> None:
        self.spec = spec
        self.before_ms = spec.before_ms
        self.after_ms = spec.after_ms
        self.right_side = spec.right_side
        self.joiner = spec.joiner
        self.other: Any = None
        #: records dropped for a null key or a null value
        self.dropped = 0

    def init(self, context: Any) -> None:
        super().init(context)
        self.other = context.get_state_store(self.spec.other_store)

    def process(self, record: Record) -> None:
        key, value, ts = record.key, record.value, record.timestamp
        if key is None or value is None:
            self.dropped += 1
            tp.warn_skipped_record(self.context, "Skipping record due to null key or value.")
            return
        time_from = max(0, ts - self.before_ms)
        time_to = max(0, ts + self.after_ms)
        joiner, forward, right = self.joiner, self.context.forward, self.right_side
        with self.other.fetch(key, time_from, time_to) as matches:
            for other_ts, other_value in matches:
                joined = joiner(key, other_value, value) if right else joiner(key, value, other_value)
                forward(record.with_value(joined).with_timestamp(max(ts, other_ts)))


class StreamStreamJoinNode(GraphNode):
    """Kafka's StreamStreamJoinNode: both join processors, the merge, the two window stores, and for a left or
    outer join the shared outer-join store."""

    def __init__(self, name: str, parents: list[GraphNode], *, this_join: tuple[str, str, Any],
                 other_join: tuple[str, str, Any], stores: tuple[Any, ...], copartition: list[str]) -> None:
        super().__init__(name, parents)
        self.this_join = this_join
        self.other_join = other_join
        self.stores = stores
        self.copartition = copartition

    def write(self, tb: Any) -> None:
        this_name, this_parent, this_supplier = self.this_join
        other_name, other_parent, other_supplier = self.other_join
        tb.add_processor(this_name, this_supplier, [this_parent])
        tb.add_processor(other_name, other_supplier, [other_parent])
        tb.add_processor(self.name, st.PassThrough, [this_name, other_name])
        tb.add_state_store(self.stores[0], [this_parent, other_name])
        tb.add_state_store(self.stores[1], [other_parent, this_name])
        if len(self.stores) > 2:  # the shared store of a left or outer join
            tb.add_state_store(self.stores[2], [this_name, other_name])
        if self.copartition:
            tb.copartition(self.copartition)


def _suffixed(name: str | None, suffix: str, builder: Any, prefix: str) -> str:
    """Kafka's ``NamedInternal.suffixWithOrElseGet``: ``name + suffix``, else a generated name (a number is
    burnt either way)."""
    generated: str = builder.new_processor_name(prefix)
    return name + suffix if name is not None else generated


def _store(name: str, windows: JoinWindows, key_serde: Any, value_serde: Any, logging: bool) -> Any:
    from kstreams_nb.state import Stores

    supplier = Stores.persistent_window_store(name, windows.size_ms + windows.grace_ms, windows.size_ms, True)
    builder = Stores.window_store_builder(supplier, key_serde, value_serde)
    return builder.with_logging_enabled({}) if logging else builder.with_logging_disabled()


def stream_stream_join(
    this: KStream,
    other: KStream,
    joiner: Callable[[Any, Any, Any], Any],
    windows: Any,
    stream_joined: StreamJoined | None,
    op: str,
) -> KStream:
    """``this.join / left_join / outer_join(other, joiner, windows)`` (``op``): Kafka's ``KStreamImpl.doJoin`` and
    ``KStreamImplJoin.join``; ``joiner`` takes ``(key, left, right)``."""
    from kstreams_nb.dsl.kstream import KStream

    if op not in ("join", "left_join", "outer_join"):
        raise TopologyError(f"unknown stream-stream join {op!r}: use join, left_join or outer_join")
    if not isinstance(windows, JoinWindows):
        raise TopologyError(
            f"{op} of two streams needs windows=JoinWindows..., e.g. "
            f"JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=5)), got {type(windows).__name__}"
        )
    if stream_joined is not None and not isinstance(stream_joined, StreamJoined):
        raise TopologyError(f"stream_joined must be a StreamJoined, got {type(stream_joined).__name__}")
    if other._builder is not this._builder:
        raise TopologyError(f"{op}: both streams must come from the same StreamsBuilder")
    sj = stream_joined or StreamJoined()
    b = this._builder
    if this._repartition_required:
        this = repartition_for_join(this, sj.name + "-left" if sj.name else this.name, sj.key_serde, sj.value_serde)
    if other._repartition_required:
        other = repartition_for_join(other, sj.name + "-right" if sj.name else other.name, sj.key_serde,
                                     sj.other_value_serde)
    name = sj.name
    left_outer, right_outer = op != "join", op == "outer_join"
    this_suffix = "-outer-this-join" if right_outer else "-this-join"
    other_suffix = "-outer-other-join" if left_outer else "-other-join"
    this_windowed = _suffixed(name, "-this-windowed", b, WINDOWED_NAME)
    other_windowed = _suffixed(name, "-other-windowed", b, WINDOWED_NAME)
    this_generated = b.new_processor_name(OUTERTHIS_NAME if right_outer else JOINTHIS_NAME)
    other_generated = b.new_processor_name(OUTEROTHER_NAME if left_outer else JOINOTHER_NAME)
    this_join = name + this_suffix if name else this_generated
    other_join = name + other_suffix if name else other_generated
    merge = _suffixed(name, "-merge", b, MERGE_NAME)
    base = sj.store_name
    this_store_name = (base + this_suffix if base else this_generated) + "-store"
    other_store_name = (base + other_suffix if base else other_generated) + "-store"
    this_store = _store(this_store_name, windows, sj.key_serde if sj.key_serde is not None else this.key_serde,
                        sj.value_serde if sj.value_serde is not None else this.value_serde, sj.logging_enabled)
    other_store = _store(other_store_name, windows, sj.key_serde if sj.key_serde is not None else other.key_serde,
                         sj.other_value_serde if sj.other_value_serde is not None else other.value_serde,
                         sj.logging_enabled)
    this_node = b.add(ProcessorGraphNode(this_windowed, [this._node], KStreamJoinWindowSupplier(this_store_name)))
    other_node = b.add(ProcessorGraphNode(other_windowed, [other._node], KStreamJoinWindowSupplier(other_store_name)))
    if left_outer:
        from kstreams_nb.dsl.join_stream_stream_outer import outer_join_parts

        this_supplier: KStreamKStreamJoinSupplier
        other_supplier: KStreamKStreamJoinSupplier
        this_supplier, other_supplier, outer_store = outer_join_parts(
            this, other, sj, windows, joiner, right_outer, this_generated, (this_store_name, other_store_name))
        stores: tuple[Any, ...] = (this_store, other_store, outer_store)
    else:
        this_supplier = KStreamKStreamJoinSupplier(other_store_name, windows, joiner, False)
        other_supplier = KStreamKStreamJoinSupplier(this_store_name, windows, joiner, True)
        stores = (this_store, other_store)
    node = StreamStreamJoinNode(
        merge, [this_node, other_node],
        this_join=(this_join, this_windowed, this_supplier),
        other_join=(other_join, other_windowed, other_supplier),
        stores=stores,
        copartition=source_topics(this._node) + [t for t in source_topics(other._node)
                                                 if t not in source_topics(this._node)],
    )
    b.add(node)
    return KStream(b, node, sj.key_serde, None, False)
