"""The embedded broker's transaction coordinator: transactional ids, producer epochs, fencing, markers.

As in Kafka, a ``transactional.id`` maps to one producer id whose epoch is bumped by every
``init_transactions``: the bump aborts the previous instance's open transaction (abort markers written with the
new epoch) and fences it, because every later call carrying the old epoch is refused here or by the partition
logs. A transaction's partitions are registered before the first append to them; ending it writes a commit or
abort marker to each and commits (or drops) the group offsets staged by ``send_offsets_to_transaction``.

A transaction left open longer than its producer's ``transaction.timeout.ms`` (60000 by default, as Kafka's) is
aborted by the coordinator, which bumps the epoch (fencing that producer) so a crashed producer cannot hold back
read_committed readers forever. The coordinator has no thread of its own: read_committed consumers call
:meth:`TransactionCoordinator.abort_expired` when they poll (one clock read when nothing is due).

Example::

    >>> from kstreams_nb.clients.memory.log import PartitionLog
    >>> from kstreams_nb.records import EMPTY_HEADERS
    >>> tc = TransactionCoordinator(lambda group_id: None)
    >>> pid, epoch = tc.init_producer("app-1")
    >>> log = PartitionLog("t", 0)
    >>> tc.add_partition("app-1", epoch, log)
    >>> _ = log.append_batch([(None, b"v", 0, EMPTY_HEADERS)], pid, epoch)
    >>> log.last_stable_offset(), tc.end_transaction("app-1", epoch, commit=True), log.last_stable_offset()
    (0, None, 2)
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from kstreams_nb.clients.memory.log import PartitionLog
from kstreams_nb.errors import ProducerFencedError, TransactionError
from kstreams_nb.records import TopicPartition

if TYPE_CHECKING:
    from kstreams_nb.clients.memory.group import ConsumerGroup

__all__ = ["TransactionCoordinator"]

log = logging.getLogger(__name__)

_DEFAULT_TIMEOUT_S = 60.0  # Kafka's transaction.timeout.ms


class _TxnState:
    """One transactional id: its producer id, current epoch and the open transaction's partitions and groups."""

    __slots__ = ("deadline", "epoch", "groups", "lock", "logs", "producer_id", "timeout", "transactional_id")

    def __init__(self, transactional_id: str, producer_id: int) -> None:
        self.transactional_id = transactional_id
        self.producer_id = producer_id
        self.epoch = -1
        self.timeout = _DEFAULT_TIMEOUT_S
        self.deadline = math.inf  # when the open transaction times out (inf: none open)
        self.lock = threading.Lock()
        self.logs: dict[int, PartitionLog] = {}  # id(log) -> log, in the order first written
        self.groups: dict[str, ConsumerGroup] = {}

    @property
    def ongoing(self) -> bool:
        return bool(self.logs or self.groups)


