"""GlobalKTable: a table fully replicated to every instance, filled from every partition of its topic.

Kafka's ``StreamsBuilder.globalTable``: its store (a timestamped key-value store, never logged: the topic is its
changelog) is fed by a ``KTABLE-SOURCE`` processor from every partition of the topic before any stream task
processes a record; streams join it with ``KStream.join(global_table, joiner, key_selector=...)``, which needs no
co-partitioning.

Example::

    >>> from kstreams_nb.dsl import StreamsBuilder
    >>> b = StreamsBuilder()
    >>> countries = b.global_table("countries")
    >>> countries.queryable_store_name() is None, countries.store_name
    (True, 'countries-STATE-STORE-0000000000')
"""

from __future__ import annotations

from typing import Any

from kstreams_nb.dsl._graph import InternalStreamsBuilder

__all__ = ["GlobalKTable"]


class GlobalKTable:
    """A global table; use it as the ``other`` side of ``KStream.join`` / ``left_join`` with ``key_selector=``.

    Example::

        >>> from kstreams_nb.dsl import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> products = b.global_table("products")
        >>> orders = b.stream("orders")
        >>> orders.join(products, lambda order, product: (order, product),
        ...             key_selector=lambda key, order: order["product_id"]).to("enriched")
    """

    def __init__(
        self,
        builder: InternalStreamsBuilder,
        store_name: str,
        queryable_store_name: str | None,
        key_serde: Any = None,
        value_serde: Any = None,
    ) -> None:
        self._builder = builder
        self.store_name = store_name
        self._queryable = queryable_store_name
        self.key_serde = key_serde
        self.value_serde = value_serde

    def queryable_store_name(self) -> str | None:
        """The store's name when it was named (``Materialized.as_``) and can be queried; else None."""
        return self._queryable

    def __repr__(self) -> str:
        return f"<GlobalKTable {self.store_name}>"
