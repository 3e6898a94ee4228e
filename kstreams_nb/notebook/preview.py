"""Side-effect-free previews: run a topology on a few records and see what every node produced and received.

:func:`preview` runs on the TopologyTestDriver's engine (no broker, no threads, nothing left behind). Records of
all input topics are fed one at a time, merged by timestamp as a task merges its partitions (lowest timestamp
first; ties go to the topic listed first in ``inputs``; each topic keeps its own order, so an out-of-order record
stays late). Stream time follows the records, so windows close and suppressed results appear as they would in
the application; wall-clock time follows the records' timestamps too, as if they arrived in real time.
:class:`PreviewSession` does the same one record at a time (the explorer widget steps through it).

Example::

    >>> from kstreams_nb import StreamsBuilder
    >>> b = StreamsBuilder()
    >>> evens = b.stream("numbers").filter(lambda k, v: v % 2 == 0)
    >>> evens.to("evens")
    >>> p = preview(b, {"numbers": [1, 2, 3, 4]})
    >>> p.node(evens)[["value", "input"]].values.tolist(), p.received(evens)["value"].tolist()
    ([[2, 1], [4, 3]], [1, 2, 3, 4])
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Mapping, Sequence
from typing import Any

import kstreams_nb
from kstreams_nb._engine.nodes import SinkNode, SourceNode
from kstreams_nb.errors import ProcessingError, SerializationError, StreamsStateError, TopologyError
from kstreams_nb.notebook._frames import store_rows
from kstreams_nb.notebook._observe import Recorder
from kstreams_nb.notebook._result import Preview
from kstreams_nb.notebook.inputs import coerce_records
from kstreams_nb.records import Record
from kstreams_nb.testing.driver import TopologyTestDriver
from kstreams_nb.topology._builder import SourceSpec

__all__ = ["Preview", "PreviewSession", "preview"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(kstreams_nb.__file__)) + os.sep
_VALUE_CHARS = 120


def preview(topology: Any, inputs: Mapping[str, Any], *, config: Mapping[str, Any] | None = None) -> Preview:
    """Run ``topology`` (a Topology, a StreamsBuilder or anything with ``build()``) on ``inputs`` and return
    what every node produced (``.node(x)``) and received (``.received(x)``), what the sinks wrote, the stores'
    contents, punctuations and dropped records.

    ``inputs`` maps each topic to its records: a DataFrame (``key``/``value``/``timestamp`` columns, or any
    columns: each row is then a value), a list of Records (see :func:`~kstreams_nb.notebook.records`) or a list
    of plain values. A failing function raises ProcessingError naming the node, the input record and the cell.

    Example::

        >>> from kstreams_nb import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> b.stream("lines").flat_map_values(str.split).to("words")
        >>> preview(b, {"lines": ["a b", "c"]}).topic("words")["value"].tolist()
        ['a', 'b', 'c']
    """
    session = PreviewSession(topology, inputs, config=config)
    try:
        session.run()
        return session.snapshot()
    finally:
        session.close()


class PreviewSession:
    """A preview run one input record at a time: ``step()``, ``run(to)``, ``snapshot()``, ``reset()``.

    Example::

        >>> from kstreams_nb import StreamsBuilder
        >>> b = StreamsBuilder()
        >>> b.stream("in").to("out")
        >>> s = PreviewSession(b, {"in": ["a", "b"]})
        >>> s.step(), s.position, len(s.snapshot().topic("out"))
        (True, 1, 1)
        >>> s.close()
    """

    def __init__(self, topology: Any, inputs: Mapping[str, Any], *, config: Mapping[str, Any] | None = None) -> None:
        self._source = topology
        self.topology = _built(topology)
        self._builder = self.topology.internal_builder
        self._config = config
        given = {str(topic): coerce_records(data, str(topic)) for topic, data in inputs.items()}
        _check(self._builder, given)
        #: the input records in feeding order: (topic, offset in the topic, record)
        self.inputs: list[tuple[str, int, Record]] = _merge(given)
        self._driver: TopologyTestDriver | None = None
        self.reset()

    @property
    def total(self) -> int:
        """How many input records there are."""
        return len(self.inputs)

    @property
    def position(self) -> int:
        """How many input records have been processed."""
        return self._position

    @property
    def done(self) -> bool:
        """True once every input record was processed."""
        return self._position >= len(self.inputs)

    def reset(self) -> None:
        """Start again from the first record, with fresh processors and empty stores."""
        self.close()
        start = self.inputs[0][2][2] if self.inputs else 0
        driver = TopologyTestDriver(self.topology, self._config, initial_wall_clock_ms=start)
        self._recorder = recorder = Recorder()
        recorder.attach(driver)
        self._driver = driver
        self._position = 0
        self._failed: BaseException | None = None
        self._serdes: dict[str, tuple[Any, Any]] = {}
        task = driver._task or driver._global_task
        nodes = dict(task.nodes) if task is not None else {}
        if driver._task is not None and driver._global_task is not None:
            nodes.update(driver._global_task.nodes)
        self._nodes = {name: nodes[name] for name in self._builder.nodes if name in nodes}
        for name in self._nodes:
            recorder.rows.setdefault(name, [])

    def step(self) -> bool:
        """Process the next input record; False when there is none left."""
        with self._recorder.listening():
            return self._step()

    def run(self, to: int | None = None) -> None:
        """Process input records until ``to`` of them (default: all) have been processed."""
        end = len(self.inputs) if to is None else min(to, len(self.inputs))
        with self._recorder.listening():
            while self._position < end and self._step():
                pass

    def _step(self) -> bool:
        driver = self._driver
        if driver is None:
            raise StreamsStateError("the preview session is closed")
        if self._failed is not None:
            raise StreamsStateError(f"the preview session failed ({self._failed}); call reset() to start again")
        if self.done:
            return False
        index = self._position
        topic, _, record = self.inputs[index]
        self._recorder.input = index
        try:
            ts = record[2]
            if ts > driver.wall_clock_ms:
                self._advance_wall_clock(driver, ts)
            key_serde, value_serde = self._input_serdes(topic)
            driver._pipe(topic, ts, key_serde.serialize(topic, record[0]), value_serde.serialize(topic, record[1]),
                         record[3])
        except (ProcessingError, SerializationError) as e:
            self._failed = e
            raise _explained(e, self, index) from e
        self._position = index + 1
        return True

    def snapshot(self) -> Preview:
        """What has been seen so far: rows, topics, punctuations and dropped records, and the stores now."""
        driver = self._driver
        if driver is None:
            raise StreamsStateError("the preview session is closed")
        r = self._recorder
        stores = {name: store_rows(store) for name, store in sorted(driver.get_all_state_stores().items())}
        sinks = {name: (node.key_serializer, node.value_serializer)
                 for name, node in self._nodes.items() if isinstance(node, SinkNode)}
        return Preview(
            topology=self.topology,
            inputs=self.inputs[: self._position],
            received={name: list(r.rows.get(name, ())) for name in self._nodes},
            sent={name: list(r.outputs.get(name, ())) for name in self._nodes},
            kinds={name: _kind(node) for name, node in self._nodes.items()},
            produced=list(r.produced),
            deserializers=sinks,
            stores=stores,
            punctuations=list(r.punctuations),
            dropped=list(r.dropped),
            position=self._position,
        )

    def cell_of_node(self, node: str) -> str | None:
        """The notebook cell that created ``node``, when the topology came from a builder that knows it."""
        cell_of = getattr(self._source, "cell_of_node", None)
        if not callable(cell_of):
            return None
        cell = cell_of(node)
        return None if cell is None else str(cell)

    def close(self) -> None:
        """Close the processors and stores of the current run."""
        driver, self._driver = self._driver, None
        if driver is not None:
            driver.close()

    def _input_serdes(self, topic: str) -> tuple[Any, Any]:
        serdes = self._serdes.get(topic)
        if serdes is None:
            driver = self._driver
            assert driver is not None
            spec = self._builder.source_for_topic(topic)
            key = getattr(spec, "key_deserializer", None)
            value = getattr(spec, "value_deserializer", None)
            serdes = self._serdes[topic] = (
                key if hasattr(key, "serialize") else driver.key_serde,
                value if hasattr(value, "serialize") else driver.value_serde,
            )
        return serdes

    @staticmethod
    def _advance_wall_clock(driver: TopologyTestDriver, ts: int) -> None:
        tasks = (driver._task, driver._global_task)
        if any(t is not None and t.wall_punctuations for t in tasks):
            driver.advance_wall_clock_time(ts - driver.wall_clock_ms)
        else:  # nothing can fire: just move the clock processors read
            driver._clock.set(ts)

    def __enter__(self) -> PreviewSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PreviewSession {self._position}/{len(self.inputs)} records>"


# ---------------------------------------------------------------------- helpers
def _built(topology: Any) -> Any:
    if hasattr(topology, "internal_builder"):
        return topology
    build = getattr(topology, "build", None)
    if not callable(build):
        raise TopologyError(
            f"preview() needs a Topology, a StreamsBuilder or a builder with build(); got {type(topology).__name__}"
        )
    built = build()
    if not hasattr(built, "internal_builder"):
        raise TopologyError(f"{type(topology).__name__}.build() returned {type(built).__name__}, not a Topology")
    return built


def _readable(builder: Any) -> list[str]:
    topics: set[str] = set()
    for spec in builder.nodes.values():
        if isinstance(spec, SourceSpec):
            topics.update(spec.topics or ())
            if spec.pattern is not None:
                topics.add(f"/{spec.pattern.pattern}/")
    return sorted(t for t in topics if t not in builder.internal_topics)


def _check(builder: Any, inputs: Mapping[str, Sequence[Record]]) -> None:
    if not any(isinstance(spec, SourceSpec) for spec in builder.nodes.values()):
        raise TopologyError(
            "the topology has no source: nothing reads a topic, so there is nothing to preview. Add one first, "
            "e.g. builder.stream('topic') or topology.add_source('source', 'topic')"
        )
    readable = _readable(builder)
    for topic in inputs:
        if builder.source_for_topic(topic) is None or topic in builder.internal_topics:
            raise TopologyError(
                f"inputs for topic {topic!r}, but no source of the topology reads it; the topology reads: "
                f"{', '.join(readable)}. Rename the input or add a source for it."
            )


def _merge(inputs: Mapping[str, Sequence[Record]]) -> list[tuple[str, int, Record]]:
    """Lowest timestamp first across topics, ties to the topic listed first; each topic keeps its own order."""
    streams = [
        [(record[2], order, offset, topic, record) for offset, record in enumerate(records)]
        for order, (topic, records) in enumerate(inputs.items())
    ]
    merged = heapq.merge(*streams, key=lambda item: (item[0], item[1]))
    return [(topic, offset, record) for _, _, offset, topic, record in merged]


def _kind(node: Any) -> str:
    if isinstance(node, SourceNode):
        return "source"
    if isinstance(node, SinkNode):
        return "sink"
    return "processor"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 3] + "..."


def _user_code(error: BaseException) -> str | None:
    """``file:line`` of the innermost frame outside kstreams_nb in the traceback of the user's exception."""
    cause = error.__cause__ or error
    where = None
    tb = cause.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def _explained(
    error: ProcessingError | SerializationError, session: PreviewSession, index: int
) -> ProcessingError | SerializationError:
    """The engine's error, reworded for a notebook: which node, which input record, which cell or line."""
    node = getattr(error, "node", None)
    if node is None:
        task = session._driver._task if session._driver is not None else None
        current = task.ctx.current_node if task is not None else None
        node = current.name if current is not None else None
    topic, offset, record = session.inputs[index]
    cause = error.__cause__ or error
    where = []
    cell = session.cell_of_node(node) if node else None
    if cell is not None:
        where.append(f"cell {cell}")
    code = _user_code(error)
    if code is not None:
        where.append(code)
    punctuating = isinstance(error, ProcessingError) and error.topic is None
    message = (
        f"{type(cause).__name__}: {cause} -- at node {node or '?'}"
        + (f" ({', '.join(where)})" if where else "")
        + (" while punctuating" if punctuating else "")
        + f", on input record {index} (topic {topic!r}, offset {offset}, key={_short(record[0])}, "
        f"value={_short(record[1])}, timestamp={record[2]}). Fix the code of that node and preview again."
    )
    if isinstance(error, ProcessingError):
        return ProcessingError(message, task_id=error.task_id, node=node, topic=error.topic,
                               partition=error.partition, offset=error.offset)
    return type(error)(message, topic=error.topic, partition=error.partition, offset=error.offset)
