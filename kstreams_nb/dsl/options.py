"""DSL options as frozen dataclasses with Kafka's factories, snake_cased.

Example::

    >>> Materialized.as_("counts").with_logging_disabled().store_name
    'counts'
    >>> Grouped.with_(key_serde=None).name is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from kstreams_nb._time import to_millis
from kstreams_nb.errors import TopologyError

__all__ = [
    "Branched",
    "Consumed",
    "Grouped",
    "Joined",
    "Materialized",
    "Named",
    "Printed",
    "Produced",
    "Repartitioned",
    "StreamJoined",
    "TableJoined",
]


_MAX_NAME_LENGTH = 249
_LEGAL_NAME = re.compile(r"[a-zA-Z0-9._-]+")


def _validated(name: str) -> str:
    """Kafka's ``Named.validate``: ASCII alphanumerics, '.', '_' and '-', at most 249 characters."""
    if not isinstance(name, str):
        raise TopologyError(f"Name must be a str, got {type(name).__name__}")
    if not name:
        raise TopologyError("Name is illegal, it can't be empty")
    if name in (".", ".."):
        raise TopologyError('Name cannot be "." or ".."')
    if len(name) > _MAX_NAME_LENGTH:
        raise TopologyError(f"Name is illegal, it can't be longer than {_MAX_NAME_LENGTH} characters, name: {name}")
    if not _LEGAL_NAME.fullmatch(name):
        raise TopologyError(
            f'Name "{name}" is illegal, it contains a character other than ASCII alphanumerics, \'.\', \'_\' and \'-\''
        )
    return name


@dataclass(frozen=True)
class Named:
    """A user-chosen processor name (``Named.as_("my-filter")``), validated as Kafka does."""

    name: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None:
            _validated(self.name)

    @staticmethod
    def as_(name: str) -> Named:
        """A Named with ``name``."""
        return Named(name)


@dataclass(frozen=True)
class Consumed:
    """How a source reads: serdes, timestamp extractor, offset reset, processor name."""

    key_serde: Any = None
    value_serde: Any = None
    timestamp_extractor: Any = None
    offset_reset: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None:  # Kafka: Consumed.as validates the processor name as Named does
            _validated(self.name)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, *, timestamp_extractor: Any = None,
              offset_reset: str | None = None) -> Consumed:
        """Consumed with the given serdes (and optional extractor and reset policy)."""
        return Consumed(key_serde, value_serde, timestamp_extractor, offset_reset)

    @staticmethod
    def as_(name: str) -> Consumed:
        """Consumed naming the source processor."""
        return Consumed(name=name)

    def with_key_serde(self, serde: Any) -> Consumed:
        """A copy with the key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Consumed:
        """A copy with the value serde."""
        return replace(self, value_serde=serde)

    def with_timestamp_extractor(self, extractor: Any) -> Consumed:
        """A copy with a timestamp extractor."""
        return replace(self, timestamp_extractor=extractor)

    def with_offset_reset_policy(self, policy: str) -> Consumed:
        """A copy with ``"earliest"`` or ``"latest"``."""
        return replace(self, offset_reset=policy)

    def with_name(self, name: str) -> Consumed:
        """A copy naming the source processor."""
        return replace(self, name=name)


@dataclass(frozen=True)
class Produced:
    """How a sink writes: serdes, partitioner, processor name, and the cluster it writes to.

    ``cluster`` names another cluster, configured as ``cluster.<name>.bootstrap.servers`` (and any client keys
    under ``cluster.<name>.``); None writes to the application's own cluster. Such a sink is at-least-once, also
    under ``exactly_once_v2`` (no transaction spans two clusters: its producer is flushed before each commit), and
    the TopologyTestDriver treats its topic as one of its own output topics. See ``Topology.add_sink``.

    Example::

        >>> Produced.with_(key_serde=None).with_cluster("archive").cluster
        'archive'
    """

    key_serde: Any = None
    value_serde: Any = None
    partitioner: Any = None
    name: str | None = None
    cluster: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None:  # Kafka: Produced.as validates the processor name as Named does
            _validated(self.name)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, partitioner: Any = None) -> Produced:
        """Produced with the given serdes and partitioner."""
        return Produced(key_serde, value_serde, partitioner)

    @staticmethod
    def as_(name: str) -> Produced:
        """Produced naming the sink processor."""
        return Produced(name=name)

    def with_key_serde(self, serde: Any) -> Produced:
        """A copy with the key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Produced:
        """A copy with the value serde."""
        return replace(self, value_serde=serde)

    def with_stream_partitioner(self, partitioner: Any) -> Produced:
        """A copy with a partitioner ``(topic, key, value, num_partitions) -> partition``."""
        return replace(self, partitioner=partitioner)

    def with_name(self, name: str) -> Produced:
        """A copy naming the sink processor."""
        return replace(self, name=name)

    def with_cluster(self, cluster: str | None) -> Produced:
        """A copy writing to the cluster configured as ``cluster.<cluster>.bootstrap.servers`` (None: the
        application's own); at-least-once for that sink."""
        return replace(self, cluster=cluster)


