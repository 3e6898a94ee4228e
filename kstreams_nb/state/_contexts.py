"""StateStoreContext proxies that store layers hand inwards during ``init``: they change how the innermost
store's registration reaches the engine (logged or not, timestamped conversion of restored records) and forward
everything else to the engine's context.

Example::

    >>> LoggedRegistrationContext.__mro__[1].__name__
    '_ForwardingContext'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import TaskId
from kstreams_nb.state._api import RestoreCallback, RestoreRecord, StateStore, StateStoreContext

__all__ = ["LoggedRegistrationContext", "TimestampedRestoreContext"]


class _ForwardingContext:
    """A StateStoreContext that forwards everything but ``register`` to the real one (used only during ``init``)."""

    __slots__ = ("_delegate",)

    def __init__(self, delegate: StateStoreContext) -> None:
        self._delegate = delegate

    @property
    def application_id(self) -> str:
        return self._delegate.application_id

    @property
    def task_id(self) -> TaskId:
        return self._delegate.task_id

    @property
    def app_configs(self) -> Mapping[str, Any]:
        return self._delegate.app_configs

    @property
    def key_serde(self) -> Any:
        return self._delegate.key_serde

    @property
    def value_serde(self) -> Any:
        return self._delegate.value_serde

    def register(self, store: StateStore, restore_callback: RestoreCallback, *, logged: bool) -> None:
        self._delegate.register(store, restore_callback, logged=logged)

    @property
    def log_change(self) -> Callable[..., None]:
        # the real context's bound method: the changelogging layer keeps it, so writes skip this proxy
        return self._delegate.log_change

    @property
    def cache(self) -> Any:
        """The task's record cache (None outside a task)."""
        return getattr(self._delegate, "cache", None)

    @property
    def processor_context(self) -> Any:
        """The task's processor context (None outside a task)."""
        return getattr(self._delegate, "processor_context", None)


class LoggedRegistrationContext(_ForwardingContext):
    """Marks the registration as logged: the changelogging layer passes this to its inner store's ``init``.

    Example::

        >>> class Ctx:
        ...     def register(self, store, restore_callback, *, logged): self.logged = logged
        >>> ctx = Ctx(); LoggedRegistrationContext(ctx).register(None, print, logged=False); ctx.logged
        True
    """

    __slots__ = ()

    def register(self, store: StateStore, restore_callback: RestoreCallback, *, logged: bool) -> None:
        self._delegate.register(store, restore_callback, logged=True)


class TimestampedRestoreContext(_ForwardingContext):
    """Converts changelog records to the timestamped byte format before the inner store's restore callback
    (Kafka's ``RecordConverters.rawValueToTimestampedValue``): ``value -> timestamp (8 bytes BE) + value``.

    Example::

        >>> class Ctx:
        ...     def register(self, store, restore_callback, *, logged): self.restore = restore_callback
        >>> ctx = Ctx(); TimestampedRestoreContext(ctx, "s").register(None, print, logged=True)
        >>> ctx.restore([(b"k", b"v", 1)])  # prints what the inner callback gets
        [(b'k', b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01v')]
    """

    __slots__ = ("_store_name",)

    def __init__(self, delegate: StateStoreContext, store_name: str) -> None:
        super().__init__(delegate)
        self._store_name = store_name

    def register(self, store: StateStore, restore_callback: RestoreCallback, *, logged: bool) -> None:
        name = self._store_name

        def restore_timestamped(batch: Sequence[RestoreRecord]) -> None:
            converted: list[RestoreRecord] = []
            for record in batch:
                if len(record) < 3:
                    raise StateStoreError(
                        f"cannot restore timestamped store {name!r}: its changelog records need their timestamps; "
                        "pass (key, value, timestamp) triples to the restore callback"
                    )
                key, value, ts = record
                converted.append((key, None if value is None else ts.to_bytes(8, "big", signed=True) + value))
            restore_callback(converted)

        self._delegate.register(store, restore_timestamped, logged=logged)
