"""Foreign-key table-table joins: ``KTable.join / left_join(other, joiner, foreign_key_extractor=...)``
(Kafka's ``KTableImpl.doJoinOnForeignKey``).

Each row of this (left) table is joined with the row of ``other`` whose key is
``foreign_key_extractor(value)``; the result is a table keyed like this one. As in Kafka, the join runs through
two internal topics, so the two tables need not be co-partitioned:

1. ``KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>`` sends each left update as a subscription (the left key, the
   murmur3 hash of its serialized value and an instruction) keyed by the foreign key, through
   ``<app>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic`` (co-partitioned with ``other``'s source);
2. on ``other``'s task, a KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR keeps subscriptions in
   ``KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-<n>`` and answers them with the foreign value; another answers
   every subscriber when a foreign row changes;
3. the answers come back through ``<app>-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-<n>-topic`` (to the left row's
   partition), where KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR joins them with the left row's
   current value, dropping answers to a value the row no longer has, and KTABLE-FK-JOIN-OUTPUT- is the
   result table (always backed by a store, queryable when ``materialized`` names it).

``TableJoined.as_(name)`` names everything ``<name>-subscription-registration-topic``,
``<name>-subscription-store``, ``<name>-result``, ... (numbers are burnt all the same).

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder
    >>> from kstreams_nb.testing import TopologyTestDriver
    >>> b = StreamsBuilder()
    >>> orders, customers = b.table("orders"), b.table("customers")
    >>> orders.join(customers, lambda o, c: f"{o['item']} for {c}",
    ...             foreign_key_extractor=lambda o: o["customer"]).to_stream().to("out")
    >>> with TopologyTestDriver(b.build()) as d:
    ...     d.create_input_topic("customers").pipe_input("c1", "ann")
    ...     d.create_input_topic("orders").pipe_input("o1", {"item": "tea", "customer": "c1"})
    ...     d.create_output_topic("out").read_key_values_to_list()
    [('o1', 'tea for ann')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kstreams_nb.dsl import table as tp
from kstreams_nb.dsl._graph import GraphNode, ProcessorGraphNode, SourceGraphNode, StateStoreGraphNode
from kstreams_nb.dsl.join_foreign_key_processors import (
    ForeignTableJoinProcessorSupplier,
    ResponseJoinProcessorSupplier,
    SubscriptionJoinProcessorSupplier,
    SubscriptionReceiveProcessorSupplier,
    SubscriptionSendProcessorSupplier,
)
from kstreams_nb.dsl.join_foreign_key_wrappers import JoinSerdes, SubscriptionResponseWrapper, SubscriptionWrapperSerde
from kstreams_nb.dsl.join_stream_table import source_topics, value_getter_supplier
from kstreams_nb.dsl.options import Materialized, TableJoined, _validated
from kstreams_nb.serdes import Serdes
from kstreams_nb.topology._builder import InternalTopologyBuilder

if TYPE_CHECKING:
    from kstreams_nb.dsl.ktable import KTable

__all__ = ["foreign_key_join"]

FK_JOIN = "KTABLE-FK-JOIN-"
FK_JOIN_STATE_STORE_NAME = FK_JOIN + "SUBSCRIPTION-STATE-STORE-"
SUBSCRIPTION_REGISTRATION = FK_JOIN + "SUBSCRIPTION-REGISTRATION-"
SUBSCRIPTION_RESPONSE = FK_JOIN + "SUBSCRIPTION-RESPONSE-"
SUBSCRIPTION_PROCESSOR = FK_JOIN + "SUBSCRIPTION-PROCESSOR-"
SUBSCRIPTION_RESPONSE_RESOLVER_PROCESSOR = FK_JOIN + "SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-"
FK_JOIN_OUTPUT_NAME = FK_JOIN + "OUTPUT-"
SINK_NAME = "KTABLE-SINK-"
SOURCE_NAME = "KTABLE-SOURCE-"
TOPIC_SUFFIX = "-topic"


class _InternalSinkNode(GraphNode):
    """A sink to one of the join's internal topics (registered as a repartition topic)."""

    def __init__(
        self, name: str, parents: Sequence[GraphNode], topic: str, key_serde: Any, value_serde: Any,
        partitioner: Any,
    ) -> None:
        super().__init__(name, parents)
        self.topic = topic
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner

    def write(self, tb: InternalTopologyBuilder) -> None:
        tb.add_internal_topic(self.topic, None)
        tb.add_sink(self.name, self.topic, self.parent_names, key_serializer=self.key_serde,
                    value_serializer=self.value_serde, partitioner=self.partitioner)


class _Consumed:
    """The source options of an internal topic (its serdes)."""

    def __init__(self, key_serde: Any, value_serde: Any) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.timestamp_extractor = None
        self.offset_reset = None


class _InternalSourceNode(SourceGraphNode):
    """A source of one of the join's internal topics, co-partitioned with ``copartition``'s topics."""

    def __init__(self, name: str, topic: str, key_serde: Any, value_serde: Any, copartition: list[str]) -> None:
        super().__init__(name, [topic], None, _Consumed(key_serde, value_serde))
        self.copartition = copartition

    def write(self, tb: InternalTopologyBuilder) -> None:
        super().write(tb)
        tb.copartition(self.copartition)


class _Names:
    """Kafka's ``NamedInternal.suffixWithOrElseGet``: ``<name><suffix>`` when named, else ``<prefix><n>``; a
    number is burnt either way."""

    def __init__(self, builder: Any, name: str | None) -> None:
        self.builder = builder
        self.name = name

    def __call__(self, suffix: str, prefix: str) -> str:
        generated: str = self.builder.new_processor_name(prefix)
        return _validated(self.name + suffix) if self.name is not None else generated


