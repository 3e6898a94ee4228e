"""Which code started a KafkaStreams instance, and the live instances of the process.

An interactive front end can tell which piece of code is starting an instance, so that running that code again
replaces what it started instead of adding one more group member. An *origin provider* is a zero-argument
callable returning ``(origin_key, run_token)`` (opaque, compared with ``==``) or None when it does not know;
:func:`register_origin_provider` installs one. When IPython is loaded and no provider is registered,
:func:`current_origin` loads ``kstreams_nb.notebook._hygiene`` by module name (as ``clients.base`` loads
clients), which registers a provider keyed by the notebook cell; nothing here imports the notebook layer.

Example::

    >>> remove = register_origin_provider(lambda: ("cell-7", 1))
    >>> current_origin()
    ('cell-7', 1)
    >>> remove()
"""

from __future__ import annotations

import importlib
import itertools
import logging
import sys
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LiveInstances", "Origin", "OriginProvider", "current_origin", "register_origin_provider"]

log = logging.getLogger(__name__)

Origin = tuple[Hashable, Hashable]
OriginProvider = Callable[[], "Origin | None"]
"""Says which code is starting an instance: ``() -> (origin_key, run_token)``, or None."""

_NOTEBOOK_ORIGIN = "kstreams_nb.notebook._hygiene"  # loaded by name only: layer 4 never imports layer 6
_lock = threading.Lock()
_providers: list[OriginProvider] = []
_notebook_origin_loaded = False


def register_origin_provider(provider: OriginProvider) -> Callable[[], None]:
    """Install an origin provider (once); returns a function that removes it again.

    Example::

        >>> remove = register_origin_provider(lambda: ("cell-7", 1))
        >>> remove()
    """
    with _lock:
        if provider not in _providers:
            _providers.append(provider)

    def remove() -> None:
        with _lock:
            if provider in _providers:
                _providers.remove(provider)

    return remove


def current_origin() -> Origin | None:
    """The first origin a provider knows, loading the notebook's provider when IPython is present."""
    global _notebook_origin_loaded
    if not _providers and not _notebook_origin_loaded and "IPython" in sys.modules:
        _notebook_origin_loaded = True
        try:
            importlib.import_module(_NOTEBOOK_ORIGIN)
        except ImportError as e:
            log.debug("no notebook cell origins: %s", e)
    with _lock:
        providers = list(_providers)
    for provider in providers:
        try:
            origin = provider()
        except Exception:
            log.exception("origin provider %r failed; starting without an origin", provider)
            continue
        if origin is not None:
            return origin
    return None


T = TypeVar("T")


class LiveInstances(Generic[T]):
    """Weakly held objects in the order they were added; thread-safe.

    Example::

        >>> class Box: pass
        >>> live, box = LiveInstances[Box](), Box()
        >>> key = live.add(box)
        >>> live.snapshot() == [box], live.discard(key), live.snapshot()
        (True, None, [])
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._order = itertools.count()
        self._items: weakref.WeakValueDictionary[int, T] = weakref.WeakValueDictionary()

    def add(self, item: T) -> int:
        """Hold ``item`` (weakly); returns the key that :meth:`discard` takes."""
        with self._lock:
            key = next(self._order)
            self._items[key] = item
            return key

    def discard(self, key: int | None) -> None:
        """Forget the item added under ``key`` (nothing when None or already gone)."""
        if key is None:
            return
        with self._lock:
            self._items.pop(key, None)

    def snapshot(self) -> list[T]:
        """The items still alive, oldest first."""
        with self._lock:
            return [item for _, item in sorted(self._items.items())]