class TransactionCoordinator:
    """Tracks every transactional id of one broker; each id has its own lock, the registry a small one.

    ``group_for`` returns the consumer group of a group id (created on first use); ``ticker`` (seconds,
    monotonic) times transactions out.

    Example::

        >>> tc = TransactionCoordinator(lambda group_id: None)
        >>> tc.init_producer("a"), tc.init_producer("a"), tc.init_producer("b")
        ((0, 0), (0, 1), (1, 0))
    """

    def __init__(
        self, group_for: Callable[[str], ConsumerGroup | None], ticker: Callable[[], float] = time.monotonic
    ) -> None:
        self._group_for = group_for
        self._ticker = ticker
        self._lock = threading.Lock()
        self._states: dict[str, _TxnState] = {}
        self._producer_ids = itertools.count()
        self._next_deadline = math.inf  # the earliest deadline of an open transaction (a lower bound)

    def init_producer(self, transactional_id: str, timeout_ms: int | None = None) -> tuple[int, int]:
        """Register (or take over) ``transactional_id``: abort its open transaction, bump the epoch.

        ``timeout_ms`` is the producer's ``transaction.timeout.ms`` (default 60000). Returns
        ``(producer_id, epoch)``; any producer still holding an older epoch is fenced from now on.
        """
        with self._lock:
            state = self._states.get(transactional_id)
            if state is None:
                state = self._states[transactional_id] = _TxnState(transactional_id, next(self._producer_ids))
        with state.lock:
            if timeout_ms is not None:
                state.timeout = timeout_ms / 1000
            new_epoch = state.epoch + 1
            if state.ongoing:
                log.info(
                    "transactional.id %s: aborting the open transaction of fenced epoch %d",
                    transactional_id,
                    state.epoch,
                )
                self._finish(state, new_epoch, commit=False)
            state.epoch = new_epoch
            return state.producer_id, new_epoch

    def add_partition(self, transactional_id: str, epoch: int, partition_log: PartitionLog) -> None:
        """Register a partition in the open transaction before the producer's first append to it."""
        state = self._state(transactional_id)
        with state.lock:
            self._check_epoch(state, epoch)
            self._started(state)
            state.logs.setdefault(id(partition_log), partition_log)

    def add_offsets(
        self,
        transactional_id: str,
        epoch: int,
        group_id: str,
        offsets: Mapping[TopicPartition, int],
        generation: int,
        member_id: str,
        metadata: Mapping[TopicPartition, str] | None = None,
    ) -> None:
        """Stage consumer offsets (each with an optional metadata string) in the transaction
        (``send_offsets_to_transaction``); a stale generation or an unknown member raises CommitFailedError
        (KIP-447)."""
        state = self._state(transactional_id)
        with state.lock:
            self._check_epoch(state, epoch)
            group = self._group_for(group_id)
            if group is None:
                raise TransactionError(f"unknown consumer group {group_id!r}")
            group.stage_txn_offsets(state, offsets, generation, member_id, metadata)
            self._started(state)
            state.groups.setdefault(group_id, group)

    def end_transaction(self, transactional_id: str, epoch: int, commit: bool) -> None:
        """Commit or abort the open transaction: markers on every partition, then the staged offsets."""
        state = self._state(transactional_id)
        with state.lock:
            self._check_epoch(state, epoch)
            self._finish(state, epoch, commit)

    def check_epoch(self, transactional_id: str, epoch: int) -> None:
        """ProducerFencedError unless ``epoch`` is the current epoch of ``transactional_id``."""
        state = self._state(transactional_id)
        with state.lock:
            self._check_epoch(state, epoch)

    def is_ongoing(self, transactional_id: str) -> bool:
        """True while ``transactional_id`` has written to a partition or staged offsets in its open transaction."""
        state = self._state(transactional_id)
        with state.lock:
            return state.ongoing

    def abort_expired(self) -> int:
        """Abort every transaction open for longer than its ``transaction.timeout.ms``, bumping its epoch (the
        producer that left it open is fenced); returns how many were aborted. Cheap when none is due.

        Example::

            >>> now = [0.0]
            >>> tc = TransactionCoordinator(lambda group_id: None, ticker=lambda: now[0])
            >>> from kstreams_nb.clients.memory.log import PartitionLog
            >>> pid, epoch = tc.init_producer("app-1", timeout_ms=1000)
            >>> tc.add_partition("app-1", epoch, PartitionLog("t", 0))
            >>> tc.abort_expired(), tc.is_ongoing("app-1")
            (0, True)
            >>> now[0] = 1.5; tc.abort_expired(), tc.is_ongoing("app-1")
            (1, False)
        """
        now = self._ticker()
        if now < self._next_deadline:
            return 0
        with self._lock:
            states = list(self._states.values())
            self._next_deadline = math.inf
        aborted = 0
        for state in states:
            with state.lock:
                if state.ongoing and state.deadline <= now:
                    log.warning(
                        "transactional.id %s: aborting a transaction open for longer than transaction.timeout.ms "
                        "(%.0f ms); its producer (epoch %d) is fenced",
                        state.transactional_id,
                        state.timeout * 1000,
                        state.epoch,
                    )
                    state.epoch += 1
                    self._finish(state, state.epoch, commit=False)
                    aborted += 1
                elif state.ongoing:
                    self._note_deadline(state.deadline)
        return aborted

    def _started(self, state: _TxnState) -> None:
        """Start the timeout of ``state``'s transaction when it becomes ongoing (its lock held)."""
        if not state.ongoing:
            state.deadline = self._ticker() + state.timeout
            self._note_deadline(state.deadline)

    def _note_deadline(self, deadline: float) -> None:
        with self._lock:
            if deadline < self._next_deadline:
                self._next_deadline = deadline

    def _finish(self, state: _TxnState, epoch: int, commit: bool) -> None:
        state.deadline = math.inf
        for partition_log in state.logs.values():
            partition_log.write_marker(state.producer_id, epoch, commit)
        for group in state.groups.values():
            group.end_txn(state, commit)
        state.logs.clear()
        state.groups.clear()

    def _state(self, transactional_id: str) -> _TxnState:
        with self._lock:
            state = self._states.get(transactional_id)
        if state is None:
            raise TransactionError(f"transactional.id {transactional_id!r} is unknown: call init_transactions() first")
        return state

    @staticmethod
    def _check_epoch(state: _TxnState, epoch: int) -> None:
        if epoch != state.epoch:
            raise ProducerFencedError(
                f"producer with transactional.id {state.transactional_id!r} (epoch {epoch}) was fenced by a newer "
                f"instance (epoch {state.epoch}); close it and create a new producer"
            )
