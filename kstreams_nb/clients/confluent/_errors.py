"""confluent-kafka errors as kstreams_nb's: every KafkaError becomes a BrokerError-family exception.

Example::

    >>> from confluent_kafka import KafkaError
    >>> type(translate(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS), "create topic t")).__name__
    'TopicExistsError'
"""

from __future__ import annotations

from typing import Any

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

__all__ = ["GENERATION_ERRORS", "error_of", "translate"]

#: the group moved on without this member: its commit is refused (Kafka's CommitFailedException)
GENERATION_ERRORS = frozenset({
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError._ASSIGNMENT_LOST,
})
_FENCED = frozenset({KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH,
                     KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED})


def error_of(exc: BaseException) -> KafkaError | None:
    """The KafkaError inside a KafkaException (None for anything else)."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


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
