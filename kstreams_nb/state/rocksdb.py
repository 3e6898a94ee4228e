"""Persistent stores on RocksDB (through the optional ``rocksdict`` package): :class:`RocksDBKeyValueStore` here and
:class:`~kstreams_nb.state.rocksdb_window.RocksDBWindowStore`, what ``Stores.persistent_*`` supply when
``rocksdict`` is installed (``pip install kstreams-nb[rocksdb]``).

A store lives in ``<state.dir>/<application.id>/<task id>/rocksdb/<store>`` and keeps its data across restarts;
with the task's checkpoint file the engine then restores only the changelog records written after it. Opening a
store locks its task directory (see :mod:`kstreams_nb.state.directory`).

Both stores implement the same byte-store protocols as the in-memory ones, with the same orders: keys in unsigned
byte order; window records by window start, then key bytes. Their iterators read a snapshot taken when they were
created (Kafka's RocksDB iterators), where the in-memory ones re-read values as they go.

Example::

    >>> import tempfile
    >>> from kstreams_nb.records import TaskId
    >>> class Ctx:
    ...     application_id, task_id = "app", TaskId(0, 0)
    ...     app_configs = {"state.dir": tempfile.mkdtemp()}
    ...     def register(self, store, restore_callback, *, logged): pass
    >>> s = RocksDBKeyValueStore("counts"); s.init(Ctx(), s)
    >>> s.put(b"b", b"2"); s.put(b"a", b"1")
    >>> list(s.all()), s.path.parts[-3:]
    ([(b'a', b'1'), (b'b', b'2')], ('0_0', 'rocksdb', 'counts'))
    >>> s.close()
"""

from __future__ import annotations

import importlib.util
import logging
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstreams_nb.errors import InvalidStateStoreError, StateStoreError
from kstreams_nb.state._api import RestoreRecord, StateStore, StateStoreContext
from kstreams_nb.state._iterators import KeyValueIterator, empty_iterator
from kstreams_nb.state._ranges import KeyRangeQueries
from kstreams_nb.state.directory import TaskDirectoryLock, lock_task_directory, task_directory
from kstreams_nb.state.memory import _INVALID_RANGE

if TYPE_CHECKING:
    from rocksdict import Rdict, RdictIter

__all__ = ["RocksDBKeyValueStore", "RocksDBStore", "rocksdb_available", "wipe_persistent_store"]

_log = logging.getLogger(__name__)
_available: bool | None = None


def rocksdb_available() -> bool:
    """True when the ``rocksdict`` package can be imported (checked once, without importing it).

    Example::

        >>> isinstance(rocksdb_available(), bool)
        True
    """
    global _available
    if _available is None:
        _available = importlib.util.find_spec("rocksdict") is not None
    return _available


class RocksDBStore:
    """Base of the RocksDB stores: opens, locks, flushes and closes one store's database; open iterators end
    with it.

    Example::

        >>> RocksDBStore("s").persistent, RocksDBStore("s").is_open()
        (True, False)
    """

    __slots__ = ("__weakref__", "_db", "_iterators", "_lock", "_name", "_path")

    def __init__(self, name: str) -> None:
        self._name = name
        self._db: Rdict | None = None
        self._path: Path | None = None
        self._lock: TaskDirectoryLock | None = None
        self._iterators: weakref.WeakSet[_RocksIterator] = weakref.WeakSet()

    @property
    def name(self) -> str:
        """The store's name."""
        return self._name

    @property
    def persistent(self) -> bool:
        """True: the data is on disk and survives restarts."""
        return True

    @property
    def path(self) -> Path | None:
        """The database directory (None before ``init``)."""
        return self._path

    def is_open(self) -> bool:
        """True between ``init`` and ``close``."""
        return self._db is not None

    def _open(self, context: StateStoreContext) -> Rdict:
        configs = context.app_configs
        directory = task_directory(configs, context.application_id, context.task_id)
        # a stream task may wait for its previous owner to let go during a rebalance; the global task never moves
        timeout = 0.0 if context.task_id.subtopology < 0 else float(configs.get("task.timeout.ms", 300_000)) / 1000
        self._lock = lock_task_directory(directory, timeout=timeout, on_abandon=self._release_db)
        self._path = directory / "rocksdb" / self._name
        try:
            self._db = _open_db(self._path)
        except BaseException:
            self._lock.release()
            self._lock = None
            raise
        return self._db

    def _check(self) -> Rdict:
        db = self._db
        if db is None:
            raise InvalidStateStoreError(f"RocksDB store {self._name!r} is not open; the engine opens it with init()")
        return db

    def flush(self) -> None:
        """Make every write so far durable: the write-ahead log is synced to disk (what a checkpoint needs: after a
        crash, reopening the database replays the log). Writing the memtable out as a table file on every commit
        cost about 1.4 ms a call; RocksDB does that by itself when the memtable fills, and on close."""
        if self._db is not None:
            self._db.flush_wal(True)

    def _release_db(self) -> None:
        for it in list(self._iterators):
            it._finish()  # a live iterator keeps the database (and its lock) open
        if self._db is not None:
            self._db.close()
            self._db = None

    def close(self) -> None:
        """Flush and close the database (open iterators stop yielding) and release the task directory."""
        if self._db is not None:
            self._db.flush()
        self._release_db()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def wipe(self) -> None:
        """Delete every record (the database is destroyed and created again empty)."""
        self._check()
        path = self._path
        assert path is not None
        self._release_db()
        from rocksdict import Rdict

        Rdict.destroy(str(path), _options())
        self._db = _open_db(path)
        self._reopened(self._db)

    def _reopened(self, db: Rdict) -> None:
        """Re-read what the store caches from the database."""

    def _iterate(
        self,
        seek: Callable[[RdictIter], None],
        backward: bool,
        stop: Callable[[bytes], bool],
        convert: Callable[[bytes, bytes], Any],
    ) -> KeyValueIterator[Any, bytes]:
        it = self._check().iter()
        seek(it)
        wrapper = _RocksIterator(self._name, it, backward, stop, convert)
        self._iterators.add(wrapper)
        return wrapper


