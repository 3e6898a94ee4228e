"""The whole exception tree of kstreams_nb.

Every error the library raises derives from :class:`KStreamsError`; where callers would naturally catch a
builtin, it is mixed in::

    KStreamsError
    ├── ConfigError (ValueError)
    ├── TopologyError (ValueError)
    ├── SerializationError
    │   └── DeserializationError
    ├── ProcessingError
    ├── StreamsStateError (RuntimeError)
    ├── StateStoreError
    │   ├── UnknownStateStoreError (KeyError)
    │   └── InvalidStateStoreError
    ├── BrokerError
    │   ├── UnknownTopicError (KeyError)
    │   ├── TopicExistsError
    │   └── CommitFailedError
    ├── TransactionError
    │   └── ProducerFencedError
    ├── JobError
    └── EmptyTopicError (LookupError)

Example::

    >>> from kstreams_nb.errors import TopologyError, KStreamsError
    >>> issubclass(TopologyError, (KStreamsError, ValueError))
    True
"""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "CommitFailedError",
    "ConfigError",
    "DeserializationError",
    "EmptyTopicError",
    "InvalidStateStoreError",
    "JobError",
    "KStreamsError",
    "ProcessingError",
    "ProducerFencedError",
    "SerializationError",
    "StateStoreError",
    "StreamsStateError",
    "TopicExistsError",
    "TopologyError",
    "TransactionError",
    "UnknownStateStoreError",
    "UnknownTopicError",
]


class KStreamsError(Exception):
    """Root of every error raised by kstreams_nb."""


class ConfigError(KStreamsError, ValueError):
    """A configuration value is missing, unknown or invalid (the message names the key)."""


class TopologyError(KStreamsError, ValueError):
    """A topology is malformed: unknown parent, duplicate name, unconnected store, ..."""


class SerializationError(KStreamsError):
    """A key or value could not be (de)serialized.

    ``topic``, ``partition`` and ``offset`` say where, when known (``None`` otherwise).
    """

    def __init__(
        self,
        message: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.topic = topic
        self.partition = partition
        self.offset = offset


class DeserializationError(SerializationError):
    """Bytes read from a topic could not be turned into a key or value."""


class ProcessingError(KStreamsError):
    """User code raised while processing a record or punctuating.

    Carries ``task_id``, ``node`` and the record's ``topic``/``partition``/``offset`` (None when
    punctuating); the original exception is ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        task_id: object = None,
        node: str | None = None,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.node = node
        self.topic = topic
        self.partition = partition
        self.offset = offset


class StreamsStateError(KStreamsError, RuntimeError):
    """An illegal lifecycle move (e.g. ``start()`` twice, or using a closed driver)."""


class StateStoreError(KStreamsError):
    """A state store failed or was used wrongly."""


class UnknownStateStoreError(StateStoreError, KeyError):
    """No state store of that name is known (or it is not connected to the asking processor)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidStateStoreError(StateStoreError):
    """The store is closed or not yet initialised."""


class BrokerError(KStreamsError):
    """The broker (embedded or real) refused or failed a request."""


class UnknownTopicError(BrokerError, KeyError):
    """The topic does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TopicExistsError(BrokerError):
    """The topic already exists."""


class TransactionError(KStreamsError):
    """A transaction could not be begun, committed or aborted."""


class ProducerFencedError(TransactionError):
    """A newer producer with the same transactional id took over; this one must stop."""


class JobError(KStreamsError):
    """A background or detached job failed or was used wrongly."""


class EmptyTopicError(KStreamsError, LookupError):
    """A test output topic has no more records to read."""


class CommitFailedError(BrokerError):
    """Kafka's CommitFailedException: an offset commit from a consumer no longer in its group's current
    generation (kicked out, left, or a rebalance completed without it); also a transactional offset commit
    with stale group metadata (KIP-447 zombie fencing). The consumer must give up its partitions and rejoin.
    """