@dataclass(frozen=True)
class Grouped:
    """Serdes and name of a grouping (the name also names the repartition topic)."""

    key_serde: Any = None
    value_serde: Any = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None:  # Kafka validates it as a Named: it names processors and the repartition topic
            _validated(self.name)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None) -> Grouped:
        """Grouped with the given serdes."""
        return Grouped(key_serde, value_serde)

    @staticmethod
    def as_(name: str) -> Grouped:
        """Grouped with a name."""
        return Grouped(name=name)

    def with_key_serde(self, serde: Any) -> Grouped:
        """A copy with the key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Grouped:
        """A copy with the value serde."""
        return replace(self, value_serde=serde)

    def with_name(self, name: str) -> Grouped:
        """A copy with a name."""
        return replace(self, name=name)


class _FactoryOrCopy:
    """A method that is a factory on the class (``Repartitioned.with_number_of_partitions(3)``) and a copying
    with-er on an instance (``Repartitioned.as_("x").with_number_of_partitions(3)`` keeps the name).

    Example::

        >>> Repartitioned.as_("x").with_number_of_partitions(3)
        Repartitioned(name='x', key_serde=None, value_serde=None, number_of_partitions=3, partitioner=None)
    """

    def __init__(self, field_name: str, doc: str) -> None:
        self.field_name = field_name
        self.__doc__ = doc

    def __get__(self, obj: Repartitioned | None, owner: type[Repartitioned]) -> Callable[[Any], Repartitioned]:
        base = owner() if obj is None else obj
        field_name = self.field_name

        def with_value(value: Any) -> Repartitioned:
            return replace(base, **{field_name: value})

        with_value.__doc__ = self.__doc__
        return with_value


@dataclass(frozen=True)
class Repartitioned:
    """Options of an explicit repartition: name, serdes, partition count, partitioner."""

    name: str | None = None
    key_serde: Any = None
    value_serde: Any = None
    number_of_partitions: int | None = None
    partitioner: Any = None

    @staticmethod
    def as_(name: str) -> Repartitioned:
        """Repartitioned naming the topic and processors."""
        return Repartitioned(name=name)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None) -> Repartitioned:
        """Repartitioned with serdes."""
        return Repartitioned(key_serde=key_serde, value_serde=value_serde)

    # Kafka has a static factory AND a with-er for these (numberOfPartitions / withNumberOfPartitions,
    # streamPartitioner / withStreamPartitioner); one name serves both, so the with-er on an instance
    # (``Repartitioned.as_("x").with_number_of_partitions(3)``) keeps the instance's other settings.
    with_number_of_partitions = _FactoryOrCopy(
        "number_of_partitions", "Repartitioned into ``n`` partitions (a copy when called on an instance)."
    )
    with_stream_partitioner = _FactoryOrCopy(
        "partitioner", "Repartitioned with a partitioner (a copy when called on an instance)."
    )

    def with_name(self, name: str) -> Repartitioned:
        """A copy with a name."""
        return replace(self, name=name)

    def with_key_serde(self, serde: Any) -> Repartitioned:
        """A copy with the key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Repartitioned:
        """A copy with the value serde."""
        return replace(self, value_serde=serde)

    def with_partitions(self, n: int) -> Repartitioned:
        """A copy with a partition count."""
        return replace(self, number_of_partitions=n)

    def __post_init__(self) -> None:
        n = self.number_of_partitions
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise TopologyError(f"Repartitioned's number_of_partitions must be a positive int, got {n!r}")


