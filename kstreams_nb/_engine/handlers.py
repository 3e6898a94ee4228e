"""Error handlers for bad input (deserialization) and failing user code (processing).

Configured by ``deserialization.exception.handler`` / ``processing.exception.handler``: ``"log_and_fail"``
(default), ``"log_and_continue"``, or a callable ``(error_context, exception) -> "continue" | "fail"``.
When ``errors.dead.letter.queue.topic.name`` is set, every failing record is first written, as read, to that
topic with error headers (Kafka's KIP-1034 header names), then the handler's answer applies.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kstreams_nb.errors import ConfigError
from kstreams_nb.records import Headers

__all__ = ["CONTINUE", "FAIL", "ErrorContext", "ErrorHandler", "error_headers", "resolve_handler"]

log = logging.getLogger(__name__)

CONTINUE = "continue"
FAIL = "fail"


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """Where a failure happened (Kafka's ErrorHandlerContext)."""

    topic: str | None
    partition: int
    offset: int
    headers: Headers
    processor_node_id: str | None
    task_id: object
    timestamp: int


ErrorHandler = Callable[[ErrorContext, BaseException], str]


def _log_and_fail(ctx: ErrorContext, exc: BaseException) -> str:
    log.error(
        "Failure at topic %s partition %s offset %s (task %s, node %s): %r; the handler says fail",
        ctx.topic, ctx.partition, ctx.offset, ctx.task_id, ctx.processor_node_id, exc,
    )
    return FAIL


def _log_and_continue(ctx: ErrorContext, exc: BaseException) -> str:
    log.warning(
        "Skipping record at topic %s partition %s offset %s (task %s, node %s) after %r",
        ctx.topic, ctx.partition, ctx.offset, ctx.task_id, ctx.processor_node_id, exc,
    )
    return CONTINUE


_BUILTIN: dict[str, ErrorHandler] = {
    "log_and_fail": _log_and_fail,
    "logandfail": _log_and_fail,
    "fail": _log_and_fail,
    "log_and_continue": _log_and_continue,
    "logandcontinue": _log_and_continue,
    "continue": _log_and_continue,
}


def resolve_handler(config: Mapping[str, Any], key: str) -> ErrorHandler:
    """The handler configured under ``key``."""
    value = config.get(key) or "log_and_fail"
    if callable(value):
        handler: ErrorHandler = value
        return handler
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1].replace("ExceptionHandler", "").replace("ProcessingExceptionHandler", "")
        name = name.replace("-", "_").lower()
        found = _BUILTIN.get(name) or _BUILTIN.get(name.replace("_", ""))
        if found is not None:
            return found
    raise ConfigError(
        f"config {key!r} must be 'log_and_fail', 'log_and_continue' or a callable (context, exception) -> "
        f"'continue' | 'fail'; got {value!r}"
    )


def error_headers(ctx: ErrorContext, exc: BaseException, original: Headers) -> Headers:
    """The record's headers plus Kafka's dead-letter error headers."""
    return Headers(
        [
            *original,
            ("__streams.errors.exception", type(exc).__qualname__.encode()),
            ("__streams.errors.message", str(exc).encode()),
            ("__streams.errors.stacktrace", "".join(traceback.format_exception(exc)).encode()),
            ("__streams.errors.topic", (ctx.topic or "").encode()),
            ("__streams.errors.partition", str(ctx.partition).encode()),
            ("__streams.errors.offset", str(ctx.offset).encode()),
        ]
    )
