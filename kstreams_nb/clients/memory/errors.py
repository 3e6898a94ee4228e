"""Errors of the embedded broker.

``CommitFailedError`` comes from kstreams_nb.errors; the offset errors a consumer raises under
``auto.offset.reset=none`` (:class:`NoOffsetForPartitionError`, :class:`OffsetOutOfRangeError`, both
:class:`InvalidOffsetError` carrying ``.partitions``) are defined in kstreams_nb.clients.base, so that the engine,
which knows clients only through that module, catches the same classes whatever the supplier.

Example::

    >>> from kstreams_nb.errors import BrokerError
    >>> issubclass(CommitFailedError, BrokerError), issubclass(NoOffsetForPartitionError, BrokerError)
    (True, True)
    >>> from kstreams_nb.records import TopicPartition
    >>> NoOffsetForPartitionError([TopicPartition("t", 0)], "no committed offset").partitions
    [TopicPartition(topic='t', partition=0)]
"""

from __future__ import annotations

from kstreams_nb.clients.base import InvalidOffsetError, NoOffsetForPartitionError, OffsetOutOfRangeError
from kstreams_nb.errors import CommitFailedError

__all__ = ["CommitFailedError", "InvalidOffsetError", "NoOffsetForPartitionError", "OffsetOutOfRangeError"]
