"""Test helpers for the state-store unit tests: a fake StateStoreContext (the role of Kafka's
MockInternalProcessorContext) that records what stores do with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kstreams_nb.records import TaskId
from kstreams_nb.state import StateStore


class FakeContext:
    """Records ``register`` and ``log_change`` calls; ``restore`` replays records through a registered callback."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None, *, timestamp: int = 10) -> None:
        self.application_id = "app"
        self.task_id = TaskId(0, 0)
        self.app_configs: dict[str, Any] = {}
        self.key_serde = key_serde
        self.value_serde = value_serde
        #: the current record's timestamp (what the engine fills in for timestamp=None)
        self.timestamp = timestamp
        self.registered: dict[str, tuple[StateStore, Callable[[Sequence[Any]], None], bool]] = {}
        #: (store name, key, value, timestamp) in the order they were logged
        self.changelog: list[tuple[str, bytes, bytes | None, int]] = []

    def register(self, store: StateStore, restore_callback: Callable[[Sequence[Any]], None], *, logged: bool) -> None:
        assert store.name not in self.registered, f"store {store.name} registered twice"
        self.registered[store.name] = (store, restore_callback, logged)

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int | None) -> None:
        self.changelog.append((store_name, key, value, self.timestamp if timestamp is None else timestamp))

    def restore(self, store_name: str, records: Sequence[Any]) -> None:
        self.registered[store_name][1](records)

    def logged(self, store_name: str) -> bool:
        return self.registered[store_name][2]


def init(store: Any, context: FakeContext) -> Any:
    """Initialise ``store`` as the engine does (it is its own root) and return it."""
    store.init(context, store)
    return store