def _options() -> Any:
    from rocksdict import Options

    options = Options(raw_mode=True)
    options.create_if_missing(True)
    return options


def _open_db(path: Path) -> Rdict:
    from rocksdict import Rdict

    path.mkdir(parents=True, exist_ok=True)
    try:
        return Rdict(str(path), _options())
    except Exception as e:  # rocksdict raises plain Exception for I/O and lock errors
        raise StateStoreError(
            f"cannot open the RocksDB store at {path}: {e}. If another process uses this state directory, give "
            "each instance its own state.dir; if the files are damaged, delete them (KafkaStreams.clean_up())"
        ) from e


class _RocksIterator(KeyValueIterator[Any, bytes]):
    """Walks a RocksDB iterator until ``stop(key)``; ``convert(key, value)`` gives the pair or None to skip."""

    __slots__ = ("_backward", "_convert", "_it", "_stop")

    def __init__(
        self,
        store_name: str,
        it: RdictIter,
        backward: bool,
        stop: Callable[[bytes], bool],
        convert: Callable[[bytes, bytes], Any],
    ) -> None:
        super().__init__(store_name)
        self._it: RdictIter | None = it
        self._backward = backward
        self._stop = stop
        self._convert = convert

    def _finish(self) -> None:
        self._it = None

    def close(self) -> None:
        """Close the iterator (releases its snapshot)."""
        super().close()
        self._finish()

    def _next_item(self) -> tuple[Any, bytes] | None:
        it = self._it
        while it is not None and it.valid():
            key: bytes = it.key()
            if self._stop(key):
                break
            value: bytes = it.value()
            if self._backward:
                it.prev()
            else:
                it.next()
            item = self._convert(key, value)
            if item is not None:
                return item  # type: ignore[no-any-return]
        self._finish()
        return None


def _pair(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    return key, value


def _never(key: bytes) -> bool:
    return False


class RocksDBKeyValueStore(KeyRangeQueries, RocksDBStore):
    """A key-value store of bytes in RocksDB (Kafka's ``RocksDBStore``). Putting None deletes.

    Example::

        >>> RocksDBKeyValueStore("s").persistent
        True
    """

    __slots__ = ()

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Open the database under the task directory and register the restore callback."""
        self._open(context)
        context.register(root, self.restore_batch, logged=False)

    def restore_batch(self, records: Sequence[RestoreRecord]) -> None:
        """Apply changelog records ``(key, value[, timestamp])`` in order, in one write batch."""
        self.put_all((record[0], record[1]) for record in records)

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or None."""
        return self._check().get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        """Set ``key`` to ``value``; None deletes."""
        db = self._check()
        if value is None:
            db.delete(key)
        else:
            db.put(key, value)

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        """Put only when ``key`` has no value; return the value it had (None when the put happened)."""
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Put every ``(key, value)`` pair, in order, atomically."""
        from rocksdict import WriteBatch

        db = self._check()
        batch = WriteBatch(raw_mode=True)
        for key, value in entries:
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        db.write(batch)

    def delete(self, key: bytes) -> bytes | None:
        """Remove ``key``; return its old value (None when absent)."""
        old = self.get(key)
        if old is not None:
            self._check().delete(key)
        return old

    def _range(self, key_from: bytes | None, key_to: bytes | None, backward: bool) -> KeyValueIterator[bytes, bytes]:
        if key_from is not None and key_to is not None and key_from > key_to:
            _log.warning(_INVALID_RANGE)
            return empty_iterator(self._name)
        if backward:
            return self._iterate(
                lambda it: it.seek_to_last() if key_to is None else it.seek_for_prev(key_to),
                True,
                _never if key_from is None else (lambda k: k < key_from),
                _pair,
            )
        return self._iterate(
            lambda it: it.seek_to_first() if key_from is None else it.seek(key_from),
            False,
            _never if key_to is None else (lambda k: k > key_to),
            _pair,
        )

    def prefix_scan(self, prefix: bytes) -> KeyValueIterator[bytes, bytes]:
        """Pairs whose key starts with ``prefix``, in key order."""
        return self._iterate(lambda it: it.seek(prefix), False, lambda k: not k.startswith(prefix), _pair)

    def approximate_num_entries(self) -> int:
        """RocksDB's estimate of the number of keys (``rocksdb.estimate-num-keys``), as Kafka reports."""
        return self._check().property_int_value("rocksdb.estimate-num-keys") or 0

    def __repr__(self) -> str:
        return f"RocksDBKeyValueStore({self._name!r}, path={str(self._path) if self._path else None!r})"


def wipe_persistent_store(store: Any) -> bool:
    """Empty the persistent (RocksDB) store under the layers of ``store``; False when there is none.

    Example::

        >>> from kstreams_nb.state import InMemoryKeyValueStore
        >>> wipe_persistent_store(InMemoryKeyValueStore("s"))
        False
    """
    while store is not None:
        if isinstance(store, RocksDBStore):
            store.wipe()
            return True
        store = getattr(store, "wrapped", None)
    return False
