"""Watching a TopologyTestDriver run: what every node receives and sends on, what sinks write, punctuations,
dropped records.

The driver's engine is left as it is; a :class:`Recorder` wraps, on the driver's own task objects only, the
entry point a parent calls on each child (``node.run``), the decoder of each input queue (what a source reads),
the punctuation firing, the error handlers and the capture producer. What a node sends on is seen by a tap
added to its children (records sent to every child) and by its child-by-name lookup (a record sent to one
named child, as a split does), so the content of a stream is known even when nothing reads it. Records that
DSL processors drop (late window records, null keys) are only logged by them, so the recorder also listens to
the ``kstreams_nb`` loggers, on the preview's own thread, for their "Skipping record" warnings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kstreams_nb._engine.handlers import CONTINUE
from kstreams_nb._engine.nodes import SinkNode, SourceNode
from kstreams_nb.records import ConsumerRecord, Record

__all__ = ["Recorder"]

#: one row a node received: (input index, record)
Row = tuple[int, Record]
_ROOT_LOGGER = "kstreams_nb"
_HANDLERS_LOGGER = "kstreams_nb._engine.handlers"  # handler skips are recorded by wrapping the handlers


class Recorder:
    """Everything observed while a driver runs, in order; ``input`` is the index of the record being fed."""

    def __init__(self) -> None:
        self.input = -1
        #: what each node received
        self.rows: dict[str, list[Row]] = {}
        #: what each node sent on, in order: to all its children at once, or to one child by name
        self.outputs: dict[str, list[Row]] = {}
        #: (input, sink node, topic, key bytes, value bytes, timestamp)
        self.produced: list[tuple[int, str, str, bytes | None, bytes | None, int]] = []
        #: (input, node, type, time)
        self.punctuations: list[tuple[int, str, str, int]] = []
        #: (input, node, key, value, timestamp, reason)
        self.dropped: list[tuple[int, str, Any, Any, Any, str]] = []
        self._punctuation_type = ""
        self._decoding: str | None = None
        self._task: Any = None
        #: set by a child-by-name lookup: where the record the named child runs next is written down
        self._named: list[Row] | None = None

    # ------------------------------------------------------------------ wiring
    def attach(self, driver: Any) -> None:
        """Instrument the tasks and the capture producer of ``driver`` (before anything is piped)."""
        for task in (driver._task, driver._global_task):
            if task is not None:
                self._attach_task(task)
        self._task = driver._task or driver._global_task
        producer = driver._producer
        producer.produce = self._wrap_produce(producer.produce)

    def _attach_task(self, task: Any) -> None:
        for name, node in task.nodes.items():
            rows = self.rows.setdefault(name, [])
            if not isinstance(node, SourceNode):
                node.run = self._wrap_run(rows.append, node.run)
            if not isinstance(node, SinkNode):
                sent = self.outputs.setdefault(name, [])
                node.children.append(_Tap(name, self._tap(sent.append)))
                node.children_by_name = _NamedChildren(node.children_by_name, self, sent)
        for queue in task.partition_group.queues.values():
            queue._decode = self._wrap_decode(queue.source.name, queue._decode)
        make_decoder = task._decoder
        task._decoder = lambda source: self._wrap_decode(source.name, make_decoder(source))
        fire = task._fire
        task._fire = lambda sched, now: self._fire(fire, sched, now)
        stream, wall = task.maybe_punctuate_stream_time, task.maybe_punctuate_system_time
        task.maybe_punctuate_stream_time = lambda: self._punctuate("STREAM_TIME", stream)
        task.maybe_punctuate_system_time = lambda: self._punctuate("WALL_CLOCK_TIME", wall)
        ctx = task.ctx
        ctx.processing_handler = self._wrap_handler(ctx.processing_handler, "processing error", ctx)
        task._deser_handler = self._wrap_handler(task._deser_handler, "deserialization error", ctx)

    def _wrap_run(self, append: Callable[[Row], None], run: Callable[[Record], None]) -> Callable[[Record], None]:
        def observed(record: Record) -> None:
            row = (self.input, record)
            named, self._named = self._named, None
            if named is not None:  # the parent sent this record to this child by name
                named.append(row)
            append(row)
            run(record)

        return observed

    def _tap(self, append: Callable[[Row], None]) -> Callable[[Record], None]:
        def observed(record: Record) -> None:
            append((self.input, record))

        return observed

    def _wrap_decode(self, source: str, decode: Callable[[ConsumerRecord, int], Record | None]) -> Any:
        append = self.rows.setdefault(source, []).append

        def observed(raw: ConsumerRecord, partition_time: int) -> Record | None:
            self._decoding = source
            try:
                record = decode(raw, partition_time)
            finally:
                self._decoding = None
            if record is not None:
                append((self.input, record))
            return record

        return observed

    def _fire(self, fire: Callable[[Any, int], None], sched: Any, now: int) -> None:
        self.punctuations.append((self.input, sched.node.name, self._punctuation_type, now))
        fire(sched, now)

    def _punctuate(self, kind: str, punctuate: Callable[[], bool]) -> bool:
        self._punctuation_type = kind
        return punctuate()

    def _wrap_handler(self, handler: Callable[[Any, BaseException], str], what: str, ctx: Any) -> Any:
        def observed(error_context: Any, error: BaseException) -> str:
            answer = handler(error_context, error)
            if answer == CONTINUE:
                node = error_context.processor_node_id or self._decoding or "?"
                self._drop(node, f"{what} skipped by the handler: {error!r}")
            return answer

        return observed

    def _wrap_produce(self, produce: Callable[..., None]) -> Callable[..., None]:
        def observed(topic: str, key: bytes | None, value: bytes | None, **kwargs: Any) -> None:
            node = self._task.ctx.current_node if self._task is not None else None
            if isinstance(node, SinkNode):
                self.produced.append((self.input, node.name, topic, key, value, kwargs.get("timestamp") or 0))
            produce(topic, key, value, **kwargs)

        return observed

    # ------------------------------------------------------------------ dropped records
    def _drop(self, node: str, reason: str) -> None:
        rows = self.rows.get(node)
        if rows and rows[-1][0] == self.input:
            _, record = rows[-1]
            self.dropped.append((self.input, node, record[0], record[1], record[2], reason))
        else:  # nothing received yet (a record that failed to deserialize)
            self.dropped.append((self.input, node, None, None, None, reason))

    @contextmanager
    def listening(self) -> Iterator[None]:
        """Record the "Skipping record ..." warnings logged on this thread while the block runs."""
        logger = logging.getLogger(_ROOT_LOGGER)
        handler = _SkipHandler(self, threading.get_ident())
        lowered = logger.getEffectiveLevel() > logging.WARNING
        old_level = logger.level
        if lowered:
            logger.setLevel(logging.WARNING)
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            if lowered:
                logger.setLevel(old_level)

    def skipped(self, message: str) -> None:
        """A "Skipping record ..." warning: the record the current node is processing was dropped."""
        task = self._task
        current = task.ctx.current_node if task is not None else None
        node = current.name if current is not None else self._decoding or "?"
        self._drop(node, _reason(message))


class _Tap:
    """A pseudo child appended to a node's children: forwarding hands it every record the node sends to all
    its children, so what a node sends is seen even when no real child consumes it (a stream left dangling)."""

    __slots__ = ("children", "children_by_name", "name", "run", "stores")

    def __init__(self, parent: str, run: Callable[[Record], None]) -> None:
        self.name = f"{parent}#out"
        self.run = run
        self.children: list[Any] = []
        self.children_by_name: dict[str, Any] = {}
        self.stores: frozenset[str] = frozenset()


class _NamedChildren(dict[str, Any]):
    """A node's children by name: the context looks a child up here to send a record to it alone, and the
    child's observed ``run`` then writes that record down as one the node sent."""

    __slots__ = ("_recorder", "_sent")

    def __init__(self, children: dict[str, Any], recorder: Recorder, sent: list[Row]) -> None:
        super().__init__(children)
        self._recorder = recorder
        self._sent = sent

    def get(self, name: str, default: Any = None) -> Any:
        child = super().get(name, default)
        if child is not None:
            self._recorder._named = self._sent
        return child


class _SkipHandler(logging.Handler):
    def __init__(self, recorder: Recorder, thread: int) -> None:
        super().__init__(logging.WARNING)
        self._recorder = recorder
        self._thread = thread

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread or record.name == _HANDLERS_LOGGER:
            return
        message = record.getMessage()
        if message.startswith("Skipping record"):
            self._recorder.skipped(message)


def _reason(message: str) -> str:
    """``"Skipping record for expired window. topic=..."`` -> ``"expired window"``."""
    head = message.split(". ", 1)[0].rstrip(".")
    for prefix in ("Skipping record due to ", "Skipping record for ", "Skipping record "):
        if head.startswith(prefix):
            head = head[len(prefix) :]
            break
    if head == "expired window":
        return "late: window already closed (expired window)"
    return head
