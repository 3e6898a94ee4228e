"""Errors of the embedded broker (re-exported from kstreams_nb.errors).

Example::

    >>> from kstreams_nb.errors import BrokerError
    >>> issubclass(CommitFailedError, BrokerError)
    True
"""

from __future__ import annotations

from kstreams_nb.errors import CommitFailedError

__all__ = ["CommitFailedError"]
