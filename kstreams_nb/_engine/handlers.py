"""Error handlers for bad input (deserialization), failing user code (processing) and failed sends (production).

Configured by ``deserialization.exception.handler`` / ``processing.exception.handler`` (``"log_and_fail"``, the
default, or ``"log_and_continue"``) and ``production.exception.handler`` (``"fail"``, the default, or
``"continue"``); Kafka's class names are accepted too, and so is a callable ``(error_context, exception) ->
"continue" | "fail"``. A production handler sees serialization failures of sinks as a SerializationError (Kafka's
``handleSerializationError``) and send failures as the client's error.

When ``errors.dead.letter.queue.topic.name`` is set (KIP-1034), the record that failed is first written to that
topic as it was read from its source topic (raw key and value bytes, timestamp, headers) plus Kafka's error headers
``__streams.errors.{exception,message,stacktrace,topic,partition,offset}``; then the handler's answer applies.
A punctuation has no source record: its dead letter has a null key and value, no topic header, partition and
offset ``-1`` (what Kafka's default handlers build from such an error context).

Example::

    >>> from kstreams_nb.records import ConsumerRecord, Headers
    >>> ctx = ErrorContext("in", 0, 7, Headers(), "map", "0_0", 5)
    >>> resolve_handler({"production.exception.handler": "continue"}, "production.exception.handler")(
    ...     ctx, RuntimeError("boom"))
    'continue'
    >>> error_headers(ctx, RuntimeError("boom"), Headers()).last_header("__streams.errors.offset")
    b'7'
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import ConfigError
from kstreams_nb.records import ConsumerRecord, Headers

__all__ = [
    "CONTINUE",
    "DLQ_TOPIC",
    "FAIL",
    "ErrorContext",
    "ErrorHandler",
    "error_headers",
    "resolve_handler",
    "send_dead_letter",
]

log = logging.getLogger(__name__)

CONTINUE = "continue"
FAIL = "fail"
#: Kafka's ``StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG``
DLQ_TOPIC = "errors.dead.letter.queue.topic.name"


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """Where a failure happened (Kafka's ErrorHandlerContext): the source record's position (topic None and
    partition/offset -1 during a punctuation), its headers, the node, the task and the record's timestamp."""

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


# names without "_", "-", case, package and the "...ExceptionHandler" suffix
_BUILTIN: dict[str, ErrorHandler] = {
    "logandfail": _log_and_fail,
    "fail": _log_and_fail,
    "default": _log_and_fail,  # DefaultProductionExceptionHandler
    "alwaysfail": _log_and_fail,
    "logandcontinue": _log_and_continue,
    "continue": _log_and_continue,
    "alwayscontinue": _log_and_continue,
}
_SUFFIXES = ("processingexceptionhandler", "productionexceptionhandler", "exceptionhandler")


def resolve_handler(config: StreamsConfig, key: str) -> ErrorHandler:
    """The handler configured under ``key`` (unset: fail)."""
    value = config.get(key) or FAIL
    if callable(value):
        handler: ErrorHandler = value
        return handler
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1].lower().replace("_", "").replace("-", "")
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and name != suffix:
                name = name[: -len(suffix)]
                break
        found = _BUILTIN.get(name)
        if found is not None:
            return found
    raise ConfigError(
        f"config {key!r} must be 'log_and_fail' / 'fail', 'log_and_continue' / 'continue', one of Kafka's handler "
        f"class names, or a callable (context, exception) -> 'continue' | 'fail'; got {value!r}"
    )


def _exception_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def error_headers(ctx: ErrorContext, exc: BaseException, original: Headers) -> Headers:
    """The source record's headers plus Kafka's dead-letter error headers."""
    return Headers(
        [
            *original,
            ("__streams.errors.exception", _exception_name(exc).encode()),
            ("__streams.errors.message", str(exc).encode()),
            ("__streams.errors.stacktrace", "".join(traceback.format_exception(exc)).encode()),
            ("__streams.errors.topic", None if ctx.topic is None else ctx.topic.encode()),
            ("__streams.errors.partition", str(ctx.partition).encode()),
            ("__streams.errors.offset", str(ctx.offset).encode()),
        ]
    )


class _RawSender(Protocol):
    def send_raw(
        self, topic: str, partition: int | None, key: bytes | None, value: bytes | None, timestamp: int,
        headers: Headers = ...,
    ) -> None: ...


def send_dead_letter(
    collector: _RawSender, topic: str, ctx: ErrorContext, exc: BaseException, raw: ConsumerRecord | None
) -> None:
    """Write the failed source record ``raw`` to the dead-letter topic as it was read (key and value bytes,
    timestamp, headers) plus the error headers; without a source record (a punctuation) a null key and value.
    A dead letter that cannot be written is fatal (Kafka hands it to the uncaught-exception handler)."""
    if raw is None:
        collector.send_raw(topic, None, None, None, max(ctx.timestamp, 0), error_headers(ctx, exc, ctx.headers))
    else:
        collector.send_raw(topic, None, raw.key, raw.value, max(raw.timestamp, 0), error_headers(ctx, exc, raw.headers))
