"""Helpers shared by the topology unit tests."""

from __future__ import annotations

from typing import Any

from kstreams_nb.processor import Processor
from kstreams_nb.records import Record
from kstreams_nb.serdes import Serdes
from kstreams_nb.state import KeyValueStoreBuilder, Stores


class Noop(Processor):
    """A processor that does nothing."""

    def process(self, record: Record) -> None:
        pass


def store_builder(name: str, logging_enabled: bool = True) -> KeyValueStoreBuilder:
    """An in-memory key-value store builder (string keys, long values)."""
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store(name), Serdes.string(), Serdes.long())
    return builder if logging_enabled else builder.with_logging_disabled()


def route(key: Any, value: Any, ctx: Any) -> str:
    """A TopicNameExtractor that always answers "out"."""
    return "out"
