"""``KTable.suppress``: hold table updates back (Kafka's ``Suppressed`` and ``KTableSuppressProcessor``).

Updates go into a buffer keyed by the table key: a later update of a buffered key replaces its value but keeps
its place in the buffer. After each update, with stream time = the largest timestamp this operator has seen:

- ``until_window_closes``: a windowed key is emitted once its window's end ``<= stream time - grace`` (the grace
  of the windowed aggregation upstream), then forgotten; deletes are not emitted (final results only);
- ``until_time_limit(d)``: a key is emitted once ``first buffered time + d <= stream time``.

Emission order is buffer time, then serialized key. Each emitted record is the key's latest update in its own
record context, as Kafka's: its timestamp and headers, and downstream ``context.record_metadata`` (topic,
partition, offset) is that of the input record of the update, not of the record that triggered the emission.
When the buffer exceeds its record or byte bound it either emits the oldest entries early (``emit_early_when_full``)
or fails the task (``shut_down_when_full``, the default of ``unbounded()``).

Example::

    >>> from datetime import timedelta
    >>> s = Suppressed.until_time_limit(timedelta(seconds=5), Suppressed.BufferConfig.max_records(100))
    >>> s.time_to_wait_ms, s.buffer_config.record_limit, s.buffer_config.full_strategy.name
    (5000, 100, 'EMIT')
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from kstreams_nb.dsl._suppress_buffer import SuppressionBufferBuilder
from kstreams_nb.dsl.ktable import TableProcessorGraphNode
from kstreams_nb.dsl.windows import duration_ms
from kstreams_nb.errors import StateStoreError, TopologyError
from kstreams_nb.processor import Processor
from kstreams_nb.records import Record, RecordMetadata

if TYPE_CHECKING:
    from kstreams_nb.dsl._graph import GraphNode
    from kstreams_nb.dsl.ktable import KTable

__all__ = ["BufferConfig", "BufferFullStrategy", "Suppressed", "suppress"]

log = logging.getLogger(__name__)

_UNBOUNDED = 2**63 - 1  # Java's Long.MAX_VALUE


class BufferFullStrategy(enum.Enum):
    """What a full suppression buffer does: emit its oldest entries early, or fail (shut down).

    Example::

        >>> BufferConfig.max_records(3).full_strategy is BufferFullStrategy.EMIT
        True
    """

    EMIT = "EMIT"
    SHUT_DOWN = "SHUT_DOWN"


def _limit(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TopologyError(f"{what} must be an int >= 0, got {value!r}")
    return value


@dataclass(frozen=True)
class BufferConfig:
    """Bounds of a suppression buffer (Kafka's ``Suppressed.BufferConfig``); reach it as
    ``Suppressed.BufferConfig``. ``log_config`` None means the buffer has no changelog.

    Example::

        >>> BufferConfig.max_records(10).with_max_bytes(1_000).shut_down_when_full().is_strict
        True
        >>> BufferConfig.unbounded().record_limit == 2**63 - 1
        True
    """

    record_limit: int = _UNBOUNDED
    byte_limit: int = _UNBOUNDED
    full_strategy: BufferFullStrategy = BufferFullStrategy.SHUT_DOWN
    log_config: Mapping[str, str] | None = field(default_factory=dict, hash=False)

    @staticmethod
    def unbounded() -> BufferConfig:
        """No bound (a strict config: final results can use it)."""
        return BufferConfig()

    @staticmethod
    def max_records(record_limit: int) -> BufferConfig:
        """At most ``record_limit`` keys; emits early when full."""
        return BufferConfig(_limit(record_limit, "max_records"), _UNBOUNDED, BufferFullStrategy.EMIT)

    @staticmethod
    def max_bytes(byte_limit: int) -> BufferConfig:
        """At most ``byte_limit`` bytes (Kafka's size estimate); emits early when full."""
        return BufferConfig(_UNBOUNDED, _limit(byte_limit, "max_bytes"), BufferFullStrategy.EMIT)

    def with_max_records(self, record_limit: int) -> BufferConfig:
        """A copy bounded to ``record_limit`` keys."""
        return replace(self, record_limit=_limit(record_limit, "max_records"))

    def with_max_bytes(self, byte_limit: int) -> BufferConfig:
        """A copy bounded to ``byte_limit`` bytes."""
        return replace(self, byte_limit=_limit(byte_limit, "max_bytes"))

    def with_no_bound(self) -> BufferConfig:
        """A strict copy without bounds."""
        return replace(self, record_limit=_UNBOUNDED, byte_limit=_UNBOUNDED, full_strategy=BufferFullStrategy.SHUT_DOWN)

    def shut_down_when_full(self) -> BufferConfig:
        """A strict copy: exceeding a bound fails the task instead of emitting early."""
        return replace(self, full_strategy=BufferFullStrategy.SHUT_DOWN)

    def emit_early_when_full(self) -> BufferConfig:
        """An eager copy: exceeding a bound emits the oldest entries early."""
        return replace(self, full_strategy=BufferFullStrategy.EMIT)

    def with_logging_disabled(self) -> BufferConfig:
        """A copy whose buffer has no changelog (buffered updates are lost on restart)."""
        return replace(self, log_config=None)

    def with_logging_enabled(self, config: Mapping[str, str] | None = None) -> BufferConfig:
        """A copy whose buffer writes a changelog with these topic configs."""
        return replace(self, log_config=dict(config or {}))

    @property
    def is_strict(self) -> bool:
        """True for Kafka's StrictBufferConfig (never emits early)."""
        return self.full_strategy is BufferFullStrategy.SHUT_DOWN

    @property
    def is_logging_enabled(self) -> bool:
        """Whether the buffer writes a changelog."""
        return self.log_config is not None


_BufferConfigClass = BufferConfig


@dataclass(frozen=True)
class Suppressed:
    """What ``KTable.suppress`` holds back, and for how long (Kafka's ``Suppressed``).

    Example::

        >>> final = Suppressed.until_window_closes(Suppressed.BufferConfig.unbounded()).with_name("final")
        >>> final.name, final.final_results
        ('final', True)
    """

    BufferConfig: ClassVar[type[_BufferConfigClass]] = _BufferConfigClass

    buffer_config: _BufferConfigClass
    time_to_wait_ms: int | None = None
    final_results: bool = False
    name: str | None = None

    @staticmethod
    def until_window_closes(buffer_config: _BufferConfigClass) -> Suppressed:
        """Only each window's final result, when the window closes (needs a windowed table and a strict
        buffer config: ``unbounded()`` or ``...shut_down_when_full()``)."""
        if not isinstance(buffer_config, _BufferConfigClass):
            raise TopologyError(f"until_window_closes takes a Suppressed.BufferConfig, got {buffer_config!r}")
        if not buffer_config.is_strict:
            raise TopologyError(
                "until_window_closes needs a strict buffer config (unbounded() or shut_down_when_full()): emitting "
                "early would not be a final result"
            )
        return Suppressed(buffer_config, None, True)

    @staticmethod
    def until_time_limit(
        time_to_wait_for_more_events: timedelta | int, buffer_config: _BufferConfigClass
    ) -> Suppressed:
        """Emit a key's latest update once ``time_to_wait_for_more_events`` of stream time passed since it was
        first buffered (a rate limit per key)."""
        if not isinstance(buffer_config, _BufferConfigClass):
            raise TopologyError(f"until_time_limit takes a Suppressed.BufferConfig, got {buffer_config!r}")
        wait = duration_ms(time_to_wait_for_more_events, "time_to_wait_for_more_events")
        if wait < 0:
            raise TopologyError(f"time_to_wait_for_more_events must not be negative, got {wait} ms")
        return Suppressed(buffer_config, wait, False)

    def with_name(self, name: str) -> Suppressed:
        """A copy naming the processor ``name`` (and its buffer store ``<name>-store``)."""
        if not isinstance(name, str) or not name:
            raise TopologyError(f"a suppression name must be a non-empty str, got {name!r}")
        return replace(self, name=name)


def _window_grace(node: GraphNode, chain: str = "") -> int:
    """Kafka's GraphGraceSearchUtil.findAndVerifyWindowGrace: the max grace of the windowed aggregations above."""
    grace = getattr(getattr(node, "supplier", None), "window_close_grace_ms", None)
    if grace is not None:
        return int(grace)
    chain = node.name if not chain else f"{node.name}->{chain}"
    if not node.parents:
        raise TopologyError(f"Window close time is only defined for windowed computations. Got [{chain}].")
    return max(_window_grace(parent, chain) for parent in node.parents)


def _windowed_key_size(node: GraphNode) -> int | None:
    """The window size of the time-windowed aggregation whose keys the table of ``node`` carries, or None when its
    keys are not windowed (filters, map_values and suppressions keep their parent's keys)."""
    from kstreams_nb.dsl.table import KTableFilterSupplier, KTableMapValuesSupplier

    supplier = getattr(node, "supplier", None)
    windows = getattr(supplier, "windows", None)
    if windows is not None:
        return int(windows.size_ms)
    if isinstance(supplier, (KTableFilterSupplier, KTableMapValuesSupplier, KTableSuppressSupplier)) and node.parents:
        return _windowed_key_size(node.parents[0])
    return None


def _window_end(record: Record) -> int:
    window = getattr(record.key, "window", None)
    if window is None:
        raise StateStoreError(
            f"suppress(until_window_closes) needs windowed keys, got {type(record.key).__name__} {record.key!r:.80}"
        )
    end: int = window.end
    return end


class KTableSuppressSupplier:
    """Supplier of the KTABLE-SUPPRESS processor; asks the parent table for old values (as Kafka does).

    Built by ``KTable.suppress``; its processor buffers updates in the store ``store_name`` and emits them once
    ``buffer time + wait_ms <= stream time`` (or when the buffer is over its bounds and may emit early).
    """

    def __init__(self, store_name: str, wait_ms: int, buffer_config: BufferConfig, final: bool, parent: KTable):
        self.store_name = store_name
        self.wait_ms = wait_ms
        self.buffer_config = buffer_config
        self.final = final
        self.parent = parent
        self.materialized = True
        parent.enable_sending_old_values(True)

    @property
    def send_old_values(self) -> bool:
        """Always True: the buffer needs old values (the parent sends them)."""
        return True

    @send_old_values.setter
    def send_old_values(self, value: bool) -> None:
        pass  # already on: the constructor enabled them on the parent

    def enable_sending_old_values(self) -> None:
        """Forward the request to the parent table."""
        self.parent.enable_sending_old_values(True)

    def __call__(self) -> Processor:
        return _KTableSuppress(self)


class _KTableSuppress(Processor):
    def __init__(self, spec: KTableSuppressSupplier) -> None:
        self.spec = spec
        config = spec.buffer_config
        self.record_limit = config.record_limit
        self.byte_limit = config.byte_limit
        self.shut_down = config.full_strategy is BufferFullStrategy.SHUT_DOWN
        self.wait_ms = spec.wait_ms
        self.final = spec.final
        self.observed = -1

    def init(self, context: Any) -> None:
        super().init(context)
        self.buffer = context.get_state_store(self.spec.store_name)
        # the engine's context keeps the current input position in these attributes (record_metadata reads them);
        # emitting swaps them, as Kafka's setRecordContext does. Other contexts (test doubles) forward as is.
        self.swap_position = all(hasattr(context, a) for a in ("topic", "partition", "offset"))

    def process(self, record: Record) -> None:
        if record.timestamp > self.observed:
            self.observed = record.timestamp
        buffer_time = _window_end(record) if self.final else record.timestamp
        meta = self.context.record_metadata
        if meta is None:
            self.buffer.put(buffer_time, record, None, -1, -1)
        else:
            self.buffer.put(buffer_time, record, meta.topic, meta.partition, meta.offset)
        self._enforce_constraints()

    def _enforce_constraints(self) -> None:
        buffer = self.buffer
        expiry = self.observed - self.wait_ms
        buffer.evict_while(lambda: buffer.min_timestamp <= expiry, self._emit)
        if self._over_capacity():
            if not self.shut_down:
                buffer.evict_while(self._over_capacity, self._emit)
                return
            node = getattr(getattr(self.context, "current_node", None), "name", self.spec.store_name)
            raise StateStoreError(
                f"{node} buffer exceeded its max capacity. Currently [{buffer.num_records}/{self.record_limit}] "
                f"records and [{buffer.buffer_size}/{self.byte_limit}] bytes."
            )

    def _over_capacity(self) -> bool:
        buffer = self.buffer
        return bool(buffer.num_records > self.record_limit or buffer.buffer_size > self.byte_limit)

    def _emit(self, record: Record, metadata: RecordMetadata | None) -> None:
        if self.final and record.value.new is None:
            return  # final results: the key was never emitted, so its delete need not be either
        context: Any = self.context
        if not self.swap_position:
            context.forward(record)
            return
        saved = context.topic, context.partition, context.offset
        if metadata is None:
            context.topic, context.partition, context.offset = None, -1, -1
        else:
            context.topic, context.partition, context.offset = metadata.topic, metadata.partition, metadata.offset
        try:
            context.forward(record)  # the forward itself puts the record's timestamp and headers in the context
        finally:
            context.topic, context.partition, context.offset = saved


def suppress(table: KTable, suppressed: Suppressed) -> KTable:
    """``table.suppress(suppressed)``: the KTABLE-SUPPRESS processor and its buffer store."""
    from kstreams_nb.dsl.ktable import KTable

    if not isinstance(suppressed, Suppressed):
        raise TopologyError(
            f"suppress() takes a Suppressed (until_window_closes / until_time_limit), got {suppressed!r}"
        )
    builder = table._builder
    name = suppressed.name or builder.new_processor_name("KTABLE-SUPPRESS-")
    if suppressed.final_results:
        wait_ms = _window_grace(table._node)
        log.info("Using grace period of [%s ms] as the suppress duration for node [%s].", wait_ms, name)
    else:
        wait_ms = suppressed.time_to_wait_ms or 0
    store_name = f"{suppressed.name}-store" if suppressed.name else builder.new_store_name("KTABLE-SUPPRESS-")
    config = suppressed.buffer_config
    # a windowed table left to the default key serde: the buffer's changelog still needs Windowed keys back
    windowed_size = _windowed_key_size(table._node) if table.key_serde is None else None
    store_builder = SuppressionBufferBuilder(store_name, table.key_serde, table.value_serde, windowed_size)
    if config.log_config is None:
        store_builder = store_builder.with_logging_disabled()
    else:
        store_builder = store_builder.with_logging_enabled(config.log_config)
    supplier = KTableSuppressSupplier(store_name, wait_ms, config, suppressed.final_results, table)
    node = TableProcessorGraphNode(name, [table._node], supplier, store_builder)
    builder.add(node)
    return KTable(builder, node, table.key_serde, table.value_serde, None)
