"""Preview: what every node of a topology produced and received, what its topics and stores hold, on a few input
records (built by preview())."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

from kstreams_nb.errors import TopologyError, UnknownStateStoreError, UnknownTopicError
from kstreams_nb.notebook._frames import LINEAGE, frame, html_table, node_frame
from kstreams_nb.records import Record

__all__ = ["Preview"]

_HTML_ROWS = 5
_NODES_TITLE = "nodes (rows a node sent on: .node(name); rows it received: .received(name))"


class Preview:
    """The result of :func:`~kstreams_nb.notebook.preview`: per-node, per-topic and per-store DataFrames.

    ``node(x)`` is what node ``x`` produced: the content of the stream a handle from the builder stands for, so
    an intermediate stream needs no sink; ``received(x)`` is what it was given. Every row carries its lineage:
    ``input`` is the index (in feeding order) of the input record whose arrival produced it, ``input_topic``
    and ``input_offset`` say where that record came from.

    Example::

        >>> from kstreams_nb import StreamsBuilder
        >>> from kstreams_nb.notebook import preview
        >>> b = StreamsBuilder()
        >>> doubled = b.stream("in").map_values(lambda v: v * 2)
        >>> doubled.to("out")
        >>> p = preview(b, {"in": [1, 2]})
        >>> p.node(doubled)["value"].tolist(), p.received(doubled)["value"].tolist(), p.topic("out")["input"].tolist()
        ([2, 4], [1, 2], [0, 1])
    """

    def __init__(
        self,
        *,
        topology: Any,
        inputs: Sequence[tuple[str, int, Record]],
        received: Mapping[str, Sequence[tuple[int, Record]]],
        sent: Mapping[str, Sequence[tuple[int, Record]]],
        kinds: Mapping[str, str],
        produced: Sequence[tuple[int, str, str, bytes | None, bytes | None, int]],
        deserializers: Mapping[str, tuple[Any, Any]],
        stores: Mapping[str, tuple[list[list[Any]], bool]],
        punctuations: Sequence[tuple[int, str, str, int]],
        dropped: Sequence[tuple[int, str, Any, Any, Any, str]],
        position: int,
    ) -> None:
        #: the built Topology that was run
        self.topology = topology
        #: how many input records were fed
        self.position = position
        self._inputs = inputs
        self._lineage = [(topic, offset) for topic, offset, _ in inputs]
        self._received = received
        self._sent = sent
        self._kinds = kinds
        self._produced = produced
        self._deserializers = deserializers
        self._stores = stores
        self._punctuations = punctuations
        self._dropped = dropped
        self._frames: dict[tuple[str, bool], Any] = {}

    # ------------------------------------------------------------------ nodes
    def _name(self, node: Any) -> str:
        name = node if isinstance(node, str) else getattr(node, "name", None)
        if not isinstance(name, str) or name not in self._received:
            known = ", ".join(self._received)
            shown = name if isinstance(name, str) else repr(node)
            raise TopologyError(f"the preview has no node {shown!r}; its nodes are: {known}")
        return name

    def _output_rows(self, name: str) -> Sequence[tuple[int, Record]]:
        """What a node sent on (to all its children, or to one by name); a sink's product is what it wrote."""
        if self._kinds.get(name) == "sink":
            return self._received[name]
        return self._sent.get(name, ())

    def _frame(self, name: str, received: bool) -> Any:
        df = self._frames.get((name, received))
        if df is None:
            rows = self._received[name] if received else self._output_rows(name)
            df = self._frames[(name, received)] = node_frame(rows, self._lineage)
        return df.copy()

    def node(self, node: Any) -> Any:
        """The rows node ``node`` (a name, or a handle with ``.name`` such as a KStream or KTable) produced: the
        content of the stream the handle stands for, even when nothing reads it. A filter's rows are the records
        it let through; a sink's, the records it wrote; a split's, what it sent to its branches.

        Example: ``preview(b, inputs).node(b.stream("in").filter(lambda k, v: v > 0))``.
        """
        return self._frame(self._name(node), False)

    def received(self, node: Any) -> Any:
        """The records node ``node`` (a name or a handle) was given: a source's are the records it read, a
        filter's include those it dropped. Example: ``p.received("KSTREAM-FILTER-0000000001")``."""
        return self._frame(self._name(node), True)

    @property
    def nodes(self) -> dict[str, Any]:
        """Node name -> the rows it produced (see :meth:`node`), for sources, processors and sinks in topology
        order."""
        return {name: self.node(name) for name in self._received}

    @property
    def node_names(self) -> list[str]:
        """Every node name, in topology order."""
        return list(self._received)

    def kind(self, name: str) -> str:
        """``"source"``, ``"processor"`` or ``"sink"``."""
        return self._kinds[name]

    # ------------------------------------------------------------------ topics
    @cached_property
    def _topic_frames(self) -> dict[str, Any]:
        per_topic: dict[str, list[list[Any]]] = {}
        for index, sink, topic, kb, vb, ts in self._produced:
            key_serde, value_serde = self._deserializers[sink]
            topic_name, offset = self._lineage[index] if 0 <= index < len(self._lineage) else (None, None)
            key, start, end = _windowed_json(_deserialize(key_serde, topic, kb))
            row = [key, _deserialize(value_serde, topic, vb), ts, index, topic_name, offset, start, end]
            per_topic.setdefault(topic, []).append(row)
        columns = ["key", "value", "timestamp", *LINEAGE, "window_start", "window_end"]
        frames = {}
        for t, rows in per_topic.items():
            df = frame(rows, columns)
            windowed = any(row[6] is not None for row in rows)
            frames[t] = df if windowed else df.drop(columns=["window_start", "window_end"])
        return frames

    def topic(self, name: str) -> Any:
        """What the sinks wrote to topic ``name``, deserialized with the sink's serdes (or the defaults); a key or
        value those cannot read back (a serializer-only sink) is shown as the bytes written."""
        frames = self._topic_frames
        if name not in frames:
            raise UnknownTopicError(f"no sink wrote to topic {name!r} in this preview; written: {sorted(frames)}")
        return frames[name].copy()

    @property
    def topics(self) -> dict[str, Any]:
        """Topic name -> what the sinks wrote to it (only topics written to)."""
        return {name: self.topic(name) for name in self._topic_frames}

    # ------------------------------------------------------------------ stores and events
    def store(self, name: str) -> Any:
        """The contents of state store ``name`` (key, value, timestamp; window_start/window_end if windowed)."""
        if name not in self._stores:
            raise UnknownStateStoreError(f"no state store named {name!r}; stores: {sorted(self._stores)}")
        rows, windowed = self._stores[name]
        df = frame(rows, ["key", "value", "timestamp", "window_start", "window_end"])
        return df if windowed else df.drop(columns=["window_start", "window_end"])

    @property
    def stores(self) -> dict[str, Any]:
        """Store name -> its contents."""
        return {name: self.store(name) for name in self._stores}

    @property
    def punctuations(self) -> Any:
        """Punctuations fired: node, type (STREAM_TIME / WALL_CLOCK_TIME), time, input."""
        return frame([(n, t, time, i) for i, n, t, time in self._punctuations], ["node", "type", "time", "input"])

    @property
    def dropped(self) -> Any:
        """Records dropped on the way (late, null key, skipped by a handler): node, reason, record, lineage."""
        rows = []
        for index, node, key, value, ts, reason in self._dropped:
            topic, offset = self._lineage[index] if 0 <= index < len(self._lineage) else (None, None)
            rows.append([node, reason, key, value, ts, index, topic, offset])
        return frame(rows, ["node", "reason", "key", "value", "timestamp", *LINEAGE])

    @property
    def inputs(self) -> Any:
        """The input records in feeding order: input, topic, offset, key, value, timestamp."""
        return frame(
            [(i, t, o, r[0], r[1], r[2]) for i, (t, o, r) in enumerate(self._inputs)],
            ["input", "topic", "offset", "key", "value", "timestamp"],
        )

    # ------------------------------------------------------------------ display
    def summary(self) -> Any:
        """One row per node: kind, records received, records sent on (a sink: written), records dropped."""
        drops: dict[str, int] = {}
        for _, node, *_rest in self._dropped:
            drops[node] = drops.get(node, 0) + 1
        return frame(
            [(n, self._kinds.get(n, "?"), len(rows), len(self._output_rows(n)), drops.get(n, 0))
             for n, rows in self._received.items()],
            ["node", "kind", "received", "sent", "dropped"],
        )

    def _repr_html_(self) -> str:
        parts = [f"<div class='kstreams-preview'><p><b>Preview</b> of {self.position} input records</p>"]
        for name, df in self.topics.items():
            parts.append(html_table(df, f"topic {name}", _HTML_ROWS))
        parts.append(html_table(self.summary(), _NODES_TITLE, len(self._received)))
        for name, df in self.stores.items():
            parts.append(html_table(df, f"store {name}", _HTML_ROWS))
        if self._dropped:
            parts.append(html_table(self.dropped, "dropped records", _HTML_ROWS))
        parts.append("</div>")
        return "".join(parts)

    def __repr__(self) -> str:
        topics = ", ".join(f"{t} ({len(df)})" for t, df in self._topic_frames.items()) or "none"
        stores = ", ".join(f"{s} ({len(rows)})" for s, (rows, _) in self._stores.items()) or "none"
        return (
            f"<Preview of {self.position} input records: {len(self._received)} nodes; topics written: {topics}; "
            f"stores: {stores}; {len(self._punctuations)} punctuations; {len(self._dropped)} dropped>"
        )


def _windowed_json(key: Any) -> tuple[Any, Any, Any]:
    """A windowed key as the default JSON serde writes it (``{"key": k, "window": {"start": s, "end": e}}``),
    split into key, window start and end, as node rows show it; any other key as is."""
    if isinstance(key, dict) and key.keys() == {"key", "window"}:
        window = key["window"]
        if isinstance(window, dict) and {"start", "end"} <= window.keys():
            return key["key"], window["start"], window["end"]
    return key, None, None


def _deserialize(serde: Any, topic: str, data: bytes | None) -> Any:
    deserialize: Callable[[str, bytes | None], Any] | None = getattr(serde, "deserialize", None)
    if deserialize is None:
        return data
    try:
        return deserialize(topic, data)
    except Exception:  # shown as the bytes that were written: a preview never fails on display
        return data
