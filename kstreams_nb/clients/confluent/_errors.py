"""confluent-kafka errors as kstreams_nb's: every KafkaError becomes a BrokerError-family exception.

Example::

    >>> from confluent_kafka import KafkaError
    >>> type(translate(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS), "create topic t")).__name__
    'TopicExistsError'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException

from kstreams_nb.errors import (
    BrokerError,
    CommitFailedError,
    KStreamsError,
    ProducerFencedError,
    TopicExistsError,
    TransactionError,
    UnknownTopicError,
)

__all__ = ["GENERATION_ERRORS", "TRANSIENT", "error_of", "retrying", "translate"]

T = TypeVar("T")

#: the group moved on without this member: its commit is refused (Kafka's CommitFailedException)
GENERATION_ERRORS = frozenset({
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError._ASSIGNMENT_LOST,
})
#: answers a broker gives while a coordinator or a partition leader moves (a broker restarting, a coordinator
#: loading its log): retried, as Kafka's clients do. Unreachable clusters are not among them: they fail fast.
TRANSIENT = frozenset({
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError._WAIT_COORD,
    KafkaError.FENCED_LEADER_EPOCH,
    KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.OFFSET_NOT_AVAILABLE,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NETWORK_EXCEPTION,
    KafkaError.KAFKA_STORAGE_ERROR,
})
_FENCED = frozenset({KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH,
                     KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED})


def error_of(exc: BaseException) -> KafkaError | None:
    """The KafkaError inside a KafkaException (None for anything else)."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


def retrying(call: Callable[[], T], timeout: float = 30.0) -> T:
    """``call()``, called again (with a growing pause) while it fails with a TRANSIENT error, for up to
    ``timeout`` seconds; other errors, and the last transient one, are raised as they are (translate them)."""
    deadline, pause = time.monotonic() + timeout, 0.05
    while True:
        try:
            return call()
        except KafkaException as e:
            err = error_of(e)
            if err is None or err.code() not in TRANSIENT or time.monotonic() + pause >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def translate(error: KafkaError | BaseException, what: str, *, transactional: bool = False) -> KStreamsError:
    """The kstreams_nb exception for a failed ``what`` (an action, e.g. "commit offsets of group g")."""
    err = error if isinstance(error, KafkaError) else error_of(error)
    if err is None:
        return BrokerError(f"{what} failed: {error}")
    code: Any = err.code()
    message = f"{what} failed: {err.str()} ({err.name()})"
    if code == KafkaError.TOPIC_ALREADY_EXISTS:
        return TopicExistsError(message)
    if code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC, KafkaError._UNKNOWN_PARTITION):
        return UnknownTopicError(message)
    if code in GENERATION_ERRORS:
        return CommitFailedError(message)
    if transactional or err.txn_requires_abort() or err.fatal():
        if code in _FENCED or (err.fatal() and transactional):
            return ProducerFencedError(message)
        return TransactionError(message)
    return BrokerError(message)