@dataclass(frozen=True)
class Materialized:
    """How an operator's result is stored: store name, serdes, logging, caching, retention."""

    store_name: str | None = None
    key_serde: Any = None
    value_serde: Any = None
    logging_enabled: bool = True
    log_config: dict[str, str] = field(default_factory=dict)
    caching_enabled: bool = True
    retention: int | None = None
    supplier: Any = None

    @staticmethod
    def as_(name_or_supplier: Any) -> Materialized:
        """Materialize into a store of that name (or from that store supplier)."""
        if isinstance(name_or_supplier, str):
            return Materialized(store_name=_validated(name_or_supplier))
        return Materialized(store_name=getattr(name_or_supplier, "name", None), supplier=name_or_supplier)

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None) -> Materialized:
        """Materialize with these serdes (the store name is generated)."""
        return Materialized(key_serde=key_serde, value_serde=value_serde)

    def with_key_serde(self, serde: Any) -> Materialized:
        """A copy with the key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Materialized:
        """A copy with the value serde."""
        return replace(self, value_serde=serde)

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> Materialized:
        """A copy writing a changelog (with topic config)."""
        return replace(self, logging_enabled=True, log_config=dict(config or {}))

    def with_logging_disabled(self) -> Materialized:
        """A copy without a changelog."""
        return replace(self, logging_enabled=False, log_config={})

    def with_caching_enabled(self) -> Materialized:
        """A copy with caching on."""
        return replace(self, caching_enabled=True)

    def with_caching_disabled(self) -> Materialized:
        """A copy with caching off."""
        return replace(self, caching_enabled=False)

    def with_retention(self, retention: int | timedelta) -> Materialized:
        """A copy with a window-store retention."""
        ms = to_millis(retention, "retention")
        if ms < 0:
            raise TopologyError(f"Retention must not be negative, got {ms} ms")
        return replace(self, retention=ms)


@dataclass(frozen=True)
class Branched:
    """A branch of ``split()``: its name suffix and what to do with the branch stream."""

    name: str | None = None
    function: Callable[[Any], Any] | None = None
    consumer: Callable[[Any], None] | None = None

    @staticmethod
    def as_(name: str) -> Branched:
        """A branch named ``name`` (the key in the result mapping is prefix + name)."""
        return Branched(name=name)

    @staticmethod
    def with_function(fn: Callable[[Any], Any], name: str | None = None) -> Branched:
        """A branch whose stream is transformed by ``fn``; its result goes in the mapping."""
        return Branched(name=name, function=fn)

    @staticmethod
    def with_consumer(fn: Callable[[Any], None], name: str | None = None) -> Branched:
        """A branch handed to ``fn``; nothing goes in the mapping for it."""
        return Branched(name=name, consumer=fn)


@dataclass(frozen=True)
class Printed:
    """Where ``KStream.print`` writes: stdout or a file, with an optional label, mapper and processor name."""

    file_path: str | None = None
    label: str | None = None
    mapper: Callable[[Any, Any], str] | None = None
    name: str | None = None

    @staticmethod
    def to_sys_out() -> Printed:
        """Print to standard output."""
        return Printed()

    @staticmethod
    def to_file(path: str) -> Printed:
        """Append to the file at ``path``."""
        return Printed(file_path=path)

    def with_label(self, label: str) -> Printed:
        """A copy with a label (default: the processor name)."""
        return replace(self, label=label)

    def with_key_value_mapper(self, mapper: Callable[[Any, Any], str]) -> Printed:
        """A copy printing ``mapper(key, value)`` instead of ``key, value``."""
        return replace(self, mapper=mapper)

    def with_name(self, name: str) -> Printed:
        """A copy naming the printer processor."""
        return replace(self, name=_validated(name))


@dataclass(frozen=True)
class Joined:
    """Serdes, name and grace of a stream-table join."""

    key_serde: Any = None
    value_serde: Any = None
    other_value_serde: Any = None
    name: str | None = None
    grace_period: int | None = None

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, other_value_serde: Any = None) -> Joined:
        """Joined with serdes."""
        return Joined(key_serde, value_serde, other_value_serde)

    @staticmethod
    def as_(name: str) -> Joined:
        """Joined with a name."""
        return Joined(name=name)


@dataclass(frozen=True)
class StreamJoined:
    """Serdes, name and store options of a stream-stream join."""

    key_serde: Any = None
    value_serde: Any = None
    other_value_serde: Any = None
    name: str | None = None
    store_name: str | None = None
    logging_enabled: bool = True

    @staticmethod
    def with_(key_serde: Any = None, value_serde: Any = None, other_value_serde: Any = None) -> StreamJoined:
        """StreamJoined with serdes."""
        return StreamJoined(key_serde, value_serde, other_value_serde)

    @staticmethod
    def as_(store_name: str) -> StreamJoined:
        """StreamJoined naming the join stores."""
        return StreamJoined(store_name=store_name)

    def with_name(self, name: str) -> StreamJoined:
        """A copy naming the join processors."""
        return replace(self, name=name)

    def with_store_name(self, store_name: str) -> StreamJoined:
        """A copy naming the join stores (``<store_name>-this-join-store`` / ``-other-join-store``)."""
        return replace(self, store_name=store_name)

    def with_logging_disabled(self) -> StreamJoined:
        """A copy whose join stores have no changelog topic."""
        return replace(self, logging_enabled=False)

    def with_logging_enabled(self) -> StreamJoined:
        """A copy whose join stores are backed by changelog topics (the default)."""
        return replace(self, logging_enabled=True)


@dataclass(frozen=True)
class TableJoined:
    """Name and partitioners of a foreign-key table-table join (Kafka's ``TableJoined``).

    ``partitioner`` is how this (left) table's input topic is partitioned and ``other_partitioner`` the foreign
    table's: StreamPartitioners ``(topic, key, value, num_partitions) -> partition`` (None: the default one).
    ``name`` names the join's processors, topics and store (``<name>-subscription-registration-topic``, ...).

    Example::

        >>> TableJoined.as_("orders-by-customer").name
        'orders-by-customer'
    """

    partitioner: Any = None
    other_partitioner: Any = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None:
            _validated(self.name)

    @staticmethod
    def with_(partitioner: Any = None, other_partitioner: Any = None) -> TableJoined:
        """TableJoined with the two tables' partitioners."""
        return TableJoined(partitioner, other_partitioner)

    @staticmethod
    def as_(name: str) -> TableJoined:
        """TableJoined with a name."""
        return TableJoined(name=name)

    def with_name(self, name: str) -> TableJoined:
        """A copy with ``name``."""
        return replace(self, name=name)

    def with_partitioner(self, partitioner: Any) -> TableJoined:
        """A copy with this table's partitioner."""
        return replace(self, partitioner=partitioner)

    def with_other_partitioner(self, other_partitioner: Any) -> TableJoined:
        """A copy with the foreign table's partitioner."""
        return replace(self, other_partitioner=other_partitioner)
