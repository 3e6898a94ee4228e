"""Where tasks keep local state, in Kafka's layout, and the lock that keeps one task's state to one owner.

``<state.dir>/<application.id>/<task id>/`` holds a ``.lock`` file, the ``.checkpoint`` file (see
:mod:`kstreams_nb.state.checkpoint`) and ``rocksdb/<store>`` for each persistent store. ``state.dir`` defaults as
in Kafka to ``kafka-streams`` under the system temp directory.

A task directory is locked by the stream thread that opens a persistent store of the task (Kafka's
``StateDirectory.lock``): other stores of the same task on the same thread share the lock; another thread of
this process waits for it (a task moving between instances during a rebalance is released by its old owner
shortly), and another process is refused at once (an OS lock on ``.lock``). A lock held by a thread that died
without closing its stores is taken over, after the abandoned stores are closed.

Example::

    >>> from kstreams_nb.records import TaskId
    >>> task_directory({"state.dir": "/data"}, "wc", TaskId(0, 1)).as_posix()
    '/data/wc/0_1'
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kstreams_nb.errors import StateStoreError
from kstreams_nb.records import TaskId

try:  # POSIX; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms CI runs
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_FILE_NAME",
    "TaskDirectoryLock",
    "application_directory",
    "clean_up_application",
    "default_state_dir",
    "lock_task_directory",
    "state_directory",
    "task_directory",
]

LOCK_FILE_NAME = ".lock"


def default_state_dir() -> Path:
    """Kafka's default ``state.dir``: ``kafka-streams`` under the system temp directory.

    Example::

        >>> default_state_dir().name
        'kafka-streams'
    """
    return Path(tempfile.gettempdir()) / "kafka-streams"


def state_directory(config: Mapping[str, Any]) -> Path:
    """The configured ``state.dir``, or the default.

    Example::

        >>> state_directory({"state.dir": "/data"}).as_posix()
        '/data'
    """
    configured = config.get("state.dir")
    return Path(configured) if configured else default_state_dir()


def application_directory(config: Mapping[str, Any], application_id: str) -> Path:
    """``<state.dir>/<application.id>``: everything an application keeps locally.

    Example::

        >>> application_directory({"state.dir": "/data"}, "wc").as_posix()
        '/data/wc'
    """
    return state_directory(config) / application_id


def task_directory(config: Mapping[str, Any], application_id: str, task_id: TaskId) -> Path:
    """``<state.dir>/<application.id>/<task id>`` (not created here); ``global`` for the global stores' task
    (whose id is negative).

    Example::

        >>> task_directory({"state.dir": "/data"}, "wc", TaskId(1, 0)).name
        '1_0'
        >>> task_directory({"state.dir": "/data"}, "wc", TaskId(-1, -1)).name
        'global'
    """
    return application_directory(config, application_id) / ("global" if task_id.subtopology < 0 else str(task_id))


class _Entry:
    __slots__ = ("abandon", "fd", "owner")

    def __init__(self, owner: threading.Thread, fd: int | None) -> None:
        self.owner = owner
        self.fd = fd
        #: one close callback per holder, run when the owner died holding the lock
        self.abandon: dict[int, Callable[[], None]] = {}


_locks: dict[Path, _Entry] = {}
_cond = threading.Condition()


def _os_lock(directory: Path) -> int | None:
    if fcntl is None:
        return None
    fd = os.open(directory / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        raise StateStoreError(
            f"the state directory {directory} is locked by another process (is another instance of this "
            "application running on this machine with the same state.dir?); give each instance its own state.dir"
        ) from e
    return fd


def _os_unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


class TaskDirectoryLock:
    """One holder's share of a task directory's lock; :meth:`release` it when the store closes.

    Example::

        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp()) / "0_0"
        >>> lock = lock_task_directory(d, timeout=1.0, on_abandon=lambda: None)
        >>> lock.directory == d, (d / LOCK_FILE_NAME).exists()
        (True, True)
        >>> lock.release()
    """

    __slots__ = ("_released", "directory")

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._released = False

    def release(self) -> None:
        """Give this holder's share back; the last share unlocks the directory. Releasing twice is a no-op."""
        if self._released:
            return
        self._released = True
        with _cond:
            entry = _locks.get(self.directory)
            if entry is None:
                return
            entry.abandon.pop(id(self), None)
            if not entry.abandon:
                del _locks[self.directory]
                _os_unlock(entry.fd)
                _cond.notify_all()


def lock_task_directory(directory: Path, *, timeout: float, on_abandon: Callable[[], None]) -> TaskDirectoryLock:
    """Lock ``directory`` (created if missing) for the current thread, waiting up to ``timeout`` seconds for
    another thread of this process to release it. ``on_abandon`` closes the holder's resources if its thread dies
    holding the lock. Raises :class:`StateStoreError` naming the directory when it stays locked.
    """
    directory.mkdir(parents=True, exist_ok=True)
    me = threading.current_thread()
    deadline = time.monotonic() + timeout
    with _cond:
        while True:
            entry = _locks.get(directory)
            if entry is None:
                entry = _locks[directory] = _Entry(me, _os_lock(directory))
                break
            if entry.owner is me:
                break
            if not entry.owner.is_alive():
                for close in list(entry.abandon.values()):
                    close()
                entry.abandon.clear()
                entry.owner = me
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StateStoreError(
                    f"the state directory {directory} is locked by thread {entry.owner.name!r} of this process "
                    f"and was not released within {timeout:g}s; is another KafkaStreams instance with the same "
                    "application.id and state.dir running the same task? Close it, or give it its own state.dir"
                )
            _cond.wait(remaining)
        lock = TaskDirectoryLock(directory)
        entry.abandon[id(lock)] = on_abandon
        return lock


def clean_up_application(config: Mapping[str, Any], application_id: str) -> bool:
    """Delete ``<state.dir>/<application.id>`` (Kafka's ``KafkaStreams.cleanUp``); False when there was none.
    Raises :class:`StateStoreError` when a task directory in it is locked, by this process or another.

    Example::

        >>> import tempfile
        >>> clean_up_application({"state.dir": tempfile.mkdtemp()}, "app")
        False
    """
    app_dir = application_directory(config, application_id)
    if not app_dir.exists():
        return False
    with _cond:
        held = [d for d in _locks if d.parent == app_dir]
        if held:
            raise StateStoreError(
                f"cannot clean up {app_dir}: task directories {sorted(d.name for d in held)} are in use by a "
                "running instance of this application; close it first"
            )
        fds = []
        try:
            for task_dir in sorted(p for p in app_dir.iterdir() if p.is_dir()):
                fds.append(_os_lock(task_dir))
            shutil.rmtree(app_dir)
        finally:
            for fd in fds:
                _os_unlock(fd)
    return True