def _primary_partition(topic: str, key: Any, value: SubscriptionResponseWrapper, num_partitions: int) -> int | None:
    """The response goes back to the partition of the left row that subscribed."""
    return value.primary_partition


def _single(partitioner: Any) -> Callable[..., Any]:
    """A TableJoined partitioner applied to a subscription or response (keyed by the partitioned table's key)."""
    return lambda topic, key, value, n: partitioner(topic, key, None, n)


def foreign_key_join(
    this: KTable,
    other: KTable,
    extractor: Callable[[Any], Any],
    joiner: Callable[[Any, Any, Any], Any],
    table_joined: TableJoined,
    materialized: Materialized | None,
    left_join: bool,
) -> KTable:
    """Kafka's ``KTableImpl.doJoinOnForeignKey``; ``joiner(key, value, foreign_value)``."""
    from kstreams_nb.dsl.ktable import KTable, TableProcessorGraphNode

    b = this._builder
    # old values let the sender tell a foreign-key change (to unsubscribe) and spare needless prefix scans
    other.enable_sending_old_values(True)
    this.enable_sending_old_values(True)
    names = _Names(b, table_joined.name)
    subscription_topic = names("-subscription-registration", SUBSCRIPTION_REGISTRATION) + TOPIC_SUFFIX

    serdes = JoinSerdes(subscription_topic, this.key_serde, other.key_serde, this.value_serde, other.value_serde)
    subscription_serde, response_serde = serdes.subscription, serdes.response
    send_supplier = SubscriptionSendProcessorSupplier(extractor, serdes, left_join)
    send = ProcessorGraphNode(names("-subscription-registration-processor", SUBSCRIPTION_REGISTRATION),
                              [this._node], send_supplier)
    b.add(send)
    other_partitioner = table_joined.other_partitioner
    sink = _InternalSinkNode(
        names("-subscription-registration-sink", SINK_NAME), [send], subscription_topic, other.key_serde,
        subscription_serde, None if other_partitioner is None else _single(other_partitioner),
    )
    b.add(sink)
    source = _InternalSourceNode(
        names("-subscription-registration-source", SOURCE_NAME), subscription_topic, other.key_serde,
        subscription_serde, [subscription_topic, *source_topics(other._node)],
    )
    source.parents = [sink]
    b.add(source)

    store_name = names("-subscription-store", FK_JOIN_STATE_STORE_NAME)
    b.add(StateStoreGraphNode(_subscription_store(store_name, subscription_serde)))
    receive_supplier = SubscriptionReceiveProcessorSupplier(store_name, serdes)
    receive = ProcessorGraphNode(names("-subscription-receive", SUBSCRIPTION_PROCESSOR), [source],
                                 receive_supplier, store_names=[store_name])
    b.add(receive)
    foreign_getter = value_getter_supplier(other)
    join_foreign = ProcessorGraphNode(
        names("-subscription-join-foreign", SUBSCRIPTION_PROCESSOR), [receive],
        SubscriptionJoinProcessorSupplier(foreign_getter), store_names=list(foreign_getter.store_names),
    )
    b.add(join_foreign)
    foreign_join = ProcessorGraphNode(
        names("-foreign-join-subscription", SUBSCRIPTION_PROCESSOR), [other._node],
        ForeignTableJoinProcessorSupplier(store_name, serdes), store_names=[store_name],
    )
    b.add(foreign_join)

    response_topic = names("-subscription-response", SUBSCRIPTION_RESPONSE) + TOPIC_SUFFIX
    partitioner = table_joined.partitioner
    response_sink = _InternalSinkNode(
        names("-subscription-response-sink", SINK_NAME), [join_foreign, foreign_join], response_topic,
        this.key_serde, response_serde, _primary_partition if partitioner is None else _single(partitioner),
    )
    b.add(response_sink)
    response_source = _InternalSourceNode(
        names("-subscription-response-source", SOURCE_NAME), response_topic, this.key_serde, response_serde,
        [response_topic, *source_topics(this._node)],
    )
    response_source.parents = [response_sink]
    b.add(response_source)

    this_getter = value_getter_supplier(this)
    resolver = ProcessorGraphNode(
        names("-subscription-response-resolver", SUBSCRIPTION_RESPONSE_RESOLVER_PROCESSOR), [response_source],
        ResponseJoinProcessorSupplier(this_getter, serdes, joiner, left_join),
        store_names=list(this_getter.store_names),
    )
    b.add(resolver)

    result_name = names("-result", FK_JOIN_OUTPUT_NAME)
    materialized = materialized if materialized is not None else Materialized()
    result_store = materialized.store_name or b.new_store_name(FK_JOIN_OUTPUT_NAME)
    queryable = materialized.store_name
    key_serde = materialized.key_serde if materialized.key_serde is not None else this.key_serde
    store_builder = tp.materialize_kv(result_store, materialized, key_serde, materialized.value_serde)
    result_supplier = tp.KTableSourceSupplier(result_store, queryable)
    result = TableProcessorGraphNode(result_name, [resolver], result_supplier, store_builder)
    b.add(result)
    return KTable(b, result, key_serde, materialized.value_serde, queryable)


def _subscription_store(name: str, value_serde: SubscriptionWrapperSerde) -> Any:
    """Kafka's SubscriptionStoreFactory: a logged, uncached timestamped key-value store of raw keys."""
    from kstreams_nb.state import Stores

    supplier = Stores.in_memory_key_value_store(name)
    builder = Stores.timestamped_key_value_store_builder(supplier, Serdes.bytes(), value_serde)
    return builder.with_logging_enabled({}).with_caching_disabled()
